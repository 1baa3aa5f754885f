"""Intrinsic function calls: parsing, compile-time checks and the 18 functions.

Expected values marked "AWS" come from the AWS examples in the reference (§3) and the
conformance cases under shared/conformance/cases/intrinsic_*.json.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import random
import re
import uuid
from typing import Any

import pytest

from heaviside.definition import intrinsics, paths
from heaviside.definition.intrinsic_functions import FUNCTIONS, java_round
from heaviside.definition.intrinsics import IntrinsicCall, compile_intrinsic, is_intrinsic
from heaviside.definition.paths import Scope
from heaviside.errors import RUNTIME, ExpressionSyntaxError, StatesError
from heaviside.types import JSON

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def run(
    text: str,
    data: JSON = None,
    *,
    context: JSON = None,
    variables: dict[str, JSON] | None = None,
    rng: random.Random | None = None,
) -> JSON:
    scope = Scope(data, context, variables, rng if rng is not None else random.Random(7))
    return compile_intrinsic(text).resolve(scope)


def runtime_error(text: str, data: JSON = None, **kwargs: Any) -> StatesError:
    with pytest.raises(StatesError) as caught:
        run(text, data, **kwargs)
    assert caught.value.error == RUNTIME
    assert caught.value.cause
    return caught.value


def syntax_error(text: str) -> str:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_intrinsic(text)
    return str(caught.value)


def same_json(left: JSON, right: JSON) -> bool:
    """Equality that also tells booleans from numbers and ints from floats."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    return bool(left == right)


NINE = list(range(1, 10))


# ------------------------------------------------------------------------------- AWS examples

AWS_EXAMPLES: list[tuple[str, JSON, JSON]] = [
    ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),
    (
        "States.Format('Hello, {}! You are {}.', $.name, $.age)",
        {"name": "Ann", "age": 30},
        "Hello, Ann! You are 30.",
    ),
    ("States.StringToJson($.s)", {"s": '{"number": 20}'}, {"number": 20}),
    ("States.StringToJson($.s)", {"s": '{"a":[1,2],"b":true}'}, {"a": [1, 2], "b": True}),
    ("States.StringToJson($.s)", {"s": ""}, None),
    ("States.StringToJson($.s)", {"s": " "}, None),
    ("States.StringToJson($.s)", {"s": "null"}, None),
    ("States.StringToJson($.s)", {"s": "-0"}, 0),
    ("States.JsonToString($.o)", {"o": {"name": "Foo", "year": 2020}}, '{"name":"Foo","year":2020}'),
    (
        "States.JsonToString($.o)",
        {"o": {"a": 1, "b": [True, None], "c": "x"}},
        '{"a":1,"b":[true,null],"c":"x"}',
    ),
    ("States.JsonToString($.o)", {"o": "HelloWorld"}, '"HelloWorld"'),
    ("States.Array('Foo', 2020, $.someJson, null)", {"someJson": {"k": 1}}, ["Foo", 2020, {"k": 1}, None]),
    ("States.Array('a', 1, $.x, true)", {"x": {"k": "v"}}, ["a", 1, {"k": "v"}, True]),
    ("States.Array()", None, []),
    ("States.ArrayPartition($.a, 4)", {"a": NINE}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayPartition($.a, 3)", {"a": [1, 2, 3, 4, 5, 6, 7]}, [[1, 2, 3], [4, 5, 6], [7]]),
    ("States.ArrayPartition($.a, 4)", {"a": []}, []),
    ("States.ArrayPartition($.a, 5)", {"a": [0, 1, 2]}, [[0, 1, 2]]),
    ("States.ArrayContains($.a, 5)", {"a": NINE}, True),
    ("States.ArrayContains($.a, $.v)", {"a": [[1, 2, 3], 2], "v": [1, 2, 3]}, True),
    ("States.ArrayContains($.a, null)", {"a": []}, False),
    ("States.ArrayContains($.xs, $.v)", {"xs": [1, {"a": 2}, "three"], "v": {"a": 2}}, True),
    ("States.ArrayRange(1, 9, 2)", None, [1, 3, 5, 7, 9]),
    ("States.ArrayRange(0, 10, 3)", None, [0, 3, 6, 9]),
    ("States.ArrayRange(1, 9, 9)", None, [1]),
    ("States.ArrayGetItem($.a, 5)", {"a": NINE}, 6),
    ("States.ArrayGetItem($.xs, 2)", {"xs": ["a", "b", "c", "d"]}, "c"),
    ("States.ArrayLength($.a)", {"a": NINE}, 9),
    ("States.ArrayLength($.xs)", {"xs": [None, None, 1]}, 3),
    ("States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.Base64Encode($.s)", {"s": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Encode($.s)", {"s": ""}, ""),
    ("States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
    ("States.Base64Decode($.s)", {"s": "RGVjb2RlZCBkYXRh"}, "Decoded data"),
    ("States.Hash('input data', 'SHA-1')", None, "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("States.Hash('input data', 'MD5')", None, "812f45842bc6d66ee14572ce20db8e86"),
    (
        "States.Hash($.s, 'SHA-256')",
        {"s": "input data"},
        "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3",
    ),
    (
        "States.JsonMerge($.a, $.b, false)",
        {"a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}},
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4},
    ),
    (
        "States.JsonMerge($.a, $.b, false)",
        {"a": {"x": 1, "n": {"p": 1}}, "b": {"n": {"q": 2}, "y": 3}},
        {"x": 1, "n": {"q": 2}, "y": 3},
    ),
    ("States.MathAdd(111, -1)", None, 110),
    ("States.MathAdd($.v, -1)", {"v": 111}, 110),
    ("States.StringSplit('1,2,3,4,5', ',')", None, ["1", "2", "3", "4", "5"]),
    (
        "States.StringSplit($.s, $.d)",
        {"s": "This.is+a,test=string", "d": ".+,="},
        ["This", "is", "a", "test", "string"],
    ),
    ("States.StringSplit(', , ,', ',')", None, [" ", " "]),
    ("States.StringSplit(',,,,', ',')", None, []),
    ("States.ArrayLength(States.StringSplit($.csv, ','))", {"csv": "a,b,c,d"}, 4),
]


@pytest.mark.parametrize(("text", "data", "expected"), AWS_EXAMPLES)
def test_aws_examples(text: str, data: JSON, expected: JSON) -> None:
    result = run(text, data)
    assert same_json(result, expected), f"{text} -> {result!r}, AWS says {expected!r}"


def test_registry_has_exactly_the_18_functions() -> None:
    names = {
        "Format", "StringToJson", "JsonToString", "Array", "ArrayPartition", "ArrayContains", "ArrayRange",
        "ArrayGetItem", "ArrayLength", "ArrayUnique", "Base64Encode", "Base64Decode", "Hash", "JsonMerge",
        "MathRandom", "MathAdd", "StringSplit", "UUID",
    }  # fmt: skip
    assert set(FUNCTIONS) == {"States." + name for name in names}


# ----------------------------------------------------------------------------------- is_intrinsic


@pytest.mark.parametrize(
    "text", ["States.Format('x')", "States.UUID()", "States.Nope(1)", "States.Array(States.Array())"]
)
def test_is_intrinsic_accepts_call_shapes(text: str) -> None:
    assert is_intrinsic(text)


@pytest.mark.parametrize(
    "text", ["$.x", "$$.Execution.Id", "States.Format", "Format('x')", "", "States.Array() tail", "States.()"]
)
def test_is_intrinsic_rejects_other_text(text: str) -> None:
    assert not is_intrinsic(text)


# ------------------------------------------------------------------------------------- grammar


def test_arguments_of_every_literal_kind_and_whitespace() -> None:
    result = run("States.Array(  'a' ,1,-2,  3.5 ,-0.25, 1e3, true , false,null  )")
    assert same_json(result, ["a", 1, -2, 3.5, -0.25, 1000.0, True, False, None])


def test_string_escapes() -> None:
    assert run(r"States.Array('it\'s', 'back\\slash', '\{\}', 'a,b)c')") == [
        "it's",
        "back\\slash",
        "{}",
        "a,b)c",
    ]


def test_unescaped_braces_are_literal_outside_format() -> None:
    # AWS accepts States.StringToJson('{"constant_in_literal": "false"}') unescaped (LocalStack template)
    assert run("""States.StringToJson('{"constant_in_literal": "false"}')""") == {
        "constant_in_literal": "false"
    }


def test_string_may_hold_real_newlines() -> None:
    assert run("States.StringSplit('Hello\nWorld', '\n')") == ["Hello", "World"]


def test_path_arguments_from_every_root() -> None:
    result = run(
        "States.Array($, $.a[1], $$.Execution.Id, $v.k, $['b c'])",
        {"a": [1, 2], "b c": 3},
        context={"Execution": {"Id": "arn:x"}},
        variables={"v": {"k": "var"}},
    )
    assert result == [{"a": [1, 2], "b c": 3}, 2, "arn:x", "var", 3]


def test_path_with_filter_containing_commas_parens_and_quotes() -> None:
    data = {"p": [{"n": "a", "age": 3}, {"n": "b, c)", "age": 1}]}
    assert run("States.Array($.p[?(@.age > 2)].n, $.p[?(@.n == 'b, c)')].age )", data) == [["a"], [1]]


def test_nested_calls() -> None:
    text = (
        "States.ArrayGetItem(States.StringSplit($.n, '-'),"
        " States.MathAdd(States.ArrayLength(States.StringSplit($.n, '-')), -1))"
    )
    assert run(text, {"n": "my-state-machine"}) == "machine"


def _nested(depth: int) -> str:
    return "States.Array(" * depth + ")" * depth


def test_nesting_up_to_10_calls_is_allowed() -> None:
    result = run(_nested(10))
    for _ in range(9):
        assert isinstance(result, list) and len(result) == 1
        result = result[0]
    assert result == []


def test_nesting_deeper_than_10_is_rejected() -> None:
    assert "nested at most 10" in syntax_error(_nested(11))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("States.Nope()", "is not an intrinsic function"),
        ("States.format('x')", "is not an intrinsic function"),
        ("States.Array(1,)", "missing"),
        ("States.Array(,1)", "missing"),
        ("States.Array(1 2)", "expected ',' or ')'"),
        ("States.Array('x)", "never closed"),
        ("States.Array(1", "expected ',' or ')'"),
        ("States.Array", "expected '('"),
        ("States.Array(1) x", "after the closing ')'"),
        ("States.Array(foo)", "not a value"),
        ("States.Array(True)", "not a value"),
        ("States.Array(1.)", "not a number"),
        ("States.Array(12ab)", "not a number"),
        ("States.Array(-)", "expected a number"),
        ("States.Array('\\n')", "backslash"),
        ("States.Array('\\')", "never closed"),
        ("States.Array('a\\", "backslash"),
        ('States.Array("x")', "unexpected character"),
        ("States.Array($.a[0)", "closes nothing"),
        ("States.Array($.a[0", "unclosed"),
        ("States.Array($.a b)", "expected ',' or ')'"),
        ("'x'", "function name"),
    ],
)
def test_syntax_errors(text: str, words: str) -> None:
    message = syntax_error(text)
    assert words in message
    assert text in message


ARITY_ERRORS = [
    "States.StringToJson()", "States.JsonToString($.a, $.b)", "States.ArrayPartition($.a)",
    "States.ArrayContains($.a)", "States.ArrayRange(1, 2)", "States.ArrayGetItem($.a)",
    "States.ArrayLength()", "States.ArrayUnique($.a, 1)", "States.Base64Encode()",
    "States.Base64Decode('a', 'b')", "States.Hash('a')", "States.JsonMerge($.a, $.b)",
    "States.MathRandom(1)", "States.MathRandom(1, 2, 3, 4)", "States.MathAdd(1)",
    "States.StringSplit('a')", "States.UUID(1)", "States.Format()",
]  # fmt: skip


@pytest.mark.parametrize("text", ARITY_ERRORS)
def test_wrong_argument_count_is_a_compile_error(text: str) -> None:
    assert "takes" in syntax_error(text)


def test_arity_error_message_is_plain() -> None:
    assert "States.MathAdd takes 2 arguments, but 1 was given" in syntax_error("States.MathAdd(1)")
    assert "States.MathRandom takes 2 or 3 arguments, but 4 were given" in syntax_error(
        "States.MathRandom(1, 2, 3, 4)"
    )


def test_nested_call_errors_are_found_at_compile_time() -> None:
    assert "takes" in syntax_error("States.Array(States.ArrayLength())")
    assert "not an intrinsic function" in syntax_error("States.Array(1, States.Bad(2))")


def test_invalid_path_argument_is_a_compile_error() -> None:
    assert "not a valid path" in syntax_error("States.Array($.a[?(@.x ==)])")


def test_non_string_text_is_a_compile_error() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_intrinsic(42)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- compiled object


def test_call_is_immutable_and_keeps_its_text() -> None:
    call = compile_intrinsic("States.MathAdd(1, 2)")
    assert isinstance(call, IntrinsicCall)
    assert call.text == "States.MathAdd(1, 2)"
    assert call.function == "States.MathAdd"
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.text = "other"  # type: ignore[misc]


def test_call_lists_its_paths_at_any_depth() -> None:
    call = compile_intrinsic("States.Array($.a, States.Array($$.b, $v), 1)")
    assert [path.text for path in call.paths] == ["$.a", "$$.b", "$v"]


def test_resolving_never_compiles_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    call = compile_intrinsic("States.Format('{} {} {}', $.a, States.ArrayLength($$.xs), $v)")

    def forbidden(text: str) -> Any:
        raise AssertionError(f"compile_path({text!r}) called while resolving")

    monkeypatch.setattr(intrinsics, "compile_path", forbidden)
    monkeypatch.setattr(paths, "compile_path", forbidden)
    monkeypatch.setattr(paths, "_compile", forbidden)
    scope = Scope({"a": "x"}, {"xs": [1, 2]}, {"v": True}, random.Random(1))
    for _ in range(3):
        assert call.resolve(scope) == "x 2 true"


def test_missing_path_is_states_runtime() -> None:
    error = runtime_error("States.Array(1, $.missing)", {"a": 1})
    assert "$.missing" in (error.cause or "")
    assert "States.Array" in (error.cause or "")


def test_undefined_variable_is_states_runtime() -> None:
    error = runtime_error("States.Array($nope)", {})
    assert "nope" in (error.cause or "")


# ----------------------------------------------------------------------------------- Format


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("", ""),
        (" ", " "),
        ("HelloWorld", "HelloWorld"),
        (None, "null"),
        (1, "1"),
        (1.1, "1.1"),
        (True, "true"),
        ('{"Arg1": 1, "Arg2": []}', '{"Arg1": 1, "Arg2": []}'),
        ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
        ([1, "two", None, {"k": [True]}], "[1, two, null, {k=[true]}]"),
    ],
)
def test_format_renders_values_like_aws(value: JSON, rendered: str) -> None:
    assert (
        run("States.Format('Formatting argument {}.', $.v)", {"v": value})
        == f"Formatting argument {rendered}."
    )


def test_format_renders_context_object_java_style() -> None:
    context = {"StateMachine": {"Id": "arn:aws:states:r:1:stateMachine:M", "Name": "M"}}
    result = run("States.Format('snd={}', $$.StateMachine)", context=context)
    assert result == "snd={Id=arn:aws:states:r:1:stateMachine:M, Name=M}"


def test_format_escaped_braces_are_literal_and_not_placeholders() -> None:
    assert run(r"States.Format('\{\} {} \{x\}', 'v')") == "{} v {x}"
    assert run(r"States.Format('{\}')") == "{}"
    assert run(r"States.Format('\'{}\' \\', 'q')") == "'q' \\"


def test_format_without_placeholders() -> None:
    assert run("States.Format('plain')") == "plain"


@pytest.mark.parametrize(
    "text", ["States.Format('{} {}', 1)", "States.Format('{}', 1, 2)", "States.Format('x', 1)"]
)
def test_format_placeholder_count_mismatch_is_a_compile_error(text: str) -> None:
    assert "placeholder" in syntax_error(text)


def test_format_template_literal_must_be_a_string() -> None:
    assert "template" in syntax_error("States.Format(1)")


def test_format_template_from_a_path() -> None:
    assert run("States.Format($.t, $.a, 2)", {"t": "{}+{}", "a": 1}) == "1+2"
    assert "placeholder" in (runtime_error("States.Format($.t, 1)", {"t": "none"}).cause or "")
    assert "template" in (runtime_error("States.Format($.t)", {"t": 5}).cause or "")


# ----------------------------------------------------------------------------- JSON functions


@pytest.mark.parametrize("text", ["{", "NaN", "Infinity", "[1,]", "abc"])
def test_string_to_json_rejects_invalid_json(text: str) -> None:
    error = runtime_error("States.StringToJson($.s)", {"s": text})
    assert "States.StringToJson" in (error.cause or "")


def test_string_to_json_requires_a_string() -> None:
    assert "argument 1" in (runtime_error("States.StringToJson($.s)", {"s": {"a": 1}}).cause or "")


def test_json_to_string_is_compact_and_keeps_unicode() -> None:
    assert run("States.JsonToString($.o)", {"o": {"k": ["é", 1.5, {}]}}) == '{"k":["é",1.5,{}]}'
    assert run("States.JsonToString(States.Array(1, null))") == "[1,null]"


def test_json_merge_deep_true_merges_recursively() -> None:
    data = {"a": {"n": {"p": 1, "q": {"x": 1}}, "k": 1}, "b": {"n": {"q": {"y": 2}, "r": 3}, "k": {"z": 0}}}
    assert run("States.JsonMerge($.a, $.b, true)", data) == {
        "n": {"p": 1, "q": {"x": 1, "y": 2}, "r": 3},
        "k": {"z": 0},
    }


def test_json_merge_does_not_mutate_its_inputs() -> None:
    data = {"a": {"n": {"p": 1}}, "b": {"n": {"q": 2}}}
    run("States.JsonMerge($.a, $.b, true)", data)
    run("States.JsonMerge($.a, $.b, false)", data)
    assert data == {"a": {"n": {"p": 1}}, "b": {"n": {"q": 2}}}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("States.JsonMerge($.a, $.b, 'false')", "argument 3"),
        ("States.JsonMerge($.a, $.b, 0)", "argument 3"),
        ("States.JsonMerge($.l, $.b, false)", "argument 1"),
        ("States.JsonMerge($.a, $.l, false)", "argument 2"),
    ],
)
def test_json_merge_argument_errors(text: str, words: str) -> None:
    error = runtime_error(text, {"a": {}, "b": {}, "l": [1]})
    assert words in (error.cause or "") and "States.JsonMerge" in (error.cause or "")


# ---------------------------------------------------------------------------------- arrays


def test_array_partition_rounds_chunk_size_java_style() -> None:
    assert run("States.ArrayPartition($.a, 2.5)", {"a": [1, 2, 3, 4]}) == [[1, 2, 3], [4]]


@pytest.mark.parametrize(
    ("size", "words"), [("0", "greater than 0"), ("-1", "greater than 0"), ("'2'", "number")]
)
def test_array_partition_rejects_bad_sizes(size: str, words: str) -> None:
    assert words in (runtime_error(f"States.ArrayPartition($.a, {size})", {"a": [1]}).cause or "")


def test_array_partition_requires_an_array() -> None:
    assert "array" in (runtime_error("States.ArrayPartition($.a, 1)", {"a": "xs"}).cause or "")


@pytest.mark.parametrize(
    ("items", "value", "expected"),
    [
        ([1, 2], 1.0, True),
        ([True], 1, False),
        ([1], True, False),
        ([0], False, False),
        ([None], None, True),
        ([{"a": 1, "b": [1, 2]}], {"b": [1, 2], "a": 1}, True),
        ([[1, 2]], [2, 1], False),
        (["1"], 1, False),
    ],
)
def test_array_contains_uses_deep_typed_equality(items: JSON, value: JSON, expected: bool) -> None:
    assert run("States.ArrayContains($.a, $.v)", {"a": items, "v": value}) is expected


def test_array_unique_keeps_first_occurrences_with_deep_typed_equality() -> None:
    items = [1, True, 1.0, "1", False, 0, {"a": [1]}, {"a": [1.0]}, [1, 2], [1, 2], None, None, 3]
    result = run("States.ArrayUnique($.a)", {"a": items})
    assert same_json(result, [1, True, "1", False, 0, {"a": [1]}, [1, 2], None, 3])


def test_array_range_edge_cases() -> None:
    assert run("States.ArrayRange(10, 1, -3)") == [10, 7, 4, 1]
    assert run("States.ArrayRange(5, 1, 1)") == []
    assert run("States.ArrayRange(1.5, 3.4, 1)") == [2, 3]
    assert same_json(run("States.ArrayRange(1.0, 3.0, 1.0)"), [1, 2, 3])
    assert run("States.ArrayRange(1, 1000, 1)") == list(range(1, 1001))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("States.ArrayRange(1, 1001, 1)", "limit is 1000"),
        ("States.ArrayRange(0, 5, 0)", "step"),
        ("States.ArrayRange('1', 5, 1)", "argument 1"),
        ("States.ArrayRange(1, true, 1)", "argument 2"),
    ],
)
def test_array_range_errors(text: str, words: str) -> None:
    assert words in (runtime_error(text).cause or "")


@pytest.mark.parametrize(
    ("index", "words"), [("5", "out of range"), ("-1", "out of range"), ("1.5", "integer"), ("'1'", "number")]
)
def test_array_get_item_errors(index: str, words: str) -> None:
    error = runtime_error(f"States.ArrayGetItem($.xs, {index})", {"xs": [1, 2]})
    assert words in (error.cause or "") and "States.ArrayGetItem" in (error.cause or "")


def test_array_get_item_accepts_integral_float_index() -> None:
    assert run("States.ArrayGetItem($.xs, 1.0)", {"xs": ["a", "b"]}) == "b"


@pytest.mark.parametrize(
    "text", ["States.ArrayLength($.o)", "States.ArrayUnique($.o)", "States.ArrayContains($.o, 1)"]
)
def test_array_functions_reject_non_arrays(text: str) -> None:
    assert "must be an array" in (runtime_error(text, {"o": {"a": 1}}).cause or "")


# ------------------------------------------------------------------------ encoding and hashing


def test_base64_round_trip_of_unicode() -> None:
    encoded = run("States.Base64Encode('héllo ✓')")
    assert encoded == base64.b64encode("héllo ✓".encode()).decode()
    assert run("States.Base64Decode($.e)", {"e": encoded}) == "héllo ✓"


def test_base64_decode_tolerates_missing_padding() -> None:
    assert run("States.Base64Decode('RGF0YSB0byBlbmNvZGU')") == "Data to encode"


@pytest.mark.parametrize("data", ["not base64!", "RGF0YQ=x", "/w=="])  # the last decodes to invalid UTF-8
def test_base64_decode_rejects_bad_input(data: str) -> None:
    assert "States.Base64Decode" in (runtime_error("States.Base64Decode($.s)", {"s": data}).cause or "")


@pytest.mark.parametrize("function", ["Base64Encode", "Base64Decode"])
def test_base64_input_limit_is_10000_characters(function: str) -> None:
    ok = "QUFB" * 2500  # 10,000 characters, valid base64
    run(f"States.{function}($.s)", {"s": ok})
    assert "10000" in (runtime_error(f"States.{function}($.s)", {"s": ok + "QUFB"}).cause or "")


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash_algorithms_give_lowercase_hex(algorithm: str) -> None:
    expected = hashlib.new(algorithm.replace("-", "").lower(), b"input data").hexdigest()
    assert run(f"States.Hash('input data', '{algorithm}')") == expected


def test_hash_errors() -> None:
    assert "algorithm" in (runtime_error("States.Hash('x', 'SHA-999')").cause or "")
    assert "algorithm" in (runtime_error("States.Hash('x', 'sha-1')").cause or "")
    run("States.Hash($.s, 'MD5')", {"s": "x" * 10_000})
    assert "10000" in (runtime_error("States.Hash($.s, 'MD5')", {"s": "x" * 10_001}).cause or "")


# ------------------------------------------------------------------------------------ maths


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.5", "0", 2),
        ("2.5", "0", 3),
        ("-1.5", "0", -1),
        ("-2.5", "0", -2),
        ("-0.5", "0.5", 1),
        ("1.49", "1.50", 3),
    ],
)
def test_math_add_rounds_like_java(a: str, b: str, expected: int) -> None:
    result = run(f"States.MathAdd({a}, {b})")
    assert same_json(result, expected)


def test_java_round_is_exact_near_halves() -> None:
    assert java_round(0.49999999999999994) == 0
    assert java_round(-0.5) == 0
    assert java_round(2.5) == 3


def test_math_add_returns_ints_and_respects_the_32_bit_range() -> None:
    assert same_json(run("States.MathAdd(2.0, 3.0)"), 5)
    assert run("States.MathAdd(2147483646, 1)") == 2147483647
    assert run("States.MathAdd(-2147483648, 0)") == -2147483648
    assert "32-bit" in (runtime_error("States.MathAdd(2147483648, 0)").cause or "")
    assert "32-bit" in (runtime_error("States.MathAdd(2147483647, 1)").cause or "")


@pytest.mark.parametrize("value", ['"NOT A NUMBER"', "true", "null", "[1]"])
def test_math_add_rejects_non_numbers(value: str) -> None:
    error = runtime_error("States.MathAdd($.a, $.b)", {"a": 1, "b": json.loads(value)})
    assert "argument 2" in (error.cause or "") and "States.MathAdd" in (error.cause or "")


def test_math_random_is_start_inclusive_end_exclusive() -> None:
    rng = random.Random(3)
    seen = {run("States.MathRandom(1, 4)", rng=rng) for _ in range(300)}
    assert seen == {1, 2, 3}


def test_math_random_uses_the_scope_random_source() -> None:
    first = [run("States.MathRandom(0, 1000000)", rng=random.Random(5)) for _ in range(3)]
    again = [run("States.MathRandom(0, 1000000)", rng=random.Random(5)) for _ in range(3)]
    assert first == again
    assert first[0] == random.Random(5).randrange(0, 1000000)


def test_math_random_with_seed_is_deterministic_and_ignores_scope_random() -> None:
    values = {run("States.MathRandom(1, 999, 42)", rng=random.Random(n)) for n in range(5)}
    assert values == {random.Random(42).randrange(1, 999)}
    assert run("States.MathRandom(1, 999, $.seed)", {"seed": 42}) in values
    seeded = {run(f"States.MathRandom(0, 1000000, {seed})") for seed in range(5)}
    assert len(seeded) > 1  # different seeds, different values


def test_math_random_errors() -> None:
    assert "less than" in (runtime_error("States.MathRandom(5, 5)").cause or "")
    assert "argument 1" in (runtime_error("States.MathRandom('1', 5)").cause or "")
    with pytest.raises(StatesError) as caught:
        compile_intrinsic("States.MathRandom(1, 5)").resolve(Scope(None))
    assert caught.value.error == RUNTIME and "randomness" in (caught.value.cause or "")


def test_randomness_never_comes_from_module_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("global randomness used")

    for name in ("random", "randrange", "randint", "getrandbits", "seed"):
        monkeypatch.setattr(random, name, forbidden)
    monkeypatch.setattr(uuid, "uuid4", forbidden)
    rng = random.Random(11)
    assert UUID_V4.match(run("States.UUID()", rng=rng))
    assert 0 <= run("States.MathRandom(0, 10)", rng=rng) < 10


# ------------------------------------------------------------------------------ strings, UUID


def test_string_split_edge_cases() -> None:
    assert run("States.StringSplit('a--b-', '-')") == ["a", "b"]
    assert run("States.StringSplit('', ',')") == []
    assert run("States.StringSplit('abc', '')") == ["abc"]
    assert run("States.StringSplit('a.b', 'x')") == ["a.b"]
    assert "argument 1" in (runtime_error("States.StringSplit($.n, ',')", {"n": 5}).cause or "")
    assert "argument 2" in (runtime_error("States.StringSplit('a', $.n)", {"n": 5}).cause or "")


def test_uuid_is_a_version_4_uuid_from_scope_random() -> None:
    value = run("States.UUID()", rng=random.Random(99))
    assert UUID_V4.match(value)
    parsed = uuid.UUID(value)
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert run("States.UUID()", rng=random.Random(99)) == value
    assert run("States.UUID()", rng=random.Random(100)) != value


def test_uuid_keeps_the_random_bits_outside_version_and_variant() -> None:
    bits = random.Random(99).getrandbits(128)
    assert uuid.UUID(run("States.UUID()", rng=random.Random(99))) == uuid.UUID(int=bits, version=4)
