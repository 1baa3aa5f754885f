"""Checks of the JSONata expressions (``{% ... %}`` strings) of one JSONata state.

Every expression in every field that accepts JSONata is compiled with
:func:`heaviside.definition.jsonata.compile_jsonata`, and each one that does not parse is reported
at the exact string (``/States/A/Output/total``): all of them, not only the first. An expression
that compiles is then checked for misplaced ``$states`` fields (AWS rejects these when the state
machine is created):

* ``$states.result`` exists only in the ``Output`` and ``Assign`` of a Task, Parallel or Map state;
* ``$states.errorOutput`` exists only in a catcher's ``Output`` and ``Assign``.

The workflow variables each expression reads are recorded in the current scope for
:mod:`.variables` to resolve once the whole definition has been walked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from heaviside.definition.jsonata import STATES_FIELDS, JsonataExpression, compile_jsonata
from heaviside.definition.validation.context import Context
from heaviside.definition.validation.expressions import is_jsonata
from heaviside.definition.validation.schema import ALLOWED_FIELDS
from heaviside.errors import pointer_join

#: State-level fields whose strings (at any depth) may be JSONata expressions.
STATE_FIELDS: Final = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "Seconds", "Timestamp",
    "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency", "ToleratedFailureCount",
    "ToleratedFailurePercentage", "Error", "Cause", "Credentials", "ItemReader", "ItemBatcher",
    "ResultWriter",
)
#: States with a result, and the fields of theirs that may read ``$states.result``.
_RESULT_STATES: Final = frozenset(("Task", "Parallel", "Map"))
_RESULT_FIELDS: Final = frozenset(("Output", "Assign"))
_CATCHER_FIELDS: Final = ("Output", "Assign")
_RULE_FIELDS: Final = ("Condition", "Assign", "Output")


def check_jsonata_state(state_type: str, state: Mapping[str, Any], pointer: str, ctx: Context) -> None:
    """Compile every expression of a JSONata state; report syntax errors and misplaced ``$states`` fields."""
    allowed = ALLOWED_FIELDS[state_type]
    for name in STATE_FIELDS:
        if name in state and name in allowed:
            result = state_type in _RESULT_STATES and name in _RESULT_FIELDS
            check_jsonata_value(state[name], pointer_join(pointer, name), name, ctx, result=result)
    if "Catch" in allowed:
        for catcher, catcher_pointer in _objects(state.get("Catch"), pointer_join(pointer, "Catch")):
            for name in _CATCHER_FIELDS:
                if name in catcher:
                    value_pointer = pointer_join(catcher_pointer, name)
                    check_jsonata_value(catcher[name], value_pointer, name, ctx, error_output=True)
    if state_type == "Choice":
        for rule, rule_pointer in _objects(state.get("Choices"), pointer_join(pointer, "Choices")):
            for name in _RULE_FIELDS:
                if name in rule:
                    check_jsonata_value(rule[name], pointer_join(rule_pointer, name), name, ctx)


def check_jsonata_value(
    value: object, pointer: str, field: str, ctx: Context, *, result: bool = False, error_output: bool = False
) -> None:
    """Every ``{% %}`` string inside ``value`` (found at ``pointer``, AWS location ``field``).

    ``result``/``error_output`` say whether ``$states.result``/``$states.errorOutput`` exist there.
    """
    stack: list[tuple[object, str, str]] = [(value, pointer, field)]
    while stack:
        node, node_pointer, location = stack.pop()
        if isinstance(node, dict):
            stack.extend(
                (item, pointer_join(node_pointer, key), f"{location}/{key}") for key, item in node.items()
            )
        elif isinstance(node, list):
            stack.extend(
                (item, pointer_join(node_pointer, index), f"{location}[{index}]") for index, item in enumerate(node)
            )
        elif isinstance(node, str) and is_jsonata(node):
            expression = _compile(node, node_pointer, location, ctx)
            if expression is not None:
                _check_states_fields(expression, node_pointer, location, ctx, result, error_output)
                ctx.scope.references.extend((name, node_pointer) for name in sorted(expression.variables))


def _compile(text: str, pointer: str, location: str, ctx: Context) -> JsonataExpression | None:
    try:
        return compile_jsonata(text[2:-2])
    except Exception as exc:  # ExpressionSyntaxError; anything else must not stop validation either
        ctx.report(pointer, f"invalid JSONata expression in '{location}': {exc}")
        return None


def _check_states_fields(
    expression: JsonataExpression, pointer: str, location: str, ctx: Context, result: bool, error_output: bool
) -> None:
    fields = expression.states_fields
    if fields == STATES_FIELDS:
        return  # reads $states whole: only what exists here is there, and nothing names a missing field
    if "result" in fields and not result:
        ctx.report(
            pointer,
            f"'$states.result' is not available in '{location}': it can only be read in the 'Output' "
            "or 'Assign' of a Task, Parallel or Map state",
        )
    if "errorOutput" in fields and not error_output:
        ctx.report(
            pointer,
            f"'$states.errorOutput' is not available in '{location}': it can only be read in the "
            "'Output' or 'Assign' of a catcher",
        )


def _objects(items: object, pointer: str) -> list[tuple[Mapping[str, Any], str]]:
    """The object entries of ``items`` (when it is an array), with their pointers."""
    if not isinstance(items, list):
        return []
    return [(item, pointer_join(pointer, index)) for index, item in enumerate(items) if isinstance(item, dict)]
