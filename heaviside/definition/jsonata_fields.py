"""Compile a JSONata state's expression fields (``Output``, ``Arguments``, ``Items``...).

Every field that accepts JSONata is compiled once into a ``JsonataValue`` named by its
location (``Output``, ``Arguments``, ``Seconds``...), the way AWS names it in
``States.QueryEvaluationError`` causes. The engine's JSONata language evaluates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from heaviside.definition.jsonata_values import JsonataValue, compile_jsonata_value
from heaviside.definition.model import JsonataFields
from heaviside.errors import DefinitionError, ExpressionSyntaxError, Problem, pointer_join

#: ASL field -> JsonataFields attribute.
_FIELDS: Final = {
    "Output": "output",
    "Arguments": "arguments",
    "Items": "items",
    "ItemSelector": "item_selector",
    "MaxConcurrency": "max_concurrency",
    "ToleratedFailureCount": "tolerated_failure_count",
    "ToleratedFailurePercentage": "tolerated_failure_percentage",
    "Seconds": "seconds",
    "Timestamp": "timestamp",
    "TimeoutSeconds": "timeout_seconds",
    "HeartbeatSeconds": "heartbeat_seconds",
    "Error": "error",
    "Cause": "cause",
}


def jsonata_field(spec: Mapping[str, Any], key: str) -> JsonataValue | None:
    """The compiled value of ``spec[key]`` (None when absent); raises ExpressionSyntaxError."""
    if key not in spec:
        return None
    return compile_jsonata_value(spec[key], key)


def jsonata_fields(spec: Mapping[str, Any], pointer: str) -> JsonataFields:
    """All JSONata expression fields of one state (``pointer`` locates it for problems)."""
    values: dict[str, Any] = {}
    expressions: list[Any] = []
    for key, attribute in _FIELDS.items():
        if key in spec:
            values[attribute] = _compiled(spec, key, pointer_join(pointer, key))
            expressions.extend(values[attribute].expressions)
    nested: list[tuple[Mapping[str, Any], str, tuple[str, ...]]] = [(spec, pointer, ("Assign",))]
    nested += [(c, pointer_join(pointer, "Catch", i), ("Assign", "Output"))
               for i, c in enumerate(spec.get("Catch", ()))]
    nested += [(r, pointer_join(pointer, "Choices", i), ("Condition", "Assign", "Output"))
               for i, r in enumerate(spec.get("Choices", ()))]
    for holder, holder_pointer, keys in nested:
        for key in keys:
            if key in holder:
                expressions.extend(_compiled(holder, key, pointer_join(holder_pointer, key)).expressions)
    reads_context = any("context" in e.states_fields for e in expressions)
    return JsonataFields(**values, reads_context=reads_context)


def _compiled(spec: Mapping[str, Any], key: str, pointer: str) -> JsonataValue:
    try:
        return compile_jsonata_value(spec[key], key)
    except ExpressionSyntaxError as exc:
        raise DefinitionError([Problem(pointer, str(exc))]) from None
