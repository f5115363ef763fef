"""The backend registry: names, availability, ``backend="auto"``, user backends, the protocol.

What every backend implements and how ``auto`` chooses are described in
:mod:`pyn_core.engine.backend`.  Backends registered here are removed from the
registry again when the test ends, and the record of choices already logged is
replaced for each test, so the other tests see the registry as shipped.
"""
import importlib.util
import logging
import sys

import numpy as np
import pytest

from pyn_core import BackendError, LIFPopulation, Network, NotSupported, PoissonPopulation, PynError
from pyn_core.engine import backend as registry
from pyn_core.engine.backend import (Backend, available, available_backends, backend_class, backends,
                                     register_backend, select_backend)
from pyn_core.engine.numpy.backend import NumpyBackend

HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def small_net():
    """Poisson drive onto LIF neurons: every backend runs it, and it spikes."""
    net = Network([PoissonPopulation("in", 20, rate=50.0), LIFPopulation("out", 5, tau_m=10.0)])
    net.connect("in", "out", rule="all_to_all", weight=3.0, delay=1.0, std=0.0, plasticity=None)
    return net


@pytest.fixture
def register(monkeypatch):
    """``register(name, load, priority=0, install="")``: a backend that lives for one test.

    Teardown removes what the test registered from ``_REGISTRY``; the set of
    choices ``auto`` has announced is a fresh one during the test.
    """
    monkeypatch.setattr(registry, "_announced", set())
    added = []

    def _register(name, load, priority=0, install=""):
        assert name not in registry._REGISTRY, f"{name!r} is registered already"
        added.append(name)
        register_backend(name, load, priority=priority, install=install)

    yield _register
    for name in added:
        registry._REGISTRY.pop(name, None)


def _missing():
    raise ImportError("No module named 'toy_accelerator'")


class CountingBackend(NumpyBackend):
    """The numpy backend, counting the calls of ``run_steps`` and the steps they ask for."""

    name = "counting"

    def __init__(self, sim):
        super().__init__(sim)
        self.calls = []

    def run_steps(self, n, on_step=None):
        self.calls.append(n)
        super().run_steps(n, on_step)


class PickyBackend(NumpyBackend):
    """A backend that declines every network (as numba does for what it lacks)."""

    name = "picky"

    @staticmethod
    def unsupported(sim):
        return "the toy feature"


class FailingBackend(NumpyBackend):
    """A backend that accepts the network but cannot prepare it."""

    name = "failing"

    def __init__(self, sim):
        raise NotImplementedError("the toy compiler gave up")


def _priority(name):
    return registry._REGISTRY[name].priority


def _missing_shipped(chosen):
    """The reasons auto gives for the shipped backends above ``chosen`` that are not installed."""
    entries = sorted(registry._REGISTRY.values(), key=lambda e: -e.priority)
    return [f"{e.name} is not installed" + (f": {e.install}" if e.install else "") for e in entries
            if e.name in ("numpy", "numba") and e.priority > _priority(chosen) and not available(e.name)]


def _auto_message(chosen, reasons):
    """The line auto logs: its choice and, where it passed over backends, why."""
    return f"pyN backend: {chosen} (auto" + "".join(f"; {r}" for r in reasons) + ")"


# -- names and availability ---------------------------------------------------------------
def test_backends_lists_numpy_and_numba_in_registration_order():
    """Both shipped backends are registered whether or not numba is installed; numpy first."""
    names = backends()
    assert names[:2] == ["numpy", "numba"]
    assert _priority("numba") > _priority("numpy")          # auto prefers the compiled backend


def test_available_backends_reflect_what_imports():
    """numpy is always available; numba exactly where numba imports; each name agrees with ``available``."""
    names = available_backends()
    assert "numpy" in names
    assert ("numba" in names) == HAVE_NUMBA
    assert names == [n for n in backends() if available(n)]
    assert backend_class("numpy") is NumpyBackend
    if HAVE_NUMBA:
        assert backend_class("numba").name == "numba"


def test_numba_reported_missing_where_it_does_not_import(monkeypatch, register, caplog):
    """With ``import numba`` failing, numba is registered but not available, and auto runs numpy.

    ``sys.modules["numba"] = None`` makes the import fail as on a machine without numba; the
    cached backend module is dropped for the test (monkeypatch restores both afterwards).
    """
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "pyn_core.engine.numba.backend", raising=False)
    assert "numba" in backends() and "numba" not in available_backends()
    assert not available("numba")
    with pytest.raises(BackendError, match=r"the numba backend is not installed .*pip install 'pyn_core\[fast\]'"):
        backend_class("numba")
    with pytest.raises(ImportError):
        small_net().build(dt=0.1, seed=0, backend="numba")
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        sim = small_net().build(dt=0.1, seed=0, backend="auto")
    assert sim.backend.name == "numpy"
    assert "pyN backend: numpy (auto; numba is not installed: pip install 'pyn_core[fast]')" in caplog.messages


def test_unknown_backend_name_is_a_value_error():
    """Unknown names raise a PynError that is also a ValueError and lists the allowed names."""
    sim = small_net().build(dt=0.1, seed=0, backend="numpy")
    for call in (lambda: backend_class("cuda9"), lambda: select_backend("cuda9", sim),
                 lambda: small_net().build(dt=0.1, seed=0, backend="cuda9")):
        with pytest.raises(ValueError, match=r"unknown backend 'cuda9'; allowed: auto, numpy, numba") as info:
            call()
        assert isinstance(info.value, PynError)
    with pytest.raises(TypeError) as info:
        select_backend(3, sim)
    assert isinstance(info.value, PynError)


def test_available_is_false_for_unknown_names():
    """``available(name)`` answers whether ``name`` is registered and imports: False, not an error."""
    assert available("cuda9") is False


@pytest.mark.parametrize("name", ["", "auto", None])
def test_register_rejects_reserved_and_empty_names(name):
    with pytest.raises(ValueError, match="backend name must be a non-empty string other than 'auto'") as info:
        register_backend(name, "pyn_core.engine.numpy.backend:NumpyBackend")
    assert isinstance(info.value, PynError)
    assert name not in registry._REGISTRY


# -- backend="auto" ------------------------------------------------------------------------
def test_auto_picks_the_available_backend_of_highest_priority(register, caplog):
    """On a network every backend supports, auto takes the highest priority among those that import."""
    expected = max(available_backends(), key=_priority)
    message = _auto_message(expected, _missing_shipped(expected))
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        sim = small_net().build(dt=0.1, seed=0)          # backend="auto" is the default
    assert sim.backend.name == expected
    assert caplog.messages == [message]
    # the choice is logged once, not on every build
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        again = select_backend("auto", sim)
    assert again.name == expected and again is not sim.backend
    assert caplog.messages == [message]


def test_auto_skips_missing_declining_and_failing_backends_and_says_why(register, caplog):
    """Three toy backends above every shipped one: not installed, declines the network, fails to prepare.

    auto must pass over all three (highest priority first), take the best shipped backend and
    log each reason in one message.
    """
    top = max(_priority(n) for n in backends())
    register("toy_missing", _missing, priority=top + 3, install="pip install toy-accelerator")
    register("picky", lambda: PickyBackend, priority=top + 2)
    register("failing", lambda: FailingBackend, priority=top + 1)
    expected = max((n for n in available_backends() if n in ("numpy", "numba")), key=_priority)
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        sim = small_net().build(dt=0.1, seed=0, backend="auto")
    assert sim.backend.name == expected
    reasons = ["toy_missing is not installed: pip install toy-accelerator",
               "the picky backend does not implement the toy feature",
               "the failing backend cannot run this network: the toy compiler gave up"]
    assert caplog.messages == [_auto_message(expected, reasons + _missing_shipped(expected))]


def test_auto_with_no_backend_left_is_not_supported(register, monkeypatch):
    """When every backend declines, auto raises NotSupported (a NotImplementedError) with the reasons."""
    monkeypatch.setattr(registry, "_REGISTRY", {})
    register("picky", lambda: PickyBackend)
    register("toy_missing", _missing)
    # equal priorities: tried in registration order
    with pytest.raises(NotImplementedError, match="no backend can run this simulation: the picky backend does "
                                                  "not implement the toy feature; toy_missing is not installed$"
                       ) as info:
        small_net().build(dt=0.1, seed=0, backend="auto")
    assert isinstance(info.value, NotSupported)


# -- user backends ----------------------------------------------------------------------------
@pytest.mark.parametrize("load", [_missing, "pyn_core_toy_accelerator.backend:ToyBackend"],
                         ids=["callable", "module-string"])
def test_backend_whose_loader_raises_importerror_is_not_installed(register, load):
    """A registered backend whose requirements do not import: BackendError (an ImportError) naming the
    install command, absent from ``available_backends()``, and skipped by auto even at top priority."""
    register("toy", load, priority=10_000, install="pip install toy-accelerator")
    assert "toy" in backends() and "toy" not in available_backends() and not available("toy")
    with pytest.raises(BackendError, match=r"the toy backend is not installed \(.*\): pip install toy-accelerator"
                       ) as info:
        backend_class("toy")
    assert isinstance(info.value, ImportError) and isinstance(info.value, PynError)
    with pytest.raises(BackendError, match="the toy backend is not installed"):
        small_net().build(dt=0.1, seed=0, backend="toy")
    sim = small_net().build(dt=0.1, seed=0, backend="auto")
    assert sim.backend.name in ("numpy", "numba")


def test_registered_backend_class_is_constructed_and_runs_the_simulation(register):
    """``net.build(backend=name)`` constructs the registered class for the simulation and every
    run goes through its ``run_steps``; being the numpy step, the results equal numpy's exactly."""
    register("counting", lambda: CountingBackend)
    assert "counting" in available_backends()
    sim = small_net().build(dt=0.1, seed=3, backend="counting", record={"out": ["v"]})
    assert type(sim.backend) is CountingBackend and sim.backend.sim is sim
    assert sim.backend.calls == []
    sim.run(20.0)
    sim.run(30.0)
    assert sum(sim.backend.calls) == 500 == sim.k
    assert len(sim.backend.calls) >= 2
    ref = small_net().build(dt=0.1, seed=3, backend="numpy", record={"out": ["v"]}).run(50.0)
    res = sim.results
    assert res["out"].spike_times.size > 0
    np.testing.assert_array_equal(res["out"].spike_times, ref["out"].spike_times)
    np.testing.assert_array_equal(res["out"].spike_ids, ref["out"].spike_ids)
    np.testing.assert_array_equal(res["out"].v, ref["out"].v)


def test_module_string_loader_imports_on_first_use(register):
    """``"module:Class"`` is resolved when the backend is first used."""
    register("numpy_again", "pyn_core.engine.numpy.backend:NumpyBackend")
    assert backend_class("numpy_again") is NumpyBackend
    sim = small_net().build(dt=0.1, seed=0, backend="numpy_again")
    assert isinstance(sim.backend, NumpyBackend)


# -- the protocol ---------------------------------------------------------------------------------
def test_each_backend_satisfies_the_protocol(backend):
    """The class and the object built for a simulation are Backends (runtime-checkable protocol)."""
    cls = backend_class(backend)
    assert cls.name == backend
    sim = small_net().build(dt=0.1, seed=0, backend=backend)
    assert isinstance(sim.backend, cls) and isinstance(sim.backend, Backend)
    assert cls.unsupported(sim) is None
    sim.backend.pull()
    sim.backend.push()
    # run_steps advances the simulation and calls on_step once per step (seen through progress=)
    progress = []
    sim.run(0.3, progress=lambda fraction, t: progress.append(fraction))
    assert sim.k == 3
    np.testing.assert_allclose(progress, [1 / 3, 2 / 3, 1.0], rtol=1e-12)


def test_protocol_check_is_not_vacuous():
    """An object lacking part of the contract is not a Backend."""
    class NoRun:
        name = "norun"

        @staticmethod
        def unsupported(sim):
            return None

        def pull(self):
            pass

        def push(self):
            pass

    assert not isinstance(NoRun(), Backend)
    assert isinstance(CountingBackend.__new__(CountingBackend), Backend)
