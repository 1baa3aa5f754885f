"""Specialised bodies for common JSONPath Pass and Choice states: straight-line Python per state.

:func:`specialize` turns a state of a handled shape into a function with the body signature
``(engine, state, data, variables, now, events) -> Transition``, generated as Python source (about
twice as fast as composed closures). Everything known at load time is fixed in it: the next state
and literal values (as names bound in the function's globals, so that states of one shape, like a
Pass chain, share one compiled code object), data paths as plain subscripts (``data['a']['b']``),
``States.MathAdd`` with its 32-bit bounds folded into one range check, ``States.Format`` as string
concatenation, and Choice rules as one short-circuiting boolean expression each.

The fast path only runs when every value is regular: a missing key, a non-object on the way, a
value of an unexpected type (or one out of 32-bit range, or needing rounding) makes the body call
the generic body (:func:`jsonpath_language.pass_state` / ``choice_state``) with the same arguments,
so errors and edge cases keep their exact AWS behaviour. Everything evaluated is pure, so starting
over in the generic body is always safe. A shape too deep or too long for Python's compiler (a
``States.Format`` of thousands of values) keeps the generic body. Handled shapes (anything else
gives ``None``):

* no ``Assign``, default ``InputPath``/``OutputPath`` (and Pass: default ``ResultPath``);
* Pass: nothing, ``Result`` alone, or ``Parameters`` (objects and arrays at any depth) whose
  ``.$`` values are ``$``, ``$.a.b`` (field names only), ``States.MathAdd`` of two such paths or
  integer literals, or ``States.Format`` with a literal template and path/literal values;
* Choice: rules on a ``$.a.b`` Variable with a literal ``Numeric*``, ``String*`` (ordering only
  against ASCII literals), ``BooleanEquals``, ``IsNull``/``IsString``/``IsBoolean``/``IsNumeric``,
  combined with ``And``/``Or``/``Not``; ``Default`` or none (then the generic body raises
  ``States.NoChoiceMatched``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from types import CodeType
from typing import Any, Final

from heaviside.definition.intrinsic_functions import INT32_MAX, INT32_MIN, FormatTemplate
from heaviside.definition.intrinsics import IntrinsicCall, _Literal, _PathArgument
from heaviside.definition.json_walks import render as _render
from heaviside.definition.model import ABSENT, ChoiceState, PassState, State
from heaviside.definition.paths import DATA, Path
from heaviside.definition.templates import compile_expression
from heaviside.engine import jsonpath_language
from heaviside.engine.effects import Event
from heaviside.engine.io import IDENTITY
from heaviside.engine.language import Transition, Variables
from heaviside.errors import ExpressionSyntaxError
from heaviside.types import JSON

#: A state body, as ``interpreter._BODIES`` holds them.
Body = Callable[[Any, Any, JSON, Variables, datetime, list[Event]], Transition]

_ORDER: Final = {"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=",
                 "GreaterThanEquals": ">="}
_TYPE_TESTS: Final = {
    "IsNull": "({v} is None)",
    "IsString": "isinstance({v}, str)",
    "IsBoolean": "(({w} := {v}) is True or {w} is False)",
    "IsNumeric": "((({t} := type({w} := {v})) is int or {t} is float)"
                 " or ({t} is not bool and isinstance({w}, int | float)))",
}
#: The JSON types for which a Numeric*/String* comparison is simply false (anything else: generic).
_NON_NUMBERS: Final = frozenset({str, bool, type(None), list, dict})
_NON_STRINGS: Final = frozenset({int, float, bool, type(None), list, dict})


class _Irregular(Exception):
    """Raised inside a specialised body: this input needs the generic body."""


class _Unsupported(Exception):
    """A shape :func:`specialize` does not handle."""


@lru_cache(maxsize=4096)
def _compile(source: str) -> CodeType:
    """Compiled once per shape: the states of a 1,000-state chain share one code object."""
    return compile(source, "<specialized>", "exec")


def _irregular() -> Any:
    raise _Irregular


def specialize(state: State, spec: Mapping[str, Any]) -> Body | None:
    """A fast body for ``state`` (compiled from the raw state object ``spec``), or None.

    The result behaves exactly like the generic JSONPath body for every input: same output
    (same objects for literals, same types), same next state, same variables object, same
    ``StatesError``.
    """
    if (state.query_language != "JSONPath" or state.assign is not None or state.input_path is not IDENTITY
            or state.output_path is not IDENTITY or spec.get("Type") != state.type or "Assign" in spec):
        return None
    try:
        if isinstance(state, PassState):
            return _Generator(state, jsonpath_language.pass_state).pass_body(state)
        if isinstance(state, ChoiceState):
            return _Generator(state, jsonpath_language.choice_state).choice_body(state, spec)
    except (_Unsupported, ExpressionSyntaxError):
        return None
    except (RecursionError, SyntaxError):  # a template too deep or too long for Python's compiler: run generic
        return None
    return None


def raw_state_specs(source: object) -> dict[str, Mapping[str, Any]]:
    """Every state's raw object by name, from ``definition.source`` (Parallel branches and Map processors too)."""
    found: dict[str, Mapping[str, Any]] = {}
    states = source.get("States") if isinstance(source, Mapping) else None
    if not isinstance(states, Mapping):
        return found
    for name, spec in states.items():
        if not isinstance(spec, Mapping):
            continue
        found[name] = spec
        for branch in spec.get("Branches") or ():
            if isinstance(branch, Mapping):
                found.update(raw_state_specs(branch))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(spec.get(key), Mapping):
                found.update(raw_state_specs(spec[key]))
    return found


class _Generator:
    """Builds one body's source text and its namespace.

    Constants live in the namespace (the body's globals), not in the text, so states of one shape
    (a long Pass chain) compile to one shared code object.
    """

    def __init__(self, state: State, generic: Callable[..., Transition]) -> None:
        self.state = state
        self.namespace: dict[str, Any] = {
            "_generic": generic, "_irregular": _irregular, "_Irregular": _Irregular, "_render": _render,
            "_NON_NUMBERS": _NON_NUMBERS, "_NON_STRINGS": _NON_STRINGS,
        }
        self.counter = 0

    # ------------------------------------------------------------------ building blocks

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> str:
        """A namespace name for ``value`` (the same object), so that states of one shape share their code."""
        if value is None or value is True or value is False:
            return repr(value)
        name = self.fresh("_k")
        self.namespace[name] = value
        return name

    def lookup(self, path: Path) -> str:
        """``data['a']['b']`` for a ``$``-rooted path of field names (a miss raises KeyError/TypeError)."""
        if path.root != DATA or not path.definite or not all(type(step) is str for step in path.steps):
            raise _Unsupported(path.text)
        return "data" + "".join(f"[{step!r}]" for step in path.steps)

    def build(self, lines: list[str]) -> Body:
        head = "def body(engine, state, data, variables, now, events):"
        source = "\n".join([head, *("    " + line for line in lines)]) + "\n"
        exec(_compile(source), self.namespace)
        body: Body = self.namespace["body"]
        body.__qualname__ = body.__name__ = f"specialized_{self.state.type.lower()}"
        body.__doc__ = source
        return body

    @staticmethod
    def guarded(statements: list[str]) -> list[str]:
        """``statements`` in a try; an irregularity, or running off their end, calls the generic body.

        The generic body is called after the handler, so its errors carry no chained context.
        """
        return ["try:", *("    " + s for s in statements), "except (KeyError, TypeError, _Irregular):", "    pass",
                "return _generic(engine, state, data, variables, now, events)"]

    # ------------------------------------------------------------------ Pass

    def pass_body(self, state: PassState) -> Body:
        if state.result_path is not IDENTITY:
            raise _Unsupported("ResultPath")
        next_name = self.constant(state.next)
        if state.parameters is None:
            output = "data" if state.result is ABSENT else self.constant(state.result)
            return self.build([f"return {next_name}, {output}, variables"])
        if state.result is not ABSENT:
            raise _Unsupported("Parameters with Result")
        template = state.parameters.source
        if not isinstance(template, dict):
            raise _Unsupported("Parameters that is not an object")
        output = self.template(template)
        if not _dynamic(template):
            return self.build([f"return {next_name}, {output}, variables"])
        return self.build(self.guarded([f"return {next_name}, {output}, variables"]))

    def template(self, node: JSON) -> str:
        """An expression building ``node``'s value; literal subtrees are the source objects themselves."""
        if not _dynamic(node):
            return self.constant(node)
        if isinstance(node, list):
            return "[" + "".join(self.template(item) + ", " for item in node) + "]"
        assert isinstance(node, dict)
        entries = []
        for key, child in node.items():
            if key.endswith(".$"):
                entries.append(f"{key[:-2]!r}: {self.expression(child)}")
            else:
                entries.append(f"{key!r}: {self.template(child)}")
        return "{" + ", ".join(entries) + "}"

    def expression(self, text: JSON) -> str:
        compiled = compile_expression(text)
        if isinstance(compiled, Path):
            return self.lookup(compiled)
        if not isinstance(compiled, IntrinsicCall):
            raise _Unsupported(str(text))
        root = compiled._root
        arguments = root.arguments
        if any(not isinstance(argument, _Literal | _PathArgument) for argument in arguments):
            raise _Unsupported("nested intrinsic calls")
        if root.function.name == "States.MathAdd":
            return self.math_add(arguments[0], arguments[1])
        if root.function.name == "States.Format":
            return self.format(arguments)
        raise _Unsupported(root.function.name)

    def math_add(self, first: Any, second: Any) -> str:
        if isinstance(first, _Literal):
            first, second = second, first  # addition commutes; errors go to the generic body anyway
        if isinstance(first, _Literal):
            raise _Unsupported("MathAdd of two literals")
        value = self.fresh("v")
        if isinstance(second, _Literal):
            addend = second.value
            if type(addend) is not int or not INT32_MIN <= addend <= INT32_MAX:
                raise _Unsupported("MathAdd literal")
            low, high = max(INT32_MIN, INT32_MIN - addend), min(INT32_MAX, INT32_MAX - addend)
            return (f"({value} + {addend} if type({value} := {self.lookup(first.path)}) is int "
                    f"and {low} <= {value} <= {high} else _irregular())")
        other = self.fresh("v")
        return (f"({value} + {other} if type({value} := {self.lookup(first.path)}) is int "
                f"and type({other} := {self.lookup(second.path)}) is int and {INT32_MIN} <= {value} <= {INT32_MAX} "
                f"and {INT32_MIN} <= {other} <= {INT32_MAX} and {INT32_MIN} <= {value} + {other} <= {INT32_MAX} "
                "else _irregular())")

    def format(self, arguments: tuple[Any, ...]) -> str:
        template = arguments[0]
        if not isinstance(template, _Literal) or not isinstance(template.value, FormatTemplate):
            raise _Unsupported("Format template")
        pieces: list[str] = []
        texts = template.value.parts
        for position, argument in enumerate((None, *arguments[1:])):
            if isinstance(argument, _Literal):
                if isinstance(argument.value, FormatTemplate):
                    raise _Unsupported("Format value")
                pieces.append(self.constant(_render(argument.value)))
            elif argument is not None:
                value, lookup = self.fresh("v"), self.lookup(argument.path)
                pieces.append(f"({value} if type({value} := {lookup}) is str else _render({value}))")
            if texts[position]:
                pieces.append(self.constant(texts[position]))
        return "(" + " + ".join(pieces) + ")" if pieces else "''"

    # ------------------------------------------------------------------ Choice

    def choice_body(self, state: ChoiceState, spec: Mapping[str, Any]) -> Body:
        rules = spec.get("Choices")
        if (not isinstance(rules, list) or len(rules) != len(state.choices) or spec.get("Default") != state.default
                or any(assign is not None for assign in state.rule_assigns)):
            raise _Unsupported("Choice")
        statements = []
        for rule, compiled in zip(rules, state.choices, strict=True):
            if not isinstance(rule, Mapping) or rule.get("Next") != compiled.next or "Assign" in rule:
                raise _Unsupported("Choice rule")
            statements.append(f"if {self.condition(rule)}: return {self.constant(rule['Next'])}, data, variables")
        if state.default is not None:
            statements.append(f"return {self.constant(state.default)}, data, variables")
        return self.build(self.guarded(statements))  # no Default: the generic body raises NoChoiceMatched

    def condition(self, rule: Mapping[str, Any]) -> str:
        """A boolean expression for one rule (lazy like the generic one: And/Or short-circuit)."""
        operators = [key for key in rule if key not in ("Variable", "Next", "Comment")]
        if len(operators) != 1:
            raise _Unsupported("rule fields")
        name = operators[0]
        operand = rule[name]
        if name in ("And", "Or"):
            if not isinstance(operand, list) or not operand or "Variable" in rule:
                raise _Unsupported(name)
            return "(" + f" {name.lower()} ".join(self.condition(nested) for nested in operand) + ")"
        if name == "Not":
            if not isinstance(operand, Mapping) or "Variable" in rule:
                raise _Unsupported(name)
            return f"(not {self.condition(operand)})"
        text = rule.get("Variable")
        if not isinstance(text, str) or not text.startswith("$"):
            raise _Unsupported("Variable")
        variable = self.lookup(compile_expression(text))
        if name in _TYPE_TESTS:
            if operand is not True and operand is not False:
                raise _Unsupported(name)
            test = _TYPE_TESTS[name].format(v=variable, w=self.fresh("v"), t=self.fresh("t"))
            return test if operand else f"(not {test})"
        if name == "BooleanEquals":
            if operand is not True and operand is not False:
                raise _Unsupported(name)
            return f"({variable} is {operand!r})"  # exact for every value: bool cannot be subclassed
        value, kind = self.fresh("v"), self.fresh("t")
        for family, others, wanted in (("Numeric", "_NON_NUMBERS", _is_number), ("String", "_NON_STRINGS", _is_ascii)):
            suffix = name[len(family):]
            if name.startswith(family) and suffix in _ORDER:
                if not wanted(operand) and not (family == "String" and suffix == "Equals" and type(operand) is str):
                    raise _Unsupported(name)
                test = "is int or {t} is float" if family == "Numeric" else "is str"
                return (f"({value} {_ORDER[suffix]} {self.constant(operand)} if ({kind} := type({value} := "
                        f"{variable})) {test.format(t=kind)} else {kind} not in {others} and _irregular())")
        raise _Unsupported(name)


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _is_ascii(value: Any) -> bool:
    return type(value) is str and value.isascii()


def _dynamic(node: JSON) -> bool:
    """Whether a template subtree has anything to evaluate (a ``.$`` key at any depth)."""
    if isinstance(node, dict):
        return any(key.endswith(".$") or _dynamic(child) for key, child in node.items())
    if isinstance(node, list):
        return any(_dynamic(item) for item in node)
    return False
