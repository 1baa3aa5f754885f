"""Single-state tests in the shape of Step Functions' ``TestState`` API: run ONE state, get its status
(``test_state(definition, "Charge", {"amount": 12}, mock=MockedResult(output={...})).next_state``).

Statuses as AWS defines them: ``SUCCEEDED`` (``next_state``: where the execution goes, None after
``End``/``Succeed``), ``FAILED`` (an error no Retry/Catch handles), ``RETRIABLE`` (a retrier would
retry: ``error_details`` has ``retryIndex``, ``retryBackoffIntervalSeconds``) and ``CAUGHT_ERROR``
(``next_state``/``output``: the catcher's ``Next`` and output; ``error_details``: ``catchIndex``).

How: the state is copied out (of a Parallel branch or Map processor too: names are unique
machine-wide) into a derived definition where each exit (Next, End, each Choice rule, Default,
each catcher) leads to its own stub ``Wait``, and the pure engine runs it from a frame holding
``input`` and ``variables``: Retry (the exact backoff, jitter included), Catch and Choice are the
engine's own decisions; the stub reached gives the output and the variables after ``Assign``.
A Task's result comes from ``mock`` (the service's whole response, or ``error``/``cause``),
``handler`` (a Python Lambda handler; ``TimeoutSeconds`` enforced) or ``handlers`` (by function
name, as ``run_local``). A Parallel/Map takes ``mock`` as its whole result (as AWS does) or runs
its branches with ``run_local`` and ``handlers``; ``.waitForTaskToken`` needs a mock.

``context`` overrides ``Execution.{Id,Input,Name,RoleArn,StartTime,RedriveCount}``,
``StateMachine.{Id,Name}``, ``State.{EnteredTime,RetryCount}`` and ``Task.Token`` (``Map`` is
refused, as on AWS; ``State.Name`` is always the state's). ``inspection`` (``reveal``: AWS's
DEBUG level) has ``input`` and, for JSONPath, ``afterInputPath``, ``afterParameters``, ``result``,
``afterResultSelector``, ``afterResultPath`` as far as the state got (JSONata: ``afterArguments``,
``result``). Not computed: Parallel ``afterParameters``, Map's item fields, HTTP request/response.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from random import Random
from typing import Any, Final

from heaviside.backends.local_lambda import LambdaContext, LambdaPool, MockedResult
from heaviside.definition.compiler import compile_definition
from heaviside.definition.loader import load_definition
from heaviside.definition.model import ABSENT, Definition, PassState, Recoverable, State, TaskState
from heaviside.definition.paths import Scope
from heaviside.definition.timestamps import format_timestamp, parse_timestamp
from heaviside.engine import jsonata_language, jsonpath_language
from heaviside.engine.effects import Effect, Event, Execution, Failed, Fork, Frame, InvokeTask, ScheduleWait, Succeeded
from heaviside.engine.interpreter import Engine
from heaviside.engine.io import place_result, select
from heaviside.engine.tasks import new_task_token
from heaviside.errors import StatesError
from heaviside.runner import run_local
from heaviside.runtime.clock import VirtualClock
from heaviside.runtime.invocation import call_handler_within
from heaviside.types import JSON

SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR = "SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR"
_ARN = "arn:aws:states:us-east-1:123456789012"
_CONTEXT_FIELDS: Final = {"Execution": {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount"},
                          "StateMachine": {"Id", "Name"}, "State": {"EnteredTime", "Name", "RetryCount"},
                          "Task": {"Token"}}
_RESULT_FIELDS: Final = ("Retry", "Catch", "ResultSelector", "ResultPath", "OutputPath", "Assign", "Output", "Next")
Handler = Callable[[Any, Any], Any]


class StateTestError(ValueError):
    """The test cannot run as asked (unknown state, missing mock, bad context): a usage error."""


@dataclass(frozen=True)
class StateTestResult:
    """What :func:`test_state` found (fields as AWS's ``TestState`` response, values as JSON)."""

    status: str
    output: JSON = None
    next_state: str | None = None
    error: str | None = None
    cause: str | None = None
    variables: dict[str, JSON] = field(default_factory=dict)  # after the state's Assign
    error_details: dict[str, Any] | None = None  # retryIndex + retryBackoffIntervalSeconds, or catchIndex
    inspection: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """AWS's response shape (``output`` as a JSON value here, not JSON text)."""
        shown: dict[str, Any] = {"status": self.status}
        if self.status in (SUCCEEDED, CAUGHT_ERROR):
            shown["output"] = self.output
        for key, value in (("nextState", self.next_state), ("error", self.error), ("cause", self.cause)):
            if value is not None:
                shown[key] = value
        if self.inspection is not None:
            shown["inspectionData"] = {**self.inspection, "variables": self.variables,
                                       **({"errorDetails": self.error_details} if self.error_details else {})}
        return shown


def test_state(
    definition: Definition | Mapping[str, Any] | str,
    state_name: str,
    input: JSON = None,
    *,
    context: Mapping[str, Any] | None = None,
    variables: Mapping[str, JSON] | None = None,
    mock: MockedResult | None = None,
    handler: Handler | None = None,
    handlers: Mapping[str, Handler] | None = None,
    reveal: bool = True,
    retrier_retry_count: int | None = None,
    random: Random | None = None,
) -> StateTestResult:
    """Run the state ``state_name`` of ``definition`` once on ``input`` (see the module docstring);
    ``retrier_retry_count`` (AWS's ``stateConfiguration.retrierRetryCount``): retries already made.
    Raises :class:`StateTestError` (cannot run as asked) or :class:`~heaviside.errors.DefinitionError`."""
    compiled = definition if isinstance(definition, Definition) else load_definition(definition)
    return _StateTest(compiled, state_name, {} if input is None else input, context or {}, dict(variables or {}),
                      mock, handler, handlers, retrier_retry_count, random or Random()).run(reveal)


test_state.__test__ = False  # type: ignore[attr-defined]  # pytest: a library function, not a test


class _StateTest:
    def __init__(self, definition: Definition, name: str, input_: JSON, context: Mapping[str, Any],
                 variables: dict[str, JSON], mock: MockedResult | None, handler: Handler | None,
                 handlers: Mapping[str, Handler] | None, retry_count: int | None, random: Random) -> None:
        if name not in definition.states:
            known = ", ".join(sorted(definition.states))
            raise StateTestError(f"no state named {name!r} in the definition (states: {known})")
        self.name, self.input, self.variables = name, input_, variables
        self.mock, self.handler, self.handlers = mock, handler, handlers
        self.raw, self.language = _find_spec(definition.source, name)
        self.derived, self.stubs = _derive(self.raw, name, self.language, set(definition.states))
        self.state: State = self.derived.states[name]
        self.execution, self.now, context_retries, token = _execution(context, input_)
        self.retry_count = retry_count if retry_count is not None else context_retries
        self.token = token or new_task_token()
        self.engine = Engine(self.derived, self.execution, random, tokens=lambda: self.token)
        self.events: list[Event] = []
        self.failure: tuple[str, str | None] | None = None  # the task's or the join's own error
        self.result: JSON = ABSENT  # the raw result, once there is one

    # ------------------------------------------------------------------ running

    def run(self, reveal: bool) -> StateTestResult:
        outcome = self._drive()
        return replace(outcome, inspection=self._inspection()) if reveal else outcome

    def _drive(self) -> StateTestResult:
        state, now = self.state, self.now
        if self.retry_count and isinstance(state, Recoverable):
            step = self.engine.resume_after_wait(self._frame(), now)  # a retry attempt: the engine's own path
            effect: Effect = step.effect
            self.events += step.events
        else:
            effect = self.engine.run_from(self.name, self.input, self.variables, now, self.events)
        while True:
            if isinstance(effect, InvokeTask):
                output, error, cause, response = self._answer_task(effect)
                step = self.engine.task_ended(effect, now, output=output, error=error, cause=cause,
                                              response=response)
            elif isinstance(effect, Fork):
                step = self._answer_fork(effect)
            elif isinstance(effect, ScheduleWait) and effect.frame.state in self.stubs:
                return self._transition(effect.frame)
            elif isinstance(effect, ScheduleWait) and effect.purpose == "wait":
                step = self.engine.resume_after_wait(effect.frame, effect.until)  # Wait: no waiting
            elif isinstance(effect, ScheduleWait):
                return self._retriable(effect)
            elif isinstance(effect, Succeeded):
                return StateTestResult(SUCCEEDED, effect.output, variables=dict(self.variables))
            else:
                assert isinstance(effect, Failed)
                return StateTestResult(FAILED, error=effect.error, cause=effect.cause, variables=dict(self.variables))
            self.events += step.events
            effect = step.effect

    def _frame(self) -> Frame:
        retriers = len(self.state.retriers) if isinstance(self.state, Recoverable) else 0
        return Frame(self.name, self.input, self.now, self.retry_count, (self.retry_count,) * retriers, self.variables)

    def _answer_task(self, effect: InvokeTask) -> tuple[JSON, str | None, str | None, bool]:
        """(output, error, cause, whole response?) of the task: from the mock or a handler."""
        if self.mock is not None:
            outcome = (self.mock.output, self.mock.error, self.mock.cause, True)
        elif effect.task_token is not None:
            raise StateTestError(f"Task {self.name!r} waits for a task token: mock its answer")
        elif self.handler is None and self.handlers is None:
            raise StateTestError(f"Task {self.name!r} needs a mocked result or a handler")
        else:
            pool = LambdaPool({effect.function_name or effect.resource: self.handler} if self.handler is not None
                              else dict(self.handlers or {}))
            function, found = pool.resolve(effect)
            if found is None:
                missing = pool.invoke(0, effect)
                outcome = (None, missing.error, missing.cause, False)
            else:
                context = LambdaContext(function, effect.timeout_seconds, effect.context)
                ran = call_handler_within(found, effect.payload, context, self.name, effect.timeout_seconds)
                outcome = (ran.output, ran.error, ran.cause, False)
        if outcome[1] is not None:
            self.failure = (outcome[1], outcome[2])
        return outcome

    def _answer_fork(self, fork: Fork) -> Any:
        if self.mock is not None:
            results, error, cause = self.mock.output, self.mock.error, self.mock.cause
        else:
            results, error, cause = self._run_branches()
        if error is not None:
            self.failure = (error, cause)
            return self.engine.join_failed(fork, error, cause, self.now)
        if not isinstance(results, list):
            raise StateTestError(f"the result of {fork.kind} state {self.name!r} must be a list, got {results!r}")
        self.result = results
        return self.engine.join(fork, results, self.now)

    def _run_branches(self) -> tuple[JSON, str | None, str | None]:
        """Run the Parallel/Map whole (``run_local``) for its raw result or error."""
        if self.handler is not None:
            raise StateTestError(f"{self.state.type} state {self.name!r}: mock its result or give handlers by name")
        spec = {key: value for key, value in copy.deepcopy(self.raw).items() if key not in _RESULT_FIELDS}
        document: dict[str, Any] = {"StartAt": self.name, "States": {self.name: {**spec, "End": True}},
                                    "QueryLanguage": self.language}
        if self.variables:  # assigned literally on the way in (JSON text is a JSONata expression)
            prelude = _unused("heaviside-variables", set(document["States"]))
            document["States"][prelude] = {"Type": "Pass", "QueryLanguage": "JSONata", "Next": self.name, "Assign": {
                key: "{% " + json.dumps(value) + " %}" for key, value in self.variables.items()}}
            document["StartAt"] = prelude
        clock, execution = VirtualClock(self.now), self.execution
        record = run_local(compile_definition(document), self.input, handlers=self.handlers, clock=clock,
                           name=execution.name, state_machine_name=execution.state_machine_name)
        if record.succeeded:
            return record.output, None, None
        return None, record.error or "", record.cause

    # ------------------------------------------------------------------ outcomes

    def _transition(self, frame: Frame) -> StateTestResult:
        target, kind, index = self.stubs[frame.state]
        if kind != "catch":
            return StateTestResult(SUCCEEDED, frame.input, target, variables=dict(frame.variables))
        error, cause = self._error()
        return StateTestResult(CAUGHT_ERROR, frame.input, target, error, cause, dict(frame.variables),
                               {"catchIndex": index})

    def _retriable(self, effect: ScheduleWait) -> StateTestResult:
        before, after = self._frame().retrier_attempts, effect.frame.retrier_attempts
        index = next((i for i, (old, new) in enumerate(zip(before, after, strict=False)) if new > old), 0)
        seconds = (effect.until - self.now).total_seconds()
        delay: float = int(seconds) if seconds == int(seconds) else seconds
        error, cause = self._error()
        return StateTestResult(RETRIABLE, None, None, error, cause, dict(self.variables),
                               {"retryIndex": index, "retryBackoffIntervalSeconds": delay})

    def _error(self) -> tuple[str, str | None]:
        """The error Retry/Catch handled: the task's (or join's) own, else the one the state's input or
        output processing raised (read from an EvaluationFailed event, or met again the same way)."""
        if self.failure is not None:
            return self.failure
        for kind, _, details in reversed(self.events):
            if kind == "EvaluationFailed":
                return details["error"], details.get("cause")
        state, frame, _ = self.state, self._frame(), self._scan()
        language: Any = jsonata_language if state.query_language == "JSONata" else jsonpath_language
        try:
            if self.result is not ABSENT:
                assert isinstance(state, Recoverable)
                language.finish(self.engine, state, frame, self.result)
            elif isinstance(state, TaskState):
                language.task_request(self.engine, state, frame, self.token)
            elif state.type == "Parallel":
                language.parallel_input(self.engine, state, frame)
            else:
                language.map_plan(self.engine, state, frame)
        except StatesError as exc:
            return exc.error, exc.cause
        return "States.Runtime", None  # pragma: no cover - the engine met an error we could not see again

    # ------------------------------------------------------------------ inspection

    def _scan(self) -> JSON:
        """The effective input a task was called with (ABSENT: none); notes the task's result."""
        effective: JSON = ABSENT
        for kind, _, details in self.events:
            if kind.endswith("Scheduled"):
                effective = details.get("parameters", details.get("input"))
            elif kind in ("LambdaFunctionSucceeded", "TaskSucceeded"):
                self.result = details.get("output")
        return effective

    def _inspection(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input": self.input}
        state, effective = self.state, self._scan()
        if state.query_language != "JSONPath":
            found = {"afterArguments": effective, "result": self.result}
            return {**data, **{key: value for key, value in found.items() if value is not ABSENT}}
        retries = self.retry_count if isinstance(state, TaskState) else None
        scope = Scope(self.input, None, self.variables, self.engine.random,
                      partial(self.engine.context, self.name, self.now, retries, self.token))
        try:
            selected = data["afterInputPath"] = select(state.input_path, scope)
            if not isinstance(state, PassState | Recoverable):
                return data
            if isinstance(state, PassState):
                parameters = state.parameters
                effective = selected if parameters is None else parameters.resolve(scope.with_data(selected))
                self.result = effective if state.result is ABSENT else state.result
            if effective is not ABSENT:
                data["afterParameters"] = effective
            if self.result is ABSENT:
                return data
            data["result"] = result = self.result
            if isinstance(state, Recoverable) and state.result_selector is not None:
                result = state.result_selector.resolve(scope.with_data(result))
            data["afterResultSelector"] = result
            data["afterResultPath"] = place_result(state.result_path, self.input, result)
        except StatesError:
            pass  # the state failed there: later steps never happened
        return data


# ---------------------------------------------------------------------- derived definitions


def _find_spec(source: Mapping[str, Any], name: str, language: str | None = None) -> tuple[dict[str, Any], str]:
    """The raw spec of state ``name`` anywhere in ``source``, and the query language it inherits."""
    inherited = language or source.get("QueryLanguage", "JSONPath")
    for state_name, spec in source.get("States", {}).items():
        if state_name == name:
            return spec, inherited
        nested = [*spec.get("Branches", []), *(spec[key] for key in ("ItemProcessor", "Iterator") if key in spec)]
        for machine in nested:
            try:
                return _find_spec(machine, name, machine.get("QueryLanguage", spec.get("QueryLanguage", inherited)))
            except StateTestError:
                continue
    raise StateTestError(f"no state named {name!r} in the definition")


def _derive(raw: Mapping[str, Any], name: str, language: str,
            taken: set[str]) -> tuple[Definition, dict[str, tuple[str | None, str, int | None]]]:
    """The state alone, each of its exits leading to a stub ``Wait`` that catches output and variables.
    Compiled without validation: reads of variables assigned elsewhere are expected."""
    spec = copy.deepcopy(dict(raw))
    stubs: dict[str, tuple[str | None, str, int | None]] = {}

    def stub(target: str | None, kind: str, index: int | None = None) -> str:
        stub_name = _unused(f"heaviside-stub-{len(stubs)}", taken)
        stubs[stub_name] = (target, kind, index)
        return stub_name

    if "Next" in spec:
        spec["Next"] = stub(spec["Next"], "next")
    if spec.pop("End", False):
        spec["Next"] = stub(None, "end")
    for index, rule in enumerate(spec.get("Choices", [])):
        rule["Next"] = stub(rule["Next"], "choice", index)
    if "Default" in spec:
        spec["Default"] = stub(spec["Default"], "default")
    for index, catcher in enumerate(spec.get("Catch", [])):
        catcher["Next"] = stub(catcher["Next"], "catch", index)
    states = {name: spec, **{stub_name: {"Type": "Wait", "Seconds": 0, "End": True, "QueryLanguage": "JSONPath"}
                             for stub_name in stubs}}
    return compile_definition({"StartAt": name, "States": states, "QueryLanguage": language}), stubs


def _unused(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _execution(context: Mapping[str, Any], input_: JSON) -> tuple[Execution, datetime, int, str | None]:
    """The execution ``$$`` derives from (``context`` overriding), when the state is entered, its
    retry count and task token."""
    for part, value in context.items():
        if part not in _CONTEXT_FIELDS:
            raise StateTestError(f"context field {part!r} is not supported (supported: {sorted(_CONTEXT_FIELDS)})")
        unknown = set(value) - _CONTEXT_FIELDS[part] if isinstance(value, Mapping) else {"(not an object)"}
        if unknown:
            raise StateTestError(f"context field {part} has unsupported fields {sorted(unknown)}")
    run, machine = context.get("Execution", {}), context.get("StateMachine", {})
    state, task = context.get("State", {}), context.get("Task", {})
    start = _moment(run, "StartTime")
    entered = _moment(state, "EnteredTime") or start or datetime.now(UTC)
    name, machine_name = run.get("Name", "test-state"), machine.get("Name", "test-state")
    execution = Execution(
        id=run.get("Id", f"{_ARN}:execution:{machine_name}:{name}"), name=name,
        start_time=format_timestamp(start or entered), input=run.get("Input", input_),
        state_machine_id=machine.get("Id", f"{_ARN}:stateMachine:{machine_name}"), state_machine_name=machine_name,
        **({"role_arn": run["RoleArn"]} if "RoleArn" in run else {}),
        redrive_count=int(run.get("RedriveCount", 0)))
    return execution, entered, int(state.get("RetryCount", 0)), task.get("Token")


def _moment(part: Mapping[str, Any], key: str) -> datetime | None:
    if key not in part:
        return None
    moment = parse_timestamp(part[key])
    if moment is None:
        raise StateTestError(f"context {key} {part[key]!r} is not an ISO-8601 timestamp")
    return moment
