"""Faults for the in-memory cloud: the driver's ports wrapped so calls fail, crash or interleave.

:class:`MemoryFaults` injects the kinds of :mod:`heaviside.faults` at the driver's port calls:

* ``throttle``: the call is refused before it happens;
* ``server_error``: the call fails — half the time after it was applied;

  both are retried as boto3 retries them (:data:`SDK_ATTEMPTS` attempts in all, so a retried
  call may meet its own earlier write); when every attempt fails the caller gets
  :class:`~heaviside.faults.InjectedServiceError`;
* ``crash``: :class:`~heaviside.faults.InjectedCrash` right after a call succeeded;
* ``race``: :meth:`MemoryFaults.race` runs one copy of a delivery up to a random port call, runs a
  second copy to its end, then lets the first go on — the interleaving that makes conditional
  writes collide, deterministically and on one thread at a time.

The cloud retries a delivery that failed or crashed, as Lambda and SQS do
(:class:`~heaviside.backends.memory.MemoryCloud`); ``duplicate`` is decided there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from heaviside.faults import FaultDice, FaultRates, InjectedCrash, InjectedServiceError

#: Attempts of one call, as boto3's default (legacy) retry mode makes them.
SDK_ATTEMPTS = 5
REFUSED, LOST = "refused", "lost"
#: Port methods never failed: keeping a refused envelope is the last resort, and reads of the
#: definition are served from a cache in a warm Lambda.
EXEMPT = frozenset({"dead_letter", "get"})


class _Pause:
    """Where the first copy of a raced delivery stops: after its ``after``-th port call."""

    def __init__(self, thread: int, after: int) -> None:
        self.thread, self.after, self.calls = thread, after, 0
        self.paused, self.resume = threading.Event(), threading.Event()


class MemoryFaults:
    """Wraps ports (:meth:`wrap`) and runs raced deliveries (:meth:`race`); ``dice.counts`` counts."""

    def __init__(self, rates: FaultRates) -> None:
        self.dice = FaultDice(rates)
        self._pause: _Pause | None = None

    def wrap(self, port: Any) -> Any:
        faults = self

        class FaultyPort:
            def __getattr__(self, name: str) -> Any:
                attribute = getattr(port, name)
                if not callable(attribute) or name.startswith("_") or name in EXEMPT:
                    return attribute

                def call(*args: Any, **kwargs: Any) -> Any:
                    for attempt in range(1, SDK_ATTEMPTS + 1):  # as the SDK retries a throttled or 5xx call
                        fault = faults._before()
                        if fault == REFUSED:
                            if attempt == SDK_ATTEMPTS:
                                raise InjectedServiceError(f"{name} failed {attempt} times (throttled or 5xx)")
                            continue
                        result = attribute(*args, **kwargs)
                        if fault == LOST:  # applied, but the answer was a 5xx: the SDK sends it again
                            if attempt == SDK_ATTEMPTS:
                                raise InjectedServiceError(f"{name} applied, then answered 500, {attempt} times")
                            continue
                        faults._after(name)
                        return result
                    raise AssertionError("unreachable")

                return call

        return FaultyPort()

    def _before(self) -> str | None:
        """:data:`REFUSED` (throttled, or a 5xx before the call was applied), :data:`LOST` (a 5xx
        after it was applied) or None."""
        if self.dice.roll("throttle"):
            return REFUSED
        if self.dice.roll("server_error"):
            return LOST if self.dice.choice(2) else REFUSED
        return None

    def _after(self, name: str) -> None:
        pause = self._pause
        if pause is not None and pause.thread == threading.get_ident():
            pause.calls += 1
            if pause.calls == pause.after:
                pause.paused.set()
                pause.resume.wait()
        if self.dice.roll("crash"):
            raise InjectedCrash(f"injected crash right after {name}")

    def race(self, first: Callable[[], None], second: Callable[[], None]) -> None:
        """Run ``first`` up to a random port call (1st to 6th), all of ``second``, then the rest of ``first``."""
        errors: list[BaseException] = []
        pause = _Pause(0, 1 + self.dice.choice(6))

        def run_first() -> None:
            pause.thread = threading.get_ident()
            try:
                first()
            except BaseException as exc:  # re-raised on the caller's thread
                errors.append(exc)
            finally:
                pause.paused.set()  # finished before reaching the pause point

        thread = threading.Thread(target=run_first, name="raced-delivery", daemon=True)
        self._pause = pause
        thread.start()
        pause.paused.wait()
        try:
            second()
        finally:
            self._pause = None
            pause.resume.set()
            thread.join()
        if errors:
            raise errors[0]
