"""What every writer and reader of :mod:`pyn_core.formats` shares: atomic files, optional packages,
the neurons' positions of a run."""
from __future__ import annotations

import contextlib
import importlib
import os
import tempfile

import numpy as np

from ..errors import MissingPackage, PynValueError

#: The optional extra that installs each format's packages: ``pip install 'pyn_core[EXTRA]'``.
EXTRAS = {"pynwb": "nwb", "hdmf": "nwb", "h5py": "sonata", "neo": "neo", "quantities": "neo"}


def need(module: str, feature: str):
    """Import the optional package ``module`` that ``feature`` needs, or say how to install it.

    Examples
    --------
    >>> need("json", "reading JSON").__name__
    'json'
    >>> need("no_such_package_here", "this feature")
    Traceback (most recent call last):
    ...
    pyn_core.errors.MissingPackage: this feature needs the 'no_such_package_here' package: pip install no_such_package_here
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRAS.get(top)
        how = f"pip install 'pyn_core[{extra}]'" if extra else f"pip install {top}"
        raise MissingPackage(f"{feature} needs the {top!r} package: {how}") from exc


@contextlib.contextmanager
def atomic_output(path, *, overwrite: bool = False, what: str = "file"):
    """Yield a temporary path beside ``path``; when the block ends without error it becomes ``path``.

    Nothing half-written is ever at ``path``: the file is written under a
    temporary name in the same folder and renamed into place (an existing
    ``path`` is replaced only with ``overwrite=True``); on any error or
    interruption the temporary file is removed.

    Raises
    ------
    PynValueError
        ``path`` exists and ``overwrite`` is false, or its folder does not exist
        or cannot be written.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "spikes.h5")
    >>> with atomic_output(target) as tmp:
    ...     _ = open(tmp, "w").write("data")
    >>> open(target).read()
    'data'
    >>> with atomic_output(target) as tmp:
    ...     pass
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: ... exists already; pass overwrite=True (pyn export --force) to replace it
    """
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    if os.path.isdir(path):
        raise PynValueError(f"cannot write the {what} {path!r}: it is a folder")
    if os.path.lexists(path) and not overwrite:
        raise PynValueError(f"cannot write the {what}: {path!r} exists already; pass overwrite=True "
                            "(pyn export --force) to replace it")
    if not os.path.isdir(folder):
        raise PynValueError(f"cannot write the {what} {path!r}: the folder {folder!r} does not exist")
    try:
        ext = os.path.splitext(name)[1]      # kept last: some writers check the extension (pynwb: .nwb)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".partial{ext}", dir=folder)
    except OSError as exc:
        raise PynValueError(f"cannot write the {what} {path!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    os.unlink(tmp)          # writers (h5py, pynwb) create the file themselves
    try:
        yield tmp
        if os.path.lexists(path) and not overwrite:      # made meanwhile by someone else
            raise PynValueError(f"cannot write the {what}: {path!r} exists already")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def positions_of(results) -> dict:
    """``{population: (N, 3) positions}`` of the neurons of a run, where they are known.

    Readers of other simulators' files put the positions they find (SONATA
    nodes, an NWB units table's columns) in ``results.meta["positions"]``;
    a pyN run has them from its saved network spec.  Populations of unknown
    positions are left out.
    """
    meta = results.meta if isinstance(results.meta, dict) else {}
    given = meta.get("positions")
    if isinstance(given, dict) and given:
        return {name: np.asarray(xyz, dtype=float).reshape(-1, 3) for name, xyz in given.items()
                if name in results.populations and np.asarray(xyz).size == 3 * results[name].N}
    spec = meta.get("spec")
    if not isinstance(spec, dict):
        return {}
    from ..network import Network
    try:
        net = Network.from_spec(spec)
    except Exception:       # noqa: BLE001 - positions are extra information; a spec that no longer builds has none
        return {}
    out = {}
    for pop in net.populations:
        if pop.name in results.populations and pop.N == results[pop.name].N:
            out[pop.name] = np.asarray(pop.positions, dtype=float)
    return out


def model_of(results, population: str):
    """The model name of ``population`` in the run's saved spec (None for a source or when unknown)."""
    spec = results.meta.get("spec") if isinstance(results.meta, dict) else None
    for d in (spec or {}).get("populations", []) if isinstance(spec, dict) else []:
        if isinstance(d, dict) and d.get("name") == population:
            return d.get("model")
    return None


#: Input currents as a model takes them: (pyN unit, SI unit, factor from the pyN unit to the SI unit).
_CURRENTS = {"nA": ("nA", "amperes", 1e-9), "µA/cm²": ("uA/cm**2", "amperes/cm^2", 1e-6)}
_INPUTS = ("I_ext", "I_syn", "psc", "I_rec")


def trace_unit(results, population: str, var: str) -> tuple:
    """``(unit, si_unit, factor)`` of a recorded trace: its unit in pyN (as the ``quantities`` package
    writes it, ``"dimensionless"`` where the model has none), its SI unit as NWB names it (``"n.a."``
    where none applies), and the factor that takes pyN's numbers to SI.

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> res = Network([LIFPopulation("a", N=1)]).build(dt=0.1, seed=0, record=["v", "I_ext"]).run(1.0)
    >>> trace_unit(res, "a", "v"), trace_unit(res, "a", "I_ext")
    (('mV', 'volts', 0.001), ('nA', 'amperes', 1e-09))
    """
    from ..models import get_model
    name = model_of(results, population)
    try:
        model = get_model(name) if name else None
    except Exception:       # noqa: BLE001 - a model of another process: units unknown
        model = None
    if model is None:
        return ("dimensionless", "n.a.", 1.0)
    if var == model.voltage:
        return ("mV", "volts", 1e-3)
    if var in _INPUTS or (name == "adex" and var == "w"):
        return _CURRENTS.get(model.input_unit, ("dimensionless", "n.a.", 1.0))
    return ("dimensionless", "n.a.", 1.0)
