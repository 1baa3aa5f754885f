"""The emulator over real HTTP: moto's services and Lambda Invoke on one endpoint, queue delivery."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from heaviside.emulator import Emulator, parse_function_name
from heaviside.emulator.queue_delivery import failed_message_ids

REGION = "us-east-1"
ACCOUNT = "123456789012"

MakeEmulator = Callable[..., Emulator]


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    started: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        emulator = Emulator(**options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> Emulator:
    return make_emulator()


def client(emulator: Emulator, service: str) -> Any:
    return boto3.session.Session().client(service, endpoint_url=emulator.endpoint, region_name=REGION)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def read_payload(response: dict[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


# ---------------------------------------------------------------- moto services on the one endpoint


def test_s3_dynamodb_and_sqs_work_through_the_single_endpoint(emulator: Emulator) -> None:
    s3 = client(emulator, "s3")
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.json", Body=b'{"x": 1}')
    assert s3.get_object(Bucket=bucket, Key="a/b.json")["Body"].read() == b'{"x": 1}'

    dynamodb = client(emulator, "dynamodb")
    table = unique("table")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}, "v": {"N": "7"}})
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]["v"] == {"N": "7"}

    sqs = client(emulator, "sqs")
    url = sqs.create_queue(QueueName=unique("queue"))["QueueUrl"]
    assert url.startswith(emulator.endpoint)
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [message["Body"] for message in messages] == ["hello"]


def test_environment_points_default_clients_at_the_emulator(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = emulator.environment()
    assert environment == {
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    emulator.register_function("ping", lambda event, context: "pong")
    assert read_payload(boto3.session.Session().client("lambda").invoke(FunctionName="ping")) == "pong"


# ---------------------------------------------------------------- Lambda Invoke


def test_sync_invoke_returns_the_handler_result_with_a_lambda_context(emulator: Emulator) -> None:
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> Any:
        seen.update(
            function_name=context.function_name,
            function_version=context.function_version,
            arn=context.invoked_function_arn,
            memory=context.memory_limit_in_mb,
            request_id=context.aws_request_id,
            log_group=context.log_group_name,
            log_stream=context.log_stream_name,
            remaining=context.get_remaining_time_in_millis(),
        )
        return {"doubled": event["n"] * 2, "event": event}

    emulator.register_function("double", handler)
    response = client(emulator, "lambda").invoke(FunctionName="double", Payload=json.dumps({"n": 21}))
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert read_payload(response) == {"doubled": 42, "event": {"n": 21}}
    assert seen["function_name"] == "double"
    assert seen["function_version"] == "$LATEST"
    assert seen["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:double"
    assert seen["memory"] == 128
    assert seen["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert seen["log_group"] == "/aws/lambda/double"
    assert "[$LATEST]" in seen["log_stream"]
    assert 890_000 < seen["remaining"] <= 900_000
    assert emulator.stats.invocations["double"] == 1


def test_sync_invoke_of_a_raising_handler_reports_an_unhandled_function_error(emulator: Emulator) -> None:
    def broken(event: Any, context: Any) -> Any:
        raise ValueError("card declined")

    emulator.register_function("broken", broken)
    response = client(emulator, "lambda").invoke(FunctionName="broken", Payload=b"{}")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    document = read_payload(response)
    assert document["errorType"] == "ValueError"
    assert document["errorMessage"] == "card declined"
    assert document["stackTrace"] and all(isinstance(line, str) for line in document["stackTrace"])
    assert any("broken" in line for line in document["stackTrace"])

    emulator.register_function("unserialisable", lambda event, context: {1, 2})
    response = client(emulator, "lambda").invoke(FunctionName="unserialisable")
    assert response["FunctionError"] == "Unhandled"
    assert read_payload(response)["errorType"] == "Runtime.MarshalError"
    assert emulator.stats.handler_errors == 2


def test_unknown_function_raises_resource_not_found(emulator: Emulator) -> None:
    lambda_client = client(emulator, "lambda")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.invoke(FunctionName="nobody", Payload=b"{}")
    message = raised.value.response["Error"]["Message"]
    assert message == f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:nobody"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_dry_run_and_invalid_json(emulator: Emulator) -> None:
    calls: list[Any] = []
    emulator.register_function("f", lambda event, context: calls.append(event))
    lambda_client = client(emulator, "lambda")
    assert lambda_client.invoke(FunctionName="f", InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName="f", Payload=b"{not json")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert calls == []


def test_function_names_may_be_arns_partial_arns_qualified_or_url_encoded(emulator: Emulator) -> None:
    emulator.register_function("echo", lambda event, context: [event, context.invoked_function_arn])
    lambda_client = client(emulator, "lambda")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo"
    for name, expected_arn in [
        (arn, arn),
        (f"{arn}:live", f"{arn}:live"),
        (f"{ACCOUNT}:function:echo", arn),
        ("echo:$LATEST", f"{arn}:$LATEST"),
    ]:
        assert read_payload(lambda_client.invoke(FunctionName=name, Payload=b"1")) == [1, expected_arn]
    assert read_payload(lambda_client.invoke(FunctionName="echo", Qualifier="blue")) == [{}, f"{arn}:blue"]

    encoded = urllib.parse.quote(arn, safe="")
    assert "%3A" in encoded
    request = urllib.request.Request(
        f"{emulator.endpoint}/2015-03-31/functions/{encoded}/invocations", data=b'{"k": "v"}', method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Amz-Executed-Version"] == "$LATEST"
        assert json.loads(response.read()) == [{"k": "v"}, arn]


def test_parse_function_name() -> None:
    assert parse_function_name("f") == ("f", None)
    assert parse_function_name("f:prod") == ("f", "prod")
    assert parse_function_name("arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Af") == ("f", None)
    assert parse_function_name("arn:aws:lambda:eu-west-1:1:function:f:7") == ("f", "7")
    assert parse_function_name("1:function:f:7") == ("f", "7")


def test_async_invoke_answers_202_and_runs_the_handler_on_a_worker(emulator: Emulator) -> None:
    ran = threading.Event()
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> None:
        seen.update(event=event, thread=threading.current_thread().name, request_id=context.aws_request_id)
        ran.set()

    emulator.register_function("background", handler)
    response = client(emulator, "lambda").invoke(FunctionName="background", InvocationType="Event", Payload=b'{"a":1}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert ran.wait(5)
    assert seen["event"] == {"a": 1}
    assert seen["thread"].startswith("emulator-lambda")
    assert seen["request_id"] == response["ResponseMetadata"]["RequestId"]


def test_async_invoke_retries_a_failing_handler_until_it_succeeds(emulator: Emulator) -> None:
    calls: list[str] = []

    def flaky(event: Any, context: Any) -> str:
        calls.append(context.aws_request_id)
        if len(calls) < 3:
            raise RuntimeError("not yet")
        return "ok"

    emulator.register_function("flaky", flaky)
    client(emulator, "lambda").invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")
    assert emulator.wait_idle(10)
    assert len(calls) == 3
    assert len(set(calls)) == 1  # retries keep the request id
    assert emulator.stats.async_retries == 2
    assert emulator.stats.invocations["flaky"] == 3


def test_async_invoke_gives_up_after_the_configured_retries(
    make_emulator: MakeEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = make_emulator(async_retries=1, retry_delay_seconds=0.2)
    calls: list[float] = []

    def hopeless(event: Any, context: Any) -> None:
        calls.append(time.monotonic())
        raise RuntimeError("never")

    emulator.register_function("hopeless", hopeless)
    with caplog.at_level(logging.ERROR, logger="heaviside.emulator"):
        client(emulator, "lambda").invoke(FunctionName="hopeless", InvocationType="Event", Payload=b"{}")
        assert emulator.wait_idle(10)
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.19
    assert emulator.stats.handler_errors == 2
    assert any("retries exhausted" in record.getMessage() for record in caplog.records)


# ---------------------------------------------------------------- queue delivery


def make_queue(sqs: Any, **attributes: str) -> str:
    url: str = sqs.create_queue(QueueName=unique("queue"), Attributes=attributes)["QueueUrl"]
    return url


def test_duplicate_deliveries_double_async_events_and_sqs_batches(make_emulator: MakeEmulator) -> None:
    emulator = make_emulator(duplicate_deliveries=True)
    request_ids: list[str] = []
    emulator.register_function("twice", lambda event, context: request_ids.append(context.aws_request_id))
    client(emulator, "lambda").invoke(FunctionName="twice", InvocationType="Event", Payload=b"{}")

    sqs = client(emulator, "sqs")
    url = make_queue(sqs)
    batches: list[list[str]] = []
    emulator.subscribe_queue(url, lambda event, context: batches.append([r["body"] for r in event["Records"]]))
    sqs.send_message(QueueUrl=url, MessageBody="m")

    assert emulator.wait_idle(10)
    assert len(request_ids) == 2 and request_ids[0] != request_ids[1]  # two deliveries, two request ids
    assert batches == [["m"], ["m"]]
    assert emulator.stats.invocations["twice"] == 2
    assert emulator.stats.sqs_deliveries == 2
    assert emulator.stats.duplicate_deliveries == 2
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_partial_batch_failures_are_redelivered_after_the_visibility_timeout_then_redriven(
    emulator: Emulator,
) -> None:
    sqs = client(emulator, "sqs")
    dlq_url = make_queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    url = make_queue(sqs, VisibilityTimeout="1", RedrivePolicy=redrive)
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deliveries: list[tuple[str, float, dict[str, Any]]] = []

    def consumer(event: Any, context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            deliveries.append((record["body"], time.monotonic(), record))
            if record["body"] == "bad":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    emulator.subscribe_queue(url, consumer)
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    sqs.send_message(QueueUrl=url, MessageBody="good", MessageAttributes=attributes)
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    assert emulator.wait_idle(15)

    assert Counter(body for body, _, _ in deliveries) == {"good": 1, "bad": 2}
    bad = [(at, record) for body, at, record in deliveries if body == "bad"]
    assert bad[1][0] - bad[0][0] >= 0.9  # left to the visibility timeout, not released at once
    assert [record["attributes"]["ApproximateReceiveCount"] for _, record in bad] == ["1", "2"]
    good = next(record for body, _, record in deliveries if body == "good")
    assert good["eventSource"] == "aws:sqs"
    assert good["eventSourceARN"] == queue_arn
    assert good["awsRegion"] == REGION
    assert good["messageAttributes"] == {
        "k": {"stringValue": "v", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert {"messageId", "receiptHandle", "md5OfBody", "attributes"} <= good.keys()
    redriven = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
    assert [message["Body"] for message in redriven] == ["bad"]


def test_a_raising_consumer_deletes_nothing(emulator: Emulator) -> None:
    sqs = client(emulator, "sqs")
    url = make_queue(sqs, VisibilityTimeout="1")
    bodies: list[list[str]] = []

    def consumer(event: Any, context: Any) -> None:
        bodies.append(sorted(record["body"] for record in event["Records"]))
        if len(bodies) == 1:
            raise RuntimeError("boom")

    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}])
    emulator.subscribe_queue(url, consumer)
    assert emulator.wait_idle(15)
    delivered = Counter(body for batch in bodies for body in batch)
    assert delivered == {"a": 2, "b": 2}
    assert emulator.stats.handler_errors == 1


def test_failed_message_ids_follow_lambdas_rules() -> None:
    ids = ["a", "b"]
    assert failed_message_ids(None, ids) == set()
    assert failed_message_ids({"batchItemFailures": []}, ids) == set()
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == {"b"}
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ids) == {"a", "b"}
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, ids) == {"a", "b"}
    assert failed_message_ids({"batchItemFailures": "b"}, ids) == {"a", "b"}


def test_wait_idle_waits_for_chained_invocations_and_delayed_messages(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    sqs = client(emulator, "sqs")
    url = make_queue(sqs)
    consumed: list[str] = []

    def first(event: Any, context: Any) -> None:
        time.sleep(0.1)
        boto3.session.Session().client("lambda").invoke(
            FunctionName="second", InvocationType="Event", Payload=json.dumps(event)
        )

    def second(event: Any, context: Any) -> None:
        time.sleep(0.1)
        boto3.session.Session().client("sqs").send_message(QueueUrl=url, MessageBody=event["text"], DelaySeconds=1)

    emulator.register_function("first", first)
    emulator.register_function("second", second)
    emulator.subscribe_queue(url, lambda event, context: consumed.extend(r["body"] for r in event["Records"]))
    client(emulator, "lambda").invoke(FunctionName="first", InvocationType="Event", Payload=b'{"text": "done"}')

    assert not emulator.wait_idle(timeout=0.4)  # still busy: the chain, then the delayed message
    assert emulator.wait_idle(10)
    assert consumed == ["done"]
    assert emulator.stats.invocations == Counter({"first": 1, "second": 1})
    assert emulator.stats.sqs_deliveries == 1
