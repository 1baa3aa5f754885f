"""The pure engine, stepped by hand: effects and history as data, no runtime involved."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import pytest

from heaviside.definition.loader import load_definition
from heaviside.definition.model import Retrier
from heaviside.engine.effects import ChildStart, Execution, Failed, Fork, InvokeTask, ScheduleWait, Succeeded
from heaviside.engine.fanout import JoinTracker
from heaviside.engine.interpreter import Engine
from heaviside.engine.recovery import decide_retry, error_matches

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def engine(definition: dict[str, Any], input_: Any = None) -> Engine:
    execution = Execution("arn:exec", "e1", "2026-03-01T12:00:00Z", input_ if input_ is not None else {},
                          "arn:sm", "sm")
    return Engine(load_definition(definition), execution, Random(7))


def test_control_states_run_inline_until_a_task() -> None:
    eng = engine({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.r", "Next": "T"},
        "T": {"Type": "Task", "Resource": FN + "work", "Parameters": {"n.$": "$.r.n", "try.$": "$$.State.RetryCount"},
              "ResultPath": "$.out", "End": True}}}, {"x": 0})
    step = eng.start(NOW)
    effect = step.effect
    assert isinstance(effect, InvokeTask)
    assert (effect.function_name, effect.payload) == ("work", {"n": 1, "try": 0})
    assert [e[0] for e in step.events] == ["PassStateEntered", "PassStateExited", "TaskStateEntered",
                                             "LambdaFunctionScheduled"]
    done = eng.task_succeeded(effect, "ok", NOW)
    assert done.effect == Succeeded({"x": 0, "r": {"n": 1}, "out": "ok"})
    assert [e[0] for e in done.events] == ["LambdaFunctionSucceeded", "TaskStateExited"]


def test_retry_is_a_scheduled_wait_and_the_retry_sees_its_count() -> None:
    eng = engine({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": FN + "w", "Parameters": {"try.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3}], "End": True}}})
    first = eng.start(NOW).effect
    assert isinstance(first, InvokeTask)
    wait = eng.task_failed(first, "Flaky", "c", NOW).effect
    assert isinstance(wait, ScheduleWait) and wait.purpose == "retry"
    assert wait.until == NOW + timedelta(seconds=2)
    again = eng.resume_after_wait(wait.frame, wait.until).effect
    assert isinstance(again, InvokeTask) and again.payload == {"try": 1}
    wait2 = eng.task_failed(again, "Flaky", "c", wait.until).effect
    assert isinstance(wait2, ScheduleWait) and wait2.until == wait.until + timedelta(seconds=6)


def test_catch_merges_error_output_into_raw_input() -> None:
    eng = engine({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "w", "InputPath": "$.sub", "ResultSelector": {"never.$": "$"},
              "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "H"}], "End": True},
        "H": {"Type": "Succeed"}}}, {"sub": {"a": 1}, "keep": True})
    invoke = eng.start(NOW).effect
    assert isinstance(invoke, InvokeTask)
    step = eng.task_failed(invoke, "Boom", "bad", NOW)
    assert step.effect == Succeeded({"sub": {"a": 1}, "keep": True, "err": {"Error": "Boom", "Cause": "bad"}})


def test_runtime_errors_are_never_caught() -> None:
    eng = engine({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "w", "OutputPath": "$.missing",
              "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "H"}], "End": True},
        "H": {"Type": "Succeed"}}})
    invoke = eng.start(NOW).effect
    assert isinstance(invoke, InvokeTask)
    effect = eng.task_succeeded(invoke, {"a": 1}, NOW).effect
    assert isinstance(effect, Failed) and effect.error == "States.Runtime"


def test_wait_returns_its_deadline() -> None:
    eng = engine({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}, {"s": 90})
    effect = eng.start(NOW).effect
    assert isinstance(effect, ScheduleWait) and effect.until == NOW + timedelta(seconds=90)
    assert eng.resume_after_wait(effect.frame, effect.until).effect == Succeeded({"s": 90})


@pytest.mark.parametrize(("value", "fragment"), [
    (-1, "references a negative value"),
    (1.5, "cannot be parsed as a long value"),
    ("soon", "cannot be parsed as a long value"),
])
def test_bad_wait_seconds_are_runtime_errors(value: Any, fragment: str) -> None:
    eng = engine({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}, {"s": value})
    effect = eng.start(NOW).effect
    assert isinstance(effect, Failed) and effect.error == "States.Runtime" and fragment in (effect.cause or "")


def test_timestamp_wait_needs_an_offset() -> None:
    eng = engine({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": True}}},
                 {"t": "2016-12-05T21:29:29"})
    effect = eng.start(NOW).effect
    assert isinstance(effect, Failed) and "ISO-8601" in (effect.cause or "")


def test_map_fork_carries_selector_output_and_limits() -> None:
    eng = engine({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.xs", "MaxConcurrencyPath": "$.limit", "ToleratedFailureCount": 1,
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}},
        {"xs": ["a", "b"], "k": 9, "limit": 2})
    fork = eng.start(NOW).effect
    assert isinstance(fork, Fork)
    assert [c.input for c in fork.children] == [{"i": 0, "v": "a", "k": 9}, {"i": 1, "v": "b", "k": 9}]
    assert (fork.max_concurrency, fork.tolerated_failure_count) == (2, 1)
    child = eng.start_machine(fork.children[0].machine, fork.children[0].input, {}, NOW).effect
    assert child == Succeeded({"i": 0, "v": "a", "k": 9})
    assert eng.join(fork, ["r0", "r1"], NOW).effect == Succeeded(["r0", "r1"])


def test_map_items_must_be_an_array() -> None:
    eng = engine({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}, {"xs": {"a": 1}})
    effect = eng.start(NOW).effect
    assert isinstance(effect, Failed) and effect.cause == 'Reference path "$.xs" must point to array.'


@pytest.mark.parametrize(("patterns", "error", "expected"), [
    (["States.ALL"], "Anything", True),
    (["States.ALL"], "States.Timeout", True),
    (["States.ALL"], "States.DataLimitExceeded", False),
    (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
    (["States.TaskFailed"], "KeyError", True),
    (["States.TaskFailed"], "States.Timeout", False),
    (["Other"], "KeyError", False),
])
def test_error_matching(patterns: list[str], error: str, expected: bool) -> None:
    assert error_matches(patterns, error) is expected


def test_first_matching_retrier_decides_even_when_exhausted() -> None:
    retriers = (Retrier(("A",), max_attempts=1), Retrier(("States.ALL",), max_attempts=5))
    first = decide_retry(retriers, (0, 0), "A", Random(1))
    assert first is not None and first.attempts == (1, 0)
    assert decide_retry(retriers, first.attempts, "A", Random(1)) is None
    assert decide_retry(retriers, (0, 0), "States.Runtime", Random(1)) is None


def _fork(n: int, count: int | None = None, pct: float | None = None) -> Fork:
    eng = engine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    child = ChildStart(eng.definition.machine, None, {})
    return Fork(None, "Map", (child,) * n, 0, count, pct)  # type: ignore[arg-type]


def test_join_without_tolerance_fails_with_the_childs_error() -> None:
    tracker = JoinTracker(_fork(3))
    assert tracker.succeeded(0, "a") is None
    outcome = tracker.failed(1, "Boom", "why")
    assert outcome is not None and (outcome.error, outcome.cause) == ("Boom", "why")
    assert tracker.succeeded(2, "late") is None


def test_join_tolerance_count_and_percentage() -> None:
    tracker = JoinTracker(_fork(4, count=1))
    assert tracker.failed(0, "E", None) is None
    for i in (1, 2):
        assert tracker.succeeded(i, i) is None
    done = tracker.succeeded(3, 3)
    assert done is not None and done.results == [{"Error": "E", "Cause": None}, 1, 2, 3]
    over = JoinTracker(_fork(4, pct=25))
    assert over.failed(0, "E", None) is None
    exceeded = over.failed(1, "E", None)
    assert exceeded is not None and exceeded.error == "States.ExceedToleratedFailureThreshold"


def test_task_events_carry_aws_details_for_integrations_and_lambda_arns() -> None:
    from heaviside import run_local

    definition = {"StartAt": "Invoke", "States": {
        "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Arn", "TimeoutSeconds": 5,
                   "Parameters": {"FunctionName": "echo", "Payload": {"x": 1}}, "ResultSelector": {"p.$": "$.Payload"}},
        "Arn": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "End": True}}}
    record = run_local(definition, {}, handlers={"echo": lambda event, context: event})
    events = {event["type"]: event for event in record.history()}
    scheduled = events["TaskScheduled"]["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"], scheduled["region"]) == ("lambda", "invoke", "us-east-1")
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "echo", "Payload": {"x": 1}}
    assert scheduled["timeoutInSeconds"] == 5
    assert events["TaskStarted"]["taskStartedEventDetails"] == {"resourceType": "lambda", "resource": "invoke"}
    succeeded = json.loads(events["TaskSucceeded"]["taskSucceededEventDetails"]["output"])
    assert succeeded["Payload"] == {"x": 1} and succeeded["StatusCode"] == 200
    lambda_scheduled = events["LambdaFunctionScheduled"]["lambdaFunctionScheduledEventDetails"]
    assert json.loads(lambda_scheduled["input"]) == {"p": {"x": 1}}
    assert "lambdaFunctionStartedEventDetails" not in events["LambdaFunctionStarted"] or \
        events["LambdaFunctionStarted"]["lambdaFunctionStartedEventDetails"] == {}
