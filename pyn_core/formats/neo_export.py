"""A run as a ``neo.Block``, so that Elephant's analyses (and PyNN-era tools) apply directly.

The block has one ``Segment`` holding

* a ``SpikeTrain`` per neuron (neurons without spikes included), in ms,
  from 0 to the run's duration, named ``"<population>[<index>]"`` and
  annotated ``population=`` and ``index=``;
* an ``AnalogSignal`` per recorded trace (one per population and variable,
  the population's neurons as channels), in the variable's unit (``mV`` for
  the membrane potential, ``nA`` or ``uA/cm**2`` for currents,
  dimensionless otherwise), annotated ``population=`` and ``variable=``
  (an ``IrregularlySampledSignal`` where samples are not regular);

and a ``Group`` per population holding its spike trains and signals, so
``block.groups`` selects by population.  The block is annotated with the
run's ``dt_ms``, ``seed``, ``duration_ms`` and ``pyn_version``.

Examples
--------
>>> from pyn_core import Network, LIFPopulation
>>> net = Network([LIFPopulation("exc", N=3)])
>>> _ = net.add_current("exc", 20.0)
>>> res = net.build(dt=0.1, seed=0, backend="numpy", record=["v"]).run(20.0)
>>> block = res.to_neo()
>>> seg = block.segments[0]
>>> len(seg.spiketrains), seg.analogsignals[0].shape, str(seg.analogsignals[0].units.dimensionality)
(3, (200, 3), 'mV')
>>> [g.name for g in block.groups]
['exc']
"""
from __future__ import annotations

import numpy as np

from ._files import need, trace_unit


def to_neo(results, *, include_traces: bool = True):
    """``results`` as a ``neo.Block`` (see the module's description).

    Parameters
    ----------
    results : Results
    include_traces : bool
        Add the recorded traces as signals (default True).

    Raises
    ------
    MissingPackage
        neo or quantities is not installed (``pip install 'pyn_core[neo]'``).
    """
    neo = need("neo", "the Neo format")
    pq = need("quantities", "the Neo format")
    from .. import __version__
    last = max((float(p.spike_times.max()) for p in results if p.spike_times.size), default=0.0)
    t_stop = max(float(results.duration), last)
    block = neo.Block(name=results.experiment_name, description="pyN simulation",
                      dt_ms=float(results.dt), seed=results.seed, duration_ms=float(results.duration),
                      pyn_version=__version__)
    seg = neo.Segment(name=results.experiment_name, index=0)
    block.segments.append(seg)
    t = np.asarray(results.t, dtype=float)
    regular = t.size >= 2 and np.allclose(np.diff(t), t[1] - t[0], rtol=1e-9, atol=1e-12)
    for pop in results:
        members = []
        for i, train in enumerate(pop.spike_trains()):
            st = neo.SpikeTrain(np.asarray(train, dtype=float), units="ms", t_start=0.0 * pq.ms,
                                t_stop=t_stop * pq.ms, name=f"{pop.name}[{i}]", population=pop.name, index=i)
            seg.spiketrains.append(st)
            members.append(st)
        if include_traces and t.size:
            for var, data in pop.traces.items():
                unit = trace_unit(results, pop.name, var)[0]
                values = np.asarray(data, dtype=float)
                common = {"units": unit, "name": f"{pop.name}.{var}", "population": pop.name, "variable": var}
                if regular:
                    sig = neo.AnalogSignal(values, sampling_period=(t[1] - t[0]) * pq.ms, t_start=t[0] * pq.ms,
                                           **common)
                else:
                    sig = neo.IrregularlySampledSignal(t * pq.ms, values, **common)
                    seg.irregularlysampledsignals.append(sig)
                    members.append(sig)
                    continue
                seg.analogsignals.append(sig)
                members.append(sig)
        block.groups.append(neo.Group(members, name=pop.name, population=pop.name))
    block.check_relationships()
    return block
