"""The examples tested the way a heaviside user tests their own state machines: the pytest plugin's
``state_machine`` fixture, mocks in place of flaky services, a virtual clock and the path taken.
(``pytest --heaviside-coverage tests/examples`` reports what these runs exercised.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from heaviside.cli import load_handlers
from heaviside.testing.machine import Return, StateMachineTest, Throw

EXAMPLES = Path(__file__).parents[2] / "examples"
Factory = Callable[..., StateMachineTest]


def example(state_machine: Factory, name: str, *, without: tuple[str, ...] = ()) -> StateMachineTest:
    handlers = load_handlers(str(EXAMPLES / name / "handlers.py"))
    for mocked in without:
        del handlers[mocked]
    return state_machine(EXAMPLES / name / f"{name}.asl.json", handlers=handlers)


ORDER = {"orderId": "T-1", "items": [{"sku": "book", "quantity": 2}, {"sku": "mug", "quantity": 1}]}


def test_order_payment_retried_until_the_gateway_answers(state_machine: Factory) -> None:
    machine = example(state_machine, "order", without=("charge_payment",))
    machine.mock("ChargePayment", Throw("PaymentGatewayTimeout"), Throw("PaymentGatewayTimeout"),
                 Return({"StatusCode": 200, "Payload": {"chargeId": "ch_T-1", "attempts": 3}}))
    run = machine.run(ORDER)
    run.assert_succeeded({"orderId": "T-1", "trackingNumber": "TRK-T-1", "status": "SHIPPED",
                          "chargeId": "ch_T-1", "reservationId": "res_book_mug"})
    assert [call.attempt for call in run.calls("ChargePayment")] == [0, 1, 2]
    assert run.calls("ChargePayment")[0].input == {"orderId": "T-1", "amount": 33.0, "attempt": 0}
    run.assert_not_entered("Compensate")


def test_order_a_declined_card_is_compensated(state_machine: Factory) -> None:
    machine = example(state_machine, "order", without=("charge_payment",))
    run = machine.mock("ChargePayment", Throw("CardDeclined", "insufficient funds")).run(ORDER)
    run.assert_failed("OrderFailed", "order T-1 was rolled back")
    run.assert_entered("Compensate", times=1)
    assert run.calls("Compensate")[0].input == {"orderId": "T-1", "reason": "CardDeclined"}


def test_order_payment_gateway_down_for_good(state_machine: Factory) -> None:
    machine = example(state_machine, "order", without=("charge_payment",))
    run = machine.mock("ChargePayment", *[Throw("PaymentGatewayTimeout")] * 5).run(ORDER)
    run.assert_failed("OrderFailed")
    assert len(run.calls("ChargePayment")) == 5  # the first try and MaxAttempts 4 retries


def test_polling_waits_between_polls_on_the_virtual_clock(state_machine: Factory) -> None:
    run = example(state_machine, "polling").run({"name": "nightly-copy", "pollSeconds": 600})
    run.assert_succeeded({"jobId": "job-nightly-copy", "polls": 3, "result": {"rowsCopied": 4500}})
    assert run.path.count("WaitForJob") == 3 and run.elapsed >= timedelta(seconds=1800)


def test_polling_job_failure_ends_the_execution(state_machine: Factory) -> None:
    machine = example(state_machine, "polling", without=("poll_job",))
    failed = {"StatusCode": 200, "Payload": {"jobId": "j", "status": "FAILED", "reason": "disk full", "polls": 1}}
    run = machine.mock("PollJob", Return(failed["Payload"])).run({"name": "j", "pollSeconds": 60})
    run.assert_failed("JobFailed", "disk full")


def test_etl_one_task_per_batch_with_a_pause_between(state_machine: Factory) -> None:
    run = example(state_machine, "etl").run({"source": "s3://x/y.csv", "totalRecords": 3000, "batchSize": 1000,
                                              "pauseSeconds": 3600})
    run.assert_succeeded()
    assert [call.input["cursor"] for call in run.calls("ProcessBatch")] == [0, 1000, 2000]
    run.assert_entered("PauseBetweenBatches", times=2)
    assert run.elapsed >= timedelta(hours=2)


def test_invoice_small_orders_skip_the_review(state_machine: Factory) -> None:
    run = example(state_machine, "invoice").run({"orderId": "o-1"})
    run.assert_succeeded({"customer": "Ada", "lines": 2, "total": 105.75, "status": "APPROVED"})
    run.assert_not_entered("RequestReview")


def test_invoice_large_orders_go_to_review(state_machine: Factory) -> None:
    run = example(state_machine, "invoice").run({"orderId": "o-2"})
    run.assert_succeeded()
    assert run.output["status"] == "PENDING_REVIEW"
    run.assert_entered("RequestReview", times=1)
    assert run.calls("RequestReview")[0].input == {"customer": "Grace", "total": 1400}


