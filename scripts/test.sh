#!/usr/bin/env bash
# Installs everything the test suite needs (from the package registries) and runs it:
#   1. the whole suite, Blender included, in .venv-test (Python 3.11, numpy 1.26 as bpy requires);
#   2. the core's tests again on numpy 2 in .venv-np2.
# Extra arguments go to the first pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; else PY=python3; fi
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x .venv-test/bin/python ]; then "$PY" -m venv .venv-test; fi
.venv-test/bin/python -m pip install -q -e ".[test,blender]"
.venv-test/bin/python -m pytest -p no:cacheprovider "$@"

if [ "${PYN_SKIP_NUMPY2:-0}" != "1" ]; then
  if [ ! -x .venv-np2/bin/python ]; then "$PY" -m venv .venv-np2; fi
  .venv-np2/bin/python -m pip install -q -e ".[plot,formats]" "numpy>=2" scipy pytest hypothesis jsonschema \
      "dask[distributed]>=2024.1" tqdm nwbinspector elephant
  .venv-np2/bin/python -m pytest -p no:cacheprovider -q -m "not requires_bpy and not requires_numba and not slow" \
      --ignore=tests/blender pyn_core tests
fi
