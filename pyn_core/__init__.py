"""pyN core: a spiking neural network simulator.

Examples
--------
>>> from pyn_core import *
>>> one_neuron = IzhikevichPopulation(name="Charly the Neuron", N=1)
>>> brain = Network(populations=[one_neuron])
>>> stim = [{"start": 10, "stop": 100, "mV": 14, "neurons": [0]}]
>>> results = brain.simulate(experiment_name="tonic spiking", T=100, dt=0.25,
...                          I_ext={"Charly the Neuron": stim}, save_data=None,
...                          properties_to_save=["v", "u", "psc", "I_ext"])
>>> results["Charly the Neuron"].v.shape
(400, 1)
"""
import logging as _logging

__version__ = "0.1.0"

from .engine import Simulation, SpikeBatch  # noqa: E402
from .engine.checkpoint import load_checkpoint  # noqa: E402
from .errors import (  # noqa: E402
    BackendError, MissingPackage, NoSavedRun, NotRecorded, NotSupported, PynError, PynIndexError, PynLookupError,
    PynTypeError, PynValueError, PynWarning, ResourceError, SimulationError)
from .models import get_model, models, presets, register_model  # noqa: E402
from .network import Network  # noqa: E402
from .population import (  # noqa: E402
    AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, PoissonPopulation, Population,
    SourcePopulation, SpikeSourcePopulation)
from .results import Results, load_results  # noqa: E402
from .formats import read_nwb_spikes, read_sonata_spikes, read_spikes  # noqa: E402  (their packages load on use)
from .recipe import rerun  # noqa: E402
from .synapses import Param, SynapseKind, get_synapse_kind, register_synapse, synapse_kinds  # noqa: E402
from .sweeps import sweep  # noqa: E402  (Dask is imported only when a sweep runs)


def connection_rules() -> list:
    """Names of the connection rules ``Network.connect(rule=...)`` takes."""
    from .connectivity import RULES
    return list(RULES)


def stimulus_kinds() -> list:
    """Kinds of stimulus in a spec's ``stimuli`` list (``add_current``, ``add_noise``, ``add_poisson``)."""
    from .stimuli import KINDS
    return list(KINDS)


def plasticity_rules() -> list:
    """Names of the learning rules ``Network.connect(plasticity=...)`` takes."""
    from .plasticity import RULES
    return list(RULES)


def layouts() -> list:
    """Names of the 3-D layouts of population positions."""
    from .space import LAYOUTS
    return list(LAYOUTS)


def weight_distributions() -> list:
    """Names of the weight distributions (``weight={"dist": ...}``)."""
    from .projection import DISTRIBUTIONS
    return list(DISTRIBUTIONS)


def connection_modes() -> list:
    """``mode=`` of a connection."""
    from .projection import MODES
    return list(MODES)


def izhikevich_presets() -> list:
    """The 20 published Izhikevich (2004) pattern names."""
    return presets("izhikevich")


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the network spec, generated from this process's registries.

    See :mod:`pyn_core.schema` and docs/spec.md; ``pyn schema`` prints it.
    """
    from .schema import spec_schema as _schema
    return _schema()


def show_data(results, **kw):
    """Plot results: one panel per population and saved property (needs matplotlib)."""
    from .plotting import show_data as _show
    return _show(results, **kw)


def save_plots(results, path, **kw):
    """Write the :func:`show_data` figure(s) as PNG files under ``path``."""
    from .plotting import save_plots as _save
    return _save(results, path, **kw)


_logging.getLogger("pyn_core").addHandler(_logging.NullHandler())

__all__ = ["Network", "Population", "IzhikevichPopulation", "AdExPopulation", "HHPopulation",
           "LIFPopulation", "PoissonPopulation", "SpikeSourcePopulation", "SourcePopulation",
           "Simulation", "SimulationError", "SpikeBatch", "Results", "load_results", "rerun", "load_checkpoint", "show_data",
           "save_plots", "models", "presets", "get_model", "register_model", "izhikevich_presets",
           "PynError", "PynValueError", "PynTypeError", "PynLookupError", "PynIndexError", "BackendError",
           "NotSupported", "NotRecorded", "NoSavedRun", "ResourceError", "PynWarning", "SynapseKind", "Param", "register_synapse", "synapse_kinds", "get_synapse_kind",
           "connection_rules", "stimulus_kinds", "plasticity_rules", "layouts", "weight_distributions",
           "connection_modes", "sweep", "spec_schema", "MissingPackage", "read_spikes", "read_nwb_spikes",
           "read_sonata_spikes"]
