"""The fault suite on the emulator over HTTP: throttling and 5xx answers from S3/DynamoDB/SQS,
crashes right after AWS calls, duplicated and raced deliveries — every workflow still ends as
``run_local`` says, exactly once, and nothing is left RUNNING."""

from __future__ import annotations

import dataclasses

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from benchmarks.faults import SCENARIOS, WORKFLOWS, run_emulator
from heaviside.emulator.server import Emulator
from heaviside.faults import FaultRates
from tests.aws.test_end_to_end import aws_env_module

pytestmark = pytest.mark.usefixtures("aws_env_module")
__all__ = ["aws_env_module"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_workflow_ends_as_without_faults(scenario: str) -> None:
    rates = dataclasses.replace(SCENARIOS[scenario], seed=11)
    outcome = run_emulator(scenario, rates, executions=2, timeout=90)
    assert outcome.problems == []
    assert (outcome.correct, outcome.wrong, outcome.stuck) == (2 * len(WORKFLOWS), 0, 0)
    assert outcome.ok, outcome.injected


def test_injected_service_errors_are_the_ones_aws_sends_and_the_sdk_retries_them() -> None:
    with Emulator(faults=FaultRates(throttle=0.2, server_error=0.2, seed=5)) as emulator:
        faults = emulator.faults
        assert faults is not None
        options = {"endpoint_url": emulator.endpoint, "region_name": "us-east-1",
                   "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                   "config": Config(retries={"max_attempts": 10, "mode": "legacy"})}
        dynamodb, s3 = boto3.client("dynamodb", **options), boto3.client("s3", **options)
        faults.enabled = False
        dynamodb.create_table(TableName="faults", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        s3.create_bucket(Bucket="faults-bucket")
        faults.enabled = True
        seen: dict[str, int] = {}
        dynamodb.meta.events.register("needs-retry.*.*", lambda response, **kwargs: _note(seen, response))
        s3.meta.events.register("needs-retry.*.*", lambda response, **kwargs: _note(seen, response))
        for i in range(40):  # the SDK's own retries absorb the faults
            dynamodb.put_item(TableName="faults", Item={"pk": {"S": str(i)}})
            s3.put_object(Bucket="faults-bucket", Key=str(i), Body=b"x")
        faults.enabled = False
        assert dynamodb.scan(TableName="faults")["Count"] == 40
        counts = faults.counts.as_dict()
        assert counts["throttle"] > 0 and counts["server_error"] > 0
        assert {"ThrottlingException", "SlowDown", "InternalServerError", "InternalError"} <= set(seen)


def _note(seen: dict[str, int], response: object) -> None:
    if isinstance(response, tuple) and len(response) == 2 and isinstance(response[1], dict):
        code = response[1].get("Error", {}).get("Code")
        if code:
            seen[code] = seen.get(code, 0) + 1
