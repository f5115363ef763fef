"""Neurons in 3D: one Blender object per population, lit by per-neuron attributes.

Each population becomes a mesh of ``N`` vertices at the positions the core
gives, with two float point attributes: ``activity`` (the glow of the latest
spike) and ``voltage`` (the membrane potential as a level in [0, 1], written
when the view colours by voltage).  A Geometry Nodes modifier draws every
vertex as a sphere (Instance on Points; the attributes reach the instances)
or, for large populations, as a point of a point cloud.  The population's
material reads the attributes with Attribute nodes (Instancer mode for the
spheres, Geometry mode for points) and drives its emission.  Writing the
values of a frame is one ``foreach_set`` per population and attribute.

Objects are found again by name (see :mod:`.naming`: ``pyN.<view id>.<population>``,
unique per scene), never kept across calls, so undo and file reloads are safe.
"""
from __future__ import annotations

import logging
import math

import bpy
import numpy as np
from mathutils import Vector
from pyn_core import PynValueError

from . import naming

log = logging.getLogger(__name__)

ATTRIBUTE = "activity"
VOLTAGE = "voltage"
GROUP_SPHERES = "pyN neurons (spheres)"
GROUP_POINTS = "pyN neurons (points)"
GROUP_CONNECTIONS = "pyN connections"
BLOOM = "pyN bloom"
#: Material shared by the connection tubes of every scene.
CONNECTION_MATERIAL = "pyN.connections"
#: Custom property naming the population an object shows.
POP_KEY = "pyn_population"
#: Custom property naming the view id (scene) an object belongs to.
VIEW_KEY = "pyn_view"
#: Colours of the voltage levels 0 (rest) to 1 (peak), linear RGB: the material's colour ramp.  Most of
#: the time a neuron sits in the lowest quarter (-70 to -45 mV for Izhikevich neurons), so the ramp
#: spends most of its colours there: blue near rest, green and yellow towards threshold.
VOLTAGE_COLORS = ((0.0, (0.01, 0.02, 0.30)), (0.08, (0.0, 0.25, 0.9)), (0.16, (0.05, 0.75, 0.55)),
                  (0.25, (0.9, 0.8, 0.05)), (0.5, (1.0, 0.3, 0.02)), (1.0, (1.0, 0.95, 0.85)))
#: The colour maps the voltage colouring offers: pyN's own ramp (above) and matplotlib's viridis, magma and
#: coolwarm sampled at 9 points (linear RGB; the ramp interpolates between them).
COLORMAPS = {
    "pyn": VOLTAGE_COLORS,
    "viridis": ((0.0, (0.058, 0.0004, 0.0887)), (0.125, (0.0632, 0.026, 0.199)), (0.25, (0.0431, 0.0848, 0.2588)),
                (0.375, (0.0252, 0.1697, 0.2716)), (0.5, (0.0148, 0.2813, 0.2639)), (0.625, (0.0215, 0.4252, 0.2156)),
                (0.75, (0.1123, 0.5852, 0.1212)), (0.875, (0.418, 0.7176, 0.0299)), (1.0, (0.9847, 0.7997, 0.0182))),
    "magma": ((0.0, (0.0001, 0.0, 0.0011)), (0.125, (0.0122, 0.0055, 0.0623)), (0.25, (0.0818, 0.0062, 0.2008)),
              (0.375, (0.2261, 0.0192, 0.2212)), (0.5, (0.4717, 0.038, 0.1919)), (0.625, (0.7959, 0.0833, 0.1247)),
              (0.75, (0.97, 0.2485, 0.1207)), (0.875, (0.993, 0.5536, 0.2478)), (1.0, (0.9708, 0.9806, 0.5217))),
    "coolwarm": ((0.0, (0.0432, 0.0726, 0.5283)), (0.125, (0.1217, 0.2236, 0.8232)), (0.25, (0.2678, 0.434, 0.9898)),
                 (0.375, (0.483, 0.6294, 0.9455)), (0.5, (0.7245, 0.7188, 0.7154)), (0.625, (0.9104, 0.5494, 0.412)),
                 (0.75, (0.9042, 0.3163, 0.1936)), (0.875, (0.7207, 0.1135, 0.0712)), (1.0, (0.4561, 0.0012, 0.0197))),
}


def set_colormap(ramp, name: str) -> None:
    """Give a colour ramp node the stops of colour map ``name`` (see :data:`COLORMAPS`)."""
    stops = COLORMAPS.get(name, VOLTAGE_COLORS)
    elements = ramp.color_ramp.elements
    while len(elements) > len(stops):
        elements.remove(elements[-1])
    while len(elements) < len(stops):
        elements.new(0.5)
    for element, (position, rgb) in zip(elements, stops):
        element.position = position
        element.color = (*rgb, 1.0)


def _scene(scene):
    return scene if scene is not None else bpy.context.scene


def view_id(scene) -> str:
    """The scene's view id (empty until first built, or for scenes built before view ids)."""
    return getattr(getattr(scene, "pyn", None), "view_id", "")


def ensure_view_id(scene) -> str:
    """Give the scene a view id unless it has one that no other scene of the file shares."""
    pyn = scene.pyn
    others = {s.pyn.view_id for s in bpy.data.scenes
              if s != scene and getattr(s, "pyn", None) is not None and s.pyn.view_id}
    if not pyn.view_id or pyn.view_id in others:
        pyn.view_id = naming.new_view_id(scene.name, others)
    return pyn.view_id


def object_name(population: str, scene=None) -> str:
    """Name of the object (and its mesh and material) showing a population of a scene."""
    return naming.object_name(view_id(_scene(scene)), population)


def helper_name(what: str, scene=None) -> str:
    """Name of a helper object of a scene: ``camera``, ``light``, ``connections``, ..."""
    return naming.helper_name(view_id(_scene(scene)), what)


def population_object(population: str, scene=None):
    """The object of a population of a scene (default: the current scene), or None."""
    return bpy.data.objects.get(object_name(population, scene))


def population_objects(scene) -> list:
    """Objects of the scene that show a population of this scene's view."""
    vid = view_id(scene)
    return [ob for ob in scene.objects if POP_KEY in ob.keys() and ob.get(VIEW_KEY, "") == vid]


# ---------------------------------------------------------------------------
# Geometry Nodes groups
# ---------------------------------------------------------------------------

def _new_group(name: str):
    ng = bpy.data.node_groups.new(name, "GeometryNodeTree")
    ng.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    ng.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    radius = ng.interface.new_socket("Radius", in_out="INPUT", socket_type="NodeSocketFloat")
    radius.default_value = 0.25
    radius.min_value = 0.0
    ng.interface.new_socket("Material", in_out="INPUT", socket_type="NodeSocketMaterial")
    detail = ng.interface.new_socket("Detail", in_out="INPUT", socket_type="NodeSocketInt")
    detail.default_value = 2
    detail.min_value = 1
    detail.max_value = 5
    return ng


def _sphere_group():
    """Instance an icosphere on every point; point attributes become instance attributes."""
    ng = bpy.data.node_groups.get(GROUP_SPHERES)
    if ng is not None:
        return ng
    ng = _new_group(GROUP_SPHERES)
    nodes, links = ng.nodes, ng.links
    gin, gout = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    ico = nodes.new("GeometryNodeMeshIcoSphere")
    smooth = nodes.new("GeometryNodeSetShadeSmooth")
    setmat = nodes.new("GeometryNodeSetMaterial")
    inst = nodes.new("GeometryNodeInstanceOnPoints")
    links.new(gin.outputs["Radius"], ico.inputs["Radius"])
    links.new(gin.outputs["Detail"], ico.inputs["Subdivisions"])
    links.new(ico.outputs["Mesh"], smooth.inputs["Geometry"])
    links.new(smooth.outputs["Geometry"], setmat.inputs["Geometry"])
    links.new(gin.outputs["Material"], setmat.inputs["Material"])
    links.new(gin.outputs["Geometry"], inst.inputs["Points"])
    links.new(setmat.outputs["Geometry"], inst.inputs["Instance"])
    links.new(inst.outputs["Instances"], gout.inputs["Geometry"])
    for i, node in enumerate((gin, ico, smooth, setmat, inst, gout)):
        node.location = (200 * i, 0)
    return ng


def _points_group():
    """Turn the vertices into a point cloud (drawn as spheres by Cycles and EEVEE)."""
    ng = bpy.data.node_groups.get(GROUP_POINTS)
    if ng is not None:
        return ng
    ng = _new_group(GROUP_POINTS)
    nodes, links = ng.nodes, ng.links
    gin, gout = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    to_points = nodes.new("GeometryNodeMeshToPoints")
    setmat = nodes.new("GeometryNodeSetMaterial")
    links.new(gin.outputs["Geometry"], to_points.inputs["Mesh"])
    links.new(gin.outputs["Radius"], to_points.inputs["Radius"])
    links.new(to_points.outputs["Points"], setmat.inputs["Geometry"])
    links.new(gin.outputs["Material"], setmat.inputs["Material"])
    links.new(setmat.outputs["Geometry"], gout.inputs["Geometry"])
    for i, node in enumerate((gin, to_points, setmat, gout)):
        node.location = (200 * i, 0)
    return ng


def _socket_id(group, name: str) -> str:
    for item in group.interface.items_tree:
        if getattr(item, "in_out", None) == "INPUT" and item.name == name:
            return item.identifier
    raise KeyError(name)


# ---------------------------------------------------------------------------
# materials
# ---------------------------------------------------------------------------

def _ensure_nodes(idblock) -> None:
    """Give a material or world a node tree (Blender 5 always has one; 4.x needs use_nodes)."""
    if idblock.node_tree is None:
        idblock.use_nodes = True


def _no_light_sampling(mat) -> None:
    """Glowing neurons are seen, not used as lamps: Cycles renders thousands of them much faster."""
    settings = getattr(mat, "cycles", None)
    if settings is not None and hasattr(settings, "emission_sampling"):
        settings.emission_sampling = "NONE"


def _socket(sockets, identifier: str):
    return next(s for s in sockets if s.identifier == identifier)


def _material(name: str, color, as_points: bool, glow: float, idle: float, by_voltage: bool = False):
    """The material of a population: emission from the spike glow, optionally coloured by voltage.

    ``level = max(activity, object colour (red), voltage_mix * voltage)``; emission strength
    ``idle + glow * level``; emission colour: the population's colour, or,
    with ``voltage_mix`` = 1, the voltage colour ramp at ``level`` (a spike
    flashes white and cools down through the ramp).
    """
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    _ensure_nodes(mat)
    nt = mat.node_tree
    nt.nodes.clear()
    mode = "GEOMETRY" if as_points else "INSTANCER"
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.name = "activity"
    attr.attribute_name = ATTRIBUTE
    attr.attribute_type = mode
    vattr = nt.nodes.new("ShaderNodeAttribute")
    vattr.name = "voltage"
    vattr.attribute_name = VOLTAGE
    vattr.attribute_type = mode
    # the object's colour (black as built) lights every neuron of the object: where a game engine cannot
    # refresh the per-neuron attribute (UPBGE without Geometry Nodes at runtime), its component sets it to
    # the population's mean glow
    obinfo = nt.nodes.new("ShaderNodeObjectInfo")
    obinfo.name = "object_glow"
    obsplit = nt.nodes.new("ShaderNodeSeparateColor")
    obsplit.name = "object_glow_red"
    oblevel = nt.nodes.new("ShaderNodeMath")
    oblevel.name = "spike_level"
    oblevel.operation = "MAXIMUM"
    vmix = nt.nodes.new("ShaderNodeValue")
    vmix.name = "voltage_mix"
    vmix.label = "Colour by voltage"
    vterm = nt.nodes.new("ShaderNodeMath")
    vterm.operation = "MULTIPLY"
    level = nt.nodes.new("ShaderNodeMath")
    level.name = "level"
    level.operation = "MAXIMUM"
    strength = nt.nodes.new("ShaderNodeMath")
    strength.name = "strength"
    strength.operation = "MULTIPLY_ADD"  # level * glow + idle
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.name = "voltage_colors"
    set_colormap(ramp, "pyn")
    mix = nt.nodes.new("ShaderNodeMix")
    mix.name = "emission_color"
    mix.data_type = "RGBA"
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    links = nt.links
    links.new(vattr.outputs["Fac"], vterm.inputs[0])
    links.new(vmix.outputs["Value"], vterm.inputs[1])
    links.new(obinfo.outputs["Color"], obsplit.inputs["Color"])
    links.new(attr.outputs["Fac"], oblevel.inputs[0])
    links.new(obsplit.outputs["Red"], oblevel.inputs[1])
    links.new(oblevel.outputs["Value"], level.inputs[0])
    links.new(vterm.outputs["Value"], level.inputs[1])
    links.new(level.outputs["Value"], strength.inputs[0])
    links.new(level.outputs["Value"], ramp.inputs["Fac"])
    links.new(vmix.outputs["Value"], _socket(mix.inputs, "Factor_Float"))
    links.new(ramp.outputs["Color"], _socket(mix.inputs, "B_Color"))
    links.new(_socket(mix.outputs, "Result_Color"), bsdf.inputs["Emission Color"])
    links.new(strength.outputs["Value"], bsdf.inputs["Emission Strength"])
    links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    bsdf.inputs["Roughness"].default_value = 0.6
    _no_light_sampling(mat)
    layout = ((attr, 0, 0), (obinfo, -250, 200), (obsplit, 0, 200), (oblevel, 250, 100),
              (vattr, 0, -200), (vmix, 0, -400), (vterm, 250, -300), (level, 500, -100),
              (strength, 750, 0), (ramp, 750, -250), (mix, 1050, -250), (bsdf, 1300, 0), (out, 1600, 0))
    for node, x, y in layout:
        node.location = (x, y)
    _set_material_values(mat, color, glow, idle, by_voltage)
    return mat


def _set_material_values(mat, color, glow: float, idle: float, by_voltage: bool = False) -> None:
    nt = mat.node_tree
    rgb = (float(color[0]), float(color[1]), float(color[2]), 1.0)
    bsdf = nt.nodes["bsdf"]
    bsdf.inputs["Base Color"].default_value = tuple(0.15 * c for c in rgb[:3]) + (1.0,)
    bsdf.inputs["Emission Color"].default_value = rgb
    mix = nt.nodes.get("emission_color")
    if mix is not None:
        _socket(mix.inputs, "A_Color").default_value = rgb
    vmix = nt.nodes.get("voltage_mix")
    if vmix is not None:
        vmix.outputs["Value"].default_value = 1.0 if by_voltage else 0.0
    strength = nt.nodes["strength"]
    strength.inputs[1].default_value = float(glow)
    strength.inputs[2].default_value = float(idle)
    mat.diffuse_color = rgb  # solid viewport colour


def refresh_materials(scene) -> None:
    """Push colours, glow strengths and the colouring mode from ``Scene.pyn`` into the materials."""
    pyn = scene.pyn
    by_voltage = pyn.color_by == "voltage"
    for pop in pyn.populations:
        mat = bpy.data.materials.get(object_name(pop.name, scene))
        if mat is not None and mat.node_tree and "bsdf" in mat.node_tree.nodes:
            _set_material_values(mat, pop.color, pyn.glow_strength, pyn.base_strength, by_voltage)
            ramp = mat.node_tree.nodes.get("voltage_colors")
            if ramp is not None:
                set_colormap(ramp, getattr(pyn, "colormap", "pyn"))


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def _tag(ob, scene, role: str | None = None) -> None:
    ob[VIEW_KEY] = view_id(scene)
    if role is not None:
        ob["pyn_role"] = role


def collection(scene):
    """The scene's own pyN collection (made and linked to the scene when missing)."""
    name = naming.collection_name(view_id(scene))
    coll = bpy.data.collections.get(name)
    if coll is None:
        coll = bpy.data.collections.new(name)
        coll[VIEW_KEY] = view_id(scene)
    if coll.name not in scene.collection.children:
        scene.collection.children.link(coll)
    return coll


def _new_object(name: str, data):
    """A new object named exactly ``name`` (refused if Blender would shorten or rename it)."""
    ob = bpy.data.objects.new(name, data)
    if ob.name != name:
        bpy.data.objects.remove(ob, do_unlink=True)
        raise PynValueError(f"the object name {name!r} is too long for Blender; use a shorter scene or "
                            "population name")
    return ob


def _remove_object(ob) -> None:
    data = ob.data
    bpy.data.objects.remove(ob, do_unlink=True)
    if data is not None and data.users == 0:
        if isinstance(data, bpy.types.Mesh):
            bpy.data.meshes.remove(data)
        elif isinstance(data, bpy.types.Curve):
            bpy.data.curves.remove(data)


def remove_from_scene(scene, ob) -> None:
    """Delete an object of this scene's view; one that another scene also shows is only unlinked here."""
    if any(s != scene for s in ob.users_scene):
        own = bpy.data.collections.get(naming.collection_name(view_id(scene)))
        if own is not None and ob.name in own.objects:
            own.objects.unlink(ob)
        return
    _remove_object(ob)


def _is_view_collection(coll) -> bool:
    return VIEW_KEY in coll.keys() or coll.name == naming.collection_name("")


def drop_foreign_collections(scene) -> None:
    """Unlink from a scene the pyN collections that are not its own view's.

    They come from older add-on versions (one ``pyN`` collection shared by all
    scenes) or from a linked copy of another scene.  Objects that no other
    scene shows are deleted with them; a collection left without users is removed.
    """
    own = naming.collection_name(view_id(scene))
    for coll in list(scene.collection.children):
        if coll.name == own or not _is_view_collection(coll):
            continue
        for ob in list(coll.objects):
            if all(s == scene for s in ob.users_scene):
                _remove_object(ob)
        scene.collection.children.unlink(coll)
        if coll.users == 0:
            bpy.data.collections.remove(coll)


def is_own_camera(scene, cam) -> bool:
    """Whether ``cam`` is the camera the add-on made for this scene (or for it in an older version)."""
    return cam is not None and cam.name in (helper_name("camera", scene), naming.helper_name("", "camera"))


def population_object_build(scene, name: str, positions: np.ndarray, color, *, radius: float,
                            as_points: bool, glow: float, idle: float, by_voltage: bool = False):
    """Create (or replace) the object showing one population of a scene.

    Parameters
    ----------
    scene : bpy.types.Scene
    name : str
        Population name.
    positions : ndarray, shape (N, 3)
        Neuron positions (scene units).
    color : sequence of 3 floats
        Linear RGB colour of the glow.
    radius : float
        Sphere radius of one neuron.
    as_points : bool
        Draw as a point cloud instead of instanced spheres.
    glow, idle : float
        Emission strength at a spike and when silent.
    by_voltage : bool
        Colour the neurons by their membrane potential.

    Returns
    -------
    bpy.types.Object
    """
    positions = np.asarray(positions, dtype=np.float32).reshape(-1, 3)
    n = positions.shape[0]
    oname = object_name(name, scene)
    old = bpy.data.objects.get(oname)
    if old is not None:
        _remove_object(old)
    old_mesh = bpy.data.meshes.get(oname)
    if old_mesh is not None and old_mesh.users == 0:
        bpy.data.meshes.remove(old_mesh)
    mesh = bpy.data.meshes.new(oname)
    mesh.vertices.add(n)
    mesh.vertices.foreach_set("co", positions.ravel())
    mesh.attributes.new(ATTRIBUTE, "FLOAT", "POINT")
    mesh.attributes.new(VOLTAGE, "FLOAT", "POINT")
    mesh.update()
    ob = _new_object(oname, mesh)
    ob[POP_KEY] = name
    ob.color = (0.0, 0.0, 0.0, 1.0)     # no glow of the whole object (its material reads the red channel)
    _tag(ob, scene)
    collection(scene).objects.link(ob)
    mat = _material(oname, color, as_points, glow, idle, by_voltage)
    group = _points_group() if as_points else _sphere_group()
    mod = ob.modifiers.new("pyN neurons", "NODES")
    mod.node_group = group
    mod[_socket_id(group, "Radius")] = float(radius)
    mod[_socket_id(group, "Material")] = mat
    mod[_socket_id(group, "Detail")] = 3 if n <= 100 else (2 if n <= 2000 else 1)
    return ob


def clear_view(scene) -> None:
    """Remove the population objects (and connection curves) of the scene."""
    for ob in population_objects(scene):
        remove_from_scene(scene, ob)
    ob = bpy.data.objects.get(helper_name("connections", scene))
    if ob is not None:
        remove_from_scene(scene, ob)


def _connections_group():
    """Edges -> thin tubes (a 4-sided profile swept along each edge) with a material."""
    ng = bpy.data.node_groups.get(GROUP_CONNECTIONS)
    if ng is not None:
        return ng
    ng = bpy.data.node_groups.new(GROUP_CONNECTIONS, "GeometryNodeTree")
    ng.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    ng.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    radius = ng.interface.new_socket("Radius", in_out="INPUT", socket_type="NodeSocketFloat")
    radius.default_value = 0.01
    ng.interface.new_socket("Material", in_out="INPUT", socket_type="NodeSocketMaterial")
    nodes, links = ng.nodes, ng.links
    gin, gout = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    to_curve = nodes.new("GeometryNodeMeshToCurve")
    profile = nodes.new("GeometryNodeCurvePrimitiveCircle")
    profile.inputs["Resolution"].default_value = 4
    to_mesh = nodes.new("GeometryNodeCurveToMesh")
    setmat = nodes.new("GeometryNodeSetMaterial")
    resample = nodes.new("GeometryNodeResampleCurve")  # short pieces keep ray tracing fast
    resample.inputs["Count"].default_value = 12
    links.new(gin.outputs["Geometry"], to_curve.inputs["Mesh"])
    links.new(gin.outputs["Radius"], profile.inputs["Radius"])
    links.new(to_curve.outputs["Curve"], resample.inputs["Curve"])
    links.new(resample.outputs["Curve"], to_mesh.inputs["Curve"])
    links.new(profile.outputs["Curve"], to_mesh.inputs["Profile Curve"])
    links.new(to_mesh.outputs["Mesh"], setmat.inputs["Geometry"])
    links.new(gin.outputs["Material"], setmat.inputs["Material"])
    links.new(setmat.outputs["Geometry"], gout.inputs["Geometry"])
    for i, node in enumerate((gin, to_curve, resample, profile, to_mesh, setmat, gout)):
        node.location = (200 * i, 0)
    return ng


def build_connections(scene, segments, radius: float = 0.012) -> None:
    """Draw synapses as thin straight tubes (one object; one mesh edge per synapse).

    Parameters
    ----------
    segments : ndarray, shape (M, 2, 3)
        Start and end point of each synapse.
    radius : float
        Tube radius.
    """
    name = helper_name("connections", scene)
    ob = bpy.data.objects.get(name)
    if ob is not None:
        _remove_object(ob)
    segments = np.asarray(segments, dtype=np.float32).reshape(-1, 2, 3)
    if not len(segments):
        return
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(2 * len(segments))
    mesh.vertices.foreach_set("co", segments.ravel())
    mesh.edges.add(len(segments))
    mesh.edges.foreach_set("vertices", np.arange(2 * len(segments), dtype=np.int32))
    mesh.update()
    ob = _new_object(name, mesh)
    _tag(ob, scene, "connections")
    collection(scene).objects.link(ob)
    mat = bpy.data.materials.get(CONNECTION_MATERIAL)
    if mat is None:
        mat = bpy.data.materials.new(CONNECTION_MATERIAL)
        _ensure_nodes(mat)
        bsdf = mat.node_tree.nodes.get("Principled BSDF")
        if bsdf is not None:
            bsdf.inputs["Base Color"].default_value = (0.03, 0.03, 0.03, 1.0)
            bsdf.inputs["Emission Color"].default_value = (0.55, 0.6, 0.75, 1.0)
            bsdf.inputs["Emission Strength"].default_value = 0.12
        _no_light_sampling(mat)
    group = _connections_group()
    mod = ob.modifiers.new("pyN connections", "NODES")
    mod.node_group = group
    mod[_socket_id(group, "Radius")] = float(radius)
    mod[_socket_id(group, "Material")] = mat


def write_attribute(population: str, values: np.ndarray, scene=None, attribute: str = ATTRIBUTE) -> bool:
    """Write one population's values (float32, length N) into a point attribute of its object.

    Returns False if the object is missing or has the wrong size or no such attribute.
    """
    ob = bpy.data.objects.get(object_name(population, scene))
    if ob is None or ob.type != "MESH":
        return False
    mesh = ob.data
    attr = mesh.attributes.get(attribute)
    if attr is None or len(attr.data) != len(values):
        return False
    attr.data.foreach_set("value", np.ascontiguousarray(values, dtype=np.float32))
    mesh.update_tag()
    return True


def write_activity(population: str, values: np.ndarray, scene=None) -> bool:
    """Write one population's spike glow (float32, length N) into its object's ``activity``."""
    return write_attribute(population, values, scene, ATTRIBUTE)


def write_voltage(population: str, values: np.ndarray, scene=None) -> bool:
    """Write one population's voltage levels (float32 in [0, 1], length N) into its object's ``voltage``."""
    return write_attribute(population, values, scene, VOLTAGE)


def read_attribute(population: str, scene=None, attribute: str = ATTRIBUTE) -> np.ndarray:
    """Values of a point attribute of a population's object (for tests and scripts)."""
    mesh = bpy.data.objects[object_name(population, scene)].data
    attr = mesh.attributes[attribute]
    out = np.empty(len(attr.data), dtype=np.float32)
    attr.data.foreach_get("value", out)
    return out


def read_activity(population: str, scene=None) -> np.ndarray:
    """Spike glow stored in a population's object (default scene: the current one)."""
    return read_attribute(population, scene, ATTRIBUTE)


def read_voltage(population: str, scene=None) -> np.ndarray:
    """Voltage levels stored in a population's object (default scene: the current one)."""
    return read_attribute(population, scene, VOLTAGE)


# ---------------------------------------------------------------------------
# camera, light, world, colour management
# ---------------------------------------------------------------------------

#: Custom property of a camera the add-on keeps framed: what must stay in view (see :func:`fit_camera`).
FIT_KEY = "pyn_fit"


def frame_camera(scene, points: np.ndarray, margin: float = 1.15, direction=(1.0, -1.6, 0.9),
                 lens: float = 50.0):
    """Aim the pyN camera at a cloud of points so that all of them are in view, at any aspect ratio.

    The camera keeps what it must show (:data:`FIT_KEY`), and :func:`fit_camera`
    moves it to the right distance for the render's size, now and before each
    render (a ``render_init`` handler), so a change of resolution never crops
    the network.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    if not len(points):
        points = np.zeros((1, 3))
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = (lo + hi) / 2
    radius = max(float(np.linalg.norm(points - center, axis=1).max()), 0.5)
    name = helper_name("camera", scene)
    cam = bpy.data.objects.get(name)
    if cam is None:
        cam = _new_object(name, bpy.data.cameras.new(name))
        _tag(cam, scene, "camera")
        collection(scene).objects.link(cam)
    cam.data.type = "PERSP"
    cam.data.lens = lens
    cam.data.sensor_fit = "AUTO"
    cam.data.clip_end = 10000.0
    d = Vector(direction).normalized()
    cam.rotation_mode = "QUATERNION"
    cam.rotation_quaternion = (-d).to_track_quat("-Z", "Y")
    cam[FIT_KEY] = {"center": center.tolist(), "radius": radius, "margin": float(margin)}
    scene.camera = cam
    fit_camera(scene, cam)
    return cam


def keep_in_view(cam, center, half_width: float, half_height: float, margin: float = 1.05) -> None:
    """Make an orthographic camera keep a rectangle of the view plane in view (see :func:`fit_camera`)."""
    cam[FIT_KEY] = {"center": [float(c) for c in center], "half_width": float(half_width),
                    "half_height": float(half_height), "margin": float(margin)}


def _image_size(scene) -> tuple:
    r = scene.render
    return (r.resolution_x * r.pixel_aspect_x, r.resolution_y * r.pixel_aspect_y)


def fit_camera(scene, cam=None) -> bool:
    """Fit the scene's camera to what it keeps in view, at the render's current aspect ratio.

    A perspective camera keeps a sphere (centre, radius): it moves along its
    view axis to where the sphere fits the image's shorter side.  An
    orthographic camera keeps a rectangle: its scale is set so that both sides
    fit.  Cameras without :data:`FIT_KEY` (a user's own) are left alone.
    Returns whether the camera was fitted.
    """
    cam = scene.camera if cam is None else cam
    fit = cam.get(FIT_KEY) if cam is not None and cam.type == "CAMERA" else None
    if fit is None:
        return False
    fit = fit.to_dict() if hasattr(fit, "to_dict") else dict(fit)
    w, h = _image_size(scene)
    margin = float(fit.get("margin", 1.1))
    if cam.data.type == "ORTHO" and "half_width" in fit:
        hw, hh = float(fit["half_width"]), float(fit["half_height"])
        # sensor fit AUTO: the scale spans the image's longer side
        cam.data.ortho_scale = 2 * margin * (max(hw, hh * w / h) if w >= h else max(hh, hw * h / w))
        return True
    if "radius" not in fit:
        return False
    sensor = cam.data.sensor_width if cam.data.sensor_fit != "VERTICAL" else cam.data.sensor_height
    half_fov = math.atan(sensor / 2 * min(w, h) / max(w, h) / cam.data.lens)   # along the shorter side
    distance = margin * float(fit["radius"]) / math.sin(half_fov)
    turn = cam.rotation_quaternion if cam.rotation_mode == "QUATERNION" else cam.rotation_euler.to_quaternion()
    back = turn @ Vector((0.0, 0.0, 1.0))          # a camera looks along its -Z
    cam.location = Vector(fit["center"]) + back.normalized() * distance
    return True


#: The objects of Blender's General startup file, by name and type: Build hides them from the render.
TEMPLATE_OBJECTS = {"Camera": "CAMERA", "Light": "LIGHT", "Cube": "MESH"}


def hide_template_objects(scene) -> list:
    """Hide the General template's Camera, Light and Cube of ``scene`` from the render (not deleted).

    An object counts as the template's when it has the template's name and
    type, is not the add-on's, and (the Cube) is still the 8-vertex cube.
    Returns the names hidden now (already hidden ones are not listed).
    """
    hidden = []
    for name, kind in TEMPLATE_OBJECTS.items():
        ob = scene.objects.get(name)
        if ob is None or ob.type != kind or VIEW_KEY in ob or ob.hide_render:
            continue
        if kind == "MESH" and len(ob.data.vertices) != 8:
            continue
        ob.hide_render = True
        hidden.append(name)
    return hidden


def setup_look(scene, points: np.ndarray | None = None) -> None:
    """Black world, Standard view transform, a soft key light and a framed camera."""
    world = scene.world or bpy.data.worlds.new("pyN.world")
    scene.world = world
    _ensure_nodes(world)
    bg = world.node_tree.nodes.get("Background")
    if bg is not None:
        bg.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
        bg.inputs["Strength"].default_value = 0.0
    world.color = (0.0, 0.0, 0.0)
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    name = helper_name("light", scene)
    light = bpy.data.objects.get(name)
    if light is None:
        data = bpy.data.lights.new(name, "SUN")
        data.energy = 0.5
        light = _new_object(name, data)
        _tag(light, scene, "light")
        collection(scene).objects.link(light)
    light.rotation_euler = (math.radians(50), 0.0, math.radians(30))
    add_bloom(scene)
    if points is not None:
        frame_camera(scene, points)


def add_bloom(scene) -> bool:
    """Give the render a soft bloom around glowing neurons (a Glare node in the compositor).

    Only where the compositor is a node group (Blender 5); an existing
    compositor setup of the scene is left alone.  Returns True if bloom is on.
    """
    if not hasattr(scene, "compositing_node_group"):
        return False
    name = f"{BLOOM} ({view_id(scene)})" if view_id(scene) else BLOOM  # its Render Layers node is the scene's
    current = scene.compositing_node_group
    if current is not None and current.name != name:
        return False
    ng = bpy.data.node_groups.get(name)
    if ng is None:
        ng = bpy.data.node_groups.new(name, "CompositorNodeTree")
        ng.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        layers = ng.nodes.new("CompositorNodeRLayers")
        glare = ng.nodes.new("CompositorNodeGlare")
        out = ng.nodes.new("NodeGroupOutput")
        glare.inputs["Type"].default_value = "Bloom"
        glare.inputs["Threshold"].default_value = 0.5
        glare.inputs["Strength"].default_value = 1.0
        ng.links.new(layers.outputs["Image"], glare.inputs["Image"])
        ng.links.new(glare.outputs["Image"], out.inputs[0])
        for i, node in enumerate((layers, glare, out)):
            node.location = (300 * i, 0)
    for node in ng.nodes:
        if node.bl_idname == "CompositorNodeRLayers" and node.scene != scene:
            node.scene = scene
    scene.compositing_node_group = ng
    return True
