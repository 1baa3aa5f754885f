"""Choice rules (JSONPath query language): compiled once, evaluated against a :class:`Scope`.

Owns the semantics of every Choice comparison operator, the ``Is*`` type tests and the
``And`` / ``Or`` / ``Not`` combinators, as Step Functions applies them:

* a value of the wrong type makes the comparison false, never an error (booleans are not
  numbers, Timestamp* needs a string that is an RFC 3339 timestamp);
* numbers compare by value (``1 == 1.0``); strings order like Java's ``String.compareTo``
  (UTF-16 code units, no normalisation); timestamps compare as instants;
* ``StringMatches``: ``*`` matches any sequence (also empty), ``\\*`` is a literal star and
  ``\\\\`` a literal backslash; nothing else is special;
* a ``Variable`` (or ``...Path`` comparand) that resolves to nothing raises ``States.Runtime``,
  except under ``IsPresent``, which reports the absence instead.

Compilation (:func:`compile_choice_rule`) resolves every operator, path, pattern and literal
up front; :meth:`ChoiceRule.matches` only resolves paths and calls a prepared function.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn

from heaviside.definition.paths import Path, PathNotFound, Scope, compile_path
from heaviside.definition.timestamps import parse_timestamp
from heaviside.errors import RUNTIME, ExpressionSyntaxError, StatesError
from heaviside.types import JSON

# --- value tests -----------------------------------------------------------------------------


def _is_number(value: JSON) -> bool:
    kind = type(value)
    if kind is int or kind is float:  # the JSON case, checked first
        return True
    return kind is not bool and isinstance(value, int | float)


def _java_lt(a: str, b: str) -> bool:
    """``a.compareTo(b) < 0`` in Java: ordinal over UTF-16 code units.

    Python orders by code point, which differs from UTF-16 order only where a character above
    U+FFFF meets one in U+D800..U+FFFF; that cannot happen when either side is pure ASCII
    (``str.isascii`` is a constant-time flag check), so only other strings are re-encoded.
    """
    if a.isascii() or b.isascii():
        return a < b
    return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")


# Comparisons on already-prepared operands: (value from the data, operand) -> bool.
_Compare = Callable[[Any, Any], bool]

_STRING_COMPARE: Final[dict[str, _Compare]] = {
    "Equals": operator.eq,  # code-point equality is code-unit equality
    "LessThan": _java_lt,
    "GreaterThan": lambda a, b: _java_lt(b, a),
    "LessThanEquals": lambda a, b: not _java_lt(b, a),
    "GreaterThanEquals": lambda a, b: not _java_lt(a, b),
}
_ORDER_COMPARE: Final[dict[str, _Compare]] = {  # numbers and datetimes: Python order is right
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

# Operand preparation: raw JSON -> comparable operand, or None when the type does not fit.
_Prepare = Callable[[JSON], Any]


def _prepare_string(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _prepare_number(value: JSON) -> int | float | None:
    return value if _is_number(value) else None


def _prepare_boolean(value: JSON) -> bool | None:
    return value if value is True or value is False else None


#: family prefix -> (operand preparation, comparison table, what a literal operand must be)
_FAMILIES: Final[dict[str, tuple[_Prepare, dict[str, _Compare], str]]] = {
    "String": (_prepare_string, _STRING_COMPARE, "a string"),
    "Numeric": (_prepare_number, _ORDER_COMPARE, "a number"),
    "Timestamp": (parse_timestamp, _ORDER_COMPARE, "an RFC 3339 timestamp string like 2024-01-02T03:04:05Z"),
    "Boolean": (_prepare_boolean, {"Equals": _ORDER_COMPARE["Equals"]}, "true or false"),
}
_COMPARISONS: Final[dict[str, tuple[_Prepare, _Compare, str]]] = {
    family + suffix: (prepare, compare, wanted)
    for family, (prepare, table, wanted) in _FAMILIES.items()
    for suffix, compare in table.items()
}
_TYPE_TESTS: Final[dict[str, Callable[[JSON], bool]]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": _is_number,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: value is True or value is False,
    "IsTimestamp": lambda value: parse_timestamp(value) is not None,
}
_STRING_MATCHES: Final = "StringMatches"
_IS_PRESENT: Final = "IsPresent"

#: Every comparison operator name a rule may carry alongside ``Variable`` (not And/Or/Not).
COMPARISON_OPERATORS: Final[frozenset[str]] = frozenset(
    [*_COMPARISONS, *(name + "Path" for name in _COMPARISONS), _STRING_MATCHES, _IS_PRESENT, *_TYPE_TESTS]
)
#: The combinators; a rule carries exactly one name from this set or COMPARISON_OPERATORS.
BOOLEAN_OPERATORS: Final[frozenset[str]] = frozenset({"And", "Or", "Not"})
#: Other fields a Choice rule may carry (Assign is the state compiler's business; a nested
#: rule's Next is reported by _next_state with a clearer message).
_OTHER_FIELDS: Final = frozenset({"Variable", "Next", "Comment", "Assign"})
_NESTED_FIELDS: Final = frozenset({"Variable", "Next", "Comment"})


# --- StringMatches ---------------------------------------------------------------------------


def _glob_segments(pattern: str) -> tuple[str, ...]:
    """Split a StringMatches pattern at its unescaped ``*`` into literal segments.

    ``\\*`` is a literal star and ``\\\\`` a literal backslash; a backslash before anything
    else (or at the end) stays a literal backslash.
    """
    segments: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern) and pattern[position + 1] in "*\\":
            current.append(pattern[position + 1])
            position += 2
            continue
        if char == "*":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    segments.append("".join(current))
    return tuple(segments)


def _glob_matcher(pattern: str) -> Callable[[JSON], bool]:
    """A linear-time matcher for ``pattern`` (no regex backtracking on many stars)."""
    segments = _glob_segments(pattern)
    if len(segments) == 1:
        literal = segments[0]
        return lambda value: isinstance(value, str) and value == literal
    head, middle, tail = segments[0], segments[1:-1], segments[-1]
    minimum = sum(map(len, segments))

    def matches(value: JSON) -> bool:
        if not isinstance(value, str) or len(value) < minimum:
            return False
        if not (value.startswith(head) and value.endswith(tail)):
            return False
        position, end = len(head), len(value) - len(tail)
        for segment in middle:  # leftmost placement of each segment is always optimal
            found = value.find(segment, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True

    return matches


# --- compiled rules --------------------------------------------------------------------------


class ChoiceRule:
    """One compiled Choice rule (immutable). ``next`` is the rule's ``Next`` (None when nested)."""

    __slots__ = ("next",)
    next: str | None

    def __init__(self, next_state: str | None, **fields: Any) -> None:
        object.__setattr__(self, "next", next_state)
        for name, value in fields.items():  # the subclass's slots
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def matches(self, scope: Scope) -> bool:
        """Whether the rule holds in ``scope``; raises :class:`StatesError` (States.Runtime)."""
        raise NotImplementedError


def _missing(path: Path) -> StatesError:
    return StatesError(
        RUNTIME, f"Invalid path '{path.text}': The choice state's condition path references an invalid value."
    )


class _Test(ChoiceRule):
    """``Variable`` + a test of its value alone (literal comparisons, Is*, StringMatches)."""

    __slots__ = ("_test", "_variable")
    _variable: Path
    _test: Callable[[JSON], bool]

    def matches(self, scope: Scope) -> bool:
        try:
            value = self._variable.resolve(scope)
        except PathNotFound:
            raise _missing(self._variable) from None
        return self._test(value)


class _PathCompare(ChoiceRule):
    """``Variable`` + a ``...Path`` operator: both sides come from the scope."""

    __slots__ = ("_compare", "_other", "_prepare", "_variable")
    _variable: Path
    _other: Path
    _prepare: _Prepare
    _compare: _Compare

    def matches(self, scope: Scope) -> bool:
        try:
            value = self._variable.resolve(scope)
        except PathNotFound:
            raise _missing(self._variable) from None
        try:
            other = self._other.resolve(scope)
        except PathNotFound:
            raise _missing(self._other) from None
        prepare = self._prepare
        left = prepare(value)
        if left is None:
            return False
        right = prepare(other)
        return right is not None and self._compare(left, right)


class _IsPresent(ChoiceRule):
    __slots__ = ("_expected", "_variable")
    _variable: Path
    _expected: bool

    def matches(self, scope: Scope) -> bool:
        try:
            self._variable.resolve(scope)
        except PathNotFound:
            return not self._expected
        return self._expected


class _And(ChoiceRule):
    __slots__ = ("_rules",)
    _rules: tuple[ChoiceRule, ...]

    def matches(self, scope: Scope) -> bool:
        for rule in self._rules:  # noqa: SIM110 (a plain loop beats a generator here)
            if not rule.matches(scope):
                return False
        return True


class _Or(_And):
    __slots__ = ()

    def matches(self, scope: Scope) -> bool:
        for rule in self._rules:  # noqa: SIM110 (a plain loop beats a generator here)
            if rule.matches(scope):
                return True
        return False


class _Not(ChoiceRule):
    __slots__ = ("_rule",)
    _rule: ChoiceRule

    def matches(self, scope: Scope) -> bool:
        return not self._rule.matches(scope)


# --- compilation -----------------------------------------------------------------------------


def compile_choice_rule(rule: Mapping[str, Any]) -> ChoiceRule:
    """Compile one element of a Choice state's ``Choices`` (which must carry ``Next``).

    Nested ``And``/``Or``/``Not`` rules are compiled recursively (and must not carry ``Next``).
    Raises :class:`ExpressionSyntaxError` with a plain-words message when the rule is malformed.
    """
    return _compile(rule, top_level=True)


def _compile(rule: object, *, top_level: bool) -> ChoiceRule:
    if not isinstance(rule, Mapping):
        raise ExpressionSyntaxError(f"a choice rule must be an object, got {_show(rule)}")
    operators = [key for key in rule if key in COMPARISON_OPERATORS or key in BOOLEAN_OPERATORS]
    allowed = _OTHER_FIELDS if top_level else _NESTED_FIELDS
    unknown = sorted(str(key) for key in rule if key not in operators and key not in allowed)
    if unknown:
        raise ExpressionSyntaxError(f"a choice rule does not support the field(s) {', '.join(unknown)}")
    if not operators:
        raise ExpressionSyntaxError(
            "a choice rule needs one comparison operator (such as StringEquals) or And/Or/Not"
        )
    if len(operators) > 1:
        raise ExpressionSyntaxError(
            f"a choice rule takes exactly one operator, this one has {len(operators)}: {', '.join(operators)}"
        )
    next_state = _next_state(rule, top_level)
    name = operators[0]
    operand = rule[name]
    if name in BOOLEAN_OPERATORS:
        if "Variable" in rule:
            raise ExpressionSyntaxError(f"{name} takes no Variable; put Variable in its nested rules")
        return _compile_combinator(name, operand, next_state)
    if "Variable" not in rule:
        raise ExpressionSyntaxError(f"{name} needs a Variable naming the value to test")
    variable = _path(rule["Variable"], "Variable")
    if name == _IS_PRESENT or name in _TYPE_TESTS:
        if operand is not True and operand is not False:
            raise ExpressionSyntaxError(f"{name} must be true or false, got {_show(operand)}")
        if name == _IS_PRESENT:
            return _IsPresent(next_state, _variable=variable, _expected=operand)
        return _Test(next_state, _variable=variable, _test=_type_test(_TYPE_TESTS[name], operand))
    if name == _STRING_MATCHES:
        if not isinstance(operand, str):
            raise ExpressionSyntaxError(f"StringMatches needs a string pattern, got {_show(operand)}")
        return _Test(next_state, _variable=variable, _test=_glob_matcher(operand))
    if name.endswith("Path"):
        prepare, compare, _ = _COMPARISONS[name[: -len("Path")]]
        other = _path(operand, name)
        return _PathCompare(next_state, _variable=variable, _other=other, _prepare=prepare, _compare=compare)
    prepare, compare, wanted = _COMPARISONS[name]
    prepared = prepare(operand)
    if prepared is None:
        raise ExpressionSyntaxError(f"{name} needs {wanted}, got {_show(operand)}")
    return _Test(next_state, _variable=variable, _test=_literal_test(prepare, compare, prepared))


def _next_state(rule: Mapping[str, Any], top_level: bool) -> str | None:
    if not top_level:
        if "Next" in rule:
            raise ExpressionSyntaxError("a rule nested in And/Or/Not must not have Next")
        return None
    next_state = rule.get("Next")
    if not isinstance(next_state, str) or not next_state:
        raise ExpressionSyntaxError(f"a choice rule needs Next naming a state, got {_show(next_state)}")
    return next_state


def _compile_combinator(name: str, operand: object, next_state: str | None) -> ChoiceRule:
    if name == "Not":
        if not isinstance(operand, Mapping):
            raise ExpressionSyntaxError(f"Not takes one rule object, got {_show(operand)}")
        return _Not(next_state, _rule=_compile(operand, top_level=False))
    if not isinstance(operand, list) or not operand:
        raise ExpressionSyntaxError(f"{name} takes a non-empty array of rules, got {_show(operand)}")
    rules = tuple(_compile(nested, top_level=False) for nested in operand)
    return (_And if name == "And" else _Or)(next_state, _rules=rules)


def _path(text: object, field: str) -> Path:
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"{field} must be a path string such as '$.x', got {_show(text)}")
    try:
        return compile_path(text)
    except ExpressionSyntaxError as exc:
        raise ExpressionSyntaxError(f"{field}: {exc}") from None


def _type_test(test: Callable[[JSON], bool], expected: bool) -> Callable[[JSON], bool]:
    if expected:
        return test
    return lambda value: not test(value)


def _literal_test(prepare: _Prepare, compare: _Compare, operand: Any) -> Callable[[JSON], bool]:
    def test(value: JSON) -> bool:
        prepared = prepare(value)
        return prepared is not None and compare(prepared, operand)

    return test


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
