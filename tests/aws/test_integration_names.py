"""Step Functions' names for services and their errors, derived from botocore's models (no network)."""

from __future__ import annotations

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from heaviside.backends.aws.integrations.errors import optimized_error, pascal, sdk_error
from heaviside.backends.aws.integrations.sdk import client_name, error_prefix


def client(service: str) -> object:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def failure(code: str, message: str = "m", status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "r-1"}}, "Op")


@pytest.mark.parametrize(("name", "expected"), [("DynamoDB", "DynamoDb"), ("SFN", "Sfn"), ("S3", "S3"),
                                                ("EventBridge", "EventBridge"), ("CloudWatch Logs", "CloudWatchLogs"),
                                                ("ACM PCA", "AcmPca"), ("EC2", "Ec2"), ("DBInstanceNotFoundFault",
                                                                                      "DbInstanceNotFoundFault")])
def test_pascal_case_folds_acronyms_as_the_java_sdk_does(name: str, expected: str) -> None:
    assert pascal(name) == expected


@pytest.mark.parametrize(("service", "boto", "prefix"), [
    ("s3", "s3", "S3"), ("dynamodb", "dynamodb", "DynamoDb"), ("sfn", "stepfunctions", "Sfn"),
    ("eventbridge", "events", "EventBridge"), ("cloudwatchlogs", "logs", "CloudWatchLogs"),
    ("secretsmanager", "secretsmanager", "SecretsManager"), ("rdsdata", "rds-data", "RdsData"),
    ("sqs", "sqs", "Sqs")])
def test_aws_sdk_service_names_map_to_boto3_clients_and_error_prefixes(service: str, boto: str, prefix: str) -> None:
    assert client_name(service) == boto
    assert error_prefix(client(boto)) == prefix
    assert client_name("nosuchservice") is None


def test_optimized_errors_follow_the_java_sdk_v1_rule() -> None:
    dynamodb, sqs = client("dynamodb"), client("sqs")
    assert optimized_error("dynamodb", dynamodb, failure("ConditionalCheckFailedException"))[0] == \
        "DynamoDB.ConditionalCheckFailedException"
    error, cause = optimized_error("dynamodb", dynamodb, failure("ValidationException", "bad"))
    assert error == "DynamoDB.AmazonDynamoDBException"  # not declared by the model: the SDK's base exception
    assert cause == ("bad (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; "
                     "Request ID: r-1; Proxy: null)")
    assert optimized_error("sqs", sqs, failure("MissingParameter"))[0] == "SQS.AmazonSQSException"
    assert optimized_error("sqs", sqs, failure("AWS.SimpleQueueService.NonExistentQueue"))[0] == \
        "SQS.QueueDoesNotExistException"  # a query-protocol code, aliased to its shape


def test_aws_sdk_errors_follow_the_java_sdk_v2_rule() -> None:
    assert sdk_error("S3", client("s3"), failure("NoSuchBucket", status=404)) == (
        "S3.NoSuchBucketException", "m (Service: S3, Status Code: 404, Request ID: r-1)")
    assert sdk_error("DynamoDb", client("dynamodb"), failure("ValidationException"))[0] == "DynamoDb.DynamoDbException"
    assert sdk_error("Sfn", client("stepfunctions"), failure("InvalidToken"))[0] == "Sfn.InvalidTokenException"
