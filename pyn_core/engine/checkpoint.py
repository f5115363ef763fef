"""Checkpoints: the complete state of a simulation between runs, saved atomically and restored bit for bit.

A checkpoint is a folder of two files, as a saved run (:mod:`pyn_core.results`):

``meta.json``
    ``{"format": "pyn-checkpoint", "version": 1, ...}``: the network spec
    (its stimuli apart), the network's settings, the build settings (``dt``,
    seed, learning, what is recorded and how often, every stimulus the
    simulation was built with), the step counter ``k`` and the run target,
    which connections are switched on, the weight monitors, the position of
    the run's random generator (its bit generator's state, integers written
    as decimal strings), and a description of the built structure
    (populations, receptors, the ring length, a SHA-256 of each
    connection's synapses and delays) against which the rebuilt network is
    checked.
``arrays.npz``
    Every mutable array, by name: per population its state, parameters and
    per-step inputs (``pop<j>.state.v``, ``pop<j>.param.a``, ...); per
    receptor its state and delay ring (``receptor<r>.state``, ``.ring``); per
    connection its weights (one value while they are shared), short-term
    plasticity (``proj<q>.stp.u``, ...) and learning state (traces, their
    epoch; R-STDP eligibility and dopamine integral: ``proj<q>.learn.X``,
    ...); the dopamine of each modulator; the next candidate spike of each
    Poisson source; what was recorded so far (``recorder.*``); the values a
    current given as a function took (``stimulus<j>.table``); and the
    backend's own state (``backend.*``, see
    :meth:`~pyn_core.engine.backend.Backend.export_state`).  Loaded with
    ``allow_pickle=False``.

Loading rebuilds the network from the spec and the seed (the same draws give
the same connectivity), checks that the structure matches, writes every
saved array back and then starts the backend, which may differ from the one
that saved.  Counter-based random streams (the Poisson stimuli's) need no
saving: their keys derive from the seed.

Examples
--------
>>> import os, tempfile
>>> from pyn_core import Network, LIFPopulation, load_checkpoint
>>> net = Network([LIFPopulation("n", N=3)])
>>> _ = net.add_noise("n", mean=20.0, std=5.0)
>>> a = net.build(dt=0.1, seed=4, backend="numpy", record=["v"])
>>> b = net.build(dt=0.1, seed=4, backend="numpy", record=["v"])
>>> _ = a.run(20.0); _ = b.run(10.0)
>>> path = b.save_checkpoint(os.path.join(tempfile.mkdtemp(), "ckpt"))
>>> c = load_checkpoint(path, backend="numpy")
>>> _ = c.run(10.0)
>>> bool((c.results["n"].v == a.results["n"].v).all()), c.t
(True, 20.0)
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import tempfile
import zipfile
import zlib

import numpy as np

from ..errors import NoSavedRun, NotSupported, PynError, PynTypeError, PynValueError, SimulationError
from ..results import json_default
from .buildspec import _Tabulated, build_settings, network_spec, rebuild, restored_stimuli  # noqa: F401

FORMAT = "pyn-checkpoint"
VERSION = 1
META, ARRAYS = "meta.json", "arrays.npz"

_NPZ_ERRORS = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, zlib.error,
               NotImplementedError, UnicodeDecodeError)


# ---------------------------------------------------------------------------
# what the state is
# ---------------------------------------------------------------------------
def _shared(q) -> bool:
    """Whether connection ``q`` keeps one weight for every synapse (a read-only broadcast)."""
    return bool(q.weight.size) and q.weight.strides == (0,)


def shared_state(sim) -> dict:
    """Copies of every array of the state ``sim``'s objects share with the backends, by name.

    Their shapes and types are fixed by the build (weights: one value while
    shared, else one per synapse).  What was recorded and the backend's own
    state are apart (:meth:`.recorder.Recorder.state_arrays`, the backend's
    ``export_state``).
    """
    out = {}
    for p in sim.pops:
        pre = f"pop{p.index}."
        out[pre + "I_ext"], out[pre + "spiked"] = p.I_ext.copy(), p.spiked.copy()
        if p.is_source:
            continue
        for var, a in p.state.items():
            out[f"{pre}state.{var}"] = a.copy()
        for name, a in p.params.items():
            out[f"{pre}param.{name}"] = a.copy()
        for name in ("I", "G", "GE", "v_prev"):
            out[pre + name] = getattr(p, name).copy()
        if p.ref_steps is not None:
            out[pre + "ref_count"] = p.ref_count.copy()
    for r, rc in enumerate(sim.receptors):
        out[f"receptor{r}.state"], out[f"receptor{r}.ring"] = rc.state.copy(), rc.ring.copy()
    for q in sim.projs:
        pre = f"proj{q.index}."
        out[pre + "weight"] = np.array(q.weight[:1] if _shared(q) else q.weight)
        if q.stp_state is not None:
            out.update({f"{pre}stp.{k}": v for k, v in q.stp_state.state_arrays().items()})
        if q.plastic is not None:
            out.update({f"{pre}learn.{k}": v for k, v in q.plastic.state_arrays().items()})
    for m, mod in enumerate(sim.plasticity.modulators):
        out[f"modulator{m}.d"] = np.array(mod.d, dtype=np.float64)
    out.update({f"source{k}": v for k, v in sim.sources.state_arrays().items()})
    return out


def _load_shared(sim, arrays):
    """Write :func:`shared_state` arrays (checked) into a freshly built ``sim``."""
    for p in sim.pops:
        pre = f"pop{p.index}."
        p.I_ext[...], p.spiked[...] = arrays[pre + "I_ext"], arrays[pre + "spiked"]
        if p.is_source:
            continue
        for var, a in p.state.items():
            a[...] = arrays[f"{pre}state.{var}"]
        for name, a in p.params.items():
            a[...] = arrays[f"{pre}param.{name}"]
        for name in ("I", "G", "GE", "v_prev"):
            getattr(p, name)[...] = arrays[pre + name]
        if p.ref_steps is not None:
            p.ref_count[...] = arrays[pre + "ref_count"]
    for r, rc in enumerate(sim.receptors):
        rc.state[...], rc.ring[...] = arrays[f"receptor{r}.state"], arrays[f"receptor{r}.ring"]
    for q in sim.projs:
        pre = f"proj{q.index}."
        w = arrays[pre + "weight"]
        if not (_shared(q) and w.shape == (1,)):      # shared and still shared: checked equal already
            if q.weight.flags.writeable:
                q.weight[...] = w
            else:                                     # one value per synapse since set_weights
                q.weight = np.array(w, dtype=q.weight.dtype)
        if q.stp_state is not None:
            q.stp_state.load_state_arrays({k: arrays[f"{pre}stp.{k}"] for k in q.stp_state.state_arrays()})
        if q.plastic is not None:
            q.plastic.load_state_arrays({k: arrays[f"{pre}learn.{k}"] for k in q.plastic.state_arrays()})
    for m, mod in enumerate(sim.plasticity.modulators):
        mod.d = float(arrays[f"modulator{m}.d"])
    sim.sources.load_state_arrays({k: arrays[f"source{k}"] for k in sim.sources.state_arrays()})


def structure(sim) -> dict:
    """What the build made that a checkpoint does not save but must find again (JSON-compatible)."""
    conns = []
    for q in sim.projs:
        h = hashlib.sha256()
        delays = (np.full(q.n, q.uniform_delay, dtype=np.int64) if q.uniform_delay is not None
                  else q.delay.astype(np.int64))
        for a in (q.indptr.astype(np.int64), q.post_idx.astype(np.int32), delays):
            h.update(np.ascontiguousarray(a).tobytes())
        conns.append({"name": q.name, "pre": q.pre.index, "post": q.post.index,
                      "receptor": sim.receptors.index(q.receptor), "synapses": int(q.n), "sign": q.sign,
                      "weight_dtype": q.weight.dtype.name, "learns": q.plastic is not None,
                      "stp": q.stp_state is not None, "sha256": h.hexdigest()})
    return {"ring_len": int(sim.ring_len),
            "populations": [{"name": p.name, "N": int(p.N), "model": "source" if p.is_source else p.model.name}
                            for p in sim.pops],
            "receptors": [{"post": rc.post.index, "kind": rc.kind.name, "ring_dtype": rc.ring.dtype.name,
                           "args_sha256": hashlib.sha256(np.asarray(rc.args, dtype=np.float64).tobytes()).hexdigest()}
                          for rc in sim.receptors],
            "connections": conns}


def _difference(a, b, where="structure"):
    """Where ``a`` and ``b`` (JSON values) first differ, as text, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}.{k} is {'missing' if k not in b else 'new'}"
            d = _difference(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where} has {len(b)} entries in the checkpoint, {len(a)} rebuilt"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{where} is {b!r} in the checkpoint, {a!r} rebuilt"


# ---------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------
def _encode_ints(x):
    """A bit generator's state with its integers as decimal strings (JSON readers keep 53 bits of a number)."""
    if isinstance(x, dict):
        return {k: _encode_ints(v) for k, v in x.items()}
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return x


def _decode_ints(saved, template, where):
    """Inverse of :func:`_encode_ints`, following ``template`` (a fresh state of the same generator)."""
    if isinstance(template, dict):
        if not isinstance(saved, dict) or set(saved) != set(template):
            raise PynValueError(f"meta.json field {where!r} must be a dict with keys {sorted(template)}, "
                                f"got {saved!r}")
        return {k: _decode_ints(saved[k], template[k], f"{where}.{k}") for k in template}
    if isinstance(template, int):
        try:
            return int(saved, 10)
        except (TypeError, ValueError):
            raise PynValueError(f"meta.json field {where!r} must be an integer written as a decimal string, "
                                f"got {saved!r}") from None
    if saved != template:
        raise PynValueError(f"meta.json field {where!r} is {saved!r}; this pyN uses {template!r}")
    return saved


def _json_default(o):
    try:
        return json_default(o)
    except PynTypeError:
        raise PynValueError(f"a checkpoint cannot hold a {type(o).__name__} in meta.json") from None


def collect(sim) -> tuple[dict, dict]:
    """(meta, arrays) of a checkpoint of ``sim`` (nothing is written)."""
    if sim.recorder.chunk is not None:
        raise SimulationError("a checkpoint is taken between runs, not while one is under way "
                              "(e.g. from a progress callback)")
    export = getattr(sim.backend, "export_state", None)
    if export is None:
        raise NotSupported(f"the {sim.backend.name} backend cannot export its state (it has no export_state), "
                           "so it cannot be checkpointed")
    sim.backend.pull()
    from .. import __version__
    net = sim.network
    arrays = shared_state(sim)
    arrays.update({f"recorder.{k}": v for k, v in sim.recorder.state_arrays().items()})
    arrays.update({f"backend.{k}": np.asarray(v) for k, v in export().items()})
    spec = network_spec(net)                 # the network without its stimuli (kept apart: functions)
    meta = {
        "format": FORMAT, "version": VERSION,
        "saved": _dt.datetime.now().isoformat(timespec="seconds"),
        "versions": {"pyn_core": __version__, "numpy": np.__version__, "python": platform.python_version()},
        "experiment_name": sim.experiment_name,
        "network": spec,
        "settings": dict(net.settings),
        "build": build_settings(sim, arrays, lambda j: f"stimulus{j}.table"),
        "run": {"k": int(sim.k), "target": float(sim._target), "failure": sim.failure,
                "backend": sim.backend.name, "enabled": [bool(q.enabled) for q in sim.projs],
                "rng": _encode_ints(sim.rng_run.bit_generator.state)},
        "monitors": [{"connection": m.proj.index, "every": int(m.every)} for m in sim.recorder.weights],
        "structure": structure(sim),
    }
    return meta, arrays


def _is_checkpoint(path: str) -> bool:
    try:
        with open(os.path.join(path, META), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def _fsync(path: str):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(path, meta: dict, arrays: dict) -> str:
    """Write a checkpoint folder at ``path`` atomically; an existing checkpoint there is replaced on success only.

    The files are written into a hidden temporary folder beside ``path``,
    flushed to disk and renamed into place (``os.replace``); on any failure
    (also an interruption) the temporary folder is removed.  An existing
    checkpoint at ``path`` is first renamed aside and removed once the new
    one is in place (put back if that rename fails).  A ``path`` that
    exists but is not a checkpoint is refused, never replaced.
    """
    path = os.path.abspath(os.fspath(path))
    parent, base = os.path.split(path)
    if os.path.lexists(path) and not (os.path.isdir(path) and _is_checkpoint(path)):
        raise PynValueError(f"{path!r} exists and is not a pyN checkpoint; refusing to replace it "
                            "(choose another path or remove it)")
    os.makedirs(parent, exist_ok=True)
    text = json.dumps(meta, indent=1, default=_json_default, allow_nan=False)
    tmp = tempfile.mkdtemp(prefix=f".{base}.pyn-partial-", dir=parent)
    old = None
    try:
        with open(os.path.join(tmp, ARRAYS), "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        with open(os.path.join(tmp, META), "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if os.path.lexists(path):
            old = os.path.join(parent, f".{base}.pyn-old-{os.path.basename(tmp).rsplit('-', 1)[-1]}")
            os.replace(path, old)          # the old checkpoint aside, under a name nothing else has
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old, path)
                old = None
                raise
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        _fsync(parent)                     # the rename itself on disk (where the platform allows)
    except OSError:
        pass
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return path


def save_checkpoint(sim, path) -> str:
    """Write the complete state of ``sim`` to the folder ``path`` (see :meth:`Simulation.save_checkpoint`)."""
    meta, arrays = collect(sim)
    return write(path, meta, arrays)


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
def read(path) -> tuple[dict, dict]:
    """(meta, arrays) of the checkpoint folder ``path``, its header checked; damage is a PynValueError."""
    path = os.fspath(path)
    meta_path, arrays_path = os.path.join(path, META), os.path.join(path, ARRAYS)
    if not os.path.isfile(meta_path):
        raise NoSavedRun(f"{path!r} is not a pyN checkpoint (no {META})")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PynValueError(f"{path!r}: {META} is damaged (not JSON: {exc})") from exc
    if not isinstance(meta, dict):
        raise PynValueError(f"{path!r}: {META} is damaged (a JSON object is expected, got {type(meta).__name__})")
    if meta.get("format") != FORMAT:
        raise PynValueError(f"{path!r}: {META} has format {meta.get('format')!r}; a checkpoint has format "
                            f"{FORMAT!r}")
    if meta.get("version") != VERSION or isinstance(meta.get("version"), bool):
        raise PynValueError(f"{path!r}: unsupported checkpoint version {meta.get('version')!r}; this pyN reads "
                            f"version {VERSION}")
    if not os.path.isfile(arrays_path):
        raise PynValueError(f"{path!r} is a damaged checkpoint: {ARRAYS} is missing")
    try:
        with np.load(arrays_path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except _NPZ_ERRORS as exc:
        raise PynValueError(f"{path!r} is a damaged checkpoint: {ARRAYS} cannot be read "
                            f"({type(exc).__name__}: {exc})") from exc
    odd = [k for k, v in arrays.items() if not isinstance(v, np.ndarray)]
    if odd:
        raise PynValueError(f"{path!r} is a damaged checkpoint: {ARRAYS} holds members that are not arrays "
                            f"({', '.join(sorted(odd)[:5])})")
    return meta, arrays


def _field(meta, dotted: str, kind, where):
    """``meta["a"]["b"]`` for ``"a.b"``, of type ``kind``; a PynValueError naming the field otherwise."""
    value = meta
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise PynValueError(f"{where}: {META} field {dotted!r} is missing")
        value = value[part]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise PynValueError(f"{where}: {META} field {dotted!r} must be {names}, got {value!r}")
    return value


class _Arrays:
    """The saved arrays, taken one by one with their checks; what is left over at the end is refused."""

    def __init__(self, arrays, where):
        self.arrays, self.where, self.used = arrays, where, set()

    def take(self, name, dtype=None, shape=None, ndim=None):
        if name not in self.arrays:
            raise PynValueError(f"{self.where} is a damaged checkpoint: {ARRAYS} has no array {name!r}")
        a = self.arrays[name]
        self.used.add(name)
        if dtype is not None and a.dtype != np.dtype(dtype):
            raise PynValueError(f"{self.where} is a damaged checkpoint: array {name!r} is {a.dtype}, "
                                f"{np.dtype(dtype)} expected")
        if shape is not None and a.shape != tuple(shape):
            raise PynValueError(f"{self.where} is a damaged checkpoint: array {name!r} has shape {a.shape}, "
                                f"{tuple(shape)} expected")
        if ndim is not None and a.ndim != ndim:
            raise PynValueError(f"{self.where} is a damaged checkpoint: array {name!r} has {a.ndim} dimensions, "
                                f"{ndim} expected")
        return a

    def bad(self, name, what):
        raise PynValueError(f"{self.where} is a damaged checkpoint: array {name!r} {what}")

    def finish(self):
        left = sorted(set(self.arrays) - self.used)
        if left:
            raise PynValueError(f"{self.where}: {ARRAYS} holds arrays this network does not have "
                                f"({', '.join(left[:5])}{', ...' if len(left) > 5 else ''}); the checkpoint was "
                                "written for another network or by another pyN version")


def _indices(A, name, a, n):
    if a.size and (a.min() < 0 or a.max() >= n):
        A.bad(name, f"holds indices outside 0..{n - 1}")


def _restored_stimuli(meta, A, where):
    def table(j, d):
        name = f"stimulus{j}.table"
        t = A.take(name, np.float64)
        if t.ndim not in (1, 2) or not np.all(np.isfinite(t)):
            A.bad(name, "must be a finite 1-D or 2-D array")
        return t
    return restored_stimuli(_field(meta, "build.stimuli", list, where), table)


def _rebuild(meta, A, where):
    """The network and the freshly built simulation (numpy backend, step 0) of a checkpoint."""
    spec = _field(meta, "network", dict, where)
    settings = _field(meta, "settings", dict, where)
    dt = _field(meta, "build.dt", (int, float), where)
    seed = _field(meta, "build.seed", int, where)
    learning = _field(meta, "build.learning", bool, where)
    record = _field(meta, "build.record", dict, where)
    every = _field(meta, "build.record_every_steps", int, where)
    own = _field(meta, "build.network_stimuli", int, where)
    name = _field(meta, "experiment_name", str, where)
    build = {"dt": dt, "seed": seed, "learning": learning, "record": record, "record_every_steps": every,
             "network_stimuli": own}
    try:
        stimuli = _restored_stimuli(meta, A, where)
        sim = rebuild(spec, settings, build, None, backend="numpy", experiment_name=name, stimuli=stimuli)
    except PynError as exc:
        raise PynValueError(f"{where}: the simulation of the checkpoint cannot be rebuilt: {exc}") from exc
    if sim.recorder.every != every:
        raise PynValueError(f"{where}: {META} field 'build.record_every_steps' is {every}; the rebuilt "
                            f"simulation samples every {sim.recorder.every} steps")
    saved = _field(meta, "structure", dict, where)
    diff = _difference(structure(sim), saved)
    if diff:
        raise PynValueError(f"{where}: the rebuilt network differs from the checkpointed one ({diff}); the "
                            "checkpoint was written by another pyN version, or the network code or the "
                            "network changed after it was built")
    return sim


def _check_shared(sim, A):
    """The saved shared-state arrays, checked against a fresh build's (name, type, shape)."""
    out = {}
    for name, fresh in shared_state(sim).items():
        if name.endswith(".weight"):
            q = sim.projs[int(name[4:-len(".weight")])]
            w = A.take(name, fresh.dtype, ndim=1)
            if _shared(q) and w.shape == (1,):
                if w.tobytes() != fresh.tobytes():
                    A.bad(name, "is not the shared weight of the rebuilt connection")
            elif w.shape != (q.n,):
                A.bad(name, f"has shape {w.shape}, ({q.n},) expected")
            out[name] = w
        else:
            out[name] = A.take(name, fresh.dtype, fresh.shape)
    return out


def _check_recorder(sim, meta, A, where):
    """The recorder's saved arrays, checked; and the monitors' (connection, every)."""
    k = sim.k
    out = {}
    steps = out["trace_steps"] = A.take("recorder.trace_steps", np.int64, ndim=1)
    if steps.size and (steps.min() < 0 or steps.max() >= k or np.any(np.diff(steps) <= 0)):
        A.bad("recorder.trace_steps", "must be increasing steps before the checkpoint's")
    for p in sim.pops:
        for var in sim.recorder.vars[p.index]:
            key = f"trace.{p.index}.{var}"
            out[key] = A.take("recorder." + key, np.float64, (steps.size, p.N))
        s = out[f"spikes.{p.index}.steps"] = A.take(f"recorder.spikes.{p.index}.steps", np.int64, ndim=1)
        i = out[f"spikes.{p.index}.ids"] = A.take(f"recorder.spikes.{p.index}.ids", np.int64, s.shape)
        if s.size and (s.min() < 0 or s.max() >= k or np.any(np.diff(s) < 0)):
            A.bad(f"recorder.spikes.{p.index}.steps", "must be non-decreasing steps before the checkpoint's")
        _indices(A, f"recorder.spikes.{p.index}.ids", i, p.N)
    monitors = []
    for n, m in enumerate(_field(meta, "monitors", list, where)):
        if not isinstance(m, dict):
            raise PynValueError(f"{where}: {META} field 'monitors[{n}]' must be a dict with connection, every")
        conn = _field(m, "connection", int, f"{where} monitors[{n}]")
        every = _field(m, "every", int, f"{where} monitors[{n}]")
        if not 0 <= conn < len(sim.projs) or every < 1:
            raise PynValueError(f"{where}: {META} field 'monitors[{n}]' needs a connection index in "
                                f"0..{len(sim.projs) - 1} and every >= 1, got {m!r}")
        q = sim.projs[conn]
        idx = out[f"monitor.{n}.idx"] = A.take(f"recorder.monitor.{n}.idx", np.int64, ndim=1)
        _indices(A, f"recorder.monitor.{n}.idx", idx, q.n)
        ms = out[f"monitor.{n}.steps"] = A.take(f"recorder.monitor.{n}.steps", np.int64, ndim=1)
        if ms.size and (ms.min() < 0 or ms.max() > k or np.any(np.diff(ms) <= 0)):
            A.bad(f"recorder.monitor.{n}.steps", "must be increasing steps up to the checkpoint's")
        out[f"monitor.{n}.values"] = A.take(f"recorder.monitor.{n}.values", q.weight.dtype, (ms.size, idx.size))
        monitors.append((q, every))
    return out, monitors


def _check_backend(sim, A):
    """The backend-neutral arrays of the backend's own state (the late sides' spikes on their way)."""
    out, k = {}, sim.k
    for q in sim.plasticity.connections:
        pc = q.plastic
        if pc.late is None:
            continue
        s = A.take(f"backend.late.{q.index}.steps", np.int64, ndim=1)
        i = A.take(f"backend.late.{q.index}.ids", np.int64, s.shape)
        if s.size and (s.min() < k - pc.ring_len + 1 or s.max() >= k):
            A.bad(f"backend.late.{q.index}.steps", f"must lie in the last {pc.ring_len - 1} steps before {k}")
        _indices(A, f"backend.late.{q.index}.ids", i, pc.late_neurons())
        out[f"late.{q.index}.steps"], out[f"late.{q.index}.ids"] = s, i
    return out


def load_checkpoint(path, backend: str = "auto"):
    """A :class:`~pyn_core.engine.Simulation` continuing exactly where the checkpoint at ``path`` stopped.

    Parameters
    ----------
    path : str or os.PathLike
        A folder written by :meth:`Simulation.save_checkpoint`.
    backend : str
        ``"auto"`` or a registered backend name; it need not be the one that
        saved.  On the backend that saved, and on any other wherever the two
        give bit-identical results for the network (see ``docs/reliability.md``),
        the restored simulation continues bit for bit as one never stopped.

    Returns
    -------
    Simulation
        At the checkpoint's step, with what was recorded before it in
        :attr:`~Simulation.results`.

    Raises
    ------
    NoSavedRun
        ``path`` holds no ``meta.json``.
    PynValueError
        Another format or version, damaged files (truncated, missing or
        mistyped arrays, meta not a dict), or a rebuilt network that differs
        from the saved one (another pyN version, changed code); nothing is
        half-restored.

    Examples
    --------
    >>> import os, tempfile
    >>> from pyn_core import Network, IzhikevichPopulation, load_checkpoint
    >>> net = Network([IzhikevichPopulation("cortex", N=20)])
    >>> _ = net.connect("cortex", "cortex", delay=1.0)
    >>> _ = net.add_noise("cortex", mean=5.0, std=3.0)
    >>> sim = net.build(dt=0.1, seed=3, backend="numpy")
    >>> _ = sim.run(50.0)
    >>> path = sim.save_checkpoint(os.path.join(tempfile.mkdtemp(), "at-50ms"))
    >>> again = load_checkpoint(path, backend="numpy")
    >>> again.t, again.results["cortex"].spike_times.size == sim.results["cortex"].spike_times.size
    (50.0, True)
    """
    from .backend import select_backend
    where = repr(os.fspath(path))
    meta, arrays = read(path)
    A = _Arrays(arrays, where)
    sim = _rebuild(meta, A, where)
    k = _field(meta, "run.k", int, where)
    target = _field(meta, "run.target", (int, float), where)
    failure = _field(meta, "run.failure", (str, type(None)), where)
    enabled = _field(meta, "run.enabled", list, where)
    if k < 0 or not 0.0 <= target < float("inf"):
        raise PynValueError(f"{where}: {META} fields 'run.k' ({k}) and 'run.target' ({target} ms) must be >= 0")
    if len(enabled) != len(sim.projs) or not all(isinstance(e, bool) for e in enabled):
        raise PynValueError(f"{where}: {META} field 'run.enabled' must hold {len(sim.projs)} true/false values")
    rng = _decode_ints(_field(meta, "run.rng", dict, where), sim.rng_run.bit_generator.state, "run.rng")
    sim.k = k
    shared = _check_shared(sim, A)
    recorded, monitors = _check_recorder(sim, meta, A, where)
    own = _check_backend(sim, A)
    A.finish()
    # everything is checked: write it in
    _load_shared(sim, shared)
    sim.recorder.load_state_arrays(recorded, monitors, sim.dt)
    try:
        sim.rng_run.bit_generator.state = rng
    except (ValueError, TypeError) as exc:
        raise PynValueError(f"{where}: {META} field 'run.rng' is not a state of its generator ({exc})") from exc
    sim._target = float(target)
    sim.failure = failure
    sim.interventions["load_checkpoint"] = 1      # what ran before the checkpoint is not this run's recipe
    for q, on in zip(sim.projs, enabled):
        q.enabled = on
    if backend != "numpy":          # the build ran on numpy (cheap to start); the backend asked for starts now
        sim.backend = select_backend(backend, sim)
    sim.backend.import_state(own)
    sim.backend.push()
    return sim
