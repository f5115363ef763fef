"""Simulation engine: the stateful shell and its backends."""
from .simulation import Simulation, SimulationError, SpikeBatch

__all__ = ["Simulation", "SimulationError", "SpikeBatch"]
