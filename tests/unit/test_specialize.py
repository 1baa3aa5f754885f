"""Specialised Pass/Choice bodies behave exactly like the generic JSONPath bodies (differential tests)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside.definition.intrinsic_functions import INT32_MAX, INT32_MIN
from heaviside.definition.loader import load_definition
from heaviside.definition.model import State
from heaviside.engine import jsonpath_language
from heaviside.engine.effects import Execution, Failed, Succeeded
from heaviside.engine.interpreter import _BODIES, Engine
from heaviside.engine.specialize import raw_state_specs, specialize
from heaviside.errors import StatesError

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
VARIABLES = {"v": 1}


def _definition(spec: dict[str, Any]) -> dict[str, Any]:
    """State ``S`` and a Succeed state for each of its targets."""
    targets = {spec.get("Next"), spec.get("Default"), *(rule.get("Next") for rule in spec.get("Choices", ()))}
    states = {name: {"Type": "Succeed"} for name in sorted(targets - {None})}
    return {"StartAt": "S", "States": {"S": spec, **states}}


def _engine(definition: dict[str, Any], input_: Any = None) -> Engine:
    execution = Execution("arn:exec", "e1", "2026-03-01T12:00:00Z", input_, "arn:sm", "sm")
    return Engine(load_definition(definition), execution, Random(1))


def _pass(parameters: Any) -> dict[str, Any]:
    return {"Type": "Pass", "Parameters": parameters, "Next": "E"}


def _choice(*rules: dict[str, Any], default: str | None = "G") -> dict[str, Any]:
    spec: dict[str, Any] = {"Type": "Choice", "Choices": list(rules)}
    if default is not None:
        spec["Default"] = default
    return spec


def _rule(operator: str, operand: Any, variable: str = "$.n", next_: str = "E") -> dict[str, Any]:
    return {"Variable": variable, operator: operand, "Next": next_}


def _test(operator: str, operand: Any, variable: str) -> dict[str, Any]:
    """A rule nested in And/Or/Not (no Next)."""
    return {"Variable": variable, operator: operand}


#: State shapes specialize() handles; every one is checked against the generic body.
CASES: dict[str, dict[str, Any]] = {
    "chain": _pass({"i.$": "$.i", "step": 3}),
    "chain-end": {"Type": "Pass", "Parameters": {"i.$": "$.i", "step": 3}, "End": True},
    "nested-path": _pass({"deep.$": "$.a.b", "whole.$": "$", "odd.$": "$['a.b']", "quote.$": "$['it\\'s']"}),
    "nested-template": _pass({"list": [1, {"x.$": "$.a"}, "lit", 2.5], "obj": {"deep": {"v.$": "$.a.b"}},
                              "lit": {"k": [1, 2]}, "f": 0.1, "none": None, "t": True, "we'ird\"key.$": "$.s"}),
    "literal-template": _pass({"a": {"b": [1, 2.5, None]}, "c": "d"}),
    "no-parameters": {"Type": "Pass", "Next": "E"},
    "result": {"Type": "Pass", "Result": {"r": [1, 2]}, "Next": "E"},
    "math-add": _pass({"n.$": "States.MathAdd($.n, 1)"}),
    "math-add-literal-first": _pass({"n.$": "States.MathAdd(-5, $.a.b)", "keep.$": "$.s"}),
    "math-add-max": _pass({"n.$": "States.MathAdd($.n, 2147483647)"}),
    "math-add-min": _pass({"n.$": "States.MathAdd($.n, -2147483648)"}),
    "math-add-paths": _pass({"n.$": "States.MathAdd($.n, $.i)"}),
    "format": _pass({"msg.$": "States.Format('Hello {} and {}!', $.s, $.a.b)"}),
    "format-bare": _pass({"msg.$": "States.Format('{}', $.n)", "lit.$": "States.Format('x {} y {}', 42, 'q')"}),
    "format-escapes": _pass({"msg.$": "States.Format('\\{\\} {} \\'q\\'', $.x)", "empty.$": "States.Format('')"}),
    "loop-check": _choice(_rule("NumericLessThan", 1000, next_="F"), default="E"),
    "numeric-all": _choice(_rule("NumericEquals", 1.5), _rule("NumericGreaterThanEquals", -3, "$.i", "F"),
                           _rule("NumericLessThanEquals", 0), _rule("NumericGreaterThan", 2**40, "$.a.b", "F")),
    "numeric-equals-int": _choice(_rule("NumericEquals", 1000)),
    "strings": _choice(_rule("StringEquals", "done", "$.s"), _rule("StringLessThan", "m", "$.s", "F"),
                       _rule("StringGreaterThan", "m", "$.x"), _rule("StringLessThanEquals", "M", "$.x", "F"),
                       _rule("StringGreaterThanEquals", "z", "$.name"), _rule("StringEquals", "é", "$.x", "F")),
    "booleans": _choice(_rule("BooleanEquals", True, "$.flag"), _rule("BooleanEquals", False, "$.a.b", "F"),
                        default=None),
    "type-tests": _choice(_rule("IsNull", True, "$.x"), _rule("IsString", False, "$.s", "F"),
                          _rule("IsBoolean", True, "$.flag"), _rule("IsNumeric", True, "$.n", "F"),
                          _rule("IsNumeric", False, "$.a.b"), _rule("IsNull", False, "$.i", "F")),
    "combinators": _choice(
        {"And": [_test("StringEquals", "a", "$.s"), _test("NumericGreaterThan", 5, "$.a.b")], "Next": "E"},
        {"Or": [_test("BooleanEquals", True, "$.flag"), {"Not": _test("NumericLessThan", 10, "$.n")}], "Next": "F"},
        {"Not": {"And": [_test("IsNull", False, "$.x"), {"Or": [_test("StringEquals", "m", "$.x")]}]},
         "Next": "E", "Comment": "nested"}),
    "no-default": _choice(_rule("NumericLessThan", 1000), default=None),
}
EDGE_INPUTS: list[Any] = [
    {"i": 7, "n": 5, "s": "done", "a": {"b": 3}, "x": None, "flag": True, "name": "z", "a.b": 1, "it's": 2},
    {}, None, [], [1, 2], "text", 0, 1.5, True,
    {"n": True}, {"n": False}, {"n": 1.0}, {"n": 999.5}, {"n": 1000}, {"n": 1000.0}, {"n": None}, {"n": "5"},
    {"n": [5]}, {"n": {"n": 5}}, {"n": float("nan")}, {"n": float("inf")}, {"n": -0.0}, {"n": 2**40},
    {"n": INT32_MAX}, {"n": INT32_MAX - 1}, {"n": INT32_MIN}, {"n": INT32_MIN - 1}, {"n": INT32_MAX + 1},
    {"n": 3, "i": INT32_MAX}, {"n": -3, "i": INT32_MIN}, {"n": 3, "i": 2.5}, {"n": 3, "i": "4"},
    {"a": None}, {"a": []}, {"a": "b"}, {"a": {"b": None}}, {"a": {"b": 6}, "s": "a"}, {"a": {"b": 2**31}},
    {"a": {"b": -2147483643}, "s": 1}, {"a": {"b": -2147483644}, "s": 1},
    {"s": "m"}, {"s": "é"}, {"s": 1}, {"s": ["a"]}, {"s": ""}, {"x": "é"}, {"x": "M"}, {"x": "m"}, {"x": {}},
    {"flag": 1}, {"flag": False}, {"flag": None}, {"i": 7}, {"i": None, "n": 3},
    {"flag": False, "a": {"b": False}}, {"flag": None, "a": {"b": True}}, {"flag": 0, "a": {"b": 0}},
    {"n": 20, "flag": False, "s": "a", "a": {"b": 5}, "x": "m"},
]

_ints = st.one_of(st.integers(), st.sampled_from([0, 1, -1, 5, 999, 1000, 1001, INT32_MAX, INT32_MAX - 1, INT32_MIN,
                                                  INT32_MIN + 1, INT32_MAX + 1, INT32_MIN - 1, 2**40]))
_scalars = st.one_of(st.none(), st.booleans(), _ints, st.floats(),
                     st.sampled_from([0.5, 1.0, 1.5, 999.5, 1000.0, -0.0, 2.5, 1e300]),
                     st.text(max_size=4), st.sampled_from(["a", "m", "M", "z", "done", "é", ""]))
_KEYS = st.sampled_from(["n", "i", "a", "b", "s", "x", "flag", "name", "a.b", "it's"])
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=8)
INPUTS = st.one_of(st.dictionaries(_KEYS, _json, max_size=7), _json)


def _typed(value: Any) -> Any:
    """A comparable form that tells 1, 1.0 and True apart, keeps key order and handles NaN."""
    if isinstance(value, dict):
        return ("object", tuple((key, _typed(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_typed(item) for item in value))
    if type(value) is float:
        return ("float", repr(value) if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


_ENGINE = _engine(_definition(_pass({})))  # what the bodies are given (services for the generic one)


def _outcome(body: Callable[..., Any], engine: Engine, state: State, data: Any) -> Any:
    events: list[Any] = []
    try:
        next_name, output, variables = body(engine, state, data, VARIABLES, NOW, events)
    except StatesError as exc:
        return ("error", exc.error, exc.cause, events)
    return ("ok", next_name, _typed(output), output is data, variables is VARIABLES, events)


def _bodies(spec: dict[str, Any]) -> tuple[Engine, State, Callable[..., Any], Callable[..., Any]]:
    engine = _engine(_definition(spec))
    state = engine.states["S"]
    specialized = specialize(state, raw_state_specs(engine.definition.source)["S"])
    assert specialized is not None
    generic = jsonpath_language.pass_state if state.type == "Pass" else jsonpath_language.choice_state
    return engine, state, specialized, generic


def _check(case: str, data: Any) -> None:
    engine, state, specialized, generic = _bodies(CASES[case])
    assert _outcome(specialized, engine, state, data) == _outcome(generic, engine, state, data), (case, data)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("data", EDGE_INPUTS, ids=repr)
def test_edge_inputs_match_the_generic_body(case: str, data: Any) -> None:
    _check(case, data)


@settings(max_examples=300, deadline=None, database=None)
@given(data=INPUTS)
def test_random_inputs_match_the_generic_body(data: Any) -> None:
    for case in CASES:
        _check(case, data)


_SUFFIXES = st.sampled_from(["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"])
_NUMBERS = st.one_of(st.integers(-(2**60), 2**60), st.sampled_from([0, 1000, INT32_MAX, INT32_MIN]),
                     st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
_ASCII = st.text(st.characters(max_codepoint=127), max_size=4)


def _numbers_near(bound: int | float) -> st.SearchStrategy[Any]:
    return st.sampled_from([bound, bound + 1, bound - 1, bound + 0.5, float(bound), -bound, True, False, str(bound)])


def _strings_near(bound: str) -> st.SearchStrategy[Any]:
    return st.sampled_from([bound, bound + "a", bound[:-1], bound.upper(), bound + "\x00", "é" + bound, "\U0001f600",
                            "\uffff", None, 1])


@settings(max_examples=400, deadline=None, database=None)
@given(draw=st.data(), family=st.sampled_from(["Numeric", "String"]), suffix=_SUFFIXES)
def test_random_comparisons_match_the_generic_body(draw: st.DataObject, family: str, suffix: str) -> None:
    bound = draw.draw(_NUMBERS if family == "Numeric" else _ASCII, "bound")
    near = _numbers_near(bound) if isinstance(bound, int | float) else _strings_near(bound)
    value, other = draw.draw(st.one_of(near, _json), "value"), draw.draw(st.one_of(near, _json), "other")
    not_rule = {"Not": {"Variable": "$.a.b", family + suffix: bound}, "Next": "F"}
    for spec in (_choice(_rule(family + suffix, bound)), _choice(not_rule)):
        _, state, specialized, generic = _bodies(spec)
        for data in ({"n": value, "a": {"b": other}}, {"a": {"b": value}}):
            assert _outcome(specialized, _ENGINE, state, data) == _outcome(generic, _ENGINE, state, data)


@settings(max_examples=300, deadline=None, database=None)
@given(data=INPUTS, addend=_ints, value=_ints)
def test_random_math_add_matches_the_generic_body(data: Any, addend: int, value: int) -> None:
    spec = _pass({"n.$": f"States.MathAdd($.n, {addend})", "m.$": f"States.MathAdd({addend}, $.i)"})
    if not INT32_MIN <= addend <= INT32_MAX:  # never specialised: it always fails
        engine = _engine(_definition(spec))
        assert specialize(engine.states["S"], spec) is None
        return
    _, state, specialized, generic = _bodies(spec)
    edges = [{"n": edge + delta, "i": edge + delta} for edge in (INT32_MAX - addend, INT32_MIN - addend)
             for delta in (-1, 0, 1)]
    for input_ in (data, {"n": value, "i": value}, {"n": value, "i": -value}, {"n": float(value), "i": 1}, *edges):
        assert _outcome(specialized, _ENGINE, state, input_) == _outcome(generic, _ENGINE, state, input_)


def test_regular_inputs_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name in ("pass_state", "choice_state"):
        original = getattr(jsonpath_language, name)

        def counting(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(jsonpath_language, name, counting)
    engine, increment, fast_increment, _ = _bodies(CASES["math-add"])
    _, check, fast_check, _ = _bodies(CASES["loop-check"])
    assert fast_increment(engine, increment, {"n": 4}, VARIABLES, NOW, []) == ("E", {"n": 5}, VARIABLES)
    assert fast_check(engine, check, {"n": 4}, VARIABLES, NOW, []) == ("F", {"n": 4}, VARIABLES)
    assert fast_check(engine, check, {"n": "4"}, VARIABLES, NOW, []) == ("E", {"n": "4"}, VARIABLES)
    assert calls == []
    with pytest.raises(StatesError, match="outside the 32-bit integer range"):
        fast_increment(engine, increment, {"n": INT32_MAX}, VARIABLES, NOW, [])
    with pytest.raises(StatesError, match=r"Invalid path '\$\.n'"):
        fast_check(engine, check, {}, VARIABLES, NOW, [])
    assert calls == ["pass_state", "choice_state"]


def test_literals_are_the_same_objects_as_in_the_generic_body() -> None:
    for case in ("literal-template", "result", "nested-template"):
        engine, state, specialized, generic = _bodies(CASES[case])
        fast, slow = specialized(engine, state, {"a": {"b": 1}, "s": "x"}, VARIABLES, NOW, [])[1], \
            generic(engine, state, {"a": {"b": 1}, "s": "x"}, VARIABLES, NOW, [])[1]
        if case == "nested-template":
            assert fast["lit"] is slow["lit"]
        else:
            assert fast is slow


UNSUPPORTED: list[dict[str, Any]] = [
    {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "Assign": {"x": 1}, "Next": "E"},
    {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "InputPath": "$.a", "Next": "E"},
    {"Type": "Pass", "OutputPath": "$.a", "Next": "E"},
    {"Type": "Pass", "Result": 1, "ResultPath": "$.r", "Next": "E"},
    {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "Result": 1, "Next": "E"},
    _pass({"id.$": "$$.Execution.Id"}),
    _pass({"first.$": "$.items[0]"}),
    _pass({"all.$": "$.items[*].id"}),
    _pass({"u.$": "States.UUID()"}),
    _pass({"n.$": "States.MathAdd($.n, 1.0)"}),
    _pass({"n.$": "States.MathAdd(1, 2)"}),
    _pass({"n.$": "States.MathAdd(States.MathAdd($.n, 1), 1)"}),
    _pass({"n.$": "States.MathAdd($.n, 2147483648)"}),
    _pass({"s.$": "States.Format($.template, $.n)"}),
    _pass({"s.$": "States.Format('{}', States.MathAdd($.n, 1))"}),
    _choice(_rule("TimestampEquals", "2024-01-01T00:00:00Z")),
    _choice(_rule("StringMatches", "a*")),
    _choice(_rule("NumericEqualsPath", "$.m")),
    _choice(_rule("IsPresent", True)),
    _choice(_rule("StringLessThan", "é")),
    _choice(_rule("NumericEquals", 1, "$.items[0]")),
    _choice(_rule("NumericEquals", 1, "$$.Execution.Input.n")),
    _choice({**_rule("NumericEquals", 1), "Assign": {"x": 1}}),
    {**_choice(_rule("NumericEquals", 1)), "Assign": {"x": 1}},
    {**_choice(_rule("NumericEquals", 1)), "OutputPath": "$.n"},
    {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "Next": "E"},
    {"Type": "Wait", "Seconds": 1, "Next": "E"},
    {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Next": "E"},
]


@pytest.mark.parametrize("spec", UNSUPPORTED, ids=repr)
def test_unsupported_shapes_are_left_to_the_generic_body(spec: dict[str, Any]) -> None:
    definition = _definition(spec)
    if spec.get("QueryLanguage") == "JSONata":
        definition["QueryLanguage"] = "JSONata"
        del spec["QueryLanguage"]
    engine = _engine(definition)
    assert specialize(engine.states["S"], raw_state_specs(engine.definition.source)["S"]) is None


def test_a_spec_that_does_not_match_the_state_is_refused() -> None:
    engine = _engine(_definition(CASES["loop-check"]))
    assert specialize(engine.states["S"], CASES["numeric-all"]) is None
    assert specialize(engine.states["S"], {"Type": "Pass"}) is None


def test_raw_state_specs_reaches_nested_machines() -> None:
    inner: dict[str, Any] = {"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}}
    source = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [inner], "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Succeed"}}},
              "Next": "Old"},
        "Old": {"Type": "Map", "Iterator": {"StartAt": "It", "States": {"It": {"Type": "Succeed"}}}, "End": True}}}
    specs = raw_state_specs(source)
    assert sorted(specs) == ["In", "It", "Item", "M", "Old", "P"]
    assert specs["In"] is inner["States"]["In"]


def _both_engines(definition: dict[str, Any], input_: Any) -> tuple[Engine, Engine]:
    generic, fast = _engine(definition, input_), _engine(definition, input_)
    specs = raw_state_specs(definition)
    generic._bodies = {name: (state, _BODIES[state.type, state.query_language])
                       for name, state in generic.states.items()}
    fast._bodies = {name: (state, specialize(state, specs[name]) or _BODIES[state.type, state.query_language])
                    for name, state in fast.states.items()}
    return generic, fast


def _loop(count: int) -> dict[str, Any]:
    return {"StartAt": "Inc", "States": {
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": count, "Next": "Inc"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}


def _chain(size: int) -> dict[str, Any]:
    states: dict[str, Any] = {f"P{k}": {"Type": "Pass", "Parameters": {"i.$": "$.i", "step": k}, "Next": f"P{k + 1}"}
              for k in range(size)}
    states[f"P{size - 1}"] = {"Type": "Pass", "Parameters": {"i.$": "$.i", "step": size - 1}, "End": True}
    return {"StartAt": "P0", "States": states}


@pytest.mark.parametrize(("definition", "input_", "expected"), [
    (_loop(50), {"n": 0}, Succeeded({"n": 50})),
    (_loop(50), {"n": 10.0}, Succeeded({"n": 50})),  # the first MathAdd rounds to an int (generic body)
    (_loop(5), {"n": INT32_MAX}, Failed("States.Runtime", "States.MathAdd: the sum 2147483648 is outside the "
                                                         "32-bit integer range")),
    (_loop(5), {"m": 1}, None),
    (_chain(20), {"i": 7}, Succeeded({"i": 7, "step": 19})),
    (_chain(3), [1], None),
])
def test_end_to_end_through_the_engine(definition: dict[str, Any], input_: Any, expected: Any) -> None:
    generic, fast = _both_engines(definition, input_)
    assert any(body.__name__.startswith("specialized") for _, body in fast._bodies.values())
    slow_step, fast_step = generic.start(NOW), fast.start(NOW)
    assert fast_step.effect == slow_step.effect
    assert fast_step.events == slow_step.events
    if expected is not None:
        assert fast_step.effect == expected
    else:
        assert isinstance(fast_step.effect, Failed)
