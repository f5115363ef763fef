"""The numba backend: the step compiled into fused loops (``pip install 'pyn_core[fast]'``).

Importing this package does not import numba; :mod:`.backend` does.
"""
