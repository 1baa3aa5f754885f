"""Checks of Choice rules: JSONPath rules (``Variable`` + one comparison operator, or ``And``/``Or``/``Not``)
and JSONata rules (``Condition`` + ``Next``), each problem at the exact rule or operand.

When ``heaviside.definition.choice_rules`` exists, a JSONPath rule that passed every check here
is also compiled with it, so that anything the compiler would still reject is reported now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from heaviside.definition.validation.context import (
    JSONATA,
    JSONPATH,
    Context,
    describe,
    optional_module,
    quoted_list,
    suggestion,
)
from heaviside.definition.validation.expressions import check_assign, check_path, is_jsonata, is_timestamp
from heaviside.definition.validation.schema import JSONATA_ONLY
from heaviside.errors import pointer_join

_STRING, _NUMBER, _BOOLEAN, _TIMESTAMP, _PATH = "string", "number", "boolean", "timestamp", "path"

#: Every JSONPath comparison operator and the kind of operand it takes.
_ORDERINGS: Final = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
COMPARISONS: Final[dict[str, str]] = {
    **{f"String{op}": _STRING for op in _ORDERINGS},
    "StringMatches": _STRING,
    **{f"Numeric{op}": _NUMBER for op in _ORDERINGS},
    "BooleanEquals": _BOOLEAN,
    **{f"Timestamp{op}": _TIMESTAMP for op in _ORDERINGS},
    **{f"Is{kind}": _BOOLEAN for kind in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")},
}
for _name in [name for name in COMPARISONS if not name.startswith(("Is", "StringMatches"))]:
    COMPARISONS[_name + "Path"] = _PATH

COMBINATORS: Final = ("And", "Or", "Not")
_TOP_ONLY: Final = ("Next", "Assign")
_JSONPATH_RULE_FIELDS: Final = frozenset(("Variable", "Comment", *_TOP_ONLY, *COMBINATORS, *COMPARISONS))
_JSONATA_RULE_FIELDS: Final = frozenset(("Condition", "Next", "Assign", "Output", "Comment"))

_OPERAND_WORDS: Final = {
    _STRING: "a string",
    _NUMBER: "a number",
    _BOOLEAN: "true or false",
    _TIMESTAMP: "an RFC 3339 timestamp string (like 2016-03-14T01:59:00Z)",
}


def check_choices(state: Mapping[str, Any], pointer: str, ctx: Context, language: str) -> None:
    """Check every rule of a Choice state's ``Choices`` array (the array itself is the schema's job)."""
    choices = state.get("Choices")
    if not isinstance(choices, list):
        return
    for index, rule in enumerate(choices):
        rule_pointer = pointer_join(pointer, "Choices", index)
        if not isinstance(rule, dict):
            ctx.report(rule_pointer, f"a choice rule must be an object, not {describe(rule)}")
        elif language == JSONATA:
            _check_jsonata_rule(rule, rule_pointer, ctx)
        else:
            before = len(ctx.problems)
            _check_jsonpath_rule(rule, rule_pointer, ctx, top=True)
            if len(ctx.problems) == before:
                _compile(rule, rule_pointer, ctx)


def _check_jsonata_rule(rule: Mapping[str, Any], pointer: str, ctx: Context) -> None:
    for name in rule:
        if name in _JSONATA_RULE_FIELDS:
            continue
        if name in _JSONPATH_RULE_FIELDS:
            ctx.report(
                pointer_join(pointer, name),
                f"'{name}' is a JSONPath field and cannot be used in a JSONata choice rule (use 'Condition')",
            )
        else:
            ctx.report(
                pointer_join(pointer, name),
                f"unknown field '{name}' in a choice rule{suggestion(str(name), _JSONATA_RULE_FIELDS)}",
            )
    for required in ("Condition", "Next"):
        if required not in rule:
            message = f"required field '{required}' is missing from a choice rule"
            ctx.report(pointer_join(pointer, required), message)
    condition = rule.get("Condition")
    if "Condition" in rule and not isinstance(condition, bool) and not is_jsonata(condition):
        ctx.report(
            pointer_join(pointer, "Condition"),
            "'Condition' must be a JSONata expression \"{% ... %}\" or true/false, "
            f"not {describe(condition)}",
        )
    _check_next(rule, pointer, ctx)
    check_assign(rule.get("Assign"), pointer_join(pointer, "Assign"), ctx, JSONATA)


def _check_jsonpath_rule(rule: Mapping[str, Any], pointer: str, ctx: Context, *, top: bool) -> None:
    foreign = False  # a misspelt or JSONata field: "no operator" would only repeat that problem
    for name in rule:
        if name in JSONATA_ONLY:
            foreign = True
            ctx.report(
                pointer_join(pointer, name),
                f"'{name}' is a JSONata field and cannot be used in a JSONPath state ({JSONATA_ONLY[name]})",
            )
        elif name not in _JSONPATH_RULE_FIELDS:
            foreign = True
            ctx.report(
                pointer_join(pointer, name),
                f"unknown field '{name}' in a choice rule{suggestion(str(name), _JSONPATH_RULE_FIELDS)}",
            )
        elif name in _TOP_ONLY and not top:
            ctx.report(
                pointer_join(pointer, name),
                f"'{name}' is only allowed in a top-level choice rule, not inside 'And', 'Or' or 'Not'",
            )
    operators = [name for name in rule if name in COMPARISONS or name in COMBINATORS]
    if not operators and not foreign:
        ctx.report(
            pointer,
            "a choice rule needs a comparison operator (such as 'StringEquals') with 'Variable', "
            "or one of 'And', 'Or', 'Not'",
        )
    elif len(operators) > 1:
        ctx.report(pointer, f"a choice rule can have only one operator; found {quoted_list(operators)}")
    comparisons = [name for name in operators if name in COMPARISONS]
    if comparisons and "Variable" not in rule:
        ctx.report(
            pointer_join(pointer, "Variable"),
            f"required field 'Variable' is missing from a choice rule using '{comparisons[0]}'",
        )
    if "Variable" in rule:
        variable = rule["Variable"]
        if operators and not comparisons:
            ctx.report(
                pointer_join(pointer, "Variable"),
                f"'Variable' cannot be used with '{operators[0]}': put it in the nested rules",
            )
        elif not isinstance(variable, str):
            message = f"'Variable' must be a path string, not {describe(variable)}"
            ctx.report(pointer_join(pointer, "Variable"), message)
        else:
            check_path(variable, pointer_join(pointer, "Variable"), ctx, "Variable")
    if top:
        if "Next" not in rule:
            ctx.report(pointer_join(pointer, "Next"), "required field 'Next' is missing from a choice rule")
        _check_next(rule, pointer, ctx)
        check_assign(rule.get("Assign"), pointer_join(pointer, "Assign"), ctx, JSONPATH)
    for name in comparisons:
        _check_operand(name, rule[name], pointer_join(pointer, name), ctx)
    for name in ("And", "Or"):
        if name in rule:
            _check_nested_list(name, rule[name], pointer_join(pointer, name), ctx)
    if "Not" in rule:
        nested = rule["Not"]
        if isinstance(nested, dict):
            _check_jsonpath_rule(nested, pointer_join(pointer, "Not"), ctx, top=False)
        else:
            message = f"'Not' must hold one choice rule object, not {describe(nested)}"
            ctx.report(pointer_join(pointer, "Not"), message)


def _check_nested_list(name: str, rules: object, pointer: str, ctx: Context) -> None:
    if not isinstance(rules, list):
        ctx.report(pointer, f"'{name}' must be a non-empty array of choice rules, not {describe(rules)}")
        return
    if not rules:
        ctx.report(pointer, f"'{name}' must not be empty: it needs at least one choice rule")
        return
    for index, nested in enumerate(rules):
        nested_pointer = pointer_join(pointer, index)
        if isinstance(nested, dict):
            _check_jsonpath_rule(nested, nested_pointer, ctx, top=False)
        else:
            ctx.report(nested_pointer, f"a choice rule must be an object, not {describe(nested)}")


def _check_operand(operator: str, value: object, pointer: str, ctx: Context) -> None:
    kind = COMPARISONS[operator]
    if kind == _PATH:
        if isinstance(value, str):
            check_path(value, pointer, ctx, operator)
        else:
            ctx.report(pointer, f"'{operator}' must be a path string, not {describe(value)}")
        return
    if kind == _STRING:
        valid = isinstance(value, str)
    elif kind == _NUMBER:
        valid = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == _BOOLEAN:
        valid = isinstance(value, bool)
    else:
        valid = is_timestamp(value)
    if not valid:
        ctx.report(pointer, f"'{operator}' must be {_OPERAND_WORDS[kind]}, not {describe(value)}")


def _check_next(rule: Mapping[str, Any], pointer: str, ctx: Context) -> None:
    target = rule.get("Next")
    if "Next" in rule and not isinstance(target, str):
        message = f"'Next' must be a state name string, not {describe(target)}"
        ctx.report(pointer_join(pointer, "Next"), message)


def _compile(rule: Mapping[str, Any], pointer: str, ctx: Context) -> None:
    module = optional_module("heaviside.definition.choice_rules")
    compile_choice_rule = getattr(module, "compile_choice_rule", None)
    if compile_choice_rule is None:
        return
    try:
        compile_choice_rule(rule)
    except Exception as exc:
        ctx.report(pointer, f"invalid choice rule: {exc}")
