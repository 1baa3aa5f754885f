"""Workflow variables: where each is assigned, where each is read, and whether every read can succeed.

Scopes (reference §2.5): the top-level states share one scope; each Parallel branch and each Map
``ItemProcessor`` (or legacy ``Iterator``) is an inner scope that can read every enclosing scope,
except that a Distributed Map's child workflows cannot read any variable from outside them.

While the walker visits the states, :func:`collect_variables` records in the current
:class:`~.context.VariableScope` every ``Assign`` key (state, catcher and choice rule level, both
query languages) and every variable a JSONPath state reads: paths ``$name...`` in path fields,
``.$`` template values (intrinsic arguments included), Choice ``Variable`` and ``*Path`` operands.
(JSONata reads are recorded by :mod:`.jsonata_checks`.) Once the whole definition has been walked,
:func:`check_variables` reports:

* a read of a variable assigned nowhere in its scope or an enclosing one;
* a read, inside a Distributed Map, of a variable assigned only outside it;
* an inner scope assigning a variable that an enclosing scope assigns.

This is not flow-sensitive: a read that some path reaches before the assignment is accepted
(AWS fails it at run time).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from heaviside.definition.intrinsics import compile_intrinsic
from heaviside.definition.paths import compile_path
from heaviside.definition.validation.context import JSONPATH, Context, VariableScope
from heaviside.definition.validation.fields import PATH_FIELDS
from heaviside.definition.validation.schema import ALLOWED_FIELDS
from heaviside.errors import pointer_join

RESERVED: Final = "states"

#: Payload templates (``key.$`` holds a path or an intrinsic call) of a JSONPath state.
_TEMPLATE_FIELDS: Final = ("Parameters", "ResultSelector", "ItemSelector", "Credentials", "Assign")
#: Inside a Map's ItemReader, ItemBatcher and ResultWriter: (object, (templates), (path fields)).
_MAP_CONFIG: Final = (
    ("ItemReader", ("Parameters",), ()),
    ("ItemBatcher", ("BatchInput",), ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath")),
    ("ResultWriter", ("Parameters",), ()),
)
_CHOICE_NESTED: Final = ("And", "Or")


def collect_variables(state_type: str, state: Mapping[str, Any], pointer: str, ctx: Context, language: str) -> None:
    """Record the assignments of a state in the current scope, and (JSONPath) the variables it reads."""
    scope = ctx.scope
    allowed = ALLOWED_FIELDS[state_type]
    if "Assign" in allowed:
        _assignments(state.get("Assign"), pointer_join(pointer, "Assign"), scope, language)
    for catcher, catcher_pointer in _objects(state.get("Catch") if "Catch" in allowed else None, pointer, "Catch"):
        _assignments(catcher.get("Assign"), pointer_join(catcher_pointer, "Assign"), scope, language)
    rules = list(_objects(state.get("Choices") if state_type == "Choice" else None, pointer, "Choices"))
    for rule, rule_pointer in rules:
        _assignments(rule.get("Assign"), pointer_join(rule_pointer, "Assign"), scope, language)
    if language != JSONPATH:
        return
    for name in PATH_FIELDS:
        if name in state and name in allowed:
            _read_path(state[name], pointer_join(pointer, name), scope)
    for name in ("ErrorPath", "CausePath"):
        if name in state and name in allowed:
            _read_expression(state[name], pointer_join(pointer, name), scope)
    for name in _TEMPLATE_FIELDS:
        if name in state and name in allowed:
            _read_template(state[name], pointer_join(pointer, name), scope)
    for catcher, catcher_pointer in _objects(state.get("Catch") if "Catch" in allowed else None, pointer, "Catch"):
        _read_template(catcher.get("Assign"), pointer_join(catcher_pointer, "Assign"), scope)
    for rule, rule_pointer in rules:
        _read_rule(rule, rule_pointer, scope)
    if state_type == "Map":
        _read_map_config(state, pointer, scope)


def check_variables(ctx: Context) -> None:
    """Resolve every recorded read and assignment against the scopes (after the whole walk)."""
    first: dict[int, dict[str, str]] = {}
    for scope in ctx.scopes:
        assigned: dict[str, str] = {}
        for name, pointer in scope.assignments:
            assigned.setdefault(name, pointer)
        first[id(scope)] = assigned
    for scope in ctx.scopes:
        for name, pointer in scope.assignments:
            outer = _enclosing_assignment(scope, name, first)
            if outer is not None:
                ctx.report(
                    pointer,
                    f"variable ${name} is already assigned in an enclosing scope (at {outer}); a Parallel "
                    "branch or Map iteration cannot assign a variable of an enclosing scope",
                )
        for name, pointer in scope.references:
            message = _reference_problem(scope, name, first)
            if message is not None:
                ctx.report(pointer, message)


def _enclosing_assignment(scope: VariableScope, name: str, first: Mapping[int, Mapping[str, str]]) -> str | None:
    """Where an enclosing scope that ``scope`` can see assigns ``name``, or ``None``."""
    current = scope
    while current.parent is not None and not current.distributed:
        current = current.parent
        where = first[id(current)].get(name)
        if where is not None:
            return where
    return None


def _reference_problem(scope: VariableScope, name: str, first: Mapping[int, Mapping[str, str]]) -> str | None:
    """Why a read of ``name`` in ``scope`` cannot succeed, or ``None`` when it can."""
    if name == RESERVED:
        return "'$states' is reserved: it can only be read in JSONata expressions"
    boundary: VariableScope | None = None  # the innermost Distributed Map child workflow crossed
    current: VariableScope | None = scope
    while current is not None:
        where = first[id(current)].get(name)
        if where is not None:
            if boundary is None:
                return None
            return (
                f"variable ${name} is assigned outside the Distributed Map at {_map_pointer(boundary)} "
                f"(at {where}); its child workflows cannot read variables of enclosing scopes "
                "(pass the value in with 'ItemSelector')"
            )
        if current.distributed and boundary is None:
            boundary = current
        current = current.parent
    return f"variable ${name} is never assigned in this scope or an enclosing one"


def _map_pointer(scope: VariableScope) -> str:
    """The Map state owning a processor scope (``/States/M`` for ``/States/M/ItemProcessor``)."""
    return scope.pointer.rsplit("/", 1)[0]


def _assignments(assign: object, pointer: str, scope: VariableScope, language: str) -> None:
    if not isinstance(assign, dict):
        return
    for key in assign:
        name = str(key)
        if language == JSONPATH and name.endswith(".$"):
            name = name[:-2]
        scope.assignments.append((name, pointer_join(pointer, key)))


def _read_path(value: object, pointer: str, scope: VariableScope) -> None:
    """A path field: ``$name...`` reads the variable ``name``."""
    if isinstance(value, str) and value.startswith("$") and not value.startswith(("$.", "$[", "$$")):
        try:
            variable = compile_path(value).variable
        except Exception:  # an invalid path: reported by the path checks
            return
        if variable is not None:
            scope.references.append((variable, pointer))


def _read_expression(value: object, pointer: str, scope: VariableScope) -> None:
    """A ``.$`` value (or ErrorPath/CausePath): a path, or an intrinsic call whose arguments may be paths."""
    if not isinstance(value, str) or "$" not in value:
        return
    if value.startswith("$"):
        _read_path(value, pointer, scope)
        return
    try:
        paths = compile_intrinsic(value).paths
    except Exception:  # not a valid intrinsic call: reported by the expression checks
        return
    names = {path.variable for path in paths} - {None}
    scope.references.extend((name, pointer) for name in sorted(n for n in names if n is not None))


def _read_template(template: object, pointer: str, scope: VariableScope) -> None:
    """Every ``key.$`` value of a payload template, at any depth."""
    stack: list[tuple[object, str]] = [(template, pointer)]
    while stack:
        node, node_pointer = stack.pop()
        if isinstance(node, list):
            stack.extend((item, pointer_join(node_pointer, index)) for index, item in enumerate(node))
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.endswith(".$"):
                    _read_expression(value, pointer_join(node_pointer, key), scope)
                elif isinstance(value, dict | list):
                    stack.append((value, pointer_join(node_pointer, key)))


def _read_rule(rule: Mapping[str, Any], pointer: str, scope: VariableScope) -> None:
    """A JSONPath choice rule: ``Variable``, ``*Path`` operands, nested rules and the rule's ``Assign``."""
    stack: list[tuple[Mapping[str, Any], str]] = [(rule, pointer)]
    while stack:
        node, node_pointer = stack.pop()
        for key, value in node.items():
            key_pointer = pointer_join(node_pointer, key)
            if key == "Variable" or (isinstance(key, str) and key.endswith("Path")):
                _read_path(value, key_pointer, scope)
            elif key == "Not" and isinstance(value, dict):
                stack.append((value, key_pointer))
            elif key in _CHOICE_NESTED:
                stack.extend(_objects(value, node_pointer, key))
    _read_template(rule.get("Assign"), pointer_join(pointer, "Assign"), scope)


def _read_map_config(state: Mapping[str, Any], pointer: str, scope: VariableScope) -> None:
    for name, templates, paths in _MAP_CONFIG:
        config = state.get(name)
        if not isinstance(config, dict):
            continue
        config_pointer = pointer_join(pointer, name)
        for template in templates:
            if template in config:
                _read_template(config[template], pointer_join(config_pointer, template), scope)
        for path in paths:
            if path in config:
                _read_path(config[path], pointer_join(config_pointer, path), scope)
        reader_config = config.get("ReaderConfig") if name == "ItemReader" else None
        if isinstance(reader_config, dict) and "MaxItemsPath" in reader_config:
            max_items = pointer_join(config_pointer, "ReaderConfig", "MaxItemsPath")
            _read_path(reader_config["MaxItemsPath"], max_items, scope)


def _objects(items: object, pointer: str, field: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """The object entries of ``items`` (when it is an array) with their pointers below ``pointer/field``."""
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield item, pointer_join(pointer, field, index)
