"""The task decorator and the resumer's long waits, on the in-memory ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from heaviside import task
from heaviside.backends.memory import MemoryCloud

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
ONE_TASK = {"StartAt": "Price", "States": {"Price": {"Type": "Task", "Resource": FN + "price", "End": True,
                                                     "Parameters": {"amount.$": "$.amount"}}}}


def price(event: Any, context: Any) -> Any:
    return {"total": event["amount"] * 2}


def test_a_plain_event_goes_to_the_handler_unchanged() -> None:
    @task
    def handler(event: Any, context: Any) -> Any:
        return {"got": event}

    assert handler({"a": 1}, None) == {"got": {"a": 1}}
    assert handler([1, 2], None) == {"got": [1, 2]}
    assert handler.__name__ == "handler"


def test_the_three_forms_wrap_alike_and_never_twice() -> None:
    cloud = MemoryCloud({"price": price})

    @task(driver=cloud.driver)
    def with_arguments(event: Any, context: Any) -> Any:
        return price(event, context)

    function_form = task(price, driver=cloud.driver)
    assert getattr(with_arguments, "__heaviside_task__", False)
    assert getattr(function_form, "__heaviside_task__", False)
    assert task(function_form) is function_form
    assert function_form({"amount": 2}, None) == {"total": 4}


def test_wrapping_a_wrapped_handler_with_a_driver_runs_it_on_that_driver() -> None:
    decorated = task(price)  # as in a module using @task: the default (AWS) runtime
    cloud = MemoryCloud({"price": price})
    arn = cloud.start(ONE_TASK, {"amount": 5})
    rewrapped = task(decorated, driver=cloud.driver)
    assert rewrapped is not decorated and rewrapped.__wrapped__ is price  # type: ignore[attr-defined]
    rewrapped(cloud.dispatcher.queue.pop().event, None)
    assert cloud.record(arn).output == {"total": 10}


def test_an_envelope_runs_the_task_once_and_moves_the_execution_on() -> None:
    cloud = MemoryCloud({"price": price})
    arn = cloud.start(ONE_TASK, {"amount": 21})
    delivery = cloud.dispatcher.queue.pop()
    wrapped = task(price, driver=cloud.driver)
    assert wrapped(delivery.event, None) == {"heaviside": "ran", "id": delivery.event["id"]}
    assert wrapped(delivery.event, None) == {"heaviside": "duplicate", "id": delivery.event["id"]}
    record = cloud.record(arn)
    assert (record.status, record.output) == ("SUCCEEDED", {"total": 42})


def test_a_handler_error_is_the_task_failure_and_shows_in_the_receipt() -> None:
    def broken(event: Any, context: Any) -> Any:
        raise KeyError("amount")

    cloud = MemoryCloud({"price": broken})
    arn = cloud.start(ONE_TASK, {"amount": 1})
    receipt = task(broken, driver=cloud.driver)(cloud.dispatcher.queue.pop().event, None)
    assert receipt["error"] == "KeyError"
    assert (cloud.record(arn).status, cloud.record(arn).error) == ("FAILED", "KeyError")


def test_a_malformed_envelope_is_rejected_with_its_reason() -> None:
    cloud = MemoryCloud({"price": price})
    receipt = task(price, driver=cloud.driver)({"heaviside": 1, "kind": "task", "id": "forged"}, None)
    assert receipt["heaviside"] == "rejected" and "malformed envelope forged" in receipt["reason"]


def test_log_lines_inside_the_handler_carry_the_execution_keys(capsys: pytest.CaptureFixture[str]) -> None:
    service = "heaviside-decorator-test"

    def logging_handler(event: Any, context: Any) -> Any:
        Logger(service=service).info("pricing")
        return price(event, context)

    cloud = MemoryCloud({"price": logging_handler})
    cloud.start(ONE_TASK, {"amount": 1}, name="logged")
    capsys.readouterr()
    task(logging_handler, driver=cloud.driver, logger=Logger(service=service))(cloud.dispatcher.queue.pop().event, None)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"pricing"' in line]
    assert len(lines) == 1
    assert lines[0]["execution_name"] == "logged"
    assert lines[0]["execution_id"].endswith(":logged")
    assert (lines[0]["state_name"], lines[0]["retry_count"]) == ("Price", 0)
    Logger(service=service).info("after")
    assert "execution_id" not in capsys.readouterr().out  # the keys end with the task


class SteppedClock:
    """A real-time clock (no time skipping) that a test moves by hand."""

    virtual = False

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance_to(self, moment: datetime) -> None:
        return None


def test_waits_longer_than_sqs_delays_are_re_enqueued_until_due() -> None:
    clock = SteppedClock(datetime(2026, 1, 1, tzinfo=UTC))
    cloud = MemoryCloud({}, clock=clock)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2000, "End": True}}}
    arn = cloud.start(definition, {})
    assert cloud.dispatcher.delays == [900]
    results = []
    for step in (0, 1000, 900, 100):
        clock.moment += timedelta(seconds=step)
        results.append(cloud.driver.resume(cloud.dispatcher.queue.pop().event))
    assert results == ["re-enqueued", "re-enqueued", "re-enqueued", "resumed"]
    assert cloud.dispatcher.delays == [900, 900, 900, 100]
    assert cloud.record(arn).status == "SUCCEEDED"
