"""The load benchmark's machinery at small scale: concurrent executions end once, correctly, leaving nothing behind.

``benchmarks/load.py`` starts many executions of a Parallel + Map + combining Task workflow at
once on one emulated deployment and checks every outcome; here the same run with 20 executions
of a smaller shape (3 branches, 4 items) must pass every one of its checks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.load import HANDLERS, Workload, run_load
from heaviside.runner import run_local

SHAPE = Workload(branches=3, items=4)


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield


def test_the_expected_outputs_are_what_the_local_runner_returns() -> None:
    for shape in (SHAPE, Workload()):
        record = run_local(shape.definition(), shape.input("some-tag"), handlers=HANDLERS)
        assert record.status == "SUCCEEDED", record.cause
        assert record.output == shape.expected_output("some-tag")


def test_concurrent_executions_all_succeed_with_their_own_outputs_and_leave_nothing_behind() -> None:
    result = run_load(20, workload=SHAPE, workers=4, concurrency=4, timeout=60.0, idle_timeout=20.0)
    failed = [f"{check.name}: {check.measured} (wanted {check.wanted})" for check in result.checks if not check.ok]
    assert not failed, failed + result.wrong
    assert len(result.latencies) == 20
    assert result.invocations.total() == 20 * (SHAPE.tasks + 1)  # the task Lambdas and the invoker, no retry
    assert result.calls["lambda.Invoke"] == 20 * SHAPE.tasks
