"""Clocks: the only place time is read. Real time for production runs, virtual time for tests.

A :class:`VirtualClock` never sleeps: the local backend moves it forward to the next timer
when nothing else can happen, so a one-year Wait finishes at once while ``$$`` timestamps
still advance as if the time had passed.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the runtime gets 'now' and how it lets time pass."""

    #: True when waiting is done by moving the clock rather than by sleeping.
    virtual: bool

    def now(self) -> datetime: ...

    def advance_to(self, moment: datetime) -> None:
        """Virtual clocks jump forward; real clocks ignore this (time passes by itself)."""


class RealClock:
    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance_to(self, moment: datetime) -> None:
        return None

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class VirtualClock:
    """Starts at ``start`` (default: the real time now) and only moves when told to."""

    virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start if start is not None else datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance_to(self, moment: datetime) -> None:
        with self._lock:
            if moment > self._now:
                self._now = moment

    def advance(self, seconds: float) -> None:
        self.advance_to(self.now() + timedelta(seconds=seconds))
