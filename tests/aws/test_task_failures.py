"""Task Lambdas that never finish: killed by their timeout, or failing outside the handler.

Lambda retries the asynchronous invocation, then sends a record to the on-failure destination
(the task-failure function), which fails the Task: its Retry/Catch apply and no execution is
left RUNNING. On the emulator, a timed-out invocation is stopped like a Lambda sandbox.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.functions.task_failures import handle, task_error
from tests.aws.test_end_to_end import start_and_wait

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
TIMEOUT = 0.3
RUNS: Counter[str] = Counter()
LOCK = threading.Lock()


def slow_first(event: Any, context: Any) -> Any:
    """Runs past the function timeout on the Task's first attempt, answers at once on a retry."""
    with LOCK:
        RUNS[event["key"]] += 1
    if event["retry"] == 0:
        for _ in range(40):
            time.sleep(0.05)
        with LOCK:
            RUNS[event["key"] + ":finished-late"] += 1  # a stopped sandbox never gets here
    return {"attempt": event["retry"]}


def always_slow(event: Any, context: Any) -> Any:
    for _ in range(40):
        time.sleep(0.05)
    return {"never": True}


@pytest.fixture(scope="module")
def deployment() -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment({"slow_first": slow_first, "always_slow": always_slow}, skip_waits=True,
                            name=f"fail-{uuid.uuid4().hex[:8]}", task_timeout=TIMEOUT) as running:
        yield running


def slow_task(resource: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FN + resource,
            "Parameters": {"key": key, "retry.$": "$$.State.RetryCount"}, **fields}


def test_a_task_killed_by_its_timeout_is_retried_by_the_states_retry(deployment: EmulatedDeployment) -> None:
    key = uuid.uuid4().hex
    definition = {"StartAt": "Slow", "States": {"Slow": slow_task(
        "slow_first", key, Retry=[{"ErrorEquals": ["Sandbox.Timedout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
        End=True)}}
    record = start_and_wait(deployment, definition, {})
    assert record.status == "SUCCEEDED", record
    assert record.output == {"attempt": 1}
    # Lambda's first try and its 2 retries, all stopped; then the State's retry. Counted per invocation:
    # on a loaded machine a stopped attempt may not have reached the handler's first line.
    assert deployment.emulator.stats.invocations["slow_first"] == 4
    assert 1 <= RUNS[key] <= 4
    time.sleep(2.2)  # past the stopped attempts' natural end
    assert RUNS[key + ":finished-late"] == 0
    failed = [event for event in deployment.runtime.history(record.execution_arn) if event["type"] == "TaskFailed"
              or event["type"] == "LambdaFunctionFailed"]
    assert len(failed) == 1
    details = next(value for name, value in failed[0].items() if name.endswith("EventDetails"))
    assert details["error"] == "Sandbox.Timedout"
    assert "Task timed out after 0.30 seconds" in json.loads(details["cause"])["errorMessage"]


def test_a_task_killed_by_its_timeout_is_caught(deployment: EmulatedDeployment) -> None:
    definition = {"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": FN + "always_slow", "End": True,
                 "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}}}
    record = start_and_wait(deployment, definition, {"order": 7})
    assert record.status == "SUCCEEDED"
    assert record.output["order"] == 7 and record.output["error"]["Error"] == "Sandbox.Timedout"


def test_without_retry_or_catch_the_execution_fails_instead_of_staying_running(
        deployment: EmulatedDeployment) -> None:
    definition = {"StartAt": "Branches", "States": {"Branches": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": FN + "always_slow", "End": True}}},
        {"StartAt": "Fast", "States": {"Fast": {"Type": "Pass", "End": True}}}]}}}
    record = start_and_wait(deployment, definition, {})
    assert (record.status, record.error) == ("FAILED", "Sandbox.Timedout")


def record_of(payload: Any, response: Any, *, condition: str = "RetriesExhausted") -> dict[str, Any]:
    return {"version": "1.0", "requestContext": {"requestId": "r-1", "condition": condition,
                                                  "approximateInvokeCount": 3},
            "requestPayload": payload, "responsePayload": response}


def test_error_names_follow_what_lambda_reported() -> None:
    timed_out = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}
    assert task_error(record_of({}, timed_out)) == ("Sandbox.Timedout", json.dumps(timed_out))
    error, cause = task_error(record_of({}, {"errorMessage": "Process exited before completing request"}))
    assert error == "Lambda.Unknown"
    assert cause.startswith("The cause could not be determined because Lambda did not return an error type.")
    assert "Process exited" in cause
    assert task_error(record_of({}, None, condition="EventAgeExceeded"))[0] == "Lambda.TooManyRequestsException"


def test_records_that_are_not_task_failures_change_nothing(deployment: EmulatedDeployment) -> None:
    runtime = deployment.runtime
    assert handle(record_of({"plain": "event"}, {"errorType": "X"}), None, runtime)["heaviside"] == "ignored"
    envelope = {"heaviside": 1, "kind": "task", "id": "x/1/-"}
    in_progress = handle(record_of(envelope, {"errorType": "TaskInProgress", "errorMessage": "busy"}), None, runtime)
    assert in_progress["heaviside"] == "ignored"
    rejected = handle(record_of(envelope, {"errorType": "Sandbox.Timedout"}), None, runtime)
    assert rejected["heaviside"] == "rejected"
