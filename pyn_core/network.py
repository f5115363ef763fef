"""The Network: populations, projections and stimuli (a description, no state)."""
from __future__ import annotations

import logging
import os
import warnings

import numpy as np

from ._checks import check_bool, check_indices, check_name, check_real, show
from .connectivity import RULES
from .errors import PynLookupError, PynTypeError, PynValueError, PynWarning
from .population import Population, SourcePopulation
from .projection import LEGACY, Projection
from .results import plan_save
from .spec import Settings, network_from_spec, network_to_spec
from .stimuli import CurrentStimulus, NoiseStimulus, PoissonStimulus, parse_I_ext
from .synapses import get_synapse_kind, normalise_synapse

log = logging.getLogger("pyn_core")


def _learning_switch(learning, stdp, default) -> bool:
    """The learning switch from ``learning=`` or its original name ``stdp=`` (they must agree)."""
    if learning is not None and stdp is not None and bool(learning) != bool(stdp):
        raise PynValueError(f"learning={learning!r} and stdp={stdp!r} disagree; stdp is the original name "
                            "of learning: give one")
    value = learning if learning is not None else (stdp if stdp is not None else default)
    if not isinstance(value, (bool, np.bool_)):
        raise PynTypeError(f"learning (stdp) must be True or False, got {value!r}")
    return bool(value)


def _matrix(value, what: str) -> np.ndarray:
    """``value`` as a float64 array; a family error for what is not a matrix of numbers."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is None or (arr.size and arr.dtype.kind not in "iuf"):
        raise PynTypeError(f"{what} must be a 2-D array of numbers (pre, post), got {type(value).__name__}")
    return arr.astype(float)


class Network:
    """A spiking network: populations, the projections between them and stimuli.

    Parameters
    ----------
    populations : list of Population, optional
        Populations to add (more can be added later with :meth:`add`).
    name : str
        Name of the network (kept in the spec and in saved results).

    Attributes
    ----------
    settings : dict
        ``dt`` (ms, finite > 0), ``seed`` (None or an integer >= 0),
        ``stdp`` (bool: plastic connections learn), ``dtype`` (``"float64"``
        or ``"float32"``: weights and ring buffers) and ``threads``
        (``"auto"`` or an integer >= 1, numba backend); every value is
        checked when it is set (see :class:`pyn_core.spec.Settings`).

    Examples
    --------
    >>> from pyn_core import Network, IzhikevichPopulation
    >>> A = IzhikevichPopulation(name="thalamus", N=20)
    >>> B = IzhikevichPopulation(name="cortex", N=10)
    >>> brain = Network(populations=[A, B])
    >>> proj = brain.connect(pre="thalamus", post="cortex", delay=2.0, std=0.25)
    >>> res = brain.simulate(T=50, dt=0.25, save_data=None, stdp=False, seed=1,
    ...                      I_ext={"thalamus": [{"start": 10, "stop": 40, "mV": 20, "neurons": [0, 1]}]})
    >>> res["thalamus"].spike_times.size > 0
    True
    """

    def __init__(self, populations=None, name: str = "network"):
        self.name = check_name(name, "network name")
        self.populations: list = []
        self.projections: list[Projection] = []
        self.stimuli: list = []
        self.settings = {}
        self.view: dict = {}
        self.last_simulation = None
        if populations is None:
            populations = []
        if not isinstance(populations, (list, tuple)):
            raise PynTypeError(f"populations must be a list of Population objects, got {type(populations).__name__}")
        for pop in populations:
            self.add(pop)

    @property
    def settings(self) -> Settings:
        """The run settings (a dict that checks every value set in it)."""
        return self._settings

    @settings.setter
    def settings(self, values):
        self._settings = Settings(values)

    # -- populations -------------------------------------------------------
    def add(self, *populations):
        """Add populations; a population's ``connectivity`` connects it to itself."""
        for pop in populations:
            if not isinstance(pop, (Population, SourcePopulation)):
                raise PynTypeError(f"Network.add expects Population objects, got {type(pop).__name__}")
            if any(p.name == pop.name for p in self.populations):
                raise PynValueError(f"a population named {pop.name!r} is already in the network; "
                                    "population names must be unique")
            self.populations.append(pop)
            if getattr(pop, "connectivity", None):
                proj = self.connect(pop.name, pop.name, synapses=pop.connectivity, scale=pop.scale)
                proj.auto = True
        return self

    add_population = add

    def get(self, name):
        """The population called ``name``."""
        if isinstance(name, (Population, SourcePopulation)):
            name = name.name
        for p in self.populations:
            if isinstance(name, str) and p.name == name:
                return p
        raise PynLookupError(f"no population named {show(name)}; populations: "
                             f"{', '.join(p.name for p in self.populations) or 'none'}")

    def index_of(self, name) -> int:
        """Position of population ``name`` in :attr:`populations`."""
        return self.populations.index(self.get(name))

    # -- connections -------------------------------------------------------
    def connect(self, pre, post, synapses="sparse-random", mode="excitatory", delay_matrix=None,
                delay=0.25, std=0.05, scale=1.0, *, rule=None, p=None, k=None, weight=None,
                synapse=None, plasticity="default", allow_autapses=False, name=None, stp=None):
        """Connect population ``pre`` to ``post``.

        Parameters
        ----------
        pre, post : str or Population
        synapses : str or ndarray
            The original pyN names — ``"sparse-random"`` (each pair with p=0.1,
            weight uniform [0, 1)·scale), ``"full-random"`` (all pairs, weight
            uniform [0, 1)·scale), ``"none"`` (all pairs, weight 0, to be
            learned) — or a named rule (``all_to_all``, ``one_to_one``,
            ``pairwise_bernoulli``, ``fixed_indegree``, ``fixed_outdegree``), or
            a weight matrix of shape (pre.N, post.N).
        mode : {"excitatory", "inhibitory"}
            Inhibitory connections subtract current (current synapses) or use
            the inhibitory reversal potential (conductance synapses).
        delay_matrix : ndarray, optional
            Per-pair delays (ms), shape (pre.N, post.N).
        delay, std : float
            Delays drawn from normal(delay, std) per synapse, in ms, rounded to
            the step and at least one step.
        scale : float
            Multiplies every weight.
        rule : str or dict, optional
            A named rule with its parameters (overrides ``synapses``).
        p, k : optional
            Probability (``pairwise_bernoulli``, default 0.1) or degree.
        weight : float, array or dict, optional
            Weights: a number, one value per synapse, or a distribution
            ``{"dist": "uniform"|"normal"|"lognormal", ...}``.
        synapse : str or dict, optional
            Synapse kind (see :mod:`pyn_core.synapses`); default: the post
            population's (alpha current with ``tau_psc`` for Izhikevich,
            conductance for AdEx, exponential current for LIF and HH).
        plasticity : None, "default", "stdp", "rstdp" or dict
            ``"default"``: pair STDP with the default parameters when the run
            has ``stdp=True``; ``None``: static; ``"stdp"`` / ``"rstdp"``:
            pair STDP / reward-modulated STDP; a dict ``{"rule": ..., ...}``
            sets the rule's parameters (see :mod:`pyn_core.plasticity`).
            Every plastic connection learns only in runs with ``stdp=True``.
        allow_autapses : bool
            Allow a neuron to connect to itself (same population only);
            autapses never learn.

        stp : None, "depressing", "facilitating" or dict
            Tsodyks–Markram short-term plasticity ``{"U", "tau_rec",
            "tau_facil"}`` (see :mod:`pyn_core.plasticity`).

        Returns
        -------
        Projection

        Notes
        -----
        Weights of an inhibitory connection or of a conductance synapse are
        magnitudes (the mode gives the sign): a negative number, array entry,
        matrix entry, uniform ``low``, normal ``mean``, ``scale`` or
        plasticity ``w_min`` is refused, and a normal draw below 0 is set to
        0.  A rule the population sizes cannot satisfy (``one_to_one``
        between unequal sizes, more distinct partners than exist) is refused
        here, as is an array of weights or delays whose length is not the
        number of synapses, or a weight matrix given with ``rule``,
        ``weight``, ``p`` or ``k``.
        """
        pre_pop, post_pop = self.get(pre), self.get(post)
        if isinstance(post_pop, SourcePopulation):
            raise PynValueError(f"population {post_pop.name!r} is a spike source and cannot receive connections")
        where = f"connection {pre_pop.name!r} -> {post_pop.name!r}"
        weight_matrix = None
        allow_autapses = check_bool(allow_autapses, f"{where}: allow_autapses")
        if isinstance(synapses, np.ndarray) or isinstance(synapses, (list, tuple)):
            given = [k for k, v in (("rule", rule), ("weight", weight), ("p", p), ("k", k)) if v is not None]
            if given:
                raise PynValueError(f"{where}: a weight matrix gives every weight and pair; {', '.join(given)} "
                                    "cannot be given with it")
            weight_matrix = _matrix(synapses, f"weight matrix for {pre_pop.name!r} -> {post_pop.name!r}")
            if weight_matrix.shape != (pre_pop.N, post_pop.N):
                raise PynValueError(f"weight matrix for {pre_pop.name!r} -> {post_pop.name!r} must have shape "
                                    f"({pre_pop.N}, {post_pop.N}) (pre, post), got {weight_matrix.shape}")
            if not np.all(np.isfinite(weight_matrix)):
                raise PynValueError("weight matrix values must be finite")
            the_rule, the_weight = {"name": "all_to_all"}, 0.0
        elif rule is not None:
            if not (isinstance(synapses, str) and synapses == "sparse-random"):
                raise PynValueError(f"{where}: give the rule as rule= or as synapses=, not both "
                                    f"(synapses={show(synapses)})")
            the_rule, the_weight = rule, 1.0
        elif isinstance(synapses, str) and synapses in LEGACY:
            the_rule, the_weight = LEGACY[synapses]
            the_rule = dict(the_rule)
        elif isinstance(synapses, str):
            the_rule, the_weight = synapses, 1.0
        else:
            raise PynTypeError(f"{where}: synapses must be a rule name or a weight matrix, "
                               f"got {type(synapses).__name__}")
        if not isinstance(the_rule, (str, dict)):
            raise PynTypeError(f"connection {pre_pop.name!r} -> {post_pop.name!r}: a connection rule is a name or a "
                               f"dict with 'name'; allowed names: {', '.join(RULES)}")
        the_rule = {"name": the_rule} if isinstance(the_rule, str) else dict(the_rule)
        if p is not None:
            the_rule["p"] = p
        if k is not None:
            the_rule["k"] = k
        if allow_autapses:
            the_rule["allow_autapses"] = True
        if weight is not None:
            the_weight = weight
        if delay_matrix is not None:
            delay_matrix = _matrix(delay_matrix, "delay_matrix")
            if delay_matrix.shape != (pre_pop.N, post_pop.N):
                raise PynValueError(f"delay_matrix must have shape ({pre_pop.N}, {post_pop.N}), "
                                    f"got {delay_matrix.shape}")
            if np.any(delay_matrix < 0) or not np.all(np.isfinite(delay_matrix)):
                raise PynValueError("delay_matrix values must be finite and >= 0 ms")
        proj = Projection(pre_pop.name, post_pop.name, the_rule, the_weight, scale=scale, delay=delay,
                          delay_std=std, mode=mode, synapse=synapse, plasticity=plasticity, name=name,
                          weight_matrix=weight_matrix, delay_matrix=delay_matrix, stp=stp)
        src = proj.plasticity.get("dopamine_from") if isinstance(proj.plasticity, dict) else None
        if src is not None:
            self.get(src)   # a LookupError naming the populations if there is none
        if any(q.name == proj.name for q in self.projections):
            proj.name = f"{proj.name}#{len(self.projections)}"
        output = get_synapse_kind(proj.resolved_synapse(post_pop)["kind"]).output   # validated now, not at build
        proj.check_sizes(pre_pop, post_pop, output)
        self.projections.append(proj)
        return proj

    def _projections_between(self, pre, post):
        pre, post = self.get(pre).name, self.get(post).name
        found = [q for q in self.projections if q.pre == pre and q.post == post]
        if not found:
            raise PynLookupError(f"no connection from {pre!r} to {post!r}")
        return found

    def disconnect(self, pre, post):
        """Switch the connections ``pre -> post`` off (their weights are kept)."""
        for q in self._projections_between(pre, post):
            q.enabled = False

    def reconnect(self, pre, post):
        """Switch the connections ``pre -> post`` on again."""
        for q in self._projections_between(pre, post):
            q.enabled = True

    # -- stimuli -----------------------------------------------------------
    def _add_stimulus(self, stim):
        pop = self.get(stim.target)
        where = f"{stim.kind} stimulus on {pop.name!r}"
        if stim.neurons is not None:
            check_indices(stim.neurons, pop.N, f"{where}: neurons")
        if isinstance(pop, SourcePopulation):
            raise PynValueError(f"population {pop.name!r} is a spike source and cannot be stimulated")
        if stim.kind == "poisson":
            syn = stim.synapse or normalise_synapse(pop.default_synapse("excitatory"), where)
            if get_synapse_kind(syn["kind"]).output == "conductance" and stim.weight < 0:
                raise PynValueError(f"{where}: weight must be >= 0 through a conductance synapse "
                                    f"({syn['kind']}), got {stim.weight:g}")
        self.stimuli.append(stim)
        return stim

    def add_current(self, target, amplitude, start=0.0, stop=None, neurons=None):
        """A current window (DC when ``start=0, stop=None``); see :mod:`pyn_core.stimuli`."""
        return self._add_stimulus(CurrentStimulus(target, start, stop, amplitude, neurons))

    def add_noise(self, target, mean=0.0, std=1.0, start=0.0, stop=None, neurons=None):
        """A Gaussian current drawn every step."""
        return self._add_stimulus(NoiseStimulus(target, mean, std, start, stop, neurons))

    def add_poisson(self, target, rate, weight=1.0, start=0.0, stop=None, neurons=None, synapse=None):
        """Independent Poisson spike drive (rate in Hz per neuron)."""
        return self._add_stimulus(PoissonStimulus(target, rate, weight, start, stop, neurons, synapse))

    # -- spec --------------------------------------------------------------
    def to_spec(self) -> dict:
        """The network as a versioned, JSON-compatible dict (see :mod:`pyn_core.spec`)."""
        return network_to_spec(self)

    @classmethod
    def from_spec(cls, spec: dict) -> "Network":
        """Rebuild a network from :meth:`to_spec`'s output (older versions are upgraded)."""
        return network_from_spec(spec, cls)

    # -- running -----------------------------------------------------------
    def build(self, dt=None, seed=None, backend="auto", I_ext=None, record=None, stdp=None,
              record_every=None, experiment_name=None, record_weights=None, *, learning=None, progress=None):
        """Compile the network into a :class:`~pyn_core.engine.Simulation`.

        Parameters
        ----------
        dt : float, optional
            Time step in ms (default: ``settings["dt"]``, 0.1).
        seed : int, optional
            Seed of every random draw (connectivity, delays, noise); the same
            seed gives identical results.  Default: ``settings["seed"]``, or a
            fresh one (recorded in the results).
        backend : {"auto", "numpy", "numba"}
        I_ext : dict, optional
            Extra current stimuli in the original format.
        record : dict or list, optional
            Traces to record: ``{population: [variables]}`` or a list applied
            to every population that has them.
        learning : bool, optional
            Whether plastic connections learn (default ``settings["stdp"]``);
            ``stdp`` is the original name of the same switch.
        record_every : float, optional
            Sampling interval of traces in ms (default: every step).
        record_weights : dict, optional
            Weight monitors: ``{connection: every_ms}`` or ``{connection:
            {"every": ms, "synapses": n or indices}}`` (see
            :meth:`Simulation.monitor_weights`); in ``results.weights``.
        progress : None, bool or callable, optional
            ``True`` shows the stages of a build that takes more than half a
            second on a terminal (the connections being drawn, the numba
            compile) with their elapsed time; a callable is called as
            ``progress(stage, done, total)`` (see :mod:`pyn_core.progress`).
        """
        from .engine import Simulation
        dt = self.settings["dt"] if dt is None else dt
        seed = self.settings["seed"] if seed is None else seed
        learning = _learning_switch(learning, stdp, self.settings["stdp"])
        extra = parse_I_ext(I_ext)
        for s in extra:
            pop = self.get(s.target)
            if s.neurons is not None:
                check_indices(s.neurons, pop.N, f"I_ext[{pop.name!r}] neurons")
        sim = Simulation(self, dt=dt, seed=seed, backend=backend, stimuli=self.stimuli + extra,
                         record=record, learning=learning, record_every=record_every,
                         experiment_name=experiment_name or self.name, progress=progress)
        if record_weights is not None:
            if not isinstance(record_weights, dict):
                raise PynTypeError("record_weights must be a dict {connection: every_ms} or "
                                   "{connection: {'every': ms, 'synapses': ...}}")
            for name, how in record_weights.items():
                how = {"every": how} if not isinstance(how, dict) else how
                unknown = set(how) - {"every", "synapses"}
                if unknown:
                    raise PynValueError(f"record_weights[{name!r}]: unknown field(s) {sorted(unknown)}; "
                                        "allowed: every, synapses")
                sim.monitor_weights(name, **how)
        return sim

    def simulate(self, experiment_name="My Experiment", T=50, dt=0.125, integration_time=30, I_ext=None,
                 spike_delta=50, save_data=None, properties_to_save=(), stdp=True, *, seed=None,
                 backend="auto", progress=None, record_every=None, record_weights=None):
        """Run the network for ``T`` ms — the original pyN call.

        Parameters
        ----------
        experiment_name : str
            Title of the plots and name of the saved run.
        T : float
            Duration in ms.
        dt : float
            Time step in ms.
        integration_time : float
            Accepted for compatibility and ignored: synaptic currents are now
            integrated exactly instead of convolving the spike history.
        I_ext : dict
            ``{population: [{'start', 'stop', 'mV', 'neurons'}, ...]}``.
        spike_delta : float
            Accepted for compatibility (the height of drawn spikes in old plots).
        save_data : str or None
            Folder under which the run is saved atomically in its own folder
            (its name is chosen, and the folder checked to be writable, before
            the run starts; an interrupted run saves what it recorded).  The
            default ``None`` (or ``False``) saves nothing: unlike the original
            pyN, whose default ``'./'`` wrote a folder into the working
            directory on every call, a run is saved only when asked; pass
            ``save_data='./'`` for the old behaviour.
        properties_to_save : list of str
            Traces to record: state variables (``'v'``, ``'u'``, ``'w'``, ...),
            ``'I_ext'``, ``'I_syn'`` (alias ``'psc'``, ``'I_rec'``) and
            ``'spike_raster'`` (spikes are always recorded).
        stdp : bool
            Plastic connections learn (the original default is True);
            ``False`` freezes every weight.
        seed, backend, progress, record_every, record_weights
            See :meth:`build` and :meth:`Simulation.run` (``progress=True``
            shows the build's stages too; a callable gets the run's progress).

        Returns
        -------
        Results
        """
        T = check_real(T, "T", minimum=0.0)
        dt_used = self.settings["dt"] if dt is None else dt
        if 0 < T < 10 * check_real(dt_used, "dt", strictly_positive=True):
            warnings.warn(f"simulate(T={T:g}) runs {T:g} ms, only {T / dt_used:.3g} steps of dt = {dt_used:g} ms "
                          "(T is in milliseconds)", PynWarning, stacklevel=2)
        target = plan_save(save_data, experiment_name) if save_data else None   # a bad folder fails now
        sim = self.build(dt=dt, seed=seed, backend=backend, I_ext=I_ext, record=list(properties_to_save),
                         stdp=stdp, record_every=record_every, experiment_name=experiment_name,
                         record_weights=record_weights, progress=progress is True)
        self.last_simulation = sim
        try:
            sim.run(T, progress=progress)
        finally:
            results = sim.results
            if target is not None:
                results.save(save_data, folder=os.path.basename(target))
        return results

    def setup(self, experiment_name="My Experiment", T=50, dt=0.125, integration_time=30, I_ext=None,
              spike_delta=50, save_data=None, properties_to_save=(), stdp=True, *, seed=None, backend="auto"):
        """Prepare a run that is then advanced step by step (``sim.advance(ms)``); the original pyN call."""
        sim = self.build(dt=dt, seed=seed, backend=backend, I_ext=I_ext, record=list(properties_to_save),
                         stdp=stdp, experiment_name=experiment_name)
        self.last_simulation = sim
        return sim

    def __repr__(self):
        return (f"Network({self.name!r}: {len(self.populations)} populations, "
                f"{len(self.projections)} projections, {len(self.stimuli)} stimuli)")
