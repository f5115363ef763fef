"""The step of a simulation, stated once: its phases in order.

Step ``k`` advances the state from ``t_k = k dt`` to ``t_(k+1)``.  Every
backend runs the phases of :data:`STEP` in this order; the numpy backend has
one method per phase, named as the phase, and walks the list; the numba
backend's driver is assembled from one code fragment per phase, named as the
phase, in the order of the list (:mod:`pyn_core.engine.numba.codegen`).  The
documentation quotes :func:`schedule_summary`.

The compiled backends may fuse phases (:data:`FUSIONS`): each fusion names
the phases it merges, when it applies and why the result is that of the
phases run one after the other.  The argument rests on what each phase reads
and writes (:class:`Phase`): receptor state is read only by ``sum_inputs``,
so ``decay`` may run right after it; ``deliver``, ``sum_inputs`` and
``decay`` touch only a neuron's own values, so for one neuron they can be done
in one pass, and with ``integrate`` too, when nothing in between needs every
neuron's inputs at once (recording) or touches the receptors (Poisson drive).

Examples
--------
>>> from pyn_core.engine.phases import STEP, phase_names
>>> phase_names()
['deliver', 'external_input', 'sum_inputs', 'record', 'integrate', 'propagate', 'plasticity', 'decay']
>>> STEP[0].writes
('receptor state', 'v (voltage kinds)', 'ring slot k')
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """One phase of the step: its name (the same in every backend), what it does, reads and writes."""

    name: str
    doc: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]


@dataclass(frozen=True)
class Fusion:
    """Phases a compiled backend runs as one pass, when that applies, and why it is exact."""

    name: str
    phases: tuple[str, ...]
    when: str
    why: str


#: The phases of a step, in order.
STEP: tuple[Phase, ...] = (
    Phase("deliver",
          "add this step's ring-buffer slot to each receptor (the synapse kind's arrive); voltage kinds "
          "make v jump; the slot is cleared",
          ("ring slot k", "receptor state"), ("receptor state", "v (voltage kinds)", "ring slot k")),
    Phase("external_input",
          "current windows and noise into I_ext; Poisson drive into its receptors (counts times the "
          "kind's arrival of the weight)",
          ("random streams",), ("I_ext", "receptor state", "v (voltage kinds)", "random streams")),
    Phase("sum_inputs",
          "I = I_ext + the values of the current kinds; G and GE = sums of g and g E of the conductance "
          "kinds",
          ("I_ext", "receptor state"), ("I", "G", "GE")),
    Phase("record",
          "sample the recorded traces: the state at t_k and the inputs of this step",
          ("neuron state", "I", "I_ext", "G", "GE"), ("recorder",)),
    Phase("integrate",
          "each population's model step from t_k to t_(k+1), refractory clamp, threshold, reset; "
          "spike sources fire",
          ("neuron state", "I", "G", "GE", "random streams"), ("neuron state", "spikes", "random streams")),
    Phase("propagate",
          "the synapses of this step's spikes add their weights (times the short-term release) to the "
          "ring slots k + delay; reward-modulated weights are brought up to date first",
          ("spikes", "weights", "delays"), ("ring slots k+1 ..", "short-term state", "weights (R-STDP)")),
    Phase("plasticity",
          "pair STDP and reward-modulated STDP of the synapses of this step's spikes; traces, eligibility "
          "and dopamine",
          ("spikes", "traces", "dopamine"), ("weights", "traces", "eligibility", "dopamine")),
    Phase("decay",
          "every receptor one step forward (the synapse kind's decay)",
          ("receptor state",), ("receptor state",)),
)

#: Fusions the compiled backends use.
FUSIONS: tuple[Fusion, ...] = (
    Fusion("receptor_pass", ("deliver", "sum_inputs", "decay"),
           "deliver joins when no Poisson stimulus targets a receptor (else it runs first, on its own)",
           "decay reads and writes only the receptor state, which after sum_inputs no phase of the step "
           "reads (record reads I, G, GE; propagate writes later ring slots, never slot k); all three are "
           "elementwise per neuron, so one pass per receptor gives the same numbers"),
    Fusion("population_kernel", ("deliver", "sum_inputs", "decay", "integrate"),
           "steps that do not record, without Poisson stimuli, populations whose parameters the kernel was "
           "made for",
           "as receptor_pass, and the model step of a neuron reads only that neuron's inputs; recording "
           "(which reads every neuron between sum_inputs and integrate) and Poisson drive (which writes "
           "receptors between deliver and sum_inputs) are excluded"),
    Fusion("propagate_decay", ("propagate", "decay"),
           "the threaded driver (one parallel region for both)",
           "propagate writes ring slots k+1 and later, decay the receptor state, and plasticity (between them "
           "in the list) reads neither"),
)


def phase_names() -> list[str]:
    """Names of the phases of :data:`STEP`, in order."""
    return [p.name for p in STEP]


def schedule_summary() -> str:
    """The step as text: the phases in order and the fusions compiled backends may use."""
    lines = ["Step k (t_k = k dt -> t_(k+1)):"]
    for i, p in enumerate(STEP, 1):
        lines.append(f"  {i}. {p.name}: {p.doc}")
    lines.append("Fusions (compiled backends):")
    for f in FUSIONS:
        lines.append(f"  {f.name} = {' + '.join(f.phases)}: {f.when}; exact because {f.why}")
    return "\n".join(lines)
