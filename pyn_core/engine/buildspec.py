"""How a simulation was built, as JSON and arrays, and the simulation rebuilt from it.

Checkpoints (:mod:`pyn_core.engine.checkpoint`) and the recipes of saved runs
(:mod:`pyn_core.recipe`) both write what a :class:`~pyn_core.engine.Simulation`
was built from: the network spec without its stimuli, the network's settings,
and the build settings (``dt``, seed, learning, what is recorded and how
often, every stimulus the simulation was built with, how many of those were
the network's own).  A current whose amplitude is a function is written as
the values it took on its steps, in an array named by the caller.

Examples
--------
>>> from pyn_core import Network, LIFPopulation
>>> net = Network([LIFPopulation("n", N=2)])
>>> _ = net.add_current("n", start=0, stop=1, amplitude=lambda t: 0 * t + 5.0)
>>> sim = net.build(dt=0.5, seed=7, backend="numpy")
>>> arrays = {}
>>> build = build_settings(sim, arrays, lambda j: f"table{j}")
>>> build["seed"], build["stimuli"][0]["amplitude"], arrays["table0"].tolist()
(7, {'saved_table': 'table0'}, [5.0, 5.0, 5.0])
>>> again = rebuild(network_spec(net), dict(net.settings), build, lambda j, d: arrays[d["amplitude"]["saved_table"]])
>>> again.seed, again.dt, again.stimuli.currents[0].table.tolist()
(7, 0.5, [5.0, 5.0, 5.0])
"""
from __future__ import annotations

import copy

import numpy as np

from ..errors import PynValueError


class _Tabulated:
    """The amplitude of a current stimulus given as a function, as the values it took at build (restored)."""

    def __init__(self, table: np.ndarray):
        self.table = table

    def __call__(self, t):
        if np.shape(t)[:1] != self.table.shape[:1]:
            raise PynValueError(f"a restored current table has {self.table.shape[0]} steps, "
                                f"asked for {np.shape(t)[:1]}")
        return self.table.copy()


def network_spec(net) -> dict:
    """The spec of ``net`` without its stimuli (kept apart: they may be functions), settings limited to the
    known ones."""
    from ..spec import DEFAULT_SETTINGS
    shell = copy.copy(net)
    shell.stimuli = []
    spec = shell.to_spec()
    spec["settings"] = {k: v for k, v in spec["settings"].items() if k in DEFAULT_SETTINGS}
    return spec


def built_stimuli(sim, arrays: dict, table_name) -> list:
    """The spec of every stimulus ``sim`` was built with; a function's values go into ``arrays[table_name(j)]``."""
    out = []
    for j, s in enumerate(sim.stimuli.given):
        try:
            out.append(s.to_spec())
            continue
        except PynValueError:          # a current given as a function: the values it took on its steps
            pass
        w = next(w for w in sim.stimuli.currents if w.position == j)
        name = table_name(j)
        arrays[name] = np.array(w.table, dtype=np.float64)
        out.append({"kind": "current", "target": s.target, "start": s.start, "stop": s.stop,
                    "neurons": s.neurons, "amplitude": {"saved_table": name}})
    return out


def network_stimuli(sim) -> int:
    """How many of the stimuli ``sim`` was built with, from the first, are its network's own."""
    given, own_list = sim.stimuli.given, sim.network.stimuli
    own = 0
    while own < min(len(given), len(own_list)) and given[own] is own_list[own]:
        own += 1
    return own


def build_settings(sim, arrays: dict, table_name) -> dict:
    """``dt``, ``seed``, ``learning``, ``record``, ``record_every_steps``, ``stimuli``, ``network_stimuli``."""
    return {"dt": sim.dt, "seed": sim.seed, "learning": sim.learning, "record": sim.record_spec,
            "record_every_steps": int(sim.recorder.every), "stimuli": built_stimuli(sim, arrays, table_name),
            "network_stimuli": network_stimuli(sim)}


def restored_stimuli(specs: list, table) -> list:
    """Stimuli from :func:`built_stimuli`'s specs; ``table(j, spec)`` returns the saved table of entry ``j``."""
    from ..stimuli import CurrentStimulus, stimulus_from_spec
    out = []
    for j, d in enumerate(specs):
        amp = d.get("amplitude") if isinstance(d, dict) else None
        if isinstance(amp, dict) and set(amp) == {"saved_table"}:
            out.append(CurrentStimulus(d.get("target"), d.get("start", 0.0), d.get("stop"),
                                       _Tabulated(table(j, d)), d.get("neurons")))
        else:
            out.append(stimulus_from_spec(d))
    return out


def rebuild(spec: dict, settings: dict, build: dict, table, backend: str = "numpy", experiment_name=None,
            stimuli=None, progress=None):
    """A fresh :class:`~pyn_core.engine.Simulation` (step 0) built as :func:`build_settings` describes.

    ``stimuli``, if given, are the already restored stimuli (else they are
    made from ``build["stimuli"]`` with ``table``); ``progress`` shows the
    build (see :meth:`pyn_core.Network.build`).  Errors are the
    :class:`~pyn_core.errors.PynError` of whatever part is refused.
    """
    from ..network import Network
    from .simulation import Simulation
    if stimuli is None:
        stimuli = restored_stimuli(build["stimuli"], table)
    net = Network.from_spec(spec)
    net.settings = dict(settings)
    net.stimuli.extend(stimuli[:max(0, build["network_stimuli"])])
    dt = build["dt"]
    return Simulation(net, dt=dt, seed=build["seed"], backend=backend, stimuli=stimuli,
                      record=build["record"] or None, learning=build["learning"],
                      record_every=build["record_every_steps"] * dt,
                      experiment_name=net.name if experiment_name is None else experiment_name,
                      progress=progress)
