"""Shared test configuration: markers that skip cleanly where an optional part is missing."""
import importlib.util
import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

HAVE = {
    "requires_bpy": importlib.util.find_spec("bpy") is not None,
    "requires_numba": importlib.util.find_spec("numba") is not None,
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, present in HAVE.items():
            if marker in item.keywords and not present:
                item.add_marker(pytest.mark.skip(reason=f"{marker[9:]} is not installed"))
