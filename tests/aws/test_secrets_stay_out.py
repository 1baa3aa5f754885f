"""What must stay secret does: payloads are not logged unless asked for, tokens and execution names
cannot be guessed, payload objects in S3 are private.

The execution below carries a marker value through a Task, a Parallel, a Map, a Wait and a
callback Task on the emulator; every log record of the run (heaviside's from DEBUG, everyone
else's from INFO) is searched for the marker and for the task token.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heaviside.callbacks import send_task_success
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runtime.execution import RUNNING
from heaviside.runtime.tokens import issue_token
from tests.aws.test_end_to_end import FN, aws_env_module

__all__ = ["aws_env_module"]
TOKENS: list[str] = []


def carry(event: Any, context: Any) -> Any:
    return {"carried": event}


def hand_out(event: Any, context: Any) -> Any:
    TOKENS.append(event["token"])
    return None


DEFINITION = {"StartAt": "Carry", "States": {
    "Carry": {"Type": "Task", "Resource": FN + "carry", "Next": "Both"},
    "Both": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both", "Branches": [
        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 5, "End": True}}},
        {"StartAt": "Again", "States": {"Again": {"Type": "Task", "Resource": FN + "carry", "End": True}}}]},
    "Each": {"Type": "Map", "ItemsPath": "$.carried.items", "ResultPath": "$.each", "Next": "Ask",
             "ItemProcessor": {"StartAt": "Item", "States": {"Item": {
                 "Type": "Task", "Resource": FN + "carry", "End": True}}}},
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
            "Parameters": {"FunctionName": "hand_out", "Payload": {"token.$": "$$.Task.Token"}}},
}}


@pytest.fixture(scope="module")
def deployment(aws_env_module: None) -> Iterator[EmulatedDeployment]:
    # every delivery doubled, so the runtime has something to log (duplicates ignored, claims in progress)
    with EmulatedDeployment({"carry": carry, "hand_out": hand_out}, skip_waits=True, duplicate_deliveries=True,
                            name=f"secret-{uuid.uuid4().hex[:8]}") as running:
        yield running


def run_with_marker(deployment: EmulatedDeployment, marker: str) -> tuple[str, str]:
    """Run the definition with ``marker`` in its input; (execution ARN, the task token it handed out)."""
    TOKENS.clear()
    deadline = time.monotonic() + 30
    described = deployment.runtime.driver.start_execution(
        DEFINITION, {"password": marker, "carried": {"items": [marker, marker]}, "items": [marker]})
    arn = str(described["executionArn"])
    while not TOKENS:
        assert time.monotonic() < deadline, "the callback task never ran"
        time.sleep(0.02)
    send_task_success(TOKENS[0], {"answer": marker})  # through the deployment's (default) runtime
    while deployment.runtime.executions.describe(arn)["status"] == RUNNING:
        assert time.monotonic() < deadline, "the execution never ended"
        time.sleep(0.02)
    assert deployment.emulator.wait_idle(10)
    return arn, TOKENS[0]


def test_no_payload_and_no_token_reaches_the_logs_by_default(deployment: EmulatedDeployment,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    marker = f"s3cr3t-{uuid.uuid4().hex}"
    # every logger at INFO, heaviside's at DEBUG (botocore's DEBUG wire log shows request bodies: the
    # SDK's own switch, off unless a developer turns it on)
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, logger="heaviside"):
        arn, token = run_with_marker(deployment, marker)
    assert deployment.runtime.record(arn).status == "SUCCEEDED"
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    text = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert marker not in text
    assert token not in text and token.rsplit(".", 1)[-1] not in text


def test_payloads_are_logged_when_the_deployment_asks_for_it(deployment: EmulatedDeployment,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    marker = f"visible-{uuid.uuid4().hex}"
    deployment.runtime.driver.log_payloads = True
    try:
        with caplog.at_level(logging.INFO, logger="heaviside.driver"):
            run_with_marker(deployment, marker)
    finally:
        deployment.runtime.driver.log_payloads = False
    assert any(marker in record.getMessage() and "input" in record.getMessage() for record in caplog.records)


def test_payload_objects_are_private(deployment: EmulatedDeployment) -> None:
    s3 = deployment.client("s3")
    key = "payloads/probe.json"
    s3.put_object(Bucket=deployment.runtime.config.bucket, Key=key, Body=b"{}")
    grants = s3.get_object_acl(Bucket=deployment.runtime.config.bucket, Key=key)["Grants"]
    assert all(grant["Grantee"].get("Type") == "CanonicalUser" for grant in grants), grants  # no AllUsers/URI


def test_tokens_and_execution_names_are_unguessable(deployment: EmulatedDeployment) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:m:e"
    secrets = [issue_token(arn).rsplit(".", 1)[-1] for _ in range(2000)]
    assert len(set(secrets)) == len(secrets)
    assert all(len(secret) >= 43 for secret in secrets)  # 32 random bytes, base64url: 256 bits
    names = [deployment.runtime.driver.start_execution({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "End": True}}}, {})["name"] for _ in range(20)]
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert len(set(names)) == len(names) and all(uuid4.match(name) for name in names)  # 122 random bits each
