"""From one execution's events to the coverage items it took (see :mod:`.coverage_items`).

:func:`taken_counts` walks ``record.events()`` once. What it relies on: one engine step's events
are contiguous, so a state's ``*StateExited`` is followed by the next state's ``*StateEntered``
of the same branch, and a Task/Parallel/Map exit is preceded by the outcome that caused it.

* ``state:S`` — each ``*StateEntered`` of S; ``branch:P#i`` — each entry of branch ``i``'s
  ``StartAt``; ``map:M`` — each ``MapIterationStarted`` of M.
* Choice: the state entered right after ``ChoiceStateExited`` is the target. When exactly one
  rule (or ``Default``) leads there, that is the one. When several do, the rules are evaluated
  again on the Choice's input, as the engine does; that is done only when it cannot depend on
  what the events do not show (workflow variables, ``$$``/``$states.context``, ``$now``,
  ``$random``...). Otherwise the first of them in order (rules, then Default) is reported.
* Task/Parallel/Map exits: after a success event (``TaskSucceeded``, ``ParallelStateSucceeded``...)
  it is ``next:S``; after anything else it is a Catch, and the catcher is the one
  :func:`~heaviside.engine.recovery.find_catcher` picks for the error of that failure event
  (``*Failed``/``*TimedOut``/``EvaluationFailed``). A failure that left no event carrying its
  error is reported as the first catcher whose ``Next`` is the state entered.
* Retry: ``retry:S#i`` counts the failures of S for which retrier ``i`` was the first match
  (the engine's rule) and ``MaxAttempts`` > 0. The first such failure of a state visit is always
  retried, so "counted at least once" is exactly "retried at least once"; later ones may have
  found the retrier exhausted. Parallel/Map failure events name their state; Task failure events
  do not, so they are tied to the calls in flight: each ``*Scheduled`` event is the matching
  ``record.task_calls`` entry (state, attempt). A failure followed by its state's exit is exact;
  otherwise, when the calls in flight belong to several states, the failure waits for the next
  retry attempt (``attempt`` >= 1) of a state it could belong to, and one that never sees one
  retried nothing and is dropped. Without ``task_calls`` (records rebuilt from AWS history) a
  ``*Scheduled`` event right after its Task's entry is attributed; retry attempts are not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Any

from heaviside.definition.jsonata import JsonataEnv
from heaviside.definition.model import ChoiceState, Definition, Machine, MapState, ParallelState, Recoverable
from heaviside.definition.paths import Scope
from heaviside.engine.io import IDENTITY, select
from heaviside.engine.recovery import error_matches, find_catcher, is_recoverable
from heaviside.errors import StatesError
from heaviside.runtime.execution import ExecutionRecord
from heaviside.testing.coverage_items import BRANCH, CATCH, CHOICE, DEFAULT, MAP, NEXT, RETRY, STATE, item_key
from heaviside.types import JSON

_TASK_PREFIXES = ("LambdaFunction", "Task")
_OUTCOMES = ("Succeeded", "Failed", "TimedOut")
_JOIN_SUCCESS = frozenset({"ParallelStateSucceeded", "MapStateSucceeded"})
_JOIN_FAILURE = frozenset({"ParallelStateFailed", "MapStateFailed"})
_BRANCH_FAILED = frozenset({"MapIterationFailed", "ExecutionFailed"})
_UNREPEATABLE = re.compile(r"\$(now|millis|random|uuid)\b")

Event = tuple[str, Any, Any]


def taken_counts(definition: Definition, record: ExecutionRecord) -> Counter[str]:
    """How many times ``record`` took each item (keys of items it never took are absent)."""
    return _Walker(definition, record).walk()


def _task_event(kind: str) -> tuple[str, str] | None:
    """(prefix, suffix) of a task event such as ``LambdaFunctionFailed``; None otherwise."""
    for prefix in _TASK_PREFIXES:
        if kind.startswith(prefix) and not kind.startswith("TaskState"):
            return prefix, kind[len(prefix):]
    return None


def _entered(event: Event | None) -> str | None:
    if event is not None and event[0].endswith("StateEntered") and isinstance(event[1], str):
        return event[1]
    return None


def _error_of(event: Event) -> str | None:
    payload = event[2]
    return payload.get("error") if isinstance(payload, dict) else None


@dataclass
class _Pending:
    """A Task failure that could belong to several states: it waits for a retry attempt."""

    candidates: list[str]
    error: str


class _Walker:
    def __init__(self, definition: Definition, record: ExecutionRecord) -> None:
        self.states = definition.states
        timed = record.events()
        self.events: list[Event] = [event for _, event in timed]
        self.times: list[datetime] = [moment for moment, _ in timed]
        scheduled = sum(1 for e in self.events if (t := _task_event(e[0])) is not None and t[1] == "Scheduled")
        self.calls = record.task_calls if len(record.task_calls) == scheduled else None
        self.scheduled = 0
        self.hits: Counter[str] = Counter()
        self.in_flight: list[str] = []  # the state of every task call still running
        self.pending: list[_Pending] = []
        self.ancestors: dict[str, tuple[str, ...]] = {}
        self.branch_starts: dict[str, str] = {}
        self._index(definition.machine, ())

    def _index(self, machine: Machine, ancestors: tuple[str, ...]) -> None:
        for name, state in machine.states.items():
            self.ancestors[name] = ancestors
            if isinstance(state, ParallelState):
                for i, branch in enumerate(state.branches):
                    self.branch_starts[branch.start_at] = item_key(BRANCH, name, i)
                    self._index(branch, (*ancestors, name))
            elif isinstance(state, MapState) and state.processor is not None:
                self._index(state.processor, (*ancestors, name))

    def _event(self, index: int) -> Event | None:
        return self.events[index] if 0 <= index < len(self.events) else None

    def walk(self) -> Counter[str]:
        for index, (kind, name, payload) in enumerate(self.events):
            task = _task_event(kind)
            if (entered := _entered((kind, name, payload))) is not None:
                self.hits[item_key(STATE, entered)] += 1
                if entered in self.branch_starts:
                    self.hits[self.branch_starts[entered]] += 1
            elif kind.endswith("StateExited") and isinstance(name, str):
                self._exited(index, name)
            elif kind == "MapIterationStarted" and isinstance(name, str):
                self.hits[item_key(MAP, name)] += 1
            elif task is not None and task[1] == "Scheduled":
                self._scheduled(index)
            elif task is not None and task[1] in _OUTCOMES:
                self._task_outcome(index, task[1] != "Succeeded")
            elif kind in _JOIN_FAILURE and isinstance(payload, dict):
                self._failure(str(payload.get("name")), _error_of((kind, name, payload)))
                self._forget_inside(str(payload.get("name")))
            elif kind == "EvaluationFailed" and isinstance(payload, dict):
                self._failure(str(payload.get("state")), payload.get("error"))
        return self.hits

    # ------------------------------------------------------------------ exits

    def _exited(self, index: int, name: str) -> None:
        state = self.states.get(name)
        target = _entered(self._event(index + 1))
        if isinstance(state, ChoiceState):
            if target is not None:
                entered = self._event(index - 1)
                data = entered[2] if entered is not None and _entered(entered) == name else _MISSING
                self.hits[item_key(CHOICE, name, self._choice_taken(state, target, data, self.times[index]))] += 1
            return
        if isinstance(state, Recoverable):
            before = self._event(index - 1)
            kind = before[0] if before is not None else ""
            task = _task_event(kind)
            if not (kind in _JOIN_SUCCESS or (task is not None and task[1] == "Succeeded")):
                if target is not None:
                    self._caught(state, before, target)
                return
        if state is not None and (state.next is not None or state.end):
            self.hits[item_key(NEXT, name)] += 1

    def _caught(self, state: Recoverable, before: Event | None, target: str) -> None:
        error = _error_of(before) if before is not None else None
        catcher = find_catcher(state.catchers, error) if error is not None else None
        if catcher is None or catcher.next != target:
            catcher = next((c for c in state.catchers if c.next == target), None)
        index = next((i for i, c in enumerate(state.catchers) if c is catcher), None)
        if index is not None:
            self.hits[item_key(CATCH, state.name, index)] += 1

    def _choice_taken(self, state: ChoiceState, target: str, data: Any, now: datetime) -> int | str:
        candidates: list[int | str] = [i for i, rule in enumerate(state.choices) if rule.next == target]
        if state.default == target:
            candidates.append(DEFAULT)
        if len(candidates) > 1 and data is not _MISSING:
            chosen = evaluate_choice(state, data, now)
            if chosen in candidates:
                assert chosen is not None
                return chosen
        return candidates[0] if candidates else DEFAULT

    # ------------------------------------------------------------------ tasks and failures

    def _scheduled(self, index: int) -> None:
        position = self.scheduled
        self.scheduled += 1
        name: str | None
        if self.calls is not None:
            name, attempt = self.calls[position].state, self.calls[position].attempt
        else:
            name, attempt = _entered(self._event(index - 1)), 0
        if name is None:
            return
        if attempt > 0:  # a retry: a failure still waiting for its state is this state's
            for pending in self.pending:
                if name in pending.candidates and self._retried(name, pending.error):
                    self.pending.remove(pending)
                    self._drop_call(name)
                    self._failure(name, pending.error)
                    break
        self.in_flight.append(name)

    def _task_outcome(self, index: int, failed: bool) -> None:
        error = _error_of(self.events[index]) if failed else None
        after = self._event(index + 1)
        owner = self._owner_after(after)
        if owner is not None:  # the same step goes on with the Task's exit (or its evaluation failure)
            self._drop_call(owner)
            self._failure(owner, error)
            return
        candidates = list(dict.fromkeys(self.in_flight))
        if after is not None and after[0] in _BRANCH_FAILED:  # the failure ended its branch: no retry
            scope = after[1] if after[0] == "MapIterationFailed" else None
            candidates = [c for c in candidates if scope is None or scope in self.ancestors.get(c, ())]
            if candidates:
                self._drop_call(candidates[0])
            return
        if error is not None:  # retried, or caught by nothing (a catch would have exited the state)
            candidates = [c for c in candidates if self._retried(c, error) or not self._caught_by(c, error)]
        if len(candidates) == 1:
            self._drop_call(candidates[0])
            self._failure(candidates[0], error)
        elif candidates and error is not None:
            self.pending.append(_Pending(candidates, error))

    def _owner_after(self, after: Event | None) -> str | None:
        """The Task whose outcome event comes right before ``after``, when ``after`` shows it.

        No step starts with a Task's exit, so an exit there is the same step's; an
        ``EvaluationFailed`` can start a retry's step, so it counts only for a call in flight.
        """
        if after is None:
            return None
        if after[0] == "TaskStateExited" and isinstance(after[1], str):
            return after[1]
        if after[0] == "EvaluationFailed" and isinstance(after[2], dict) and after[2].get("state") in self.in_flight:
            return str(after[2]["state"])
        return None

    def _drop_call(self, name: str) -> None:
        if name in self.in_flight:
            self.in_flight.remove(name)

    def _forget_inside(self, name: str) -> None:
        """A Parallel/Map failed: the calls of its branches were abandoned."""
        self.in_flight = [c for c in self.in_flight if name not in self.ancestors.get(c, ())]
        self.pending = [p for p in self.pending if any(name not in self.ancestors.get(c, ()) for c in p.candidates)]

    def _retrier(self, name: str, error: str) -> int | None:
        """The index of the retrier the engine consults for ``error`` in state ``name``."""
        state = self.states.get(name)
        if not isinstance(state, Recoverable) or not is_recoverable(error):
            return None
        return next((i for i, r in enumerate(state.retriers) if error_matches(r.error_equals, error)), None)

    def _retried(self, name: str, error: str) -> bool:
        index = self._retrier(name, error)
        state = self.states.get(name)
        return index is not None and isinstance(state, Recoverable) and state.retriers[index].max_attempts > 0

    def _caught_by(self, name: str, error: str) -> bool:
        state = self.states.get(name)
        return isinstance(state, Recoverable) and find_catcher(state.catchers, error) is not None

    def _failure(self, name: str, error: str | None) -> None:
        if error is not None and self._retried(name, error):
            self.hits[item_key(RETRY, name, self._retrier(name, error))] += 1


# ---------------------------------------------------------------------- re-evaluating a Choice

_MISSING: Any = object()


class _Unavailable(Exception):
    """The evaluation needs something the events do not record (variables, the context object)."""


class _NoVariables(Mapping[str, JSON]):
    def __getitem__(self, key: str) -> JSON:
        raise _Unavailable(key)

    def __iter__(self) -> Iterator[str]:
        raise _Unavailable("variables")

    def __len__(self) -> int:
        raise _Unavailable("variables")

    def __contains__(self, key: object) -> bool:
        raise _Unavailable(str(key))


def _no_context() -> JSON:
    raise _Unavailable("$$")


def evaluate_choice(state: ChoiceState, data: JSON, now: datetime) -> int | str | None:
    """The rule index (or ``"default"``) the engine picks for input ``data``; None when that
    cannot be known from the input alone (workflow variables, the context object, the clock,
    randomness) or the evaluation fails."""
    try:
        if state.query_language == "JSONata":
            return _evaluate_jsonata(state, data, now)
        scope = Scope(data, None, _NoVariables(), Random(0), _no_context)
        if state.input_path is not IDENTITY:
            scope = scope.with_data(select(state.input_path, scope))
        return next((i for i, rule in enumerate(state.choices) if rule.matches(scope)), DEFAULT)
    except (_Unavailable, StatesError):
        return None


def _evaluate_jsonata(state: ChoiceState, data: JSON, now: datetime) -> int | str | None:
    for rule in state.choices:
        for expression in rule.condition.expressions:
            if expression.variables or expression.states_fields - {"input"} or _UNREPEATABLE.search(expression.source):
                return None
    env = JsonataEnv({"input": data}, {}, now, Random(0))
    for index, rule in enumerate(state.choices):
        verdict = rule.condition.evaluate(env)
        if not isinstance(verdict, bool):
            return None
        if verdict:
            return index
    return DEFAULT
