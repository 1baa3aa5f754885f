"""The DynamoDB execution store against moto over HTTP."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from heaviside.backends.aws.commits import DynamoCommitLog
from heaviside.backends.aws.executions import DynamoExecutionStore, ExecutionItemTooLarge
from heaviside.backends.aws.payloads import S3PayloadStore
from heaviside.engine.effects import Event
from heaviside.runner import run_local
from heaviside.runtime.execution import ExecutionRecord
from heaviside.runtime.ports import ExecutionAlreadyExists, ExecutionDoesNotExist

from .conftest import REGION

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


@pytest.fixture(scope="module")
def table(moto_endpoint: str) -> str:
    """One table for the module (fresh ARNs per test keep tests apart, and table creation slow-ish)."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"heaviside-executions-{uuid.uuid4().hex[:12]}"
    DynamoExecutionStore.create_table(client, name)
    return name


@pytest.fixture
def dynamodb_client(aws_env: str) -> Any:
    """A DynamoDB client talking to the moto server over HTTP."""
    return boto3.client("dynamodb", endpoint_url=aws_env, region_name=REGION)


@pytest.fixture
def store(dynamodb_client: Any, table: str) -> DynamoExecutionStore:
    return DynamoExecutionStore(table, client=dynamodb_client)


def arn(name: str) -> str:
    return f"arn:aws:states:us-east-1:123456789012:execution:m:{name}"


def start(store: DynamoExecutionStore, input: Any = None, *, name: str | None = None) -> tuple[bool, dict[str, Any]]:
    name = name or uuid.uuid4().hex
    return store.start(
        execution_arn=arn(name),
        name=name,
        state_machine_arn=MACHINE,
        definition_hash="abc123",
        input={"n": 1, "a": [1, 2]} if input is None else input,
        start=T0,
    )


def test_table_has_ttl_on_expires_at(dynamodb_client: Any, table: str) -> None:
    description = dynamodb_client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert description["AttributeName"] == "expiresAt"
    assert description["TimeToLiveStatus"] == "ENABLED"


def test_start_creates_a_running_record(store: DynamoExecutionStore) -> None:
    created, described = start(store, {"z": 1, "a": "é"}, name="first")
    assert created is True
    assert described == {
        "executionArn": arn("first"),
        "stateMachineArn": MACHINE,
        "name": "first",
        "status": "RUNNING",
        "startDate": T0.isoformat(),
        "input": '{"z": 1, "a": "\\u00e9"}',  # json.dumps, as ExecutionRecord.describe renders it
    }
    assert store.describe(arn("first")) == described


def test_start_is_idempotent_for_the_same_input(store: DynamoExecutionStore) -> None:
    name = uuid.uuid4().hex
    created, first = start(store, {"a": 1, "b": 2}, name=name)
    again, second = start(store, {"b": 2, "a": 1}, name=name)  # same value, other key order
    assert (created, again) == (True, False)
    assert second == first


def test_start_with_another_input_raises_execution_already_exists(store: DynamoExecutionStore) -> None:
    name = uuid.uuid4().hex
    start(store, {"a": 1}, name=name)
    with pytest.raises(ExecutionAlreadyExists, match=r"ExecutionAlreadyExists.*different input"):
        start(store, {"a": 2}, name=name)
    assert store.describe(arn(name))["input"] == '{"a": 1}'


def test_start_of_a_finished_name_raises_execution_already_exists(store: DynamoExecutionStore) -> None:
    name = uuid.uuid4().hex
    start(store, {"a": 1}, name=name)
    store.finish(arn(name), status="SUCCEEDED", output=1, stop=T0)
    with pytest.raises(ExecutionAlreadyExists, match="SUCCEEDED"):
        start(store, {"a": 1}, name=name)


def test_finish_happens_exactly_once(store: DynamoExecutionStore) -> None:
    _, described = start(store)
    execution = described["executionArn"]
    stop = T0 + timedelta(seconds=3)
    assert store.finish(execution, status="SUCCEEDED", output={"ok": True, "x": 1.5}, stop=stop) is True
    assert store.finish(execution, status="FAILED", error="E", cause="c", stop=stop + timedelta(1)) is False
    assert store.describe(execution) == {
        **described,
        "status": "SUCCEEDED",
        "stopDate": stop.isoformat(),
        "output": '{"ok": true, "x": 1.5}',
    }


def test_describe_of_a_failed_execution_has_error_and_cause_but_no_output(store: DynamoExecutionStore) -> None:
    _, described = start(store)
    execution = described["executionArn"]
    assert store.finish(execution, status="FAILED", output={"ignored": 1}, error="States.Timeout", cause="why", stop=T0)
    result = store.describe(execution)
    assert result["status"] == "FAILED"
    assert (result["error"], result["cause"]) == ("States.Timeout", "why")
    assert "output" not in result
    assert result["stopDate"] == T0.isoformat()


@pytest.fixture
def commits(dynamodb_client: Any, table: str, s3_client: Any, bucket: str) -> DynamoCommitLog:
    return DynamoCommitLog(table, client=dynamodb_client, payloads=S3PayloadStore(bucket, client=s3_client))


def _history(store: DynamoExecutionStore, commits: DynamoCommitLog, execution_arn: str) -> list[dict[str, Any]]:
    return ExecutionRecord.from_describe(store.describe(execution_arn), commits.events(execution_arn)).history()


def test_a_commit_is_written_once_and_a_second_writer_gets_the_first(store: DynamoExecutionStore,
                                                                     commits: DynamoCommitLog) -> None:
    _, described = start(store)
    execution = described["executionArn"]
    first: list[tuple[datetime, Event]] = [
        (T0, ("PassStateEntered", "A", {"x": 1})),
        (T0, ("PassStateExited", "A", {"y": 2})),
    ]
    second: list[tuple[datetime, Event]] = [(T0 + timedelta(seconds=1), ("SucceedStateEntered", "B", {"y": 2}))]
    assert commits.commit(execution, "run/0/-", first, [{"do": "invoke", "n": 1}]) is None
    assert commits.commit(execution, "run/1/-", second, []) is None
    again = commits.commit(execution, "run/0/-", first, [{"do": "invoke", "n": 2}])  # redelivered
    assert again is not None and again.actions == [{"do": "invoke", "n": 1}] and not again.sent
    commits.mark_sent(execution, "run/0/-")
    check = commits.precheck(execution, "run/0/-", [])
    assert check.commit is not None and check.commit.sent and check.running and not check.aborted
    assert [(event["id"], event["type"]) for event in _history(store, commits, execution)] == [
        (1, "PassStateEntered"),
        (2, "PassStateExited"),
        (3, "SucceedStateEntered"),
    ]


def local_record() -> ExecutionRecord:
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Parameters": {"z.$": "$.n", "a": "é"}, "Next": "Pick"},
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.z", "NumericGreaterThan": 1, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Result": {"size": "big", "ratio": 0.5}, "Next": "Done"},
            "Small": {"Type": "Fail", "Error": "TooSmall", "Cause": "n <= 1"},
            "Done": {"Type": "Succeed"},
        },
    }
    record = run_local(definition, {"n": 2}, name=uuid.uuid4().hex, state_machine_name="m")
    assert record.succeeded
    return record


def test_history_and_describe_match_the_local_runner(store: DynamoExecutionStore, commits: DynamoCommitLog) -> None:
    record = local_record()
    store.start(
        execution_arn=record.execution_arn,
        name=record.name,
        state_machine_arn=record.state_machine_arn,
        definition_hash="h",
        input=record.input,
        start=record.start_date,
    )
    events = record.events()
    commits.commit(record.execution_arn, "a", events[:3], [])
    commits.commit(record.execution_arn, "b", events[3:], [])
    assert record.stop_date is not None
    store.finish(record.execution_arn, status=record.status, output=record.output, stop=record.stop_date)
    assert _history(store, commits, record.execution_arn) == record.history()
    assert store.describe(record.execution_arn) == record.describe()


def test_list_filters_by_status(store: DynamoExecutionStore) -> None:
    _, running = start(store)
    _, done = start(store)
    store.finish(done["executionArn"], status="SUCCEEDED", output=None, stop=T0)
    _, failed = start(store)
    store.finish(failed["executionArn"], status="FAILED", error="E", stop=T0)

    running_arns = {item["executionArn"] for item in store.list("RUNNING")}
    succeeded_arns = {item["executionArn"] for item in store.list("SUCCEEDED")}
    assert running["executionArn"] in running_arns
    assert done["executionArn"] in succeeded_arns
    assert not {done["executionArn"], failed["executionArn"]} & running_arns
    assert failed["executionArn"] not in succeeded_arns
    assert all(item["status"] == "FAILED" for item in store.list("FAILED"))
    everything = {item["executionArn"] for item in store.list()}
    assert {running["executionArn"], done["executionArn"], failed["executionArn"]} <= everything


def test_unknown_execution_raises_execution_does_not_exist(store: DynamoExecutionStore) -> None:
    missing = arn("missing-" + uuid.uuid4().hex)
    with pytest.raises(ExecutionDoesNotExist):
        store.describe(missing)
    with pytest.raises(ExecutionDoesNotExist):
        store.finish(missing, status="SUCCEEDED", stop=T0)
    with pytest.raises(LookupError):
        store.describe(missing)


def test_items_over_the_dynamodb_limit_raise_a_clear_error(store: DynamoExecutionStore) -> None:
    big = "x" * (401 * 1024)
    with pytest.raises(ExecutionItemTooLarge, match="409600-byte item limit"):
        start(store, {"big": big})


def test_commit_bodies_over_the_item_limit_go_to_s3(store: DynamoExecutionStore, commits: DynamoCommitLog,
                                                    s3_calls: Counter[str]) -> None:
    _, described = start(store)
    execution = described["executionArn"]
    big = "x" * (401 * 1024)
    assert commits.commit(execution, "big/0/-", [(T0, ("PassStateEntered", "A", big))], [{"do": "x"}]) is None
    assert s3_calls["PutObject"] == 1
    assert commits.precheck(execution, "big/0/-", []).commit is not None
    assert _history(store, commits, execution)[0]["stateEnteredEventDetails"]["input"] == json.dumps(big)


def test_the_default_client_comes_from_the_environment(aws_env: str, table: str) -> None:
    _, described = start(DynamoExecutionStore(table))
    assert DynamoExecutionStore(table).describe(described["executionArn"]) == described
