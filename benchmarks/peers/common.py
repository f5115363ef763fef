"""Shared pieces of the peer benchmark scripts (Brian2 and NEST).

The peer scripts run the networks of ``shared/BENCHMARKS.md`` in another
simulator so that pyN can be compared with it on the same machine in the same
run.  pyN's benchmark runner starts them as subprocesses with the peers'
virtualenv (``benchmarks/install_peers.sh``)::

    benchmarks/.peers-venv/bin/python benchmarks/peers/brian2_nets.py BENCH \\
        --mode cpp_standalone --json
    benchmarks/.peers-venv/bin/python benchmarks/peers/nest_nets.py BENCH \\
        --threads 1 --json

With ``--json`` the script's standard output carries exactly one line, a JSON
object with the keys of :data:`RESULT_KEYS` (plus ``hist10`` for
``stdp_song``); everything the simulators print goes to standard error.

Timing convention for every peer: ``sim_s`` is the wall time of simulating the
biological time only (the simulation loop), ``build_s`` is the rest of the
wall time from the start of network construction until the simulation has
returned: creating neurons and synapses, code generation and compilation,
loading the compiled program.  Imports of the simulator and reading results
back afterwards are in neither.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Biological time of each benchmark at ``--duration-scale 1``, in ms.
BIO_MS: dict[str, float] = {
    "izh1000": 1000.0,
    "coba4000": 1000.0,
    "stdp_song": 100_000.0,
    "brunel_scaled": 1000.0,
    "cobahh": 1000.0,
}

BENCHES: tuple[str, ...] = tuple(BIO_MS)

#: Keys of every JSON result line, in output order.
RESULT_KEYS: tuple[str, ...] = (
    "simulator",
    "bench",
    "build_s",
    "sim_s",
    "bio_ms",
    "spikes",
    "rate_Hz",
    "n_neurons",
    "n_synapses",
)

DEFAULT_SEED = 12345


@dataclass
class Result:
    """What one benchmark run reports.

    ``spikes`` counts every recorded spike of every neuron (for ``stdp_song``
    the Poisson inputs and the output neuron).  ``rate_Hz`` is the mean rate
    per neuron; for ``stdp_song`` it is the output neuron's rate.
    """

    simulator: str
    bench: str
    build_s: float
    sim_s: float
    bio_ms: float
    spikes: int
    rate_Hz: float
    n_neurons: int
    n_synapses: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: getattr(self, key) for key in RESULT_KEYS}
        out["build_s"] = round(self.build_s, 4)
        out["sim_s"] = round(self.sim_s, 4)
        out["rate_Hz"] = round(self.rate_Hz, 4)
        out.update(self.extra)
        return out

    def human(self) -> str:
        line = (
            f"{self.simulator:<24} {self.bench:<14} build {self.build_s:8.2f} s  "
            f"sim {self.sim_s:8.3f} s  bio {self.bio_ms:8.0f} ms  "
            f"spikes {self.spikes:>9}  rate {self.rate_Hz:7.2f} Hz  "
            f"N {self.n_neurons}  syn {self.n_synapses}"
        )
        if "hist10" in self.extra:
            line += f"  w/gmax hist {self.extra['hist10']}"
        return line


def parse_args(
    description: str, argv: Sequence[str] | None, add_options
) -> argparse.Namespace:
    """Parse the options every peer script shares, plus ``add_options(parser)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("bench", choices=BENCHES, help="benchmark network")
    add_options(parser)
    parser.add_argument(
        "--duration-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply the biological time by F (e.g. 0.1 for a smoke run)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (positive)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON line on stdout and nothing else",
    )
    args = parser.parse_args(argv)
    if not args.duration_scale > 0:
        parser.error("--duration-scale must be positive")
    if args.seed < 1:
        parser.error("--seed must be a positive integer")
    return args


@contextmanager
def stdout_to_stderr() -> Iterator[int]:
    """Send everything written to file descriptor 1 to standard error.

    Simulators print banners and progress from C/C++ code, which bypasses
    ``sys.stdout``; redirecting at the descriptor level catches those too.
    Yields a duplicate of the original standard output for the final result
    line.  The redirection is left in place on exit so that nothing printed
    while the interpreter shuts down can follow the result line.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield saved
    finally:
        sys.stdout.flush()


def emit(result: Result, as_json: bool, fd: int) -> None:
    """Write the result line (JSON or human-readable) to ``fd``."""
    if as_json:
        line = json.dumps(result.as_dict(), separators=(", ", ": "))
    else:
        line = result.human()
    os.write(fd, (line + "\n").encode())


def hist10(w_over_gmax: Sequence[float]) -> list[int]:
    """Count values in 10 equal bins over [0, 1] (1.0 goes in the last bin)."""
    counts = [0] * 10
    for value in w_over_gmax:
        k = int(value * 10.0)
        counts[min(max(k, 0), 9)] += 1
    return counts


def mean_rate(spikes: int, n_neurons: int, bio_ms: float) -> float:
    """Mean rate per neuron in Hz."""
    return spikes / n_neurons / (bio_ms / 1000.0) if n_neurons and bio_ms else 0.0


class Stopwatch:
    """Wall-clock seconds since construction (``time.perf_counter``)."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0
