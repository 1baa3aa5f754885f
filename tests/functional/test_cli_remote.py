"""The deployment commands of the ``heaviside`` CLI (start, describe, history, list, stop, bootstrap, emulate),
run in-process against one emulated deployment (and fresh ones for ``--emulate``)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heaviside.cli import main
from heaviside.cli_remote import serve_emulator, wait_for_end
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.faults import FaultRates
from heaviside.history_table import describe_event

Capture = pytest.CaptureFixture[str]


def Echo(event: Any, context: Any) -> Any:
    return event


def Boom(event: Any, context: Any) -> Any:
    raise ValueError("kaboom")


HANDLERS_FILE = '''
def Double(event, context):
    return {"value": event["value"] * 2}
'''
ECHO = {"StartAt": "E", "States": {"E": {"Type": "Task", "Resource": "Echo", "End": True}}}
BOOM = {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "Boom", "End": True}}}
HOUR_WAIT = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
                                          "Done": {"Type": "Pass", "End": True}}}
ENV_NAMES = ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "HEAVISIDE_DLQ_URL", "HEAVISIDE_INVOKER",
             "HEAVISIDE_ACCOUNT", "HEAVISIDE_THRESHOLD")


@pytest.fixture(scope="module")
def deployment() -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment({"Echo": Echo, "Boom": Boom}, name="clitest") as started:
        yield started


@pytest.fixture
def env(deployment: EmulatedDeployment, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    environment = deployment.environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


def write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def arn(name: str, state_machine: str = "heaviside") -> str:
    return f"arn:aws:states:us-east-1:123456789012:execution:{state_machine}:{name}"


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def start_and_wait(capsys: Capture, tmp_path: Path, definition: Any, *extra: str) -> str:
    """Start ``definition`` under a fresh name with --wait (exit status not checked); the name."""
    name = unique("run")
    run(capsys, "start", write(tmp_path, f"{name}.json", definition), "--name", name, "--wait", *extra)
    return name


# ---------------------------------------------------------------------- start


def test_start_without_wait_prints_the_arn_and_start_date(
        env: dict[str, str], deployment: EmulatedDeployment, tmp_path: Path, capsys: Capture) -> None:
    name = unique("nowait")
    code, out, _ = run(capsys, "start", write(tmp_path, "d.json", ECHO), "--input", '{"a": 1}', "--name", name)
    assert code == 0
    started = json.loads(out)
    assert set(started) == {"executionArn", "startDate"} and started["executionArn"] == arn(name)
    described = wait_for_end(deployment.runtime.executions, started["executionArn"], timeout=10)
    assert described is not None and described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}


def test_start_wait_prints_the_output_like_run(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "start", write(tmp_path, "d.json", ECHO), "--wait", "--input", '{"n": [1, "é"]}')
    assert code == 0
    assert json.loads(out) == {"n": [1, "é"]}
    code, out, _ = run(capsys, "start", write(tmp_path, "d.json", ECHO), "--wait", "--input", '"just text"')
    assert (code, json.loads(out)) == (0, "just text")  # a JSON string input stays a string


def test_start_wait_of_a_failing_execution_prints_error_and_cause(
        env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "start", write(tmp_path, "boom.json", BOOM), "--wait")
    assert code == 1
    failure = json.loads(out)
    assert failure["Error"] == "ValueError" and "kaboom" in failure["Cause"]
    fail = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope"}}}
    code, out, _ = run(capsys, "start", write(tmp_path, "fail.json", fail), "--wait")
    assert (code, json.loads(out)) == (1, {"Error": "Nope"})  # no Cause key when there is none


def test_start_emulate_with_handlers_skips_an_hour_wait(tmp_path: Path, capsys: Capture) -> None:
    definition = {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Double"},
        "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Double", "End": True},
    }}
    began = time.monotonic()
    code, out, _ = run(capsys, "start", "--emulate", "--wait", write(tmp_path, "d.json", definition),
                       "--input-file", write(tmp_path, "input.json", {"value": 21}), "--skip-waits",
                       "--handlers", write(tmp_path, "handlers.py", HANDLERS_FILE))
    assert (code, json.loads(out)) == (0, {"value": 42})
    assert time.monotonic() - began < 5


def test_emulate_only_options_need_emulate(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    code, out, err = run(capsys, "start", write(tmp_path, "d.json", ECHO), "--skip-waits")
    assert code == 2 and out == "" and "--skip-waits" in err and "--emulate" in err


def test_invalid_definition_exits_2_and_starts_nothing(
        env: dict[str, str], deployment: EmulatedDeployment, tmp_path: Path, capsys: Capture) -> None:
    before = len(deployment.runtime.executions.list())
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}
    code, out, err = run(capsys, "start", write(tmp_path, "bad.json", bad), "--wait")
    assert code == 2 and out == ""
    assert "/States/A/Next" in err
    assert len(deployment.runtime.executions.list()) == before


def test_same_name_with_another_input_is_execution_already_exists(
        env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    definition, name = write(tmp_path, "d.json", HOUR_WAIT), unique("dup")
    assert run(capsys, "start", definition, "--name", name, "--input", '{"x": 1}')[0] == 0
    code, out, err = run(capsys, "start", definition, "--name", name, "--input", '{"x": 2}')
    assert code == 2 and out == ""
    assert err.startswith("ExecutionAlreadyExists: ") and arn(name) in err
    assert run(capsys, "stop", name)[0] == 0


def test_wait_timeout_exits_3(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    name = unique("slow")
    code, out, err = run(capsys, "start", write(tmp_path, "d.json", HOUR_WAIT), "--name", name, "--wait",
                         "--timeout", "0.2")
    assert code == 3 and out == "" and "still RUNNING" in err and arn(name) in err
    assert run(capsys, "stop", name)[0] == 0


# ---------------------------------------------------------------------- describe, history, list


def test_describe_by_arn_and_by_name(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    name = unique("desc")
    run(capsys, "start", write(tmp_path, "d.json", ECHO), "--name", name, "--state-machine", "orders",
        "--input", '{"k": "v"}', "--wait")
    code, out, _ = run(capsys, "describe", arn(name, "orders"))
    assert code == 0
    described = json.loads(out)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"k": "v"}
    assert described["stateMachineArn"].endswith(":stateMachine:orders")
    assert json.loads(run(capsys, "describe", name, "--state-machine", "orders")[1]) == described


def test_describe_unknown_execution_exits_2(env: dict[str, str], capsys: Capture) -> None:
    code, out, err = run(capsys, "describe", "no-such-execution")
    assert code == 2 and out == ""
    assert err.strip() == f"ExecutionDoesNotExist: no execution {arn('no-such-execution')}"


def test_history_table_and_json(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    definition = {"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Result": {"long": "x" * 200}, "Next": "Second"},
        "Second": {"Type": "Task", "Resource": "Echo", "End": True}}}
    name = start_and_wait(capsys, tmp_path, definition)
    code, out, _ = run(capsys, "history", name)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "ELAPSED_MS", "TYPE", "STATE", "DETAILS"]
    assert any("PassStateEntered" in line and "First" in line for line in lines)
    assert any("TaskStateExited" in line and "Second" in line for line in lines)
    assert any("resource=Echo" in line for line in lines)
    assert "x" * 100 not in out and "…" in out  # long values are cut
    code, out, _ = run(capsys, "history", name, "--json")
    events = json.loads(out)
    assert [event["type"] for event in (events[0], events[-1])] == ["ExecutionStarted", "ExecutionSucceeded"]
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert len(lines) == len(events) + 1


def test_list_filters_by_status(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    failed = start_and_wait(capsys, tmp_path, BOOM)
    succeeded = start_and_wait(capsys, tmp_path, ECHO)
    code, out, _ = run(capsys, "list", "--status", "FAILED", "--json")
    assert code == 0
    listed = json.loads(out)
    assert {item["status"] for item in listed} == {"FAILED"}
    assert failed in {item["name"] for item in listed} and succeeded not in {item["name"] for item in listed}
    code, out, _ = run(capsys, "list")
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "START", "STOP"]
    assert rows[failed] == "FAILED" and rows[succeeded] == "SUCCEEDED"


# ---------------------------------------------------------------------- stop


def test_stop_a_running_execution(env: dict[str, str], tmp_path: Path, capsys: Capture) -> None:
    name = unique("stopme")
    assert run(capsys, "start", write(tmp_path, "d.json", HOUR_WAIT), "--name", name)[0] == 0
    code, out, _ = run(capsys, "stop", name, "--error", "Manual", "--cause", "by hand")
    assert code == 0
    described = json.loads(out)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Manual", "by hand")
    assert "ExecutionAborted" in run(capsys, "history", name)[1]
    code, out, err = run(capsys, "stop", arn(name))
    assert code == 1 and out == "" and "already ended (ABORTED)" in err


# ---------------------------------------------------------------------- configuration and errors


def test_missing_configuration_names_the_variables(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    for name in ("HEAVISIDE_BUCKET", "HEAVISIDE_TABLE", "HEAVISIDE_QUEUE_URL"):
        monkeypatch.delenv(name)
    code, out, err = run(capsys, "list")
    assert code == 2 and out == ""
    assert all(name in err for name in ("HEAVISIDE_BUCKET", "HEAVISIDE_TABLE", "HEAVISIDE_QUEUE_URL"))


def test_aws_errors_are_one_line_exit_3(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                        capsys: Capture) -> None:
    monkeypatch.setenv("HEAVISIDE_TABLE", "no-such-table")
    code, out, err = run(capsys, "describe", "anything")
    assert code == 3 and out == ""
    assert err.startswith("heaviside: AWS error: ") and "ResourceNotFound" in err and err.count("\n") == 1


def test_stack_outputs_replace_the_environment(env: dict[str, str], deployment: EmulatedDeployment,
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: Capture) -> None:
    config = deployment.runtime.config
    outputs = {"BucketName": config.bucket, "TableName": config.table, "WaitQueueUrl": config.queue_url,
               "InvokerFunctionName": config.invoker}
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": unique("q")}}},
                "Outputs": {key: {"Value": value} for key, value in outputs.items()}}
    stack = unique("stack")
    deployment.client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(template))
    for name in ("HEAVISIDE_BUCKET", "HEAVISIDE_TABLE", "HEAVISIDE_QUEUE_URL", "HEAVISIDE_INVOKER"):
        monkeypatch.delenv(name)
    code, out, _ = run(capsys, "start", write(tmp_path, "d.json", ECHO), "--stack", stack, "--wait",
                       "--input", "[7]")
    assert (code, json.loads(out)) == (0, [7])
    code, _, err = run(capsys, "list", "--stack", unique("missing"))
    assert code == 2 and "does not exist" in err


def test_bootstrap_prints_exports_of_what_it_created(
        env: dict[str, str], deployment: EmulatedDeployment, monkeypatch: pytest.MonkeyPatch,
        capsys: Capture) -> None:
    for name in ("HEAVISIDE_BUCKET", "HEAVISIDE_TABLE", "HEAVISIDE_QUEUE_URL", "HEAVISIDE_DLQ_URL"):
        monkeypatch.delenv(name, raising=False)
    bucket = unique("boot")
    monkeypatch.setenv("HEAVISIDE_BUCKET", bucket)
    code, out, _ = run(capsys, "bootstrap")
    assert code == 0
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in out.splitlines())
    assert exported["HEAVISIDE_BUCKET"] == bucket and exported["HEAVISIDE_TABLE"] == "heaviside"
    assert exported["HEAVISIDE_QUEUE_URL"] == f"{env['AWS_ENDPOINT_URL']}/123456789012/heaviside-waits"
    assert exported["HEAVISIDE_DLQ_URL"].endswith("/heaviside-waits-dlq")
    deployment.client("s3").head_bucket(Bucket=bucket)
    deployment.client("sqs").get_queue_url(QueueName="heaviside-waits")
    assert run(capsys, "bootstrap")[1] == out  # idempotent


# ---------------------------------------------------------------------- emulate


def printed_until(capsys: Capture, marker: str, timeout: float = 10) -> str:
    """What a serving emulator printed, read until ``marker`` shows up (or ``timeout`` passes)."""
    text = ""
    deadline = time.monotonic() + timeout
    while marker not in text and time.monotonic() < deadline:
        time.sleep(0.02)
        text += capsys.readouterr().out
    return text


def test_serve_emulator_serves_until_the_event_is_set(capsys: Capture) -> None:
    stop = threading.Event()
    result: list[int] = []
    server = threading.Thread(target=lambda: result.append(serve_emulator({"Echo": Echo}, stop)))
    server.start()
    text = printed_until(capsys, "HEAVISIDE_QUEUE_URL")
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                    for line in text.splitlines() if line.startswith("export "))
    try:
        assert exported["AWS_ENDPOINT_URL"] in text.splitlines()[0] and "Echo" in text.splitlines()[1]
        import boto3  # type: ignore[import-untyped]

        sqs = boto3.client("sqs", endpoint_url=exported["AWS_ENDPOINT_URL"], region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        assert exported["HEAVISIDE_QUEUE_URL"].rsplit("/", 1)[-1] in str(sqs.list_queues())
    finally:
        stop.set()
        server.join(10)
    assert not server.is_alive() and result == [0]


def test_emulate_command_stops_on_sigint(capsys: Capture) -> None:
    seen: list[str] = []

    def terminate_when_ready() -> None:
        deadline = time.monotonic() + 10
        while not any("HEAVISIDE_BUCKET" in chunk for chunk in seen) and time.monotonic() < deadline:
            time.sleep(0.02)
            seen.append(capsys.readouterr().out)
        os.kill(os.getpid(), signal.SIGINT)  # unhandled it would be a KeyboardInterrupt: exit 130

    before = signal.getsignal(signal.SIGINT)
    killer = threading.Thread(target=terminate_when_ready)
    killer.start()
    code = main(["emulate", "--skip-waits"])
    killer.join(10)
    assert code == 0
    assert "export HEAVISIDE_BUCKET=heaviside" in "".join(seen)
    assert "emulator stopped" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) == before  # the handler is put back


def test_describe_event_summaries() -> None:
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"resource": "x", "error": "E", "cause": "c\nd"}}
    assert describe_event(failed) == ("", "E: c d resource=x")
    entered = {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A", "input": "[1]",
                                                                        "inputDetails": {"truncated": False}}}
    assert describe_event(entered) == ("A", "input: [1]")
    assert describe_event({"type": "MapIterationStarted",
                           "mapIterationStartedEventDetails": {"name": "M", "index": 3}}) == ("M", "index=3")


def test_serve_emulator_injects_the_faults_it_is_given_and_reports_them(capsys: Capture) -> None:
    stop = threading.Event()
    result: list[int] = []
    rates = FaultRates.parse("throttle=1, seed=4")
    server = threading.Thread(target=lambda: result.append(serve_emulator({}, stop, faults=rates)))
    server.start()
    text = printed_until(capsys, "AWS_ENDPOINT_URL")
    endpoint = next(line for line in text.splitlines() if "AWS_ENDPOINT_URL" in line).split("=", 1)[1].strip("'\"")
    import boto3
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=Config(retries={"max_attempts": 2}))
    try:
        with pytest.raises(ClientError, match="ThrottlingException"):
            sqs.list_queues()  # every call throttled, retries included
    finally:
        stop.set()
        server.join(10)
    assert result == [0]
    assert re.search(r"faults injected: duplicate 0, race 0, crash 0, throttle [1-9]", capsys.readouterr().err)


@pytest.mark.parametrize(("spec", "message"), [
    ("crash", "expected KIND=RATE"), ("boom=0.1", "expected KIND=RATE"), ("crash=lots", "is not a number"),
    ("crash=2", "between 0 and 1")])
def test_bad_fault_specs_are_refused_clearly(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRates.parse(spec)
    assert FaultRates.parse("crash=0.05, server-error=0.1,seed=3") == FaultRates(crash=0.05, server_error=0.1, seed=3)


def test_emulate_refuses_a_bad_fault_spec(capsys: Capture) -> None:
    code, _, err = run(capsys, "emulate", "--faults", "crash=often")
    assert code != 0 and "--faults: bad fault 'crash=often'" in err
