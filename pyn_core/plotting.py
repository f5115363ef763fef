"""Plots of results (matplotlib, the optional ``plot`` extra).

:func:`show_data` draws one row per population: a spike raster, then one panel
per recorded property (traces of up to ``max_traces`` neurons), titled with the
experiment name.  :func:`save_plots` writes the same figure as a PNG.
"""
from __future__ import annotations

import os
import re
import warnings

import numpy as np

from .errors import BackendError, PynWarning


def _plt():
    try:
        import matplotlib
        if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendError("plotting needs matplotlib: pip install 'pyn_core[plot]'") from exc
    return plt


_LABELS = {"v": "v (mV)", "u": "u", "w": "w (nA)", "I_ext": "I_ext", "I_syn": "I_syn", "psc": "psc",
           "I_rec": "I_rec", "m": "m", "h": "h", "n": "n"}


def figure(results, max_traces: int = 8, properties=None):
    """The matplotlib Figure for ``results`` (see the module docstring)."""
    plt = _plt()
    pops = list(results)
    cols = 1 + max([len(p.traces) if properties is None else len([v for v in properties if v in p.traces])
                    for p in pops] + [0])
    fig, axes = plt.subplots(len(pops), cols, figsize=(4.2 * cols, 2.6 * len(pops) + 0.8),
                             squeeze=False, constrained_layout=True)
    t_end = max(results.duration, results.dt)
    for row, p in zip(axes, pops):
        ax = row[0]
        ax.scatter(p.spike_times, p.spike_ids, s=max(1.0, 40.0 / max(p.N, 1) ** 0.5), c="k", marker="|")
        ax.set_xlim(0, t_end)
        ax.set_ylim(-0.5, p.N - 0.5)
        ax.set_title(f"{p.name}: spikes ({p.spike_times.size})", fontsize=9)
        ax.set_ylabel("neuron")
        names = [v for v in p.traces if properties is None or v in properties]
        for ax, var in zip(row[1:], names):
            data = p.traces[var]
            shown = np.linspace(0, p.N - 1, min(max_traces, p.N)).astype(int)
            ax.plot(results.t, data[:, shown], lw=0.8)
            ax.set_xlim(0, t_end)
            ax.set_title(f"{p.name}: {var}" + (f" ({shown.size} of {p.N} neurons)" if shown.size < p.N else ""),
                         fontsize=9)
            ax.set_ylabel(_LABELS.get(var, var))
        for ax in row[1 + len(names):]:
            ax.axis("off")
    for ax in axes[-1]:
        if ax.axison:
            ax.set_xlabel("time (ms)")
    fig.suptitle(results.experiment_name)
    return fig


def show_data(results, max_traces: int = 8, properties=None, block: bool = True):
    """Draw the results and show them (a window where a display exists).

    Returns the Figure.  Where there is no display (a headless machine, the
    non-interactive ``Agg`` backend) nothing can be shown: a
    :class:`~pyn_core.errors.PynWarning` says so, and that
    :func:`save_plots` writes the figure to a PNG instead.
    """
    plt = _plt()
    fig = figure(results, max_traces, properties)
    if plt.get_backend().lower() != "agg":
        plt.show(block=block)
    else:
        warnings.warn("show_data: no display here (matplotlib backend Agg), so nothing is shown; "
                      "pyn_core.save_plots(results, 'figure.png') writes the figure to a file", PynWarning,
                      stacklevel=3)
    return fig


def save_plots(results, path, max_traces: int = 8, properties=None, dpi: int = 110) -> str:
    """Write the figure as a PNG: ``path`` is a ``.png`` file or a folder; returns the file."""
    plt = _plt()
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        os.makedirs(path, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", results.experiment_name).strip("_") or "results"
        path = os.path.join(path, f"{slug}.png")
    fig = figure(results, max_traces, properties)
    tmp = path + ".partial.png"
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
    return path
