"""Build the pyN Blender extension: ``dist/pyn_blender-<version>.zip``.

Steps: build the ``pyn_core`` wheel from this repository (pip), copy
``blender_addon/`` with the wheel into a staging folder, write the wheel's file
name into the staged ``blender_manifest.toml``, then let Blender's own
extension tool build and validate the zip.  That tool comes with the ``bpy``
module (``pip install bpy``); without it, a ``blender`` executable on the PATH
is used (``blender --command extension build``).

Usage::

    python scripts/build_addon.py [--out dist] [--keep-stage]

The zip installs with Edit > Preferences > Get Extensions > Install from Disk,
or headless with ``bpy.ops.extensions.package_install_files``.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / "blender_addon"
log = logging.getLogger("build_addon")


def manifest() -> dict:
    """The add-on's manifest."""
    with open(ADDON / "blender_manifest.toml", "rb") as f:
        return tomllib.load(f)


def build_core_wheel(dest: Path) -> Path:
    """Build the ``pyn_core`` wheel into ``dest``; returns its path.

    The package is copied to a scratch folder first, so that the build leaves
    nothing (``build/``, ``*.egg-info``) in the checkout.
    """
    dest.mkdir(parents=True, exist_ok=True)
    src = dest.parent / "core_src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "setup.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "pyn_core", src / "pyn_core", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    base = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(dest)]
    try:  # offline-friendly first: use the build backend already installed
        subprocess.run(base + ["--no-build-isolation"], check=True, cwd=src)
    except subprocess.CalledProcessError:
        log.info("building the wheel with an isolated build environment")
        subprocess.run(base, check=True, cwd=src)
    wheels = sorted(dest.glob("pyn_core-*.whl"))
    if not wheels:
        raise SystemExit(f"no pyn_core wheel was built in {dest}")
    with zipfile.ZipFile(wheels[-1]) as z:
        if "pyn_core/__init__.py" not in z.namelist():
            raise SystemExit(f"{wheels[-1].name} does not contain pyn_core/__init__.py")
    return wheels[-1]


def stage(stage_dir: Path, wheel: Path) -> Path:
    """Copy the add-on and the wheel into ``stage_dir``; returns the staged source folder."""
    src = stage_dir / "pyn_blender"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ADDON, src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "wheels"))
    (src / "wheels").mkdir()
    shutil.copy2(wheel, src / "wheels" / wheel.name)
    text = (src / "blender_manifest.toml").read_text()
    text, n = re.subn(r"(?m)^wheels\s*=\s*\[.*?\]", f'wheels = ["./wheels/{wheel.name}"]', text)
    if n != 1:
        raise SystemExit("blender_manifest.toml must have one 'wheels = [...]' line")
    (src / "blender_manifest.toml").write_text(text)
    return src


def extension_tool() -> list[str]:
    """Command prefix of Blender's extension tool (from the bpy module, else the blender binary)."""
    spec = importlib.util.find_spec("bpy")
    if spec is not None and spec.submodule_search_locations:
        base = Path(list(spec.submodule_search_locations)[0])
        found = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return [sys.executable, str(found[-1])]
    blender = shutil.which("blender")
    if blender:
        return [blender, "--background", "--factory-startup", "--command", "extension"]
    raise SystemExit("Blender's extension tool was not found: pip install bpy==5.0.1 (Python 3.11) "
                     "or put a Blender 4.2+ executable on the PATH")


def build(out_dir: Path, keep_stage: bool = False) -> Path:
    """Build and validate the extension zip; returns its path."""
    meta = manifest()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{meta['id']}-{meta['version']}.zip"
    tool = extension_tool()
    work = Path(tempfile.mkdtemp(prefix="pyn_addon_"))
    try:
        wheel = build_core_wheel(work / "wheels")
        src = stage(work, wheel)
        if target.exists():
            target.unlink()
        subprocess.run(tool + ["build", "--source-dir", str(src), "--output-filepath", str(target)],
                       check=True)
        subprocess.run(tool + ["validate", str(target)], check=True)
    finally:
        if keep_stage:
            log.info("staged files kept in %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    with zipfile.ZipFile(target) as z:
        names = set(z.namelist())
    for needed in ("blender_manifest.toml", "__init__.py", f"wheels/{wheel.name}"):
        if needed not in names:
            raise SystemExit(f"{target} lacks {needed}")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--keep-stage", action="store_true", help="keep the staging folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = build(args.out, args.keep_stage)
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
