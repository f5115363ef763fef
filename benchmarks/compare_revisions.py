"""pyN at another git revision against the working tree, benchmark by benchmark, in one invocation.

Usage::

    .venv/bin/python benchmarks/compare_revisions.py REV [BENCH ...] [--backend numba] [--repeats 3]

``REV`` (a commit, tag or branch) is checked out into a temporary git
worktree; each benchmark then runs alternately on ``REV`` and on the working
tree, each run a fresh process of ``benchmarks/run.py --worker`` (the
worktree's own runner and networks for ``REV``), warm (the compiled code of
each tree is loaded from its own cache directory after a first, untimed
run).  The table shows the best simulated-time wall clock of each side and
their ratio; alternating the runs spreads the machine's noise over both.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHES = ("izh1000", "coba4000", "stdp_song", "brunel_scaled", "cobahh")


def _worker(tree: Path, bench: str, backend: str, cache: Path, seed: int) -> dict | None:
    env = dict(os.environ, PYTHONPATH=str(tree), PYN_CACHE_DIR=str(cache))
    cmd = [sys.executable, str(tree / "benchmarks" / "run.py"), "--worker", bench, "--backend", backend,
           "--duration-scale", "1.0", "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=env, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}\n")
        return None
    return json.loads(lines[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="git revision to compare the working tree with")
    ap.add_argument("benches", nargs="*", default=list(BENCHES))
    ap.add_argument("--backend", default="numba")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per side (best is reported)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON line per benchmark instead of the table")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pyn-rev-") as tmp:
        old = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.rev], cwd=ROOT, check=True)
        try:
            rows = []
            for bench in args.benches:
                sides = {"rev": (old, Path(tmp) / "cache-rev"), "tree": (ROOT, Path(tmp) / "cache-tree")}
                best: dict[str, dict] = {}
                for name, (tree, cache) in sides.items():      # compile (or load) once, untimed
                    _worker(tree, bench, args.backend, cache, args.seed)
                for _ in range(args.repeats):
                    for name, (tree, cache) in sides.items():
                        r = _worker(tree, bench, args.backend, cache, args.seed)
                        if r is not None and (name not in best or r["sim_s"] < best[name]["sim_s"]):
                            best[name] = r
                if len(best) < 2:
                    continue
                a, b = best["rev"], best["tree"]
                row = {"bench": bench, "backend": args.backend, "rev": args.rev, "rev_sim_s": a["sim_s"],
                       "tree_sim_s": b["sim_s"], "ratio": round(b["sim_s"] / a["sim_s"], 3),
                       "rev_spikes": a["spikes"], "tree_spikes": b["spikes"], "rev_build_s": a["build_s"],
                       "tree_build_s": b["build_s"]}
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
            if not args.json:
                print(f"{'bench':<15}{'rev sim s':>11}{'tree sim s':>12}{'tree/rev':>10}{'spikes rev':>12}"
                      f"{'spikes tree':>13}")
                for r in rows:
                    print(f"{r['bench']:<15}{r['rev_sim_s']:>11.4f}{r['tree_sim_s']:>12.4f}{r['ratio']:>10.3f}"
                          f"{r['rev_spikes']:>12}{r['tree_spikes']:>13}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
