"""The state machines the benchmarks run, built as plain ASL dicts, with what they must produce.

Every workload is a :class:`Workload`: a definition, an execution input, the output a correct
interpreter returns, and the number of states it executes (its *transitions*: one per
``...StateEntered`` event). heaviside and moto run exactly these dicts, so their timings and
outputs are comparable. The ``jsonata_*`` workloads are JSONata (``"QueryLanguage": "JSONata"``)
twins of the JSONPath ones, producing the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heaviside.types import JSON


@dataclass(frozen=True)
class Workload:
    """One benchmark state machine and its expected behaviour."""

    key: str  # short identifier (used to name moto state machines and in --only)
    title: str  # what the table shows
    definition: dict[str, Any]
    input: JSON
    expected_output: JSON
    transitions: int  # states executed (StateEntered events), Map/iterations included


def pass_chain(size: int, *, parameters: bool = True) -> Workload:
    """``size`` Pass states in a row; with ``parameters`` each one rebuilds its output.

    Each state's Parameters is ``{"i.$": "$.i", "step": k}``, so the output of the last one is
    ``{"i": <input i>, "step": size - 1}``. Without Parameters the input passes through.
    """
    if size < 1:
        raise ValueError("a Pass chain needs at least one state")
    states: dict[str, Any] = {}
    for k in range(size):
        state: dict[str, Any] = {"Type": "Pass"}
        if parameters:
            state["Parameters"] = {"i.$": "$.i", "step": k}
        if k == size - 1:
            state["End"] = True
        else:
            state["Next"] = f"Pass{k + 1}"
        states[f"Pass{k}"] = state
    definition = {"Comment": f"{size} Pass states in a row", "StartAt": "Pass0", "States": states}
    expected: JSON = {"i": 7, "step": size - 1} if parameters else {"i": 7}
    kind = "with Parameters" if parameters else "plain"
    return Workload(
        key=f"chain{size}" if parameters else f"plainchain{size}",
        title=f"Pass chain x{size:,} ({kind})",
        definition=definition,
        input={"i": 7},
        expected_output=expected,
        transitions=size,
    )


def choice_loop(count: int) -> Workload:
    """A Pass/Choice loop that counts ``$.n`` from 0 to ``count`` with ``States.MathAdd``.

    Transitions: ``count`` Pass + ``count`` Choice + 1 Succeed.
    """
    if count < 1:
        raise ValueError("the loop must count to at least 1")
    definition: dict[str, Any] = {
        "Comment": f"count to {count} with States.MathAdd",
        "StartAt": "Increment",
        "States": {
            "Increment": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": count, "Next": "Increment"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    return Workload(
        key=f"loop{count}",
        title=f"Choice loop to {count:,} (MathAdd)",
        definition=definition,
        input={"n": 0},
        expected_output={"n": count},
        transitions=2 * count + 1,
    )


def inline_map(items: int) -> Workload:
    """An inline Map over ``items`` integers whose ItemProcessor is a single Pass state.

    Transitions: the Map state itself + one Pass per item.
    """
    definition: dict[str, Any] = {
        "Comment": f"inline Map over {items} items",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    values = list(range(items))
    return Workload(
        key=f"map{items}",
        title=f"Inline Map x{items:,} (1 Pass)",
        definition=definition,
        input={"items": values},
        expected_output=values,
        transitions=items + 1,
    )


def jsonata_pass_chain(size: int) -> Workload:
    """The JSONata twin of ``pass_chain(size)``: ``size`` Pass states, each with an ``Output``.

    Each state's Output is ``{"i": "{% $states.input.i %}", "step": k}``: the same object the
    JSONPath chain builds with Parameters, so the last output is ``{"i": <input i>, "step": size - 1}``.
    """
    if size < 1:
        raise ValueError("a Pass chain needs at least one state")
    states: dict[str, Any] = {}
    for k in range(size):
        state: dict[str, Any] = {"Type": "Pass", "Output": {"i": "{% $states.input.i %}", "step": k}}
        if k == size - 1:
            state["End"] = True
        else:
            state["Next"] = f"Pass{k + 1}"
        states[f"Pass{k}"] = state
    definition = {
        "Comment": f"{size} JSONata Pass states in a row",
        "QueryLanguage": "JSONata",
        "StartAt": "Pass0",
        "States": states,
    }
    return Workload(
        key=f"jchain{size}",
        title=f"Pass chain x{size:,} (JSONata Output)",
        definition=definition,
        input={"i": 7},
        expected_output={"i": 7, "step": size - 1},
        transitions=size,
    )


def jsonata_choice_loop(count: int) -> Workload:
    """The JSONata twin of ``choice_loop(count)``: ``n`` is carried in the state input.

    The Pass state's Output is ``{"n": "{% $states.input.n + 1 %}"}``, the Choice rule's
    Condition ``{% $states.input.n < count %}``. Transitions: ``count`` Pass + ``count`` Choice + 1 Succeed.
    """
    if count < 1:
        raise ValueError("the loop must count to at least 1")
    definition: dict[str, Any] = {
        "Comment": f"count to {count} with JSONata, n in the state input",
        "QueryLanguage": "JSONata",
        "StartAt": "Increment",
        "States": {
            "Increment": {"Type": "Pass", "Output": {"n": "{% $states.input.n + 1 %}"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": f"{{% $states.input.n < {count} %}}", "Next": "Increment"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    return Workload(
        key=f"jloop{count}",
        title=f"Choice loop to {count:,} (JSONata, $states.input)",
        definition=definition,
        input={"n": 0},
        expected_output={"n": count},
        transitions=2 * count + 1,
    )


def jsonata_variable_loop(count: int) -> Workload:
    """A JSONata loop counting in the workflow variable ``$n`` (``Assign``) instead of the state input.

    ``Init`` assigns ``n`` from the input, ``Increment`` assigns ``{% $n + 1 %}`` (its output is its
    input, unchanged), the Choice rule tests ``{% $n < count %}`` and the Succeed state outputs
    ``{"n": "{% $n %}"}``. Transitions: 1 Init + ``count`` Pass + ``count`` Choice + 1 Succeed.
    """
    if count < 1:
        raise ValueError("the loop must count to at least 1")
    definition: dict[str, Any] = {
        "Comment": f"count to {count} with JSONata, n in a workflow variable",
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"n": "{% $states.input.n %}"}, "Next": "Increment"},
            "Increment": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": f"{{% $n < {count} %}}", "Next": "Increment"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed", "Output": {"n": "{% $n %}"}},
        },
    }
    return Workload(
        key=f"jvarloop{count}",
        title=f"Choice loop to {count:,} (JSONata, variable $n)",
        definition=definition,
        input={"n": 0},
        expected_output={"n": count},
        transitions=2 * count + 2,
    )


def comparison_workloads(size: int) -> list[Workload]:
    """The three workloads heaviside and moto both run, each of about ``size`` iterations."""
    return [pass_chain(size), choice_loop(size), inline_map(size)]
