"""Shared test configuration: markers that skip cleanly where an optional part is missing,
and the ``backend`` fixture that runs a test once per backend."""
import importlib.util
import os

import pytest

from pyn_core.engine.backend import available_backends, backends

os.environ.setdefault("MPLBACKEND", "Agg")

HAVE = {
    "requires_bpy": importlib.util.find_spec("bpy") is not None,
    "requires_numba": importlib.util.find_spec("numba") is not None,
}

# Backends whose tests always run, each with the marker of what it needs: numpy is the reference
# and a core dependency (never skipped: an import error there must fail the tests), numba is
# skipped by its marker where numba is not installed.  If numba is installed but its backend does
# not import, the numba tests fail rather than skip, so a broken backend cannot pass unnoticed.
BACKEND_MARKS = {"numpy": [], "numba": [pytest.mark.requires_numba]}


def _backend_params():
    """One parameter per registered backend (id = its name).

    The backends of ``BACKEND_MARKS`` carry their markers; any other registered
    backend runs where :func:`available_backends` lists it and is skipped, with
    the reason, where it is not installed.
    """
    registered = backends()
    others = [name for name in registered if name not in BACKEND_MARKS]
    installed = set(available_backends()) if others else set()     # imports backends only where needed
    params = []
    for name in registered:
        if name in BACKEND_MARKS:
            marks = BACKEND_MARKS[name]
        elif name in installed:
            marks = []
        else:
            marks = [pytest.mark.skip(reason=f"the {name} backend is not installed")]
        params.append(pytest.param(name, id=name, marks=marks))
    return params


@pytest.fixture(scope="module", params=_backend_params())
def backend(request):
    """The name of a backend (``"numpy"``, ``"numba"``, ...) to pass as ``backend=``.

    Module-scoped so that module-scoped fixtures (one shared run per backend)
    can depend on it; test ids read ``[numpy]`` / ``[numba]``.
    """
    return request.param


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, present in HAVE.items():
            if marker in item.keywords and not present:
                item.add_marker(pytest.mark.skip(reason=f"{marker[9:]} is not installed"))
