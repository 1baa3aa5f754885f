"""Lambda handlers for the order workflow.

Each public function is one Task's Lambda (``handlers.<name>``); ``@task`` lets it run the control
flow after its Task on AWS or the emulator, and passes any other event through, so the same
functions also serve ``heaviside run --handlers``.
"""

from typing import Any

from heaviside import task

_PRICES = {"book": 12.5, "lamp": 40.0, "mug": 8.0}
_FAILING_ATTEMPTS = 2  # the payment gateway times out on the first two attempts of every order


class InvalidOrder(Exception):
    """The order cannot be processed."""


class PaymentGatewayTimeout(Exception):
    """The payment provider did not answer in time (transient)."""


class OutOfStock(Exception):
    """An item is not available."""


@task
def validate_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    items = event.get("items") or []
    if not items:
        raise InvalidOrder("an order needs at least one item")
    unknown = [item["sku"] for item in items if item["sku"] not in _PRICES]
    if unknown:
        raise InvalidOrder(f"unknown products: {', '.join(unknown)}")
    total = sum(_PRICES[item["sku"]] * item["quantity"] for item in items)
    return {"total": round(total, 2)}


@task
def charge_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails with PaymentGatewayTimeout on the first two attempts of an order, then succeeds.

    ``attempt`` is the Task's ``$$.State.RetryCount`` (0 on the first try), so every execution
    sees the same two retries, however many run in one process or on however many Lambdas.
    """
    order, attempt = event["orderId"], event["attempt"]
    if attempt < _FAILING_ATTEMPTS:
        raise PaymentGatewayTimeout(f"gateway timed out (attempt {attempt + 1})")
    return {"chargeId": f"ch_{order}", "amount": event["amount"], "attempts": attempt + 1}


@task
def reserve_inventory(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for item in event["items"]:
        if item["quantity"] > 10:
            raise OutOfStock(f"only 10 of {item['sku']} in stock")
    return {"reservationId": "res_" + "_".join(item["sku"] for item in event["items"])}


@task
def ship_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"orderId": event["orderId"], "trackingNumber": f"TRK-{event['orderId']}", "status": "SHIPPED",
            "chargeId": event["chargeId"], "reservationId": event["reservationId"]}


@task
def compensate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"orderId": event["orderId"], "refunded": True, "reason": event["reason"]}
