"""pyN for Blender: build spiking networks from a panel and watch neurons light up as they spike.

The simulation is the ``pyn_core`` package's (bundled as a wheel); this add-on
only edits networks, places neurons in 3D and turns spikes into light.  Its
modules that need no ``bpy`` (``glow``, ``voltage``, ``naming``,
``spec_convert``, ``scene_data``, ``runtime``) are imported lazily so that
scripts, tests and the UPBGE component can use them outside Blender.
"""
from __future__ import annotations

_MODULES = ("properties", "operators", "panels", "driver")


def _modules():
    import importlib
    return [importlib.import_module(f"{__name__}.{name}") for name in _MODULES]


def register() -> None:
    """Register the PropertyGroup, operators, panels and handlers."""
    for module in _modules():
        module.register()


def unregister() -> None:
    """Undo :func:`register`."""
    for module in reversed(_modules()):
        module.unregister()
