"""Simulation engine: the stateful shell and its backends."""
from ..errors import SimulationError
from .simulation import Simulation, SpikeBatch

__all__ = ["Simulation", "SimulationError", "SpikeBatch"]
