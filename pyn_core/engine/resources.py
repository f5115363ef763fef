"""Resources a build or a run will take, checked before anything is allocated.

A network description is cheap; what it asks for may not be: ``N=10**9``, an
all-to-all connection of 10¹² synapses or a 10⁸ ms delay (a ring buffer of
10⁹ slots per neuron) would end in a ``MemoryError`` after minutes of trying,
and ``run(1e300)`` would never end.  :func:`check_build` and
:func:`check_recording` estimate the memory from the description alone and
refuse, with a :class:`~pyn_core.errors.ResourceError` that states the
estimate and the memory available, what cannot fit; :func:`check_steps`
bounds the number of steps of a run.

The estimates are upper bounds of the peak, not exact figures: a build holds
every projection's drawn index, weight and delay arrays at once (about
:data:`BUILD_BYTES_PER_SYNAPSE` bytes per synapse, and
:data:`LEARNING_BYTES_PER_SYNAPSE` more where the connection learns) before
packing them into their compact form (4–13 bytes per static synapse).

The memory available is ``MemAvailable`` of ``/proc/meminfo`` (Linux) or the
free physical pages the OS reports; the environment variable
``PYN_MEMORY_LIMIT`` (bytes, or with a ``K``, ``M``, ``G`` or ``T`` suffix)
sets it instead, and ``PYN_MEMORY_LIMIT=0`` turns the check off.

Examples
--------
>>> from pyn_core import Network, LIFPopulation
>>> net = Network([LIFPopulation("a", N=1000), LIFPopulation("b", N=1000)])
>>> _ = net.connect("a", "b", rule="all_to_all")
>>> est = estimate_build(net, dt=0.1)
>>> est.synapses, est.total > 1_000_000 * BUILD_BYTES_PER_SYNAPSE
(1000000, True)
>>> format_bytes(3 * 2 ** 30)
'3.0 GiB'
"""
from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import PynValueError, ResourceError
from ..population import SourcePopulation

#: Peak bytes per synapse while a network is built (int64 pre, post and delay, float64 weight, their
#: temporaries; measured 21–53 with tracemalloc over the connection rules and weight distributions).
BUILD_BYTES_PER_SYNAPSE = 64
#: Further peak bytes per synapse of a connection that learns (weights, column index, traces; measured 65–80).
LEARNING_BYTES_PER_SYNAPSE = 96
#: Bytes per neuron besides its state and parameters (inputs, spike flags, refractory counters, ...).
NEURON_OVERHEAD_BYTES = 8 * 12
#: The most steps one simulation may reach (t = k * dt stays exact in float64 far beyond it).
MAX_STEPS = 2 ** 40
#: The longest delay in steps (delays are stored in at most 32-bit integers).
MAX_DELAY_STEPS = 2 ** 31 - 1


@dataclass
class Estimate:
    """The memory a build will take, in bytes, by part."""

    parts: dict = field(default_factory=dict)
    synapses: int = 0

    @property
    def total(self) -> int:
        return int(sum(self.parts.values()))

    def describe(self) -> str:
        """The largest parts, largest first, as ``name: size`` (for messages)."""
        big = sorted(self.parts.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in big if size > 0)


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units (``'3.0 GiB'``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"   # not reached


def _parse_limit(text: str):
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)i?B?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise PynValueError(f"PYN_MEMORY_LIMIT must be a number of bytes, optionally with a K, M, G or T suffix "
                            f"(e.g. 8G), or 0 to turn the memory check off; got {text!r}")
    scale = {"": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30, "T": 2 ** 40}[m.group(2).upper()]
    return float(m.group(1)) * scale


#: How long a reading of the memory available is reused (it changes slowly; ``advance`` checks every call).
MEMORY_READING_S = 1.0
_reading = [-math.inf, None]     # [time, bytes] of the last reading of the operating system's figure


def available_memory():
    """Bytes of memory a build may use, or None when unknown or the check is off (see the module docstring)."""
    limit = os.environ.get("PYN_MEMORY_LIMIT")
    if limit is not None and limit.strip() != "":
        value = _parse_limit(limit)
        return None if value == 0 else value
    now = time.monotonic()
    if now - _reading[0] > MEMORY_READING_S:
        _reading[:] = now, _system_memory()
    return _reading[1]


def _system_memory():
    """``MemAvailable`` of ``/proc/meminfo``, else the free physical pages, else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def expected_synapses(q, n_pre: int, n_post: int, same: bool) -> float:
    """The number of synapses projection ``q`` will draw (its mean for random rules)."""
    if q.weight_matrix is not None:
        return n_pre * n_post
    rule = q.rule
    name = rule["name"]
    pairs = n_pre * n_post - (n_pre if same and not rule.get("allow_autapses", False) else 0)
    if name == "all_to_all":
        return pairs
    if name == "one_to_one":
        return n_pre
    if name == "pairwise_bernoulli":
        return rule["p"] * pairs
    if name == "fixed_indegree":
        return rule["k"] * n_post
    if name == "fixed_outdegree":
        return rule["k"] * n_pre
    return len(rule.get("pre", ()))


def max_delay_ms(q) -> float:
    """The longest delay (ms) projection ``q`` can draw (mean + 10 standard deviations for normal delays)."""
    if q.delay_matrix is not None:
        d = np.asarray(q.delay_matrix, dtype=float)
        return float(d.max()) if d.size else 0.0
    if isinstance(q.delay, np.ndarray):
        return float(q.delay.max()) if q.delay.size else 0.0
    return float(q.delay) + 10.0 * float(q.delay_std)


def estimate_build(net, dt: float, learning: bool = True) -> Estimate:
    """The peak memory of building ``net`` at step ``dt`` (ms), from its description alone.

    ``learning``: whether plastic connections learn in the run (their synapses take more).

    Raises
    ------
    PynValueError
        A delay is longer than :data:`MAX_DELAY_STEPS` steps.
    """
    dtype = 4 if net.settings.get("dtype") == "float32" else 8
    est = Estimate({"neurons": 0, "synapses": 0, "ring buffers": 0})
    by_name = {p.name: p for p in net.populations}
    for p in net.populations:
        if isinstance(p, SourcePopulation):
            est.parts["neurons"] += p.N * 16
        else:
            est.parts["neurons"] += p.N * (8 * (len(p.model.state) + len(p.model.params)) + NEURON_OVERHEAD_BYTES)
    longest = 1.0
    receptors = {}
    for q in net.projections:
        pre, post = by_name[q.pre], by_name[q.post]
        n = expected_synapses(q, pre.N, post.N, pre is post)
        est.synapses += int(n)
        est.parts["synapses"] += n * BUILD_BYTES_PER_SYNAPSE
        if learning and q.plasticity is not None:
            est.parts["synapses"] += n * LEARNING_BYTES_PER_SYNAPSE
        dmax = max_delay_ms(q)
        steps = dmax / dt
        if not math.isfinite(steps) or steps > MAX_DELAY_STEPS:
            raise PynValueError(f"connection {q.name!r}: a delay of {dmax:g} ms is {steps:.3g} steps of "
                                f"dt = {dt:g} ms; at most {MAX_DELAY_STEPS} steps are allowed")
        longest = max(longest, float(np.rint(steps)))
        receptors[(q.post, repr(q.synapse), q.mode)] = post.N
    est.parts["ring buffers"] = (1 + longest) * dtype * sum(receptors.values())
    return est


def _refuse(what: str, need: float, have: float, detail: str = ""):
    raise ResourceError(f"{what} needs about {format_bytes(need)}{f' ({detail})' if detail else ''}, but only "
                        f"{format_bytes(have)} of memory is available; make the network smaller or sparser, "
                        "the delays shorter, or set PYN_MEMORY_LIMIT (e.g. PYN_MEMORY_LIMIT=64G; 0 turns the "
                        "check off) if this estimate is wrong for your machine")


def check_build(net, dt: float, learning: bool = True) -> Estimate:
    """Refuse a build that cannot fit in the memory available (see :func:`estimate_build`)."""
    est = estimate_build(net, dt, learning)
    have = available_memory()
    if have is not None and est.total > have:
        _refuse(f"building network {net.name!r} ({est.synapses:,} synapses)", est.total, have, est.describe())
    return est


def check_recording(n_samples: int, n_values: int, what: str = "recording"):
    """Refuse a recording of ``n_samples`` samples of ``n_values`` float64 values that cannot fit."""
    need = float(n_samples) * float(n_values) * 8
    have = available_memory()
    if have is not None and need > have:
        _refuse(f"{what} ({n_samples:,} samples of {n_values:,} values)", need, have)


def clamp_step(k):
    """A step index, or :data:`MAX_STEPS` for any later one (a step no simulation reaches: "never").

    Times in a description may be far beyond any run (a stimulus that stops at 1e300 ms); as step
    indices they stay within int64.

    >>> clamp_step(12), clamp_step(10 ** 400) == MAX_STEPS
    (12, True)
    """
    return k if k <= MAX_STEPS else MAX_STEPS


def steps_of(ms, dt: float) -> np.ndarray:
    """Durations or times ``ms`` (array) as whole steps of ``dt``, those beyond :data:`MAX_STEPS` clamped to it."""
    return np.minimum(np.rint(np.asarray(ms, dtype=float) / dt), MAX_STEPS).astype(np.int64)


def check_steps(k: int, n: float, ms: float, dt: float):
    """Refuse a run of ``n`` more steps (``ms`` ms) from step ``k`` that would pass :data:`MAX_STEPS`."""
    if not math.isfinite(n) or k + n > MAX_STEPS:
        raise PynValueError(f"a run of {ms:g} ms is {n:.3g} steps of dt = {dt:g} ms; a simulation may run at "
                            f"most {MAX_STEPS:,} steps ({MAX_STEPS * dt:.3g} ms at this dt), {k:,} of them "
                            "done; run it in shorter pieces or with a larger dt")
