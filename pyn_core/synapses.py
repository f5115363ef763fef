"""Synapse kinds: how an arriving spike of weight ``w`` shapes the input.

===========  ============================================================  ===============
kind         effect of a spike of weight w arriving at time 0               input type
===========  ============================================================  ===============
``delta``    the membrane potential jumps by w (mV)                         voltage jump
``pulse``    a current w during the one step it arrives in                 current
``exp``      current ``w exp(-t/tau)``                                      current
``alpha``    current ``w (t/tau) exp(1 - t/tau)``: peaks at w after tau     current
             ms (the original pyN ``t exp(-t/tau_psc)`` shape, normalised
             to its peak); two coupled exponentials, integrated exactly
``cond_exp`` conductance ``w exp(-t/tau)`` with reversal potential E:         conductance
             current ``g (E - v)``
===========  ============================================================  ===============

Decays are exact (the factor ``exp(-dt/tau)`` per step).  Synapses of the same
kind, time constant and reversal potential onto one population share their
state (the equations are linear), so the cost is per receptor, not per synapse.
"""
from __future__ import annotations

from ._checks import check_real

KINDS = ("delta", "pulse", "exp", "alpha", "cond_exp")


def normalise_synapse(syn, where: str) -> dict:
    """Validate a synapse given as a kind name or a dict; returns a full dict."""
    if isinstance(syn, str):
        syn = {"kind": syn}
    if not isinstance(syn, dict) or syn.get("kind") not in KINDS:
        raise ValueError(f"{where}: synapse kind must be one of {', '.join(KINDS)}, got {syn!r}")
    out = {"kind": syn["kind"]}
    if out["kind"] in ("exp", "alpha", "cond_exp"):
        out["tau"] = check_real(syn.get("tau", 5.0), f"{where}: synapse tau", strictly_positive=True)
    if out["kind"] == "cond_exp" and syn.get("E") is not None:
        out["E"] = check_real(syn["E"], f"{where}: synapse reversal potential E")
    unknown = set(syn) - {"kind", "tau", "E"}
    if unknown:
        raise ValueError(f"{where}: unknown synapse field(s) {sorted(unknown)}; allowed: kind, tau, E")
    return out


def receptor_key(syn: dict) -> tuple:
    """Synapses with equal keys onto one population share a receptor."""
    return (syn["kind"], syn.get("tau", 0.0), syn.get("E", 0.0))
