"""Payload templates (``Parameters``, ``ResultSelector``, ``ItemSelector``, JSONPath ``Assign``).

A template is JSON in which every key ending in ``.$`` (at any depth, objects inside arrays
too) has its suffix stripped and its string value evaluated: a path (``$``, ``$$``, ``$var``)
or an intrinsic function call. Everything else is kept literally. Compiling turns the
template into a tree of small objects so that evaluating it never parses a string; a
subtree with nothing to evaluate is returned as is (values are never mutated in place).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from heaviside.definition.intrinsics import compile_intrinsic
from heaviside.definition.paths import Path, PathNotFound, Scope, compile_path
from heaviside.errors import RUNTIME, ExpressionSyntaxError, StatesError
from heaviside.types import JSON


def compile_expression(text: object) -> Path | Any:
    """Compile the value of a ``.$`` key: a path or an intrinsic function call."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"the value of a '.$' field must be a string, not {json.dumps(text)}")
    if text.startswith("$"):
        return compile_path(text)
    if text.startswith("States."):
        return compile_intrinsic(text)
    raise ExpressionSyntaxError(f"'{text}' is neither a path (starting with '$') nor an intrinsic function call")


def _missing_field(field: str, text: str, scope: Scope) -> StatesError:
    source = scope.context if text.startswith("$$") else scope.data
    return StatesError(
        RUNTIME,
        f"The JSONPath '{text}' specified for the field '{field}' could not be found in the input "
        f"'{_compact(source)}'",
    )


class _ObjectTemplate:
    """An object with at least one evaluated field, resolved in one dict comprehension."""

    __slots__ = ("entries", "fields")

    def __init__(self, entries: tuple[tuple[str, Any, JSON], ...], fields: dict[str, str]) -> None:
        # (key, resolver or None, literal value); ``fields`` maps a path's text to its ``key.$``.
        self.entries = entries
        self.fields = fields

    def resolve(self, scope: Scope) -> JSON:
        try:
            return {key: (literal if resolve is None else resolve(scope)) for key, resolve, literal in self.entries}
        except PathNotFound as miss:
            raise _missing_field(self.fields.get(miss.path, miss.path), miss.path, scope) from None


class _ArrayTemplate:
    __slots__ = ("items",)

    def __init__(self, items: tuple[tuple[Any, JSON], ...]) -> None:
        self.items = items

    def resolve(self, scope: Scope) -> JSON:
        return [literal if resolve is None else resolve(scope) for resolve, literal in self.items]


class Template:
    """A compiled payload template; ``resolve(scope)`` builds the effective value."""

    __slots__ = ("resolve", "source")

    def __init__(self, source: JSON, node: Any) -> None:
        self.source = source
        #: Evaluate against a scope (bound straight to the root node: one call per use).
        self.resolve: Callable[[Scope], JSON] = node.resolve


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value: JSON) -> None:
        self.value = value

    def resolve(self, scope: Scope) -> JSON:
        return self.value


def compile_template(source: JSON) -> Template:
    """Compile a payload template. Raises :class:`ExpressionSyntaxError` on a bad ``.$`` value."""
    dynamic, node = _compile_node(source)
    return Template(source, node if dynamic else _Literal(source))


def _compile_node(value: JSON) -> tuple[bool, Any]:
    """Returns (is_dynamic, node): literal subtrees come back unchanged with False."""
    if isinstance(value, dict):
        entries: list[tuple[str, Any, JSON]] = []
        fields: dict[str, str] = {}
        for key, child in value.items():
            if key.endswith(".$"):
                expression = compile_expression(child)
                entries.append((key[:-2], expression.resolve, None))
                fields.setdefault(expression.text, key)
            else:
                child_dynamic, node = _compile_node(child)
                entries.append((key, node.resolve if child_dynamic else None, node))
        if any(resolve is not None for _, resolve, _ in entries):
            return True, _ObjectTemplate(tuple(entries), fields)
        return False, value
    if isinstance(value, list):
        items = [_compile_node(child) for child in value]
        if any(dynamic for dynamic, _ in items):
            return True, _ArrayTemplate(tuple((node.resolve if dynamic else None, node) for dynamic, node in items))
        return False, value
    return False, value


def _compact(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
