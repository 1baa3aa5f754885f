"""The local backend end to end: real handlers, concurrency, clocks, timeouts, history."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from heaviside import run_local
from heaviside.runtime.clock import VirtualClock

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def task(name: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA + name, **extra}


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def test_pass_chain_and_history_shape() -> None:
    definition = machine({
        "A": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "B"},
        "B": {"Type": "Pass", "Result": {"done": True}, "ResultPath": "$.r", "End": True},
    })
    record = run_local(definition, {"n": 3, "other": 1})
    assert record.status == "SUCCEEDED"
    assert record.output == {"n": 3, "r": {"done": True}}
    history = record.history()
    assert [e["type"] for e in history] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert history[1]["stateEnteredEventDetails"] == {
        "name": "A", "input": '{"n":3,"other":1}', "inputDetails": {"truncated": False}}
    assert json.loads(history[-1]["executionSucceededEventDetails"]["output"]) == record.output
    assert [e["id"] for e in history] == list(range(1, 7))


def test_virtual_clock_makes_a_year_long_wait_instant_and_advances_time() -> None:
    start = datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
    clock = VirtualClock(start)
    definition = machine({
        "W": {"Type": "Wait", "Seconds": 365 * 24 * 3600, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime"}, "End": True},
    })
    began = time.monotonic()
    record = run_local(definition, {}, clock=clock)
    assert time.monotonic() - began < 2
    assert record.output == {"entered": "2027-01-01T00:00:00Z"}
    assert clock.now() == start + timedelta(days=365)


def test_retry_backoff_follows_interval_rate_and_max_delay_on_virtual_time() -> None:
    calls: list[datetime] = []
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC))

    def flaky(event: Any, context: Any) -> str:
        calls.append(clock.now())
        if len(calls) < 5:
            raise ConnectionError("try again")
        return "ok"

    definition = machine({"T": task("flaky", Retry=[{
        "ErrorEquals": ["ConnectionError"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 5,
        "MaxDelaySeconds": 10}], End=True)})
    record = run_local(definition, {}, handlers={"flaky": flaky}, clock=clock)
    assert record.output == "ok"
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(calls)]
    assert gaps == [3, 6, 10, 10]


def test_full_jitter_stays_within_the_backoff_bound() -> None:
    calls: list[datetime] = []
    clock = VirtualClock()

    def flaky(event: Any, context: Any) -> str:
        calls.append(clock.now())
        if len(calls) < 4:
            raise ConnectionError("again")
        return "ok"

    definition = machine({"T": task("flaky", Retry=[{
        "ErrorEquals": ["States.ALL"], "IntervalSeconds": 8, "MaxAttempts": 3, "JitterStrategy": "FULL"}],
        End=True)})
    run_local(definition, {}, handlers={"flaky": flaky}, clock=clock)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(calls)]
    assert len(gaps) == 3
    assert all(0 <= gap <= bound for gap, bound in zip(gaps, [8, 16, 32], strict=True))
    assert gaps != [8, 16, 32]


def test_parallel_branches_run_concurrently() -> None:
    def slow(event: Any, context: Any) -> Any:
        time.sleep(0.4)
        return event

    definition = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        machine({"A": task("slow", End=True)}), machine({"B": task("slow", End=True)}),
        machine({"C": task("slow", End=True)})]}})
    began = time.monotonic()
    record = run_local(definition, 7, handlers={"slow": slow})
    assert record.output == [7, 7, 7]
    assert time.monotonic() - began < 1.0  # three 0.4 s tasks, overlapped


@pytest.mark.parametrize("limit", [1, 2])
def test_map_max_concurrency_is_respected_and_order_kept(limit: int) -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    started: list[int] = []

    def work(event: Any, context: Any) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            started.append(event)
        time.sleep(0.02)
        with lock:
            running -= 1
        return event * 10

    definition = machine({"M": {"Type": "Map", "MaxConcurrency": limit, "End": True,
                                "ItemProcessor": machine({"W": task("work", End=True)})}})
    record = run_local(definition, list(range(8)), handlers={"work": work})
    assert record.output == [n * 10 for n in range(8)]
    assert peak == limit
    if limit == 1:
        assert started == list(range(8))


def test_failing_branch_stops_the_others() -> None:
    called: list[str] = []

    def record_call(event: Any, context: Any) -> str:
        called.append("late")
        return "late"

    definition = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        machine({"Fast": {"Type": "Fail", "Error": "Boom", "Cause": "first"}}),
        machine({"Sleep": {"Type": "Wait", "Seconds": 3600, "Next": "Late"}, "Late": task("late", End=True)}),
    ]}})
    record = run_local(definition, {}, handlers={"late": record_call}, skip_waits=True)
    assert (record.status, record.error, record.cause) == ("FAILED", "Boom", "first")
    assert called == []


def test_execution_timeout_fires_on_the_virtual_clock() -> None:
    definition = machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=10)
    record = run_local(definition, {}, skip_waits=True)
    assert (record.status, record.error) == ("TIMED_OUT", "States.Timeout")
    assert record.history()[-1]["type"] == "ExecutionTimedOut"


def test_task_timeout_is_real_time_and_late_results_are_ignored() -> None:
    def slow(event: Any, context: Any) -> str:
        time.sleep(1.5)
        return "too late"

    definition = machine({"T": task("slow", TimeoutSeconds=1, End=True)})
    began = time.monotonic()
    record = run_local(definition, {}, handlers={"slow": slow}, skip_waits=True)
    assert time.monotonic() - began < 1.4
    assert (record.status, record.error) == ("FAILED", "States.Timeout")
    assert "LambdaFunctionTimedOut" in [e["type"] for e in record.history()]


def test_missing_handler_fails_clearly() -> None:
    record = run_local(machine({"T": task("Nope", End=True)}), {}, handlers={"Other": lambda e, c: e})
    assert record.error == "Lambda.ResourceNotFoundException"
    assert record.cause is not None and "'Nope'" in record.cause and "Other" in record.cause


def test_handler_exception_is_reported_as_lambda_does() -> None:
    def broken(event: Any, context: Any) -> None:
        raise KeyError("sku")

    record = run_local(machine({"T": task("broken", End=True)}), {}, handlers={"broken": broken})
    assert record.error == "KeyError"
    assert record.cause is not None
    cause = json.loads(record.cause)
    assert cause["errorType"] == "KeyError" and cause["errorMessage"] == "'sku'"
    assert any("broken" in line for line in cause["stackTrace"])


def test_non_json_result_is_a_marshal_error() -> None:
    record = run_local(machine({"T": task("bad", End=True)}), {}, handlers={"bad": lambda e, c: {1, 2}})
    assert record.error == "Runtime.MarshalError"


def test_oversized_task_result_is_data_limit_exceeded_and_catchable_by_name() -> None:
    definition = machine({
        "T": task("big", End=True, Catch=[{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "H"}]),
        "H": {"Type": "Pass", "Result": "caught", "End": True},
    })
    record = run_local(definition, {}, handlers={"big": lambda e, c: "x" * 300_000})
    assert record.output == "caught"
    uncaught = machine({
        "T": task("big", End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H"}]),
        "H": {"Type": "Pass", "Result": "caught", "End": True},
    })
    assert run_local(uncaught, {}, handlers={"big": lambda e, c: "x" * 300_000}).error == "States.DataLimitExceeded"


def test_handler_receives_a_copy_and_lambda_context() -> None:
    seen: dict[str, Any] = {}

    def mutate(event: Any, context: Any) -> Any:
        event["changed"] = True
        seen["name"] = context.function_name
        seen["remaining"] = context.get_remaining_time_in_millis()
        return event

    definition = machine({"T": task("mutate", ResultPath="$.r", TimeoutSeconds=30, End=True)})
    record = run_local(definition, {"a": 1}, handlers={"mutate": mutate})
    assert record.output == {"a": 1, "r": {"a": 1, "changed": True}}
    assert seen["name"] == "mutate" and 0 < seen["remaining"] <= 30_000


def test_lambda_invoke_integration_shape_and_events() -> None:
    definition = machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                                "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:echo:live",
                                               "Payload.$": "$"}}})
    record = run_local(definition, {"k": 1}, handlers={"echo": lambda e, c: e})
    assert record.output["Payload"] == {"k": 1} and record.output["StatusCode"] == 200
    types = [e["type"] for e in record.history()]
    assert types[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]


def test_map_iterations_in_history_and_nested_map() -> None:
    definition = machine({"Outer": {"Type": "Map", "End": True, "ItemProcessor": machine({
        "Inner": {"Type": "Map", "End": True, "ItemProcessor": machine({"D": task("double", End=True)})}})}})
    record = run_local(definition, [[1, 2], [3]], handlers={"double": lambda e, c: e * 2})
    assert record.output == [[2, 4], [6]]
    types = [e["type"] for e in record.history()]
    assert types.count("MapIterationStarted") == 5 and types.count("MapIterationSucceeded") == 5


def test_large_map_of_pass_states_completes() -> None:
    definition = machine({"M": {"Type": "Map", "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                                "ItemProcessor": machine({"P": {"Type": "Pass", "End": True}}), "End": True}})
    record = run_local(definition, list(range(2000)))
    assert record.output[1999] == {"v": 1999, "i": 1999}


def test_every_task_invocation_is_recorded_with_its_input_attempt_and_time() -> None:
    from datetime import timedelta

    from heaviside.runtime.clock import VirtualClock

    calls = {"n": 0}

    def flaky(event: Any, context: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("once")
        return event["v"] + 1

    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky", "End": True,
        "Parameters": {"v.$": "$.v"}, "Retry": [{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 30}]}}}
    clock = VirtualClock()
    start = clock.now()
    record = run_local(definition, {"v": 1}, handlers={"flaky": flaky}, clock=clock)
    assert record.output == 2
    assert [(call.state, call.function, call.input, call.attempt) for call in record.task_calls] == [
        ("T", "flaky", {"v": 1}, 0), ("T", "flaky", {"v": 1}, 1)]
    assert record.task_calls[1].time - record.task_calls[0].time == timedelta(seconds=30)
    assert record.task_calls[0].time == start


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded_catchable_only_by_name() -> None:
    fn = "arn:aws:lambda:us-east-1:123456789012:function:big"
    handlers = {"big": lambda event, context: {"blob": "x" * (200 * 1024)}}  # the result itself is under the limit

    def machine(catch: str) -> dict[str, Any]:
        return {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": fn, "ResultPath": "$.made", "End": True,
                  "Catch": [{"ErrorEquals": [catch], "ResultPath": "$.error", "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "OutputPath": "$.error", "End": True}}}

    padded = {"pad": "y" * (100 * 1024)}  # ... but merged into the input by ResultPath, the output is over
    caught = run_local(machine("States.DataLimitExceeded"), padded, handlers=handlers)
    assert caught.output == {"Error": "States.DataLimitExceeded", "Cause": "The state/task 'T' returned a result "
                             "with a size exceeding the maximum number of bytes service limit."}
    uncaught = run_local(machine("States.ALL"), padded, handlers=handlers)
    assert (uncaught.status, uncaught.error) == ("FAILED", "States.DataLimitExceeded")
    assert run_local(machine("States.ALL"), {"pad": "small"}, handlers=handlers).status == "SUCCEEDED"
