"""moto's side of the comparison: its Step Functions interpreter, driven through boto3.

moto 5 executes state machines (``execute_state_machine``) in a background thread. A run is
timed from just before ``StartExecution`` until ``DescribeExecution`` first reports a status
other than RUNNING (polled every ``POLL_SECONDS``: small, so polling does not dominate).

Each run gets a fresh ``mock_aws`` context: moto's ``StartExecution`` deep-copies the state
machine, which references the whole backend, and that copy fails (``cannot pickle
'_thread.RLock'``) once the backend holds a finished execution. A fresh context also keeps
one run's leftovers from slowing the next. Creating the context, the client and the state
machine is not timed; the execution history (to count transitions) is read after the clock stops.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.timing import Sample
from benchmarks.workloads import Workload
from heaviside.types import JSON

POLL_SECONDS = 0.005
RUN_TIMEOUT_SECONDS = 1800.0
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/heaviside-benchmark"
_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class MotoUnavailable(RuntimeError):
    """moto or boto3 is not installed."""


@dataclass(frozen=True)
class MotoRun:
    """One moto execution: its wall time, status and output (parsed), and states entered."""

    seconds: float
    status: str
    output: JSON
    error: str | None
    cause: str | None
    transitions: int | None  # None when the history was not read


@contextmanager
def _dummy_credentials() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _DUMMY_ENV}
    os.environ.update(_DUMMY_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _modules() -> tuple[Any, Any]:
    try:
        boto3 = importlib.import_module("boto3")
        moto = importlib.import_module("moto")
    except ImportError as exc:
        raise MotoUnavailable(f"moto/boto3 are needed for the comparison ({exc})") from None
    return boto3, moto


def _count_entered(client: Any, execution_arn: str) -> int:
    paginator = client.get_paginator("get_execution_history")
    return sum(
        1
        for page in paginator.paginate(executionArn=execution_arn)
        for event in page["events"]
        if event["type"].endswith("StateEntered")
    )


def run_once(workload: Workload, *, read_history: bool = False) -> MotoRun:
    """Create ``workload`` in a fresh moto backend, execute it once and time the execution."""
    boto3, moto = _modules()
    with _dummy_credentials(), moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name=REGION)
        machine_arn = client.create_state_machine(
            name=f"bench-{workload.key}", definition=json.dumps(workload.definition), roleArn=ROLE_ARN
        )["stateMachineArn"]
        payload = json.dumps(workload.input)
        start = time.perf_counter()
        execution_arn = client.start_execution(stateMachineArn=machine_arn, name="run", input=payload)[
            "executionArn"
        ]
        while True:
            described = client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.perf_counter() - start > RUN_TIMEOUT_SECONDS:
                raise TimeoutError(f"moto: {workload.title} still RUNNING after {RUN_TIMEOUT_SECONDS:.0f} s")
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - start
        output_text = described.get("output")
        transitions = _count_entered(client, execution_arn) if read_history else None
    return MotoRun(
        seconds=seconds,
        status=described["status"],
        output=None if output_text is None else json.loads(output_text),
        error=described.get("error"),
        cause=described.get("cause"),
        transitions=transitions,
    )


@dataclass(frozen=True)
class MotoResult:
    sample: Sample
    first: MotoRun  # the first measured run (its output and history were checked)


def time_moto(
    workload: Workload, max_runs: int, budget_seconds: float, *, warmup: Workload | None = None
) -> MotoResult:
    """Up to ``max_runs`` moto executions of ``workload``, fewer once they took ``budget_seconds``.

    One run of ``warmup`` (a small workload of the same shape) comes first: it loads moto's
    interpreter code without spending a full-size run (moto may need a minute per full-size run).
    Only the first measured run reads the history (after its clock stopped).
    """
    if warmup is not None:
        run_once(warmup)
    first = run_once(workload, read_history=True)
    times = [first.seconds]
    while len(times) < max_runs and sum(times) < budget_seconds:
        times.append(run_once(workload).seconds)
    return MotoResult(Sample(tuple(times)), first)


def available() -> bool:
    """Whether moto and boto3 are installed (without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("boto3", "moto"))
