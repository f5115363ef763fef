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

The build of a network shows its stages the same way (``net.build(...,
progress=True)``, and ``simulate``/``pyn run`` with progress): drawing the
connections, one by one, and preparing the backend (the numba compile on first
use).  A stage shows only when it lasts longer than half a second, with its
elapsed time kept moving while one long step (one big connection, the
compile) runs.  A callable is called as ``progress(stage, done, total)``
instead (``total`` is None where the stage has no count).

Examples
--------
>>> import io
>>> bar = ProgressBar(100.0, start_ms=0.0, stream=io.StringIO())   # not a terminal: silent
>>> bar.enabled
False
>>> bar.update(0.5, 50.0); bar.close()
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time

try:            # optional: the bar is drawn by tqdm where it is installed
    from tqdm import tqdm as _tqdm
except ImportError:     # pragma: no cover - exercised where tqdm is missing
    _tqdm = None


#: Seconds a stage of a build must last before it is drawn (short builds show nothing).
SHOW_AFTER_S = 0.5


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


class BuildProgress:
    """The stages of a network's build, shown on a terminal (or passed to a callback).

    Parameters
    ----------
    progress : None, bool or callable
        ``True``: draw on ``stream`` where it is a terminal; a callable is
        called as ``progress(stage, done, total)``; ``None``/``False``: nothing.
    stream : file, optional
        Where to draw (standard error by default).
    delay : float, optional
        Seconds a stage must last before it is drawn (default :data:`SHOW_AFTER_S`).

    Examples
    --------
    >>> seen = []
    >>> build = BuildProgress(lambda stage, done, total: seen.append((stage, done, total)))
    >>> with build.stage("connecting", total=2) as stage:
    ...     for name in ("a->b", "b->a"):
    ...         stage.working_on(name)
    ...         stage.advance()
    >>> seen
    [('connecting', 0, 2), ('connecting', 1, 2), ('connecting', 2, 2)]
    """

    def __init__(self, progress=None, stream=None, delay=None):
        self.stream = sys.stderr if stream is None else stream
        self.callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self.enabled = progress is True and _is_terminal(self.stream)
        self.delay = float(SHOW_AFTER_S if delay is None else delay)

    @contextlib.contextmanager
    def stage(self, label: str, total=None):
        """A stage of ``total`` steps (or of unknown length); yields a :class:`Stage`."""
        if self.callback is not None:
            self.callback(label, 0, total)
        view = _StageView(label, total, self.stream, self.delay) if self.enabled else None
        stage = Stage(label, total, self.callback, view)
        try:
            yield stage
        finally:
            if view is not None:
                view.close()


class Stage:
    """One stage of a build, as :meth:`BuildProgress.stage` yields it."""

    def __init__(self, label, total, callback, view):
        self.label, self.total, self.done = label, total, 0
        self._callback, self._view = callback, view

    def working_on(self, detail):
        """Name what the stage does now (e.g. the connection being drawn)."""
        if self._view is not None:
            self._view.update(self.done, detail)

    def advance(self):
        """One more step of the stage is done."""
        self.done += 1
        if self._callback is not None:
            self._callback(self.label, self.done, self.total)
        if self._view is not None:
            self._view.update(self.done, None)


class _StageView:
    """One stage on a terminal: drawn once it has lasted ``delay`` s, its elapsed time refreshed by a thread."""

    def __init__(self, label, total, stream, delay):
        self.label, self.total, self.stream = label, total, stream
        self.t0 = time.monotonic()
        self.delay = delay
        self.n, self.detail = 0, None
        self.lock = threading.Lock()
        self.bar = None          # a tqdm bar, made when the stage is first drawn
        self.drawn = False
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="pyn-build-progress", daemon=True)
        self.ticker.start()

    def _due(self) -> bool:
        return time.monotonic() - self.t0 >= self.delay

    def _draw(self):
        # with self.lock held
        self.drawn = True
        what = self.label if self.detail is None else f"{self.label} ({self.detail})"
        if _tqdm is not None:
            if self.bar is None:
                count = "{n}/{total} " if self.total is not None else ""
                self.bar = _tqdm(total=self.total, desc=what, file=self.stream, leave=True, dynamic_ncols=True,
                                 initial=self.n, bar_format="{desc}: " + count + "[{elapsed}]")
                self.bar.start_t -= time.monotonic() - self.t0       # the stage's elapsed time from its start
            self.bar.n = self.n
            self.bar.set_description_str(what, refresh=False)
            self.bar.refresh()
            return
        count = f" {self.n}/{self.total}" if self.total is not None else ""
        detail = f" ({self.detail})" if self.detail is not None else ""
        self.stream.write(f"\r{self.label}{detail}:{count} [{time.monotonic() - self.t0:.0f} s]")
        self.stream.flush()

    def _tick(self):
        while not self.stop.wait(0.25):
            with self.lock:
                if self._due():
                    self._draw()

    def update(self, n, detail):
        with self.lock:
            self.n, self.detail = n, detail
            if self._due():
                self._draw()

    def close(self):
        self.stop.set()
        self.ticker.join()
        with self.lock:
            if self.drawn:
                self._draw()
            if self.bar is not None:
                self.bar.close()
            elif self.drawn:
                self.stream.write("\n")
                self.stream.flush()
