"""Runs in the formats other tools read, and other simulators' spikes read back.

======================  ===============================================  ==============================
format                  write                                            read
======================  ===============================================  ==============================
NWB (pynwb)             ``res.to_nwb(path)``, ``pyn export --nwb``       :func:`read_nwb_spikes`
SONATA spikes (h5py)    ``res.to_sonata(path)``, ``pyn export --sonata`` :func:`read_sonata_spikes`
Neo (neo, quantities)   ``res.to_neo()`` (a ``neo.Block`` in memory)
pyN's own folder        ``res.save(folder)``                             :func:`pyn_core.load_results`
======================  ===============================================  ==============================

:func:`read_spikes` reads any of the files (or a pyN run folder) into a
:class:`~pyn_core.Results`, which is what the Blender add-on plays.  Each
format needs its optional packages (``pip install 'pyn_core[nwb]'``,
``[sonata]``, ``[neo]``); without them a :class:`~pyn_core.errors.MissingPackage`
says what to install.  Every writer is atomic and refuses to overwrite a file
unless ``overwrite=True``.  See ``docs/data.md``.
"""
from __future__ import annotations

import os

from ._files import atomic_output, need, positions_of

__all__ = ["read_nwb_spikes", "read_sonata_spikes", "read_spikes", "to_neo", "to_nwb", "to_sonata",
           "atomic_output", "need", "positions_of"]


def to_nwb(results, path, **options):
    """Write ``results`` as an NWB file (see :func:`pyn_core.formats.nwb.to_nwb`)."""
    from .nwb import to_nwb as write
    return write(results, path, **options)


def read_nwb_spikes(path, **options):
    """The spikes of an NWB file's units table as a :class:`~pyn_core.Results` (see :mod:`.nwb`)."""
    from .nwb import read_nwb_spikes as read
    return read(path, **options)


def to_sonata(results, path, **options):
    """Write the spikes of ``results`` as a SONATA spike file (see :func:`pyn_core.formats.sonata.to_sonata`)."""
    from .sonata import to_sonata as write
    return write(results, path, **options)


def read_sonata_spikes(path, **options):
    """A SONATA spike file as a :class:`~pyn_core.Results` (see :func:`pyn_core.formats.sonata.read_sonata_spikes`)."""
    from .sonata import read_sonata_spikes as read
    return read(path, **options)


def to_neo(results, **options):
    """``results`` as a ``neo.Block`` (see :func:`pyn_core.formats.neo_export.to_neo`)."""
    from .neo_export import to_neo as convert
    return convert(results, **options)


def read_spikes(path, **options):
    """Spikes of a run from any source pyN reads: a pyN run folder, an NWB file or a SONATA spike file.

    The kind is told by what ``path`` is: a folder is a pyN run, a file
    ending in ``.nwb`` an NWB file, any other file (``.h5``, ``.hdf5``,
    ``.sonata``) a SONATA spike file.  Returns a :class:`~pyn_core.Results`.
    """
    from ..errors import PynValueError
    from ..results import load_results
    path = os.fspath(path)
    if os.path.isdir(path):
        return load_results(path)
    if not os.path.isfile(path):
        raise PynValueError(f"cannot read spikes from {path!r}: no such file or folder")
    if path.lower().endswith(".nwb"):
        return read_nwb_spikes(path, **options)
    return read_sonata_spikes(path, **options)
