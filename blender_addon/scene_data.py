"""``Scene.pyn`` as plain data: copied into and out of the PropertyGroup, and as the core's spec.

The PropertyGroup classes (:mod:`.properties`) only declare the fields; every
field is named like a key of the panel data of :mod:`.spec_convert`.  The
functions here copy between the two (:func:`panel_data`,
:func:`load_panel_data`), give a scene's network spec (:func:`scene_spec`,
:func:`set_scene_spec`) and bring data saved by older versions of the add-on
up to date (:func:`upgrade`).  They only read and set attributes, so this
module needs neither ``bpy`` nor the other modules of the add-on that do:
the property classes, the frame handler and the operators all import it, and
it imports none of them.
"""
from __future__ import annotations

import zlib

from . import spec_convert as sc

#: Version of the layout of ``Scene.pyn``; files saved with an older one are upgraded on load.
DATA_VERSION = 1

#: The numbers under which .blend files hold the choices of the panel's lists: a choice's
#: position in its tuple here.  Files saved before the lists came from the core hold them so;
#: never reorder these.  A choice new to a list is stored under a number made from its name
#: (:func:`enum_number`).
STORED_CHOICES = {
    "layout": ("grid", "sphere", "box", "explicit"),
    "rule": ("pairwise_bernoulli", "all_to_all", "one_to_one", "fixed_indegree", "fixed_outdegree"),
    "weight_dist": ("constant", "uniform", "normal", "lognormal"),
    "mode": ("excitatory", "inhibitory"),
    "plasticity": ("default", "none", "stdp", "rstdp"),
    "stimulus": ("current", "noise", "poisson"),
}

#: The synapse of connections and Poisson drives was a list of fixed choices stored as their
#: position in this tuple; it is now the kind's name (:func:`upgrade` converts old files).
STORED_SYNAPSES = ("default", "alpha", "exp", "delta", "pulse", "cond_exp")

#: Numbers from :func:`enum_number` start here, above every position in :data:`STORED_CHOICES`.
_FIRST_NAMED = 1 << 10


def enum_number(field: str, name: str) -> int:
    """The number a .blend file stores for the choice ``name`` of the panel's list ``field``.

    The same on every machine and in every session, whatever the order of the
    core's vocabulary.

    >>> enum_number("rule", "all_to_all")
    1
    >>> enum_number("rule", "some_new_rule") == enum_number("rule", "some_new_rule") >= 1024
    True
    """
    stored = STORED_CHOICES.get(field, ())
    if name in stored:
        return stored.index(name)
    return _FIRST_NAMED + zlib.crc32(name.encode()) % ((1 << 31) - _FIRST_NAMED)


_ITEM_DEFAULTS = {
    "populations": sc.default_population,
    "projections": sc.default_projection,
    "stimuli": sc.default_stimulus,
}

#: Panel data keys that are collections of ``{"name", "value"}`` rows.
_PARAM_ROWS = ("params", "synapse_params")


def _short(x: float) -> float:
    """A float property's value as typed (Blender stores float32: 0.1 reads back as 0.10000000149)."""
    return float(f"{x:.7g}")


def read_fields(pg, keys) -> dict:
    """Plain-data copy of the properties ``keys`` of a PropertyGroup (collections recursively)."""
    out = {}
    for key in keys:
        value = getattr(pg, key)
        if key in _PARAM_ROWS:
            value = [{"name": q.name, "value": _short(q.value)} for q in value]
        elif key in _ITEM_DEFAULTS:
            item_keys = list(_ITEM_DEFAULTS[key]())
            value = [read_fields(item, item_keys) for item in value]
        elif hasattr(value, "__len__") and not isinstance(value, str):
            value = [_short(x) for x in value]
        elif isinstance(value, float):
            value = _short(value)
        out[key] = value
    return out


def write_fields(pg, data: dict) -> None:
    """Set the properties of a PropertyGroup from plain data (collections are replaced)."""
    for key, value in data.items():
        if key in _PARAM_ROWS:
            rows = getattr(pg, key)
            rows.clear()
            for q in value:
                item = rows.add()
                item.name = q["name"]
                item.value = q["value"]
        elif key in _ITEM_DEFAULTS:
            coll = getattr(pg, key)
            coll.clear()
            for entry in value:
                write_fields(coll.add(), entry)
        else:
            setattr(pg, key, value)


def refresh_synapse_params(item) -> None:
    """Give a connection's or stimulus's ``synapse_params`` the rows of its synapse kind.

    One row per parameter of the kind that has no field of its own, keeping the
    values of rows already there; nothing changes while the kind is not
    registered (:func:`.spec_convert.synapse_param_rows`).
    """
    current = read_fields(item, ["synapse_params"])["synapse_params"]
    rows = sc.synapse_param_rows(item.synapse, current)
    if rows is not None and rows != current:
        write_fields(item, {"synapse_params": rows})


def panel_data(pyn) -> dict:
    """The panel data (plain dicts) of a ``Scene.pyn`` PropertyGroup."""
    return read_fields(pyn, list(sc.default_panel()))


def load_panel_data(pyn, data: dict) -> None:
    """Replace the content of ``Scene.pyn`` with panel data."""
    write_fields(pyn, data)
    pyn.active_population = min(pyn.active_population, max(0, len(pyn.populations) - 1))
    pyn.active_projection = min(pyn.active_projection, max(0, len(pyn.projections) - 1))
    pyn.active_stimulus = min(pyn.active_stimulus, max(0, len(pyn.stimuli) - 1))


def scene_spec(scene) -> dict:
    """The network spec of a scene's panel.

    Raises
    ------
    pyn_core.PynError
        If the panel refers to something that does not exist (the message
        names the field, :func:`.spec_convert.check_panel`).
    """
    return sc.spec_from_panel(panel_data(scene.pyn))


def set_scene_spec(scene, spec: dict) -> None:
    """Fill a scene's panel from a network spec."""
    load_panel_data(scene.pyn, sc.panel_from_spec(spec))


def stored_value(pg, key: str):
    """The value a PropertyGroup holds for ``key`` as saved, before Blender reads it as its property.

    Blender 5 keeps the data of ``bpy.props`` apart from custom properties
    (``bl_system_properties_get``); older versions give it by ``pg.get``.
    Reading a property whose saved value has another type discards that value,
    so an upgrade reads it here first.
    """
    getter = getattr(pg, "bl_system_properties_get", None)
    store = getter() if getter is not None else pg
    return None if store is None else store.get(key)


def _synapse_numbers_to_names(pyn) -> None:
    for item in (*pyn.projections, *pyn.stimuli):
        raw = stored_value(item, "synapse")
        if isinstance(raw, int) and not isinstance(raw, bool):
            item.synapse = STORED_SYNAPSES[raw] if 0 <= raw < len(STORED_SYNAPSES) else "default"


def upgrade(pyn) -> None:
    """Bring a ``Scene.pyn`` saved by an older add-on up to date.

    A synapse saved as the number of a fixed choice (:data:`STORED_SYNAPSES`)
    becomes the kind's name (the type of the saved value tells, so this needs
    no version), and a population saved without ``last_name`` gets its name
    there (so its first rename is followed too); then the steps up to :data:`DATA_VERSION` run in turn.  Run
    it before anything reads the panel (the ``load_post`` handler does).
    """
    _synapse_numbers_to_names(pyn)
    for pop in pyn.populations:        # saved before renames were followed: the name in use is the name
        if not pop.last_name:
            pop.last_name = pop.name
    steps: dict = {}  # {from_version: function(pyn)}; none yet
    while pyn.data_version < DATA_VERSION:
        step = steps.get(pyn.data_version)
        if step is not None:
            step(pyn)
        pyn.data_version += 1
