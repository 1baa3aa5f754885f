"""JSONata expressions and JSON values with ``{% %}`` strings (heaviside.definition.jsonata*).

Cause texts follow the AWS-recorded ones in the reference (§2.4) and LocalStack's AWS snapshots
(``T1006: Attempted to invoke a non-function`` for an unknown function). Seeded ``$random`` values
are ``java.util.Random(seed).nextDouble()``, the values AWS returns.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jlens
import pytest

from heaviside.definition import jsonata
from heaviside.definition.jsonata import (
    JsonataEnv,
    JsonataSyntaxError,
    compile_jsonata,
    java_random_double,
)
from heaviside.definition.jsonata_values import compile_jsonata_value, is_jsonata_string
from heaviside.errors import QUERY_EVALUATION_ERROR, ExpressionSyntaxError, StatesError
from heaviside.types import JSON

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def env(input: JSON = None, variables: dict[str, Any] | None = None, *, now: datetime = NOW, seed: int = 0,
        **states: JSON) -> JsonataEnv:
    return JsonataEnv({"input": input, "context": {"State": {"Name": "S"}}, **states}, variables or {}, now,
                      random.Random(seed))


def run(source: str, input: JSON = None, variables: dict[str, Any] | None = None, **kwargs: Any) -> JSON:
    return compile_jsonata(source).evaluate(env(input, variables, **kwargs), "Output")


def failure(source: str, input: JSON = None, field: str = "Output", **kwargs: Any) -> str:
    with pytest.raises(StatesError) as caught:
        compile_jsonata(source).evaluate(env(input, **kwargs), field)
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause is not None
    return caught.value.cause


def threw(source: str, detail: str, field: str = "Output") -> str:
    return (f"The JSONata expression '{source}' specified for the field '{field}' "
            f"threw an error during evaluation. {detail}")


# ---------------------------------------------------------------------------- evaluation and results


def test_states_and_variables_are_bound() -> None:
    assert run("$states.input.n + 1", {"n": 4}) == 5
    assert run("$states.context.State.Name") == "S"
    assert run("$states.result.v * 2", result={"v": 21}) == 42
    assert run("$states.errorOutput.Error", errorOutput={"Error": "E"}) == "E"
    assert run("$who & ' x' & $string($count)", variables={"who": "zed", "count": 2}) == "zed x2"  # shadows $count


def test_bare_dollar_is_undefined() -> None:
    assert failure("$", {"a": 1}).endswith("returned nothing (undefined).")


def test_null_is_a_value_and_undefined_is_an_error() -> None:
    assert run("$states.input.a", {"a": None}) is None
    assert run("[$states.input.a, 1]", {"a": None}) == [None, 1]
    assert failure("$states.input.b", {"a": None}, field="Output/total") == (
        "The JSONata expression '$states.input.b' specified for the field 'Output/total' returned nothing (undefined).")
    assert failure("$missingVariable").endswith("returned nothing (undefined).")


def test_evaluation_errors_carry_the_jsonata_code_and_message() -> None:
    assert failure("$nope()") == threw("$nope()", "T1006: Attempted to invoke a non-function")
    assert failure("'a' + 1") == threw("'a' + 1", 'T2001: The left side of the "+" operator must evaluate to a number')


def test_a_function_result_is_an_unsupported_type() -> None:
    assert failure("function($x){$x}", field="Assign/f") == (
        "The JSONata expression 'function($x){$x}' specified for the field 'Assign/f' "
        "returned an unsupported result type.")
    assert failure("$sum").endswith("returned an unsupported result type.")


def test_jsonata_object_constructors_drop_undefined_fields() -> None:
    assert run("{'a': $states.input.nope, 'b': 1}", {}) == {"b": 1}


def test_results_are_plain_json() -> None:
    result = run("{'i': $states.input.f, 'f': $states.input.g, 'xs': [1, 'a', true, null, {'k': []}]}",
                 {"f": 3.0, "g": 1.5})
    assert result == {"i": 3, "f": 1.5, "xs": [1, "a", True, None, {"k": []}]}
    assert type(result["i"]) is int  # integral floats come back as ints, as JSON from JS would

    def plain(value: JSON) -> bool:
        if isinstance(value, dict):
            return type(value) is dict and all(type(k) is str and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return type(value) is list and all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    assert plain(result)


def test_now_and_millis_follow_the_env_clock() -> None:
    assert run("$now()") == "2024-01-01T00:00:00.000Z"
    later = NOW + timedelta(days=1, milliseconds=5)
    assert run("$now()", now=later) == "2024-01-02T00:00:00.005Z"
    assert run("$millis()", now=later) == 1704153600005
    assert run("$now()", now=datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == "2024-01-01T00:00:00.000Z"


def test_runaway_expressions_are_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonata, "EVALUATION_TIMEOUT_S", 0.2)
    assert "threw an error during evaluation. D1012: " in failure("($f := function(){ $f() }; $f())")
    monkeypatch.setattr(jsonata, "EVALUATION_MAX_STEPS", 1000)
    assert "threw an error during evaluation. U1006: " in failure("$sum([1..100000].($ * 2))")


# ---------------------------------------------------------------------------- Step Functions' functions


def test_partition() -> None:
    assert run("$partition([1,2,3,4,5], 2)") == [[1, 2], [3, 4], [5]]
    assert run("$partition([1,2,3], 5)") == [[1, 2, 3]]  # never collapsed (AWS: [[0]] for [0], 1)
    assert run("$partition([0], 1)") == [[0]]
    assert run("$partition([1,2,3,4,5], 2.9)") == [[1, 2], [3, 4], [5]]  # floored
    assert run("$partition($states.input.xs, $states.input.n)", {"xs": ["a", "b"], "n": 1}) == [["a"], ["b"]]
    assert failure("$partition([], 2)").endswith("returned nothing (undefined).")
    assert failure("$partition([1], 0)").endswith("returned nothing (undefined).")
    assert failure("$partition([1], -1)") == threw("$partition([1], -1)",
                                                   "D3137: Second argument must be zero or greater")
    assert "T0410: Argument 2 of function \"partition\"" in failure("$partition([1], 'x')")


def test_range() -> None:
    assert run("$range(1, 9, 9)") == 1  # a single item collapses to a scalar [AWS]
    assert run("$range(1, 9, 2)") == [1, 3, 5, 7, 9]
    assert run("$range(0, 10, 3)") == [0, 3, 6, 9]
    assert run("$range(10, 0, -5)") == [10, 5, 0]
    assert run("$range(1.5, 3.9, 1)") == [1, 2, 3]  # floored
    assert run("$range(-1.5, 1, 1)") == [-2, -1, 0, 1]  # floored, not truncated (AWS DG; see the module notes)
    assert run("$count($range(1, 1000, 1))") == 1000
    assert failure("$range(1, 1001, 1)") == threw(
        "$range(1, 1001, 1)", "D3137: The range has 1001 items, more than the 1000 allowed")
    for empty in ("$range(1, 5, 0)", "$range(5, 1, 1)", "$range(1, 5)"):
        assert failure(empty).endswith("returned nothing (undefined)."), empty
    assert "T0410" in failure("$range(1)")


def test_hash() -> None:
    for algorithm, name in (("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"),
                            ("SHA-384", "sha384"), ("SHA-512", "sha512")):
        assert run(f"$hash('Hello ñ', '{algorithm}')") == hashlib.new(name, "Hello ñ".encode()).hexdigest()
    assert run("$hash('Hello', 'MD5')") == "8b1a9953c4611296a827abf8c47804d7"
    assert failure("$hash('a', 'md5')").startswith(
        threw("$hash('a', 'md5')", "D3137: Unsupported hash algorithm 'md5'"))
    assert "T0410" in failure("$hash(42, 'MD5')")
    assert failure("$hash('a')").endswith("returned nothing (undefined).")


def test_random_with_and_without_a_seed() -> None:
    assert run("$random(42)") == 0.7275636800328681  # java.util.Random, as AWS
    assert run("$random(0)") == 0.730967787376657
    assert run("$random(7.9)") == run("$random(7)") == java_random_double(7)
    assert run("$random(3) = $random(3)") is True
    drawn = run("[$random(), $random()]", seed=5)
    source = random.Random(5)
    assert drawn == [source.random(), source.random()]  # from env.random, nothing else
    assert run("$random()", seed=5) == run("$random()", seed=5)
    assert run("$random()", seed=5) != run("$random()", seed=6)
    assert all(0 <= value < 1 for value in run("$map([1..50], function(){$random()})", seed=1))
    assert "T0410" in failure("$random('x')")


def test_uuid_comes_from_the_env_random() -> None:
    source = random.Random(7)
    expected = [str(uuid.UUID(int=source.getrandbits(128), version=4)) for _ in range(2)]
    assert run("[$uuid(), $uuid()]", seed=7) == expected
    assert uuid.UUID(expected[0]).version == 4
    assert "T0410" in failure("$uuid(1)")


def test_parse() -> None:
    assert run("$parse('{\"b\": 1, \"a\": [1.0, null, \"x\"]}')") == {"b": 1, "a": [1, None, "x"]}
    assert list(run("$parse('{\"b\": 1, \"a\": 2}')")) == ["b", "a"]
    assert run("$parse($states.input.s).k", {"s": '{"k": true}'}) is True
    for bad in ("'nope'", "''", "'[1] [2]'", "'{\"a\":1,\"a\":2}'", "'NaN'", "'1e400'"):
        assert failure(f"$parse({bad})") == threw(f"$parse({bad})", "D3137: Invalid JSON"), bad
    assert "T0410" in failure("$parse(null)")


def test_eval_is_not_supported() -> None:
    assert failure("$eval('1 + 1')") == threw("$eval('1 + 1')", "T1006: Attempted to invoke a non-function")


def test_java_random_double() -> None:
    assert java_random_double(42) == 0.7275636800328681
    assert java_random_double(-1) == 0.26894263088050496


# ---------------------------------------------------------------------------- compile-time facts


def test_syntax_errors() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r'^S0202: Expected "\]", got "," at position 4$'):
        compile_jsonata("a[1,2)")
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_jsonata(" 1 + ")
    assert (caught.value.code, caught.value.position, caught.value.source) == ("S0207", 3, "1 +")
    with pytest.raises(JsonataSyntaxError):
        compile_jsonata("")


def test_compiling_strips_and_caches() -> None:
    expression = compile_jsonata("  $states.input.x  ")
    assert expression.source == "$states.input.x"
    assert compile_jsonata("$states.input.x") is expression


@pytest.mark.parametrize(("source", "variables"), [
    ("$a & $b.c[0]", {"a", "b"}),
    ("($x := 1; $x + $y)", {"y"}),  # a local := binding is not a workflow variable
    ("function($p){ $p + $q }(1)", {"q"}),  # nor is a lambda parameter
    ("$map($xs, function($v){ $v * $k })", {"xs", "k"}),
    ("$partition($xs, 2) ~> $count()", {"xs"}),  # functions are not variables
    ("$states.input.a", set()),
])
def test_variables(source: str, variables: set[str]) -> None:
    assert compile_jsonata(source).variables == variables


@pytest.mark.parametrize(("source", "fields"), [
    ("$states.input.a + $x", {"input"}),
    ("$states.result.x & $states.errorOutput.Error", {"result", "errorOutput"}),
    ("$states.context.Execution.Id", {"context"}),
    ("$keys($states)", {"input", "result", "errorOutput", "context"}),  # read whole
    ("$states.elsewhere", set()),
    ("1 + 1", set()),
])
def test_states_fields(source: str, fields: set[str]) -> None:
    assert compile_jsonata(source).states_fields == fields


def test_bindings_cut_to_what_is_read_give_the_full_answer() -> None:
    doc = {"Name": "Fred", "Age": 28, "Address": {"City": "W", "Postcode": "S"}, "Other": {"Misc": None},
           "Phone": [{"type": "home", "number": "1"}, {"type": "office", "number": "2"}]}
    states = {"input": doc, "context": {"Execution": {"Name": "e"}}}
    for source in ("$states.input.Phone[type='office'].number", "$states.input.Address.*", "$states.input.**.City",
                   "$states.input ~> $keys()", "$count($states.input.Phone)", "$exists($states.input.Address)",
                   "$states.input.Phone.%.Name", "$states.input.Phone[0].%.Age", "$string($states.input.Address)",
                   "$lookup($states.input, 'Age')", "$states.input.Address.$keys()", "$string($states)",
                   "( $a := $states.input.Address; $a.City )", "$states.input ~> |Address|{'City': 'X'}|",
                   "$states.input.Phone{type: $count(number)}", "$states.input.Other.Misc", "$keys($v.a)"):
        raw = jlens.Expression(source)
        full = {"states": states, "v": {"a": {"k": 1}, "b": 2}}
        expected = raw.evaluate(None, full)
        assert raw.evaluate_json(None, full) is not None, source
        assert compile_jsonata(source).evaluate(JsonataEnv(states, {"v": full["v"]}, NOW, random.Random()), "F") \
            == expected, source


def test_one_expression_shared_by_threads() -> None:
    expression = compile_jsonata("$string($states.input.n * 2) & '/' & $tag & '/' & $string($millis()) & '/' & $uuid()")
    wrong: list[str] = []

    def worker(thread: int) -> None:
        for n in range(200):
            clock, seed = NOW + timedelta(milliseconds=thread), thread * 1000 + n
            got = expression.evaluate(
                JsonataEnv({"input": {"n": n}}, {"tag": f"t{thread}"}, clock, random.Random(seed)), "Output")
            source = random.Random(seed)
            want = f"{2 * n}/t{thread}/{1704067200000 + thread}/{uuid.UUID(int=source.getrandbits(128), version=4)}"
            if got != want:
                wrong.append(f"{got} != {want}")

    threads = [threading.Thread(target=worker, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


# ---------------------------------------------------------------------------- JSON values


def test_is_jsonata_string() -> None:
    assert is_jsonata_string("{% $x %}") and is_jsonata_string("{%$x%}")
    for literal in (" {% $x %}", "{% $x %} ", "a {% $x %}", "{% $x", "$x %}", "{%}", "plain", 42, None, ["{% 1 %}"]):
        assert not is_jsonata_string(literal), literal


def test_a_value_without_expressions_is_returned_as_is() -> None:
    template = {"a": [1, {"b": "{% not a whole expression"}], "c": "x {% 1 %}", "{% $k %}": "key is literal"}
    value = compile_jsonata_value(template, "Output")
    assert value.expressions == () and value.is_constant
    assert value.evaluate(env()) is template


def test_nested_expressions_are_evaluated_in_place() -> None:
    template = {"total": "{% $sum($states.input.xs) %}", "lit": {"k": [1, 2]}, "s": " {% 1 %}",
                "items": ["a", "{% $states.input.xs[0] %}", {"deep": "{% $v %}"}], "n": None}
    value = compile_jsonata_value(template, "Output")
    result = value.evaluate(env({"xs": [3, 4]}, {"v": "V"}))
    assert result == {"total": 7, "lit": {"k": [1, 2]}, "s": " {% 1 %}", "items": ["a", 3, {"deep": "V"}], "n": None}
    assert list(result) == list(template)
    assert result["lit"] is template["lit"]  # constant parts are shared, not copied
    assert template["total"] == "{% $sum($states.input.xs) %}"  # the template is left alone
    assert [e.source for e in value.expressions] == ["$sum($states.input.xs)", "$states.input.xs[0]", "$v"]
    assert compile_jsonata_value("{% $states.input %}", "Items").evaluate(env([1, 2])) == [1, 2]


def test_undefined_inside_a_template_names_its_location() -> None:
    cases = [({"total": "{% $states.input.nope %}"}, "Output/total"),
             ({"Payload": {"deep": ["x", "{% $states.input.nope %}"]}}, "Output/Payload/deep[1]"),
             ("{% $states.input.nope %}", "Output")]
    for template, location in cases:
        with pytest.raises(StatesError) as caught:
            compile_jsonata_value(template, "Output").evaluate(env({}))
        assert caught.value.cause == (f"The JSONata expression '$states.input.nope' specified for the field "
                                      f"'{location}' returned nothing (undefined).")
    assert compile_jsonata_value({"o": "{% {'a': $states.input.nope} %}"}, "Output").evaluate(env({})) == {"o": {}}


def test_syntax_errors_in_values_name_their_location() -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_jsonata_value({"a": [1, "{% 1 + %}"]}, "Arguments")
    error = caught.value
    assert (error.field, error.path, error.code) == ("Arguments/a[1]", ("a", 1), "S0207")
    assert str(error) == ("Invalid JSONata expression '1 +' in the field 'Arguments/a[1]': "
                          "S0207: Unexpected end of expression at position 3")
    assert isinstance(error, ExpressionSyntaxError)
