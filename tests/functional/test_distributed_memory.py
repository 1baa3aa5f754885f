"""The distributed driver on in-memory ports: ASL behaviour and the at-least-once rules.

Every conformance case runs through the driver as it runs on AWS (envelopes, commits, joins,
queued deliveries), then again with every delivery doubled and shuffled, and with a crash
after each port call in turn: the outcome must not change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from heaviside.backends.memory import MemoryCloud
from heaviside.runtime.execution import SUCCEEDED
from tests.cases import executable_cases, fresh_handlers, mismatch

CASES = executable_cases()
IDS = [case["name"] for case in CASES]
FN = "arn:aws:lambda:us-east-1:123456789012:function:"
#: Handlers that count their calls in the process: a crash before their result is committed
#: runs them again (Lambda's at-least-once), so their outputs may count one more call.
COUNTING = ("FailTimesThenSucceed", "FailSequence")


def _run(case: dict[str, Any], **options: Any) -> tuple[MemoryCloud, str]:
    cloud = MemoryCloud(fresh_handlers(), **options)
    arn = cloud.start(case["definition"], case.get("input"))
    cloud.run()
    return cloud, arn


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conformance_case_through_the_driver(case: dict[str, Any]) -> None:
    cloud, arn = _run(case)
    assert mismatch(case["expect"], cloud.record(arn)) is None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_doubled_and_reordered_deliveries_change_nothing(case: dict[str, Any]) -> None:
    if "Slow" in json.dumps(case["definition"]):
        pytest.skip("real-time handler: covered once by the plain run")
    for seed in (1, 2):
        cloud, arn = _run(case, duplicate=True, shuffle_seed=seed)
        assert mismatch(case["expect"], cloud.record(arn)) is None, f"seed {seed}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_crash_after_any_port_call_is_recovered(case: dict[str, Any]) -> None:
    if "Slow" in json.dumps(case["definition"]):
        pytest.skip("real-time handler: covered once by the plain run")
    clean, clean_arn = _run(case)
    expected = clean.record(clean_arn)
    counting = any(name in json.dumps(case["definition"]) for name in COUNTING)
    for crash_after in range(1, clean.crash.calls + 1):
        cloud = MemoryCloud(fresh_handlers())
        cloud.crash.after = crash_after
        arn = cloud.start(case["definition"], case.get("input"))
        cloud.run()
        record = cloud.record(arn)
        assert cloud.crashes == 1
        assert record.status == expected.status, f"crash after call {crash_after}"
        if not counting:
            assert (record.output, record.error) == (expected.output, expected.error), f"crash after {crash_after}"
        # at most the one interrupted handler call is repeated (fewer when a retried delivery
        # comes later and a failed branch has stopped its siblings meanwhile)
        assert len(cloud.handler_calls) <= len(clean.handler_calls) + 1
        assert all(join.ended for join in cloud.joins.joins.values()), "a join never continued"


def _echo(event: Any, context: Any) -> Any:
    return event


def test_duplicate_deliveries_never_run_a_finished_task_again() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": FN + "echo", "Next": "B"},
        "B": {"Type": "Task", "Resource": FN + "echo", "End": True}}}
    cloud = MemoryCloud({"echo": _echo}, duplicate=True)
    arn = cloud.start(definition, {"x": 1})
    cloud.run()
    assert cloud.record(arn).output == {"x": 1}
    assert [name for name, _ in cloud.handler_calls] == ["echo", "echo"]


def test_map_max_concurrency_never_has_more_items_in_flight() -> None:
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 3, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": FN + "echo", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 10, "End": True}}}}}}
    cloud = MemoryCloud({"echo": _echo})
    arn = cloud.start(definition, list(range(10)))
    peak = 0
    while cloud.dispatcher.queue:
        peak = max(peak, len(cloud.dispatcher.queue))
        cloud.deliver_one()
    record = cloud.record(arn)
    assert record.output == list(range(10))
    assert peak == 3
    started = [event[2] for _, event in record.events() if event[0] == "MapIterationStarted"]
    assert sorted(started) == list(range(10))


def test_a_failing_branch_stops_the_others_and_is_caught() -> None:
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
              "Branches": [
                  {"StartAt": "Slow1", "States": {
                      "Slow1": {"Type": "Task", "Resource": FN + "echo", "Next": "Slow2"},
                      "Slow2": {"Type": "Task", "Resource": FN + "echo", "End": True}}},
                  {"StartAt": "Boom", "States": {"Boom": {"Type": "Task", "Resource": FN + "boom", "End": True}}}]},
        "Done": {"Type": "Succeed"},
        "Caught": {"Type": "Pass", "End": True}}}

    def boom(event: Any, context: Any) -> Any:
        raise RuntimeError("no")

    cloud = MemoryCloud({"echo": _echo, "boom": boom})
    arn = cloud.start(definition, {})
    cloud.run()
    record = cloud.record(arn)
    assert record.status == SUCCEEDED
    assert record.output == {"Error": "RuntimeError", "Cause": record.output["Cause"]}
    # deliveries in order: Slow1 runs, Boom fails and ends the join, Slow2 must then never run
    assert [name for name, _ in cloud.handler_calls].count("echo") == 1


def test_a_hundred_branches_continue_exactly_once_whatever_the_order() -> None:
    branches = [{"StartAt": f"T{i}", "States": {f"T{i}": {"Type": "Task", "Resource": FN + "echo", "End": True}}}
                for i in range(100)]
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": branches, "Next": "After"},
        "After": {"Type": "Task", "Resource": FN + "after", "End": True}}}
    after_calls: list[Any] = []

    def after(event: Any, context: Any) -> Any:
        after_calls.append(event)
        return len(event)

    cloud = MemoryCloud({"echo": _echo, "after": after}, duplicate=True, shuffle_seed=7)
    arn = cloud.start(definition, {"v": 1})
    cloud.run()
    assert cloud.record(arn).output == 100
    assert len(after_calls) == 1


def _timed(timeout: int, wait: int) -> dict[str, Any]:
    return {"TimeoutSeconds": timeout, "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "echo", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": wait, "End": True}}}


@pytest.mark.parametrize(("timeout", "wait", "status"), [(10, 100, "TIMED_OUT"), (100, 10, SUCCEEDED)])
def test_the_execution_timeout_matches_the_local_runner(timeout: int, wait: int, status: str) -> None:
    from heaviside.runner import run_local

    definition = _timed(timeout, wait)
    cloud = MemoryCloud({"echo": _echo})
    arn = cloud.start(definition, {"x": 1})
    cloud.run()
    record = cloud.record(arn)
    expected = run_local(definition, {"x": 1}, handlers={"echo": _echo}, skip_waits=True)
    assert (record.status, record.error, record.cause) == (expected.status, expected.error, expected.cause)
    assert record.status == status
    assert cloud.dispatcher.queue == []  # the timer of a finished execution is dropped
