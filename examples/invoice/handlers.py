"""Lambda handlers for the JSONata invoice workflow.

Each public function is one Task's Lambda; ``@task`` passes events that are not heaviside's
through, so ``heaviside run --handlers`` calls them as plain functions.
"""

from typing import Any

from heaviside import task

_ORDERS = {
    "o-1": {"customer": {"name": "Ada", "tier": "gold"},
            "lines": [{"sku": "lamp", "qty": 2, "price": 40.0}, {"sku": "book", "qty": 3, "price": 12.5}]},
    "o-2": {"customer": {"name": "Grace", "tier": "silver"},
            "lines": [{"sku": "desk", "qty": 4, "price": 350.0}]},
}


class OrderNotFound(Exception):
    """No such order."""


@task
def load_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order = _ORDERS.get(event["orderId"])
    if order is None:
        raise OrderNotFound(event["orderId"])
    return order


@task
def request_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ticket": f"REV-{event['customer']}", "total": event["total"]}
