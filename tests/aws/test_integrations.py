"""Service integrations made inline through boto3, on the emulator over HTTP: results shaped and
errors named as Step Functions shapes and names them, on the AWS runtime and in local runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heaviside.backends import local_lambda
from heaviside.definition.loader import load_definition
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.errors import DefinitionError
from heaviside.runner import run_local
from tests.aws.test_end_to_end import aws_env_module, start_and_wait

__all__ = ["aws_env_module"]
STATES = "arn:aws:states:::"


@pytest.fixture(scope="module")
def deployment(aws_env_module: None) -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment({}, skip_waits=True, name=f"integ-{uuid.uuid4().hex[:8]}") as running:
        running.client("dynamodb").create_table(
            TableName="orders", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        yield running


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": STATES + resource, "Parameters": parameters, **fields}


PUT_THEN_GET = {"StartAt": "Put", "States": {
    "Put": task("dynamodb:putItem", {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}, "total": {"N": "42"}}},
                ResultPath="$.put", Next="Get"),
    "Get": task("dynamodb:getItem", {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
                ResultSelector={"total.$": "$.Item.total.N", "status.$": "$.SdkHttpMetadata.HttpStatusCode"},
                ResultPath="$.got", Next="Again"),
    "Again": task("dynamodb:putItem", {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}},
                                       "ConditionExpression": "attribute_not_exists(id)"},
                  Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.again",
                          "Next": "Done"}], End=True),
    "Done": {"Type": "Pass", "End": True}}}


def check_put_then_get(output: Any, order: str) -> None:
    assert output["got"] == {"total": "42", "status": 200}
    assert set(output["put"]) == {"SdkHttpMetadata", "SdkResponseMetadata"}  # putItem returns metadata only
    assert output["again"]["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;" in \
        output["again"]["Cause"]
    assert output["id"] == order


def test_dynamodb_items_and_a_conditional_failure_caught_by_its_aws_name(deployment: EmulatedDeployment) -> None:
    order = uuid.uuid4().hex
    record = start_and_wait(deployment, PUT_THEN_GET, {"id": order})
    assert record.status == "SUCCEEDED", record.cause
    check_put_then_get(record.output, order)
    kinds = [event["type"] for event in deployment.runtime.history(record.execution_arn)]
    assert kinds.count("TaskStarted") == 3 and kinds.count("TaskSucceeded") == 2 and kinds.count("TaskFailed") == 1
    assert deployment.emulator.stats.invocations.get("dynamodb", 0) == 0  # made inline, no Lambda in between


def test_the_same_definition_runs_locally_against_the_emulator(deployment: EmulatedDeployment,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in deployment.emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(local_lambda, "_RUNNER", None)  # clients from this environment
    order = uuid.uuid4().hex
    record = run_local(PUT_THEN_GET, {"id": order})
    assert record.status == "SUCCEEDED", record.cause
    check_put_then_get(record.output, order)


def test_sqs_sns_and_eventbridge_messages(deployment: EmulatedDeployment) -> None:
    queue = deployment.client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    topic = deployment.client("sns").create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    definition = {"StartAt": "Send", "States": {
        "Send": task("sqs:sendMessage", {"QueueUrl": queue, "MessageBody": {"order.$": "$.order", "n": 1}},
                     ResultPath="$.sent", Next="Publish"),
        "Publish": task("sns:publish", {"TopicArn": topic, "Message": {"order.$": "$.order"}},
                        ResultPath="$.published", Next="Event"),
        "Event": task("events:putEvents", {"Entries": [{"Source": "shop", "DetailType": "order",
                                                         "Detail": {"order.$": "$.order"}}]},
                      ResultPath="$.event", End=True)}}
    record = start_and_wait(deployment, definition, {"order": "o-1"})
    assert record.status == "SUCCEEDED", record.cause
    output = record.output
    assert {"MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"} <= set(output["sent"])
    body = deployment.client("sqs").receive_message(QueueUrl=queue)["Messages"][0]["Body"]
    assert body == '{"order":"o-1","n":1}'  # an object body is sent as compact JSON text
    assert "MessageId" in output["published"]
    assert output["event"]["FailedEntryCount"] == 0 and "EventId" in output["event"]["Entries"][0]
    assert "SdkHttpMetadata" not in output["event"]  # EventBridge's result carries no SDK metadata


def test_aws_sdk_calls_and_errors_named_the_sdk_v2_way(deployment: EmulatedDeployment) -> None:
    bucket = f"integ-{uuid.uuid4().hex[:8]}"
    deployment.client("s3").create_bucket(Bucket=bucket)
    definition = {"StartAt": "Put", "States": {
        "Put": task("aws-sdk:s3:putObject", {"Bucket": bucket, "Key": "a.json", "Body": {"x": 1}},
                    ResultPath="$.put", Next="Get"),
        "Get": task("aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "a.json"},
                    ResultSelector={"body.$": "$.Body", "length.$": "$.ContentLength"}, ResultPath="$.got",
                    Next="Missing"),
        "Missing": task("aws-sdk:dynamodb:getItem", {"TableName": "no-such-table", "Key": {"id": {"S": "x"}}},
                        Catch=[{"ErrorEquals": ["DynamoDb.ResourceNotFoundException"], "ResultPath": "$.missing",
                                "Next": "Done"}], End=True),
        "Done": {"Type": "Pass", "End": True}}}
    record = start_and_wait(deployment, definition, {})
    assert record.status == "SUCCEEDED", record.cause
    output = record.output
    assert "ETag" in output["put"] and "ResponseMetadata" not in output["put"]
    assert output["got"] == {"body": '{"x":1}', "length": 7}
    assert output["missing"]["Error"] == "DynamoDb.ResourceNotFoundException"
    cause = output["missing"]["Cause"]
    assert cause.endswith(")") and "(Service: DynamoDb, Status Code: 400" in cause


def test_unknown_actions_and_patterns_are_refused_when_the_definition_is_loaded() -> None:
    for resource in ("dynamodb:putItem.waitForTaskToken", "dynamodb:query", "aws-sdk:s3:getObject.sync",
                     "sqs:sendMessage.sync"):
        with pytest.raises(DefinitionError) as caught:
            load_definition({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": STATES + resource,
                                                              "End": True}}})
        assert caught.value.problems[0].pointer == "/States/T/Resource"
        assert "is not recognized" in caught.value.problems[0].message
    load_definition({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": STATES + "glue:startJobRun.sync",
                                                      "End": True}}})  # Step Functions has it: not refused


def test_a_failed_eventbridge_entry_fails_the_task_and_a_service_error_is_named(
        deployment: EmulatedDeployment) -> None:
    def put(entry: dict[str, Any]) -> Any:
        return start_and_wait(deployment, {"StartAt": "Event", "States": {"Event": task(
            "events:putEvents", {"Entries": [{"Source": "shop", "DetailType": "order", **entry}]}, End=True)}}, {})

    malformed = put({"Detail": "not json"})
    assert (malformed.status, malformed.error) == ("FAILED", "EventBridge.FailedEntry")
    assert json.loads(malformed.cause or "") == {
        "FailedEntryCount": 1, "Entries": [{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}]}
    missing = put({"Detail": {"a": 1}, "EventBusName": "no-such-bus"})
    assert (missing.status, missing.error) == ("FAILED", "EventBridge.ResourceNotFoundException")
    assert "(Service: AmazonEventBridge; Status Code: 400; Error Code: ResourceNotFoundException;" in \
        (missing.cause or "")


def test_a_missing_queue_is_named_by_its_modeled_error_on_both_paths(deployment: EmulatedDeployment) -> None:
    url = f"{deployment.endpoint}/123456789012/no-such-queue"
    for resource, error in (("sqs:sendMessage", "SQS.QueueDoesNotExistException"),
                            ("aws-sdk:sqs:sendMessage", "Sqs.QueueDoesNotExistException")):
        record = start_and_wait(deployment, {"StartAt": "Send", "States": {"Send": task(
            resource, {"QueueUrl": url, "MessageBody": "x"}, End=True)}}, {})
        assert (record.status, record.error) == ("FAILED", error)
