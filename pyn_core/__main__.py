"""Command line: ``python -m pyn_core demo`` runs the README example; ``info`` lists models; ``validate``
checks network specs and ``schema`` prints their JSON Schema."""
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
    # -- validate, schema: check specs against the JSON Schema and the semantic rules (pyn_core.schema) --
    v = sub.add_parser("validate", help="check network specs (JSON): every problem, one line each with its path")
    v.add_argument("spec", nargs="+", help="spec file(s)")
    s = sub.add_parser("schema", help="print the JSON Schema of the network spec (for editors)")
    s.add_argument("--indent", type=int, default=2, help="indentation of the JSON (default 2)")
    # -- end validate, schema --
    args = parser.parse_args(argv)
    if args.cmd in ("validate", "schema"):    # validate, schema: their own exit codes (0 valid, 2 problems)
        from .schema import run_schema, run_validate
        return (run_validate if args.cmd == "validate" else run_schema)(args)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
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
