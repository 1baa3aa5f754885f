"""Which ``arn:aws:states:::`` resources heaviside parses as integrations, and which Step Functions refuses."""

from __future__ import annotations

import pytest

from heaviside.definition.integrations import Integration, integration_problem, parse_integration

STATES = "arn:aws:states:::"


@pytest.mark.parametrize(("resource", "parsed"), [
    ("dynamodb:putItem", Integration("dynamodb", "putItem", "")),
    ("sqs:sendMessage.waitForTaskToken", Integration("sqs", "sendMessage", ".waitForTaskToken")),
    ("states:startExecution.sync:2", Integration("states", "startExecution", ".sync:2")),
    ("states:startExecution.sync", Integration("states", "startExecution", ".sync")),
    ("aws-sdk:s3:getObject", Integration("aws-sdk:s3", "getObject", "")),
    ("aws-sdk:sfn:sendTaskSuccess.waitForTaskToken",
     Integration("aws-sdk:sfn", "sendTaskSuccess", ".waitForTaskToken")),
    ("glue:startJobRun.sync", None),  # a real integration heaviside does not run itself
    ("dynamodb:query", None),
])
def test_parse(resource: str, parsed: Integration | None) -> None:
    assert parse_integration(STATES + resource) == parsed
    assert parse_integration("arn:aws:lambda:us-east-1:123456789012:function:f") is None


def test_sdk_service_name() -> None:
    integration = parse_integration(STATES + "aws-sdk:dynamodb:getItem")
    assert integration is not None and integration.sdk and integration.sdk_service == "dynamodb"
    optimized = parse_integration(STATES + "dynamodb:getItem")
    assert optimized is not None and not optimized.sdk and optimized.sdk_service == ""


@pytest.mark.parametrize(("resource", "refused"), [
    ("dynamodb:putItem", False), ("dynamodb:putItem.waitForTaskToken", True), ("dynamodb:query", True),
    ("sqs:sendMessage.waitForTaskToken", False), ("sqs:sendMessage.sync", True), ("sns:publish", False),
    ("events:putEvents.sync:2", True), ("lambda:invoke.waitForTaskToken", False), ("lambda:invokeAsync", True),
    ("states:startExecution.sync:2", False), ("states:startExecution.sync:3", True),
    ("aws-sdk:s3:getObject", False), ("aws-sdk:s3:getObject.waitForTaskToken", False),
    ("aws-sdk:s3:getObject.sync", True), ("aws-sdk:s3:GetObject", True),  # the action is camelCase
    ("glue:startJobRun.sync", False), ("ecs:runTask.waitForTaskToken", False),
])
def test_what_step_functions_refuses(resource: str, refused: bool) -> None:
    problem = integration_problem(STATES + resource)
    assert (problem is not None) == refused
    if problem is not None:
        assert problem.startswith(f"The resource provided {STATES + resource} is not recognized.")
    assert integration_problem("arn:aws:lambda:us-east-1:1:function:f") is None
