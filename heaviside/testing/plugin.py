"""The pytest plugin (registered as the ``heaviside`` entry point of ``pytest11``, so it loads
wherever heaviside is installed).

Fixtures:

* ``state_machine`` — a factory: ``state_machine(definition, handlers=...)`` gives a
  :class:`~heaviside.testing.machine.StateMachineTest` (mocks, callback answers, runs on a
  virtual clock, assertions). Every run it makes is added to the session's coverage.
* ``heaviside_coverage`` — the session's :class:`CoverageCollector`.

Options: ``--heaviside-coverage`` prints, after the tests, which states, Choice branches,
Retry/Catch rules and Parallel/Map branches the runs exercised and what they never took;
``--heaviside-coverage-file=PATH`` also writes it as JSON (one entry per definition).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the plugin loads in every pytest session: heaviside itself only when a fixture is used
    from heaviside.definition.model import Definition
    from heaviside.runtime.execution import ExecutionRecord


class CoverageCollector:
    """Coverage of every run made through the fixtures, per definition (by content hash)."""

    def __init__(self) -> None:
        self._by_definition: dict[str, Any] = {}
        self._names: dict[str, str] = {}

    def add(self, definition: Definition, record: ExecutionRecord) -> None:
        from heaviside.testing.coverage import Coverage

        key = definition.content_hash
        if key not in self._by_definition:
            self._by_definition[key] = Coverage(definition)
            self._names[key] = str(definition.source.get("Comment") or f"definition {key[:12]}")[:80]
        self._by_definition[key].add(record)

    def __len__(self) -> int:
        return len(self._by_definition)

    def summary(self) -> str:
        parts = []
        for key, coverage in self._by_definition.items():
            parts.append(f"{self._names[key]}\n{coverage.summary_text()}")
        return "\n\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {key: coverage.to_json() for key, coverage in self._by_definition.items()}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("heaviside", "heaviside state machine testing")
    group.addoption("--heaviside-coverage", action="store_true", default=False,
                    help="report which states, branches and Retry/Catch rules the tests' runs exercised")
    group.addoption("--heaviside-coverage-file", metavar="PATH", default=None,
                    help="also write the coverage as JSON to PATH")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_COLLECTOR] = CoverageCollector()


_COLLECTOR = pytest.StashKey[CoverageCollector]()


@pytest.fixture(scope="session")
def heaviside_coverage(request: pytest.FixtureRequest) -> CoverageCollector:
    """The coverage of every run made through ``state_machine`` in this session."""
    return request.config.stash[_COLLECTOR]


@pytest.fixture
def state_machine(heaviside_coverage: CoverageCollector) -> Iterator[Callable[..., Any]]:
    """``state_machine(definition, handlers=None)`` -> a StateMachineTest whose runs count for coverage."""
    from heaviside.testing.machine import StateMachineTest

    def make(definition: Any, *, handlers: Mapping[str, Callable[[Any, Any], Any]] | None = None) -> StateMachineTest:
        return StateMachineTest(definition, handlers=handlers, observers=[heaviside_coverage.add])

    yield make


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    collector = config.stash.get(_COLLECTOR, None)
    wanted = config.getoption("--heaviside-coverage") or config.getoption("--heaviside-coverage-file")
    if collector is None or not wanted:
        return
    terminalreporter.section("heaviside coverage")
    if not len(collector):
        terminalreporter.write_line("no state machine runs through the state_machine fixture")
        return
    terminalreporter.write_line(collector.summary())
    path = config.getoption("--heaviside-coverage-file")
    if path:
        Path(path).write_text(json.dumps(collector.to_json(), indent=2))
        terminalreporter.write_line(f"written to {path}")
