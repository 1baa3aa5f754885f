"""heaviside.testing.StateMachineTest: handlers, mocks, callback answers and assertions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from heaviside.backends.local_callbacks import Success
from heaviside.cli import load_handlers
from heaviside.testing.machine import Return, StateMachineTest, Throw

ORDER = Path(__file__).parents[2] / "examples" / "order"
FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_mocks_drive_retries_and_the_run_reports_path_calls_and_time() -> None:
    handlers = load_handlers(str(ORDER / "handlers.py"))
    del handlers["charge_payment"]  # mocked below
    machine = StateMachineTest(ORDER / "order.asl.json", handlers=handlers)
    machine.mock("ChargePayment", Throw("PaymentGatewayTimeout", "slow"), Throw("PaymentGatewayTimeout"),
                 Return({"StatusCode": 200, "Payload": {"chargeId": "ch_mocked", "attempts": 3}}))
    run = machine.run({"orderId": "A-9", "items": [{"sku": "book", "quantity": 2}]})
    run.assert_succeeded()
    assert run.output["chargeId"] == "ch_mocked"
    assert [call.attempt for call in run.calls("ChargePayment")] == [0, 1, 2]
    run.assert_entered("ChargePayment", times=1)
    run.assert_not_entered("Compensate")
    assert run.elapsed > timedelta(0)  # the backoffs passed on the virtual clock


def test_running_out_of_mocked_responses_fails_like_step_functions_local() -> None:
    machine = StateMachineTest({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "t", "End": True,
                                                                 "Retry": [{"ErrorEquals": ["E"]}]}}})
    run = machine.mock("T", Throw("E")).run()
    run.assert_failed(error="States.Runtime")


def test_callback_answers_and_failing_assertions_explain_themselves() -> None:
    definition = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
        "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}}}}}
    machine = StateMachineTest(definition, handlers={"notify": lambda event, context: {}})
    run = machine.answer("Ask", Success({"ok": True}, after=timedelta(days=2))).run()
    run.assert_succeeded({"ok": True})
    assert run.elapsed == timedelta(days=2)
    with pytest.raises(AssertionError, match="output differs"):
        run.assert_succeeded({"ok": False})
    with pytest.raises(AssertionError, match="expected a failure"):
        run.assert_failed()
    with pytest.raises(AssertionError, match=r"path differs:\n  expected \['Nope'\]"):
        run.assert_path(["Nope"])


def test_a_mock_file_test_case(tmp_path: Path) -> None:
    files = Path(__file__).parent / "mock_files"
    machine = StateMachineTest(files / "LambdaSQSIntegration.asl.json")
    run = machine.mock_config(files / "MockConfigFile.json", "HappyPath").run()
    run.assert_succeeded()
    with pytest.raises(ValueError, match="not both"):
        machine.mock("LambdaState", Return({})).run()


def test_a_mock_needs_a_response() -> None:
    machine = StateMachineTest({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ValueError, match="at least one"):
        machine.mock("P")
    machine.run(1).assert_succeeded(1)
