"""Callback Tasks through the distributed driver in memory: doubled deliveries and a crash after
every storage/dispatch call must still close each token once and end with the same output."""

from __future__ import annotations

from typing import Any

import pytest

from heaviside.backends.memory import Crash, MemoryCloud
from heaviside.callbacks import TaskTimedOut

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
DEFINITION = {"StartAt": "Both", "States": {
    "Both": {"Type": "Parallel", "Next": "Finish", "Branches": [
        {"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
            "HeartbeatSeconds": 3600,
            "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}}}}},
        {"StartAt": "Other", "States": {"Other": {"Type": "Task", "Resource": FN + "double", "End": True}}}]},
    "Finish": {"Type": "Task", "Resource": FN + "finish", "End": True}}}


class Handlers:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.finishes = 0

    def table(self) -> dict[str, Any]:
        return {"notify": self.notify, "double": lambda event, context: event["n"] * 2, "finish": self.finish}

    def notify(self, event: Any, context: Any) -> Any:
        self.tokens.append(event["token"])
        return {}

    def finish(self, event: Any, context: Any) -> Any:
        self.finishes += 1
        return {"answer": event[0], "double": event[1]}


def answer(cloud: MemoryCloud, token: str) -> None:
    """Answer like a client that retries after a crash (a retry of a recorded answer is refused)."""
    crashed = False
    for _ in range(10):
        try:
            cloud.driver.answer(token, {"output": {"approved": True}})
            return
        except Crash:
            cloud.crashes += 1
            crashed = True
        except TaskTimedOut:
            assert crashed, "the first answer was refused"
            return
    raise AssertionError("the answer crashed ten times")


def run_once(crash_after: int | None = None, **options: Any) -> tuple[MemoryCloud, Handlers, str]:
    handlers = Handlers()
    cloud = MemoryCloud(handlers.table(), **options)
    cloud.crash.after = crash_after
    arn = cloud.start(DEFINITION, {"n": 21})
    cloud.run()
    assert cloud.executions.describe(arn)["status"] == "RUNNING"
    assert len(set(handlers.tokens)) == 1, "one token for the one Task attempt"
    answer(cloud, handlers.tokens[0])
    cloud.run()
    return cloud, handlers, arn


EXPECTED = {"answer": {"approved": True}, "double": 42}


def test_a_callback_in_a_parallel_branch_continues_the_join_once() -> None:
    cloud, handlers, arn = run_once()
    record = cloud.record(arn)
    assert (record.status, record.output) == ("SUCCEEDED", EXPECTED)
    assert handlers.finishes == 1
    assert cloud.dispatcher.queue == []  # the callback's timer found its token closed and stopped


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_doubled_and_shuffled_deliveries(seed: int) -> None:
    cloud, handlers, arn = run_once(duplicate=True, shuffle_seed=seed)
    assert cloud.record(arn).output == EXPECTED
    assert handlers.finishes == 1


def test_a_crash_after_any_port_call_ends_the_same() -> None:
    clean, _, _ = run_once()
    calls = clean.crash.calls
    assert calls > 15
    for after in range(1, calls + 1):
        cloud, handlers, arn = run_once(crash_after=after)
        assert cloud.crash.fired, f"crash point {after} was never reached"
        record = cloud.record(arn)
        assert (record.status, record.output) == ("SUCCEEDED", EXPECTED), f"crash after call {after}"
        assert handlers.finishes <= 2, f"crash after call {after}: finish ran {handlers.finishes} times"
        kinds = [event[0] for _, event in record.events()]
        assert kinds.count("TaskSucceeded") == 1, f"crash after call {after}: {kinds}"
