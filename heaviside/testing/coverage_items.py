"""The coverable items of a state machine, and the key scheme that names them.

An item is something a set of runs may or may not exercise. Keys are stable strings (state
names are unique machine-wide in ASL, so a plain name identifies a nested state too):

* ``state:NAME`` — the state was entered;
* ``next:NAME`` — the state finished normally and went on to its ``Next`` (or, with ``End``,
  ended its branch); every state with ``Next``/``End`` except Choice has one;
* ``choice:NAME#i`` / ``choice:NAME#default`` — Choice rule ``i`` (0-based) / ``Default`` was taken;
* ``catch:NAME#i`` — catcher ``i`` of a Task/Parallel/Map caught an error;
* ``retry:NAME#i`` — retrier ``i`` made at least one retry;
* ``branch:NAME#i`` — branch ``i`` of a Parallel ran;
* ``map:NAME`` — at least one iteration of a Map ran.

:func:`definition_items` lists every item of a definition in definition order, depth first
(each state, then its branches or item processor, then its rules), with a readable description.
The graph renderer uses :func:`item_key` to tie its edges to these items.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

STATE: Final = "state"
NEXT: Final = "next"
CHOICE: Final = "choice"
CATCH: Final = "catch"
RETRY: Final = "retry"
BRANCH: Final = "branch"
MAP: Final = "map"
#: Every kind, in the order reports list them.
KINDS: Final[tuple[str, ...]] = (STATE, NEXT, CHOICE, CATCH, RETRY, BRANCH, MAP)
DEFAULT: Final = "default"


def item_key(kind: str, state: str, index: int | str | None = None) -> str:
    """``kind:state`` or ``kind:state#index`` (``index`` is a position or ``"default"``)."""
    return f"{kind}:{state}" if index is None else f"{kind}:{state}#{index}"


@dataclass(frozen=True, slots=True)
class CoverageItem:
    """One coverable item: its key, kind, the state it belongs to, its position and description."""

    key: str
    kind: str
    state: str
    index: int | str | None
    description: str


def definition_items(source: Mapping[str, Any]) -> list[CoverageItem]:
    """Every coverable item of a (validated) definition document, in definition order."""
    return list(_machine_items(source))


def _errors(entry: Mapping[str, Any]) -> str:
    return ", ".join(str(error) for error in entry.get("ErrorEquals", []))


def _sub_machines(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if state.get("Type") == "Parallel":
        return list(state.get("Branches", []))
    if state.get("Type") == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator")
        return [processor] if processor is not None else []
    return []


def _machine_items(machine: Mapping[str, Any]) -> Iterator[CoverageItem]:
    from heaviside.graph_model import describe_rule, shorten

    for name, state in machine["States"].items():
        kind = str(state.get("Type", ""))
        yield CoverageItem(item_key(STATE, name), STATE, name, None, f"state {name} ({kind})")
        subs = _sub_machines(state)
        if kind == "Parallel":
            for i, branch in enumerate(subs):
                yield CoverageItem(item_key(BRANCH, name, i), BRANCH, name, i,
                                   f"branch {name} #{i} (starts at {branch['StartAt']})")
        elif kind == "Map" and subs:
            yield CoverageItem(item_key(MAP, name), MAP, name, None, f"map {name}: an iteration")
        for sub in subs:
            yield from _machine_items(sub)
        if kind == "Choice":
            for i, rule in enumerate(state.get("Choices", [])):
                condition = shorten(describe_rule(rule)) or f"rule {i}"
                yield CoverageItem(item_key(CHOICE, name, i), CHOICE, name, i,
                                   f"choice {name} #{i} [{condition}] -> {rule['Next']}")
            if "Default" in state:
                yield CoverageItem(item_key(CHOICE, name, DEFAULT), CHOICE, name, DEFAULT,
                                   f"choice {name} default -> {state['Default']}")
        elif "Next" in state or state.get("End") is True:
            target = state.get("Next", "end")
            yield CoverageItem(item_key(NEXT, name), NEXT, name, None, f"next {name} -> {target}")
        for i, retrier in enumerate(state.get("Retry", [])):
            yield CoverageItem(item_key(RETRY, name, i), RETRY, name, i,
                               f"retry {name} #{i} [{_errors(retrier)}] (max {retrier.get('MaxAttempts', 3)})")
        for i, catcher in enumerate(state.get("Catch", [])):
            yield CoverageItem(item_key(CATCH, name, i), CATCH, name, i,
                               f"catch {name} #{i} [{_errors(catcher)}] -> {catcher['Next']}")
