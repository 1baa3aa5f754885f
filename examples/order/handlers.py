"""Lambda handlers for the order workflow (plain functions: event, context -> result)."""

from typing import Any

_PRICES = {"book": 12.5, "lamp": 40.0, "mug": 8.0}
_charge_calls: dict[str, int] = {}


class InvalidOrder(Exception):
    """The order cannot be processed."""


class PaymentGatewayTimeout(Exception):
    """The payment provider did not answer in time (transient)."""


class OutOfStock(Exception):
    """An item is not available."""


def validate_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    items = event.get("items") or []
    if not items:
        raise InvalidOrder("an order needs at least one item")
    unknown = [item["sku"] for item in items if item["sku"] not in _PRICES]
    if unknown:
        raise InvalidOrder(f"unknown products: {', '.join(unknown)}")
    total = sum(_PRICES[item["sku"]] * item["quantity"] for item in items)
    return {"total": round(total, 2)}


def charge_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails with PaymentGatewayTimeout on the first two calls for an order, then succeeds."""
    order = event["orderId"]
    _charge_calls[order] = _charge_calls.get(order, 0) + 1
    if _charge_calls[order] <= 2:
        raise PaymentGatewayTimeout(f"gateway timed out (attempt {event['attempt'] + 1})")
    return {"chargeId": f"ch_{order}", "amount": event["amount"], "attempts": _charge_calls[order]}


def reserve_inventory(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for item in event["items"]:
        if item["quantity"] > 10:
            raise OutOfStock(f"only 10 of {item['sku']} in stock")
    return {"reservationId": "res_" + "_".join(item["sku"] for item in event["items"])}


def ship_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"orderId": event["orderId"], "trackingNumber": f"TRK-{event['orderId']}", "status": "SHIPPED",
            "chargeId": event["chargeId"], "reservationId": event["reservationId"]}


def compensate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"orderId": event["orderId"], "refunded": True, "reason": event["reason"]}
