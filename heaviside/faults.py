"""Fault injection: the kinds of fault, how often each is injected, and how many were.

Both test backends take a :class:`FaultRates` and inject the same kinds — the emulator
(:mod:`heaviside.emulator.faults`, over HTTP, below boto3) and the in-memory cloud
(:mod:`heaviside.backends.memory_faults`, around the driver's ports):

* ``duplicate``: a Lambda event or SQS message is delivered a second time, later;
* ``race``: two copies of a delivery run at the same moment, so their conditional writes collide;
* ``crash``: the Lambda dies right after one of its AWS calls succeeded (the delivery is retried);
* ``throttle``: an S3, DynamoDB or SQS call is refused as throttled (nothing happens; the SDK retries);
* ``server_error``: a call fails with a 5xx — half of them *after* the service applied it, so the
  retry meets its own earlier write.

Rates are probabilities per opportunity (per delivery, per call). A seeded :class:`FaultDice`
decides, so a run can be repeated.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from random import Random

KINDS = ("duplicate", "race", "crash", "throttle", "server_error")


@dataclass(frozen=True, slots=True)
class FaultRates:
    """How often each fault is injected (0 = never, 1 = at every opportunity)."""

    duplicate: float = 0.0
    race: float = 0.0
    crash: float = 0.0
    throttle: float = 0.0
    server_error: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in KINDS:
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {name} must be between 0 and 1, not {rate}")

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in KINDS)

    @classmethod
    def parse(cls, text: str) -> FaultRates:
        """``"crash=0.05,throttle=0.1,seed=3"`` (the form ``heaviside emulate --faults`` takes)."""
        values: dict[str, float | int] = {}
        for part in (item.strip() for item in text.split(",") if item.strip()):
            name, sep, number = part.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in (*KINDS, "seed"):
                raise ValueError(f"bad fault {part!r}: expected KIND=RATE with KIND one of {', '.join(KINDS)} "
                                 "(or seed=N)")
            try:
                values[name] = int(number) if name == "seed" else float(number)
            except ValueError:
                raise ValueError(f"bad fault {part!r}: {number.strip()!r} is not a number") from None
        return cls(**values)  # type: ignore[arg-type]


class FaultCounts:
    """How many faults of each kind were injected (thread-safe)."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()

    def add(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class FaultDice:
    """Rolls for faults with a seeded generator and counts what it injected."""

    def __init__(self, rates: FaultRates) -> None:
        self.rates = rates
        self.counts = FaultCounts()
        self._random = Random(rates.seed)
        self._lock = threading.Lock()
        self.enabled = True  # switched off to let a run drain cleanly

    def roll(self, kind: str) -> bool:
        """Whether to inject a fault of ``kind`` now (counted when it is)."""
        rate: float = getattr(self.rates, kind)
        if not self.enabled or rate <= 0:
            return False
        with self._lock:
            hit = self._random.random() < rate
        if hit:
            self.counts.add(kind)
        return hit

    def choice(self, options: int) -> int:
        with self._lock:
            return self._random.randrange(options)


class InjectedCrash(Exception):
    """The Lambda dies here: raised right after an AWS call succeeded (its delivery is retried)."""


class InjectedServiceError(Exception):
    """A throttled or failed service call that reached the caller (memory backend: no SDK retries)."""
