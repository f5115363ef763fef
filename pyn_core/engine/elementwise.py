"""The engine's elementwise arithmetic, written once for every backend.

Each function is plain arithmetic that works on numpy arrays (the numpy
backend calls it on the synapses or neurons of a step at once) and on scalars
inside compiled loops (the numba backend compiles it with
:func:`pyn_core.engine.numba.codegen.jit_function`, as it compiles neuron
models and synapse kinds).  The flags (``multiplicative``, ``potentiate``,
``facilitating``) are Python or numba booleans, never arrays.

Examples
--------
>>> import numpy as np
>>> stdp_pair(np.array([0.5, 0.9]), 1.0, 0.2, 0.0, 1.0, False, True).tolist()
[0.7, 1.0]
>>> float(rstdp_flush(0.5, 2.0, 0.1, 0.2, 0.0, 1.0))
0.7
>>> [round(float(x), 4) for x in tm_release(0.0, 1.0, 0.0, 0.5, 0.01, 0.0, False)]
[0.5, 0.5, 0.5]
"""
from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0 ** -53


def clip(w, w_min, w_max):
    """``w`` limited to ``[w_min, w_max]`` (NaN stays NaN)."""
    return np.minimum(np.maximum(w, w_min), w_max)


def stdp_pair(w, scaled, amp, w_min, w_max, multiplicative, potentiate):
    """Weight after one pair update of pair STDP, clipped to ``[w_min, w_max]``.

    ``scaled * amp`` is the other side's trace times the amplitude
    (``A_plus`` when potentiating, ``A_minus`` when depressing);
    multiplicative updates scale it by the distance to the bound (van Rossum
    et al. 2000), additive ones do not (Song et al. 2000).
    """
    if multiplicative:
        if potentiate:
            w = w + (w_max - w) * scaled * amp
        else:
            w = w - (w - w_min) * scaled * amp
    elif potentiate:
        w = w + scaled * amp
    else:
        w = w - scaled * amp
    return clip(w, w_min, w_max)


def rstdp_flush(w, a, g, G, w_min, w_max):
    """Weight of a reward-modulated synapse brought up to date: ``w + a (G - g)``, clipped.

    ``a`` is the eligibility scaled to the start of the epoch, ``g`` the value
    of the running dopamine integral ``G`` at the synapse's last update (the
    caller then sets ``g = G``).
    """
    return clip(w + a * (G - g), w_min, w_max)


def tm_release(u, x, elapsed, U, k_rec, k_fac, facilitating):
    """Tsodyks–Markram release at a presynaptic spike: ``(u, x after the release, r = u x)``.

    ``u`` and ``x`` are the values after the previous spike, ``elapsed`` the
    steps since it, ``k_rec = dt / tau_rec`` and ``k_fac = dt / tau_facil``
    (ignored unless ``facilitating``).
    """
    x = 1.0 - (1.0 - x) * np.exp(-elapsed * k_rec)
    if facilitating:
        u = u * np.exp(-elapsed * k_fac)
    else:
        u = u * 0.0
    u = u + U * (1.0 - u)
    r = u * x
    return u, x - r, r


def mix64(z):
    """The 64-bit finaliser of SplitMix64 (uint64 scalars and arrays; wraps around)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def hash_uniform(key_lo, key_hi, counter):
    """Uniforms in [0, 1) from 64-bit keys and uint64 counters: two rounds of :func:`mix64`.

    A counter-based stream: the same counter always gives the same number,
    whatever the order or thread that asks (numpy callers silence the
    overflow warnings of the wrap-around).
    """
    z = mix64(mix64(counter * _GOLDEN + key_lo) ^ key_hi)
    return (z >> _S11) * _TO_UNIT


def synaptic_current(I, I_ext, G, GE, v):
    """The synaptic current a neuron receives: current synapses plus ``G (E - v)`` of the conductances.

    ``I`` is the summed current input (external and synaptic), ``I_ext`` its
    external part, ``G`` the summed conductance and ``GE`` the summed
    conductance times reversal potential.  This is what ``I_syn`` records.
    """
    return I - I_ext + GE - G * v


#: Everything above, for the compiled backends' fingerprints.
FUNCTIONS = (clip, stdp_pair, rstdp_flush, tm_release, mix64, hash_uniform, synaptic_current)
