"""Neurons in 3D: one Blender object per population, lit by a per-neuron attribute.

Each population becomes a mesh of ``N`` vertices at the positions the core
gives, with a float point attribute ``activity``.  A Geometry Nodes modifier
draws every vertex as a sphere (Instance on Points; the attribute reaches the
instances) or, for large populations, as a point of a point cloud.  The
population's material reads ``activity`` with an Attribute node (Instancer
mode for the spheres, Geometry mode for points) and drives its emission.
Writing the activities of a frame is one ``foreach_set`` per population.

Objects are found again by name (``"pyN.<population>"``), never kept across
calls, so undo and file reloads are safe.
"""
from __future__ import annotations

import logging
import math

import bpy
import numpy as np
from mathutils import Vector

log = logging.getLogger(__name__)

ATTRIBUTE = "activity"
COLLECTION = "pyN"
PREFIX = "pyN."
CAMERA = "pyN.camera"
LIGHT = "pyN.light"
CONNECTIONS = "pyN.connections"
GROUP_SPHERES = "pyN neurons (spheres)"
GROUP_POINTS = "pyN neurons (points)"
GROUP_CONNECTIONS = "pyN connections"
BLOOM = "pyN bloom"
#: Custom property naming the population an object shows.
POP_KEY = "pyn_population"


def object_name(population: str) -> str:
    """Name of the object (and its mesh and material) of a population."""
    return PREFIX + population


def population_object(population: str):
    """The object of a population, or None."""
    return bpy.data.objects.get(object_name(population))


def population_objects(scene) -> list:
    """Objects of the scene that show a pyN population."""
    return [ob for ob in scene.objects if POP_KEY in ob.keys()]


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


def _material(name: str, color, as_points: bool, glow: float, idle: float):
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    _ensure_nodes(mat)
    nt = mat.node_tree
    nt.nodes.clear()
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.name = "activity"
    attr.attribute_name = ATTRIBUTE
    attr.attribute_type = "GEOMETRY" if as_points else "INSTANCER"
    strength = nt.nodes.new("ShaderNodeMath")
    strength.name = "strength"
    strength.operation = "MULTIPLY_ADD"  # activity * glow + idle
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    nt.links.new(attr.outputs["Fac"], strength.inputs[0])
    nt.links.new(strength.outputs["Value"], bsdf.inputs["Emission Strength"])
    nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    bsdf.inputs["Roughness"].default_value = 0.6
    _no_light_sampling(mat)
    for i, node in enumerate((attr, strength, bsdf, out)):
        node.location = (250 * i, 0)
    _set_material_values(mat, color, glow, idle)
    return mat


def _set_material_values(mat, color, glow: float, idle: float) -> None:
    nt = mat.node_tree
    rgb = (float(color[0]), float(color[1]), float(color[2]), 1.0)
    bsdf = nt.nodes["bsdf"]
    bsdf.inputs["Base Color"].default_value = tuple(0.15 * c for c in rgb[:3]) + (1.0,)
    bsdf.inputs["Emission Color"].default_value = rgb
    strength = nt.nodes["strength"]
    strength.inputs[1].default_value = float(glow)
    strength.inputs[2].default_value = float(idle)
    mat.diffuse_color = rgb  # solid viewport colour


def refresh_materials(scene) -> None:
    """Push colours and glow strengths from ``Scene.pyn`` into the materials."""
    pyn = scene.pyn
    for pop in pyn.populations:
        mat = bpy.data.materials.get(object_name(pop.name))
        if mat is not None and mat.node_tree and "bsdf" in mat.node_tree.nodes:
            _set_material_values(mat, pop.color, pyn.glow_strength, pyn.base_strength)


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def _collection(scene):
    coll = bpy.data.collections.get(COLLECTION)
    if coll is None:
        coll = bpy.data.collections.new(COLLECTION)
    if coll.name not in scene.collection.children:
        scene.collection.children.link(coll)
    return coll


def _remove_object(ob) -> None:
    data = ob.data
    bpy.data.objects.remove(ob, do_unlink=True)
    if data is not None and data.users == 0:
        if isinstance(data, bpy.types.Mesh):
            bpy.data.meshes.remove(data)
        elif isinstance(data, bpy.types.Curve):
            bpy.data.curves.remove(data)


def population_object_build(scene, name: str, positions: np.ndarray, color, *, radius: float,
                            as_points: bool, glow: float, idle: float):
    """Create (or replace) the object showing one population.

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

    Returns
    -------
    bpy.types.Object
    """
    positions = np.asarray(positions, dtype=np.float32).reshape(-1, 3)
    n = positions.shape[0]
    oname = object_name(name)
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
    mesh.update()
    ob = bpy.data.objects.new(oname, mesh)
    ob[POP_KEY] = name
    _collection(scene).objects.link(ob)
    mat = _material(oname, color, as_points, glow, idle)
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
        _remove_object(ob)
    ob = bpy.data.objects.get(CONNECTIONS)
    if ob is not None:
        _remove_object(ob)


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
    ob = bpy.data.objects.get(CONNECTIONS)
    if ob is not None:
        _remove_object(ob)
    segments = np.asarray(segments, dtype=np.float32).reshape(-1, 2, 3)
    if not len(segments):
        return
    mesh = bpy.data.meshes.new(CONNECTIONS)
    mesh.vertices.add(2 * len(segments))
    mesh.vertices.foreach_set("co", segments.ravel())
    mesh.edges.add(len(segments))
    mesh.edges.foreach_set("vertices", np.arange(2 * len(segments), dtype=np.int32))
    mesh.update()
    ob = bpy.data.objects.new(CONNECTIONS, mesh)
    _collection(scene).objects.link(ob)
    mat = bpy.data.materials.get(CONNECTIONS)
    if mat is None:
        mat = bpy.data.materials.new(CONNECTIONS)
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


def write_activity(population: str, values: np.ndarray) -> bool:
    """Write one population's activities (float32, length N) into its object.

    Returns False if the object is missing or has the wrong size.
    """
    ob = bpy.data.objects.get(object_name(population))
    if ob is None:
        return False
    mesh = ob.data
    attr = mesh.attributes.get(ATTRIBUTE)
    if attr is None or len(attr.data) != len(values):
        return False
    attr.data.foreach_set("value", np.ascontiguousarray(values, dtype=np.float32))
    mesh.update_tag()
    return True


def read_activity(population: str) -> np.ndarray:
    """Activities stored in a population's object (for tests and scripts)."""
    mesh = bpy.data.objects[object_name(population)].data
    attr = mesh.attributes[ATTRIBUTE]
    out = np.empty(len(attr.data), dtype=np.float32)
    attr.data.foreach_get("value", out)
    return out


# ---------------------------------------------------------------------------
# camera, light, world, colour management
# ---------------------------------------------------------------------------

def frame_camera(scene, points: np.ndarray, margin: float = 1.15, direction=(1.0, -1.6, 0.9),
                 lens: float = 50.0):
    """Aim the pyN camera at a cloud of points so that all of them are in view."""
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    if not len(points):
        points = np.zeros((1, 3))
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = Vector(((lo + hi) / 2).tolist())
    radius = max(float(np.linalg.norm(points - np.asarray(center), axis=1).max()), 0.5)
    cam = bpy.data.objects.get(CAMERA)
    if cam is None:
        cam = bpy.data.objects.new(CAMERA, bpy.data.cameras.new(CAMERA))
        _collection(scene).objects.link(cam)
    cam.data.lens = lens
    cam.data.clip_end = 10000.0
    fov = min(cam.data.angle_x, cam.data.angle_y) if hasattr(cam.data, "angle_x") else cam.data.angle
    distance = margin * radius / math.sin(fov / 2)
    d = Vector(direction).normalized()
    cam.location = center + d * distance
    cam.rotation_mode = "QUATERNION"
    cam.rotation_quaternion = (-d).to_track_quat("-Z", "Y")
    scene.camera = cam
    return cam


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
    light = bpy.data.objects.get(LIGHT)
    if light is None:
        data = bpy.data.lights.new(LIGHT, "SUN")
        data.energy = 0.5
        light = bpy.data.objects.new(LIGHT, data)
        _collection(scene).objects.link(light)
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
    current = scene.compositing_node_group
    if current is not None and current.name != BLOOM:
        return False
    ng = bpy.data.node_groups.get(BLOOM)
    if ng is None:
        ng = bpy.data.node_groups.new(BLOOM, "CompositorNodeTree")
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
    scene.compositing_node_group = ng
    return True
