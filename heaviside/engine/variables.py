"""Committing ``Assign`` results to the workflow variables, with Step Functions' size limits.

All bindings of one ``Assign`` are computed against the values at state entry and committed
together when the state exits (the caller does that by evaluating first, then calling
:func:`commit`). Limits: one variable at most 256 KiB, one ``Assign`` block at most 256 KiB
(as compact JSON, UTF-8). Going over fails the state with ``States.DataLimitExceeded``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from heaviside.errors import DATA_LIMIT_EXCEEDED, QUERY_EVALUATION_ERROR, StatesError
from heaviside.types import JSON

VARIABLE_LIMIT_BYTES: Final = 256 * 1024
ASSIGN_LIMIT_BYTES: Final = 256 * 1024


def commit(variables: Mapping[str, JSON], assigned: JSON, state: str) -> Mapping[str, JSON]:
    """The variables after ``state`` assigned ``assigned`` (an object of name -> value)."""
    if not isinstance(assigned, dict):
        raise StatesError(QUERY_EVALUATION_ERROR, f"The Assign field of state '{state}' must evaluate to an object")
    if not assigned:
        return variables
    total = 0
    for name, value in assigned.items():
        size = _size(value)
        if size > VARIABLE_LIMIT_BYTES:
            raise StatesError(
                DATA_LIMIT_EXCEEDED,
                f"The variable '{name}' assigned in state '{state}' is {size} bytes, over the "
                f"{VARIABLE_LIMIT_BYTES} bytes (256 KiB) limit of one variable",
            )
        total += size
    if total > ASSIGN_LIMIT_BYTES:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The Assign of state '{state}' is {total} bytes, over the {ASSIGN_LIMIT_BYTES} bytes (256 KiB) "
            "limit of one Assign block",
        )
    return {**variables, **assigned}


def _size(value: JSON) -> int:
    if value is None or isinstance(value, bool | int | float):
        return 8  # cheap: scalars are tiny
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text) if len(text) * 4 <= VARIABLE_LIMIT_BYTES else len(text.encode("utf-8"))
