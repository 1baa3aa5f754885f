"""JSON values holding ``{% ... %}`` strings (Arguments, Output, Assign, ItemSelector, Items, ...).

A string is a JSONata expression only when the WHOLE string is ``{% ... %}`` (no whitespace outside
the delimiters); every other string is a literal, even one containing ``{%``. Objects and arrays
are walked at any depth; keys are always literal. A value is compiled once into an evaluator:

* a value without expressions evaluates to itself (the very object, never a copy);
* otherwise each object or array holding an expression is rebuilt per evaluation (a shallow copy
  of the template with the expression slots filled in; constant parts are shared, not copied).

Unlike JSONata's own object constructor (``{% {'a': $nope} %}`` silently drops ``a``), an
expression of the template that evaluates to undefined is an error naming its location, as AWS
reports it: ``Output/total``, ``Arguments/FunctionName``, ``Assign/result``; an array element adds
``[i]`` (``Output/items[0]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from heaviside.definition.jsonata import JsonataEnv, JsonataExpression, JsonataSyntaxError, compile_jsonata
from heaviside.types import JSON

Evaluator = Callable[[JsonataEnv], JSON]


def is_jsonata_string(value: object) -> bool:
    """True for a string that starts with ``{%`` and ends with ``%}`` (nothing outside them)."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


@dataclass(frozen=True, slots=True, eq=False)
class JsonataValue:
    """A compiled JSON value. Build it with :func:`compile_jsonata_value`."""

    source: JSON  # the value as the definition gives it
    expressions: tuple[JsonataExpression, ...]  # every expression inside, in document order
    _evaluate: Evaluator | None = field(repr=False)  # None: a constant

    @property
    def is_constant(self) -> bool:
        """True when the value holds no expression (it evaluates to ``source`` itself)."""
        return self._evaluate is None

    def evaluate(self, env: JsonataEnv) -> JSON:
        """The value for ``env``; raises ``States.QueryEvaluationError`` naming the failing location."""
        return self.source if self._evaluate is None else self._evaluate(env)


def compile_jsonata_value(value: JSON, field: str) -> JsonataValue:
    """Compile ``value`` found at ``field`` (``Output``, ``Arguments``, ``Items``, ...).

    Raises :class:`~heaviside.definition.jsonata.JsonataSyntaxError` (an ``ExpressionSyntaxError``)
    naming the field and carrying the ``path`` (keys and indices) below it.
    """
    expressions: list[JsonataExpression] = []
    evaluate = _compile(value, field, (), expressions)
    return JsonataValue(value, tuple(expressions), evaluate)


def _compile(value: JSON, location: str, path: tuple[str | int, ...],
             expressions: list[JsonataExpression]) -> Evaluator | None:
    if isinstance(value, str):
        if not is_jsonata_string(value):
            return None
        try:
            expression = compile_jsonata(value[2:-2])
        except JsonataSyntaxError as error:
            raise error.located(location, path) from None
        expressions.append(expression)
        return _expression_evaluator(expression, location)
    if isinstance(value, dict):
        members = [(key, _compile(item, f"{location}/{key}", (*path, key), expressions))
                   for key, item in value.items()]
        dynamic = tuple((key, evaluate) for key, evaluate in members if evaluate is not None)
        return _object_evaluator(value, dynamic) if dynamic else None
    if isinstance(value, list):
        items = [_compile(item, f"{location}[{index}]", (*path, index), expressions)
                 for index, item in enumerate(value)]
        slots = tuple((index, evaluate) for index, evaluate in enumerate(items) if evaluate is not None)
        return _array_evaluator(value, slots) if slots else None
    return None


def _expression_evaluator(expression: JsonataExpression, location: str) -> Evaluator:
    evaluate = expression.evaluate

    def evaluate_expression(env: JsonataEnv) -> JSON:
        return evaluate(env, location)

    return evaluate_expression


def _object_evaluator(template: dict[str, JSON], dynamic: tuple[tuple[str, Evaluator], ...]) -> Evaluator:
    def evaluate_object(env: JsonataEnv) -> JSON:
        result = dict(template)  # keeps the key order of the template
        for key, evaluate in dynamic:
            result[key] = evaluate(env)
        return result

    return evaluate_object


def _array_evaluator(template: list[JSON], slots: tuple[tuple[int, Evaluator], ...]) -> Evaluator:
    def evaluate_array(env: JsonataEnv) -> JSON:
        result = list(template)
        for index, evaluate in slots:
            result[index] = evaluate(env)
        return result

    return evaluate_array
