"""Command line: ``python -m pyn_core demo`` runs the README example; ``info`` lists models."""
from __future__ import annotations

import argparse
import logging
import sys

from .errors import PynError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pyn", description="pyN spiking network simulator")
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="run the thalamocortical example, save data and a PNG")
    d.add_argument("--out", default="pyn-demo", help="output folder (default: ./pyn-demo)")
    d.add_argument("--seed", type=int, default=1)
    sub.add_parser("models", help="list the neuron models and their presets")
    r = sub.add_parser("run", help="run a network spec (JSON) and save the results")
    r.add_argument("spec")
    r.add_argument("--T", type=float, required=True, help="duration in ms")
    r.add_argument("--out", default="pyn-runs")
    r.add_argument("--record", nargs="*", default=[])
    # sweep: parameter sweeps on Dask (pyn_core/sweeps.py)
    from .sweeps import add_parser as add_sweep_parser
    add_sweep_parser(sub)
    # rerun: repeat a saved run from its recipe (exit 0: identical spikes, 1: different; dispatch in main)
    rr = sub.add_parser("rerun", help="repeat a saved run from its recipe and compare the spikes")
    rr.add_argument("run_dir", help="a saved run's folder (meta.json + arrays.npz)")
    rr.add_argument("--out", default="pyn-runs", help="where the new run is saved (default: ./pyn-runs)")
    rr.add_argument("--backend", default=None, help="backend to run on (default: the one that made the run)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.cmd == "rerun":   # rerun: 0 when the spikes are identical, 1 when not
            from .recipe import command
            return command(args)
        _command(args)
    except PynError as exc:   # bad input or a run that cannot go on: the message says what to change
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    return 0


def _command(args) -> None:
    """Run the sub-command of the parsed ``args``."""
    if args.cmd == "demo":
        from .demo import run_demo
        results, png = run_demo(args.out, args.seed)
        sys.stdout.write(results.summary() + f"\n  data:   {results.path}\n  figure: {png}\n")
    elif args.cmd == "models":
        from .models import get_model, models
        for name in models():
            m = get_model(name)
            sys.stdout.write(f"{name}  (input: {m.input_unit})\n{m.parameter_table()}\n")
            if m.presets:
                sys.stdout.write("  presets: " + ", ".join(m.presets) + "\n")
            sys.stdout.write("\n")
    elif args.cmd == "sweep":       # sweep: parameter sweeps on Dask (pyn_core/sweeps.py)
        from .sweeps import command as sweep_command
        sweep_command(args)
    else:
        from .network import Network
        with open(args.spec, encoding="utf-8") as f:
            net = Network.from_spec(f.read())
        sim = net.build(record=args.record)
        sim.run(args.T, progress=True)
        res = sim.results
        res.save(args.out)
        sys.stdout.write(res.summary() + f"\n  data: {res.path}\n")


if __name__ == "__main__":
    raise SystemExit(main())
