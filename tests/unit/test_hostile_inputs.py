"""Hostile execution input never crashes the engine: every run ends SUCCEEDED or FAILED with an ASL error.

The contract of ``run_local(definition, input, skip_waits=True)`` for valid definitions that call
no handlers: it returns a record whose status is SUCCEEDED (with JSON output) or FAILED, and a
FAILED run names a ``States.*`` error, unless a Fail state named its own. No Python exception
escapes and no Python exception's class name becomes the error. Inputs are random JSON, mutations
of the conformance cases' inputs, huge arrays, deep nesting, unicode, big integers and 1e308.
Intrinsic functions and Step Functions' JSONata functions respect their caps at the boundary.
"""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path
from random import Random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heaviside import run_local
from heaviside.definition.intrinsic_functions import FUNCTIONS, INT32_MAX, INT32_MIN, MAX_RANGE_LENGTH, MAX_TEXT_LENGTH
from heaviside.definition.json_walks import JsonEquality, render
from heaviside.definition.jsonata import RANGE_MAX_ITEMS
from heaviside.definition.loader import load_definition
from heaviside.definition.validation.document import MAX_NESTING
from heaviside.definition.validation.schema import ALLOWED_FIELDS
from heaviside.errors import DefinitionError
from heaviside.runtime.execution import FAILED, SUCCEEDED, ExecutionRecord
from tests.unit.test_hostile_definitions import INTRINSICS, JSON_VALUES, JSONATA, PATHS

CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cases"
FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


# ------------------------------------------------------------------------------------ the oracle


def _is_json(value: Any) -> bool:
    """Plain JSON data (string keys, finite numbers), checked without recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if not all(isinstance(key, str) for key in node):
                return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float):
            if not math.isfinite(node):
                return False
        elif not (node is None or isinstance(node, str | int)):
            return False
    return True


def check_runs(definition: Any, input_: Any) -> ExecutionRecord:
    """Run to the end; SUCCEEDED with JSON output, or FAILED with a States.* error or a Fail state's own."""
    record = run_local(definition, input_, skip_waits=True, random=Random(7))
    assert record.status in (SUCCEEDED, FAILED), (record.status, record.error, record.cause)
    if record.status == SUCCEEDED:
        assert _is_json(record.output), record.output
    else:
        failed_by_fail_state = any(event[0] == "FailStateEntered" for _, event in record.events())
        assert failed_by_fail_state or (record.error or "").startswith("States."), (record.error, record.cause)
        assert record.cause is None or isinstance(record.cause, str)
    return record


def _contains_task(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("Type") == "Task" or any(_contains_task(value) for value in node.values())
    if isinstance(node, list):
        return any(_contains_task(value) for value in node)
    return False


def _runnable_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text())
        if case["expect"]["status"] != "INVALID" and "handlers" not in case and not _contains_task(case["definition"]):
            cases.append(case)
    return cases


CASE_LIST = _runnable_cases()


# ------------------------------------------------------------------------------------ definitions


def machine(states: dict[str, Any], start: str = "A", **top: Any) -> dict[str, Any]:
    return {"StartAt": start, "States": states, **top}


def pass_with(parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return machine({"A": {"Type": "Pass", "Parameters": parameters, "End": True, **extra}})


def jsonata_output(expression: str) -> dict[str, Any]:
    return machine({"A": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}},
                   QueryLanguage="JSONata")


#: Valid definitions that read the input in every way a path, an intrinsic or JSONata can.
OWN: dict[str, dict[str, Any]] = {
    "paths": pass_with({"a.$": "$.a", "deep.$": "$..a", "all.$": "$.*", "first.$": "$.l[0]", "last.$": "$.l[-1:]",
                        "filter.$": "$.l[?(@.a > 1)]", "names.$": "$.l[*].a", "slice.$": "$.l[1:3]",
                        "ctx.$": "$$.Execution.Input", "quoted.$": "$['a b']"},
                       InputPath="$", ResultPath="$.out", OutputPath="$.out"),
    "result_path_deep": machine({"A": {"Type": "Pass", "ResultPath": "$.a.b.c[0]", "End": True}}),
    "input_output_paths": machine({"A": {"Type": "Pass", "InputPath": "$.a", "OutputPath": "$.b", "End": True}}),
    "intrinsics_text": pass_with({
        "format.$": "States.Format('{} and {}', $.a, $.b)", "json.$": "States.JsonToString($)",
        "parsed.$": "States.StringToJson($.s)", "b64.$": "States.Base64Encode($.s)",
        "unb64.$": "States.Base64Decode($.s)", "hash.$": "States.Hash($, 'SHA-256')",
        "split.$": "States.StringSplit($.s, $.d)", "uuid.$": "States.UUID()",
    }),
    "intrinsics_arrays": pass_with({
        "partition.$": "States.ArrayPartition($.l, $.n)", "contains.$": "States.ArrayContains($.l, $.a)",
        "range.$": "States.ArrayRange($.n, $.m, $.k)", "item.$": "States.ArrayGetItem($.l, $.n)",
        "length.$": "States.ArrayLength($.l)", "unique.$": "States.ArrayUnique($.l)",
        "array.$": "States.Array($.a, $.l, $)",
    }),
    "intrinsics_maths": pass_with({
        "add.$": "States.MathAdd($.n, $.m)", "random.$": "States.MathRandom($.n, $.m)",
        "seeded.$": "States.MathRandom($.n, $.m, $.k)", "merge.$": "States.JsonMerge($.o, $.p, false)",
        "deep.$": "States.JsonMerge($.o, $.p, true)",
    }),
    "assign_and_variables": machine({
        "A": {"Type": "Pass", "Assign": {"v.$": "$", "w.$": "States.JsonToString($)", "lit": "$.x"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$v", "w.$": "$w", "x.$": "$v.a"}, "End": True},
    }),
    "choice_operators": machine({
        "C": {"Type": "Choice", "Default": "D", "Choices": [
            {"Variable": "$.a", "StringMatches": "*x*\\*", "Next": "D"},
            {"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b", "Next": "D"},
            {"Variable": "$.a", "TimestampLessThan": "2024-01-01T00:00:00Z", "Next": "D"},
            {"Variable": "$.a", "TimestampEqualsPath": "$.b", "Next": "D"},
            {"And": [{"Variable": "$.a", "IsPresent": True}, {"Not": {"Variable": "$.a", "IsNull": True}},
                     {"Or": [{"Variable": "$.a", "IsString": True}, {"Variable": "$.a", "IsTimestamp": True},
                             {"Variable": "$.a", "IsNumeric": True}, {"Variable": "$.a", "IsBoolean": True}]}],
             "Next": "D"},
            {"Variable": "$.a", "StringLessThanEqualsPath": "$.b", "Next": "D"},
            {"Variable": "$.a", "BooleanEqualsPath": "$.b", "Next": "D"},
            {"Variable": "$.a", "NumericEquals": 1e308, "Next": "D"},
        ]},
        "D": {"Type": "Succeed"},
    }, start="C"),
    "choice_missing_variable": machine({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.missing.x", "StringEquals": "y", "Next": "D"}]},
        "D": {"Type": "Succeed"},
    }, start="C"),
    "map": machine({"M": {
        "Type": "Map", "ItemsPath": "$.l", "MaxConcurrencyPath": "$.n",
        "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "all.$": "$"},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"x.$": "$.v"},
                                                           "End": True}}},
        "ResultSelector": {"n.$": "States.ArrayLength($)"}, "ResultPath": "$.r", "End": True}}, start="M"),
    "parallel": machine({"P": {
        "Type": "Parallel", "ResultPath": "$.r", "End": True,
        "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "InputPath": "$.a", "End": True}}},
                     {"StartAt": "Y", "States": {"Y": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Z"}]},
        "Z": {"Type": "Pass", "End": True}}, start="P"),
    "wait_paths": machine({"W": {"Type": "Wait", "SecondsPath": "$.n", "Next": "T"},
                           "T": {"Type": "Wait", "TimestampPath": "$.s", "End": True}}, start="W"),
    "fail_paths": machine({"F": {"Type": "Fail", "ErrorPath": "States.Format('E{}', $.a)", "CausePath": "$.s"}},
                          start="F"),
    "jsonata_expressions": machine({"A": {"Type": "Pass", "Output": {
        "sum": "{% $sum($states.input.l[$type($) = 'number']) %}", "str": "{% $string($states.input) %}",
        "keys": "{% $keys($states.input) %}", "part": "{% $partition($states.input.l, 2) %}",
        "range": "{% $range(0, $count($states.input.l), 1) %}", "hash": "{% $hash($string($states.input), 'MD5') %}",
        "parse": "{% $parse($states.input.s) %}", "ctx": "{% $states.context.Execution.Input %}",
        "pad": "{% $pad($string($states.input.n), 5) %}", "uuid": "{% $uuid() %}", "rand": "{% $random(1) %}",
    }, "Assign": {"x": "{% $states.input.a %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% $x %}", "End": True}}, QueryLanguage="JSONata"),
    "jsonata_choice_map": machine({
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.a > $states.input.b %}", "Next": "M"}],
              "Default": "M"},
        "M": {"Type": "Map", "Items": "{% $states.input.l %}",
              "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": "{% $states.input.v %}",
                                                                  "End": True}}},
              "Output": "{% $states.result %}", "End": True}}, start="C", QueryLanguage="JSONata"),
}

DEFINITIONS: dict[str, dict[str, Any]] = {**{case["name"]: case["definition"] for case in CASE_LIST}, **OWN}


def test_the_definitions_are_valid_and_cover_the_conformance_cases() -> None:
    assert len(CASE_LIST) > 60
    for name, definition in DEFINITIONS.items():
        load_definition(definition)  # raises when not valid
        assert not _contains_task(definition), name


def test_the_own_definitions_succeed_on_a_friendly_input() -> None:
    friendly = {"a": 2, "b": 1, "l": [{"a": 1}, {"a": 2}, 3], "s": "[1, 2]", "d": ",", "n": 1, "m": 3, "k": 1,
                "o": {"x": 1}, "p": {"y": 2}, "e": "E", "c": "C", "a b": 0}
    for name in ("paths", "intrinsics_arrays", "intrinsics_maths", "assign_and_variables", "map",
                 "jsonata_expressions", "jsonata_choice_map"):
        record = check_runs(OWN[name], friendly)
        assert record.status == SUCCEEDED, (name, record.error, record.cause)


# ------------------------------------------------------------------------------------ inputs

HOSTILE_SCALARS = st.sampled_from([
    None, True, False, 0, -0.0, 1, -1, 2**31, -(2**31) - 1, 2**53 + 1, 2**64, -(2**200), 1e308, -1e308, 5e-324,
    0.1, 1.5, -2.5, "", " ", "x", "é✓\U0001f600", "\x00", "\ud800" if False else "\u2028", "*", "\\", "'", "{}",
    "$.a", "{% 1 %}", "States.UUID()", "2016-03-14T01:59:00Z", "2016-02-30T01:59:00Z", "1e999", "[" * 50,
    "[" * 3000 + "]" * 3000, '{"a":' * 100 + "1" + "}" * 100, "null", "NaN", "-0", "9" * 5000, "a" * 10_001,
    "QUFB" * 2500, "QUFB" * 2501, "MD5", "SHA-999",
])
SCALARS = st.one_of(HOSTILE_SCALARS, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=5)
                      | st.dictionaries(st.sampled_from(["a", "b", "l", "s", "n", "m", "k", "o", "p", "x", "v", "e",
                                                         "c", "d", "a b", ""]) | st.text(max_size=4),
                                        children, max_size=6), max_leaves=25)
#: Objects with the keys the definitions read, each holding anything.
INPUTS = st.one_of(
    st.fixed_dictionaries({}, optional={key: VALUES for key in
                                        ("a", "b", "l", "s", "d", "n", "m", "k", "o", "p", "e", "c", "x", "a b")}),
    VALUES,
)


def _mutate(value: Any, data: st.DataObject) -> Any:
    """One node of ``value`` (maybe the root) replaced by a hostile value."""
    if not isinstance(value, dict | list) or not value or data.draw(st.integers(0, 4)) == 0:
        return data.draw(VALUES)
    copied = copy.copy(value)
    key = data.draw(st.sampled_from(sorted(copied) if isinstance(copied, dict) else range(len(copied))))
    copied[key] = _mutate(copied[key], data)
    return copied


@pytest.mark.parametrize("name", sorted(OWN))
def test_own_definitions_with_random_input(name: str) -> None:
    @settings(FUZZ, max_examples=25)
    @given(INPUTS)
    def run(input_: Any) -> None:
        check_runs(OWN[name], input_)

    run()


@settings(FUZZ, max_examples=150)
@given(st.sampled_from(CASE_LIST), st.data())
def test_conformance_definitions_with_mutated_input(case: dict[str, Any], data: st.DataObject) -> None:
    check_runs(case["definition"], _mutate(case.get("input", {}), data))


@settings(FUZZ, max_examples=100)
@given(st.sampled_from(CASE_LIST), JSON_VALUES)
def test_conformance_definitions_with_random_input(case: dict[str, Any], input_: Any) -> None:
    check_runs(case["definition"], input_)


# ------------------------------------------------------------------------------------ random definitions


_ARGUMENT_PATHS = st.sampled_from(["$", "$.a", "$.b", "$.l", "$.s", "$.n", "$.m", "$.o", "$.l[0]", "$..a", "$.l[*]",
                                   "$$.Execution.Input", "$$.State.Name"])
_LITERALS = st.sampled_from(["'x'", "''", "'{}'", "'\\{\\}'", "1", "0", "-2.5", "1e308", "-1e308", "null", "true",
                             "'MD5'", "'SHA-256'", str(2**70)])


@st.composite
def _well_formed_intrinsics(draw: st.DrawFn, depth: int = 0) -> str:
    """A call with a known name, the right number of arguments and a matching Format template."""
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    function = FUNCTIONS[name]
    count = draw(st.integers(function.min_args, function.max_args or function.min_args + 3))
    argument = st.one_of(_ARGUMENT_PATHS, _LITERALS, *(() if depth else (_well_formed_intrinsics(depth + 1),)))
    arguments = [draw(argument) for _ in range(count)]
    if name == "States.Format":
        arguments[0] = draw(st.sampled_from(["'" + "{}" * (count - 1) + "'", "$.s"]))
    return f"{name}({', '.join(arguments)})"


_WELL_FORMED_JSONATA = st.builds(
    lambda function, argument: "{% " + function.replace("{}", argument) + " %}",
    st.sampled_from(["{}", "$string({})", "$count({})", "$sum({})", "$keys({})", "$partition({}, 2)",
                     "$range(0, $count({}), 1)", "$hash($string({}), 'SHA-256')", "$parse($string({}))",
                     "$number({})", "$uppercase({})", "$split({}, ',')", "$join({}, '-')", "{} > 1", "{} & 'x'",
                     "$exists({})", "$type({})", "[{}, {}][0]", "$lookup({}, 'a')", "$sort({})", "$distinct({})"]),
    st.sampled_from(["$states.input", "$states.input.a", "$states.input.l", "$states.input.s", "$states.input.n",
                     "$states.context", "$states.input.l[0]", "$states.input.*", "$states.input.o.x"]),
)


@st.composite
def runnable_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid skeleton with hostile paths, intrinsics and JSONata in the fields that evaluate them."""
    jsonata = draw(st.booleans())
    expression = (st.one_of(JSONATA, _WELL_FORMED_JSONATA) if jsonata
                  else st.one_of(PATHS, INTRINSICS, _ARGUMENT_PATHS, _well_formed_intrinsics()))
    keys = st.sampled_from(["x", "y", "z"]).map(lambda key: key if jsonata else key + ".$")
    template = st.dictionaries(keys, expression, min_size=1, max_size=3)
    kind = draw(st.sampled_from(["Pass", "Choice", "Map", "Parallel", "Wait", "Fail"]))
    state: dict[str, Any] = {"Type": kind}
    if kind != "Fail":
        state["Next"] = "E"
    allowed = ALLOWED_FIELDS[kind]
    fields: list[str]
    if jsonata:
        fields = [field for field in ("Output", "Assign", "Arguments", "Items", "Seconds", "Error", "Cause")
                  if field in allowed]
        for field in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
            whole = field in ("Assign", "Arguments") or draw(st.booleans())
            state[field] = draw(template) if whole else draw(expression)
    else:
        fields = [field for field in ("InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
                                      "Assign", "ItemsPath", "ItemSelector", "SecondsPath", "TimestampPath",
                                      "ErrorPath", "CausePath", "MaxConcurrencyPath") if field in allowed]
        if kind == "Wait":
            fields.remove(draw(st.sampled_from(["SecondsPath", "TimestampPath"])))  # they exclude each other
        for field in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
            state[field] = draw(template) if field in ("Parameters", "ResultSelector", "Assign",
                                                       "ItemSelector") else draw(expression)
    if kind == "Choice":
        del state["Next"]
        rule = ({"Condition": draw(expression), "Next": "E"} if jsonata else
                {"Variable": draw(PATHS), draw(st.sampled_from(["StringEqualsPath", "NumericLessThanPath",
                                                                "IsPresent", "StringMatches", "IsTimestamp"])):
                 draw(st.sampled_from([True, "*", "$.a"])), "Next": "E"})
        state.update(Choices=[rule], Default="E")
    elif kind == "Map":
        state["ItemProcessor"] = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    elif kind == "Parallel":
        state["Branches"] = [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]
    elif kind == "Wait" and not any(key in state for key in ("Seconds", "SecondsPath", "TimestampPath")):
        state["Seconds"] = 1
    top: dict[str, Any] = {"QueryLanguage": "JSONata"} if jsonata else {}
    return machine({"A": state} if kind == "Fail" else {"A": state, "E": {"Type": "Succeed"}}, **top)


@settings(FUZZ, max_examples=200)
@given(runnable_definitions(), INPUTS)
def test_random_expressions_on_random_input(definition: dict[str, Any], input_: Any) -> None:
    try:
        load_definition(definition)
    except DefinitionError:
        return  # the validator's business (test_hostile_definitions); only valid ones run here
    check_runs(definition, input_)


# ------------------------------------------------------------------------------------ big and deep inputs


def _nested(depth: int, kind: str) -> Any:
    node: Any = "leaf"
    for _ in range(depth):
        node = [node] if kind == "list" else {"a": node}
    return node


BIG_INPUTS = {
    # 85,000 items: run_local measures input with json.dumps' default ", " separators (3 bytes an item)
    "100k array": {"l": [index % 10 for index in range(100_000)], "a": 1, "n": 2, "s": "x"},
    "wide object": {f"k{i}": i for i in range(15_000)},
    "long string": {"s": "é" * 30_000, "a": "x" * 10_000, "l": ["y" * 50_000]},  # run_local counts é as \u00e9
    "big numbers": {"a": 2**1000, "n": -(2**64), "m": 1e308, "k": -1e308, "l": [5e-324, 2**63, 10**400],
                    "s": "1e999", "o": {"x": 2**1100}},
    "unicode": {"a": "\U0001f600" * 1000, "s": "\u2028\u2029\ufeff\x00", "l": ["é", "e\u0301"], "d": "é"},
    "deep 900 lists": {"a": _nested(900, "list"), "l": [_nested(900, "list")]},
    "deep 900 objects": {"a": _nested(900, "dict"), "o": _nested(900, "dict"), "p": _nested(900, "dict")},
}


@pytest.mark.parametrize("input_name", sorted(BIG_INPUTS))
def test_big_and_deep_inputs_through_every_own_definition(input_name: str) -> None:
    started = time.perf_counter()
    input_ = BIG_INPUTS[input_name]
    for definition in OWN.values():
        check_runs(definition, input_)
    assert time.perf_counter() - started < 20


@settings(FUZZ, max_examples=40)
@given(st.sampled_from(CASE_LIST), st.sampled_from(sorted(BIG_INPUTS)))
def test_big_and_deep_inputs_through_conformance_definitions(case: dict[str, Any], input_name: str) -> None:
    check_runs(case["definition"], BIG_INPUTS[input_name])


def test_deep_input_beyond_what_json_can_encode_is_refused_as_execution_input() -> None:
    """5000 levels: refused as execution input with a clear reason, never a RecursionError."""
    from heaviside.runner import InvalidExecutionInput

    for kind in ("list", "dict"):
        with pytest.raises(InvalidExecutionInput, match="nested too deeply"):
            check_runs(OWN["paths"], {"a": _nested(5000, kind)})


def _deepening_loop(depth: int, then: dict[str, Any]) -> dict[str, Any]:
    """A loop that wraps its data in one more object per turn (``{"d": previous, "n": n + 1}``), then ``then``."""
    return machine({
        "A": {"Type": "Pass", "Parameters": {"d.$": "$", "n.$": "States.MathAdd($.n, 1)", "l": [1, 2]}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": depth, "Next": "A"}],
              "Default": "B"},
        "B": then,
        "Z": {"Type": "Succeed"},
    })


@pytest.mark.parametrize("depth", [900, 5000])
@pytest.mark.parametrize("next_state", [
    {"Type": "Pass", "Parameters": {"j.$": "States.JsonToString($.d)", "f.$": "States.Format('{}', $.d)",
                                    "c.$": "States.ArrayContains(States.Array($.d), $.d)",
                                    "u.$": "States.ArrayUnique(States.Array($.d, $.d))",
                                    "m.$": "States.JsonMerge($.d, $.d, true)",
                                    "h.$": "States.Hash($.d, 'MD5')", "a.$": "$..n"}, "End": True},
    {"Type": "Pass", "ResultPath": "$.d.d.d.r", "OutputPath": "$.d", "End": True},
    {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $string($states.input) %}", "End": True},
    {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.d %}", "End": True},
    {"Type": "Map", "ItemsPath": "$.l", "ItemSelector": {"d.$": "$.d"}, "End": True,
     "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}},
    {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}]},
    {"Type": "Choice", "Choices": [{"Variable": "$.d.d.n", "IsPresent": True, "Next": "Z"}], "Default": "Z"},
], ids=["intrinsics", "result-path", "jsonata-string", "jsonata-value", "map", "parallel", "choice"])
def test_data_nested_deep_inside_the_execution(depth: int, next_state: dict[str, Any]) -> None:
    if next_state["Type"] != "Choice":
        next_state = {**{key: value for key, value in next_state.items() if key != "End"}, "Next": "Z"}
    started = time.perf_counter()
    record = check_runs(_deepening_loop(depth, next_state), {"n": 0})
    assert time.perf_counter() - started < 10
    assert record.state_path().count("A") == depth  # the data did get nested ``depth`` levels deep


# ------------------------------------------------------------------------------------ intrinsic caps


def _evaluate(expression: str, input_: Any) -> ExecutionRecord:
    return check_runs(pass_with({"r.$": expression}), input_)


def _succeeds(expression: str, input_: Any = None) -> Any:
    record = _evaluate(expression, input_ or {})
    assert record.status == SUCCEEDED, (expression, record.error, record.cause)
    return record.output["r"]


def _fails(expression: str, input_: Any = None) -> str:
    """The intrinsic failed the execution as Step Functions does: an argument error is ``States.Runtime``."""
    record = _evaluate(expression, input_ or {})
    assert record.status == FAILED, (expression, record.output)
    assert record.error == "States.Runtime", (record.error, record.cause)
    return record.cause or ""


@pytest.mark.parametrize("function", ["Base64Encode", "Base64Decode", "Hash"])
def test_text_caps_at_the_boundary(function: str) -> None:
    call = f"States.{function}($.s, 'MD5')" if function == "Hash" else f"States.{function}($.s)"
    at_cap = "QUFB" * (MAX_TEXT_LENGTH // 4)
    assert len(at_cap) == MAX_TEXT_LENGTH
    _succeeds(call, {"s": at_cap})
    assert str(MAX_TEXT_LENGTH) in _fails(call, {"s": at_cap + "A"})


def test_hash_of_a_non_string_counts_its_json_text() -> None:
    exactly = {"s": ["x" * (MAX_TEXT_LENGTH - 4)]}  # ["xxx…"] is the cap in characters
    _succeeds("States.Hash($.s, 'SHA-512')", exactly)
    _fails("States.Hash($.s, 'SHA-512')", {"s": ["x" * (MAX_TEXT_LENGTH - 3)]})


def test_array_range_cap_at_the_boundary() -> None:
    assert len(_succeeds(f"States.ArrayRange(1, {MAX_RANGE_LENGTH}, 1)")) == MAX_RANGE_LENGTH
    assert len(_succeeds(f"States.ArrayRange({MAX_RANGE_LENGTH}, 1, -1)")) == MAX_RANGE_LENGTH
    assert str(MAX_RANGE_LENGTH) in _fails(f"States.ArrayRange(1, {MAX_RANGE_LENGTH + 1}, 1)")


@pytest.mark.parametrize(("first", "last", "step"), [
    (0, 10, 0), (0, 10**18, 1), (-(10**18), 10**18, 1), (0, 1e308, 1), (0, 1e308, 1e300), (0, -1e308, -1),
    (1e308, -1e308, -1), ("$.a", "$.b", "$.c"),
])
def test_array_range_with_step_0_or_huge_counts_fails_fast(first: Any, last: Any, step: Any) -> None:
    started = time.perf_counter()
    cause = _fails(f"States.ArrayRange({first}, {last}, {step})", {"a": 0, "b": 2**100, "c": 0.4})  # 0.4 rounds to 0
    assert "step" in cause or f"limit is {MAX_RANGE_LENGTH}" in cause
    assert time.perf_counter() - started < 2


def test_array_range_with_a_step_as_big_as_the_range_gives_one_item() -> None:
    assert _succeeds("States.ArrayRange(0, 1e308, 1e308)") == [0, int(1e308)]
    assert _succeeds(f"States.ArrayRange(0, {2**70}, {2**69})") == [0, 2**69, 2**70]


@pytest.mark.parametrize(("size", "length"), [(1, 60_000), (2**70, 3), (1e308, 3), (0.5, 3)])
def test_array_partition_sizes(size: Any, length: int) -> None:
    started = time.perf_counter()
    result = _succeeds("States.ArrayPartition($.l, $.n)", {"l": [index % 10 for index in range(length)], "n": size})
    assert sum(len(chunk) for chunk in result) == length
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("size", [0, -1, 0.4, -1e308, "1", None])
def test_array_partition_bad_sizes_fail(size: Any) -> None:
    _fails("States.ArrayPartition($.l, $.n)", {"l": [1, 2], "n": size})


@pytest.mark.parametrize(("text", "delimiters"), [
    ("a" * 200_000, ""), ("," * 200_000, ","), ("a," * 100_000, ","), ("", ""), ("é✓", "✓"), ("abc", "abc" * 1000),
])
def test_string_split_extremes(text: str, delimiters: str) -> None:
    started = time.perf_counter()
    result = _succeeds("States.StringSplit($.s, $.d)", {"s": text, "d": delimiters})
    assert all(isinstance(token, str) and token for token in result)
    assert time.perf_counter() - started < 5


def test_format_with_many_arguments() -> None:
    count = 3000
    template = "{}" * count
    arguments = ", ".join(["$.a"] * count)
    assert _succeeds(f"States.Format('{template}', {arguments})", {"a": "x"}) == "x" * count
    assert _succeeds("States.Format($.t, $.a)", {"t": "{}", "a": [{"b": [1, None, True]}]}) == "[{b=[1, null, true]}]"
    _fails("States.Format($.t, $.a)", {"t": "{}" * 2, "a": 1})


def test_json_to_string_and_string_to_json_of_deep_or_bad_text() -> None:
    assert _succeeds("States.JsonToString($.a)", {"a": _nested(200, "list")}) == "[" * 200 + '"leaf"' + "]" * 200
    for text in ("[" * 100_000, "[" * 5000 + "]" * 5000, '{"a":' * 10_000, "1e999", "-1e999", "NaN", "Infinity",
                 "9" * 5000, "[1,]", "'x'"):
        started = time.perf_counter()
        assert "States.StringToJson" in _fails("States.StringToJson($.s)", {"s": text})
        assert time.perf_counter() - started < 2
    from heaviside.runner import InvalidExecutionInput

    with pytest.raises(InvalidExecutionInput, match="UTF-8"):  # a lone surrogate cannot be in UTF-8 input
        _fails("States.StringToJson($.s)", {"s": "\ud800"})
    assert _succeeds("States.StringToJson($.s)", {"s": '{"a": 1, "a": 2}'}) == {"a": 2}  # the last wins, as in Jackson
    assert _succeeds("States.StringToJson($.s)", {"s": "1e308"}) == 1e308
    nested: Any = []
    for _ in range(99):
        nested = [nested]
    assert _succeeds("States.StringToJson($.s)", {"s": "[" * 100 + "]" * 100}) == nested


def test_math_add_at_the_32_bit_boundary() -> None:
    assert _succeeds(f"States.MathAdd({INT32_MAX}, 0)") == INT32_MAX
    assert _succeeds(f"States.MathAdd({INT32_MIN}, 0)") == INT32_MIN
    _fails(f"States.MathAdd({INT32_MAX}, 1)")
    _fails(f"States.MathAdd({INT32_MIN}, -1)")
    _fails("States.MathAdd($.a, 0)", {"a": 1e308})
    _fails("States.MathAdd($.a, 0)", {"a": 2**1000})


def test_math_random_with_huge_bounds_and_seeds() -> None:
    _succeeds("States.MathRandom($.a, $.b)", {"a": -(2**1000), "b": 2**1000})
    _succeeds("States.MathRandom(0, 10, $.s)", {"s": 2**1000})
    _succeeds("States.MathRandom(0, 1e308)")
    _fails("States.MathRandom(5, 5)")


def test_array_get_item_with_hostile_indexes() -> None:
    for index in (2**100, -(2**100), 1e308, -1, 3):
        _fails("States.ArrayGetItem($.l, $.i)", {"l": [1, 2, 3], "i": index})


# ------------------------------------------------------------------------------------ JSONata caps


def _jsonata(expression: str, input_: Any = None) -> ExecutionRecord:
    return check_runs(jsonata_output(expression), input_ or {})


def test_jsonata_range_cap_at_the_boundary() -> None:
    assert _jsonata(f"$count($range(1, {RANGE_MAX_ITEMS}, 1))").output == RANGE_MAX_ITEMS
    record = _jsonata(f"$range(1, {RANGE_MAX_ITEMS + 1}, 1)")
    assert record.error == "States.QueryEvaluationError" and str(RANGE_MAX_ITEMS) in (record.cause or "")


ERROR = "States.QueryEvaluationError"


@pytest.mark.parametrize(("expression", "expected"), [
    ("$range(0, 1e308, 1)", "more than the 1000 allowed"), ("$range(-1e308, 1e308, 1e300)", "more than the 1000"),
    ("$range(0, 10, 0)", "returned nothing"), ("$partition($states.input.l, 0)", "returned nothing"),
    ("$partition($states.input.l, -1)", "zero or greater"), ("$count($partition($states.input.l, 1e308))", 1),
    ("$parse('[' & $pad('', 100000, '[') & ']')", "Invalid JSON"), ("$parse('1e999')", "Invalid JSON"),
    ("$parse($pad('', 5000, '[') & $pad('', 5000, ']'))", "Invalid JSON"), ("$parse('NaN')", "Invalid JSON"),
    ("$hash('x', 'SHA-999')", "Unsupported hash algorithm"), ("$random(1e308) < 1", True),
    ("$random(-1e308) >= 0", True),
    ("$length($pad('', 10000000, 'x'))", 10_000_000), ("$pad('', 100000000, 'x')", "D2016"),
    ("$count([1..100000000])", "D2014"), ("$sum([1e308, 1e308])", "D1001"), ("1e308 * 10", "D1001"),
    ("$power(10, 400)", "cannot be represented"), ("$number('1e999')", "D3030"), ("$eval('1')", "T1006"),
    ("$states.input.l[99999999]", "returned nothing"), ("$states.input.big", "int too large"),
    ("$states.context.Execution.Input", "int too large"),  # the execution input holds the huge integer too
])
def test_jsonata_extremes(expression: str, expected: Any) -> None:
    started = time.perf_counter()
    record = _jsonata(expression, {"l": list(range(1000)), "big": 2**1100})
    if isinstance(expected, str):
        assert record.error == ERROR and expected in (record.cause or ""), (record.error, record.cause)
    else:
        assert record.status == SUCCEEDED and record.output == expected, (record.error, record.cause)
    assert time.perf_counter() - started < 5


# ------------------------------------------------------------------------------------ definitions at the nesting limit


def _depth(value: Any) -> int:
    """Containers on the deepest path from the root (the root counts), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _wrap(levels: int, inner: Any, kind: str = "dict") -> Any:
    for _ in range(levels):
        inner = {"k": inner} if kind == "dict" else [inner]
    return inner


def _nested_parallel(levels: int) -> dict[str, Any]:
    machine_: dict[str, Any] = {"StartAt": "P0", "States": {"P0": {"Type": "Pass", "Parameters": {"x.$": "$"},
                                                                 "End": True}}}
    for level in range(1, levels + 1):
        machine_ = {"StartAt": f"P{level}", "States": {f"P{level}": {"Type": "Parallel", "Branches": [machine_],
                                                                    "End": True}}}
    return machine_


def _nested_map(levels: int) -> dict[str, Any]:
    machine_: dict[str, Any] = {"StartAt": "M0", "States": {"M0": {"Type": "Pass", "End": True}}}
    for level in range(1, levels + 1):
        machine_ = {"StartAt": f"M{level}", "States": {f"M{level}": {
            "Type": "Map", "ItemsPath": "$.l", "ItemSelector": {"l.$": "$.l"}, "ItemProcessor": machine_,
            "End": True}}}
    return machine_


def _not_rules(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"Variable": "$.x", "IsPresent": True}
    for _ in range(levels):
        rule = {"Not": rule}
    return machine({"C": {"Type": "Choice", "Choices": [{**rule, "Next": "E"}], "Default": "E"},
                    "E": {"Type": "Succeed"}}, start="C")


SHAPES = {
    "parameters objects": lambda n: pass_with({"p": _wrap(n, {"x.$": "$.x", "f.$": "States.Format('{}', $)"})}),
    "parameters arrays": lambda n: pass_with({"p": _wrap(n, {"x.$": "$"}, "list")}),
    "result selector": lambda n: machine({"P": {"Type": "Parallel", "ResultSelector": {"r": _wrap(n, {"x.$": "$"})},
                                                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
                                                "End": True}}, start="P"),
    "assign": lambda n: machine({"A": {"Type": "Pass", "Assign": {"v": _wrap(n, {"x.$": "$"})}, "Next": "B"},
                                 "B": {"Type": "Pass", "Parameters": {"v.$": "$v"}, "End": True}}),
    "result": lambda n: machine({"A": {"Type": "Pass", "Result": _wrap(n, [1]), "ResultPath": "$.r", "End": True}}),
    "jsonata output": lambda n: jsonata_output("$states.input") | {"States": {"A": {
        "Type": "Pass", "Output": _wrap(n, {"x": "{% $states.input %}"}), "End": True}}},
    "jsonata arguments": lambda n: machine({"P": {"Type": "Parallel", "Arguments": {"a": _wrap(n, ["{% 1 %}"], "list")},
                                                  "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
                                                  "End": True}}, start="P", QueryLanguage="JSONata"),
    "choice not": _not_rules,
    "parallel": _nested_parallel,
    "map": _nested_map,
}


def _deepest(make: Any) -> tuple[int, Any]:
    """The most levels of ``make`` the nesting limit allows, and that definition."""
    levels = 0
    while _depth(make(levels + 1)) <= MAX_NESTING:
        levels += 1 if _depth(make(levels + 16)) > MAX_NESTING else 16
    return levels, make(levels)


def _with_stack(frames: int, run: Any) -> Any:
    """``run()`` called ``frames`` Python frames deeper than here: a caller that is itself deep."""
    return run() if frames == 0 else _with_stack(frames - 1, run)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_definitions_at_the_nesting_limit_load_and_run(shape: str) -> None:
    levels, definition = _deepest(SHAPES[shape])
    assert levels > 0 and _depth(definition) <= MAX_NESTING < _depth(SHAPES[shape](levels + 1))
    with pytest.raises(DefinitionError):
        load_definition(SHAPES[shape](levels + 1))
    started = time.perf_counter()
    record = _with_stack(150, lambda: check_runs(definition, {"x": 1, "l": [1]}))  # validated and compiled there
    assert record.status == SUCCEEDED, (record.error, record.cause)
    assert time.perf_counter() - started < 10


# ------------------------------------------------------------------------------------ recursion-free JSON walks


def _json_equal(left: Any, right: Any) -> bool:
    """The reference (recursive, fine for shallow values): JSON equality, 1 == 1.0, true != 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[key], right[key]) for key in left)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


_SMALL = st.recursive(st.sampled_from([None, True, False, 0, 1, 1.0, -0.0, 2.5, "", "a", "1"]),
                      lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2), max_leaves=6)


@settings(FUZZ, max_examples=300)
@given(_SMALL, _SMALL)
def test_json_equality_keys_match_json_equality(left: Any, right: Any) -> None:
    equality = JsonEquality()
    assert (equality.key(left) == equality.key(right)) == _json_equal(left, right), (left, right)


def test_json_walks_take_any_depth() -> None:
    deep = _nested(50_000, "dict")
    equality = JsonEquality()
    assert equality.key(deep) == equality.key(_nested(50_000, "dict")) != equality.key(_nested(49_999, "dict"))
    assert render(deep) == "{a=" * 50_000 + "leaf" + "}" * 50_000
    assert render({"a": [1, None, {"b": True}], "c": []}) == "{a=[1, null, {b=true}], c=[]}"
