"""Single-state tests (``heaviside.testing.test_state``): AWS TestState's statuses, next states, outputs,
variables, inspection data and the ``heaviside test-state`` command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from random import Random
from typing import Any

import pytest

from heaviside import cli, run_local
from heaviside.backends.local_lambda import MockedResult
from heaviside.runtime.clock import VirtualClock
from heaviside.testing.test_state import StateTestError, StateTestResult, test_state
from heaviside.testing.test_state_cli import add_test_state_command

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FN + "charge", **fields}


def machine(**states: Any) -> dict[str, Any]:
    """The states, plus the ``Done`` (Succeed) and ``Fix`` (Pass) they lead to."""
    text = json.dumps(states)
    ends = {name: spec for name, spec in (("Done", {"Type": "Succeed"}), ("Fix", {"Type": "Pass", "End": True}))
            if f'"{name}"' in text}
    return {"StartAt": next(iter(states)), "States": {**states, **ends}}


CHARGE = machine(Charge=task(
    Parameters={"amount.$": "$.amount"}, ResultSelector={"id.$": "$.id"}, ResultPath="$.charge", Next="Done",
    Retry=[{"ErrorEquals": ["Throttled"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 2},
           {"ErrorEquals": ["Flaky"], "IntervalSeconds": 100, "MaxDelaySeconds": 150, "MaxAttempts": 5}],
    Catch=[{"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Fix"},
           {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Done"}]))


def run(name: str, input_: Any = None, definition: dict[str, Any] = CHARGE, **options: Any) -> StateTestResult:
    return test_state(definition, name, {"amount": 12} if input_ is None else input_, **options)


# ---------------------------------------------------------------------- Task: the four statuses


def test_task_succeeds_with_its_whole_pipeline_inspected() -> None:
    result = run("Charge", mock=MockedResult(output={"id": "c-1", "extra": 1}))
    assert (result.status, result.next_state) == ("SUCCEEDED", "Done")
    assert result.output == {"amount": 12, "charge": {"id": "c-1"}}
    assert result.inspection == {
        "input": {"amount": 12}, "afterInputPath": {"amount": 12}, "afterParameters": {"amount": 12},
        "result": {"id": "c-1", "extra": 1}, "afterResultSelector": {"id": "c-1"},
        "afterResultPath": {"amount": 12, "charge": {"id": "c-1"}}}
    assert result.to_json() == {"status": "SUCCEEDED", "output": result.output, "nextState": "Done",
                                "inspectionData": {**result.inspection, "variables": {}}}


def test_a_handler_answers_and_sees_the_effective_input() -> None:
    result = run("Charge", handler=lambda event, context: {"id": f"c-{event['amount']}"})
    assert result.output == {"amount": 12, "charge": {"id": "c-12"}}


def test_lambda_invoke_handler_result_is_shaped_but_a_mock_is_the_whole_response() -> None:
    definition = machine(Call={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                               "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                               "ResultSelector": {"p.$": "$.Payload"}})
    handled = test_state(definition, "Call", {"a": 1}, handlers={"charge": lambda event, context: event})
    assert handled.output == {"p": {"a": 1}} and handled.next_state is None
    assert handled.inspection is not None and handled.inspection["result"]["StatusCode"] == 200
    mocked = test_state(definition, "Call", {"a": 1}, mock=MockedResult(output={"Payload": 7}))
    assert mocked.output == {"p": 7}


@pytest.mark.parametrize(("error", "retries", "delay", "index"), [
    ("Throttled", 0, 3, 0), ("Throttled", 1, 6, 0), ("Flaky", 3, 150, 1)])
def test_retriable_reports_the_retrier_and_its_backoff(error: str, retries: int, delay: int, index: int) -> None:
    result = run("Charge", mock=MockedResult(error=error, cause="busy"), retrier_retry_count=retries)
    assert (result.status, result.error, result.cause, result.next_state) == ("RETRIABLE", error, "busy", None)
    assert result.error_details == {"retryIndex": index, "retryBackoffIntervalSeconds": delay}
    assert "output" not in result.to_json()


def test_an_exhausted_retrier_hands_the_error_to_catch() -> None:
    result = run("Charge", mock=MockedResult(error="Throttled", cause="busy"), retrier_retry_count=2)
    assert (result.status, result.next_state, result.output) == ("CAUGHT_ERROR", "Done", {"amount": 12})
    assert result.error_details == {"catchIndex": 1}


def test_caught_error_goes_to_the_catchers_next_with_its_output() -> None:
    result = run("Charge", mock=MockedResult(error="Declined", cause="card"))
    assert (result.status, result.next_state, result.error, result.cause) == ("CAUGHT_ERROR", "Fix", "Declined", "card")
    assert result.output == {"amount": 12, "error": {"Error": "Declined", "Cause": "card"}}
    assert result.to_json()["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_an_unhandled_error_fails() -> None:
    definition = machine(Charge=task(Next="Done", Retry=[{"ErrorEquals": ["Other"]}]))
    result = test_state(definition, "Charge", {}, handler=lambda event, context: 1 / 0)
    assert (result.status, result.error) == ("FAILED", "ZeroDivisionError")
    assert json.loads(result.cause or "")["errorMessage"] == "division by zero"


def test_states_runtime_is_never_retried_or_caught() -> None:
    result = run("Charge", {"no-amount": 1}, mock=MockedResult(output={}))
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.inspection == {"input": {"no-amount": 1}, "afterInputPath": {"no-amount": 1}}


def test_an_output_processing_error_is_reported_by_name_when_caught() -> None:
    definition = machine(Charge=task(ResultPath="$.x.y", Next="Done",
                                     Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Fix"}]))
    result = test_state(definition, "Charge", {"x": "text"}, mock=MockedResult(output=1))
    assert (result.status, result.error, result.next_state) == ("CAUGHT_ERROR", "States.ResultPathMatchFailure", "Fix")


def test_full_jitter_comes_from_the_given_random() -> None:
    definition = machine(Charge=task(End=True, Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 10,
                                                       "JitterStrategy": "FULL"}]))
    delays = [test_state(definition, "Charge", {}, mock=MockedResult(error="E"), random=Random(7)).error_details
              for _ in range(2)]
    assert delays[0] == delays[1] and delays[0] is not None and 0 <= delays[0]["retryBackoffIntervalSeconds"] <= 10


def test_a_task_needs_a_mock_or_a_handler() -> None:
    with pytest.raises(StateTestError, match="needs a mocked result or a handler"):
        run("Charge")
    result = run("Charge", handlers={"other": lambda event, context: 1})
    assert (result.status, result.error) == ("CAUGHT_ERROR", "Lambda.ResourceNotFoundException")


def test_callback_task_takes_its_answer_from_the_mock_and_context_gives_the_token() -> None:
    definition = machine(Wait4={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                                "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}},
                                "Next": "Done"})
    with pytest.raises(StateTestError, match="task token"):
        test_state(definition, "Wait4", {}, handler=lambda event, context: None)
    result = test_state(definition, "Wait4", {}, mock=MockedResult(output={"ok": 1}), context={"Task": {"Token": "t"}})
    assert result.output == {"ok": 1}
    assert result.inspection is not None and result.inspection["afterParameters"]["Payload"] == {"token": "t"}


# ---------------------------------------------------------------------- control states


CONTROL = machine(
    Route={"Type": "Choice", "Default": "Strict", "Assign": {"route": "default", "x": 0},
           "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Shape", "Assign": {"route": "big"}},
                       {"Variable": "$.n", "NumericLessThan": 0, "Next": "Pause"}]},
    Strict={"Type": "Choice", "Choices": [{"Variable": "$.n", "IsNumeric": True, "Next": "Stop"}]},
    Pause={"Type": "Wait", "Seconds": 31_536_000, "OutputPath": "$.keep", "Next": "Done"},
    Shape={"Type": "Pass", "InputPath": "$.in", "Parameters": {"v.$": "$.v", "x.$": "$x"}, "ResultPath": "$.out",
           "Assign": {"y.$": "$.v"}, "Next": "Done"},
    Stop={"Type": "Fail", "Error": "Bad", "CausePath": "$.why"},
)


@pytest.mark.parametrize(("n", "next_state", "assigned"), [
    (50, "Shape", {"route": "big"}), (5, "Strict", {"route": "default", "x": 0}), (-1, "Pause", {})])
def test_choice_reports_the_branch_taken_and_its_assign(n: int, next_state: str, assigned: dict[str, Any]) -> None:
    result = test_state(CONTROL, "Route", {"n": n})
    assert (result.status, result.next_state, result.output) == ("SUCCEEDED", next_state, {"n": n})
    assert result.variables == assigned


def test_choice_without_a_match_fails() -> None:
    result = test_state(CONTROL, "Strict", {"n": "x"})
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")


def test_wait_goes_on_at_once() -> None:
    result = test_state(CONTROL, "Pause", {"keep": [1]})
    assert (result.status, result.next_state, result.output) == ("SUCCEEDED", "Done", [1])


def test_pass_sees_variables_and_assigns_its_own() -> None:
    result = test_state(CONTROL, "Shape", {"in": {"v": 2}}, variables={"x": "given"})
    assert result.output == {"in": {"v": 2}, "out": {"v": 2, "x": "given"}}
    assert result.variables == {"x": "given", "y": 2}
    assert result.inspection is not None and result.inspection["afterParameters"] == {"v": 2, "x": "given"}


def test_succeed_and_fail() -> None:
    done = test_state(CONTROL, "Done", {"a": 1})
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", {"a": 1}, None)
    failed = test_state(CONTROL, "Stop", {"why": "because"})
    assert (failed.status, failed.error, failed.cause) == ("FAILED", "Bad", "because")


def test_jsonata_state_shows_arguments_and_result() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"base": 1}, "Next": "Add"}, "Add": {
        "Type": "Task", "Resource": FN + "add", "Arguments": {"sum": "{% $states.input.a + $base %}"},
        "Output": {"total": "{% $states.result.total %}"}, "Assign": {"last": "{% $states.result.total %}"},
        "End": True}}}
    result = test_state(definition, "Add", {"a": 2}, variables={"base": 40},
                        handler=lambda event, context: {"total": event["sum"]})
    assert (result.output, result.variables) == ({"total": 42}, {"base": 40, "last": 42})
    assert result.inspection == {"input": {"a": 2}, "afterArguments": {"sum": 42}, "result": {"total": 42}}


def test_info_level_leaves_out_inspection() -> None:
    result = test_state(CONTROL, "Done", {}, reveal=False)
    assert result.inspection is None and "inspectionData" not in result.to_json()


# ---------------------------------------------------------------------- context, nesting, Parallel and Map


def test_context_overrides_what_the_state_sees() -> None:
    definition = machine(Look={"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True})
    context = {"Execution": {"Name": "run-7", "StartTime": "2025-01-15T10:30:00Z"},
               "State": {"EnteredTime": "2025-01-15T10:31:00.500Z"}}
    seen = test_state(definition, "Look", {"a": 1}, context=context).output["ctx"]
    assert seen["Execution"]["Name"] == "run-7" and seen["Execution"]["Input"] == {"a": 1}
    assert seen["Execution"]["StartTime"] == "2025-01-15T10:30:00Z"
    assert seen["State"] == {"Name": "Look", "EnteredTime": "2025-01-15T10:31:00.500Z"}
    retried = run("Charge", definition=machine(Charge=task(Parameters={"n.$": "$$.State.RetryCount"}, End=True)),
                  context={"State": {"RetryCount": 2}}, handler=lambda event, context: event)
    assert retried.output == {"n": 2}
    refused: list[dict[str, Any]] = [{"Map": {}}, {"Execution": {"Pokemon": 1}}, {"State": {"EnteredTime": "x"}}]
    for bad in refused:
        with pytest.raises(StateTestError):
            test_state(definition, "Look", {}, context=bad)


NESTED = machine(Fan={"Type": "Parallel", "Next": "Done", "ResultSelector": {"both.$": "$"},
                      "Retry": [{"ErrorEquals": ["States.BranchFailed", "Bad"], "IntervalSeconds": 5}],
                      "Branches": [
    {"StartAt": "Left", "States": {"Left": task(Parameters={"side": "left"}, ResultPath="$.got", End=True)}},
    {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
        "StartAt": "Double", "States": {"Double": {"Type": "Pass", "Parameters": {"d.$": "States.MathAdd($, $)"},
                                                   "End": True}}}}}}]})


def test_states_inside_branches_and_map_processors_run_alone() -> None:
    left = test_state(NESTED, "Left", {"items": [1]}, mock=MockedResult(output="ok"))
    assert (left.output, left.next_state) == ({"items": [1], "got": "ok"}, None)
    assert test_state(NESTED, "Double", 4).output == {"d": 8}


def test_parallel_takes_a_mocked_result_or_runs_its_branches() -> None:
    mocked = test_state(NESTED, "Fan", {"items": [1]}, mock=MockedResult(output=["a", "b"]))
    assert (mocked.output, mocked.next_state) == ({"both": ["a", "b"]}, "Done")
    ran = test_state(NESTED, "Fan", {"items": [1, 2]}, handlers={"charge": lambda event, context: event["side"]})
    assert ran.output == {"both": [{"items": [1, 2], "got": "left"}, [{"d": 2}, {"d": 4}]]}
    retry = test_state(NESTED, "Fan", {"items": []}, mock=MockedResult(error="Bad", cause="mocked"))
    assert (retry.status, retry.error_details) == ("RETRIABLE", {"retryIndex": 0, "retryBackoffIntervalSeconds": 5})
    failing = test_state(NESTED, "Fan", {"items": [1]}, handlers={})
    assert (failing.status, failing.error) == ("FAILED", "Lambda.ResourceNotFoundException")  # the branch's own error


def test_map_state_with_a_mocked_result() -> None:
    result = test_state(NESTED, "Each", {"items": [1, 2]}, mock=MockedResult(output=[10, 20]))
    assert (result.status, result.output) == ("SUCCEEDED", [10, 20])


def test_unknown_state_is_a_usage_error() -> None:
    with pytest.raises(StateTestError, match="no state named 'Nope'"):
        test_state(CONTROL, "Nope", {})


def test_each_state_of_a_run_gives_what_the_run_saw() -> None:
    """Replaying every top-level state of a real run alone gives the outputs and path of the run."""
    definition = machine(
        Init={"Type": "Pass", "Result": 3, "ResultPath": "$.n", "Assign": {"seen.$": "$"}, "Next": "Charge"},
        Charge=task(Parameters={"n.$": "$.n", "seen.$": "$seen"}, ResultPath="$.paid", Next="Route"),
        Route={"Type": "Choice", "Choices": [{"Variable": "$.paid.n", "NumericEquals": 3, "Next": "Pause"}],
               "Default": "Fix"},
        Pause={"Type": "Wait", "Seconds": 60, "Next": "Done"})
    handlers = {"charge": lambda event, context: event}
    record = run_local(definition, {"start": 1}, handlers=handlers, clock=VirtualClock())
    entered = [(name, payload) for _, (kind, name, payload) in record.events() if kind.endswith("StateEntered")]
    variables: dict[str, Any] = {}
    for (name, state_input), following in zip(entered, [*entered[1:], (None, record.output)], strict=True):
        assert name is not None
        result = test_state(definition, name, state_input, variables=variables, handlers=handlers)
        assert (result.status, result.next_state, result.output) == ("SUCCEEDED", following[0], following[1])
        variables = result.variables


# ---------------------------------------------------------------------- heaviside test-state


@pytest.fixture
def heaviside(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``heaviside.cli.main`` with the test-state command, whether or not cli.py registers it yet."""
    parser = argparse.ArgumentParser(prog="heaviside")
    add_test_state_command(parser.add_subparsers(required=True))
    monkeypatch.setattr(cli, "_parser", lambda: parser)
    return cli.main


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


@pytest.mark.parametrize(("extra", "status", "code"), [
    (["--mock-output", '{"id": "c"}'], "SUCCEEDED", 0), (["--mock-error", "Throttled:slow"], "RETRIABLE", 0),
    (["--mock-error", "Declined"], "CAUGHT_ERROR", 0)])
def test_cli_prints_the_result_and_exits_by_status(heaviside: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   extra: list[str], status: str, code: int) -> None:
    path = write(tmp_path, "d.json", json.dumps(CHARGE))
    assert heaviside(["test-state", path, "Charge", "--input", '{"amount": 1}', *extra]) == code
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == status and "inspectionData" in shown


def test_cli_fails_with_1_and_uses_handlers_files(heaviside: Any, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    definition = write(tmp_path, "d.json", json.dumps(machine(Charge=task(End=True))))
    handlers = write(tmp_path, "h.py", "def charge(event, context):\n    raise ValueError('no')\n")
    assert heaviside(["test-state", definition, "Charge", "--handlers", handlers, "--inspection-level", "INFO"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "ValueError"


@pytest.mark.parametrize(("args", "message"), [
    (["Nope"], "no state named 'Nope'"), (["Charge", "--input", '{"amount": 1}'], "needs a mocked result"),
    (["Charge", "--input", "{oops"], "--input is not JSON"), (["Charge", "--variables", "[1]"], "JSON objects")])
def test_cli_usage_errors_exit_2(heaviside: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 args: list[str], message: str) -> None:
    path = write(tmp_path, "d.json", json.dumps(CHARGE))
    assert heaviside(["test-state", path, *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_invalid_definition_exits_2(heaviside: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "d.json", json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    assert heaviside(["test-state", path, "A"]) == 2
    assert "invalid definition" in capsys.readouterr().err
