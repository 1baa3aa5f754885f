"""Payload templates (``Parameters``, ``ResultSelector``, ``ItemSelector``, JSONPath ``Assign``).

A template is JSON in which every key ending in ``.$`` (at any depth, objects inside arrays
too) has its suffix stripped and its string value evaluated: a path (``$``, ``$$``, ``$var``)
or an intrinsic function call. Everything else is kept literally. Compiling turns the
template into a tree of small objects so that evaluating it never parses a string; a
subtree with nothing to evaluate is returned as is (values are never mutated in place).
"""

from __future__ import annotations

import json
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


class _Evaluated:
    """One ``key.$`` entry: evaluates its expression, naming the field when a path misses."""

    __slots__ = ("expression", "field")

    def __init__(self, field: str, expression: Any) -> None:
        self.field = field
        self.expression = expression

    def resolve(self, scope: Scope) -> JSON:
        try:
            return self.expression.resolve(scope)
        except PathNotFound:
            source = scope.context if self.expression.text.startswith("$$") else scope.data
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{self.expression.text}' specified for the field '{self.field}' "
                f"could not be found in the input '{_compact(source)}'",
            ) from None


class _ObjectTemplate:
    __slots__ = ("entries",)

    def __init__(self, entries: tuple[tuple[str, bool, Any], ...]) -> None:
        # (key, is_dynamic, literal value or compiled node)
        self.entries = entries

    def resolve(self, scope: Scope) -> JSON:
        return {key: (node.resolve(scope) if dynamic else node) for key, dynamic, node in self.entries}


class _ArrayTemplate:
    __slots__ = ("items",)

    def __init__(self, items: tuple[tuple[bool, Any], ...]) -> None:
        self.items = items

    def resolve(self, scope: Scope) -> JSON:
        return [node.resolve(scope) if dynamic else node for dynamic, node in self.items]


class Template:
    """A compiled payload template; ``resolve(scope)`` builds the effective value."""

    __slots__ = ("_node", "source")

    def __init__(self, source: JSON, node: Any) -> None:
        self.source = source
        self._node = node

    def resolve(self, scope: Scope) -> JSON:
        return self._node.resolve(scope)


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
        entries: list[tuple[str, bool, Any]] = []
        any_dynamic = False
        for key, child in value.items():
            if key.endswith(".$"):
                entries.append((key[:-2], True, _Evaluated(key, compile_expression(child))))
                any_dynamic = True
            else:
                child_dynamic, node = _compile_node(child)
                entries.append((key, child_dynamic, node))
                any_dynamic = any_dynamic or child_dynamic
        return (True, _ObjectTemplate(tuple(entries))) if any_dynamic else (False, value)
    if isinstance(value, list):
        items = [_compile_node(child) for child in value]
        if any(dynamic for dynamic, _ in items):
            return True, _ArrayTemplate(tuple(items))
        return False, value
    return False, value


def _compact(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
