"""The cost estimate of a local run (``heaviside.testing.cost``) against the calls heaviside really makes.

Each workflow runs once on the emulator (counted as ``benchmarks/aws_cost.py`` counts: every call of
the runtime's boto3 clients, a warm execution after a cold one) and once locally; the estimate from
the local history must name the same calls, operation for operation. Write capacity is compared
with what DynamoDB bills for the items the execution left in the table (sizes by DynamoDB's rules),
within 15%: the estimate sizes commits from the local history, not from the stored bytes.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks import aws_cost
from heaviside import run_local
from heaviside.backends.aws.executions import DynamoExecutionStore
from heaviside.backends.aws.payloads import S3PayloadStore
from heaviside.backends.local_callbacks import NoAnswer, Success
from heaviside.cli import main
from heaviside.definition.loader import load_definition
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runtime.execution import RUNNING
from heaviside.testing.cost import PRICES, CostEstimate, estimate_cost, render_cost

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
ATTEMPTS: Counter[str] = Counter()


def flaky(event: Any, context: Any) -> Any:
    ATTEMPTS[event["key"]] += 1
    if ATTEMPTS[event["key"]] == 1:
        raise RuntimeError("first attempt")
    return {"ok": True}


def declined(event: Any, context: Any) -> Any:
    raise ValueError("declined")


HANDLERS = {"work": aws_cost.work, "flaky": flaky, "declined": declined}


def task(resource: str, following: str | None = None, **fields: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": FN + resource, **fields}
    return {**state, "Next": following} if following else {**state, "End": True}


def lane_work(label: str) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {"Work": task("work", Parameters={"step": label, "data.$": "$"})}}


def inline(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}


WORKFLOWS: dict[str, dict[str, Any]] = {
    # 5 Tasks, a Parallel of 3, a 60 s Wait: the README's table
    "reference": aws_cost.reference(),
    # a retry (a backoff message and a resume), a caught error
    "retry and catch": {"StartAt": "Flaky", "States": {
        "Flaky": task("flaky", "Decline", Parameters={"key.$": "$.key"}, ResultPath="$.f",
                      Retry=[{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 2}]),
        "Decline": task("declined", "Done", ResultPath="$.d",
                        Catch=[{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Done"}]),
        "Done": {"Type": "Succeed"}}},
    # Map lanes (MaxConcurrency 1: each later child read back the spec), an inline Map, an empty Map,
    # a Parallel whose Wait branch and Pass branch end in different Lambdas
    "maps and a parallel": {"StartAt": "Lanes", "States": {
        "Lanes": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ResultPath": "$.lanes",
                  "Next": "Inline", "ItemProcessor": lane_work("lane")},
        "Inline": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.inline", "Next": "Empty",
                   "ItemProcessor": inline("P")},
        "Empty": {"Type": "Map", "ItemsPath": "$.none", "ResultPath": "$.empty", "Next": "Both",
                  "ItemProcessor": inline("Q")},
        "Both": {"Type": "Parallel", "ResultPath": "$.both", "End": True, "Branches": [
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 5, "End": True}}}, inline("X")]}}},
    # a 210 KB input: through S3 in each envelope, commit bodies over 300 KiB in S3 too
    "large payloads": {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Work"},
        "Work": task("work", Parameters={"step": "big", "data.$": "$.big"}, ResultPath="$.r", OutputPath="$.r")}},
}
INPUT: dict[str, Any] = {"items": [1, 2, 3], "none": []}
LARGE: dict[str, Any] = {"big": "x" * 210_000}


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[EmulatedDeployment, aws_cost.CallCounter]]:
    counter = aws_cost.CallCounter()
    with EmulatedDeployment(HANDLERS, skip_waits=True, name=f"cost-{uuid.uuid4().hex[:6]}") as started:
        for client in started.clients.values():
            counter.attach(client)
        yield started, counter


def execute(deployment: EmulatedDeployment, definition: dict[str, Any], input_: Any) -> str:
    name = f"cost-{uuid.uuid4().hex[:12]}"
    deployment.client("lambda").invoke(FunctionName=deployment.runtime.config.invoker,
                                       Payload=json.dumps({"definition": definition, "input": input_, "name": name}))
    arn = f"arn:aws:states:us-east-1:123456789012:execution:heaviside:{name}"
    config = deployment.runtime.config
    records = DynamoExecutionStore(config.table, client=deployment.client("dynamodb"),
                                   payloads=S3PayloadStore(config.bucket, client=deployment.client("s3")))
    deadline = time.monotonic() + 60
    while records.describe(arn)["status"] == RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    assert records.describe(arn)["status"] == "SUCCEEDED"
    deployment.emulator.wait_idle(30)
    return arn


def billed_write_units(deployment: EmulatedDeployment, arn: str) -> int:
    """What DynamoDB bills for the writes of the execution, from the items it left: each item once
    (PutItem), again per UpdateItem on it (billed on the whole item): sent commits, each count and
    the end of a join, the record's finish."""
    items = deployment.client("dynamodb").query(
        TableName=deployment.runtime.config.table, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": arn}}, ConsistentRead=True)["Items"]
    total = 0
    for item in items:
        units = math.ceil(sum(len(name) + _attribute_size(value) for name, value in item.items()) / 1024)
        kind = item["sk"]["S"].split("#")[0]
        writes = {"commit": 1 + item.get("sent", {}).get("BOOL", False), "execution": 2,
                  "join": 2 + len(item.get("counted", {}).get("NS", []))}.get(kind, 1)
        total += units * writes
    return total


def _attribute_size(value: dict[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return (len(data.strip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind == "NS":
        return sum((len(number) + 1) // 2 + 1 for number in data)
    return 1  # BOOL, NULL


@pytest.mark.parametrize("label", list(WORKFLOWS))
def test_the_estimate_names_the_calls_the_runtime_makes(
        deployment: tuple[EmulatedDeployment, aws_cost.CallCounter], label: str) -> None:
    emulator, counter = deployment
    definition, given = WORKFLOWS[label], LARGE if label == "large payloads" else INPUT
    execute(emulator, definition, {**given, "key": uuid.uuid4().hex})  # cold: the definition is stored
    calls_before, units_before = counter.snapshot()
    arn = execute(emulator, definition, {**given, "key": uuid.uuid4().hex})
    calls_after, units_after = counter.snapshot()
    counted = {key: value for key, value in (calls_after - calls_before).items() if value}

    compiled = load_definition(definition)
    record = run_local(compiled, {**given, "key": uuid.uuid4().hex}, handlers=HANDLERS, skip_waits=True)
    estimate = estimate_cost(record, compiled)

    assert estimate.calls == counted
    if given is INPUT:  # every item under 4 KB: one read unit a key (the 210 KB record costs 52 a read)
        assert estimate.read_units == (units_after - units_before)["rru"]
    billed = billed_write_units(emulator, arn)
    assert abs(estimate.write_units - billed) <= 0.15 * billed, (estimate.write_units, billed)


def test_the_reference_workflow_as_the_readme_prices_it() -> None:
    compiled = load_definition(aws_cost.reference())
    estimate = estimate_cost(run_local(compiled, {}, handlers=HANDLERS, skip_waits=True), compiled)
    assert estimate.transitions == 15 and estimate.standard * 1e6 == pytest.approx(375)
    assert estimate.express is not None and estimate.express * 1e6 == pytest.approx(63.51, abs=0.01)
    assert estimate.heaviside["SQS"] * 1e6 == pytest.approx(1.20) and estimate.lambda_requests == 2
    assert 25 < estimate.heaviside_total * 1e6 < 40
    assert PRICES["dynamodb_per_wru"] * 1e6 == pytest.approx(0.625)  # on-demand write request units, us-east-1


# ---------------------------------------------------------------------- what the emulator cannot show


def estimate(definition: dict[str, Any], input_: Any = None, **options: Any) -> CostEstimate:
    compiled = load_definition(definition)
    return estimate_cost(run_local(compiled, input_ or {}, skip_waits=True, **options), compiled)


def test_long_waits_and_the_execution_timer_take_a_message_per_900_seconds() -> None:
    result = estimate({"StartAt": "Nap", "TimeoutSeconds": 86_400, "States": {
        "Nap": {"Type": "Wait", "Seconds": 7200, "End": True}}})
    # the Wait: 8 messages (the resumer sends it back 7 times); the timer: 8 deliveries, each reading the record
    assert result.calls["sqs.SendMessage"] == 16 and result.calls["dynamodb.GetItem"] == 8
    assert result.lambda_requests == 1 + 16 and result.sqs_requests == 48
    assert result.express is None and "Express runs at most 300 s" in render_cost(result)


def test_payloads_over_the_threshold_travel_through_s3() -> None:
    result = estimate({"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1800, "OutputPath": "$.small",
                                                            "End": True}}}, {"big": "x" * 210_000, "small": 1})
    # the execution input (in the record and in the resume envelope) and the start's commit body
    # (ExecutionStarted and the Wait's entry: 420 KB) go to S3; each of the resumer's two deliveries reads
    # the envelope's input back
    assert (result.calls["s3.PutObject"], result.calls["s3.GetObject"]) == (3, 2)
    assert result.read_units == 1 + 1  # the resume's precheck: its commit (absent) and the record (input in S3)


def test_callbacks_pay_a_timer_until_answered_or_timed_out() -> None:
    ask = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
           "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}}}
    definition = {"StartAt": "Ask", "States": {
        "Ask": {**ask, "ResultPath": "$.answer", "Next": "Escalate"},
        "Escalate": {**ask, "TimeoutSeconds": 600, "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Done"}],
                     "End": True},
        "Done": {"Type": "Succeed"}}}
    result = estimate(definition, handlers={"notify": lambda event, context: None},
                      callbacks={"Ask": Success({"ok": 1}, after=timedelta(hours=1)), "Escalate": NoAnswer()})
    # answered after 1 h: timer deliveries at 15, 30, 45, 60 min and the one finding it answered; timed out: one
    assert result.calls["sqs.SendMessage"] == 5 + 1
    assert result.lambda_requests == 1 + 6 + 1  # invoker, resumer per message, the callback function once
    assert result.calls["dynamodb.GetItem"] == (1 + 5 + 2) + (1 + 1 + 1)


def test_retries_are_transitions_on_step_functions() -> None:
    ATTEMPTS.clear()
    result = estimate(WORKFLOWS["retry and catch"], {"key": "k"}, handlers=HANDLERS)
    assert result.transitions == 3 + 1  # Flaky, Decline, Done entered; Flaky retried once


def test_run_cost_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(aws_cost.reference(extra_pass=3)))
    handlers = tmp_path / "handlers.py"
    handlers.write_text("def work(event, context):\n    return {'done': event['step']}\n")
    assert main(["run", str(path), "--handlers", str(handlers), "--skip-waits", "--cost"]) == 0
    table = capsys.readouterr().err
    assert "6 / 22 / 12 / 1 / 1" in table and "Step Functions Standard (18 transitions)" in table
