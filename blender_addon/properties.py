"""The panel's state: one root PropertyGroup, ``Scene.pyn``, saved with the .blend.

Every field here is named like a key of the panel data of
:mod:`.spec_convert`; :mod:`.scene_data` copies between the two, so the
conversion to and from the core's network spec stays plain Python.  The
choices of the lists are the core's vocabularies (:func:`.spec_convert.choices`),
read when the add-on registers; models and synapse kinds are text fields whose
suggestions are read each time they are shown, so kinds and models registered
later by the user's own scripts are offered too.
"""

import logging

import bpy
import pyn_core
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty,
                       FloatVectorProperty, IntProperty, PointerProperty, StringProperty)
from bpy.types import PropertyGroup

from . import scene_data
from . import spec_convert as sc
from .scene_data import DATA_VERSION

log = logging.getLogger(__name__)

#: Labels of list entries that read better than their names (others: the name, capitalised), by list.
LABELS = {
    "layout": {"box": "Random box"},
    "rule": {"pairwise_bernoulli": "Random (p)", "fixed_indegree": "Fixed in-degree (k)",
             "fixed_outdegree": "Fixed out-degree (k)"},
    "stimulus": {"current": "Current window", "noise": "Noise current", "poisson": "Poisson drive"},
    "plasticity": {"default": "Follows STDP switch", "none": "Static", "stdp": "STDP (own parameters)",
                   "rstdp": "Reward-modulated STDP"},
}

#: Tooltips of list entries, by list.
DESCRIPTIONS = {
    "plasticity": {
        "default": "Learns when the network's STDP switch is on",
        "none": "Never learns",
        "stdp": "Pair STDP with the parameters given as JSON",
        "rstdp": "Eligibility traces turned into weight changes by dopamine (parameters as JSON)",
    },
}


def label(field: str, name: str) -> str:
    """How the panel shows the entry ``name`` of its list ``field``."""
    return LABELS.get(field, {}).get(name, name.replace("_", " ").replace("-", " ").capitalize())


def enum_items(field: str) -> list:
    """EnumProperty items of one of the panel's lists (:func:`.spec_convert.choices`).

    Each item carries the number files store for it
    (:func:`.scene_data.enum_number`), so saved choices keep their meaning
    whatever the order of the core's vocabulary.
    """
    descriptions = DESCRIPTIONS.get(field, {})
    return [(name, label(field, name), descriptions.get(name, ""), scene_data.enum_number(field, name))
            for name in sc.choices(field)]


def _matching(candidates, edit_text):
    text = edit_text.lower()
    return [c for c in candidates if text in (c[0] if isinstance(c, tuple) else c).lower()]


def _search_models(self, context, edit_text):
    return _matching(sc.choices("model"), edit_text)


def _search_presets(self, context, edit_text):
    try:
        names = list(pyn_core.presets(self.model))
    except pyn_core.PynError:  # a model that is not registered (yet) has no presets to offer
        names = []
    return _matching(names, edit_text)


def _search_synapses(self, context, edit_text):
    """Synapse kinds registered now (built-in and the user's own), each with its one-line description."""
    out = []
    for name in sc.choices("synapse"):
        kind = sc.synapse_kind(name)
        out.append((name, kind.doc if kind is not None else "the target model's usual synapse"))
    return _matching(out, edit_text)


def _search_populations(self, context, edit_text):
    return _matching([p.name for p in context.scene.pyn.populations], edit_text)


def _synapse_changed(self, context):
    scene_data.refresh_synapse_params(self)


def _refresh_materials(self, context):
    from . import view
    view.refresh_materials(context.scene)


def _refresh_view(self, context):
    """The colouring changed: new material settings, and the current frame shown again."""
    from . import driver, view
    view.refresh_materials(context.scene)
    driver.refresh(context.scene)


_SYNAPSE_DESCRIPTION = ("Synapse kind: default (the target model's usual one) or any registered kind, "
                        "built in or registered by your own script (pyn_core.register_synapse)")


class PynParam(PropertyGroup):
    """One parameter value of a population or a synapse kind (``name`` is the parameter)."""

    value: FloatProperty(name="Value", description="Parameter value (in the model's units)")


def _population_renamed(self, context):
    """Connections and stimuli follow a population's new name (``last_name`` is the one they use)."""
    old, new = self.last_name, self.name
    if old and old != new:
        pyn = getattr(self.id_data, "pyn", None)
        if pyn is not None:
            for pr in pyn.projections:
                if pr.pre == old:
                    pr.pre = new
                if pr.post == old:
                    pr.post = new
            for st in pyn.stimuli:
                if st.target == old:
                    st.target = new
    if self.last_name != new:
        self.last_name = new


class PynPopulation(PropertyGroup):
    """A group of neurons of one model (``name`` is the population's name)."""

    name: StringProperty(name="Name", default="pop", update=_population_renamed,
                         description="Name of the population (connections and stimuli follow a rename)")
    last_name: StringProperty(default="", options={"HIDDEN"},
                              description="The name connections and stimuli use (set when the name changes)")
    model: StringProperty(name="Model", default="izhikevich", search=_search_models,
                          description="Neuron model: any registered one (the suggestions list them)")
    preset: StringProperty(name="Preset", default="tonic_spiking", search=_search_presets,
                           description="Named parameter set of the model; empty for the model defaults")
    N: IntProperty(name="N", default=100, min=1, soft_max=100000, description="Number of neurons")
    color: FloatVectorProperty(name="Colour", subtype="COLOR", size=3, min=0.0, max=1.0,
                               default=(0.1, 0.55, 1.0), update=_refresh_materials,
                               description="Colour of the neurons' glow")
    layout: EnumProperty(name="Layout", items=enum_items("layout"), default="grid",
                         description="How the neurons are placed in space")
    spacing: FloatProperty(name="Spacing", default=1.0, min=1e-3, description="Grid spacing")
    radius: FloatProperty(name="Radius", default=4.0, min=1e-3, description="Sphere radius")
    size: FloatVectorProperty(name="Size", size=3, default=(8.0, 8.0, 8.0), min=0.0, subtype="XYZ",
                              description="Box size")
    center: FloatVectorProperty(name="Location", size=3, default=(0.0, 0.0, 0.0), subtype="TRANSLATION",
                                description="Centre of the layout")
    seed: IntProperty(name="Layout seed", default=-1, min=-1,
                      description="Seed of the random box; -1 derives it from the name")
    xyz_json: StringProperty(name="Explicit positions", default="",
                             description="Explicit positions as JSON [[x, y, z], ...]")
    params: CollectionProperty(type=PynParam)
    active_param: IntProperty(default=0)
    params_json: StringProperty(name="Per-neuron parameters", default="",
                                description="Parameters given per neuron, as JSON {name: [values]}")
    extra_json: StringProperty(name="Other fields", default="",
                               description="Spec fields the panel has no control for, kept as JSON")


class PynProjection(PropertyGroup):
    """Synapses from one population to another."""

    pre: StringProperty(name="From", search=_search_populations, description="Presynaptic population")
    post: StringProperty(name="To", search=_search_populations, description="Postsynaptic population")
    rule: EnumProperty(name="Rule", items=enum_items("rule"), default="pairwise_bernoulli",
                       description="Connection rule (the original 'sparse-random' is Random with p = 0.1)")
    p: FloatProperty(name="p", default=0.1, min=0.0, max=1.0, description="Connection probability")
    k: IntProperty(name="k", default=10, min=0, description="Synapses per neuron (in- or out-degree)")
    allow_autapses: BoolProperty(name="Autapses", default=False,
                                 description="Allow a neuron to connect to itself")
    weight_dist: EnumProperty(name="Weight", items=enum_items("weight_dist"), default="uniform",
                              description="Constant weight or drawn from a distribution")
    weight: FloatProperty(name="Weight", default=1.0)
    weight_low: FloatProperty(name="Low", default=0.0)
    weight_high: FloatProperty(name="High", default=1.0)
    weight_mean: FloatProperty(name="Mean", default=0.5)
    weight_std: FloatProperty(name="Std", default=0.1, min=0.0)
    scale: FloatProperty(name="Scale", default=1.0, description="Factor on all weights")
    delay: FloatProperty(name="Delay", default=0.25, min=0.0, unit="NONE", description="Mean delay, ms")
    delay_std: FloatProperty(name="± std", default=0.05, min=0.0, description="Spread of the delays, ms")
    mode: EnumProperty(name="Mode", items=enum_items("mode"), default="excitatory")
    synapse: StringProperty(name="Synapse", default="default", search=_search_synapses, update=_synapse_changed,
                            description=_SYNAPSE_DESCRIPTION)
    synapse_tau: FloatProperty(name="τ", default=5.0, min=1e-3, description="Synaptic time constant, ms")
    synapse_set_E: BoolProperty(name="Set E", default=False,
                                description="Give the reversal potential (else the core picks it from the mode)")
    synapse_E: FloatProperty(name="E", default=0.0, description="Reversal potential, mV")
    synapse_params: CollectionProperty(type=PynParam, description="The synapse kind's other parameters")
    plasticity: EnumProperty(name="Plasticity", items=enum_items("plasticity"), default="default")
    plasticity_json: StringProperty(name="Plasticity parameters", default="",
                                    description="Rule parameters as JSON, e.g. {\"A_plus\": 0.02}")
    enabled: BoolProperty(name="Enabled", default=True)
    extra_json: StringProperty(name="Other fields", default="")


class PynStimulus(PropertyGroup):
    """External input to a population: a current window or Poisson drive."""

    kind: EnumProperty(name="Kind", items=enum_items("stimulus"), default="current")
    target: StringProperty(name="Target", search=_search_populations, description="Population stimulated")
    start: FloatProperty(name="Start", default=10.0, min=0.0, description="Start, ms")
    stop: FloatProperty(name="Stop", default=100.0, min=0.0, description="End, ms (inclusive)")
    has_stop: BoolProperty(name="Stops", default=True, description="The stimulus ends at Stop (else runs on)")
    amplitude: FloatProperty(name="Amplitude", default=10.0,
                             description="Injected current (the original I_ext 'mV')")
    mean: FloatProperty(name="Mean", default=0.0, description="Mean of the noise current")
    std: FloatProperty(name="Std", default=1.0, min=0.0, description="Standard deviation per step")
    rate: FloatProperty(name="Rate", default=20.0, min=0.0, description="Poisson rate per neuron, Hz")
    weight: FloatProperty(name="Weight", default=1.0, description="Weight of each Poisson event")
    neurons: StringProperty(name="Neurons", default="",
                            description="Neurons stimulated, e.g. '0-9, 12'; empty for all")
    synapse: StringProperty(name="Synapse", default="default", search=_search_synapses, update=_synapse_changed,
                            description=_SYNAPSE_DESCRIPTION)
    synapse_tau: FloatProperty(name="τ", default=5.0, min=1e-3)
    synapse_set_E: BoolProperty(name="Set E", default=False)
    synapse_E: FloatProperty(name="E", default=0.0)
    synapse_params: CollectionProperty(type=PynParam, description="The synapse kind's other parameters")
    extra_json: StringProperty(name="Other fields", default="")


class PynSettings(PropertyGroup):
    """The root of the pyN state of a scene: network, simulation and view settings."""

    data_version: IntProperty(default=DATA_VERSION)
    network_name: StringProperty(name="Name", default="network")
    populations: CollectionProperty(type=PynPopulation)
    projections: CollectionProperty(type=PynProjection)
    stimuli: CollectionProperty(type=PynStimulus)
    active_population: IntProperty(default=0)
    active_projection: IntProperty(default=0)
    active_stimulus: IntProperty(default=0)
    dt: FloatProperty(name="dt", default=0.1, min=1e-4, soft_max=1.0, precision=3,
                      description="Integration step, ms")
    seed: IntProperty(name="Seed", default=0, min=0, description="Random seed (same seed, same spikes)")
    stdp: BoolProperty(name="STDP", default=True,
                       description="Spike-timing-dependent plasticity of the connections that follow the switch")
    start_frame: IntProperty(name="Start frame", default=1,
                             description="Frame that shows time 0 (the render range may start elsewhere)")
    ms_per_frame: FloatProperty(name="ms per frame", default=1.0, min=1e-3, soft_max=100.0,
                                description="Simulated milliseconds per animation frame")
    glow_decay_frames: FloatProperty(name="Glow decay", default=3.0, min=0.05, soft_max=30.0,
                                     description="Frames for a spike's flash to fade to 37%")
    glow_strength: FloatProperty(name="Glow", default=3.0, min=0.0, update=_refresh_materials,
                                 description="Emission strength of a neuron at the moment it spikes")
    base_strength: FloatProperty(name="Idle glow", default=0.15, min=0.0, update=_refresh_materials,
                                 description="Emission strength of a silent neuron")
    neuron_radius: FloatProperty(name="Neuron radius", default=0.25, min=1e-4,
                                 description="Radius of the sphere drawn for each neuron")
    show_connections: BoolProperty(name="Connections", default=False,
                                   description="Draw synapses as curves (small networks only)")
    max_connection_curves: IntProperty(name="Max curves", default=2000, min=0,
                                       description="Most synapses drawn as curves")
    point_cloud_above: IntProperty(name="Points above", default=20000, min=1,
                                   description="Populations larger than this are drawn as a point cloud")
    color_by: EnumProperty(name="Colour by", items=[
        ("spikes", "Spikes", "Neurons flash in their population's colour when they spike"),
        ("voltage", "Membrane potential",
         "Neurons are coloured by their membrane potential (blue at rest to white at the peak) and flash "
         "when they spike")], default="spikes", update=_refresh_view)
    colormap: EnumProperty(name="Colour map", items=[
        ("pyn", "pyN", "Blue at rest through green and yellow to white at the peak; most colours near rest"),
        ("viridis", "Viridis", "matplotlib's viridis: perceptually uniform, readable in grey and by colour-blind "
                               "viewers"),
        ("magma", "Magma", "matplotlib's magma: black through purple and orange to pale yellow"),
        ("coolwarm", "Cool-warm", "Blue below the middle of the range, red above (diverging)")],
        default="pyn", update=_refresh_view, description="Colours of the membrane potential")
    voltage_auto: BoolProperty(name="Model range", default=True, update=_refresh_view,
                               description="Map each model's rest to peak onto the colours "
                                           "(else the range below, for all neurons)")
    voltage_min: FloatProperty(name="From", default=-80.0, update=_refresh_view,
                               description="Membrane potential shown as rest (mV)")
    voltage_max: FloatProperty(name="To", default=-40.0, update=_refresh_view,
                               description="Membrane potential shown as peak (mV)")
    view_json: StringProperty(default="")
    extra_json: StringProperty(default="")
    built_hash: StringProperty(default="", description="Fingerprint of the network last built")
    view_id: StringProperty(default="", description="Part of the names of this scene's pyN objects "
                                                    "(set when first built)")
    live: BoolProperty(name="Live", default=False, description="Keep simulating while you watch")


CLASSES = (PynParam, PynPopulation, PynProjection, PynStimulus, PynSettings)

def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.pyn = PointerProperty(type=PynSettings)


def unregister() -> None:
    del bpy.types.Scene.pyn
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
