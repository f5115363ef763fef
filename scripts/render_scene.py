"""Render a pyN example scene headlessly (Blender as a Python module: ``pip install bpy``).

One frame::

    python scripts/render_scene.py scenes/thalamocortical.py --frame 40 --out tc.png

An animation (a PNG per frame in DIR, and with ``--movie`` an MP4 as well)::

    python scripts/render_scene.py scenes/izhikevich_gallery.py --frames 1-120 --out DIR [--movie]

The scene script must define ``build_scene(scene)``.  The frame range is baked
first (exact and fast), unless the scene brings a bake of its own that covers
it (the Izhikevich gallery does: each pattern at its published step), then
rendered with Cycles on the CPU by default.  ``--color-by voltage`` colours
neurons by their membrane potential.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("render_scene")


def parse_frames(text: str) -> tuple[int, int]:
    """``"A-B"`` -> (A, B)."""
    a, sep, b = text.partition("-")
    if not sep or not a.strip().isdigit() or not b.strip().isdigit() or int(b) < int(a):
        raise argparse.ArgumentTypeError(f"frames must look like 1-120, got {text!r}")
    return int(a), int(b)


def parse_size(text: str) -> tuple[int, int]:
    """``"640x400"`` -> (640, 400)."""
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit():
        raise argparse.ArgumentTypeError(f"size must look like 640x400, got {text!r}")
    return int(w), int(h)


def load_scene_module(path: Path):
    """Import a scene script as a module (it must define ``build_scene``)."""
    spec = importlib.util.spec_from_file_location(f"pyn_scene_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "build_scene"):
        raise SystemExit(f"{path} has no build_scene(scene) function")
    return module


def set_engine(scene, engine: str, samples: int) -> None:
    """Choose the render engine (EEVEE's identifier differs between Blender 4 and 5)."""
    if engine == "CYCLES":
        scene.render.engine = "CYCLES"
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = False
    elif engine == "EEVEE":
        for ident in ("BLENDER_EEVEE_NEXT", "BLENDER_EEVEE"):
            try:
                scene.render.engine = ident
                break
            except TypeError:
                continue
        scene.eevee.taa_render_samples = samples
    else:
        scene.render.engine = "BLENDER_WORKBENCH"


def to_palette(path: Path, colors: int) -> None:
    """Rewrite a PNG with a palette of ``colors`` colours (Pillow), for small files in the docs."""
    try:
        from PIL import Image
    except ImportError:
        raise SystemExit("--palette needs Pillow: pip install pillow") from None
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def encode_movie(scene, folder: Path, first: int, last: int, stem: str) -> Path:
    """Encode the rendered ``frame_NNNN.png`` of ``folder`` as an MP4 (H.264) beside them; returns its path.

    The frames are put in the sequencer of a scratch scene and that is
    rendered: the 3D scene is not rendered a second time.
    """
    import bpy

    movie_scene = bpy.data.scenes.new("pyN movie")
    try:
        movie_scene.render.resolution_x = scene.render.resolution_x
        movie_scene.render.resolution_y = scene.render.resolution_y
        movie_scene.render.resolution_percentage = scene.render.resolution_percentage
        movie_scene.render.fps, movie_scene.render.fps_base = scene.render.fps, scene.render.fps_base
        movie_scene.frame_start, movie_scene.frame_end = 1, last - first + 1
        editor = movie_scene.sequence_editor_create()
        names = [f"frame_{i:04d}.png" for i in range(first, last + 1)]
        strip = editor.strips.new_image("frames", str(folder / names[0]), 1, 1)
        for name in names[1:]:
            strip.elements.append(name)
        settings = movie_scene.render.image_settings
        if hasattr(settings, "media_type"):
            settings.media_type = "VIDEO"
        settings.file_format = "FFMPEG"
        movie_scene.render.ffmpeg.format = "MPEG4"
        movie_scene.render.ffmpeg.codec = "H264"
        movie_scene.render.use_sequencer = True
        movie_scene.render.filepath = str(folder / f"{stem}_")
        bpy.ops.render.render(animation=True, scene=movie_scene.name)
        return next(iter(sorted(folder.glob(f"{stem}_*.mp4"))), folder / f"{stem}_.mp4")
    finally:
        bpy.data.scenes.remove(movie_scene)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scene", type=Path, help="scene script, e.g. scenes/thalamocortical.py")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--frame", type=int, help="render this frame to --out (a PNG file)")
    which.add_argument("--frames", type=parse_frames, help="render frames A-B into the folder --out")
    parser.add_argument("--out", type=Path, required=True, help="PNG file (--frame) or folder (--frames)")
    parser.add_argument("--engine", choices=("CYCLES", "EEVEE", "WORKBENCH"), default="CYCLES")
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--size", type=parse_size, help="WIDTHxHEIGHT (default: the scene's own)")
    parser.add_argument("--no-bake", action="store_true", help="simulate frame by frame instead of baking")
    parser.add_argument("--rebake", action="store_true",
                        help="bake the network even if the scene brings a bake of its own")
    parser.add_argument("--color-by", choices=("spikes", "voltage"),
                        help="colour neurons by spikes or by membrane potential (default: the scene's)")
    parser.add_argument("--colormap", choices=("pyn", "viridis", "magma", "coolwarm"),
                        help="colour map of the membrane potential (with --color-by voltage)")
    parser.add_argument("--movie", action="store_true", help="with --frames: also write an MP4")
    parser.add_argument("--save-blend", type=Path, help="also save the built scene as a .blend")
    parser.add_argument("--palette", type=int, metavar="N",
                        help="with --frame: store the PNG with a palette of N colours (small files; needs Pillow)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        import bpy
    except ImportError:
        raise SystemExit("bpy is not installed: pip install bpy==5.0.1 (Python 3.11)") from None
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import blender_addon
    from blender_addon import actions, driver
    from blender_addon.runtime import frame_to_ms

    blender_addon.register()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    module = load_scene_module(args.scene.resolve())
    t0 = time.perf_counter()
    module.build_scene(scene)
    first, last = (args.frame, args.frame) if args.frame is not None else args.frames
    scene.frame_end = max(scene.frame_end, last)
    if args.color_by is not None:
        scene.pyn.color_by = args.color_by
    if args.colormap is not None:
        scene.pyn.colormap = args.colormap
    if args.no_bake:
        driver.clear_bake(scene)
    else:
        own = driver.usable_bake(scene, frame_to_ms(last, scene.pyn.start_frame, scene.pyn.ms_per_frame))
        if own is not None and not args.rebake:
            log.info("using the scene's own bake (%d spikes%s)", len(own.record), f"; {own.note}" if own.note else "")
        else:
            bake = actions.bake(scene)
            log.info("baked %d spikes in %.2f s", len(bake.record), time.perf_counter() - t0)
    set_engine(scene, args.engine, args.samples)
    if args.size is not None:
        scene.render.resolution_x, scene.render.resolution_y = args.size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    if args.save_blend:
        bpy.ops.wm.save_as_mainfile(filepath=str(args.save_blend.resolve()))
    t0 = time.perf_counter()
    if args.frame is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        scene.frame_set(args.frame)
        scene.render.filepath = str(args.out.resolve())
        bpy.ops.render.render(write_still=True)
        if args.palette:
            to_palette(args.out, args.palette)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        scene.frame_start, scene.frame_end = first, last
        scene.render.filepath = str(args.out.resolve() / "frame_")
        bpy.ops.render.render(animation=True)
        if args.movie:
            movie = encode_movie(scene, args.out.resolve(), first, last, args.scene.stem)
            log.info("movie: %s", movie)
    log.info("rendered in %.1f s -> %s", time.perf_counter() - t0, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
