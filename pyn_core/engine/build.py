"""Build: a Network description compiled into preallocated arrays.

Everything a backend's step needs lives here, as plain numpy arrays grouped
in small classes; the arrays are allocated once and updated in place.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..connectivity import to_csr
from ..errors import PynValueError, PynWarning
from ..plasticity import DEFAULTS
from ..population import SourcePopulation
from ..synapses import get_synapse_kind, receptor_key
from .resources import steps_of

class PopArrays:
    """State, parameters and per-step inputs of one population."""

    def __init__(self, index, pop, dt):
        self.index, self.name, self.N, self.desc = index, pop.name, pop.N, pop
        self.is_source = isinstance(pop, SourcePopulation)
        self.spiked = np.zeros(pop.N, dtype=bool)
        self.I_ext = np.zeros(pop.N)
        self.has_ext = False
        if self.is_source:
            self.model = None
            self.state, self.params = {}, {}
            return
        m = self.model = pop.model
        self.state = pop.initial_state()
        self.params = {k: pop.param_array(k) for k in m.params}
        self.state_list = [self.state[k] for k in m.state]
        self.param_list = [self.params[k] for k in m.params]
        self.options = tuple(pop.options[k] for k in m.options)
        self.reset_state_idx = [m.state.index(k) for k in m.reset_state]
        self.reset_param_list = [self.params[k] for k in m.reset_params]
        self.threshold = self.params[m.threshold]
        self.v = self.state[m.voltage]
        self.v_prev = self.v.copy()
        self.I = np.zeros(pop.N)           # current-type input
        self.G = np.zeros(pop.N)           # summed conductance
        self.GE = np.zeros(pop.N)          # summed conductance x reversal potential
        self.has_cond = False
        if m.refractory:
            self.ref_steps = steps_of(self.params[m.refractory], dt)   # beyond any run: refractory for good
            self.ref_count = np.zeros(pop.N, dtype=np.int64)
            self.clamp = self.params[m.clamp_to]
        else:
            self.ref_steps = None


class Receptor:
    """Shared synaptic state of one synapse kind with one set of parameters onto one population.

    Attributes
    ----------
    kind : SynapseKind
        The declaration (:mod:`pyn_core.synapses`).
    args : tuple of float
        What the kind's functions take after the state (and ``w``): the
        values of its dynamic parameters, then the build-time constants.
    state : ndarray, shape (len(kind.state), N)
        One row per state variable (``rows``: the rows as a list of views).
    E : float
        The reversal potential of a conductance kind (0 otherwise).
    ring : ndarray, shape (ring_len, N)
        Weights arriving at each of the next steps.
    """

    def __init__(self, post, syn, N, ring_len, dt, dtype=np.float64):
        self.post = post
        self.kind = get_synapse_kind(syn["kind"])
        self.output = self.kind.output
        params = tuple(float(syn[p]) for p in self.kind.dynamic_params)
        self.args = params + self.kind.constant_values(params, dt)
        self.E = float(syn["E"]) if self.output == "conductance" else 0.0
        self.ring = np.zeros((ring_len, N), dtype=dtype)   # float32 with settings["dtype"]
        self.state = np.zeros((len(self.kind.state), N))
        self.rows = list(self.state)
        self.zero = (0.0,) * len(self.kind.state)

    def increments(self, w: float) -> tuple[float, ...]:
        """What one arriving spike of weight ``w`` adds to each state variable (the kind's arrive at 0).

        For a voltage kind, a one-element tuple: the jump of ``v``.
        """
        new = self.kind.arrive(*self.zero, w, *self.args)
        if self.output == "voltage":
            return (float(self.kind.value(*new, *self.args)),)
        return tuple(float(x) for x in new)


class ProjArrays:
    """CSR synapses (by presynaptic neuron) of one projection."""

    def __init__(self, index, proj, pre, post, receptor, pre_idx, post_idx, weight, delay, sign,
                 dtype=np.float64):
        self.index, self.name, self.desc = index, proj.name, proj
        self.pre, self.post, self.receptor = pre, post, receptor
        self.enabled = proj.enabled
        self.indptr = to_csr(pre_idx, pre.N)
        self.post_idx = post_idx.astype(np.int32)
        if weight.size and weight.strides == (0,):     # one weight for every synapse: kept as one value
            self.weight = np.broadcast_to(weight[:1].astype(dtype), weight.shape)
        else:
            self.weight = np.ascontiguousarray(weight, dtype=dtype)
        self.n = weight.size
        dmin = int(delay.min()) if delay.size else 1
        dmax = int(delay.max()) if delay.size else 1
        self.uniform_delay = dmin if dmin == dmax else None
        # per-synapse delays in the narrowest type: 1 byte up to 255 steps, 2 up to 32767
        ddtype = np.uint8 if dmax < 256 else (np.int16 if dmax < 32768 else np.int32)
        self.delay = None if self.uniform_delay is not None else delay.astype(ddtype)
        self.max_delay = dmax
        self.sign = sign
        self.stdp = None      # the learning rule's parameters (dict) when the connection learns
        self.plastic = None   # its state (plasticity.PlasticConnection)
        self.stp = None       # short-term plasticity parameters (dict)
        self.stp_state = None

    def enable_stdp(self, params, scale, dt):
        """Prepare the learning state of the rule ``params`` (``rule`` "stdp" or "rstdp").

        ``self.stdp`` holds the parameters with ``w_max`` resolved, ``self.plastic``
        the state the numpy backend updates (see :mod:`.plasticity`).
        """
        from .plasticity import PlasticConnection
        if not self.weight.flags.writeable:                # learning weights need one value per synapse
            self.weight = np.array(self.weight)
        p = dict(DEFAULTS[params.get("rule", "stdp")])
        p.update(params)
        if p["w_max"] is None:
            p["w_max"] = float(max(np.max(self.weight, initial=0.0), abs(scale)))
        self.stdp = p
        self.decay_plus = math.exp(-dt / p["tau_plus"])
        self.decay_minus = math.exp(-dt / p["tau_minus"])
        self.pre_of = np.repeat(np.arange(self.pre.N, dtype=np.int32), np.diff(self.indptr))
        self.col_syn = np.argsort(self.post_idx, kind="stable").astype(np.int64)
        self.col_ptr = to_csr(self.post_idx[self.col_syn], self.post.N)
        delays = self.uniform_delay if self.uniform_delay is not None else self.delay
        self.plastic = PlasticConnection(p, self.weight, self.pre_of, self.post_idx, delays, self.pre.N,
                                         self.post.N, dt, self.pre is self.post)

    def enable_stp(self, params, dt):
        """Prepare Tsodyks–Markram short-term plasticity (state per presynaptic neuron)."""
        from .plasticity import STPState
        self.stp = dict(params)
        self.stp_state = STPState(params, self.pre.N, dt)


def _warn_rounding(q, dt: float):
    """Warn when a connection's delay is rounded by more than half a step (it is shorter than half a step
    and becomes one step: the shortest delay there is)."""
    if q.delay_matrix is not None or isinstance(q.delay, np.ndarray):
        d = np.asarray(q.delay_matrix if q.delay_matrix is not None else q.delay, dtype=float)
        short = float(d.min()) if d.size else dt
    else:
        short = float(q.delay)
    if short < 0.5 * dt:
        warnings.warn(f"connection {q.name!r}: a delay of {short:g} ms is rounded up to one step of dt = {dt:g} ms "
                      f"(delays are whole steps, at least one); use a smaller dt to keep it", PynWarning,
                      stacklevel=4)


def compile_network(net, dt, rng, stdp, progress=None):
    """Populations, receptors and projections of ``net`` as arrays.

    ``progress`` (a :class:`pyn_core.progress.BuildProgress`) shows the
    connections being drawn, one by one.

    ``net.settings["dtype"]`` (``"float64"``, default, or ``"float32"``) is the
    type of the weights and of the delay ring buffers: float32 halves their
    memory (a static synapse then takes 8 bytes, 9 with its own delay).
    """
    try:
        dtype = np.dtype(net.settings.get("dtype", "float64"))
    except TypeError:
        dtype = None
    if dtype not in (np.float32, np.float64):
        raise PynValueError(f"settings['dtype'] must be 'float32' or 'float64', got {net.settings.get('dtype')!r}")
    pops = [PopArrays(i, p, dt) for i, p in enumerate(net.populations)]
    by_name = {p.name: p for p in pops}
    drawn = []
    if progress is None:
        from ..progress import BuildProgress
        progress = BuildProgress(None)
    with progress.stage(f"building {net.name!r}: connections", total=len(net.projections)) as stage:
        for q in net.projections:
            stage.working_on(q.name)
            pre, post = by_name[q.pre], by_name[q.post]
            _warn_rounding(q, dt)
            pre_idx, post_idx, w, steps = q.instantiate(pre.desc, post.desc, dt, rng)
            drawn.append((q, pre, post, pre_idx, post_idx, w, steps))
            stage.advance()
    ring_len = 1 + max([int(d[6].max()) for d in drawn if d[6].size] + [1])
    receptors: list[Receptor] = []
    rec_index: dict = {}

    def receptor_for(post, syn):
        key = (post.index,) + receptor_key(syn)
        if key not in rec_index:
            rec_index[key] = len(receptors)
            receptors.append(Receptor(post, syn, post.N, ring_len, dt, dtype))
            if receptors[-1].output == "conductance":
                post.has_cond = True
        return receptors[rec_index[key]]

    projs = []
    for q, pre, post, pre_idx, post_idx, w, steps in drawn:
        receptor = receptor_for(post, q.resolved_synapse(post.desc))
        sign = -1.0 if (q.mode == "inhibitory" and receptor.output != "conductance") else 1.0   # g >= 0
        pa = ProjArrays(len(projs), q, pre, post, receptor, pre_idx, post_idx, w, steps, sign, dtype)
        plastic = q.plasticity
        if stdp and plastic is not None:
            pa.enable_stdp({} if plastic == "default" else plastic, q.scale, dt)
        if getattr(q, "stp", None) is not None:
            pa.enable_stp(q.stp, dt)
        projs.append(pa)
    return pops, receptors, projs, ring_len, receptor_for
