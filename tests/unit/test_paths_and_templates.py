"""Paths and payload templates: compile once, resolve fast, AWS's messages on misses."""

from __future__ import annotations

from typing import Any

import pytest

from heaviside.definition.paths import PathNotFound, Scope, compile_path, compile_reference_path
from heaviside.definition.templates import compile_template
from heaviside.errors import ExpressionSyntaxError, StatesError

DATA = {"a": {"b": [10, 20, {"c d": 5}]}, "people": [{"name": "ann", "age": 3}, {"name": "bo", "age": 4}]}
SCOPE = Scope(DATA, {"Execution": {"Id": "arn:x"}}, {"v": {"q": 1}, "n": 7})


@pytest.mark.parametrize(("text", "expected"), [
    ("$", DATA),
    ("$.a.b[1]", 20),
    ("$.a.b[-1]", {"c d": 5}),
    ("$.a.b[2]['c d']", 5),
    ("$.a.b[2].['c d']", 5),
    ("$$.Execution.Id", "arn:x"),
    ("$v.q", 1),
    ("$n", 7),
    ("$.people[*].name", ["ann", "bo"]),
    ("$.people[?(@.age > 3)].name", ["bo"]),
    ("$..name", ["ann", "bo"]),
    ("$.people[0:1]", [{"name": "ann", "age": 3}]),
])
def test_resolve(text: str, expected: Any) -> None:
    assert compile_path(text).resolve(SCOPE) == expected


def test_definite_paths_are_key_tuples_and_compiled_once() -> None:
    path = compile_path("$.a.b[1]")
    assert path.definite and path.steps == ("a", "b", 1)
    assert compile_path("$.a.b[1]") is path


@pytest.mark.parametrize(("text", "message"), [
    ("$.missing", "Invalid path '$.missing' : No results for path: $['missing']"),
    ("$.no.such.path", "Invalid path '$.no.such.path' : Missing property in path $['no']"),
    ("$.a.b[7]", "Invalid path '$.a.b[7]' : No results for path: $['a']['b'][7]"),
])
def test_misses_use_aws_wording(text: str, message: str) -> None:
    with pytest.raises(PathNotFound) as caught:
        compile_path(text).resolve(SCOPE)
    assert str(caught.value) == message


def test_undefined_variable_is_a_miss() -> None:
    with pytest.raises(PathNotFound):
        compile_path("$nope").resolve(SCOPE)


@pytest.mark.parametrize("text", ["a.b", "", "$.a[", "$[?(@.x ==]"])
def test_bad_paths_are_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_path(text)


def test_reference_paths_place_without_mutating() -> None:
    original = {"a": {"keep": 1}}
    placed = compile_reference_path("$.a.b.c").place(original, 5)
    assert placed == {"a": {"keep": 1, "b": {"c": 5}}}
    assert original == {"a": {"keep": 1}}
    assert compile_reference_path("$").place(original, 3) == 3
    with pytest.raises(ExpressionSyntaxError):
        compile_reference_path("$.a[*]")
    with pytest.raises(ExpressionSyntaxError):
        compile_reference_path("$$.Execution")
    with pytest.raises(PathNotFound):
        compile_reference_path("$.x").place("a string", 1)


def test_template_evaluates_dollar_keys_at_any_depth_and_keeps_literals() -> None:
    template = compile_template({
        "lit": "$.a",
        "name.$": "$.people[0].name",
        "list": [1, {"deep.$": "$$.Execution.Id"}, "$.x"],
        "sum.$": "States.MathAdd($n, 1)",
        "var.$": "$v",
    })
    assert template.resolve(SCOPE) == {
        "lit": "$.a", "name": "ann", "list": [1, {"deep": "arn:x"}, "$.x"], "sum": 8, "var": {"q": 1}}


def test_literal_templates_are_returned_as_is() -> None:
    source = {"a": [1, {"b": "$.c"}]}
    assert compile_template(source).resolve(SCOPE) is source


def test_template_miss_names_the_field_and_input() -> None:
    with pytest.raises(StatesError) as caught:
        compile_template({"value.$": "$.nope"}).resolve(Scope({"k": 1}))
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "The JSONPath '$.nope' specified for the field 'value.$' could not be found in the input '{\"k\":1}'")


def test_bad_template_expression_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_template({"x.$": "not a path"})
    with pytest.raises(ExpressionSyntaxError):
        compile_template({"x.$": 5})
