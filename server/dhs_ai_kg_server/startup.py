"""What ``serve`` says while it starts: the phase, files loaded, triples, time so far.

On a terminal (stderr is a TTY) one status line is redrawn in place (``\\r``, erase to end of
line), with the seconds ticking while a long phase runs (a 1M-triple file is one bulk load);
each finished phase leaves one line. Elsewhere (a pipe, a log file) each step is one plain line,
no control characters. ``quiet`` says nothing.

The phases: ``loading`` (pyoxigraph's bulk loader parses and indexes each file in one pass),
``precomputing`` (dumps, counts, the resource index: :data:`.derived.BUILDERS`), ``query
processes`` (the pool loading its copy), then ``ready``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TextIO

PREFIX = "start-up: "


class StartupReport:
    """Tells ``stream`` how start-up goes (see the module docstring)."""

    def __init__(self, stream: TextIO, *, quiet: bool = False, tick: float = 0.5) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = not quiet and stream.isatty()
        self.started = time.monotonic()
        self.files = 0
        self.triples = 0
        self._status = ""
        self._phase_started = self.started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.live:
            self._ticker = threading.Thread(
                target=self._tick, args=(tick,), name="dhs-ai-kg-startup", daemon=True
            )
            self._ticker.start()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.1f} s"

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        if self.live and self._status:
            self.stream.write(f"\r\x1b[K{PREFIX}[{self._elapsed()}] {self._status}")
            self.stream.flush()

    def _line(self, text: str) -> None:
        """One finished step: a line that stays."""
        if self.quiet:
            return
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K")
            self.stream.write(f"{PREFIX}{text}\n")
            self.stream.flush()
            self._draw()

    def status(self, text: str) -> None:
        """What is going on now: redrawn in place on a TTY, one line elsewhere."""
        if self.quiet:
            return
        with self._lock:
            self._status = text
            if self.live:
                self._draw()
        if not self.live:
            self._line(text)

    def phase(self, name: str, detail: str = "") -> None:
        """A new phase starts."""
        self._phase_started = time.monotonic()
        self.status(f"{name}{': ' + detail if detail else ''}")

    def done(self, what: str) -> None:
        """The current phase is over: ``what`` it did, with its time."""
        spent = time.monotonic() - self._phase_started
        with self._lock:
            self._status = ""
        self._line(f"{what} ({spent:.1f} s)")

    def loaded(self, path: Path, quads: int) -> None:
        """A data file is in, the store holding ``quads`` (a ``dhs_ai_kg.loading.Progress``)."""
        self.files += 1
        self.triples = quads
        self.status(f"loading: {self.files} files, {quads:,} triples; last {path.name}")

    def ready(self, where: str) -> None:
        """Start-up is over: say where the server listens and stop the ticker."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._status = ""
        self._line(f"ready in {time.monotonic() - self.started:.1f} s: {where}")

    def close(self) -> None:
        """Stop the ticker (start-up failed or is over) and end the status line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self.live and self._status:
                self.stream.write("\n")
                self.stream.flush()
            self._status = ""
