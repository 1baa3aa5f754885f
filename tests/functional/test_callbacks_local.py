"""Callback Tasks (``.waitForTaskToken``) on the local backend, on a virtual clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from heaviside import run_local
from heaviside.backends.local_callbacks import Failure, NoAnswer, Success
from heaviside.callbacks import (
    CallbackRequest,
    InvalidOutput,
    InvalidToken,
    TaskTimedOut,
    send_task_failure,
    send_task_heartbeat,
    send_task_success,
)
from heaviside.runtime.execution import ExecutionRecord

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def ask(**fields: Any) -> dict[str, Any]:
    """A callback Task sending the token and the input's ``who`` to the ``notify`` function."""
    return {"Type": "Task", "Resource": CALLBACK,
            "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"}},
            **fields}


def machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {"Ask": ask(End=True, **fields)}}


SENT: list[Any] = []


def notify(event: Any, context: Any) -> Any:
    SENT.append(event)
    return {"notified": event["who"]}


def run(definition: dict[str, Any], callbacks: Any = None, handlers: Any = None,
        input_: Any = None) -> ExecutionRecord:
    return run_local(definition, input_ if input_ is not None else {"who": "ann"},
                     handlers=handlers or {"notify": notify}, skip_waits=True, callbacks=callbacks)


def types(record: ExecutionRecord) -> list[str]:
    return [event[0] for _, event in record.events()]


def test_an_approval_three_days_later_takes_no_time_and_is_the_task_result() -> None:
    record = run(machine(), {"Ask": Success({"approved": True}, after=timedelta(days=3))})
    assert (record.status, record.output) == ("SUCCEEDED", {"approved": True})
    assert record.stop_date is not None and record.stop_date - record.start_date == timedelta(days=3)
    assert types(record)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    [request] = record.callback_requests
    assert request.state == "Ask" and request.input == {"token": request.token, "who": "ann"}


def test_tokens_are_unguessable_and_new_for_every_attempt() -> None:
    attempts = {"n": 0}

    def answer(request: CallbackRequest) -> Failure | Success:
        attempts["n"] += 1
        return Failure("Busy") if attempts["n"] < 3 else Success("done")

    definition = machine(Retry=[{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 5}])
    record = run(definition, {"Ask": answer})
    assert record.output == "done"
    tokens = [request.token for request in record.callback_requests]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(len(token) >= 43 for token in tokens)  # 256 random bits, URL-safe base64
    assert [request.retry_count for request in record.callback_requests] == [0, 1, 2]


def test_a_failure_answer_is_caught_by_catch() -> None:
    definition = {"StartAt": "Ask", "States": {
        "Ask": ask(Catch=[{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "No"}], End=True),
        "No": {"Type": "Pass", "End": True}}}
    record = run(definition, {"Ask": Failure("Rejected", "too expensive", after=timedelta(hours=2))})
    assert record.output == {"who": "ann", "why": {"Error": "Rejected", "Cause": "too expensive"}}


def test_no_answer_times_out_with_states_timeout() -> None:
    record = run(machine(TimeoutSeconds=600), {"Ask": NoAnswer()})
    assert (record.status, record.error) == ("FAILED", "States.Timeout")
    assert "TaskTimedOut" in types(record)
    assert record.stop_date is not None and record.stop_date - record.start_date == timedelta(seconds=600)


def test_the_default_callback_timeout_is_aws_99999999_seconds() -> None:
    record = run(machine())
    assert record.error == "States.Timeout"
    assert record.stop_date is not None and record.stop_date - record.start_date == timedelta(seconds=99_999_999)


def test_a_missed_heartbeat_fails_with_states_heartbeat_timeout_which_states_timeout_also_catches() -> None:
    definition = {"StartAt": "Ask", "States": {
        "Ask": ask(HeartbeatSeconds=60, End=True,
                   Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Escalate"}]),
        "Escalate": {"Type": "Pass", "End": True}}}
    record = run(definition, {"Ask": Success("late", after=timedelta(minutes=5))})
    assert record.output["error"]["Error"] == "States.HeartbeatTimeout"
    assert record.stop_date is not None and record.stop_date - record.start_date == timedelta(seconds=60)


def test_heartbeats_keep_a_slow_answer_alive() -> None:
    answer = Success("late", after=timedelta(hours=5), heartbeat_every=timedelta(seconds=50))
    record = run(machine(HeartbeatSeconds=60, TimeoutSeconds=86400), {"Ask": answer})
    assert (record.status, record.output) == ("SUCCEEDED", "late")
    stopped_heartbeats = run(machine(HeartbeatSeconds=60), {"Ask": NoAnswer(heartbeat_every=timedelta(seconds=70))})
    assert stopped_heartbeats.error == "States.HeartbeatTimeout"


def test_an_answer_after_the_timeout_is_refused_and_changes_nothing() -> None:
    record = run(machine(TimeoutSeconds=5), {"Ask": NoAnswer()})
    token = record.callback_requests[0].token
    with pytest.raises(TaskTimedOut):
        send_task_success(token, {"too": "late"})
    assert record.error == "States.Timeout"


def test_a_second_answer_is_refused() -> None:
    outcomes: list[str] = []

    def answering(event: Any, context: Any) -> Any:
        token = event["token"]
        send_task_success(token, {"first": True})
        attempts: list[Callable[[], None]] = [lambda: send_task_success(token, {"second": True}),
                                              lambda: send_task_failure(token, "Nope"),
                                              lambda: send_task_heartbeat(token)]
        for attempt in attempts:
            try:
                attempt()
            except TaskTimedOut as exc:
                outcomes.append(exc.code)
        return {}

    record = run(machine(), handlers={"notify": answering})
    assert record.output == {"first": True}
    assert outcomes == ["TaskTimedOut"] * 3


def test_bad_tokens_and_outputs_are_refused_with_aws_error_names() -> None:
    with pytest.raises(InvalidToken):
        send_task_success("not-a-token-anyone-issued", {})
    with pytest.raises(InvalidToken):
        send_task_success("", {})
    with pytest.raises(InvalidOutput):
        send_task_success("whatever", {"x": float("nan")})
    with pytest.raises(InvalidOutput):
        send_task_success("whatever", "x" * (256 * 1024 + 1))


def test_a_failing_invocation_fails_the_task_and_voids_its_token() -> None:
    def broken(event: Any, context: Any) -> Any:
        raise ConnectionError("queue down")

    record = run(machine(), {"Ask": Success("never used")}, handlers={"notify": broken})
    assert record.error == "ConnectionError"
    with pytest.raises(TaskTimedOut):
        send_task_success(record.callback_requests[0].token, {})


def test_callbacks_inside_map_iterations_and_parallel_branches_each_get_their_own_token() -> None:
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.people", "End": True,
                                                  "ItemProcessor": {"StartAt": "Ask", "States": {
                                                      "Ask": ask(End=True, InputPath="$")}}}}},
        {"StartAt": "AskBoss", "States": {"AskBoss": ask(End=True)}}]}}}

    def answer(request: CallbackRequest) -> Success:
        return Success({"ok": request.input["who"]}, after=timedelta(hours=len(request.input["who"])))

    people = [{"who": "al"}, {"who": "bea"}, {"who": "cy"}]
    record = run(definition, {"Ask": answer, "AskBoss": answer}, input_={"who": "boss", "people": people})
    assert record.output == [[{"ok": "al"}, {"ok": "bea"}, {"ok": "cy"}], {"ok": "boss"}]
    assert len({request.token for request in record.callback_requests}) == 4
    assert record.stop_date is not None and record.stop_date - record.start_date == timedelta(hours=4)


def test_jsonata_reads_the_token_from_states_context() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": CALLBACK, "End": True,
        "Arguments": {"FunctionName": "notify", "Payload": {"token": "{% $states.context.Task.Token %}",
                                                            "who": "{% $states.input.who %}"}}}}}
    record = run(definition, {"Ask": Success({"fine": 1})})
    request = record.callback_requests[0]
    assert record.output == {"fine": 1} and request.input["token"] == request.token


def test_a_mocked_return_is_a_callback_tasks_result_as_in_step_functions_local() -> None:
    from heaviside.testing.mock_config import MockConfig

    config = MockConfig.load({"StateMachines": {"m": {"TestCases": {"t": {"Ask": "Approved"}}}},
                              "MockedResponses": {"Approved": {"0": {"Return": {"approved": True}}}}})
    record = run_local(machine(), {"who": "ann"}, handlers={"notify": notify}, skip_waits=True,
                       mocks=config.test_case("t"))
    assert (record.status, record.output) == ("SUCCEEDED", {"approved": True})
