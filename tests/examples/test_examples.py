"""Every example in ``examples/`` with every input file in its folder, locally and on the emulator.

Handlers are loaded with the CLI's own loader (what ``--handlers`` does), so these tests also prove
that the ``@task``-decorated functions serve as plain local handlers and as deployed task Lambdas.
Each input has a hard-coded expected outcome and path (states entered, with counts); both backends
must produce exactly that, and so agree with each other.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from heaviside.cli import load_all_handlers, load_handlers
from heaviside.cli_remote import wait_for_end
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runner import run_local
from heaviside.runtime.execution import ExecutionRecord
from tests.examples.callbacks_support import CALLBACK_CASES, CALLBACK_HANDLERS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BACKENDS = ("local", "emulator")

#: The public functions of each handlers.py: the Lambda functions the deployment template names.
HANDLERS = {
    "order": {"validate_order", "charge_payment", "reserve_inventory", "ship_order", "compensate"},
    "polling": {"start_job", "poll_job"},
    "invoice": {"load_order", "request_review"},
    "etl": {"open_export", "process_batch", "close_export"},
}


@dataclass(frozen=True)
class Expected:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: dict[str, int] = field(default_factory=dict)  # every state entered -> how many times


EXPECTED: dict[str, Expected] = {
    "order/input.json": Expected(
        "SUCCEEDED",
        output={"orderId": "A-1001", "trackingNumber": "TRK-A-1001", "status": "SHIPPED", "chargeId": "ch_A-1001",
                "reservationId": "res_book_mug"},
        states={"ValidateOrder": 1, "ChargeAndReserve": 1, "ChargePayment": 1, "ReserveInventory": 1,
                "ShipOrder": 1}),
    "order/input-out-of-stock.json": Expected(
        "FAILED", error="OrderFailed", cause="order A-1002 was rolled back",
        states={"ValidateOrder": 1, "ChargeAndReserve": 1, "ChargePayment": 1, "ReserveInventory": 1,
                "Compensate": 1, "OrderFailed": 1}),
    "polling/input.json": Expected(
        "SUCCEEDED", output={"jobId": "job-nightly-copy", "polls": 3, "result": {"rowsCopied": 4500}},
        states={"StartJob": 1, "WaitForJob": 3, "PollJob": 3, "IsJobDone": 3, "JobSucceeded": 1}),
    "polling/input-timeout.json": Expected(
        "TIMED_OUT", error="States.Timeout", cause="The execution exceeded its TimeoutSeconds of 86400 seconds",
        # polls at 10 h and 20 h; the third Wait would end at 30 h, after the 24 h execution timeout
        states={"StartJob": 1, "WaitForJob": 3, "PollJob": 2, "IsJobDone": 2}),
    "invoice/input.json": Expected(
        "SUCCEEDED", output={"customer": "Ada", "lines": 2, "total": 105.75, "status": "APPROVED"},
        states={"LoadOrder": 1, "PriceLines": 1, "ApplyDiscount": 2, "NeedsReview": 1, "Invoice": 1}),
    "invoice/input-large.json": Expected(
        "SUCCEEDED", output={"customer": "Grace", "lines": 1, "total": 1400, "status": "PENDING_REVIEW"},
        states={"LoadOrder": 1, "PriceLines": 1, "ApplyDiscount": 1, "NeedsReview": 1, "RequestReview": 1,
                "Invoice": 1}),
    "etl/input.json": Expected(
        "SUCCEEDED",
        output={"exportId": "orders-2024", "destination": "s3://example-warehouse/orders-2024/", "records": 7500,
                "batches": 6, "retries": 1, "amount": "3752582.37", "checksum": "crc32:d646fbe4",
                "elapsedSeconds": 5 * 1800 + 30, "elapsed": "2h 30m 30s"},  # 5 pauses + one 30 s retry interval
        states={"OpenExport": 1, "ProcessBatch": 6, "MoreToDo": 6, "PauseBetweenBatches": 5, "CloseExport": 1}),
    "etl/input-days.json": Expected(
        "SUCCEEDED",
        output={"exportId": "clickstream-2024-q3", "destination": "s3://example-warehouse/clickstream-2024-q3/",
                "records": 240000, "batches": 6, "retries": 0, "amount": "120115701.02",
                "checksum": "crc32:ee298287", "elapsedSeconds": 5 * 28800, "elapsed": "1d 16h 0m 0s"},
        states={"OpenExport": 1, "ProcessBatch": 6, "MoreToDo": 6, "PauseBetweenBatches": 5, "CloseExport": 1}),
    "etl/input-corrupt.json": Expected(
        "FAILED", error="CorruptRecord",
        cause="export refunds-2024 stopped at record 2000 of 4000 after 2 batches; resume with startAt 2000",
        states={"OpenExport": 1, "ProcessBatch": 3, "MoreToDo": 2, "PauseBetweenBatches": 2, "ExportFailed": 1}),
}


@dataclass(frozen=True)
class Outcome:
    """What one execution did, the same shape for both backends."""

    status: str
    output: Any
    error: str | None
    cause: str | None
    path: list[str]
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, record: ExecutionRecord) -> Outcome:
        return cls(record.status, record.output, record.error, record.cause, record.state_path(), record.history())

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]

    def exited(self, state: str) -> list[Any]:
        """The outputs of every exit from ``state``."""
        return [json.loads(event["stateExitedEventDetails"]["output"]) for event in self.history
                if event["type"].endswith("StateExited") and event["stateExitedEventDetails"]["name"] == state]


def definition_of(example: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / example / f"{example}.asl.json").read_text())
    return loaded


def input_of(case: str) -> Any:
    return json.loads((EXAMPLES / case).read_text())


def handlers_file(example: str) -> str:
    return str(EXAMPLES / example / "handlers.py")


class Runs:
    """Each case run once per backend (on demand), shared by the tests that look at it."""

    def __init__(self, deployment: EmulatedDeployment) -> None:
        self.deployment = deployment
        self._done: dict[tuple[str, str], Outcome] = {}

    def get(self, backend: str, case: str) -> Outcome:
        key = (backend, case)
        if key not in self._done:
            self._done[key] = self._local(case) if backend == "local" else self._emulated(case)
        return self._done[key]

    @staticmethod
    def _local(case: str) -> Outcome:
        example = case.split("/")[0]
        record = run_local(definition_of(example), input_of(case), handlers=load_handlers(handlers_file(example)),
                           skip_waits=True, state_machine_name=example)
        return Outcome.of(record)

    def _emulated(self, case: str) -> Outcome:
        example, deployment = case.split("/")[0], self.deployment
        name = f"{example}-{uuid.uuid4().hex[:12]}"
        response = deployment.client("lambda").invoke(
            FunctionName=deployment.runtime.config.invoker,
            Payload=json.dumps({"definition": definition_of(example), "input": input_of(case), "name": name,
                                "stateMachine": example}))
        assert "FunctionError" not in response, response["Payload"].read()
        arn = json.loads(response["Payload"].read())["executionArn"]
        assert wait_for_end(deployment.runtime.executions, arn, timeout=60) is not None, f"{arn} still running"
        record = deployment.runtime.record(arn)
        if not record.succeeded:
            # Let work a failed execution left behind (a cancelled branch's pending retry) drain: the deployment's
            # virtual clock is shared, and a late delivery would move it during the next execution.
            assert deployment.emulator.wait_idle(timeout=30)
        return Outcome.of(record)


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    """One emulated deployment serving every example's handlers (their names do not clash)."""
    files = [handlers_file(example) for example in HANDLERS]
    handlers = load_all_handlers(files)
    assert len(handlers) == sum(len(names) for names in HANDLERS.values())
    with EmulatedDeployment(handlers, skip_waits=True, name=f"examples-{uuid.uuid4().hex[:8]}") as deployment:
        yield Runs(deployment)


# ---------------------------------------------------------------------- the examples' files


def test_every_input_file_has_an_expected_outcome() -> None:
    # the callback examples' inputs need answers to their tokens: tests/examples/test_callback_examples.py runs them
    inputs = {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.glob("*/input*.json")}
    assert inputs == set(EXPECTED) | set(CALLBACK_CASES)
    assert {path.parent.name for path in EXAMPLES.glob("*/*.asl.json")} == set(HANDLERS) | set(CALLBACK_HANDLERS)


@pytest.mark.parametrize("example", sorted(HANDLERS))
def test_handlers_are_the_public_functions_and_all_are_tasks(example: str) -> None:
    handlers = load_handlers(handlers_file(example))
    assert set(handlers) == HANDLERS[example]  # no helper and no exception class is taken for a handler
    assert all(getattr(handler, "__heaviside_task__", False) for handler in handlers.values())


# ---------------------------------------------------------------------- outcomes on both backends


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_outcome_locally_and_on_the_emulator(runs: Runs, case: str) -> None:
    expected = EXPECTED[case]
    outcomes = {backend: runs.get(backend, case) for backend in BACKENDS}
    for backend, outcome in outcomes.items():
        got = (outcome.status, outcome.output, outcome.error, outcome.cause)
        assert got == (expected.status, expected.output, expected.error, expected.cause), backend
        assert Counter(outcome.path) == Counter(expected.states), backend
    local, emulated = outcomes["local"], outcomes["emulator"]
    assert (local.status, local.output, local.error, local.cause) == (
        emulated.status, emulated.output, emulated.error, emulated.cause)


# ---------------------------------------------------------------------- the paths that matter


@pytest.mark.parametrize("backend", BACKENDS)
def test_order_charge_fails_twice_and_is_retried(runs: Runs, backend: str) -> None:
    outcome = runs.get(backend, "order/input.json")
    failed = outcome.events("TaskFailed")
    assert [event["taskFailedEventDetails"]["error"] for event in failed] == ["PaymentGatewayTimeout"] * 2
    attempts = [json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]["attempt"]
                for event in outcome.events("TaskScheduled")]
    assert attempts == [0, 1, 2]
    assert outcome.exited("ChargePayment") == [{"chargeId": "ch_A-1001", "attempts": 3}]


@pytest.mark.parametrize("backend", BACKENDS)
def test_order_out_of_stock_is_compensated(runs: Runs, backend: str) -> None:
    outcome = runs.get(backend, "order/input-out-of-stock.json")
    assert "ShipOrder" not in outcome.path
    assert outcome.path[-2:] == ["Compensate", "OrderFailed"]
    assert outcome.exited("Compensate") == [{"orderId": "A-1002", "refunded": True, "reason": "OutOfStock"}]


@pytest.mark.parametrize("backend", BACKENDS)
def test_polling_loops_until_the_job_is_done(runs: Runs, backend: str) -> None:
    outcome = runs.get(backend, "polling/input.json")
    assert outcome.path == ["StartJob", *["WaitForJob", "PollJob", "IsJobDone"] * 3, "JobSucceeded"]
    assert [job["job"]["status"] for job in outcome.exited("PollJob")] == ["RUNNING", "RUNNING", "SUCCEEDED"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ["etl/input.json", "etl/input-days.json"])
def test_etl_runs_one_task_per_batch_with_a_wait_between(runs: Runs, backend: str, case: str) -> None:
    request, outcome = input_of(case), runs.get(backend, case)
    batches = math.ceil(request["totalRecords"] / request["batchSize"])
    assert outcome.path.count("ProcessBatch") == batches
    assert outcome.path.count("PauseBetweenBatches") == batches - 1
    assert outcome.path == ["OpenExport", *["ProcessBatch", "MoreToDo", "PauseBetweenBatches"] * (batches - 1),
                            "ProcessBatch", "MoreToDo", "CloseExport"]
    waits = outcome.events("WaitStateEntered")
    assert len(waits) == batches - 1
    # Only the cursor and running totals travel between batches, never the records.
    progress = outcome.exited("ProcessBatch")
    assert [state["cursor"] for state in progress] == [
        min((index + 1) * request["batchSize"], request["totalRecords"]) for index in range(batches)]
    assert all(set(state) == {"cursor", "done", "totals"} for state in progress)
    assert max(len(json.dumps(state)) for state in progress) < 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_etl_retries_a_throttled_batch(runs: Runs, backend: str) -> None:
    outcome = runs.get(backend, "etl/input.json")
    assert [event["taskFailedEventDetails"]["error"] for event in outcome.events("TaskFailed")] == ["SourceThrottled"]
    attempts = [json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]["attempt"]
                for event in outcome.events("TaskScheduled")]
    assert attempts == [0, 0, 0, 0, 1, 0, 0]  # batches 0-2, batch 3 twice (throttled once), 4, 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_etl_corrupt_record_stops_at_the_failing_batchs_cursor(runs: Runs, backend: str) -> None:
    outcome = runs.get(backend, "etl/input-corrupt.json")
    assert outcome.path[-2:] == ["ProcessBatch", "ExportFailed"]
    assert [event["taskFailedEventDetails"]["error"] for event in outcome.events("TaskFailed")] == ["CorruptRecord"]
