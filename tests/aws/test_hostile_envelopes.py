"""Forged envelopes on the emulator over HTTP: refused by the function that gets them, dead-lettered with
the reason, never run; and Tasks naming a function outside the deployment's allowed set.

The deployment signs envelopes with a key from (the emulator's) Secrets Manager, as the SAM stack does.
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
from heaviside.runtime.envelope_trust import SignedDispatcher
from heaviside.runtime.function_policy import NOT_ALLOWED_ERROR
from tests.aws.test_end_to_end import FN, aws_env_module, start_and_wait

__all__ = ["aws_env_module"]
CALLS: list[Any] = []
LOCK = threading.Lock()


def hold(event: Any, context: Any) -> Any:
    """Parks its envelope for the test to copy, then answers."""
    with LOCK:
        CALLS.append(event)
    return {"held": event}


@pytest.fixture(scope="module")
def deployment(aws_env_module: None) -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment({"hold": hold}, skip_waits=True, name=f"forge-{uuid.uuid4().hex[:8]}",
                            allowed_functions=("hold",)) as running:
        yield running


def dead_letters(deployment: EmulatedDeployment, wanted: int, timeout: float = 10) -> list[dict[str, Any]]:
    sqs, url = deployment.client("sqs"), deployment.runtime.config.dlq_url
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < wanted and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def a_signed_envelope(deployment: EmulatedDeployment) -> dict[str, Any]:
    """A genuine task envelope, as the invoker sent it to the function (captured from the Lambda API)."""
    sent: list[dict[str, Any]] = []
    dispatcher = deployment.runtime.driver.dispatcher
    assert isinstance(dispatcher, SignedDispatcher)
    original = dispatcher.inner.invoke  # the signing dispatcher wraps the Lambda/SQS one

    def capture(function: str, event: dict[str, Any]) -> None:
        sent.append(json.loads(json.dumps(event)))
        original(function, event)

    dispatcher.inner.invoke = capture  # type: ignore[method-assign]
    try:
        record = start_and_wait(deployment, {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FN + "hold", "End": True}}}, {"amount": 10})
    finally:
        dispatcher.inner.invoke = original  # type: ignore[method-assign]
    assert record.status == "SUCCEEDED"
    assert sent and sent[0]["sig"].startswith("hmac-sha256:")
    return sent[0]


def test_a_tampered_envelope_sent_to_a_task_function_is_dead_lettered_and_never_run(
        deployment: EmulatedDeployment) -> None:
    genuine = a_signed_envelope(deployment)
    tampered = json.loads(json.dumps(genuine))
    tampered["task"]["payload"] = {"amount": 10_000}
    unsigned = {key: value for key, value in genuine.items() if key != "sig"}
    wrong_version = {**genuine, "heaviside": 99}
    with LOCK:
        CALLS.clear()
    client = deployment.client("lambda")
    for event in (tampered, unsigned, wrong_version):
        response = client.invoke(FunctionName="hold", InvocationType="Event", Payload=json.dumps(event))
        assert response["StatusCode"] == 202
    letters = dead_letters(deployment, 3)
    reasons = sorted(message["MessageAttributes"]["reason"]["StringValue"] for message in letters)
    assert len(reasons) == 3, reasons
    # the version is signed too: changing it breaks the signature before the version is read
    assert sum("signature that does not match" in reason for reason in reasons) == 2
    assert sum("is not signed" in reason for reason in reasons) == 1
    assert {json.loads(message["Body"])["task"]["payload"]["amount"] for message in letters} == {10, 10_000}
    assert deployment.emulator.wait_idle(10)
    with LOCK:
        assert CALLS == []  # the handler never saw any of them
    assert deployment.emulator.stats.async_retries == 0  # refused once, not retried


def test_a_task_naming_a_function_outside_the_allowed_set_fails_without_calling_it(
        deployment: EmulatedDeployment) -> None:
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "forge-task-failures", "Payload": {}},
        "Catch": [{"ErrorEquals": [NOT_ALLOWED_ERROR], "Next": "Refused"}]},
        "Refused": {"Type": "Pass", "End": True}}}
    record = start_and_wait(deployment, definition, {})
    assert record.status == "SUCCEEDED"
    assert record.output["Error"] == NOT_ALLOWED_ERROR
    assert "forge-task-failures" in record.output["Cause"]
    assert deployment.emulator.stats.invocations.get("forge-task-failures", 0) == 0
