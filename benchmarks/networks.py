"""The standard benchmark networks, built with pyn_core (definitions: docs/performance.md)."""
from __future__ import annotations

import numpy as np

from pyn_core import IzhikevichPopulation, Network


def izh1000(seed: int = 1):
    """Izhikevich (2003) 'simple model' network: 800 excitatory + 200 inhibitory, all-to-all.

    Returns (network, dt_ms, duration_ms).
    """
    rng = np.random.default_rng(seed)
    re, ri = rng.random(800), rng.random(200)
    exc = IzhikevichPopulation("exc", N=800, a=0.02, b=0.2, c=-65 + 15 * re ** 2, d=8 - 6 * re ** 2,
                               v0=-65.0, v_substeps=2)
    inh = IzhikevichPopulation("inh", N=200, a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=-65.0, d=2.0,
                               v0=-65.0, v_substeps=2)
    net = Network([exc, inh], name="izh1000")
    for pre, mode, high in (("exc", "excitatory", 0.5), ("inh", "inhibitory", 1.0)):
        for post in ("exc", "inh"):
            net.connect(pre, post, rule="all_to_all", weight={"dist": "uniform", "low": 0.0, "high": high},
                        mode=mode, delay=1.0, std=0.0, synapse="pulse", plasticity=None,
                        allow_autapses=True)
    net.add_noise("exc", std=5.0)
    net.add_noise("inh", std=2.0)
    return net, 1.0, 1000.0


NETWORKS = {"izh1000": izh1000}
