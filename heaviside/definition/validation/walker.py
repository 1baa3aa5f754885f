"""Walk a definition: machine roots, their States blocks and every state, recursing into
Parallel branches and Map processors with pointers that continue (``/States/P/Branches/0/...``).

The document as a whole is checked first (:mod:`.document`: plain JSON, bounded nesting, 1 MB);
nothing else is checked when that fails. Each state is dispatched on its ``Type``: the schema for
that type runs first, then the Python checks. A state whose ``Type`` is missing or unknown gets
that one problem and nothing else.
Each Parallel branch and Map processor is walked in a new inner variable scope; variables are
resolved once everything has been walked (:mod:`.variables`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from heaviside.definition.validation.choice_checks import check_choices
from heaviside.definition.validation.context import JSONATA, JSONPATH, Block, Context, describe
from heaviside.definition.validation.document import check_document
from heaviside.definition.validation.fields import TYPE_CHECKS, check_common_fields, check_language_fields
from heaviside.definition.validation.graph_checks import check_block, check_next_end
from heaviside.definition.validation.jsonata_checks import check_jsonata_state
from heaviside.definition.validation.schema import QUERY_LANGUAGES, STATE_TYPES
from heaviside.definition.validation.structure import check_machine_schema, check_state_schema
from heaviside.definition.validation.variables import check_variables, collect_variables
from heaviside.errors import pointer_join

MAX_STATE_NAME: Final = 80
ROOT: Final = ""  # the JSON Pointer of the whole document


def check_definition(definition: object, ctx: Context) -> None:
    """Check a whole definition; problems go to ``ctx``."""
    if not isinstance(definition, dict):
        ctx.report(ROOT, f"a state machine definition must be a JSON object, not {describe(definition)}")
        return
    if not check_document(definition, ctx):
        return  # not plain JSON, or nested too deeply: the checks below assume both
    declared = definition.get("QueryLanguage")
    ctx.top_language = declared if declared in QUERY_LANGUAGES else JSONPATH
    check_machine("top", definition, ROOT, ctx, JSONPATH)
    for block in ctx.blocks:
        check_block(block, ctx)
    check_variables(ctx)


def check_machine(kind: str, machine: Mapping[str, Any], pointer: str, ctx: Context, inherited: str) -> None:
    """A machine root (top level, branch, processor or iterator), its names, and each of its states."""
    check_machine_schema(kind, machine, pointer, ctx)
    language = _language(machine, pointer, ctx, inherited)
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        return  # reported by the schema; nothing to walk
    states_pointer = pointer_join(pointer, "States")
    named: list[tuple[str, Any, str]] = []
    for name, state in states.items():
        state_pointer = pointer_join(states_pointer, name)
        if _check_name(name, state_pointer, ctx):
            named.append((name, state, state_pointer))
    ctx.blocks.append(Block(states, machine.get("StartAt"), states_pointer, pointer))
    for name, state, state_pointer in named:
        check_state(name, state, state_pointer, ctx, language)


def check_state(name: str, state: object, pointer: str, ctx: Context, inherited: str) -> None:
    """One state: schema for its type, then per-field checks, then nested machines."""
    if not isinstance(state, dict):
        ctx.report(pointer, f'state "{name}" must be an object, not {describe(state)}')
        return
    if "Type" not in state:
        ctx.report(pointer_join(pointer, "Type"), "required field 'Type' is missing from a state")
        return
    state_type = state["Type"]
    if not isinstance(state_type, str) or state_type not in STATE_TYPES:
        ctx.report(
            pointer_join(pointer, "Type"),
            f"'Type' must be one of: {', '.join(STATE_TYPES)}; got {describe(state_type)}",
        )
        return
    check_state_schema(state_type, state, pointer, ctx)
    language = _language(state, pointer, ctx, inherited)
    check_language_fields(state_type, state, pointer, ctx, language)
    check_common_fields(state_type, state, pointer, ctx, language)
    check_next_end(state_type, state, pointer, ctx)
    for check in TYPE_CHECKS.get(state_type, ()):
        check(state, pointer, ctx, language)
    collect_variables(state_type, state, pointer, ctx, language)
    if language == JSONATA:
        check_jsonata_state(state_type, state, pointer, ctx)
    if state_type == "Choice":
        check_choices(state, pointer, ctx, language)
    elif state_type == "Parallel":
        branches = state.get("Branches")
        if isinstance(branches, list):
            for index, branch in enumerate(branches):
                if isinstance(branch, dict):
                    _check_scope("branch", branch, pointer_join(pointer, "Branches", index), ctx, language)
    elif state_type == "Map":
        for field, kind in (("ItemProcessor", "processor"), ("Iterator", "iterator")):
            nested = state.get(field)
            if isinstance(nested, dict):
                _check_scope(kind, nested, pointer_join(pointer, field), ctx, language)


def _check_scope(kind: str, machine: Mapping[str, Any], pointer: str, ctx: Context, language: str) -> None:
    """A nested machine (Parallel branch, Map processor) in its own inner variable scope."""
    config = machine.get("ProcessorConfig") if kind == "processor" else None
    distributed = isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"
    outer = ctx.scope
    ctx.scope = outer.child(pointer, distributed=distributed)
    ctx.scopes.append(ctx.scope)
    try:
        check_machine(kind, machine, pointer, ctx, language)
    finally:
        ctx.scope = outer


def _check_name(name: object, pointer: str, ctx: Context) -> bool:
    """Report a bad or duplicate state name; ``True`` when the state is worth checking further."""
    if not isinstance(name, str):
        ctx.report(pointer, f"state names must be strings, not {describe(name)}")
        return False
    if not name:
        ctx.report(pointer, "a state name must not be empty")
    elif len(name) > MAX_STATE_NAME:
        ctx.report(pointer, f"state name is {len(name)} characters long; the limit is {MAX_STATE_NAME}")
    first = ctx.names.get(name)
    if first is not None:
        ctx.report(
            pointer,
            f'state name "{name}" is already used at {first}: '
            "names must be unique in the whole state machine",
        )
    else:
        ctx.names[name] = pointer
    return True


def _language(node: Mapping[str, Any], pointer: str, ctx: Context, inherited: str) -> str:
    """The query language of a state or machine root: its own ``QueryLanguage`` or the inherited one."""
    declared = node.get("QueryLanguage")
    if not isinstance(declared, str) or declared not in QUERY_LANGUAGES:
        return inherited  # absent, or an invalid value the schema reported
    if inherited == JSONATA and declared == JSONPATH:
        if ctx.top_language == JSONATA:
            message = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
        else:
            message = "'QueryLanguage' can not be 'JSONPath' inside a state that uses JSONata"
        ctx.report(pointer_join(pointer, "QueryLanguage"), message)
    return declared
