"""Deployment settings: the function map (``HEAVISIDE_FUNCTIONS``) and item retention (TTL)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

import pytest

from heaviside.backends.aws.config import AwsConfig, ConfigurationError
from heaviside.backends.aws.retention import DAY_SECONDS, LONGEST_EXECUTION_DAYS
from heaviside.emulator.deployment import EmulatedDeployment
from tests.aws.test_end_to_end import start_and_wait

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
BASE = {"HEAVISIDE_BUCKET": "b", "HEAVISIDE_TABLE": "t", "HEAVISIDE_QUEUE_URL": "https://q"}


def test_the_function_map_and_retention_are_read_from_the_environment_and_written_back() -> None:
    env = {**BASE, "HEAVISIDE_FUNCTIONS": '{"charge": "prod-charge"}', "HEAVISIDE_RETENTION_DAYS": "30"}
    config = AwsConfig.from_environment(env)
    assert dict(config.functions) == {"charge": "prod-charge"} and config.retention_days == 30
    assert AwsConfig.from_environment({**BASE, **config.environment()}) == config
    defaults = AwsConfig.from_environment(BASE)
    assert dict(defaults.functions) == {} and defaults.retention_days == 90


@pytest.mark.parametrize(("name", "value", "message"), [
    ("HEAVISIDE_FUNCTIONS", "{charge", "HEAVISIDE_FUNCTIONS is not JSON"),
    ("HEAVISIDE_FUNCTIONS", '["charge"]', "HEAVISIDE_FUNCTIONS must be a JSON object"),
    ("HEAVISIDE_FUNCTIONS", '{"charge": 3}', "HEAVISIDE_FUNCTIONS must be a JSON object"),
    ("HEAVISIDE_RETENTION_DAYS", "ninety", "HEAVISIDE_RETENTION_DAYS must be a whole number"),
    ("HEAVISIDE_RETENTION_DAYS", "0", "HEAVISIDE_RETENTION_DAYS must be positive"),
    ("HEAVISIDE_THRESHOLD", "big", "HEAVISIDE_THRESHOLD must be a whole number"),
])
def test_bad_settings_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AwsConfig.from_environment({**BASE, name: value})


def double(event: Any, context: Any) -> Any:
    return event * 2


def test_definitions_name_functions_that_the_map_resolves_to_deployed_ones() -> None:
    name = f"map-{uuid.uuid4().hex[:8]}"
    definition = {"StartAt": "Double", "States": {
        "Double": {"Type": "Task", "Resource": FN + "double", "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
                  "Parameters": {"FunctionName": "double", "Payload.$": "$"}, "End": True}}}
    with EmulatedDeployment({f"{name}-double": double}, skip_waits=True, name=name,
                            functions={"double": f"{name}-double"}) as deployment:
        record = start_and_wait(deployment, definition, 3)
        assert (record.status, record.output) == ("SUCCEEDED", 12)
        assert deployment.emulator.stats.invocations[f"{name}-double"] == 2


def test_every_item_of_an_execution_expires_after_the_retention_period() -> None:
    name = f"ttl-{uuid.uuid4().hex[:8]}"
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Next": "Double", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 5, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": FN + "double", "End": True}}}]},
        "Double": {"Type": "Task", "Resource": FN + "double", "InputPath": "$[1]", "End": True}}}
    with EmulatedDeployment({"double": double}, skip_waits=True, name=name) as deployment:
        now = time.time()
        record = start_and_wait(deployment, definition, 2)
        assert (record.status, record.output) == ("SUCCEEDED", 8)
        table = deployment.runtime.config.table
        items = deployment.client("dynamodb").query(
            TableName=table, KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": record.execution_arn}})["Items"]
    kinds = {item["sk"]["S"].split("#")[0] for item in items}
    assert {"execution", "commit", "claim", "join", "joinspec", "result"} <= kinds
    running_bound = now + (LONGEST_EXECUTION_DAYS + 90) * DAY_SECONDS
    for item in items:
        expires = int(item["expiresAt"]["N"])
        if item["sk"]["S"] == "execution":
            stop = datetime.fromisoformat(item["stopDate"]["S"]).timestamp()
            assert expires == int(stop) + 90 * DAY_SECONDS
        else:
            assert running_bound - 5 <= expires <= running_bound + 60, json.dumps(item)[:200]
