"""The documentation stays true to the code: the step it quotes, the files it names, the examples it shows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyn_core import Results
from pyn_core.engine.phases import STEP, phase_names, schedule_summary

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_architecture_quotes_the_step_as_the_code_declares_it():
    text = (DOCS / "architecture.md").read_text()
    block = re.search(r"<!-- schedule_summary -->\n```\n(.*?)\n```\n<!-- /schedule_summary -->", text, re.S)
    assert block is not None, "docs/architecture.md lost its schedule_summary block"
    assert block.group(1) == schedule_summary()


def test_every_path_in_the_architecture_layout_exists():
    text = (DOCS / "architecture.md").read_text()
    paths = re.findall(r"^\| `((?:pyn_core|blender_addon|benchmarks|scenes|scripts)/[^`]*)`", text, re.M)
    assert len(paths) > 15
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_the_numpy_backend_has_one_method_per_phase_and_the_numba_driver_one_fragment_per_phase():
    from pyn_core.engine.numpy.backend import NumpyBackend
    for name in phase_names():
        assert callable(getattr(NumpyBackend, name)), name
    src = (ROOT / "pyn_core/engine/numba/codegen.py").read_text()
    for name in phase_names():
        assert f'"{name}":' in src, name
    assert len(STEP) == len(set(phase_names())) == 8


def test_the_code_blocks_of_extending_md_run():
    text = (DOCS / "extending.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for code in blocks:
        namespace: dict = {}
        exec(compile(code, "docs/extending.md", "exec"), namespace)


def _python_blocks(path: Path):
    """(code, reason not run or None) of every ```python block of a Markdown file, in order."""
    text = path.read_text()
    out = []
    for m in re.finditer(r"^([ \t]*)```python\n(.*?)^\1```", text, re.S | re.M):
        indent = m.group(1)
        code = "\n".join(line[len(indent):] for line in m.group(2).splitlines())
        before = text[:m.start()].rstrip().splitlines()[-1:] or [""]
        skip = re.search(r"<!-- not run: (.+?) -->", before[0])
        out.append((code, skip.group(1) if skip else None))
    return out


DOC_FILES = [ROOT / "README.md"] + sorted(p for p in DOCS.glob("*.md") if p.name != "extending.md")


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_every_python_block_of_the_docs_runs(path, tmp_path, monkeypatch):
    """Each file's blocks run in order in one namespace, in an empty folder; a block that cannot run here
    says why in a ``<!-- not run: reason -->`` line just before it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    for i, (code, reason) in enumerate(_python_blocks(path)):
        if reason is not None:
            assert len(reason) > 10, f"{path.name} block {i}: say why it is not run"
            continue
        exec(compile(code, f"{path.name}[{i}]", "exec"), namespace)
        for name, value in namespace.items():     # examples show activity in every population they run
            if isinstance(value, Results):
                silent = [p.name for p in value if p.spike_times.size == 0]
                assert not silent, f"{path.name} block {i}: {name} has populations without a spike: {silent}"
