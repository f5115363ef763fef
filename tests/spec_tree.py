"""Walking a nested spec (dicts and lists) by paths: the mutation tests of the spec share these."""
from __future__ import annotations


def paths(obj, prefix=(), skip=()):
    """Every path (tuple of keys and indices) into a nested dict/list, the root excluded; a path in
    ``skip`` is left out with everything below it."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        path = prefix + (k,)
        if path in skip:
            continue
        yield path
        yield from paths(v, path, skip)


def at(obj, path):
    """The value at ``path``."""
    for k in path:
        obj = obj[k]
    return obj
