"""Whole executions on the emulator over real HTTP: invoker, task Lambdas, DynamoDB joins, SQS waits.

Each execution's outcome is compared with the local runner's for the same definition, input
and handlers: the two backends share every ASL rule, so they must agree.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runner import run_local
from heaviside.runtime.execution import RUNNING, SUCCEEDED, ExecutionRecord

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
CALLS: dict[str, int] = {}
CALLS_LOCK = threading.Lock()


def add_one(event: Any, context: Any) -> Any:
    return {**event, "n": event["n"] + 1}


def echo(event: Any, context: Any) -> Any:
    return event


def boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


def flaky(event: Any, context: Any) -> Any:
    """Fails the first two calls per key, then succeeds."""
    with CALLS_LOCK:
        CALLS[event["key"]] = CALLS.get(event["key"], 0) + 1
        count = CALLS[event["key"]]
    if count <= 2:
        raise ConnectionError(f"attempt {count}")
    return {"attempts": count}


def positive(event: Any, context: Any) -> Any:
    if event < 0:
        raise ArithmeticError(f"negative: {event}")
    return event * 10


def big(event: Any, context: Any) -> Any:
    return {"blob": "x" * (230 * 1024)}


def size(event: Any, context: Any) -> Any:
    return len(json.dumps(event))


def shout(event: Any, context: Any) -> Any:
    raise ValueError("!" * 450_000)


HANDLERS = {"shout": shout, "add_one": add_one, "echo": echo, "boom": boom, "flaky": flaky, "big": big, "size": size,
            "positive": positive}


def start_and_wait(deployment: EmulatedDeployment, definition: dict[str, Any], input_: Any,
                   timeout: float = 30.0) -> ExecutionRecord:
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    response = deployment.client("lambda").invoke(
        FunctionName=deployment.runtime.config.invoker,
        Payload=json.dumps({"definition": definition, "input": input_, "name": name}))
    assert "FunctionError" not in response, response["Payload"].read()
    arn = json.loads(response["Payload"].read())["executionArn"]
    deadline = time.monotonic() + timeout
    while deployment.runtime.executions.describe(arn)["status"] == RUNNING:
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {timeout} s"
        time.sleep(0.02)
    return deployment.runtime.record(arn)


def local(definition: dict[str, Any], input_: Any) -> ExecutionRecord:
    return run_local(definition, input_, handlers=HANDLERS, skip_waits=True)


@pytest.fixture(scope="module")
def deployment(aws_env_module: None) -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment(HANDLERS, skip_waits=True, name=f"e2e-{uuid.uuid4().hex[:8]}") as running:
        yield running


@pytest.fixture(scope="module")
def aws_env_module() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        mp.setenv(key, value)
    yield
    mp.undo()


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FN + resource, **fields}


CHAIN = {"StartAt": "A", "States": {
    "A": task("add_one", Next="B"), "B": task("add_one", Next="C"), "C": task("add_one", End=True)}}
PARALLEL_CAUGHT = {"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Next": "Done", "ResultPath": "$.branches",
          "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Caught"}],
          "Branches": [{"StartAt": "Ok", "States": {"Ok": task("add_one", End=True)}},
                       {"StartAt": "Bad", "States": {"Bad": task("boom", End=True)}}]},
    "Done": {"Type": "Succeed"},
    "Caught": {"Type": "Pass", "Parameters": {"caught.$": "$.error.Error"}, "End": True}}}
MAP_IN_WINDOWS = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "MaxConcurrency": 2, "End": True,
    "ItemProcessor": {"StartAt": "Inc", "States": {"Inc": task("add_one", End=True)}}}}}
PARALLEL_IN_MAP = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "L", "States": {"L": task("add_one", End=True)}},
            {"StartAt": "R", "States": {"R": {"Type": "Pass", "End": True}}}]}}}}}}
def tolerant_map(tolerated: int) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 2, "ToleratedFailureCount": tolerated, "End": True,
        "ItemProcessor": {"StartAt": "Check", "States": {"Check": task("positive", End=True)}}}}}


WAITS = {"StartAt": "Short", "States": {
    "Short": {"Type": "Wait", "Seconds": 5, "Next": "Long"},
    "Long": {"Type": "Wait", "Seconds": 7200, "Next": "Until"},
    "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Stamp"},
    "Stamp": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime"}, "End": True}}}
RETRY = {"StartAt": "F", "States": {"F": task("flaky", End=True, Retry=[
    {"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 30, "BackoffRate": 2.0, "MaxAttempts": 3}])}}
BIG = {"StartAt": "Make", "States": {
    "Make": task("big", Next="Keep", ResultPath="$.made"),
    "Keep": {"Type": "Pass", "Next": "Measure"},
    "Measure": task("size", End=True, InputPath="$.made")}}


@pytest.mark.parametrize(("definition", "input_"), [
    (CHAIN, {"n": 0}),
    (PARALLEL_CAUGHT, {"n": 1}),
    (MAP_IN_WINDOWS, [{"n": i} for i in range(6)]),
    (PARALLEL_IN_MAP, [{"n": i} for i in range(4)]),
    (tolerant_map(2), [1, -1, 2, -2, 3]),
    (tolerant_map(1), [1, -1, 2, -2, 3]),
    ({"TimeoutSeconds": 30, **WAITS}, {"until": "2031-01-01T00:00:00Z"}),
], ids=["task-chain", "parallel-caught", "map-max-concurrency", "parallel-in-map", "map-tolerated-failures",
        "map-tolerance-exceeded", "execution-timeout"])
def test_execution_matches_the_local_runner(deployment: EmulatedDeployment, definition: dict[str, Any],
                                            input_: Any) -> None:
    record = start_and_wait(deployment, definition, input_)
    expected = local(definition, input_)
    assert (record.status, record.output, record.error) == (expected.status, expected.output, expected.error)
    assert record.state_path() == expected.state_path() or definition is not CHAIN


def test_waits_longer_than_sqs_allows_pass_on_the_virtual_clock(deployment: EmulatedDeployment) -> None:
    started = time.monotonic()
    record = start_and_wait(deployment, WAITS, {"until": "2031-01-01T00:00:00Z"})
    assert time.monotonic() - started < 10
    assert record.status == SUCCEEDED
    assert record.output == {"entered": "2031-01-01T00:00:00Z"}
    kinds = [event[0] for _, event in record.events()]
    assert kinds.count("WaitStateExited") == 3


def test_retry_backoff_goes_through_the_wait_queue(deployment: EmulatedDeployment) -> None:
    key = uuid.uuid4().hex
    record = start_and_wait(deployment, RETRY, {"key": key})
    assert record.status == SUCCEEDED and record.output == {"attempts": 3}
    failed = [moment for moment, event in record.events() if event[0] == "LambdaFunctionFailed"]
    started = [moment for moment, event in record.events() if event[0] == "LambdaFunctionStarted"]
    assert len(failed) == 2 and len(started) == 3
    # the virtual clock moved by the backoff: 30 s, then 60 s
    assert (started[1] - failed[0]).total_seconds() >= 30
    assert (started[2] - failed[1]).total_seconds() >= 60


def test_payloads_over_the_threshold_travel_through_s3(deployment: EmulatedDeployment) -> None:
    s3 = deployment.client("s3")
    bucket = deployment.runtime.config.bucket
    before = s3.list_objects_v2(Bucket=bucket, Prefix="payloads/").get("KeyCount", 0)
    record = start_and_wait(deployment, BIG, {"pad": "y" * (20 * 1024)})
    assert record.status == SUCCEEDED, record.cause
    assert record.output == len(json.dumps({"blob": "x" * (230 * 1024)}))
    after = s3.list_objects_v2(Bucket=bucket, Prefix="payloads/").get("KeyCount", 0)
    assert after > before  # the 250 KiB state (230 KiB result + 20 KiB input) went through S3


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded(deployment: EmulatedDeployment) -> None:
    record = start_and_wait(deployment, BIG, {"pad": "y" * (70 * 1024)})  # 230 KiB result + 70 KiB input
    assert (record.status, record.error) == ("FAILED", "States.DataLimitExceeded")


def test_an_execution_with_a_large_input_and_output_records_both(deployment: EmulatedDeployment) -> None:
    definition = {"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Big"},
        "Big": {"Type": "Task", "Resource": FN + "big", "End": True}}}
    big_input = {"pad": "y" * (200 * 1024)}  # with the 230 KiB output: over an item's 400 KB
    record = start_and_wait(deployment, definition, big_input)
    assert record.status == SUCCEEDED, record.cause
    assert record.input == big_input
    assert record.output == {"blob": "x" * (230 * 1024)}
    described = deployment.runtime.executions.describe(record.execution_arn)
    assert json.loads(described["output"]) == {"blob": "x" * (230 * 1024)}
    item = deployment.client("dynamodb").get_item(
        TableName=deployment.runtime.config.table,
        Key={"pk": {"S": record.execution_arn}, "sk": {"S": "execution"}})["Item"]
    assert {"inputRef", "outputRef"} <= set(item) and "output" not in item  # both in S3, the record small


def huge(event: Any, context: Any) -> Any:
    return "z" * (300 * 1024)


HANDLERS["huge"] = huge


def test_a_result_over_256_kib_fails_with_data_limit_exceeded(deployment: EmulatedDeployment) -> None:
    record = start_and_wait(deployment, {"StartAt": "Make", "States": {"Make": task("huge", End=True)}}, {})
    assert (record.status, record.error) == ("FAILED", "States.DataLimitExceeded")


def test_an_execution_input_over_256_kib_is_refused(deployment: EmulatedDeployment) -> None:
    response = deployment.client("lambda").invoke(
        FunctionName=deployment.runtime.config.invoker,
        Payload=json.dumps({"definition": CHAIN, "input": {"pad": "y" * (300 * 1024)}}))
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "InvalidExecutionInput"
    assert "262144" in error["errorMessage"]


def test_poison_messages_go_to_the_dead_letter_queue_with_a_reason(deployment: EmulatedDeployment) -> None:
    sqs = deployment.client("sqs")
    config = deployment.runtime.config
    assert config.dlq_url is not None
    sqs.send_message(QueueUrl=config.queue_url, MessageBody='{"heaviside": 1, "kind": "resume", "id": "forged"}')
    deadline = time.monotonic() + 10
    messages: list[dict[str, Any]] = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=config.dlq_url, MessageAttributeNames=["All"],
                                       WaitTimeSeconds=1).get("Messages", [])
    assert messages, "the forged envelope never reached the DLQ"
    assert "not signed" in messages[0]["MessageAttributes"]["reason"]["StringValue"]


def test_the_invoker_rejects_an_invalid_definition(deployment: EmulatedDeployment) -> None:
    response = deployment.client("lambda").invoke(
        FunctionName=deployment.runtime.config.invoker,
        Payload=json.dumps({"definition": {"StartAt": "Nope", "States": {}}, "input": {}}))
    assert response.get("FunctionError") == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "InvalidDefinition"
    assert "/States" in error["errorMessage"] and "must not be empty" in error["errorMessage"]


def test_same_name_same_input_is_the_same_execution(deployment: EmulatedDeployment) -> None:
    client = deployment.client("lambda")
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    event = {"definition": waiting, "input": {"a": 1}, "name": f"same-{uuid.uuid4().hex[:8]}"}
    # a real-clock deployment would keep it RUNNING; on the virtual clock it may already be over
    first = json.loads(client.invoke(FunctionName=deployment.runtime.config.invoker,
                                     Payload=json.dumps(event))["Payload"].read())
    second = client.invoke(FunctionName=deployment.runtime.config.invoker,
                           Payload=json.dumps({**event, "input": {"a": 2}}))
    assert second.get("FunctionError") == "Unhandled"
    assert json.loads(second["Payload"].read())["errorType"] == "ExecutionAlreadyExists"
    assert first["executionArn"].endswith(event["name"])


def test_a_failure_with_an_enormous_cause_still_ends_the_execution(deployment: EmulatedDeployment) -> None:
    record = start_and_wait(deployment, {"StartAt": "Loud", "States": {"Loud": task("shout", End=True)}}, {})
    assert (record.status, record.error) == ("FAILED", "ValueError")
    assert record.cause is not None and json.loads(record.cause)["errorMessage"] == "!" * 450_000
    described = deployment.runtime.executions.describe(record.execution_arn)
    assert len(described["cause"]) > 450_000  # kept whole, in S3 beside the record
