"""Make moto's DynamoDB ``Query`` cost what DynamoDB's does: the queried partition, not the table.

moto 5's ``Table.query`` on the base table gathers its candidates from ``all_items()``, which
sorts every item of the table, then keeps those of the queried partition. heaviside's tables
hold ~110 items per execution, so under load (the 1,000-execution benchmark) each join read
took longer than the last, and — DynamoDB requests going through moto one at a time — held up
every other request. :func:`install` makes a base-table query see only its partition; the
results (order, paging, filters, projections) are moto's own, computed by moto's code.

Installed once per process by the emulator. Index queries are left as they are.
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False
_lock = threading.Lock()


class _OnePartition:
    """The table as ``Table.query`` sees it: every attribute its own, ``all_items`` one partition."""

    def __init__(self, table: Any, hash_key: Any) -> None:
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        partition = self._table.items.get(self._hash_key)
        if partition is None:
            return []
        if self._table.range_key_attr:
            return sorted(partition.values(), key=lambda item: item.range_key)
        return [partition]


def install() -> None:
    """Patch ``moto.dynamodb.models.table.Table.query`` (idempotent; a no-op if moto changed shape)."""
    global _installed
    with _lock:
        if _installed:
            return
        try:
            from moto.dynamodb.models.table import Table
        except ImportError:  # pragma: no cover - moto is a dependency of the emulator
            return
        original: Any = Table.query
        if not hasattr(Table, "all_items"):  # pragma: no cover - a moto that works differently
            return

        def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
            if index_name or hash_key is None or not isinstance(getattr(self, "items", None), dict):
                return original(self, hash_key, *args, **kwargs)
            return original(_OnePartition(self, hash_key), hash_key, *args, **kwargs)

        Table.query = query  # type: ignore[method-assign]
        _installed = True
