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


@pytest.fixture(scope="module")
def addon():
    """The add-on registered in Blender for the tests of a module (unregistered after them)."""
    import blender_addon
    blender_addon.register()
    yield blender_addon
    blender_addon.unregister()


@pytest.fixture
def scene(addon):
    """An empty factory scene with the add-on registered."""
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


#: Name of the synapse kind the tests register as a user's own script would.
USER_SYNAPSE = "user_biexp"


@pytest.fixture(scope="session")
def user_synapse():
    """A biexponential current registered with ``pyn_core.register_synapse`` (once per session).

    Parameters ``tau_rise`` (1 ms) and ``tau_decay`` (5 ms): none of them has a
    field of its own in the panel.
    """
    import math

    pyn_core = pytest.importorskip("pyn_core")
    if USER_SYNAPSE in pyn_core.synapse_kinds():
        return pyn_core.get_synapse_kind(USER_SYNAPSE)

    def peak(tr, td, dt):
        t = tr * td / (td - tr) * math.log(td / tr)
        return 1.0 / (math.exp(-t / td) - math.exp(-t / tr))

    kind = pyn_core.SynapseKind(
        name=USER_SYNAPSE,
        params={"tau_rise": pyn_core.Param(1.0, "ms", "rise time"),
                "tau_decay": pyn_core.Param(5.0, "ms", "decay time")},
        state=("a", "b"),
        arrive=lambda a, b, w, tr, td, n, fa, fb: (a + w * n, b + w * n),
        decay=lambda a, b, tr, td, n, fa, fb, dt: (a * fa, b * fb),
        output="current",
        value=lambda a, b, tr, td, n, fa, fb: a - b,
        constants={"norm": peak,
                   "fa": lambda tr, td, dt: math.exp(-dt / td),
                   "fb": lambda tr, td, dt: math.exp(-dt / tr)},
        positive=("tau_rise", "tau_decay"),
        doc="biexponential current, peak w")
    return pyn_core.register_synapse(kind)
