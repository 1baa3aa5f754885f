"""Timing helpers: run a callable N times with ``time.perf_counter`` and keep the median.

The garbage collector stays enabled (the figures should be realistic, not best case). One
untimed warm-up call precedes the measured ones unless the caller already warmed up.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata


@dataclass(frozen=True)
class Sample:
    """Wall times (seconds) of repeated runs of one operation."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def runs(self) -> int:
        return len(self.times)

    def per(self, units: int) -> float:
        """The median divided by ``units`` (per transition, per state...), in seconds."""
        return self.median / units


def measure(
    operation: Callable[[], object],
    runs: int,
    *,
    setup: Callable[[], object] | None = None,
    warmup: bool = True,
) -> Sample:
    """Time ``runs`` calls of ``operation`` (after one warm-up call); ``setup`` runs untimed before each."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if warmup:
        if setup is not None:
            setup()
        operation()
    times: list[float] = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return Sample(tuple(times))


def measure_interleaved(
    operations: Mapping[str, Callable[[], object]], runs: int, rounds: int = 10
) -> dict[str, Sample]:
    """Time each operation ``runs`` times, in ``rounds`` interleaved blocks (after one warm-up each).

    Spreading every sample over the whole measuring period keeps a burst of load from other
    processes (this machine may be shared) from landing on one operation's sample only.
    """
    if runs < 1 or rounds < 1:
        raise ValueError("runs and rounds must be at least 1")
    for operation in operations.values():
        operation()
    times: dict[str, list[float]] = {name: [] for name in operations}
    rounds = min(rounds, runs)
    for round_index in range(rounds):
        block = runs // rounds + (1 if round_index < runs % rounds else 0)
        for name, operation in operations.items():
            times[name].extend(measure(operation, block, warmup=False).times)
    return {name: Sample(tuple(values)) for name, values in times.items()}


def package_version(distribution: str) -> str:
    """The installed version of ``distribution`` (without importing it), or "not installed"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """The 1/5/15-minute load averages (others' work on a shared machine skews the figures)."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _calibration_loop() -> int:
    total = 0
    for value in range(200_000):
        total += value & 7
    return total


def calibration() -> float:
    """Median time of a fixed pure-Python loop: compares this machine's speed now with other runs."""
    return measure(_calibration_loop, 7).median


def machine_info() -> list[tuple[str, str]]:
    """What the figures were measured on, as (label, value) rows."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cpus = f"{os.cpu_count()}" + (f" ({usable} usable by this process)" if usable is not None else "")
    return [
        ("python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("platform", platform.platform()),
        ("processor", platform.processor() or platform.machine()),
        ("cpu count", cpus),
        ("heaviside", package_version("heaviside")),
        ("moto / boto3", f"{package_version('moto')} / {package_version('boto3')}"),
        ("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
    ]


def format_seconds(seconds: float) -> str:
    """A duration with a unit that keeps 3 significant digits (ns, µs, ms or s)."""
    magnitude = abs(seconds)
    if magnitude >= 1:
        return f"{seconds:.3g} s"
    if magnitude >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if magnitude >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"
