"""Checks of the strings a definition evaluates: paths, reference paths, intrinsic calls, payload
templates (the ``.$`` convention), timestamps and variable names.

Paths are compiled with :mod:`heaviside.definition.paths`; intrinsic calls with
``heaviside.definition.intrinsics`` and timestamps with ``heaviside.definition.timestamps``
when those modules exist (they are imported lazily, so this module works without them).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from heaviside.definition.paths import compile_path, compile_reference_path
from heaviside.definition.validation.context import Context, describe, optional_module
from heaviside.errors import ExpressionSyntaxError, pointer_join

_INTRINSIC_SHAPE: Final = re.compile(r"^States\.[A-Za-z0-9_.]+\([\s\S]*\)$")
_RFC3339: Final = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
MAX_VARIABLE_NAME: Final = 80


def check_path(value: object, pointer: str, ctx: Context, field: str) -> None:
    """A JSONPath string (``$...``, ``$$...`` or ``$var...``); non-strings are left to the schema."""
    if isinstance(value, str):
        message = path_problem(value, field)
        if message is not None:
            ctx.report(pointer, message)


def path_problem(value: str, field: str) -> str | None:
    """Why ``value`` is not a valid path, or ``None``."""
    try:
        compile_path(value)
    except ExpressionSyntaxError as exc:
        return f"'{field}': {exc}"
    return None


def check_reference_path(value: object, pointer: str, ctx: Context, field: str) -> None:
    """A Reference Path (``ResultPath``): definite, rooted at ``$``; never the context object ``$$``."""
    if not isinstance(value, str):
        return
    if value.startswith("$$"):
        ctx.report(pointer, f"'{field}' cannot start with '$$': the context object is read-only")
        return
    try:
        compile_reference_path(value)
    except ExpressionSyntaxError as exc:
        ctx.report(pointer, f"'{field}': {exc}")


def check_expression(value: object, pointer: str, ctx: Context, field: str) -> None:
    """The value of a ``.$`` key (or ErrorPath/CausePath): a path or an intrinsic function call."""
    message = expression_problem(value, field)
    if message is not None:
        ctx.report(pointer, message)


def expression_problem(value: object, field: str) -> str | None:
    """Why ``value`` is neither a valid path nor a valid intrinsic call, or ``None``."""
    if not isinstance(value, str):
        wanted = "a string holding a path or an intrinsic function call"
        return f"'{field}' must be {wanted}, not {describe(value)}"
    if value.startswith("$"):
        return path_problem(value, field)
    message = intrinsic_problem(value)
    return None if message is None else f"'{field}': {message}"


def intrinsic_problem(text: str) -> str | None:
    """Why ``text`` is not a valid intrinsic function call, or ``None`` when it is."""
    intrinsics = optional_module("heaviside.definition.intrinsics")
    is_intrinsic = getattr(intrinsics, "is_intrinsic", None)
    compile_intrinsic = getattr(intrinsics, "compile_intrinsic", None)
    looks_like_call = text.lstrip().startswith("States.")
    if not looks_like_call and is_intrinsic is not None:
        looks_like_call = bool(is_intrinsic(text))
    if not looks_like_call:
        return (
            f'"{text}" is neither a path (starting with \'$\') nor an intrinsic function call '
            "such as States.Format(...)"
        )
    if compile_intrinsic is None:  # heaviside.definition.intrinsics not available: check the shape only
        return None if _INTRINSIC_SHAPE.match(text) else f'"{text}" is not a valid intrinsic function call'
    try:
        compile_intrinsic(text)
    except Exception as exc:  # ExpressionSyntaxError; anything else must not break validation either
        return str(exc)
    return None


def check_template(template: object, pointer: str, ctx: Context) -> None:
    """A payload template: at any depth, ``key.$`` holds a path or intrinsic call; no clashing keys.

    ``template`` must already be known to be an object (the schema reports it otherwise).
    """
    stack: list[tuple[Any, str]] = [(template, pointer)]
    while stack:
        node, node_pointer = stack.pop()
        if isinstance(node, list):
            stack.extend((item, pointer_join(node_pointer, index)) for index, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        produced: dict[str, str] = {}
        for key, value in node.items():
            name = str(key)  # pointers are only built when needed: this loop is hot
            if name.endswith(".$"):
                stripped = name[:-2]
                message = expression_problem(value, name)
                if message is not None:
                    ctx.report(pointer_join(node_pointer, key), message)
            else:
                stripped = name
                if isinstance(value, dict | list):
                    stack.append((value, pointer_join(node_pointer, key)))
            other = produced.get(stripped)
            if other is not None:
                message = f"'{name}' and '{other}' both produce the field '{stripped}'"
                ctx.report(pointer_join(node_pointer, key), message)
            else:
                produced[stripped] = name


def check_assign(assign: object, pointer: str, ctx: Context, language: str) -> None:
    """``Assign``: variable names valid; in JSONPath its ``.$`` values are a payload template."""
    if not isinstance(assign, dict):
        return
    for key in assign:
        name = str(key)
        variable = name[:-2] if language == "JSONPath" and name.endswith(".$") else name
        message = variable_name_problem(variable)
        if message is not None:
            ctx.report(pointer_join(pointer, key), message)
    if language == "JSONPath":
        check_template(assign, pointer, ctx)


def variable_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a workflow variable, or ``None`` when it can."""
    if name == "states":
        return "'states' is reserved and cannot be assigned as a variable"
    if not name.isidentifier() or name.startswith("_"):
        return (
            f"'{name}' is not a valid variable name: it must start with a letter and contain only "
            "letters, digits and underscores"
        )
    if len(name) > MAX_VARIABLE_NAME:
        return f"variable name '{name[:20]}...' is longer than {MAX_VARIABLE_NAME} characters"
    return None


def is_timestamp(text: object) -> bool:
    """RFC 3339 date-time with an uppercase ``T`` and ``Z`` or a numeric offset."""
    timestamps = optional_module("heaviside.definition.timestamps")
    parse = getattr(timestamps, "parse_timestamp", None)
    if parse is not None:
        try:
            return parse(text) is not None
        except Exception:
            return False
    if not isinstance(text, str):
        return False
    match = _RFC3339.match(text)
    if match is None:
        return False
    try:
        datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    hour, minute, second = (int(match.group(i)) for i in range(4, 7))
    return hour <= 23 and minute <= 59 and second <= 60


def is_jsonata(value: object) -> bool:
    """A string that is a JSONata expression (``{% ... %}``, no whitespace outside the delimiters)."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")
