"""Tests of the Blender add-on (``blender_addon/``).

Tests marked ``requires_bpy`` run inside Blender-as-a-module (``pip install
bpy``) and are skipped where it is missing; the others need only numpy.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HAVE_BPY = importlib.util.find_spec("bpy") is not None


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_bpy: needs Blender as a Python module (pip install bpy)")


def pytest_runtest_setup(item):
    if item.get_closest_marker("requires_bpy") is not None and not HAVE_BPY:
        pytest.skip("bpy is not installed (pip install bpy==5.0.1 on Python 3.11)")
