"""Step Functions Local mock files (``MockConfigFile.json``) as task mocks for ``run_local``.

This module owns reading, validating and answering from AWS's mock configuration format
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html), so mock
files written for Step Functions Local run unchanged::

    {"StateMachines": {"<machine>": {"TestCases": {"<test case>": {"<Task state>": "<response>"}}}},
     "MockedResponses": {"<response>": {"0": {"Return": ...}, "1-2": {"Throw": {"Error": ..., "Cause": ...}}}}}

Rules, as Step Functions Local applies them:

- each state counts its own invocations within one execution, from 0, every retry and every Map
  iteration included (a state is named the same wherever it is nested, names being unique);
- a key is one invocation number (``"3"``) or an inclusive range (``"0-2"``); keys may not
  overlap; gaps are allowed, and an invocation no key covers (past the last one, or in a gap)
  fails the execution with ``States.Runtime``, which no Retry or Catch sees, as AWS documents
  ("If you do not specify a mocked response, the state machine execution will fail");
- an entry holds exactly one of ``Return`` (any JSON: the integration's whole response, e.g.
  ``{"StatusCode": 200, "Payload": ...}`` for ``lambda:invoke``) or ``Throw`` (``Error``, and
  optionally ``Cause``, strings); the error goes through Retry and Catch like a real failure;
- a state the test case does not name runs its real handler.

:class:`MockConfigError` lists every problem at once, each with a JSON Pointer into the file.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from heaviside.backends.local_lambda import MockedResult
from heaviside.definition.loader import load_definition
from heaviside.definition.model import Definition, TaskState
from heaviside.engine.effects import InvokeTask
from heaviside.errors import RUNTIME, Problem, pointer_join

__all__ = ["MockConfig", "MockConfigError", "StateMocks", "mocks_for_run"]

_KEY = re.compile(r"([0-9]+)(?:-([0-9]+))?")
_TOP_LEVEL = ("StateMachines", "MockedResponses")


class MockConfigError(ValueError):
    """A mock file that cannot be used, or a test case that cannot be chosen; lists every problem."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = sorted(set(problems))
        self.source = source
        lines = [str(p) if p.pointer else p.message for p in self.problems]  # "" : the file or the call
        if source is None and len(lines) == 1:
            super().__init__(lines[0])
        else:
            header = f"{source or 'mock config'}: {len(lines)} problem(s)"
            super().__init__("\n  ".join([header, *lines]))


@dataclass(frozen=True, slots=True)
class _Span:
    first: int
    last: int
    result: MockedResult

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class _Response:
    """One mocked response: what each invocation number answers."""

    name: str
    spans: tuple[_Span, ...]

    def at(self, invocation: int) -> MockedResult | None:
        return next((s.result for s in self.spans if s.first <= invocation <= s.last), None)

    def defined(self) -> str:
        return ", ".join(str(s) for s in self.spans) or "none"


class StateMocks:
    """One test case's mocks for one execution (a :class:`~heaviside.backends.local_lambda.TaskMocks`).

    Counts invocations per state from 0; build a fresh one per execution (:meth:`fresh`).
    ``calls`` maps each state invoked so far, mocked or not, to its number of invocations.
    """

    def __init__(self, state_machine: str, test_case: str, responses: Mapping[str, _Response],
                 source: str | None = None) -> None:
        self.state_machine = state_machine
        self.test_case = test_case
        self.source = source
        self._responses = dict(responses)
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def states(self) -> dict[str, str]:
        """Mocked state -> the name of its mocked response."""
        return {state: response.name for state, response in self._responses.items()}

    def fresh(self) -> StateMocks:
        """The same mocks with every count back at 0, for another execution."""
        return StateMocks(self.state_machine, self.test_case, self._responses, self.source)

    def result(self, effect: InvokeTask) -> MockedResult | None:
        state = effect.frame.state
        with self._lock:
            invocation = self.calls.get(state, 0)
            self.calls[state] = invocation + 1
        response = self._responses.get(state)
        if response is None:
            return None
        found = response.at(invocation)
        if found is not None:
            return MockedResult(copy.deepcopy(found.output), found.error, found.cause)  # each run its own copy
        return MockedResult(error=RUNTIME, cause=(
            f"No mocked response for invocation {invocation} of state '{state}': mocked response "
            f"'{response.name}' (test case '{self.test_case}' of state machine '{self.state_machine}') "
            f"defines invocations {response.defined()}"))

    def validate_against(self, definition: Definition | Mapping[str, Any] | str) -> None:
        """Refuse a test case naming a state that is not a Task state of ``definition``."""
        compiled = definition if isinstance(definition, Definition) else load_definition(definition)
        tasks = sorted(name for name, state in compiled.states.items() if isinstance(state, TaskState))
        known = ", ".join(tasks) or "none"
        base = pointer_join("/StateMachines", self.state_machine, "TestCases", self.test_case)
        problems = []
        for state in self._responses:
            found = compiled.states.get(state)
            if found is None:
                problems.append(Problem(pointer_join(base, state),
                                        f"the definition has no state named '{state}' (Task states: {known})"))
            elif not isinstance(found, TaskState):
                message = f"'{state}' is a {found.type} state; only Task states can be mocked (Task states: {known})"
                problems.append(Problem(pointer_join(base, state), message))
        if problems:
            raise MockConfigError(problems, self.source)


class MockConfig:
    """A validated Step Functions Local mock configuration."""

    def __init__(self, document: Any, *, source: str | None = None) -> None:
        self.source = source
        problems = list(_check(document))
        if problems:
            raise MockConfigError(problems, source)
        self._machines: dict[str, dict[str, dict[str, str]]] = {
            name: {case: dict(states) for case, states in machine["TestCases"].items()}
            for name, machine in document.get("StateMachines", {}).items()
        }
        responses = document.get("MockedResponses", {})
        self._responses = {name: _response(name, entries) for name, entries in responses.items()}

    @classmethod
    def load(cls, source: str | PathLike[str] | Mapping[str, Any]) -> MockConfig:
        """Read a mock file (a path to JSON) or take an already parsed document."""
        if isinstance(source, Mapping):
            return cls(source)
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            message = f"cannot read the mock file: {exc.strerror or exc}"
            raise MockConfigError([Problem("", message)], str(path)) from None
        try:
            document = json.loads(text, object_pairs_hook=_JsonObject)
        except json.JSONDecodeError as exc:
            message = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            raise MockConfigError([Problem("", message)], str(path)) from None
        duplicates = list(_repeated_keys(document, ""))
        if duplicates:
            raise MockConfigError(duplicates, str(path))
        return cls(document, source=str(path))

    def state_machines(self) -> list[str]:
        return list(self._machines)

    def test_cases(self, state_machine: str) -> list[str]:
        if state_machine not in self._machines:
            known = ", ".join(self._machines) or "none"
            message = f"no state machine '{state_machine}' (state machines: {known})"
            raise MockConfigError([Problem("/StateMachines", message)], self.source)
        return list(self._machines[state_machine])

    def mocked_responses(self) -> list[str]:
        return list(self._responses)

    def test_case(self, test_case: str, state_machine: str | None = None) -> StateMocks:
        """The mocks of ``test_case`` (of the only state machine having it when ``state_machine`` is None)."""
        if state_machine is None:
            having = [name for name, cases in self._machines.items() if test_case in cases]
            if len(having) != 1:
                choices = ", ".join(f"{m}/{c}" for m in self._machines for c in self._machines[m]) or "none"
                what = f"{len(having)} state machines ({', '.join(having)}) have" if having else "no state machine has"
                hint = "" if not having else "; name the state machine"
                raise MockConfigError([Problem("/StateMachines", f"{what} a test case '{test_case}'{hint} "
                                                                 f"(test cases: {choices})")], self.source)
            state_machine = having[0]
        cases = self.test_cases(state_machine)
        if test_case not in cases:
            pointer = pointer_join("/StateMachines", state_machine, "TestCases")
            raise MockConfigError([Problem(pointer, f"state machine '{state_machine}' has no test case '{test_case}' "
                                                    f"(test cases: {', '.join(cases) or 'none'})")], self.source)
        states = self._machines[state_machine][test_case]
        base = pointer_join("/StateMachines", state_machine, "TestCases", test_case)
        missing = [Problem(pointer_join(base, state), f"no mocked response '{name}' in /MockedResponses "
                                                      f"(mocked responses: {', '.join(self._responses) or 'none'})")
                   for state, name in states.items() if name not in self._responses]
        if missing:
            raise MockConfigError(missing, self.source)
        responses = {state: self._responses[name] for state, name in states.items()}
        return StateMocks(state_machine, test_case, responses, self.source)


def mocks_for_run(mock_config: str | None, test_case: str | None, state_machine: str | None,
                  definition: Definition | Mapping[str, Any] | str) -> StateMocks | None:
    """The mocks of ``heaviside run --mock-config FILE --test-case NAME [--mock-state-machine NAME]``.

    None when no mock file is given; checked against ``definition`` (every mocked state a Task).
    """
    if mock_config is None:
        if test_case is not None or state_machine is not None:
            flag = "--test-case" if test_case is not None else "--mock-state-machine"
            raise MockConfigError([Problem("", f"{flag} needs a mock file: add --mock-config FILE")])
        return None
    config = MockConfig.load(mock_config)
    if test_case is None:
        machines = [state_machine] if state_machine is not None else config.state_machines()
        choices = ", ".join(f"{m}/{c}" for m in machines for c in config.test_cases(m)) or "none"
        raise MockConfigError([Problem("", f"--mock-config needs --test-case NAME (test cases: {choices})")],
                              config.source)
    mocks = config.test_case(test_case, state_machine)
    mocks.validate_against(definition)
    return mocks


# ---------------------------------------------------------------------------------- validation


class _JsonObject(dict[str, Any]):
    """A parsed JSON object remembering the keys it repeated (json keeps the last one silently)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counts: dict[str, int] = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        self.repeated = [key for key, count in counts.items() if count > 1]


def _repeated_keys(value: Any, pointer: str) -> Iterator[Problem]:
    if isinstance(value, _JsonObject):
        for key in value.repeated:
            yield Problem(pointer_join(pointer, key), "this key appears more than once in its object (only the last "
                                                      "one would count)")
        for key, item in value.items():
            yield from _repeated_keys(item, pointer_join(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _repeated_keys(item, pointer_join(pointer, index))


def _check(document: Any) -> Iterator[Problem]:
    if not isinstance(document, Mapping):
        yield Problem("", "a mock configuration is a JSON object with StateMachines and MockedResponses")
        return
    for key in document:
        if key not in _TOP_LEVEL:
            hint = " (did you mean MockedResponses?)" if key == "MockedResponse" else ""
            yield Problem(pointer_join("", key), f"unknown field; expected {' or '.join(_TOP_LEVEL)}{hint}")
    machines = document.get("StateMachines", {})
    if _object(machines):
        for name, machine in machines.items():
            yield from _check_machine(pointer_join("/StateMachines", name), machine)
    else:
        yield Problem("/StateMachines", "must be an object: state machine name -> {\"TestCases\": {...}}")
    responses = document.get("MockedResponses", {})
    if _object(responses):
        for name, entries in responses.items():
            yield from _check_response(pointer_join("/MockedResponses", name), entries)
    else:
        yield Problem("/MockedResponses", "must be an object: mocked response name -> {\"0\": {...}, ...}")


def _check_machine(pointer: str, machine: Any) -> Iterator[Problem]:
    if not _object(machine) or "TestCases" not in machine:
        yield Problem(pointer, "a state machine is an object with one field, TestCases")
        return
    for key in machine:
        if key != "TestCases":
            yield Problem(pointer_join(pointer, key), "unknown field; a state machine has only TestCases")
    cases = machine["TestCases"]
    if not _object(cases):
        yield Problem(pointer_join(pointer, "TestCases"), "must be an object: test case name -> {state: response}")
        return
    for case, states in cases.items():
        case_pointer = pointer_join(pointer, "TestCases", case)
        if not _object(states):
            yield Problem(case_pointer, "a test case is an object: Task state name -> mocked response name")
            continue
        for state, response in states.items():
            if not isinstance(response, str):
                yield Problem(pointer_join(case_pointer, state), "must be the name of a mocked response (a string)")


def _check_response(pointer: str, entries: Any) -> Iterator[Problem]:
    if not _object(entries):
        yield Problem(pointer, "a mocked response is an object: invocation number or range -> {Return or Throw}")
        return
    seen: list[tuple[int, int, str]] = []
    for key, entry in entries.items():
        here = pointer_join(pointer, key)
        match = _KEY.fullmatch(key)
        if match is None:
            yield Problem(here, f"'{key}' is not an invocation number ('0') or an inclusive range ('1-2')")
        else:
            first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
            if first > last:
                yield Problem(here, f"range '{key}' ends before it starts")
            else:
                for other_first, other_last, other in seen:
                    if first <= other_last and other_first <= last:
                        yield Problem(here, f"invocations {max(first, other_first)}-{min(last, other_last)} "
                                            f"are also defined by '{other}'")
                seen.append((first, last, key))
        yield from _check_entry(here, entry)


def _check_entry(pointer: str, entry: Any) -> Iterator[Problem]:
    if not _object(entry):
        yield Problem(pointer, "needs exactly one of Return or Throw (an object)")
        return
    kinds = [k for k in ("Return", "Throw") if k in entry]
    if len(kinds) != 1:
        yield Problem(pointer, "needs exactly one of Return or Throw" + (", not both" if kinds else ""))
    for key in entry:
        if key not in ("Return", "Throw"):
            yield Problem(pointer_join(pointer, key), "unknown field; an entry has one field, Return or Throw")
    if "Throw" in entry:
        throw, here = entry["Throw"], pointer_join(pointer, "Throw")
        if not _object(throw):
            yield Problem(here, "must be an object with Error and Cause strings")
            return
        if not isinstance(throw.get("Error"), str):
            yield Problem(pointer_join(here, "Error"), "needs the error name (a string)")
        if "Cause" in throw and not isinstance(throw["Cause"], str):
            yield Problem(pointer_join(here, "Cause"), "must be a string")
        for key in throw:
            if key not in ("Error", "Cause"):
                yield Problem(pointer_join(here, key), "unknown field; Throw has Error and Cause")


def _object(value: Any) -> bool:
    return isinstance(value, Mapping)


def _response(name: str, entries: Mapping[str, Any]) -> _Response:
    spans = []
    for key, entry in entries.items():
        match = _KEY.fullmatch(key)
        assert match is not None  # validated
        first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
        if "Return" in entry:
            result = MockedResult(output=entry["Return"])
        else:
            result = MockedResult(error=entry["Throw"]["Error"], cause=entry["Throw"].get("Cause"))
        spans.append(_Span(first, last, result))
    return _Response(name, tuple(sorted(spans, key=lambda s: s.first)))
