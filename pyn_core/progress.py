"""Progress of a run as people expect it: a tqdm bar on a terminal, nothing in pipes and logs.

``sim.run(ms, progress=True)`` (and ``simulate(..., progress=True)``, ``pyn
run``) draws a bar in simulated milliseconds with the elapsed time, the rate
(simulated ms per second of wall-clock time) and the time left, on standard
error when it is a terminal; where it is not (a pipe, a log file, CI) the bar
is silent, so logs hold no hundred carriage-return updates.  tqdm is an
optional dependency (``pip install 'pyn_core[progress]'``); without it a
plain text bar is drawn on a terminal, and nothing elsewhere.

A callable ``progress(fraction_done, t_ms)`` is called instead, about every
percent (what a notebook widget or the Blender add-on passes).

Examples
--------
>>> import io
>>> bar = ProgressBar(100.0, start_ms=0.0, stream=io.StringIO())   # not a terminal: silent
>>> bar.enabled
False
>>> bar.update(0.5, 50.0); bar.close()
"""
from __future__ import annotations

import sys

try:            # optional: the bar is drawn by tqdm where it is installed
    from tqdm import tqdm as _tqdm
except ImportError:     # pragma: no cover - exercised where tqdm is missing
    _tqdm = None


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """A bar over ``total_ms`` simulated milliseconds, from ``start_ms``.

    Parameters
    ----------
    total_ms : float
        Simulated time this run covers.
    start_ms : float
        Simulated time at its start (the bar shows the simulation's own clock).
    stream : file, optional
        Where to draw (standard error by default); nothing is drawn where it is not a terminal.
    desc : str
        Label in front of the bar.
    """

    def __init__(self, total_ms: float, start_ms: float = 0.0, stream=None, desc: str = "simulating"):
        self.stream = sys.stderr if stream is None else stream
        self.start, self.total = float(start_ms), float(total_ms)
        self.enabled = _is_terminal(self.stream)
        self._bar = None
        self._shown = 0.0
        if self.enabled and _tqdm is not None:
            self._bar = _tqdm(total=round(self.total, 6), desc=desc, unit="ms", unit_scale=False, file=self.stream,
                              dynamic_ncols=True, leave=True, smoothing=0.1,
                              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} ms "
                                         "[{elapsed}<{remaining}, {rate_fmt}]")

    def update(self, fraction: float, t_ms: float):
        """The run is ``fraction`` done, at simulated time ``t_ms``."""
        if not self.enabled:
            return
        done = min(self.total, max(0.0, t_ms - self.start))
        if self._bar is not None:
            self._bar.update(done - self._shown)
            self._shown = done
            return
        width = 30
        filled = int(round(width * fraction))
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}%  t = {t_ms:.1f} ms")
        self.stream.flush()

    def close(self):
        """End the bar (a new line on a terminal)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled:
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False
