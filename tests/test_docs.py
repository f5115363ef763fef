"""The documentation stays true to the code: the step it quotes, the files it names, the examples it shows."""
from __future__ import annotations

import re
from pathlib import Path

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
