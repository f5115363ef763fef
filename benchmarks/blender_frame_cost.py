"""Cost per frame of the Blender view, and whether the simulation keeps up with 30 fps.

Measured inside Blender-as-a-module (``pip install bpy``), headless:

* Blender-side work of one frame change at 1k, 10k and 100k neurons (one
  population; instanced spheres up to 20k neurons, a point cloud above):
  the glow of every neuron (from a bake, or from a running simulation's
  last-spike memory), writing it into the mesh attribute (``foreach_set``) and
  the dependency-graph evaluation of the Geometry Nodes that the frame needs
  before it is drawn.  Spikes are synthetic (10 Hz per neuron, Poisson) so that
  only the view is timed.  Colouring by voltage adds the voltage level of every
  neuron (from the bake's float16 samples) and a second attribute write.
* The core advancing a 10k-neuron network by 1 ms (one frame at 1 ms per
  frame), with the backends available; 30 fps leaves 33.3 ms per frame.

Run: ``python benchmarks/blender_frame_cost.py [--frames 40] [--sizes 1000,10000,100000]``.
Prints a table; it is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_ms(samples) -> float:
    return 1e3 * statistics.median(samples)


def view_cost(n: int, frames: int, rate_hz: float = 10.0, ms_per_frame: float = 1.0) -> dict:
    """Blender-side cost of a frame for ``n`` neurons (milliseconds, medians)."""
    import bpy

    from blender_addon import view
    from blender_addon.glow import GlowParams, SpikeGlow, SpikeRecord
    from blender_addon.voltage import VoltageSamples

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    rng = np.random.default_rng(0)
    xyz = (rng.random((n, 3)) - 0.5) * (n ** (1 / 3)) * 1.5
    as_points = n > 20000
    view.population_object_build(scene, "bench", xyz, (0.2, 0.6, 1.0), radius=0.3, as_points=as_points,
                                 glow=3.0, idle=0.15)
    dt, t_end = 0.1, (frames + 20) * ms_per_frame
    n_spikes = rng.poisson(rate_hz * 1e-3 * t_end * n)
    steps = np.sort(rng.integers(0, int(t_end / dt), n_spikes))
    gids = rng.integers(0, n, n_spikes)
    record = SpikeRecord(steps, gids, dt, n)
    v = rng.normal(-60.0, 8.0, (frames + 21, n))
    samples = VoltageSamples(v, ms_per_frame, np.full(n, -70.0), np.full(n, 30.0))
    params = GlowParams(decay_frames=3.0, ms_per_frame=ms_per_frame)
    live = SpikeGlow(n)
    out = np.empty(n, dtype=np.float32)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    levels = np.empty(n, dtype=np.float32)
    times = {"glow from bake": [], "glow from simulation": [], "write attribute": [], "evaluate": [],
             "voltage from bake": [], "write voltage": []}
    done = 0
    for f in range(20, 20 + frames):
        t = f * ms_per_frame
        t0 = time.perf_counter()
        record.activity(t, params, out)
        t1 = time.perf_counter()
        hi = np.searchsorted(record.steps, int(round(t / dt)))
        live.record(gids[done:hi], record.times[done:hi])
        done = hi
        live.activity(t, params, out)
        t2 = time.perf_counter()
        view.write_activity("bench", out, scene)
        t3 = time.perf_counter()
        depsgraph.update()
        t4 = time.perf_counter()
        samples.level(t, out=levels)
        t5 = time.perf_counter()
        view.write_voltage("bench", levels, scene)
        t6 = time.perf_counter()
        depsgraph.update()
        times["voltage from bake"].append(t5 - t4)
        times["write voltage"].append(t6 - t5)
        times["glow from bake"].append(t1 - t0)
        times["glow from simulation"].append(t2 - t1)
        times["write attribute"].append(t3 - t2)
        times["evaluate"].append(t4 - t3)
    res = {k: _median_ms(v) for k, v in times.items()}
    res["total (bake)"] = res["glow from bake"] + res["write attribute"] + res["evaluate"]
    res["total (voltage)"] = res["total (bake)"] + res["voltage from bake"] + res["write voltage"]
    res["drawn as"] = "points" if as_points else "spheres"
    return res


def simulation_cost(n: int = 10000, k: int = 100, repeats: int = 30) -> dict:
    """Milliseconds for the core to advance an ``n``-neuron network by 1 ms, per backend."""
    import pyn_core

    out = {}
    for backend in ("numpy", "numba"):
        exc = pyn_core.IzhikevichPopulation("exc", N=int(0.8 * n), preset="tonic_spiking")
        inh = pyn_core.IzhikevichPopulation("inh", N=n - int(0.8 * n), preset="tonic_spiking")
        net = pyn_core.Network([exc, inh], name="bench")
        net.connect("exc", "exc", rule="fixed_indegree", k=int(0.8 * k), weight=0.5, plasticity=None)
        net.connect("exc", "inh", rule="fixed_indegree", k=int(0.8 * k), weight=0.5, plasticity=None)
        net.connect("inh", "exc", rule="fixed_indegree", k=int(0.2 * k), weight=1.0, mode="inhibitory",
                    plasticity=None)
        net.add_poisson("exc", rate=2000.0, weight=1.5)
        net.add_poisson("inh", rate=2000.0, weight=1.5)
        try:
            sim = net.build(dt=0.1, seed=0, backend=backend, stdp=False)
        except Exception as exc_:  # backend not installed or not able to run this network
            out[backend] = f"n/a ({type(exc_).__name__})"
            continue
        sim.advance(20.0)  # warm-up (numba compiles here)
        samples, spikes = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            batch = sim.advance(1.0)
            samples.append(time.perf_counter() - t0)
            spikes += len(batch)
        out[backend] = (_median_ms(samples), spikes / (repeats * 1e-3 * n))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-simulation", action="store_true")
    args = parser.parse_args(argv)
    try:
        import bpy
    except ImportError:
        raise SystemExit("needs bpy: pip install bpy==5.0.1 (Python 3.11)") from None
    w = sys.stdout.write
    w(f"Blender {bpy.app.version_string}, numpy {np.__version__}; medians over {args.frames} frames, ms\n\n")
    cols = ["glow from bake", "glow from simulation", "write attribute", "evaluate", "total (bake)",
            "voltage from bake", "write voltage", "total (voltage)"]
    w(f"{'neurons':>8} {'drawn as':>9} " + " ".join(f"{c:>21}" for c in cols) + "\n")
    for n in (int(s) for s in args.sizes.split(",")):
        r = view_cost(n, args.frames)
        w(f"{n:>8} {r['drawn as']:>9} " + " ".join(f"{r[c]:>21.3f}" for c in cols) + "\n")
    if not args.no_simulation:
        w("\nCore: advance a 10k-neuron network (80/20 exc/inh, 100 synapses per neuron) by 1 ms\n")
        for backend, r in simulation_cost().items():
            if isinstance(r, str):
                w(f"  {backend:>6}: {r}\n")
            else:
                ok = "keeps up with" if r[0] <= 1000 / 30 else "is slower than"
                w(f"  {backend:>6}: {r[0]:7.2f} ms per frame ({r[1]:.0f} Hz mean rate), {ok} 30 fps (33.3 ms)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
