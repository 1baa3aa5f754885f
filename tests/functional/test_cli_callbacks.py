"""``heaviside send-task-success | send-task-failure | send-task-heartbeat`` against an emulated
deployment, and ``heaviside run --callback`` for local runs."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heaviside.cli import main
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runtime.execution import RUNNING

Capture = pytest.CaptureFixture[str]
ASK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "No"}],
    "Parameters": {"FunctionName": "Notify", "Payload": {"token.$": "$$.Task.Token", "key.$": "$.key"}}},
    "No": {"Type": "Pass", "End": True}}}
TOKENS: dict[str, str] = {}
LOCK = threading.Lock()
ENV_NAMES = ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "HEAVISIDE_DLQ_URL", "HEAVISIDE_INVOKER",
             "HEAVISIDE_ACCOUNT", "HEAVISIDE_THRESHOLD", "HEAVISIDE_FUNCTIONS")


def Notify(event: Any, context: Any) -> Any:
    with LOCK:
        TOKENS[event["key"]] = event["token"]
    return {}


@pytest.fixture(scope="module")
def deployment() -> Iterator[EmulatedDeployment]:
    with EmulatedDeployment({"Notify": Notify}, name=f"clicb-{uuid.uuid4().hex[:8]}") as started:
        yield started


@pytest.fixture
def env(deployment: EmulatedDeployment, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in deployment.environment().items():
        monkeypatch.setenv(name, value)


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def waiting(deployment: EmulatedDeployment) -> tuple[str, str]:
    """Start ASK; (its execution ARN, its token) once the Task waits."""
    key = uuid.uuid4().hex
    response = deployment.client("lambda").invoke(FunctionName=deployment.runtime.config.invoker, Payload=json.dumps(
        {"definition": ASK, "input": {"key": key}, "name": f"clicb-{key[:12]}"}))
    arn: str = json.loads(response["Payload"].read())["executionArn"]
    deadline = time.monotonic() + 10
    while key not in TOKENS:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return arn, TOKENS[key]


def ended(deployment: EmulatedDeployment, arn: str) -> Any:
    deadline = time.monotonic() + 10
    while deployment.runtime.executions.describe(arn)["status"] == RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return deployment.runtime.record(arn)


@pytest.mark.usefixtures("env")
def test_send_task_success_then_a_second_answer_is_refused(deployment: EmulatedDeployment, capsys: Capture,
                                                           tmp_path: Path) -> None:
    arn, token = waiting(deployment)
    assert run(capsys, "send-task-heartbeat", token)[0] == 0
    answer = tmp_path / "answer.json"
    answer.write_text('{"approved": true}')
    assert run(capsys, "send-task-success", token, "--output-file", str(answer)) == (0, "", "")
    assert ended(deployment, arn).output == {"approved": True}
    code, _, err = run(capsys, "send-task-success", token, "--output", "{}")
    assert code == 2 and err.startswith("heaviside: TaskTimedOut:")
    code, _, err = run(capsys, "send-task-heartbeat", token)
    assert code == 2 and "TaskTimedOut" in err


@pytest.mark.usefixtures("env")
def test_send_task_failure_is_caught_by_the_tasks_catch(deployment: EmulatedDeployment, capsys: Capture) -> None:
    arn, token = waiting(deployment)
    assert run(capsys, "send-task-failure", token, "--error", "Rejected", "--cause", "no budget")[0] == 0
    record = ended(deployment, arn)
    assert record.output["why"] == {"Error": "Rejected", "Cause": "no budget"}


@pytest.mark.usefixtures("env")
def test_refusals_name_the_aws_error_and_change_nothing(deployment: EmulatedDeployment, capsys: Capture) -> None:
    arn, token = waiting(deployment)
    code, _, err = run(capsys, "send-task-success", token, "--output", "{not json")
    assert code == 2 and err.startswith("heaviside: InvalidOutput:")
    code, _, err = run(capsys, "send-task-success", "hv1.nonsense", "--output", "{}")
    assert code == 2 and err.startswith("heaviside: InvalidToken:")
    code, _, err = run(capsys, "send-task-failure", token, "--error", "E" * 300)
    assert code == 2 and "InvalidOutput" in err
    assert deployment.runtime.executions.describe(arn)["status"] == RUNNING
    assert run(capsys, "send-task-success", token, "--output", "1")[0] == 0
    assert ended(deployment, arn).output == 1


def test_run_answers_callbacks_declared_on_the_command_line(tmp_path: Path, capsys: Capture) -> None:
    definition = tmp_path / "ask.json"
    definition.write_text(json.dumps(ASK))
    handlers = tmp_path / "handlers.py"
    handlers.write_text("def Notify(event, context):\n    return {}\n")
    common = [str(definition), "--handlers", str(handlers), "--input", '{"key": "k"}', "--skip-waits"]
    assert run(capsys, "run", *common, "--callback", 'Ask={"ok": 1}') == (0, '{"ok": 1}\n', "")
    code, out, _ = run(capsys, "run", *common, "--callback-failure", "Ask=Rejected:too late")
    assert code == 0 and json.loads(out)["why"] == {"Error": "Rejected", "Cause": "too late"}
    code, _, err = run(capsys, "run", *common, "--callback", "Ask")
    assert code == 2 and "expected STATE=JSON" in err
    code, _, err = run(capsys, "run", *common, "--callback", "Ask={oops")
    assert code == 2 and "not JSON" in err
