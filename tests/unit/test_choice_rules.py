"""Choice rule compilation and evaluation (heaviside.definition.choice_rules)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from heaviside.definition.choice_rules import COMPARISON_OPERATORS, ChoiceRule, compile_choice_rule
from heaviside.definition.paths import Scope
from heaviside.errors import RUNTIME, ExpressionSyntaxError, StatesError

TS = "2020-01-01T00:00:00Z"


def compile_on(operator: str, operand: Any, variable: str = "$.v") -> ChoiceRule:
    return compile_choice_rule({"Variable": variable, operator: operand, "Next": "N"})


def test_on(operator: str, operand: Any, value: Any) -> bool:
    return compile_on(operator, operand).matches(Scope({"v": value}))


test_on.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# --- literal operators: true and false cases ------------------------------------------------

LITERAL_CASES = [
    ("StringEquals", "cat", "cat", True),
    ("StringEquals", "cat", "Cat", False),
    ("StringEquals", "", "", True),
    ("StringEquals", " ", "     ", False),  # no trimming
    ("StringEquals", "\t\n", "\t\r\n", False),
    ("StringEquals", "\u00e9", "e\u0301", False),  # no Unicode normalisation
    ("StringLessThan", "b", "apple", True),
    ("StringLessThan", "b", "b", False),
    ("StringLessThan", "b", "c", False),
    ("StringGreaterThan", "b", "c", True),
    ("StringGreaterThan", "b", "b", False),
    ("StringGreaterThan", "b", "a", False),
    ("StringLessThanEquals", "b", "b", True),
    ("StringLessThanEquals", "b", "a", True),
    ("StringLessThanEquals", "b", "ba", False),
    ("StringGreaterThanEquals", "m", "m", True),
    ("StringGreaterThanEquals", "m", "zoo", True),
    ("StringGreaterThanEquals", "m", "kiwi", False),
    ("StringLessThan", "a", "B", True),  # ordinal: uppercase sorts before lowercase
    ("NumericEquals", 10, 10, True),
    ("NumericEquals", 10, 10.0, True),
    ("NumericEquals", 0.0, 0, True),
    ("NumericEquals", 2.22, 2.22, True),
    ("NumericEquals", 10, 11, False),
    ("NumericEquals", -1, 1, False),
    ("NumericLessThan", 0, -0.5, True),
    ("NumericLessThan", 0, 0, False),
    ("NumericLessThan", 0, 1, False),
    ("NumericGreaterThan", 100, 100.01, True),
    ("NumericGreaterThan", 100, 100, False),
    ("NumericGreaterThan", 100, 99, False),
    ("NumericLessThanEquals", 5, 5.0, True),
    ("NumericLessThanEquals", 5, 4, True),
    ("NumericLessThanEquals", 5, 5.5, False),
    ("NumericGreaterThanEquals", 18, 18, True),
    ("NumericGreaterThanEquals", 18, 40, True),
    ("NumericGreaterThanEquals", 18, 17.999, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", True, False, False),
    ("BooleanEquals", False, False, True),
    ("BooleanEquals", False, True, False),
    ("TimestampEquals", TS, "2020-01-01T00:00:00Z", True),
    ("TimestampEquals", TS, "2020-01-01T01:00:00.000+01:00", True),  # same instant
    ("TimestampEquals", TS, "2020-01-01T00:00:00.001Z", False),
    ("TimestampLessThan", TS, "2019-12-31T23:59:59Z", True),
    ("TimestampLessThan", TS, TS, False),
    ("TimestampLessThan", TS, "2020-01-01T00:30:00+01:00", True),  # 23:30 UTC the day before
    ("TimestampGreaterThan", TS, "2021-06-01T12:00:00Z", True),
    ("TimestampGreaterThan", TS, TS, False),
    ("TimestampGreaterThan", TS, "2019-01-01T00:00:00Z", False),
    ("TimestampLessThanEquals", TS, TS, True),
    ("TimestampLessThanEquals", TS, "2019-01-01T00:00:00Z", True),
    ("TimestampLessThanEquals", TS, "2020-01-01T00:00:00.5Z", False),
    ("TimestampGreaterThanEquals", TS, TS, True),
    ("TimestampGreaterThanEquals", TS, "2020-01-01T00:00:00.5Z", True),
    ("TimestampGreaterThanEquals", TS, "2019-12-31T23:59:59.999Z", False),
    ("IsNull", True, None, True),
    ("IsNull", True, 0, False),
    ("IsNull", False, "x", True),
    ("IsNull", False, None, False),
    ("IsNumeric", True, 3.5, True),
    ("IsNumeric", True, 0, True),
    ("IsNumeric", True, "3.5", False),
    ("IsNumeric", True, False, False),  # booleans are not numbers
    ("IsNumeric", False, True, True),
    ("IsString", True, "3.5", True),
    ("IsString", True, "", True),
    ("IsString", True, 3, False),
    ("IsString", False, None, True),
    ("IsBoolean", True, False, True),
    ("IsBoolean", True, 0, False),
    ("IsBoolean", True, "true", False),
    ("IsBoolean", False, 1, True),
    ("IsTimestamp", True, "2024-01-02T03:04:05Z", True),
    ("IsTimestamp", True, "2024-01-02T03:04:05", False),
    ("IsTimestamp", True, "2024-01-02", False),
    ("IsTimestamp", True, 1704164645, False),
    ("IsTimestamp", False, "nope", True),
    ("IsTimestamp", False, "2024-01-02T03:04:05+05:00", False),
]


@pytest.mark.parametrize(("operator", "operand", "value", "expected"), LITERAL_CASES)
def test_literal_operators(operator: str, operand: Any, value: Any, expected: bool) -> None:
    assert test_on(operator, operand, value) is expected


def test_every_literal_comparison_operator_is_covered_both_ways() -> None:
    seen: dict[str, set[bool]] = {}
    for operator, _, _, expected in LITERAL_CASES:
        seen.setdefault(operator, set()).add(expected)
    literal = {name for name in COMPARISON_OPERATORS if not name.endswith("Path")}
    literal -= {"StringMatches", "IsPresent"}  # tested on their own below
    assert {name for name, outcomes in seen.items() if outcomes == {True, False}} == literal


# --- type mismatches are false, never errors ------------------------------------------------

OTHER_TYPES: dict[str, list[Any]] = {
    "String": [None, 0, 1.5, True, [], ["cat"], {}, {"a": "cat"}],
    "Numeric": [None, "", "0", "10", [], [0], {}, False, True],
    "Boolean": [None, 0, 1, "true", "", [], [True], {}],
    "Timestamp": [None, 0, 1577836800, "2023-02-24 12:15:56.832957", "2020-01-01", [TS], {}, True],
}
SAMPLE_OPERAND = {"String": "cat", "Numeric": 0, "Boolean": True, "Timestamp": TS}
SUFFIXES = ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"]


def _mismatch_cases() -> list[tuple[str, Any, Any]]:
    cases = []
    for family, values in OTHER_TYPES.items():
        for suffix in ["Equals"] if family == "Boolean" else SUFFIXES:
            for value in values:
                cases.append((family + suffix, SAMPLE_OPERAND[family], value))
    for value in OTHER_TYPES["String"]:
        cases.append(("StringMatches", "*", value))
    return cases


@pytest.mark.parametrize(("operator", "operand", "value"), _mismatch_cases())
def test_type_mismatch_is_false(operator: str, operand: Any, value: Any) -> None:
    assert test_on(operator, operand, value) is False


@pytest.mark.parametrize(("operator", "value"), [("NumericEquals", True), ("NumericEquals", False)])
def test_booleans_never_equal_numbers(operator: str, value: bool) -> None:
    assert test_on(operator, 1, value) is False
    assert test_on(operator, 0, value) is False


# --- Java String.compareTo ordering ---------------------------------------------------------


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("A", "A "),
        ("AB", "ABC"),
        ("", "a"),
        ("Z", "a"),
        ("abc", "abd"),
        ("\u00e9", "\u00ea"),
        # U+1F600 is D83D DE00 in UTF-16, which sorts below U+FFFF and U+E000 (code points disagree)
        ("\U0001f600", "\uffff"),
        ("\U0001f600", "\ue000"),
        ("x\U0001f600", "x\uffff"),
        ("\u00e9\U0001f600", "\u00e9\uff01"),
        ("a", "\U0001f600"),  # ASCII against non-BMP
        ("\U0001f600", "\U0001f601"),
        ("\U00010000", "\U0010ffff"),
    ],
)
def test_string_ordering_uses_utf16_code_units(smaller: str, larger: str) -> None:
    assert test_on("StringLessThan", larger, smaller) is True
    assert test_on("StringLessThan", smaller, larger) is False
    assert test_on("StringGreaterThan", smaller, larger) is True
    assert test_on("StringGreaterThan", larger, smaller) is False
    assert test_on("StringLessThanEquals", larger, smaller) is True
    assert test_on("StringLessThanEquals", smaller, larger) is False
    assert test_on("StringGreaterThanEquals", smaller, larger) is True
    assert test_on("StringGreaterThanEquals", larger, smaller) is False
    assert test_on("StringEquals", smaller, larger) is False


# --- StringMatches --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("log-*.txt", "log-2024.txt", True),
        ("log-*.txt", "log-.txt", True),
        ("log-*.txt", "log-a.txt.bak", False),
        ("log-*.txt", "xlog-1.txt", False),
        ("*", "", True),
        ("*", "anything\nat all", True),
        ("**", "x", True),
        ("", "", True),
        ("", "x", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("*.csv", "data.csv", True),
        ("*.csv", "data.csv.gz", False),
        ("data*", "data", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "a-b-c", True),
        ("a*b*c", "acb", False),
        ("a*b*c", "a-c-b", False),
        ("a*a", "a", False),  # head and tail cannot overlap
        ("a*a", "aa", True),
        ("ab*ba", "aba", False),
        ("*ab*ab*", "xabyab", True),
        ("*ab*ab*", "xaby", False),
        ("?", "?", True),  # ? is literal
        ("?", "x", False),
        ("[ab]", "[ab]", True),  # [ is literal
        ("[ab]", "a", False),
        ("a.c", "abc", False),  # regex metacharacters are literal
        ("a+c", "a+c", True),
        ("\\*", "*", True),  # \* is a literal star
        ("\\*", "x", False),
        ("\\*", "", False),
        ("a\\*b*", "a*bcd", True),
        ("a\\*b*", "axbcd", False),
        ("\\\\", "\\", True),  # \\ is a literal backslash
        ("\\\\*", "\\anything", True),  # literal backslash, then wildcard
        ("\\\\*", "anything", False),
        ("\\\\\\*", "\\*", True),  # backslash, then literal star
        ("\\\\\\*", "\\x", False),
        ("a\\b", "a\\b", True),  # a backslash before anything else stays literal
        ("end\\", "end\\", True),
        ("\u00e9*\U0001f600", "\u00e9t\u00e9\U0001f600", True),
    ],
)
def test_string_matches(pattern: str, value: str, expected: bool) -> None:
    assert test_on("StringMatches", pattern, value) is expected


def test_string_matches_has_no_catastrophic_backtracking() -> None:
    rule = compile_on("StringMatches", "*a*a*a*a*a*a*a*a*a*a*b")
    scope = Scope({"v": "a" * 5000})
    started = time.perf_counter()
    assert rule.matches(scope) is False
    assert time.perf_counter() - started < 1.0


# --- presence and missing paths -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"), [({"opt": None}, True), ({}, False), ({"opt": 0}, True), ({"opt": False}, True)]
)
def test_is_present_counts_null_as_present(data: dict[str, Any], expected: bool) -> None:
    assert compile_on("IsPresent", True, "$.opt").matches(Scope(data)) is expected
    assert compile_on("IsPresent", False, "$.opt").matches(Scope(data)) is (not expected)


def test_is_present_on_context_and_variables() -> None:
    scope = Scope({}, context={"Execution": {"Id": "e"}}, variables={"cfg": {"x": None}})
    assert compile_on("IsPresent", True, "$$.Execution.Id").matches(scope) is True
    assert compile_on("IsPresent", True, "$$.Execution.Nope").matches(scope) is False
    assert compile_on("IsPresent", True, "$cfg.x").matches(scope) is True
    assert compile_on("IsPresent", True, "$cfg.y").matches(scope) is False
    assert compile_on("IsPresent", True, "$undefined").matches(scope) is False


def test_is_present_through_missing_intermediate_and_list_index() -> None:
    data = {"a": [1, 2], "s": "text"}
    assert compile_on("IsPresent", True, "$.a[1]").matches(Scope(data)) is True
    assert compile_on("IsPresent", True, "$.a[2]").matches(Scope(data)) is False
    assert compile_on("IsPresent", True, "$.b.c.d").matches(Scope(data)) is False
    assert compile_on("IsPresent", True, "$.s.c").matches(Scope(data)) is False


MISSING_CAUSE = "Invalid path '$.nope': The choice state's condition path references an invalid value."


@pytest.mark.parametrize(
    ("operator", "operand"),
    [
        ("StringEquals", "x"),
        ("NumericEquals", 1),
        ("BooleanEquals", True),
        ("TimestampEquals", TS),
        ("StringMatches", "*"),
        ("IsNull", True),
        ("IsNull", False),
        ("IsString", False),
        ("IsTimestamp", True),
        ("NumericEqualsPath", "$.n"),
    ],
)
def test_missing_variable_is_a_runtime_error(operator: str, operand: Any) -> None:
    rule = compile_on(operator, operand, "$.nope")
    with pytest.raises(StatesError) as caught:
        rule.matches(Scope({"n": 2}))
    assert caught.value.error == RUNTIME == "States.Runtime"
    assert caught.value.cause == MISSING_CAUSE


def test_missing_comparand_path_is_a_runtime_error() -> None:
    rule = compile_on("NumericEqualsPath", "$.limit")
    with pytest.raises(StatesError) as caught:
        rule.matches(Scope({"v": 1}))
    assert caught.value.error == RUNTIME
    assert caught.value.cause == (
        "Invalid path '$.limit': The choice state's condition path references an invalid value."
    )


def test_missing_context_and_variable_paths_are_runtime_errors() -> None:
    scope = Scope({}, context={}, variables={"known": 1})
    for variable in ["$$.Execution.Id", "$unknown", "$known.deeper"]:
        with pytest.raises(StatesError) as caught:
            compile_on("NumericEquals", 1, variable).matches(scope)
        assert caught.value.error == RUNTIME
        assert caught.value.cause is not None and f"'{variable}'" in caught.value.cause


def test_non_definite_variable_is_a_list_and_so_a_type_mismatch() -> None:
    scope = Scope({"items": [{"id": "a"}, {"id": "b"}]})
    assert compile_on("StringEquals", "a", "$.items[*].id").matches(scope) is False
    assert compile_on("IsPresent", True, "$.items[*].id").matches(scope) is True
    assert compile_on("IsString", True, "$.items[*].id").matches(scope) is False


# --- *Path variants -------------------------------------------------------------------------

PATH_CASES = [
    ("StringEquals", "x", "x", True),
    ("StringEquals", "x", "y", False),
    ("StringLessThan", "a", "b", True),
    ("StringLessThan", "b", "a", False),
    ("StringLessThan", "\U0001f600", "\uffff", True),  # Java ordering here too
    ("StringGreaterThan", "b", "a", True),
    ("StringGreaterThan", "a", "a", False),
    ("StringLessThanEquals", "a", "a", True),
    ("StringLessThanEquals", "b", "a", False),
    ("StringGreaterThanEquals", "a", "a", True),
    ("StringGreaterThanEquals", "a", "b", False),
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 1, 2, False),
    ("NumericLessThan", -1, 0, True),
    ("NumericLessThan", 0, 0, False),
    ("NumericGreaterThan", 6, 5, True),
    ("NumericGreaterThan", 5, 5, False),
    ("NumericLessThanEquals", 5, 5, True),
    ("NumericLessThanEquals", 6, 5, False),
    ("NumericGreaterThanEquals", 5, 5.0, True),
    ("NumericGreaterThanEquals", 4, 5, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", False, True, False),
    ("TimestampEquals", TS, "2020-01-01T02:00:00+02:00", True),
    ("TimestampEquals", TS, "2020-01-01T00:00:01Z", False),
    ("TimestampLessThan", "2024-03-01T10:00:00Z", "2024-03-01T10:00:01Z", True),
    ("TimestampLessThan", TS, TS, False),
    ("TimestampGreaterThan", "2024-03-01T10:00:01Z", "2024-03-01T10:00:00Z", True),
    ("TimestampGreaterThan", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z", False),
    ("TimestampLessThanEquals", TS, TS, True),
    ("TimestampLessThanEquals", "2020-01-02T00:00:00Z", TS, False),
    ("TimestampGreaterThanEquals", TS, TS, True),
    ("TimestampGreaterThanEquals", TS, "2020-01-02T00:00:00Z", False),
]


@pytest.mark.parametrize(("operator", "value", "other", "expected"), PATH_CASES)
def test_path_operators(operator: str, value: Any, other: Any, expected: bool) -> None:
    rule = compile_on(operator + "Path", "$.other")
    assert rule.matches(Scope({"v": value, "other": other})) is expected


def test_every_path_operator_is_covered_both_ways() -> None:
    seen: dict[str, set[bool]] = {}
    for operator, _, _, expected in PATH_CASES:
        seen.setdefault(operator + "Path", set()).add(expected)
    path_operators = {name for name in COMPARISON_OPERATORS if name.endswith("Path")}
    assert {name for name, outcomes in seen.items() if outcomes == {True, False}} == path_operators


@pytest.mark.parametrize(
    ("operator", "value", "other"),
    [
        ("NumericEqualsPath", 5, "5"),  # comparand of the wrong type
        ("NumericEqualsPath", "5", 5),  # variable of the wrong type
        ("NumericLessThanPath", 1, True),
        ("NumericGreaterThanPath", 1, None),
        ("StringEqualsPath", "1", 1),
        ("StringLessThanPath", "a", ["b"]),
        ("BooleanEqualsPath", True, 1),
        ("BooleanEqualsPath", 1, True),
        ("TimestampEqualsPath", TS, "2020-01-01"),
        ("TimestampLessThanPath", "2019-01-01T00:00:00", TS),
        ("TimestampGreaterThanPath", TS, 0),
    ],
)
def test_path_operator_type_mismatch_is_false(operator: str, value: Any, other: Any) -> None:
    assert compile_on(operator, "$.other").matches(Scope({"v": value, "other": other})) is False


def test_path_variants_with_context_and_variable_roots() -> None:
    scope = Scope(
        {"n": 3},
        context={"Execution": {"Input": {"limit": 5, "name": "job"}}, "State": {"Name": "Check"}},
        variables={"limit": 3, "cfg": {"state": "Check", "at": TS}},
    )
    assert compile_on("NumericEqualsPath", "$limit", "$.n").matches(scope) is True
    assert compile_on("NumericLessThanPath", "$$.Execution.Input.limit", "$.n").matches(scope) is True
    assert compile_on("NumericGreaterThanPath", "$$.Execution.Input.limit", "$limit").matches(scope) is False
    assert compile_on("StringEqualsPath", "$$.State.Name", "$cfg.state").matches(scope) is True
    assert compile_on("StringEqualsPath", "$cfg.state", "$$.Execution.Input.name").matches(scope) is False
    assert compile_on("TimestampEqualsPath", "$cfg.at", "$cfg.at").matches(scope) is True


def test_literal_strings_that_look_like_paths_are_literals() -> None:
    assert test_on("StringEquals", "$.other", "$.other") is True
    rule = compile_on("StringEquals", "$.other")
    assert rule.matches(Scope({"v": "x", "other": "x"})) is False


# --- And / Or / Not -------------------------------------------------------------------------

NESTED = {
    "And": [
        {"Variable": "$.age", "NumericGreaterThanEquals": 18},
        {
            "Or": [
                {"Variable": "$.country", "StringEquals": "NZ"},
                {"Not": {"Variable": "$.banned", "BooleanEquals": True}},
            ]
        },
    ],
    "Next": "Allow",
}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"age": 20, "country": "NZ", "banned": True}, True),
        ({"age": 20, "country": "AU", "banned": True}, False),
        ({"age": 20, "country": "AU", "banned": False}, True),
        ({"age": 17, "country": "NZ", "banned": False}, False),
    ],
)
def test_nested_and_or_not(data: dict[str, Any], expected: bool) -> None:
    rule = compile_choice_rule(NESTED)
    assert rule.next == "Allow"
    assert rule.matches(Scope(data)) is expected


def test_combinators_short_circuit() -> None:
    missing = {"Variable": "$.missing", "StringEquals": "x"}
    false = {"Variable": "$.n", "NumericEquals": 0}
    true = {"Variable": "$.n", "NumericEquals": 1}
    scope = Scope({"n": 1})
    assert compile_choice_rule({"And": [false, missing], "Next": "N"}).matches(scope) is False
    assert compile_choice_rule({"Or": [true, missing], "Next": "N"}).matches(scope) is True
    with pytest.raises(StatesError):
        compile_choice_rule({"And": [true, missing], "Next": "N"}).matches(scope)
    with pytest.raises(StatesError):
        compile_choice_rule({"Or": [false, missing], "Next": "N"}).matches(scope)
    with pytest.raises(StatesError):
        compile_choice_rule({"Not": missing, "Next": "N"}).matches(scope)


def test_single_element_and_or_and_double_not() -> None:
    true = {"Variable": "$.n", "NumericEquals": 1}
    scope = Scope({"n": 1})
    assert compile_choice_rule({"And": [true], "Next": "N"}).matches(scope) is True
    assert compile_choice_rule({"Or": [true], "Next": "N"}).matches(scope) is True
    assert compile_choice_rule({"Not": true, "Next": "N"}).matches(scope) is False
    assert compile_choice_rule({"Not": {"Not": true}, "Next": "N"}).matches(scope) is True
    assert compile_choice_rule({"Or": [{"Not": true}, {"Not": true}], "Next": "N"}).matches(scope) is False


def test_guarding_a_missing_field_with_is_present() -> None:
    guard = {"Variable": "$.x", "IsPresent": True}
    rule = compile_choice_rule({"And": [guard, {"Variable": "$.x", "NumericEquals": 1}], "Next": "N"})
    assert rule.matches(Scope({})) is False
    assert rule.matches(Scope({"x": 1})) is True


# --- the compiled object --------------------------------------------------------------------


def test_rule_carries_next_and_is_immutable() -> None:
    rule = compile_on("StringEquals", "x")
    assert rule.next == "N"
    assert isinstance(rule, ChoiceRule)
    with pytest.raises(AttributeError):
        rule.next = "Other"
    with pytest.raises(AttributeError):
        del rule.next
    assert rule.next == "N"


def test_assign_and_comment_are_allowed_at_top_level() -> None:
    rule = compile_choice_rule(
        {"Variable": "$.v", "IsNull": True, "Next": "N", "Comment": "c", "Assign": {"x.$": "$.v"}}
    )
    assert rule.matches(Scope({"v": None})) is True


def test_comparison_operators_lists_every_operator() -> None:
    families = {"String": SUFFIXES, "Numeric": SUFFIXES, "Timestamp": SUFFIXES, "Boolean": ["Equals"]}
    expected = {family + suffix for family, suffixes in families.items() for suffix in suffixes}
    expected |= {name + "Path" for name in expected}
    expected |= {"StringMatches", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}
    assert expected == COMPARISON_OPERATORS
    assert len(COMPARISON_OPERATORS) == 39
    assert isinstance(COMPARISON_OPERATORS, frozenset)


# --- compile errors -------------------------------------------------------------------------

BAD_RULES: list[tuple[Any, str]] = [
    ({"Variable": "$.v", "Next": "N"}, "operator"),
    ({"Variable": "$.v", "StringEquals": "a", "NumericEquals": 1, "Next": "N"}, "exactly one"),
    ({"Variable": "$.v", "StringEquals": "a", "And": [], "Next": "N"}, "exactly one"),
    ({"StringEquals": "a", "Next": "N"}, "Variable"),
    ({"Variable": "v", "StringEquals": "a", "Next": "N"}, "Variable"),
    ({"Variable": "$.a[", "StringEquals": "a", "Next": "N"}, "Variable"),
    ({"Variable": 5, "StringEquals": "a", "Next": "N"}, "Variable"),
    ({"Variable": "$.v", "StringEquals": 1, "Next": "N"}, "StringEquals"),
    ({"Variable": "$.v", "StringLessThan": None, "Next": "N"}, "StringLessThan"),
    ({"Variable": "$.v", "NumericEquals": "1", "Next": "N"}, "NumericEquals"),
    ({"Variable": "$.v", "NumericGreaterThan": True, "Next": "N"}, "NumericGreaterThan"),
    ({"Variable": "$.v", "BooleanEquals": "true", "Next": "N"}, "BooleanEquals"),
    ({"Variable": "$.v", "BooleanEquals": 1, "Next": "N"}, "BooleanEquals"),
    ({"Variable": "$.v", "TimestampEquals": "2020-01-01", "Next": "N"}, "TimestampEquals"),
    ({"Variable": "$.v", "TimestampLessThan": "2020-01-01T00:00:00", "Next": "N"}, "TimestampLessThan"),
    ({"Variable": "$.v", "TimestampGreaterThan": 1577836800, "Next": "N"}, "TimestampGreaterThan"),
    ({"Variable": "$.v", "StringMatches": 5, "Next": "N"}, "StringMatches"),
    ({"Variable": "$.v", "IsNull": "true", "Next": "N"}, "IsNull"),
    ({"Variable": "$.v", "IsPresent": 1, "Next": "N"}, "IsPresent"),
    ({"Variable": "$.v", "IsTimestamp": None, "Next": "N"}, "IsTimestamp"),
    ({"Variable": "$.v", "StringEqualsPath": 5, "Next": "N"}, "StringEqualsPath"),
    ({"Variable": "$.v", "NumericEqualsPath": "limit", "Next": "N"}, "NumericEqualsPath"),
    ({"Variable": "$.v", "TimestampEqualsPath": "$.a[", "Next": "N"}, "TimestampEqualsPath"),
    ({"Variable": "$.v", "StringMatchesPath": "$.p", "Next": "N"}, "StringMatchesPath"),  # does not exist
    ({"Variable": "$.v", "IsNullPath": "$.p", "Next": "N"}, "IsNullPath"),
    ({"Variable": "$.v", "StringEqual": "a", "Next": "N"}, "StringEqual"),  # misspelt
    ({"And": [], "Next": "N"}, "non-empty"),
    ({"Or": [], "Next": "N"}, "non-empty"),
    ({"And": {"Variable": "$.v", "IsNull": True}, "Next": "N"}, "array"),
    ({"Not": [{"Variable": "$.v", "IsNull": True}], "Next": "N"}, "Not"),
    ({"And": ["x"], "Next": "N"}, "object"),
    ({"And": [{"Variable": "$.v", "NumericEquals": "1"}], "Next": "N"}, "NumericEquals"),
    ({"Or": [{"Variable": "$.v", "IsNull": True, "Next": "N"}], "Next": "N"}, "Next"),
    ({"Not": {"Variable": "$.v", "IsNull": True, "Assign": {}}, "Next": "N"}, "Assign"),
    ({"Not": {"Variable": "$.v"}, "Next": "N"}, "operator"),
    ({"Variable": "$.v", "And": [{"Variable": "$.v", "IsNull": True}], "Next": "N"}, "Variable"),
    ({"Variable": "$.v", "IsNull": True}, "Next"),
    ({"Variable": "$.v", "IsNull": True, "Next": 3}, "Next"),
    ({"Variable": "$.v", "IsNull": True, "Next": ""}, "Next"),
    ("not a rule", "object"),
    ([], "object"),
]


@pytest.mark.parametrize(("rule", "mentions"), BAD_RULES)
def test_malformed_rules_are_rejected_in_plain_words(rule: Any, mentions: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_choice_rule(rule)
    assert mentions in str(caught.value)
