"""Names of the Blender data a scene's pyN view is made of (free of ``bpy``).

Every scene gets a *view id* the first time its network is built (kept in
``Scene.pyn.view_id``, so renaming the scene later changes nothing): its name
with every character other than letters, digits, ``_``, ``-`` and spaces
replaced by ``_``, made unique among the scenes of the file.  Names are then::

    pyN.<view id>.<population>      the object (and mesh and material) of a population
    pyN.<view id>:<helper>          camera, light, connection tubes, labels
    pyN.<view id>                   the collection holding them

A view id never contains ``.`` or ``:``, so the part between ``pyN.`` and the
next ``.`` or ``:`` tells the scene apart whatever the population is called, and
two scenes of one .blend never share an object.  Scenes built by add-on
versions before view ids have an empty id and the old names
(``pyN.<population>``, ``pyN.camera``, collection ``pyN``) until they are built
again.

Examples
--------
>>> object_name("Scene", "thalamus")
'pyN.Scene.thalamus'
>>> helper_name("Scene", "camera")
'pyN.Scene:camera'
>>> new_view_id("My scene.001", taken=["My scene_001"])
'My scene_001_2'
>>> object_name("", "thalamus")
'pyN.thalamus'
"""
from __future__ import annotations

import re

ROOT = "pyN"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\- ]")


def sanitize(name: str) -> str:
    """A scene name turned into a view id (no ``.`` or ``:``; never empty).

    >>> sanitize("Scene.001")
    'Scene_001'
    """
    return _UNSAFE.sub("_", str(name)).strip() or "scene"


def new_view_id(scene_name: str, taken=()) -> str:
    """A view id for a scene called ``scene_name`` that no id in ``taken`` equals."""
    base = sanitize(scene_name)
    taken = set(taken)
    if base not in taken:
        return base
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


def object_name(view_id: str, population: str) -> str:
    """Name of the object (and its mesh and material) showing ``population``."""
    return f"{ROOT}.{view_id}.{population}" if view_id else f"{ROOT}.{population}"


def helper_name(view_id: str, what: str) -> str:
    """Name of a scene's helper object: ``camera``, ``light``, ``connections``, ``label <population>``."""
    return f"{ROOT}.{view_id}:{what}" if view_id else f"{ROOT}.{what}"


def collection_name(view_id: str) -> str:
    """Name of the collection holding a scene's pyN objects."""
    return f"{ROOT}.{view_id}" if view_id else ROOT


def view_id_of(object_name_: str, population: str) -> str | None:
    """The view id of an object named for ``population`` (``""`` for the old names), else None.

    >>> view_id_of("pyN.Scene.thalamus", "thalamus"), view_id_of("pyN.thalamus", "thalamus")
    ('Scene', '')
    >>> view_id_of("pyN.a.b.thalamus", "thalamus") is None
    True
    """
    head = f"{ROOT}."
    tail = f".{population}"
    if object_name_ == head + population:
        return ""
    if not (object_name_.startswith(head) and object_name_.endswith(tail)):
        return None
    middle = object_name_[len(head):len(object_name_) - len(tail)]
    if not middle or "." in middle or ":" in middle:
        return None
    return middle
