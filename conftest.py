"""Doctest collection: the numba backend's modules are only imported where numba is installed."""
import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("numba") else ["pyn_core/engine/numba/*.py"]
