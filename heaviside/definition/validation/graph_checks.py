"""Transitions and reachability: ``Next``/``End`` rules, targets that exist in the same States
block, states reachable from ``StartAt``, and at least one way to finish.

Graph checks run once the whole machine has been walked (so a message can say that a missing
target lives in another States block). A block whose graph is already broken (unknown state
types, targets that do not exist, a bad ``StartAt``) gets no reachability report: it would
only repeat the first problem in other words.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, Final

from heaviside.definition.validation.context import Block, Context
from heaviside.definition.validation.schema import STATE_TYPES
from heaviside.errors import pointer_join

_NO_TRANSITION: Final = frozenset(("Choice", "Succeed", "Fail"))
_RECOVERABLE: Final = frozenset(("Task", "Parallel", "Map"))
_KNOWN_SHOWN: Final = 10


def check_next_end(state_type: str, state: Mapping[str, Any], pointer: str, ctx: Context) -> None:
    """Every state but Choice/Succeed/Fail has exactly one of ``Next`` or ``"End": true``."""
    if state_type in _NO_TRANSITION:
        return  # Next/End there are rejected by the schema
    end = state.get("End")
    if "End" in state and not isinstance(end, bool):
        return  # wrong type already reported
    if "Next" in state and end is True:
        ctx.report(
            pointer,
            "'Next' and \"End\": true cannot both be set: a state either moves to the next state or ends",
        )
    elif "Next" not in state and end is not True:
        if end is False:
            message = "\"End\": false needs a 'Next' naming the state to move to"
            ctx.report(pointer_join(pointer, "End"), message)
        else:
            ctx.report(pointer, f"a {state_type} state needs either 'Next' or \"End\": true")


def check_block(block: Block, ctx: Context) -> None:
    """Targets, reachability and termination of one States block."""
    states = block.states
    graph_ok = True
    edges: dict[str, list[str]] = {}
    terminal: set[str] = set()
    for name, state in states.items():
        if not isinstance(state, dict) or state.get("Type") not in STATE_TYPES:
            graph_ok = False
            continue
        targets: list[str] = []
        for tokens, target in _transitions(state):
            if not isinstance(target, str):
                graph_ok = False
            elif target in states:
                targets.append(target)
            else:
                graph_ok = False
                pointer = pointer_join(block.pointer, name, *tokens)
                ctx.report(pointer, _missing_target(str(tokens[-1]), target, states, ctx))
        edges[name] = targets
        if state["Type"] in _NO_TRANSITION and ("Next" in state or "End" in state):
            graph_ok = False  # a transition the schema rejected: its target may look unreachable
        elif _is_terminal(state):
            terminal.add(name)
        elif state["Type"] not in _NO_TRANSITION and not isinstance(state.get("Next"), str):
            graph_ok = False  # Next/End problem already reported

    start_at = block.start_at
    if isinstance(start_at, str) and start_at not in states:
        message = _missing_target("StartAt", start_at, states, ctx)
        ctx.report(pointer_join(block.machine_pointer, "StartAt"), message)
        return
    if not isinstance(start_at, str) or not graph_ok:
        return

    reached = _reachable(start_at, edges)
    for name in states:
        if name not in reached:
            ctx.report(
                pointer_join(block.pointer, name),
                f'state "{name}" can never run: no transition from StartAt "{start_at}" leads to it',
            )
    if not reached & terminal:
        ctx.report(
            block.pointer,
            f'no path from StartAt "{start_at}" ever ends: add a Succeed or Fail state, or "End": true',
        )


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], object]]:
    """``(pointer tokens below the state, target)`` for every transition a state of a known type declares."""
    state_type = state["Type"]
    if state_type == "Choice":
        choices = state.get("Choices")
        if isinstance(choices, list):
            for index, rule in enumerate(choices):
                target = rule.get("Next") if isinstance(rule, dict) else None
                yield ("Choices", index, "Next"), target
        if "Default" in state:
            yield ("Default",), state["Default"]
        return
    if state_type in _NO_TRANSITION:
        return
    if "Next" in state:
        yield ("Next",), state["Next"]
    if state_type in _RECOVERABLE:
        catchers = state.get("Catch")
        if isinstance(catchers, list):
            for index, catcher in enumerate(catchers):
                target = catcher.get("Next") if isinstance(catcher, dict) else None
                yield ("Catch", index, "Next"), target


def _is_terminal(state: Mapping[str, Any]) -> bool:
    state_type = state["Type"]
    if state_type in ("Succeed", "Fail"):
        return True
    return state_type not in _NO_TRANSITION and state.get("End") is True


def _reachable(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    reached = {start}
    pending = [start]
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in reached:
                reached.add(target)
                pending.append(target)
    return reached


def _missing_target(field: str, target: str, states: Mapping[Any, Any], ctx: Context) -> str:
    where = ctx.names.get(target)
    if where is not None:
        return (
            f"'{field}' names state \"{target}\" which is in another States block ({where}): "
            "a transition cannot jump into or out of a Parallel branch or Map iterator"
        )
    names = [str(name) for name in states]
    if len(names) <= _KNOWN_SHOWN:
        known = f"known: {', '.join(names)}"
    else:
        close = difflib.get_close_matches(target, names, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        known = f"{hint}{len(names)} states, e.g. {', '.join(names[:5])}"
    return f"'{field}' names state \"{target}\" which does not exist in this States block ({known})"
