#!/usr/bin/env bash
# Create the isolated environment in which the peer simulators (Brian2, NEST)
# run for the benchmark comparison: benchmarks/.peers-venv.
#
# The peers never enter pyN's own environment or its test suite; pyN's
# benchmark runner calls the scripts in benchmarks/peers/ with this
# environment's python as subprocesses.
#
# Usage: bash benchmarks/install_peers.sh [--force]
#   PYTHON=python3.13 bash benchmarks/install_peers.sh   # pick the interpreter
#
# Idempotent: when the environment exists and both peers import, it exits at
# once.  --force reinstalls the packages.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.peers-venv"
python="${PYTHON:-python3}"
force=0
[ "${1:-}" = "--force" ] && force=1

check() {
    "$venv/bin/python" - <<'PY' >/dev/null 2>&1
import brian2, nest  # noqa: F401
PY
}

if [ "$force" = 0 ] && [ -x "$venv/bin/python" ] && check; then
    echo "peers environment ready: $venv"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi

pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --upgrade pip setuptools wheel
# numpy/scipy/cython/sympy are Brian2's needs (cython for its cython target);
# nest-simulator ships binary wheels for CPython 3.11 and 3.13.  On Python
# below 3.13 pip resolves Brian2 2.9, which still uses ndarray.ptp (gone from
# NumPy 2.4), so NumPy is held below 2.4 there.
numpy_spec="numpy"
if "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info >= (3, 13))'; then
    numpy_spec="numpy<2.4"
fi
"${pip[@]}" install "$numpy_spec" scipy cython sympy brian2 nest-simulator

if ! check; then
    echo "peers environment at $venv is incomplete: brian2 or nest does not import" >&2
    "$venv/bin/python" -c "import brian2" >&2 || true
    "$venv/bin/python" -c "import nest" >&2 || true
    exit 1
fi

"$venv/bin/python" - <<'PY'
import os, sys
import brian2
# NEST prints its banner on import; keep the version line only.
fd = os.dup(1)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
import nest
os.dup2(fd, 1)
print(f"peers environment ready: python {sys.version.split()[0]}, "
      f"brian2 {brian2.__version__}, nest {nest.__version__}")
PY
