"""The reentrant thalamocortical circuit of the original pyN README."""
from __future__ import annotations

from .network import Network
from .population import IzhikevichPopulation


def thalamocortical_network() -> Network:
    """100 tonic-spiking thalamic and 50 phasic-bursting cortical Izhikevich neurons, reciprocally connected.

    Examples
    --------
    >>> net = thalamocortical_network()
    >>> [p.N for p in net.populations]
    [100, 50]
    """
    A = IzhikevichPopulation(name="thalamus", N=100, a=0.02, b=0.2, c=-65, d=6, v0=-70, u0=None)
    B = IzhikevichPopulation(name="cortex", N=50, a=0.02, b=0.25, c=-55, d=0.05, v0=-70, u0=None)
    brain = Network(populations=[A, B], name="thalamocortical")
    brain.connect(pre="thalamus", post="cortex")
    brain.connect(pre="cortex", post="thalamus", delay=2.25, std=0.25)
    return brain


#: The README's stimuli: a 20 on neuron 0 from 10 to 200 ms and 30 on neurons 0-2 from 50 to 300 ms.
THALAMUS_STIMULI = [{"start": 10, "stop": 200, "mV": 20, "neurons": [0]},
                    {"start": 50, "stop": 300, "mV": 30, "neurons": [0, 1, 2]}]


def run_demo(out_dir: str = "pyn-demo", seed: int = 1):
    """Run the README example, save the data and a PNG under ``out_dir``; returns (results, png)."""
    from .plotting import save_plots
    brain = thalamocortical_network()
    results = brain.simulate(experiment_name="Reentrant Thalamocortical Circuit", T=600, dt=0.25,
                             integration_time=30, I_ext={"thalamus": THALAMUS_STIMULI}, save_data=out_dir,
                             properties_to_save=["v", "u", "psc", "I_ext"], seed=seed)
    png = save_plots(results, out_dir)
    return results, png
