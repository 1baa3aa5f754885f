"""Hostile and malformed definitions never crash the loader: a Definition or a DefinitionError, nothing else.

The contract of :func:`heaviside.definition.loader.load_definition`: whatever it is given (any
JSON value, ASL-shaped objects with random or wrong-typed fields, garbage paths, intrinsics and
JSONata in every field that takes them, mutations of every valid conformance definition, text
that is invalid, huge or nested absurdly deep) it returns a compiled ``Definition`` or raises
``DefinitionError`` whose every problem points (RFC 6901) at a location of the input, or at the
parent of a missing field. No KeyError, TypeError, RecursionError or AttributeError; and the
validator's last-resort ``except Exception`` (which would hide such a crash) never fires.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heaviside.definition.loader import MAX_DEFINITION_CHARACTERS, load_definition, parse_definition_text
from heaviside.definition.model import Definition
from heaviside.definition.validation.document import MAX_DEFINITION_BYTES, MAX_NESTING
from heaviside.definition.validation.schema import ALLOWED_FIELDS, JSONATA_ONLY, JSONPATH_ONLY
from heaviside.errors import DefinitionError

CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cases"
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Messages of the validator's catch-alls: seeing one means a check crashed and was papered over.
MASKED_CRASHES = ("could not be fully validated", "nested too deeply to validate")


def _valid_definitions() -> list[dict[str, Any]]:
    definitions = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text())
        if case["expect"]["status"] != "INVALID":
            definitions.append(case["definition"])
    return definitions


VALID = _valid_definitions()


# ------------------------------------------------------------------------------------ the oracle


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _resolves(document: Any, pointer: str) -> bool:
    """Whether an RFC 6901 pointer names a node of ``document``."""
    if pointer == "":
        return True
    if not pointer.startswith("/"):
        return False
    node = document
    for raw in pointer[1:].split("/"):
        token = _unescape(raw)
        if isinstance(node, dict):
            if token not in node:
                return False
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or (token != "0" and token.startswith("0")) or int(token) >= len(node):
                return False
            node = node[int(token)]
        else:
            return False
    return True


def _located(document: Any, pointer: str) -> bool:
    """The pointer resolves, or (a missing field) its parent does."""
    return _resolves(document, pointer) or _resolves(document, pointer.rpartition("/")[0])


def check_loads_or_rejects(source: Any) -> Definition | None:
    """The contract: a Definition, or a DefinitionError whose every problem is located in ``source``."""
    try:
        definition = load_definition(source)
    except DefinitionError as error:
        assert error.problems, "a DefinitionError must list at least one problem"
        document = source
        if isinstance(source, str | bytes):
            try:
                document = parse_definition_text(source)
            except DefinitionError:
                document = None  # unparseable text: only the root can be pointed at
        for problem in error.problems:
            assert isinstance(problem.pointer, str) and isinstance(problem.message, str)
            assert not any(masked in problem.message for masked in MASKED_CRASHES), problem
            if document is None:
                assert problem.pointer == "", problem
            else:
                assert _located(document, problem.pointer), f"{problem.pointer!r} is not in the input: {problem}"
        return None
    assert isinstance(definition, Definition)
    return definition


# ------------------------------------------------------------------------------------ strategies

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from([0, -1, 1.5, 1e308, -1e308, 99999999, 100000000, 2**63, "", " ", "\x00", "é✓\U0001f600"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

PATHS = st.one_of(
    st.sampled_from([
        "$", "$$", "$.a", "$.a.b[0]", "$..a", "$[*]", "$.a[*].b", "$.a[?(@.b > 1)]", "$['a\\'b']", "$.a[",
        "$[-1]", "$[99999999999999999999]", "$$.Map.Item.Value", "$$.Execution.Input", "$v", "$v.x", "$states",
        "$.a[1:2:0]", "$[(@.length-1)]", "$.a[?(@.b =~ /x/)]", "$.", "$..", "$[", "$]", "$['", "$.a b",
        "$." + "a." * 2000 + "a", "$" + "[0]" * 2000, "$" + "[" * 2000, "$.a[?(" + "(" * 500 + ")]",
        "a", "", " $", "$\x00", "$.é✓", "$$$", "$.*", "$['\\", "$[?(@)]", "$.length()",
        "$.s * $.n", "$.l[?(@.a * 2 > 1)]", "$.s.`sub(/(a+)+$/, b)`", "$.l[?(@.a =~ '(a+)+b')]", "$.a.`parent`",
        "$.a where $.b", "$.a|$.b", "$.s.`split(,, *, -1)`", "$.a.`str()`", "$.a.`len`", "$..a" + ".b" * 2000,
    ]),
    st.text(max_size=15).map(lambda text: "$" + text),
)

_ARGUMENTS = st.one_of(
    st.sampled_from(["'x'", "1", "-2.5", "1e308", "null", "true", "$.a", "$$.Execution.Id", "$v", "'{}'",
                     "'\\''", "'\\{'", "'\\", "'", "$", "$.a[", "''", "9" * 400, "-", "1.", "1e", "x", ",", ")"]),
    PATHS,
)
_FUNCTIONS = st.sampled_from([
    "States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayPartition",
    "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength", "States.ArrayUnique",
    "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge", "States.MathRandom",
    "States.MathAdd", "States.StringSplit", "States.UUID", "States.Nope", "States.", "states.Array", "States.Format.",
])


@st.composite
def intrinsics(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(_FUNCTIONS)
    arguments = draw(st.lists(_ARGUMENTS if depth >= 2 else st.one_of(_ARGUMENTS, intrinsics(depth + 1)),
                              max_size=4))
    closing = draw(st.sampled_from([")", ")", ")", "", "))", ") x"]))
    return f"{name}({', '.join(arguments)}{closing}"


INTRINSICS = st.one_of(
    intrinsics(),
    st.sampled_from([
        "States.Array(" * 11 + ")" * 11, "States.Array(" * 500 + ")" * 500, "States.Array(" * 5000,
        "States.Format('" + "{}" * 300 + "'" + ", 1" * 300 + ")", "States.Format('{}')", "States.UUID(1)",
        "States.Array(" + ", ".join(["1"] * 3000) + ")", "States.StringSplit($.a)", "States.Format($.t, 1)",
    ]),
)

JSONATA = st.one_of(
    st.text(max_size=20).map(lambda body: "{%" + body + "%}"),
    st.sampled_from([
        "{% $states.input %}", "{% $states.result %}", "{% $states.errorOutput %}", "{% $states.context %}",
        "{% $x %}", "{% $eval('1') %}", "{% %}", "{%%}", "{% ( %}", "{% " + "(" * 5000 + " %}",
        "{% " + "[" * 2000 + " %}", "{% $states.input" + ".a" * 3000 + " %}", " {% 1 %}", "{% 1 %} ",
        "{% $partition([1], 0) %}", "{% $range(0, 1e9, 1) %}", "{% function($x){$x} %}", "{% $states %}",
        "{% $v := 1 %}", "{% $states.input ~> $eval %}", "{% '\\ud800' %}", "{% 1 %}{% 2 %}",
    ]),
)

EXPRESSIONS = st.one_of(PATHS, INTRINSICS, JSONATA, st.text(max_size=10))


@st.composite
def templates(draw: st.DrawFn) -> Any:
    """A payload template: keys with and without ``.$``, values of every expression kind, some nesting."""
    keys = st.one_of(st.text(max_size=6), st.text(max_size=6).map(lambda key: key + ".$"),
                     st.sampled_from(["a.$", "a", ".$", "$", "a.$.$", "b.$"]))
    leaf = st.one_of(EXPRESSIONS, JSON_VALUES)
    value = st.recursive(leaf, lambda children: st.lists(children, max_size=3)
                         | st.dictionaries(keys, children, max_size=3), max_leaves=8)
    return draw(st.one_of(st.dictionaries(keys, value, max_size=4), JSON_VALUES, EXPRESSIONS))


STATE_NAMES = st.sampled_from(["A", "B", "C", "", "x" * 81, "é", "A/B", "~0", "States"])


@st.composite
def choice_rules(draw: st.DrawFn, depth: int = 0) -> Any:
    rule: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([
        "Variable", "StringEquals", "StringEqualsPath", "NumericLessThan", "NumericEqualsPath", "BooleanEquals",
        "TimestampEquals", "TimestampLessThanPath", "StringMatches", "IsPresent", "IsNull", "IsTimestamp",
        "And", "Or", "Not", "Next", "Condition", "Assign", "Output", "Comment", "Bogus",
    ]), max_size=4, unique=True)):
        if key in ("And", "Or") and depth < 3:
            rule[key] = draw(st.one_of(st.lists(choice_rules(depth + 1), max_size=3), JSON_VALUES))
        elif key == "Not" and depth < 3:
            rule[key] = draw(st.one_of(choice_rules(depth + 1), JSON_VALUES))
        elif key == "Next":
            rule[key] = draw(st.one_of(STATE_NAMES, JSON_VALUES))
        elif key in ("Assign", "Output"):
            rule[key] = draw(templates())
        else:
            rule[key] = draw(st.one_of(EXPRESSIONS, JSON_VALUES))
    return rule


FIELDS = sorted({
    "Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector",
    "ResultPath", "Result", "Arguments", "Output", "Assign", "Retry", "Catch", "Resource", "TimeoutSeconds",
    "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Choices", "Default",
    "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Error", "ErrorPath", "Cause", "CausePath",
    "Branches", "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "MaxConcurrency",
    "MaxConcurrencyPath", "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount",
    "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
    "Unknown", "next",
})
_TEMPLATE_FIELDS = {"Parameters", "ResultSelector", "Arguments", "Output", "Assign", "ItemSelector", "Credentials",
                    "Items", "ItemReader", "ItemBatcher", "ResultWriter"}
_PATH_FIELDS = {f for f in FIELDS if f.endswith("Path")}
_NUMBER_FIELDS = {"TimeoutSeconds", "HeartbeatSeconds", "Seconds", "MaxConcurrency", "ToleratedFailureCount",
                  "ToleratedFailurePercentage"}


@st.composite
def retriers(draw: st.DrawFn) -> Any:
    fields = {
        "ErrorEquals": st.one_of(st.lists(st.sampled_from(["States.ALL", "States.Runtime", "X", ""]), max_size=3),
                                 JSON_VALUES),
        "IntervalSeconds": st.one_of(st.integers(-2, 2**40), JSON_VALUES),
        "MaxAttempts": st.one_of(st.integers(-2, 2**40), JSON_VALUES),
        "BackoffRate": st.one_of(st.floats(allow_nan=False), JSON_VALUES),
        "MaxDelaySeconds": st.one_of(st.integers(-2, 2**40), JSON_VALUES),
        "JitterStrategy": st.sampled_from(["FULL", "NONE", "x", 1]),
        "Next": STATE_NAMES, "ResultPath": st.one_of(PATHS, st.none()), "Assign": templates(),
        "Output": templates(), "Bogus": JSON_VALUES,
    }
    keys = draw(st.lists(st.sampled_from(sorted(fields)), max_size=5, unique=True))
    return {key: draw(fields[key]) for key in keys}


@st.composite
def states(draw: st.DrawFn, depth: int = 0) -> Any:
    """A state: a random Type and a random selection of fields, each with a plausible or hostile value."""
    state: dict[str, Any] = {}
    if draw(st.integers(0, 9)) > 0:
        state["Type"] = draw(st.one_of(
            st.sampled_from(["Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map"]),
            st.sampled_from(["pass", "", "Nope"]), JSON_VALUES))
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        if key in ("Branches",) and depth < 2:
            state[key] = draw(st.one_of(st.lists(machines(depth + 1), max_size=2), JSON_VALUES))
        elif key in ("ItemProcessor", "Iterator") and depth < 2:
            state[key] = draw(st.one_of(machines(depth + 1), JSON_VALUES))
        elif key == "Choices":
            state[key] = draw(st.one_of(st.lists(choice_rules(), max_size=3), JSON_VALUES))
        elif key in ("Retry", "Catch"):
            state[key] = draw(st.one_of(st.lists(retriers(), max_size=3), JSON_VALUES))
        elif key in ("Next", "Default"):
            state[key] = draw(st.one_of(STATE_NAMES, JSON_VALUES))
        elif key == "QueryLanguage":
            state[key] = draw(st.sampled_from(["JSONPath", "JSONata", "jsonata", None]))
        elif key in _TEMPLATE_FIELDS:
            state[key] = draw(templates())
        elif key in _PATH_FIELDS:
            state[key] = draw(st.one_of(PATHS, INTRINSICS, JSON_VALUES))
        elif key in _NUMBER_FIELDS:
            state[key] = draw(st.one_of(st.integers(-5, 2**64), JSONATA, JSON_VALUES))
        elif key == "End":
            state[key] = draw(st.one_of(st.booleans(), JSON_VALUES))
        else:
            state[key] = draw(st.one_of(EXPRESSIONS, JSON_VALUES))
    return state


@st.composite
def machines(draw: st.DrawFn, depth: int = 0) -> Any:
    machine: dict[str, Any] = {}
    if draw(st.integers(0, 9)) > 0:
        machine["StartAt"] = draw(st.one_of(STATE_NAMES, JSON_VALUES))
    if draw(st.integers(0, 9)) > 0:
        machine["States"] = draw(st.one_of(st.dictionaries(STATE_NAMES, states(depth), max_size=3), JSON_VALUES))
    extras = {"QueryLanguage": st.sampled_from(["JSONPath", "JSONata", "x"]), "Comment": JSON_VALUES,
              "TimeoutSeconds": st.one_of(st.integers(-1, 2**40), JSON_VALUES), "Version": JSON_VALUES,
              "ProcessorConfig": st.one_of(st.fixed_dictionaries({"Mode": st.sampled_from(["INLINE", "DISTRIBUTED"])}),
                                           JSON_VALUES), "Bogus": JSON_VALUES}
    for key in draw(st.lists(st.sampled_from(sorted(extras)), max_size=2, unique=True)):
        machine[key] = draw(extras[key])
    return machine


# ------------------------------------------------------------------------------------ mutations


def _locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indices) to a node of ``node``, the root included."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_locations(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_locations(value, (*path, index)))
    return found


def _state_names(node: Any) -> list[str]:
    names: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("States"), dict):
            names.extend(node["States"])
        for value in node.values():
            names.extend(_state_names(value))
    elif isinstance(node, list):
        for value in node:
            names.extend(_state_names(value))
    return names


def _deep_parallel(levels: int, leaf: Any, kind: str = "Parallel") -> dict[str, Any]:
    """``leaf`` as the only state of a machine inside ``levels`` nested Parallel (or Map) states."""
    machine: dict[str, Any] = {"StartAt": "L0", "States": {"L0": leaf}}
    for level in range(1, levels + 1):
        nested = {"Branches": [machine]} if kind == "Parallel" else {"ItemProcessor": machine}
        machine = {"StartAt": f"L{level}", "States": {f"L{level}": {"Type": kind, **nested, "End": True}}}
    return machine


MUTATIONS = ("drop", "retype", "garbage", "rename_next", "expression", "deep_nest", "duplicate_name", "wrap")


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    """A valid conformance definition with one or two random mutations."""
    definition = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 2))):
        locations = _locations(definition)
        path = draw(st.sampled_from(locations))
        kind = draw(st.sampled_from(MUTATIONS))
        if not path:  # the root itself
            if kind in ("drop", "retype", "garbage"):
                definition = draw(JSON_VALUES)
            continue
        parent = definition
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        if kind == "drop":
            del parent[key]
        elif kind == "retype":
            parent[key] = draw(JSON_VALUES)
        elif kind == "garbage":
            parent[key] = draw(st.one_of(st.text(max_size=30), EXPRESSIONS))
        elif kind == "rename_next":
            names = _state_names(definition) or ["A"]
            parent[key] = draw(st.one_of(st.sampled_from(names), STATE_NAMES))
        elif kind == "expression":
            parent[key] = draw(st.one_of(EXPRESSIONS, templates()))
        elif kind == "deep_nest":
            parent[key] = _deep_parallel(draw(st.integers(1, 30)), parent[key], draw(st.sampled_from(["Parallel",
                                                                                                   "Map"])))
        elif kind == "duplicate_name" and isinstance(parent, dict) and isinstance(key, str):
            parent[key + "'"] = copy.deepcopy(parent[key])
        elif kind == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}, {"Type": "Pass", "x": 1}]))
        if not isinstance(definition, dict | list):
            break
    return definition


# ------------------------------------------------------------------------------------ the tests


def test_the_conformance_definitions_load() -> None:
    assert len(VALID) > 100
    for definition in VALID:
        assert check_loads_or_rejects(definition) is not None


@FUZZ
@given(JSON_VALUES)
def test_any_json_value(value: Any) -> None:
    check_loads_or_rejects(value)


@FUZZ
@given(machines())
def test_asl_shaped_objects_with_random_fields(definition: Any) -> None:
    check_loads_or_rejects(definition)


@settings(FUZZ, max_examples=500)
@given(mutated_definitions())
def test_mutated_conformance_definitions(definition: Any) -> None:
    check_loads_or_rejects(definition)


_PLAUSIBLE_PATHS = st.sampled_from(["$", "$.a", "$.a.b[0]", "$$.Execution.Id", "$..a", "$.l[*].a",
                                    "$.l[?(@.a > 1)]", "$['a b']", "$.l[-1:]"])
_PLAUSIBLE_INTRINSICS = st.sampled_from(["States.Format('{} {}', $.a, $$.State.Name)", "States.Array($.a, 1, null)",
                                         "States.UUID()", "States.MathAdd($.n, 1)", "States.JsonToString($)",
                                         "States.ArrayRange(1, 9, 2)", "States.Hash($.a, 'MD5')"])
_PLAUSIBLE_JSONATA = st.sampled_from(["{% $states.input %}", "{% $states.input.a %}", "{% 1 + 1 %}",
                                      "{% $count($states.input.l) %}", "{% $states.context.Execution.Id %}",
                                      "{% $partition([1, 2, 3], 2) %}"])


def _field_values(key: str, language: str) -> st.SearchStrategy[Any]:
    """Values for one field: plausible ones for its kind, hostile ones, and any JSON."""
    if language == "JSONata":
        plausible: st.SearchStrategy[Any] = _PLAUSIBLE_JSONATA
        if key in _TEMPLATE_FIELDS:
            plausible = st.dictionaries(st.sampled_from(["a", "b"]), st.one_of(_PLAUSIBLE_JSONATA, JSONATA), max_size=3)
    elif key in _TEMPLATE_FIELDS:
        plausible = st.dictionaries(st.sampled_from(["a.$", "b.$"]), st.one_of(_PLAUSIBLE_PATHS, _PLAUSIBLE_INTRINSICS,
                                                                               PATHS, INTRINSICS), max_size=3)
    elif key in _PATH_FIELDS:
        plausible = st.one_of(_PLAUSIBLE_PATHS, _PLAUSIBLE_INTRINSICS) if key in ("ErrorPath", "CausePath") \
            else _PLAUSIBLE_PATHS
    elif key in _NUMBER_FIELDS:
        plausible = st.integers(0, 99999999)
    else:
        plausible = st.text(max_size=10)
    return st.one_of(plausible, templates() if key in _TEMPLATE_FIELDS else EXPRESSIONS, JSON_VALUES)


@st.composite
def states_with_expressions(draw: st.DrawFn) -> dict[str, Any]:
    """A state whose required fields are right and whose other fields, allowed for its type and
    language, hold paths, intrinsics, JSONata, templates or any JSON."""
    state_type = draw(st.sampled_from(sorted(ALLOWED_FIELDS)))
    language = draw(st.sampled_from(["JSONPath", "JSONata"]))
    excluded = JSONATA_ONLY if language == "JSONPath" else JSONPATH_ONLY
    allowed = sorted(ALLOWED_FIELDS[state_type] - {"Type", "QueryLanguage", "Next", "End", "Branches", "ItemProcessor",
                                                   "Iterator", "Choices", "Retry", "Catch", "ItemReader",
                                                   "ItemBatcher", "ResultWriter"} - set(excluded))
    state: dict[str, Any] = {"Type": state_type, "QueryLanguage": language}
    for key in draw(st.lists(st.sampled_from(allowed), max_size=2, unique=True)) if allowed else ():
        state[key] = draw(_field_values(key, language))
    if state_type not in ("Choice", "Fail", "Succeed"):
        state["Next"] = "E"
    if state_type == "Wait" and not {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} & state.keys():
        state["Seconds"] = 0
    if state_type == "Task":
        state.setdefault("Resource", "arn:aws:lambda:us-east-1:123456789012:function:f")
    elif state_type == "Map":
        state["ItemProcessor"] = {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}
    elif state_type == "Parallel":
        state["Branches"] = [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}]
    elif state_type == "Choice":
        rule = ({"Condition": draw(st.one_of(_PLAUSIBLE_JSONATA, EXPRESSIONS))} if language == "JSONata" else
                {"Variable": draw(st.one_of(_PLAUSIBLE_PATHS, EXPRESSIONS)),
                 **draw(st.sampled_from([{"IsPresent": True}, {"StringEqualsPath": "$.b"}, {"NumericLessThan": 1},
                                         {"StringMatches": "*x"}, {"TimestampEquals": "2024-01-01T00:00:00Z"}]))})
        state["Choices"] = [{**rule, "Next": "E"}]
    reachable = state_type in ("Choice",) or "Next" in state
    return {"StartAt": "S", "States": {"S": state, **({"E": {"Type": "Succeed"}} if reachable else {})}}


@settings(FUZZ, max_examples=250)
@given(states_with_expressions())
def test_expressions_in_every_field_that_takes_them(definition: dict[str, Any]) -> None:
    check_loads_or_rejects(definition)


@FUZZ
@given(st.sampled_from(VALID), st.data())
def test_truncated_and_corrupted_definition_text(definition: Any, data: st.DataObject) -> None:
    text = json.dumps(definition, indent=data.draw(st.sampled_from([None, 1])))
    cut = data.draw(st.integers(0, len(text)))
    corrupted = data.draw(st.sampled_from([
        text[:cut], text[:cut] + data.draw(st.text(max_size=5)) + text[cut:], text[cut:], text.replace('"', "'"),
    ]))
    check_loads_or_rejects(corrupted)
    check_loads_or_rejects(corrupted.encode("utf-8"))


@FUZZ
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60)))
def test_random_text_and_bytes(text: str | bytes) -> None:
    check_loads_or_rejects(text)


#: Ten levels of ten aliases each: 10**10 values once expanded, from 400 characters of YAML.
BILLION_LAUGHS = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]\n" for level in range(1, 10)
) + "StartAt: *a9\n"


@pytest.mark.parametrize("text", [
    "[" * 100_000, "{" * 100_000, '{"a":' * 100_000, '{"StartAt": "A", "States": ' + "[" * 100_000,
    "a:\n" + "[" * 100_000, "- " * 50_000, "".join("  " * i + "-\n" for i in range(900)),
    "a: &x [*x]", "StartAt: 2020-01-01\nStates: {}", "1: 2\nStartAt: x", "StartAt: !!binary aGk=\nStates: {}",
    "StartAt: .nan\nStates: {}", "!!set {a, b}", "? [1, 2]\n: x", "x: !!python/object:os.system ls",
    "\ufeff{}", "\x00", " ", "null", "1e999", '{"a": 1, "a": 2}', "'", "{", "9" * 5000, "StartAt: " + "9" * 5000,
    BILLION_LAUGHS,
], ids=lambda text: repr(text[:20]))
def test_hostile_text_is_a_definition_error(text: str) -> None:
    started = time.perf_counter()
    assert check_loads_or_rejects(text) is None
    assert time.perf_counter() - started < 5


def test_yaml_aliases_that_stay_small_are_expanded() -> None:
    text = ("StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: arn:aws:lambda:us-east-1:1:function:f\n"
            "    Retry: &retry [{ErrorEquals: [States.ALL], MaxAttempts: 2}]\n    Next: B\n"
            "  B:\n    Type: Task\n    Resource: arn:aws:lambda:us-east-1:1:function:f\n    Retry: *retry\n"
            "    End: true\n")
    definition = check_loads_or_rejects(text)
    assert definition is not None and definition.source["States"]["B"]["Retry"][0]["MaxAttempts"] == 2


@pytest.mark.parametrize("source", [
    {1: 2, "StartAt": "A"}, {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, 3: 4}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": float("nan")}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": {1, 2}}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": object()}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": b"x"}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": (1, 2)}}},
], ids=["int-key-top", "int-key-state", "nan", "set", "object", "bytes", "tuple"])
def test_python_values_that_are_not_json_are_a_definition_error(source: Any) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(source)
    for problem in caught.value.problems:
        assert _located(source, problem.pointer) and not any(m in problem.message for m in MASKED_CRASHES)


def _nested(depth: int, kind: str) -> Any:
    """Built without recursion: ``depth`` levels of lists or objects."""
    node: Any = "leaf"
    for _ in range(depth):
        node = [node] if kind == "list" else {"k": node}
    return node


@pytest.mark.parametrize("kind", ["list", "dict"])
@pytest.mark.parametrize("field", ["Result", "Parameters", "Comment"])
def test_deeply_nested_data_in_a_definition_is_a_definition_error(kind: str, field: str) -> None:
    started = time.perf_counter()
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, field: _nested(100_000, kind)}}}
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert time.perf_counter() - started < 5
    [problem] = caught.value.problems  # at the first node past the limit, and nothing else
    assert problem.pointer.startswith(f"/States/A/{field}/") and _resolves(definition, problem.pointer)
    assert problem.pointer.count("/") == MAX_NESTING  # the root object is level 1
    assert f"more than {MAX_NESTING} levels" in problem.message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    # The document's own levels: root object, States, A, Result; the limit counts every container.
    result = _nested(MAX_NESTING - 3, "list")
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": result}}}
    assert check_loads_or_rejects(definition) is not None
    too_deep = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": [result]}}}
    with pytest.raises(DefinitionError):
        load_definition(too_deep)


@pytest.mark.parametrize("levels", [20, 60, 200, 1000])
def test_deeply_nested_parallel_states(levels: int) -> None:
    started = time.perf_counter()
    definition = _deep_parallel(levels, {"Type": "Pass", "End": True})
    compiled = check_loads_or_rejects(definition)
    assert (compiled is not None) == (levels <= 60)  # 60 levels of Parallel is 301 levels of JSON
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("levels", [30, 200])
def test_deeply_nested_map_and_choice_rules(levels: int) -> None:
    machine: dict[str, Any] = {"StartAt": "L0", "States": {"L0": {"Type": "Pass", "End": True}}}
    for level in range(1, levels + 1):
        machine = {"StartAt": f"L{level}",
                   "States": {f"L{level}": {"Type": "Map", "ItemProcessor": machine, "End": True}}}
    check_loads_or_rejects(machine)
    rule: dict[str, Any] = {"Variable": "$.a", "IsPresent": True}
    for _ in range(levels):
        rule = {"Not": rule}
    check_loads_or_rejects({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{**rule, "Next": "E"}]}, "E": {"Type": "Succeed"}}})


def test_a_definition_over_1_mb_is_rejected_at_the_root() -> None:
    def sized(padding: int) -> dict[str, Any]:
        return {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "x" * padding, "End": True}}}

    overhead = len(json.dumps(sized(0), separators=(",", ":")))
    assert check_loads_or_rejects(sized(MAX_DEFINITION_BYTES - overhead)) is not None
    with pytest.raises(DefinitionError) as caught:
        load_definition(sized(MAX_DEFINITION_BYTES - overhead + 1))
    assert [p.pointer for p in caught.value.problems] == [""]
    assert "1 MB" in caught.value.problems[0].message


def test_definition_text_over_the_character_limit_is_rejected_before_parsing() -> None:
    text = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    started = time.perf_counter()
    with pytest.raises(DefinitionError) as caught:
        load_definition(text + " " * (MAX_DEFINITION_CHARACTERS - len(text) + 1))
    assert [p.pointer for p in caught.value.problems] == [""]
    with pytest.raises(DefinitionError):
        load_definition("[" * (MAX_DEFINITION_CHARACTERS * 8))
    assert time.perf_counter() - started < 5
    assert check_loads_or_rejects(text + " " * (MAX_DEFINITION_CHARACTERS - len(text))) is not None


@pytest.mark.parametrize("path", [
    "$.s * $.n", "$.l[?(@.a * 2 > 1)]", "$.s.`sub(/(a+)+$/, b)`", "$.l[?(@.a =~ '(a+)+b')]", "$.a where $.b",
    "$.s.`split(,, *, -1)`", "$.a.`str()`", "$.a & $.b", "$..a.`parent`", "$..a.`len`", "$..a | $..b",
])
def test_jsonpath_ng_extensions_are_not_step_functions_jsonpath(path: str) -> None:
    """Arithmetic builds unbounded strings from input (``'x' * 10**12``) and regular expressions backtrack
    for ever: a definition using them is rejected, with the pointer of the field."""
    started = time.perf_counter()
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"r.$": path}, "End": True}}}
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert [p.pointer for p in caught.value.problems] == ["/States/A/Parameters/r.$"]
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("path", ["$.l[?(@.a > 1)].b", "$..a", "$.l[*].a", "$.l[1:3]", "$['a','b']", "$.l[0,1]",
                                  "$.l[?(@.a == 'x')]", "$.l[?(!@.a)]", "$.*", "$.a.`len`", "$.a|$.b"])
def test_plain_jsonpath_features_still_compile(path: str) -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"r.$": path}, "End": True}}}
    assert check_loads_or_rejects(definition) is not None
