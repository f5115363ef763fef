"""The ``pyn`` command behaves like a command: help for every option, one clear line and status 2 for a
user's mistake (a traceback only with --debug), the options of a run honoured, progress only on a terminal."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pyn_core import IzhikevichPopulation, LIFPopulation, Network, load_results
from pyn_core.__main__ import main
from pyn_core.progress import ProgressBar


@pytest.fixture
def spec_file(tmp_path):
    net = Network([IzhikevichPopulation("exc", N=20, connectivity="sparse-random", scale=4.0),
                   LIFPopulation("inh", N=5)], name="cli net")
    net.connect("exc", "inh", rule="all_to_all", weight=2.0)
    net.add_current("exc", 10.0)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(net.to_spec()))
    return path


def run_cli(*args, capsys):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("make,match", [
    (lambda p: p.parent / "missing.json", r"missing\.json: No such file or directory"),
    (lambda p: (p.write_text("{not json"), p)[1], r"invalid JSON"),
    (lambda p: (p.write_text(json.dumps({"format": "pyn-network", "version": 1, "populations": [
        {"name": "a", "model": "lif", "N": 0}]})), p)[1], r"populations\[0\].*N"),
    (lambda p: (p.write_bytes(b"\xff\xfe\x00"), p)[1], r"not a text file"),
])
def test_user_errors_are_one_line_and_status_2(spec_file, tmp_path, capsys, make, match):
    code, out, err = run_cli("run", make(spec_file), "--T", 5, "--out", tmp_path / "runs", capsys=capsys)
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("pyn: error: ")
    import re
    assert re.search(match, err), err


def test_an_unwritable_out_fails_before_the_run(spec_file, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_cli("run", spec_file, "--T", 1e6, "--out", blocker / "runs", capsys=capsys)
    assert code == 2 and "cannot save runs under" in err and out == ""


def test_debug_shows_the_traceback(spec_file, tmp_path, capsys):
    with pytest.raises(OSError):
        main(["run", str(tmp_path / "missing.json"), "--T", "5", "--debug"])
    with pytest.raises(OSError):
        main(["--debug", "run", str(tmp_path / "missing.json"), "--T", "5"])


def test_run_options_are_honoured(spec_file, tmp_path, capsys):
    out_dir = tmp_path / "runs"
    code, out, err = run_cli("run", "--record", "exc:v", "--record", "inh:v,inh:I_syn", spec_file, "--T", 20,
                             "--dt", 0.05, "--seed", 7, "--backend", "numpy", "--out", out_dir, "--quiet",
                             capsys=capsys)
    assert code == 0, err
    assert err == ""                                    # --quiet: nothing but the summary on stdout
    (folder,) = os.listdir(out_dir)
    res = load_results(out_dir / folder)
    assert res.dt == 0.05 and res.seed == 7 and res.meta["backend"] == "numpy"
    assert res["exc"].v.shape == (400, 20) and sorted(res["inh"].traces) == ["I_syn", "v"]
    assert res["exc"].spike_times.size > 0 and str(res.path) in out


def test_record_a_variable_of_every_population(spec_file, tmp_path, capsys):
    code, out, err = run_cli("run", spec_file, "--T", 5, "--record", "v", "--out", tmp_path / "runs", "--quiet",
                             "--backend", "numpy", capsys=capsys)
    assert code == 0, err
    res = load_results(tmp_path / "runs" / os.listdir(tmp_path / "runs")[0])
    assert "v" in res["exc"].traces and "v" in res["inh"].traces


def test_mixed_record_forms_are_refused(spec_file, tmp_path, capsys):
    code, out, err = run_cli("run", spec_file, "--T", 5, "--record", "exc:v,u", "--out", tmp_path, capsys=capsys)
    assert code == 2 and "POP:VAR" in err


def test_every_option_has_help(capsys):
    import argparse
    from pyn_core.__main__ import build_parser
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"demo", "models", "run", "rerun", "sweep"} <= set(subs.choices)
    assert all(c.help for c in subs._choices_actions)                   # every sub-command listed with help
    for name, sp in [("pyn", parser)] + list(subs.choices.items()):
        for action in sp._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"{name}: no help for {action.option_strings or action.dest}"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "rerun" in capsys.readouterr().out


def test_progress_is_silent_in_a_pipe(spec_file, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pyn_core", "run", str(spec_file), "--T", "50", "--out",
                           str(tmp_path), "--backend", "numpy"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "%|" not in proc.stderr


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_shows_elapsed_rate_and_time_left():
    stream = FakeTerminal()
    bar = ProgressBar(100.0, start_ms=50.0, stream=stream)
    assert bar.enabled
    for i in range(1, 11):
        bar.update(i / 10, 50.0 + 10 * i)
    bar.close()
    text = stream.getvalue()
    assert "100.0/100.0 ms" in text and "100%" in text
    pytest.importorskip("tqdm")
    assert "ms/s" in text and "<" in text         # rate in simulated ms per second, elapsed<remaining


def test_progress_true_from_python_draws_on_a_terminal(monkeypatch):
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    sim = Network([LIFPopulation("a", N=2)]).build(dt=0.1, seed=0, backend="numpy")
    sim.run(10.0, progress=True)
    assert "10.0/10.0 ms" in stream.getvalue()
    np.testing.assert_equal(sim.t, 10.0)


def three_connections():
    net = Network([LIFPopulation("a", N=30), LIFPopulation("b", N=30)], name="three")
    net.connect("a", "b", rule="all_to_all", weight=1.0, name="ab")
    net.connect("b", "a", rule="all_to_all", weight=1.0, name="ba")
    net.connect("a", "a", rule={"name": "pairwise_bernoulli", "p": 0.2}, weight=1.0, name="aa")
    return net


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=pytest.mark.requires_numba)])
def test_the_build_reports_its_stages_to_a_callback(backend):
    seen = []
    sim = three_connections().build(dt=0.1, seed=0, backend=backend,
                                    progress=lambda stage, done, total: seen.append((stage, done, total)))
    connecting = "building 'three': connections"
    assert seen[:4] == [(connecting, 0, 3), (connecting, 1, 3), (connecting, 2, 3), (connecting, 3, 3)]
    if backend == "numba":      # then the backend's preparation: compiled now, or loaded from the cache
        assert len(seen) == 5 and seen[4][0] in ("compiling the numba kernels (once)",
                                                 "loading the compiled numba kernels") and seen[4][1:] == (0, None)
    else:
        assert len(seen) == 4
    assert sim.n_synapses > 0


def test_the_build_draws_its_stages_on_a_terminal_only(monkeypatch):
    import pyn_core.progress as progress_module
    monkeypatch.setattr(progress_module, "SHOW_AFTER_S", 0.0)      # every stage drawn, however short
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    three_connections().build(dt=0.1, seed=0, backend="numpy", progress=True)
    text = stream.getvalue()
    assert "building 'three': connections" in text and "3/3" in text and text.endswith("\n")
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    three_connections().build(dt=0.1, seed=0, backend="numpy", progress=True)
    assert pipe.getvalue() == ""
    with pytest.raises(TypeError, match="progress must be"):
        three_connections().build(dt=0.1, seed=0, backend="numpy", progress="yes")


def test_a_long_stage_keeps_its_elapsed_time_moving():
    # one long step (one big connection, the numba compile) does not freeze the clock on the screen
    import time

    from pyn_core.progress import BuildProgress
    stream = FakeTerminal()
    with BuildProgress(True, stream=stream, delay=0.1).stage("compiling") as stage:
        stage.working_on("everything")
        time.sleep(1.3)
    text = stream.getvalue()
    assert "compiling (everything)" in text
    assert "00:01]" in text or "1 s]" in text        # redrawn while the step ran (tqdm or the plain bar)
    quick = FakeTerminal()
    with BuildProgress(True, stream=quick).stage("quick", total=1) as stage:
        stage.advance()
    assert quick.getvalue() == ""                    # a stage shorter than half a second shows nothing
