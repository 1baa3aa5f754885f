"""A progress line for long local runs: Map iterations done out of those started, states entered,
elapsed time. Drawn on a terminal only (stays quiet when the output is piped or redirected) and
at most ten times a second, so it costs nothing measurable on big Maps.

    progress = RunProgress.for_stream(sys.stderr)       # None when stderr is not a terminal
    record = run_local(..., observer=progress.observe)
    progress.close()
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from heaviside.engine.effects import Event

WIDTH = 24
INTERVAL_SECONDS = 0.1


class RunProgress:
    """Counts one execution's progress from its events and redraws a one-line bar."""

    def __init__(self, stream: TextIO, *, clock: Any = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.last_draw = 0.0
        self.iterations = 0  # Map iterations that will run (their Maps have started)
        self.done = 0  # Map iterations ended
        self.states = 0
        self.drawn = False

    @classmethod
    def for_stream(cls, stream: TextIO) -> RunProgress | None:
        """A progress display on ``stream`` if it is a terminal, else None."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream) if callable(isatty) and isatty() else None

    def observe(self, events: list[Event]) -> None:
        for kind, _, payload in events:
            if kind.endswith("StateEntered"):
                self.states += 1
            elif kind == "MapStateStarted":
                self.iterations += int(payload.get("length", 0)) if isinstance(payload, dict) else 0
            elif kind in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
                self.done += 1
        now = self.clock()
        if now - self.last_draw >= INTERVAL_SECONDS:
            self.last_draw = now
            self.draw(now)

    def line(self, now: float) -> str:
        elapsed = now - self.started
        if self.iterations:
            filled = int(WIDTH * min(self.done, self.iterations) / self.iterations)
            bar = "#" * filled + "." * (WIDTH - filled)
            return (f"[{bar}] {self.done:,}/{self.iterations:,} Map iterations, "
                    f"{self.states:,} states, {elapsed:.1f}s")
        return f"{self.states:,} states entered, {elapsed:.1f}s"

    def draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the line (the run's own output follows on stdout)."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
