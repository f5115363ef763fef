"""Run the benchmark networks on pyN and on its peers (Brian2, NEST) in one go and print one table.

Usage::

    .venv/bin/python benchmarks/run.py                      # every benchmark, every backend and peer
    .venv/bin/python benchmarks/run.py brunel_scaled coba4000 --no-peers
    .venv/bin/python benchmarks/run.py izh1000 --json       # pyN's default backend only, one JSON line
    .venv/bin/python benchmarks/run.py stdp_song --compare --json   # every run, one JSON line each

Each run is a fresh subprocess: pyN in this interpreter (``--worker``), the
peers with ``benchmarks/.peers-venv/bin/python`` (made by
``benchmarks/install_peers.sh``; peers that are not installed are skipped).
Every run reports ``build_s`` (network construction, connection drawing,
compilation or loading of compiled code) and ``sim_s`` (the wall time of
simulating the biological time only), spikes and the mean rate.  Runs that
compile (pyN's numba backend, Brian2) are run once beforehand on a short
duration so that the timed run is warm; the first-process JIT time of pyN is
reported by ``--startup``.

Slow reference runs (pyN's numpy backend on the long benchmarks) simulate a
fraction of the biological time (``NUMPY_SCALE``); their ``sim s`` is scaled
to the full time and marked ``*``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS_PY = HERE / ".peers-venv" / "bin" / "python"
BENCHES = ("izh1000", "coba4000", "stdp_song", "brunel_scaled", "cobahh")
#: Fraction of the biological time simulated by pyN's numpy backend.
NUMPY_SCALE = {"stdp_song": 0.05, "brunel_scaled": 0.2, "cobahh": 0.2, "scale100k": 0.05}
#: Populations left out of the spike counts (helpers that are not part of the benchmark network).
HELPERS = ("kick",)


# ---------------------------------------------------------------------------
# the pyN worker (runs in its own process)
# ---------------------------------------------------------------------------
def _synapse_bytes(sim) -> tuple[int, int]:
    """(bytes, synapses) of the static connectivity: targets, weights, own delays, row pointers."""
    total = n = 0
    for q in sim.projs:
        total += q.post_idx.nbytes + q.indptr.nbytes
        total += q.weight.nbytes if q.weight.strides != (0,) else q.weight.itemsize
        if q.delay is not None:
            total += q.delay.nbytes
        n += q.n
    return total, n


def worker(bench: str, backend: str, threads, scale: float, seed: int) -> dict:
    """Build and run one benchmark in this process; the result line as a dict."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from networks import NETWORKS, RATE_POPULATIONS

    import pyn_core
    t0 = time.perf_counter()
    net, dt, bio = NETWORKS[bench](seed)
    if threads is not None:
        net.settings["threads"] = threads
    sim = net.build(dt=dt, seed=seed, backend=backend, stdp=True)
    build_s = time.perf_counter() - t0
    bio_ms = bio * scale
    t1 = time.perf_counter()
    res = sim.run(bio_ms)
    sim_s = time.perf_counter() - t1
    counted = [p.name for p in net.populations if p.name not in HELPERS]
    spikes = int(sum(res[p].spike_times.size for p in counted))
    n_neurons = int(sum(net.get(p).N for p in counted))
    rate_pops = RATE_POPULATIONS.get(bench, counted)
    rate = sum(res[p].spike_times.size for p in rate_pops) / sum(net.get(p).N for p in rate_pops) / (bio_ms / 1e3)
    nbytes, nsyn = _synapse_bytes(sim)
    name = f"pyn-{sim.backend.name}"
    if sim.backend.name == "numba":
        name += f"-{sim.backend.threads}t"
    out = {"simulator": name, "bench": bench, "build_s": round(build_s, 4), "sim_s": round(sim_s, 4),
           "bio_ms": bio_ms, "spikes": spikes, "rate_Hz": round(rate, 4), "n_neurons": n_neurons,
           "n_synapses": nsyn, "bytes_per_synapse": round(nbytes / max(nsyn, 1), 3),
           "version": pyn_core.__version__ if hasattr(pyn_core, "__version__") else "0"}
    if bench == "stdp_song":
        from networks import DRIVE, GMAX
        w = sim.get_weights("inputs->neuron")[2] / (GMAX * DRIVE)
        out["hist10"] = [int(c) for c in np.histogram(np.clip(w, 0.0, 1.0), bins=10, range=(0.0, 1.0))[0]]
        out["out_spikes"] = int(res["neuron"].spike_times.size)
    return out


# ---------------------------------------------------------------------------
# the parent: subprocesses, the table
# ---------------------------------------------------------------------------
def _line(cmd, timeout) -> dict | None:
    """Run ``cmd``; its last stdout line parsed as JSON (None on failure, with a note on stderr)."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"timed out after {timeout} s: {' '.join(map(str, cmd))}\n")
        return None
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        sys.stderr.write(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n  " + "\n  ".join(tail) + "\n")
        return None
    return json.loads(lines[-1])


def pyn_cmd(bench, backend, threads, scale, seed):
    cmd = [sys.executable, str(HERE / "run.py"), "--worker", bench, "--backend", backend,
           "--duration-scale", repr(scale), "--seed", str(seed)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    return cmd


def peer_runs(bench, scale, seed):
    """(label, command) of every peer run, or [] when the peers are not installed."""
    if not PEERS_PY.exists():
        return []
    common = ["--json", "--duration-scale", repr(scale), "--seed", str(seed)]
    b2 = [str(PEERS_PY), str(HERE / "peers" / "brian2_nets.py"), bench]
    nest = [str(PEERS_PY), str(HERE / "peers" / "nest_nets.py"), bench]
    return [("brian2-cpp_standalone", b2 + ["--mode", "cpp_standalone"] + common),
            ("brian2-cython", b2 + ["--mode", "cython"] + common),
            ("nest-1t", nest + ["--threads", "1"] + common),
            ("nest-2t", nest + ["--threads", "2"] + common)]


def compare(bench, args) -> list[dict]:
    """Every run of one benchmark (pyN backends, then peers)."""
    rows = []
    scale = args.duration_scale
    for backend in args.backends:
        thread_list = args.threads if backend == "numba" else [None]
        for threads in thread_list:
            s = scale * (NUMPY_SCALE.get(bench, 1.0) if backend == "numpy" else 1.0)
            if backend == "numba":      # compile or load the kernels once, untimed
                _line(pyn_cmd(bench, backend, threads, 0.001 * scale, args.seed), args.timeout)
            best = None
            for _ in range(args.repeat):
                r = _line(pyn_cmd(bench, backend, threads, s, args.seed), args.timeout)
                if r is not None and (best is None or r["sim_s"] < best["sim_s"]):
                    best = r
            if best is not None:
                rows.append(best)
                _emit(best, args)
    if args.peers:
        for label, cmd in peer_runs(bench, scale, args.seed):
            if label.startswith("brian2"):    # warm: generated code compiled once beforehand
                warm = list(cmd)
                warm[warm.index("--duration-scale") + 1] = repr(0.001 * scale)
                _line(warm, args.timeout)
            best = None
            for _ in range(args.repeat):
                r = _line(cmd, args.timeout)
                if r is not None and (best is None or r["sim_s"] < best["sim_s"]):
                    best = r
            if best is not None:
                rows.append(best)
                _emit(best, args)
    return rows


def _emit(row, args):
    if args.json:
        print(json.dumps(row, separators=(", ", ": ")), flush=True)


def table(rows, full_ms) -> str:
    """The comparison table of one benchmark (sim s scaled to the full biological time)."""
    peers = [r for r in rows if not r["simulator"].startswith("pyn")]

    def full(r):
        return r["sim_s"] * full_ms / r["bio_ms"]

    best_peer = min((full(r) for r in peers), default=None)
    out = [f"{'simulator':<26}{'build s':>9}{'sim s':>11}{'spikes':>11}{'rate Hz':>9}{'B/syn':>7}  vs best peer"]
    for r in rows:
        scaled = abs(r["bio_ms"] - full_ms) > 1e-6
        sim = f"{full(r):.3f}{'*' if scaled else ' '}"
        spikes = f"{r['spikes'] * full_ms / r['bio_ms']:.0f}{'*' if scaled else ''}"
        ratio = f"{best_peer / full(r):.2f}x faster" if best_peer else ""
        if best_peer and full(r) > best_peer:
            ratio = f"{full(r) / best_peer:.2f}x slower"
        bps = f"{r['bytes_per_synapse']:.1f}" if "bytes_per_synapse" in r else ""
        out.append(f"{r['simulator']:<26}{r['build_s']:>9.2f}{sim:>11}{spikes:>11}{r['rate_Hz']:>9.2f}{bps:>7}  "
                   f"{ratio}")
        if "hist10" in r:
            out.append(f"{'':<26}w/gmax hist10 {r['hist10']}")
    return "\n".join(out)


def startup(bench: str, seed: int) -> dict:
    """First-process (cold JIT, empty cache) and second-process build time of the numba backend."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYN_CACHE_DIR=tmp, NUMBA_CACHE_DIR=os.path.join(tmp, "numba"))
        out = {}
        for label in ("first_process", "second_process"):
            t = time.perf_counter()
            cmd = pyn_cmd(bench, "numba", 1, 0.001, seed)
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
            wall = time.perf_counter() - t
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            out[label] = {"process_s": round(wall, 2),
                          "build_s": json.loads(line[-1])["build_s"] if line else None}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", nargs="*", help=f"benchmarks (default: {' '.join(BENCHES)}; also scale100k)")
    ap.add_argument("--json", action="store_true", help="one JSON line per run on stdout (alone: pyN's default "
                    "backend only)")
    ap.add_argument("--compare", action="store_true", help="with --json: run every backend and peer")
    ap.add_argument("--backends", default="numpy,numba", help="pyN backends to compare (default numpy,numba)")
    ap.add_argument("--threads", default="1,2", help="numba thread counts to compare (default 1,2)")
    ap.add_argument("--peers", dest="peers", action="store_true", default=True, help="run Brian2 and NEST")
    ap.add_argument("--no-peers", dest="peers", action="store_false")
    ap.add_argument("--duration-scale", type=float, default=1.0, metavar="F", help="multiply the biological time")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per configuration (the fastest is kept)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    ap.add_argument("--startup", action="store_true", help="measure the numba backend's cold and warm start-up")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    benches = args.bench or list(BENCHES)

    if args.worker:
        threads = None if args.threads in (None, "1,2") else int(args.threads)
        print(json.dumps(worker(benches[0], args.backend, threads, args.duration_scale, args.seed),
                         separators=(", ", ": ")), flush=True)
        return 0
    if args.startup:
        for b in benches:
            print(json.dumps({"bench": b, **startup(b, args.seed)}), flush=True)
        return 0
    if args.json and not args.compare:
        for b in benches:
            r = _line(pyn_cmd(b, "auto", None, args.duration_scale, args.seed), args.timeout)
            if r is None:
                return 1
            print(json.dumps(r, separators=(", ", ": ")), flush=True)
        return 0

    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.peers and not PEERS_PY.exists():
        sys.stderr.write("peers not installed (bash benchmarks/install_peers.sh); running pyN only\n")
    tables = []
    for b in benches:
        sys.path.insert(0, str(HERE))
        from networks import BIO_MS
        rows = compare(b, args)
        tables.append(f"\n{b} ({BIO_MS[b] * args.duration_scale / 1000:g} s of biological time)\n"
                      + table(rows, BIO_MS[b] * args.duration_scale))
    if not args.json:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"python {platform.python_version()}")
        print("\n".join(tables))
    else:
        sys.stderr.write("\n".join(tables) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
