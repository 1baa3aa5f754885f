"""The ASL interpreter (pure): from a position and an event, the next effect and history.

Control states (Pass, Choice, Succeed, Fail and the bookkeeping of the others) run inline in
one call until the machine needs the outside world: a task invocation, a wait, a fork, or
its end. The engine never sleeps, never reads the clock (``now`` is an argument) and takes
randomness from the ``Random`` it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from random import Random
from typing import Any

from heaviside.definition.model import (
    ABSENT,
    ChoiceState,
    Definition,
    FailState,
    Machine,
    MapState,
    ParallelState,
    PassState,
    Recoverable,
    State,
    SucceedState,
    TaskState,
    WaitState,
)
from heaviside.definition.paths import Path, PathNotFound, Scope
from heaviside.definition.timestamps import format_timestamp
from heaviside.engine import waits
from heaviside.engine.effects import (
    ChildStart,
    Effect,
    Event,
    Execution,
    Failed,
    Fork,
    Frame,
    InvokeTask,
    ScheduleWait,
    Step,
    Succeeded,
)
from heaviside.engine.io import IDENTITY, compact_json, effective_input, place_result, select, select_from
from heaviside.engine.recovery import decide_retry, find_catcher
from heaviside.engine.tasks import LAMBDA_INVOKE, classify_resource, function_name, lambda_invoke_request
from heaviside.engine.tasks import lambda_invoke_result as shape_lambda_invoke_result
from heaviside.errors import NO_CHOICE_MATCHED, RUNTIME, StatesError
from heaviside.types import JSON

# A transition produced by a state body: (next state or None at the end, output, variables).
_Transition = tuple[str | None, JSON, Mapping[str, JSON]]


class Engine:
    """Interprets one execution of a compiled definition."""

    def __init__(self, definition: Definition, execution: Execution, random: Random) -> None:
        self.definition = definition
        self.states = definition.states
        self.execution = execution
        self.random = random
        self._execution_context = execution.context()
        self._bodies = _bodies(definition)

    # ------------------------------------------------------------------ entry points

    def start(self, now: datetime) -> Step:
        """Begin the execution at the top-level StartAt."""
        return self.start_machine(self.definition.machine, self.execution.input, {}, now)

    def start_machine(self, machine: Machine, input_: JSON, variables: Mapping[str, JSON], now: datetime) -> Step:
        """Begin a machine (the top level, a Parallel branch or a Map iteration)."""
        events: list[Event] = []
        return Step(self._run(machine.start_at, input_, variables, now, events), events)

    def run_machine(
        self, machine: Machine, input_: JSON, variables: Mapping[str, JSON], now: datetime, events: list[Event]
    ) -> Effect:
        """:meth:`start_machine` appending its history to ``events`` (saves a Step per Map item)."""
        return self._run(machine.start_at, input_, variables, now, events)

    def task_succeeded(self, effect: InvokeTask, result: JSON, now: datetime) -> Step:
        frame = effect.frame
        state = self._state(frame, TaskState)
        details = {"resource": state.resource, "output": result}
        events: list[Event] = [(effect.event_prefix + "Succeeded", None, details)]
        if classify_resource(state.resource).kind == LAMBDA_INVOKE:
            result = shape_lambda_invoke_result(result)
        return Step(self._finish(state, frame, result, now, events), events)

    def task_failed(self, effect: InvokeTask, error: str, cause: str | None, now: datetime) -> Step:
        frame = effect.frame
        state = self._state(frame, TaskState)
        kind = "TimedOut" if error == "States.Timeout" else "Failed"
        events: list[Event] = [
            (effect.event_prefix + kind, None, {"resource": state.resource, "error": error, "cause": cause})
        ]
        return Step(self._settle(state, self._recover(state, frame, error, cause, now, events), now, events), events)

    def resume_after_wait(self, frame: Frame, now: datetime) -> Step:
        """A Wait has elapsed (exit and move on) or a retry backoff has (run the state again)."""
        state = self.states[frame.state]
        events: list[Event] = []
        if isinstance(state, WaitState):
            return Step(self._exit(state, (state.next, frame.input, frame.variables), now, events), events)
        assert isinstance(state, Recoverable)
        return Step(self._settle(state, self._attempt(state, frame, now, events), now, events), events)

    def join(self, fork: Fork, results: list[JSON], now: datetime) -> Step:
        state = self._state(fork.frame, Recoverable)
        events: list[Event] = [(fork.kind + "StateSucceeded", None, {"name": state.name})]
        return Step(self._finish(state, fork.frame, results, now, events), events)

    def join_failed(self, fork: Fork, error: str, cause: str | None, now: datetime) -> Step:
        state = self._state(fork.frame, Recoverable)
        events: list[Event] = [(fork.kind + "StateFailed", None, {"name": state.name, "error": error, "cause": cause})]
        outcome = self._recover(state, fork.frame, error, cause, now, events)
        return Step(self._settle(state, outcome, now, events), events)

    # ------------------------------------------------------------------ the inline loop

    def _run(
        self, name: str | None, data: JSON, variables: Mapping[str, JSON], now: datetime, events: list[Event]
    ) -> Effect:
        bodies = self._bodies
        while name is not None:
            state, body = bodies[name]
            events.append((state.entered_event, name, data))
            try:
                result: Effect | _Transition = body(self, state, data, variables, now, events)
            except StatesError as exc:
                return Failed(exc.error, exc.cause)
            if type(result) is not tuple:
                if type(result) is Succeeded:
                    events.append((state.exited_event, name, result.output))
                return result  # type: ignore[return-value]
            events.append((state.exited_event, name, result[1]))
            name, data, variables = result
        return Succeeded(data)

    def _enter_recoverable(
        self, state: Recoverable, data: JSON, variables: Mapping[str, JSON], now: datetime, events: list[Event]
    ) -> Effect | _Transition:
        return self._attempt(state, Frame(state.name, data, now, 0, (), variables), now, events)

    def _settle(self, state: State, outcome: Effect | _Transition, now: datetime, events: list[Event]) -> Effect:
        """An effect stays as it is; a transition (a catcher's) exits the state and runs on."""
        return self._exit(state, outcome, now, events) if isinstance(outcome, tuple) else outcome

    def _exit(self, state: State, transition: _Transition, now: datetime, events: list[Event]) -> Effect:
        next_name, output, variables = transition
        events.append((state.exited_event, state.name, output))
        if next_name is None:
            return Succeeded(output)
        return self._run(next_name, output, variables, now, events)

    def _scope(self, state: State, data: JSON, variables: Mapping[str, JSON], entered: datetime,
               retry_count: int | None = None) -> Scope:
        def context() -> dict[str, Any]:
            ctx = dict(self._execution_context)
            state_ctx: dict[str, Any] = {"EnteredTime": format_timestamp(entered), "Name": state.name}
            if retry_count is not None:
                state_ctx["RetryCount"] = retry_count
            ctx["State"] = state_ctx
            return ctx

        return Scope(data, None, variables, self.random, context)

    # ------------------------------------------------------------------ control states

    def _pass(self, state: PassState, data: JSON, variables: Mapping[str, JSON], now: datetime,
              events: list[Event]) -> _Transition:
        if (state.parameters is None and state.assign is None and state.input_path is IDENTITY
                and state.output_path is IDENTITY):
            result = data if state.result is ABSENT else state.result
            return state.next, (result if state.result_path is IDENTITY else
                                place_result(state.result_path, data, result)), variables
        scope = self._scope(state, data, variables, now)
        effective = data if state.input_path is IDENTITY else select(state.input_path, scope)
        if state.parameters is not None:
            effective = state.parameters.resolve(scope.with_data(effective))
        result = effective if state.result is ABSENT else state.result
        if state.assign is not None:
            variables = {**variables, **state.assign.resolve(scope.with_data(result))}
        output = result if state.result_path is IDENTITY else place_result(state.result_path, data, result)
        if state.output_path is not IDENTITY:
            output = select_from(state.output_path, output, scope)
        return state.next, output, variables

    def _choice(self, state: ChoiceState, data: JSON, variables: Mapping[str, JSON], now: datetime,
                events: list[Event]) -> _Transition:
        scope = self._scope(state, data, variables, now)
        if state.input_path is not IDENTITY:
            scope = scope.with_data(select(state.input_path, scope))
        for rule in state.choices:
            if rule.matches(scope):
                next_name = rule.next
                break
        else:
            if state.default is None:
                raise StatesError(NO_CHOICE_MATCHED, f"No Choice Rules matched the input in state '{state.name}'")
            next_name = state.default
        if state.assign is not None:
            variables = {**variables, **state.assign.resolve(scope)}
        output = scope.data if state.output_path is IDENTITY else select(state.output_path, scope)
        return next_name, output, variables

    def _wait(self, state: WaitState, data: JSON, variables: Mapping[str, JSON], now: datetime,
              events: list[Event]) -> Effect:
        scope = self._scope(state, data, variables, now)
        effective = scope.with_data(select(state.input_path, scope))
        until = waits.wait_until(state, effective, now)
        if state.assign is not None:
            variables = {**variables, **state.assign.resolve(effective)}
        output = select(state.output_path, effective)
        return ScheduleWait(Frame(state.name, output, now, 0, (), variables), until, "wait")

    def _succeed(self, state: SucceedState, data: JSON, variables: Mapping[str, JSON], now: datetime,
              events: list[Event]) -> Effect:
        scope = self._scope(state, data, variables, now)
        output = select(state.output_path, scope.with_data(select(state.input_path, scope)))
        return Succeeded(output)

    def _fail(self, state: FailState, data: JSON, variables: Mapping[str, JSON], now: datetime,
              events: list[Event]) -> Effect:
        scope = self._scope(state, data, variables, now)
        error = state.error if state.error_path is None else _fail_field(state.error_path, "ErrorPath", scope)
        cause = state.cause if state.cause_path is None else _fail_field(state.cause_path, "CausePath", scope)
        return Failed(error or "", cause)

    # ------------------------------------------------------------------ Task, Parallel, Map

    def _attempt(self, state: Recoverable, frame: Frame, now: datetime, events: list[Event]) -> Effect | _Transition:
        """Run the body of a Task/Parallel/Map (first try or a retry); errors go to Retry/Catch."""
        try:
            if isinstance(state, TaskState):
                return self._invoke(state, frame, now, events)
            if isinstance(state, ParallelState):
                return self._fork_parallel(state, frame, now, events)
            assert isinstance(state, MapState)
            return self._fork_map(state, frame, now, events)
        except StatesError as exc:
            return self._recover(state, frame, exc.error, exc.cause, now, events)

    def _invoke(self, state: TaskState, frame: Frame, now: datetime, events: list[Event]) -> Effect:
        scope = self._scope(state, frame.input, frame.variables, frame.entered, frame.retry_count)
        payload = effective_input(state.input_path, state.parameters, scope)
        target = classify_resource(state.resource)
        name: str | None = None
        if target.kind == "lambda":
            name = function_name(state.resource)
        elif target.kind == LAMBDA_INVOKE:
            name, payload = lambda_invoke_request(payload)
        timeout = _positive_seconds(state.timeout_seconds, state.timeout_seconds_path, "TimeoutSecondsPath", scope)
        heartbeat = _positive_seconds(
            state.heartbeat_seconds, state.heartbeat_seconds_path, "HeartbeatSecondsPath", scope
        )
        details: dict[str, Any] = {"resource": state.resource, "input": payload}
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        events.append((target.event_prefix + "Scheduled", None, details))
        return InvokeTask(frame, state.resource, name, payload, timeout, heartbeat, target.event_prefix, scope.context)

    def _fork_parallel(self, state: ParallelState, frame: Frame, now: datetime, events: list[Event]) -> Effect:
        scope = self._scope(state, frame.input, frame.variables, frame.entered)
        branch_input = effective_input(state.input_path, state.parameters, scope)
        events.append(("ParallelStateStarted", None, {"name": state.name}))
        children = tuple(ChildStart(branch, branch_input, frame.variables) for branch in state.branches)
        return Fork(frame, "Parallel", children, 0)

    def _fork_map(self, state: MapState, frame: Frame, now: datetime, events: list[Event]) -> Effect:
        scope = self._scope(state, frame.input, frame.variables, frame.entered)
        effective = scope.with_data(select(state.input_path, scope))
        items = _items(state, effective)
        selector = state.parameters
        assert state.processor is not None
        processor = state.processor
        if selector is None:
            children = tuple(ChildStart(processor, item, frame.variables) for item in items)
        else:
            base = effective.context
            children = tuple(
                ChildStart(processor, selector.resolve(_item_scope(effective, base, index, item)), frame.variables)
                for index, item in enumerate(items)
            )
        events.append(("MapStateStarted", None, {"name": state.name, "length": len(children)}))
        return Fork(
            frame,
            "Map",
            children,
            waits.non_negative_int(state.max_concurrency, state.max_concurrency_path, "MaxConcurrencyPath", effective),
            waits.optional_int(state.tolerated_failure_count, state.tolerated_failure_count_path,
                               "ToleratedFailureCountPath", effective),
            waits.optional_percentage(state.tolerated_failure_percentage, state.tolerated_failure_percentage_path,
                                      effective),
        )

    def _finish(self, state: Recoverable, frame: Frame, result: JSON, now: datetime, events: list[Event]) -> Effect:
        """Apply ResultSelector, Assign, ResultPath and OutputPath to a result, then move on."""
        try:
            scope = self._scope(state, result, frame.variables, frame.entered)
            variables = frame.variables
            if state.assign is not None:
                variables = {**variables, **state.assign.resolve(scope)}
            if state.result_selector is not None:
                result = state.result_selector.resolve(scope)
            output = place_result(state.result_path, frame.input, result)
            output = select_from(state.output_path, output, scope)
        except StatesError as exc:
            return self._settle(state, self._recover(state, frame, exc.error, exc.cause, now, events), now, events)
        return self._exit(state, (state.next, output, variables), now, events)

    def _recover(
        self, state: Recoverable, frame: Frame, error: str, cause: str | None, now: datetime, events: list[Event]
    ) -> Effect | _Transition:
        """Retry (a backoff wait), Catch (a transition) or fail."""
        decision = decide_retry(state.retriers, frame.retrier_attempts, error, self.random)
        if decision is not None:
            retry = replace(frame, retry_count=frame.retry_count + 1, retrier_attempts=decision.attempts)
            return ScheduleWait(retry, now + decision.delay, "retry")
        catcher = find_catcher(state.catchers, error)
        if catcher is None:
            return Failed(error, cause)
        error_output = {"Error": error, "Cause": cause}
        variables = frame.variables
        try:
            if catcher.assign is not None:
                scope = self._scope(state, error_output, variables, frame.entered)
                variables = {**variables, **catcher.assign.resolve(scope)}
            output = place_result(catcher.result_path, frame.input, error_output)
        except StatesError as exc:
            return Failed(exc.error, exc.cause)
        return catcher.next, output, variables

    def _state(self, frame: Frame, kind: type[Any]) -> Any:
        state = self.states.get(frame.state)
        if not isinstance(state, kind):
            raise StatesError(RUNTIME, f"state '{frame.state}' is not a {kind.__name__} in this definition")
        return state


_BODIES: dict[str, Any] = {
    "Pass": Engine._pass,
    "Choice": Engine._choice,
    "Wait": Engine._wait,
    "Succeed": Engine._succeed,
    "Fail": Engine._fail,
    "Task": Engine._enter_recoverable,
    "Parallel": Engine._enter_recoverable,
    "Map": Engine._enter_recoverable,
}


def _bodies(definition: Definition) -> dict[str, tuple[State, Any]]:
    """Each state with the function that runs it, built once per definition."""
    table: dict[str, tuple[State, Any]] | None = definition.engine_cache.get("bodies")
    if table is None:
        table = {name: (state, _BODIES[state.type]) for name, state in definition.states.items()}
        definition.engine_cache["bodies"] = table
    return table


def _fail_field(expression: Any, field: str, scope: Scope) -> str:
    try:
        value = expression.resolve(scope)
    except PathNotFound:
        raise StatesError(
            RUNTIME,
            f"The JSONPath '{expression.text}' specified for the field '{field}' could not be found "
            f"in the input '{compact_json(scope.data)}'",
        ) from None
    return value if isinstance(value, str) else compact_json(value)


def _positive_seconds(value: int | None, path: Path | None, field: str, scope: Scope) -> float | None:
    if path is None:
        return value
    return waits.positive_int(path, field, scope)


def _items(state: MapState, scope: Scope) -> list[JSON]:
    assert state.items_path is not None
    try:
        items = state.items_path.resolve(scope)
    except PathNotFound as exc:
        raise StatesError(RUNTIME, str(exc)) from None
    if not isinstance(items, list):
        raise StatesError(RUNTIME, f'Reference path "{state.items_path.text}" must point to array.')
    return items


def _item_scope(effective: Scope, base_context: Any, index: int, item: JSON) -> Scope:
    context = dict(base_context)
    context["Map"] = {"Item": {"Index": index, "Value": item}}
    return Scope(effective.data, context, effective.variables, effective.random)
