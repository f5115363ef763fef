"""The ``pyn`` command (also ``python -m pyn_core``): ``demo``, ``models``, ``run``, ``rerun``, ``sweep``,
``export`` (a run as NWB or SONATA), ``validate`` (every problem of a spec, with its path) and ``schema``
(the spec's JSON Schema).

``pyn --help`` lists the sub-commands and ``pyn CMD --help`` their options.  A
user error prints one line and exits with status 2 (``--debug`` shows the
traceback); Ctrl-C saves what a run recorded and exits with status 130.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .errors import PynError, PynValueError


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    if args.cmd in ("validate", "schema"):    # validate, schema: their own exit codes (0 valid, 2 problems)
        from .schema import run_schema, run_validate
        return (run_validate if args.cmd == "validate" else run_schema)(args)
    try:
        if args.cmd == "rerun":   # rerun: 0 when the spikes are identical, 1 when not
            from .recipe import command
            return command(args)
        _command(args)
    except (PynError, OSError) as exc:   # bad input or a run that cannot go on: the message says what to change
        if args.debug:
            raise
        parser.exit(2, f"{parser.prog}: error: {_one_line(exc)}\n")
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        parser.exit(130, f"{parser.prog}: {exc or 'interrupted'}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``pyn`` argument parser (every sub-command and option, each with its help)."""
    parser = argparse.ArgumentParser(prog="pyn", description="pyN spiking network simulator")
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="run the thalamocortical example, save data and a PNG")
    d.add_argument("--out", default="pyn-demo", help="output folder (default: ./pyn-demo)")
    d.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    sub.add_parser("models", help="list the neuron models and their presets")
    r = sub.add_parser("run", help="run a network spec (JSON) and save the results",
                       description="Run a network spec (JSON, see docs/spec.md) and save the run under --out.")
    r.add_argument("spec", help="the network spec, a JSON file")
    r.add_argument("--T", type=float, required=True, metavar="MS", help="duration in ms")
    r.add_argument("--dt", type=float, default=None, metavar="MS",
                   help="time step in ms (default: the spec's settings.dt)")
    r.add_argument("--seed", type=int, default=None, help="random seed (default: the spec's, else a fresh one, "
                                                          "recorded in the results)")
    r.add_argument("--backend", default="auto", help="auto (default), numpy or numba")
    r.add_argument("--record", action="append", default=[], metavar="POP:VAR",
                   help="record variable VAR of population POP (VAR alone: of every population that has it); "
                        "repeat the option or separate with commas, e.g. --record exc:v,inh:v")
    r.add_argument("--out", default="pyn-runs", metavar="DIR", help="folder the run is saved under (default: "
                                                                     "./pyn-runs)")
    r.add_argument("--quiet", action="store_true", help="no progress bar and no messages, only the summary")
    r.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    # sweep: parameter sweeps on Dask (pyn_core/sweeps.py)
    from .sweeps import add_parser as add_sweep_parser
    add_sweep_parser(sub)
    # rerun: repeat a saved run from its recipe (exit 0: identical spikes, 1: different; dispatch in main)
    rr = sub.add_parser("rerun", help="repeat a saved run from its recipe and compare the spikes")
    rr.add_argument("run_dir", help="a saved run's folder (meta.json + arrays.npz)")
    rr.add_argument("--out", default="pyn-runs", help="where the new run is saved (default: ./pyn-runs)")
    rr.add_argument("--backend", default=None, help="backend to run on (default: the one that made the run)")
    # export: a run in the formats other tools read (pyn_core.formats)
    e = sub.add_parser("export", help="write a run as NWB and/or SONATA spikes",
                       description="Write a run as an NWB file and/or a SONATA spike file. SOURCE is a saved "
                                   "pyN run's folder, or a spike file pyN reads (SONATA .h5, NWB .nwb), so "
                                   "another simulator's spikes can be converted too.")
    e.add_argument("source", help="a saved run's folder (meta.json + arrays.npz), or a SONATA/NWB spike file")
    e.add_argument("--nwb", metavar="FILE", help="write an NWB file (needs pip install 'pyn_core[nwb]')")
    e.add_argument("--sonata", metavar="FILE", help="write a SONATA spike file (needs pip install "
                                                    "'pyn_core[sonata]')")
    e.add_argument("--sorting", default="by_time", choices=("by_time", "by_id", "none"),
                   help="order of the spikes in the SONATA file (default: by_time)")
    e.add_argument("--force", action="store_true", help="replace files that exist (otherwise refused)")
    e.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    # -- validate, schema: check specs against the JSON Schema and the semantic rules (pyn_core.schema) --
    v = sub.add_parser("validate", help="check network specs (JSON): every problem, one line each with its path")
    v.add_argument("spec", nargs="+", help="spec file(s)")
    s = sub.add_parser("schema", help="print the JSON Schema of the network spec (for editors)")
    s.add_argument("--indent", type=int, default=2, help="indentation of the JSON (default 2)")
    # -- end validate, schema --
    return parser


def _one_line(exc) -> str:
    """An error as one line: an OSError as 'file: reason'."""
    if isinstance(exc, OSError) and not isinstance(exc, PynError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return " ".join(str(exc).split())


def _record(items) -> dict | list:
    """``--record`` values (``POP:VAR`` or ``VAR``, comma-separated or repeated) as a record spec."""
    pairs = [part.strip() for item in items for part in item.split(",") if part.strip()]
    if not pairs:
        return {}
    if all(":" not in p for p in pairs):
        return pairs
    out: dict = {}
    for p in pairs:
        if ":" not in p:
            raise PynValueError(f"--record {p!r}: give every item as POP:VAR when one is (or all as VAR)")
        pop, var = p.split(":", 1)
        out.setdefault(pop, []).append(var)
    return out


def _run(args) -> None:
    """``pyn run``: build the spec, check the output folder, run with progress, save."""
    from .network import Network
    from .results import plan_save
    try:
        with open(args.spec, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise PynValueError(f"{args.spec}: not a text file (a JSON network spec is expected)") from None
    net = Network.from_spec(text)
    target = plan_save(args.out, net.name)           # an unwritable --out fails before the run
    sim = net.build(dt=args.dt, seed=args.seed, backend=args.backend, record=_record(args.record),
                    progress=not args.quiet)
    try:
        sim.run(args.T, progress=not args.quiet)
    finally:
        res = sim.results
        res.save(args.out, folder=os.path.basename(target))
        sys.stdout.write(res.summary() + f"\n  data: {res.path}\n")


def _export(args) -> None:
    """``pyn export``: read the source, check every target, then write each (atomically)."""
    from .formats import read_spikes
    from .formats._files import need
    targets = [(flag, path) for flag, path in (("--nwb", args.nwb), ("--sonata", args.sonata)) if path]
    if not targets:
        raise PynValueError("export: give at least one of --nwb FILE, --sonata FILE")
    paths = [os.path.abspath(p) for _, p in targets]
    if len(set(paths)) < len(paths):
        raise PynValueError("export: --nwb and --sonata name the same file")
    for flag, path in targets:       # refused before anything is written
        need("pynwb" if flag == "--nwb" else "h5py", "the NWB format" if flag == "--nwb" else "the SONATA format")
        if os.path.lexists(path) and not args.force:
            raise PynValueError(f"export: {path!r} exists already; pass --force to replace it")
    res = read_spikes(args.source)
    for flag, path in targets:
        if flag == "--nwb":
            res.to_nwb(path, overwrite=args.force)
        else:
            res.to_sonata(path, overwrite=args.force, sorting=args.sorting)
        sys.stdout.write(f"{flag[2:]}: {path}\n")


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
    elif args.cmd == "export":
        _export(args)
    elif args.cmd == "sweep":       # sweep: parameter sweeps on Dask (pyn_core/sweeps.py)
        from .sweeps import command as sweep_command
        sweep_command(args)
    else:
        _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
