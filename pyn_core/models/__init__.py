"""Neuron model registry.

Every model is a :class:`~pyn_core.models.base.NeuronModel` defined in its own
module; user models register with :func:`register_model` and then run on every
backend.

Examples
--------
>>> from pyn_core.models import models, presets
>>> [m for m in ("adex", "hh", "izhikevich", "lif") if m in models()]
['adex', 'hh', 'izhikevich', 'lif']
>>> presets("izhikevich")[:2]
['tonic_spiking', 'phasic_spiking']
"""
from __future__ import annotations

from ..errors import PynLookupError, PynTypeError, PynValueError
from . import adex, hh, izhikevich, lif
from .base import NeuronModel, Param

_REGISTRY: dict[str, NeuronModel] = {}


def register_model(model: NeuronModel) -> NeuronModel:
    """Add ``model`` to the registry under ``model.name`` (replacing none)."""
    if not isinstance(model, NeuronModel):
        raise PynTypeError(f"register_model expects a NeuronModel, got {type(model).__name__}")
    if model.name in _REGISTRY and _REGISTRY[model.name] is not model:
        raise PynValueError(f"a model named {model.name!r} is already registered")
    _REGISTRY[model.name] = model
    return model


for _m in (izhikevich.MODEL, adex.MODEL, hh.MODEL, lif.MODEL):
    register_model(_m)


def models() -> list[str]:
    """Names of the registered models, sorted."""
    return sorted(_REGISTRY)


def get_model(name: str) -> NeuronModel:
    """The registered model called ``name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):   # TypeError: an unhashable name
        raise PynLookupError(f"unknown neuron model {name!r}; known models: {', '.join(models())}") from None


def presets(model: str) -> list[str]:
    """Preset names of ``model``, in their published order."""
    return list(get_model(model).presets)


__all__ = ["NeuronModel", "Param", "register_model", "models", "get_model", "presets"]
