"""A running network for a view: the core's simulation plus the glow of every neuron.

Free of ``bpy`` and ``bge``: the Blender frame handler, the bake, the Live mode
and the UPBGE component all drive a :class:`NetworkRuntime`; the simulation
itself is entirely the core's (``Network.from_spec``, ``build``, ``advance``).

Examples
--------
>>> rt = NetworkRuntime(spec)                           # doctest: +SKIP
>>> rt.advance_to(25.0)                                  # doctest: +SKIP
>>> rt.activity("thalamus", GlowParams(3.0, 1.0))       # doctest: +SKIP
"""
from __future__ import annotations

import base64
import json
import logging
import math
from dataclasses import dataclass

import numpy as np

from .glow import GlowParams, SpikeGlow, SpikeRecord, population_offsets
from .spec_convert import spec_hash
from .voltage import VoltageSamples, network_ranges, voltage_level

log = logging.getLogger(__name__)


def frame_to_ms(frame: float, start_frame: int, ms_per_frame: float) -> float:
    """Simulated time shown at ``frame``: 0 at ``start_frame`` and before.

    >>> frame_to_ms(11, 1, 2.0)
    20.0
    """
    return max(0.0, float(frame) - float(start_frame)) * float(ms_per_frame)


class NetworkRuntime:
    """A network built from a spec, advanced on demand, with per-neuron glow.

    Parameters
    ----------
    spec : dict
        A ``pyn-network`` spec.
    network : pyn_core.Network, optional
        The network of ``spec`` if the caller has already made it.

    Attributes
    ----------
    names : list of str
        Population names, in spec order.
    sizes : list of int
        Neurons per population.
    offsets : ndarray of int
        Start of each population in the global neuron numbering (and the total).
    glow : SpikeGlow
        Most recent spike of every neuron since the last reset.
    v_lo, v_hi : ndarray
        Rest and peak of every neuron's model, for voltage levels
        (:func:`~blender_addon.voltage.model_range`).
    """

    def __init__(self, spec: dict, network=None, progress=None) -> None:
        import pyn_core  # the core is bundled with the add-on as a wheel

        self.spec = spec
        self.hash = spec_hash(spec)
        self.network = network if network is not None else pyn_core.Network.from_spec(spec)
        self.names = [p.name for p in self.network.populations]
        self.sizes = [int(p.N) for p in self.network.populations]
        self.offsets = population_offsets(self.sizes)
        self.glow = SpikeGlow(int(self.offsets[-1]))
        self.v_lo, self.v_hi = network_ranges(self.network.populations)
        self._has_v = [bool(np.isfinite(self.v_lo[a:b]).all()) and b > a
                       for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        settings = spec.get("settings") or {}
        self.dt = float(settings.get("dt") or 0.1)
        self.sim = None
        self.spike_count = 0
        self.reset(progress)

    @property
    def n(self) -> int:
        """Total number of neurons."""
        return int(self.offsets[-1])

    @property
    def t(self) -> float:
        """Simulated time reached, ms."""
        return float(self.sim.t)

    def index(self, name: str) -> int:
        """Position of population ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            import pyn_core
            raise pyn_core.PynLookupError(f"no population {name!r}; populations: {', '.join(self.names)}") from None

    def positions(self, name: str) -> np.ndarray:
        """(N, 3) positions of population ``name``, as the core places them."""
        return np.asarray(self.network.populations[self.index(name)].positions, dtype=float)

    def reset(self, progress=None) -> None:
        """Start the simulation again from time 0 (same seed, so the same spikes).

        ``progress``, if given, follows the build (``progress(stage, done, total)``, see
        :meth:`pyn_core.Network.build`).
        """
        self.sim = self.network.build() if progress is None else self.network.build(progress=progress)
        self.dt = float(getattr(self.sim, "dt", self.dt))
        self.glow.reset()
        self.spike_count = 0

    def advance(self, ms: float):
        """Simulate ``ms`` more milliseconds and remember the spikes; return the core's batch."""
        batch = self.sim.advance(float(ms))
        ids = np.asarray(batch.ids)
        if ids.size:
            gids = self.offsets[np.asarray(batch.pop, dtype=np.intp)] + ids
            self.glow.record(gids, np.asarray(batch.times, dtype=float))
            self.spike_count += int(ids.size)
        return batch

    def advance_to(self, t_ms: float) -> bool:
        """Bring the simulation to time ``t_ms``, restarting from 0 if it lies in the past.

        Time advances in whole steps of ``dt``: the simulation stops at the step
        nearest to ``t_ms``.

        Returns
        -------
        bool
            True if the simulation had to restart (scrubbing backwards).
        """
        restarted = False
        if t_ms < self.t - 0.5 * self.dt:
            log.debug("restarting %s at t=%.3f ms to reach %.3f ms", self.spec.get("name"), self.t, t_ms)
            self.reset()
            restarted = True
        n_steps = int(math.floor((t_ms - self.t) / self.dt + 0.5))
        if n_steps > 0:
            self.advance(n_steps * self.dt)
        return restarted

    def activity(self, name: str, params: GlowParams, out: np.ndarray | None = None) -> np.ndarray:
        """Glow of the neurons of population ``name`` at the current time."""
        i = self.index(name)
        return self.glow.activity(self.t, params, out, int(self.offsets[i]), int(self.offsets[i + 1]))

    def voltage(self) -> np.ndarray:
        """Membrane potential (mV) of every neuron now, global numbering; NaN where there is none.

        Read with the core's ``Simulation.state(population, "v")`` (a copy).
        """
        out = np.full(self.n, np.nan)
        for i, name in enumerate(self.names):
            if not self._has_v[i]:
                continue
            try:
                out[self.offsets[i]:self.offsets[i + 1]] = self.sim.state(name, "v")
            except (LookupError, AttributeError) as exc:  # no potential, or a core without state()
                log.debug("no membrane potential for %r: %s", name, exc)
                self._has_v[i] = False
        return out

    def voltage_level(self, lo=None, hi=None, out: np.ndarray | None = None) -> np.ndarray:
        """Voltage level in [0, 1] of every neuron now (the models' ranges unless ``lo``, ``hi`` given)."""
        return voltage_level(self.voltage(), self.v_lo if lo is None else lo, self.v_hi if hi is None else hi, out)


# ---------------------------------------------------------------------------
# bakes: every spike of a time range, stored compactly
# ---------------------------------------------------------------------------

BAKE_FORMAT = "pyn-bake"
BAKE_VERSION = 1
#: Most membrane-potential values (samples x neurons) a bake keeps; above it a bake holds spikes only.
MAX_BAKE_VOLTAGES = 4_000_000


@dataclass
class Bake:
    """The spikes of a network over ``[0, t_end]`` ms, for exact random access by time.

    Attributes
    ----------
    record : SpikeRecord
        Spikes as step indices and global neuron indices.
    spec_hash : str
        :func:`~blender_addon.spec_convert.spec_hash` of the baked network.
    names, sizes : list
        Populations of the baked network.
    t_end : float
        Simulated time covered, ms.
    voltage : VoltageSamples or None
        Membrane potentials at every frame (float16), if the bake keeps them.
    note : str
        How the spikes were made when not by simulating the network as it
        stands (shown in the panel), e.g. per-pattern protocols.
    """

    record: SpikeRecord
    spec_hash: str
    names: list
    sizes: list
    t_end: float
    voltage: VoltageSamples | None = None
    note: str = ""

    @property
    def offsets(self) -> np.ndarray:
        """Start of each population in the global numbering (and the total)."""
        return population_offsets(self.sizes)

    def covers(self, t_ms: float) -> bool:
        """Whether time ``t_ms`` lies inside the baked range."""
        return 0.0 <= t_ms <= self.t_end + 1e-9

    def activity(self, t_ms: float, params: GlowParams, out: np.ndarray | None = None) -> np.ndarray:
        """Glow of all neurons (global numbering) at ``t_ms``."""
        return self.record.activity(t_ms, params, out)

    def voltage_level(self, t_ms: float, lo=None, hi=None, out: np.ndarray | None = None) -> np.ndarray | None:
        """Voltage level of all neurons at ``t_ms`` (None if the bake keeps no potentials)."""
        if self.voltage is None:
            return None
        return self.voltage.level(t_ms, lo, hi, out)

    def to_storage(self) -> dict:
        """A dict of numbers, strings and bytes (little-endian arrays), no pickle.

        Blender keeps it as an ID property of the scene, saved with the .blend.
        """
        out = {
            "format": BAKE_FORMAT, "version": BAKE_VERSION,
            "spec_hash": self.spec_hash, "dt": self.record.dt, "t_end": float(self.t_end),
            "populations": json.dumps([[n, int(s)] for n, s in zip(self.names, self.sizes)]),
            "steps": self.record.steps.astype("<i4").tobytes(),
            "gids": self.record.gids.astype("<i4").tobytes(),
            "note": self.note,
        }
        if self.voltage is not None:
            out["voltage"] = self.voltage.to_storage()
        return out

    @classmethod
    def from_storage(cls, d) -> "Bake":
        """Read what :meth:`to_storage` wrote (bytes or base64 text for the arrays)."""
        if d.get("format") != BAKE_FORMAT:
            raise ValueError("not a pyN bake")
        if int(d.get("version", 0)) > BAKE_VERSION:
            raise ValueError(f"bake version {d.get('version')} is newer than this add-on reads")
        pops = json.loads(d["populations"])
        names = [str(n) for n, _ in pops]
        sizes = [int(s) for _, s in pops]

        def arr(raw):
            if isinstance(raw, str):
                raw = base64.b64decode(raw)
            return np.frombuffer(bytes(raw), dtype="<i4").astype(np.int32)

        record = SpikeRecord(arr(d["steps"]), arr(d["gids"]), float(d["dt"]), sum(sizes))
        voltage = d.get("voltage")
        if voltage is not None:
            voltage = VoltageSamples.from_storage(dict(voltage), sum(sizes))
        return cls(record, str(d["spec_hash"]), names, sizes, float(d["t_end"]), voltage, str(d.get("note", "")))


def bake_network(spec: dict, t_end: float, chunk_ms: float = 50.0, progress=None,
                 runtime: NetworkRuntime | None = None, sample_ms: float | None = None,
                 max_voltages: int = MAX_BAKE_VOLTAGES) -> Bake:
    """Simulate ``spec`` from 0 to ``t_end`` ms and keep every spike (and v at every frame).

    Parameters
    ----------
    spec : dict
        The network spec.
    t_end : float
        Simulated time to cover, ms.
    chunk_ms : float
        Most simulated time per call of the core (progress is reported between calls).
    progress : callable, optional
        Called as ``progress(fraction)`` with a number in [0, 1].
    runtime : NetworkRuntime, optional
        A runtime of the same spec to reuse (it is reset first and left at ``t_end``).
    sample_ms : float, optional
        Keep every neuron's membrane potential at ``0, sample_ms, 2 * sample_ms, ...``
        (one frame apart), as the simulation has it when advanced to those
        times, unless that is more than ``max_voltages`` values.

    Returns
    -------
    Bake
    """
    rt = runtime if runtime is not None else NetworkRuntime(spec)
    rt.reset()
    dt = rt.dt
    k_end = int(math.floor(t_end / dt + 0.5))
    samples: list[int] = []
    if sample_ms is not None and sample_ms > 0:
        n_samples = int(math.floor(t_end / sample_ms + 1e-9)) + 1
        if n_samples * rt.n <= max_voltages:
            samples = [int(math.floor(i * sample_ms / dt + 0.5)) for i in range(n_samples)]
        else:
            log.info("bake of %s keeps spikes only: %d frames x %d neurons of membrane potential "
                     "exceed %d values", spec.get("name"), n_samples, rt.n, max_voltages)
    chunk = max(1, int(math.floor(chunk_ms / dt + 0.5)))
    stops = sorted(set(range(chunk, k_end, chunk)) | {k_end} | {s for s in samples if s <= k_end})
    wanted = set(samples)
    rows = {}
    times, gids = [], []
    k = 0
    if samples and samples[0] == 0:
        rows[0] = rt.voltage()
    for stop in stops:
        if stop <= k:
            continue
        batch = rt.advance((stop - k) * dt)
        k_new = int(round(rt.t / dt))
        if k_new <= k:  # the core did not move: avoid looping forever
            raise RuntimeError(f"simulation did not advance past t={rt.t} ms")
        k = k_new
        ids = np.asarray(batch.ids)
        if ids.size:
            times.append(np.asarray(batch.times, dtype=float))
            gids.append(rt.offsets[np.asarray(batch.pop, dtype=np.intp)] + ids)
        if k in wanted:
            rows[k] = rt.voltage()
        if progress is not None:
            progress(min(1.0, k / k_end) if k_end > 0 else 1.0)
    t_all = np.concatenate(times) if times else np.zeros(0)
    g_all = np.concatenate(gids) if gids else np.zeros(0, dtype=np.int64)
    order = np.argsort(t_all, kind="stable")
    record = SpikeRecord.from_times(t_all[order], g_all[order], dt, rt.n)
    voltage = None
    if samples:
        values = np.stack([rows.get(s, np.full(rt.n, np.nan)) for s in samples])
        voltage = VoltageSamples(values, float(sample_ms), rt.v_lo, rt.v_hi)
    log.info("baked %s: %d spikes over %.1f ms%s", spec.get("name"), len(record), t_end,
             ", with membrane potentials" if voltage is not None else "")
    return Bake(record, rt.hash, list(rt.names), list(rt.sizes), float(t_end), voltage)
