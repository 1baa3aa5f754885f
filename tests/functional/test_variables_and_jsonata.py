"""Workflow variables and JSONata states end to end on the local backend: AWS's rules."""

from __future__ import annotations

from typing import Any

import pytest

from heaviside import run_local
from heaviside.definition.loader import load_definition
from heaviside.errors import DefinitionError

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def jsonata(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start or next(iter(states)), "States": states}


def test_reads_see_values_from_state_entry_and_assign_commits_on_exit() -> None:
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"answer": 42}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"answer": "new"}, "OutputPath": "$answer", "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"old.$": "$", "now.$": "$answer"}, "End": True},
    }}
    record = run_local(definition, {})
    assert record.output == {"old": 42, "now": "new"}


def test_jsonata_assign_and_output_see_the_same_snapshot() -> None:
    definition = jsonata({
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"},
              "Output": {"x": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": True},
    })
    assert run_local(definition, {}).output == {"x": 2, "y": 1}
    first = run_local(definition, {})
    exits = [e for e in first.history() if e["type"] == "PassStateExited"]
    assert exits[1]["stateExitedEventDetails"]["output"] == '{"x":1}'


def test_task_result_output_and_assign() -> None:
    definition = jsonata({
        "T": {"Type": "Task", "Resource": LAMBDA + "double", "Arguments": {"n": "{% $states.input.n %}"},
              "Assign": {"doubled": "{% $states.result %}"}, "Output": "{% $states.result + 1 %}", "Next": "P"},
        "P": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "var": "{% $doubled %}"}, "End": True},
    })
    record = run_local(definition, {"n": 5}, handlers={"double": lambda event, context: event["n"] * 2})
    assert record.output == {"out": 11, "var": 10}


def test_catch_assign_and_output_use_error_output_and_skip_state_assign() -> None:
    def boom(event: Any, context: Any) -> None:
        raise KeyError("gone")

    definition = jsonata({
        "T": {"Type": "Task", "Resource": LAMBDA + "boom", "Assign": {"never": 1},
              "Catch": [{"ErrorEquals": ["KeyError"], "Assign": {"err": "{% $states.errorOutput.Error %}"},
                         "Output": {"in": "{% $states.input.k %}"}, "Next": "H"}], "End": True},
        "H": {"Type": "Pass", "Output": {"err": "{% $err %}", "in": "{% $states.input.in %}",
                                         "never": "{% $exists($never) %}"}, "End": True},
    })
    record = run_local(definition, {"k": "v"}, handlers={"boom": boom})
    assert record.output == {"err": "KeyError", "in": "v", "never": False}


def test_choice_rule_assign_and_output_apply_only_for_that_rule() -> None:
    definition = jsonata({
        "C": {"Type": "Choice", "Choices": [
            {"Condition": "{% $states.input.v > 1 %}", "Next": "Done", "Assign": {"path": "rule"},
             "Output": {"via": "rule"}}],
            "Default": "Done", "Assign": {"path": "default"}, "Output": {"via": "default"}},
        "Done": {"Type": "Pass", "Output": {"via": "{% $states.input.via %}", "path": "{% $path %}"}, "End": True},
    })
    assert run_local(definition, {"v": 2}).output == {"via": "rule", "path": "rule"}
    assert run_local(definition, {"v": 0}).output == {"via": "default", "path": "default"}


def test_jsonpath_choice_rule_assign() -> None:
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.v", "NumericGreaterThan": 1, "Next": "Done", "Assign": {"picked.$": "$.v"}}],
            "Default": "Done", "Assign": {"picked": "default"}},
        "Done": {"Type": "Pass", "Parameters": {"picked.$": "$picked"}, "End": True},
    }}
    assert run_local(definition, {"v": 5}).output == {"picked": 5}
    assert run_local(definition, {"v": 0}).output == {"picked": "default"}


def test_branches_and_iterations_read_outer_variables_and_keep_their_own() -> None:
    processor = {"StartAt": "Scale", "States": {
        "Scale": {"Type": "Pass", "Assign": {"inner": "{% $states.input * $factor %}"}, "Next": "Emit"},
        "Emit": {"Type": "Pass", "Output": "{% $inner %}", "End": True}}}
    definition = jsonata({
        "Set": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}", "ItemProcessor": processor, "Next": "After"},
        "After": {"Type": "Pass", "Output": {"r": "{% $states.input %}", "factor": "{% $factor %}"}, "End": True},
    })
    assert run_local(definition, {"xs": [1, 2]}).output == {"r": [10, 20], "factor": 10}
    # An iteration's own variables are invisible outside it: reading one there is a definition error.
    leaking = jsonata({
        "M": {"Type": "Map", "Items": "{% [1] %}", "ItemProcessor": processor, "Next": "After"},
        "After": {"Type": "Pass", "Output": "{% $inner %}", "End": True},
    })
    with pytest.raises(DefinitionError) as caught:
        load_definition({**leaking, "States": {**leaking["States"], "Set": {"Type": "Pass", "Assign": {"factor": 1},
                                                                         "Next": "M"}}, "StartAt": "Set"})
    assert any(p.pointer.startswith("/States/After/Output") for p in caught.value.problems)


def test_an_iteration_cannot_assign_an_outer_variable() -> None:
    definition = jsonata({
        "Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% [1, 2] %}", "ItemProcessor": {"StartAt": "Add", "States": {
            "Add": {"Type": "Pass", "Assign": {"total": "{% $total + $states.input %}"}, "End": True}}},
              "End": True},
    })
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert [p.pointer for p in caught.value.problems] == ["/States/M/ItemProcessor/States/Add/Assign/total"]


def test_undefined_jsonata_result_is_a_query_evaluation_error_with_aws_cause() -> None:
    record = run_local(jsonata({"A": {"Type": "Pass", "Output": "{% $states.input.nope %}", "End": True}}), {})
    assert record.error == "States.QueryEvaluationError"
    assert record.cause == ("The JSONata expression '$states.input.nope' specified for the field 'Output' "
                            "returned nothing (undefined).")
    assert "EvaluationFailed" in [e["type"] for e in record.history()]


def test_query_evaluation_error_is_catchable_in_a_task() -> None:
    definition = jsonata({
        "T": {"Type": "Task", "Resource": LAMBDA + "echo", "Arguments": "{% $states.input.missing %}",
              "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}], "End": True},
        "H": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    record = run_local(definition, {}, handlers={"echo": lambda event, context: event})
    assert record.output == "States.QueryEvaluationError"


def test_jsonata_map_rejects_non_array_items() -> None:
    record = run_local(jsonata({"M": {"Type": "Map", "Items": "{% $states.input %}", "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}), {"a": 1})
    assert record.error == "States.QueryEvaluationError"
    assert "Expected 'array', but was 'object'" in (record.cause or "")


def test_jsonata_fail_wait_and_context() -> None:
    definition = jsonata({
        "W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "F"},
        "F": {"Type": "Fail", "Error": "{% 'E' & $string($states.input.s) %}",
              "Cause": "{% $states.context.State.Name %}"},
    })
    record = run_local(definition, {"s": 3600}, skip_waits=True)
    assert (record.error, record.cause) == ("E3600", "F")


def test_variable_over_256_kib_is_data_limit_exceeded() -> None:
    definition = jsonata({"A": {"Type": "Pass", "Assign": {"big": "{% $pad('', 300000, 'x') %}"}, "End": True}})
    record = run_local(definition, {})
    assert record.error == "States.DataLimitExceeded"


def test_jsonpath_state_inside_jsonata_machine_is_invalid() -> None:
    definition = jsonata({"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}})
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert any(p.pointer == "/States/A/QueryLanguage" for p in caught.value.problems)


def test_jsonata_state_inside_jsonpath_machine_shares_variables() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"n": "{% $states.input.n * 2 %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"n.$": "$n"}, "End": True},
    }}
    assert run_local(definition, {"n": 4}).output == {"n": 8}


def test_random_and_uuid_come_from_the_engine_random() -> None:
    from random import Random

    definition = jsonata({"A": {"Type": "Pass", "Output": {"u": "{% $uuid() %}", "r": "{% $random() %}"},
                                "End": True}})
    first = run_local(definition, {}, random=Random(3)).output
    second = run_local(definition, {}, random=Random(3)).output
    assert first == second and first["u"] != run_local(definition, {}, random=Random(4)).output["u"]


def test_reading_a_variable_before_it_is_assigned_fails_at_run_time() -> None:
    jsonpath = {"StartAt": "Read", "States": {
        "Read": {"Type": "Pass", "Parameters": {"v.$": "$later"}, "Next": "Set"},
        "Set": {"Type": "Pass", "Assign": {"later": 1}, "End": True},
    }}
    record = run_local(jsonpath, {})
    assert record.error == "States.Runtime" and "$later" in (record.cause or "")
    in_jsonata = jsonata({
        "Read": {"Type": "Pass", "Output": "{% $later %}", "Next": "Set"},
        "Set": {"Type": "Pass", "Assign": {"later": 1}, "End": True},
    })
    record = run_local(in_jsonata, {})
    assert record.error == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in (record.cause or "")
