"""Intrinsic function calls (``States.Format('Hi {}', $.name)``): parsing them and compiling them once.

Owns the call grammar and every compile-time check: function names, argument counts,
``States.Format`` placeholder counts for literal templates, string escapes and the nesting
limit. A call compiles into a small tree (literals, compiled paths, nested calls) so that
resolving it never parses a string. What each function computes lives in
:mod:`heaviside.definition.intrinsic_functions`.

Grammar::

    call     := NAME '(' [arg (',' arg)*] ')'        whitespace allowed around arguments
    arg      := 'string' | number | true | false | null | path | call
    string   := quoted with ', escapes \\' \\{ \\} \\\\ (an escaped brace is never a placeholder)
    path     := $... | $$... | $name...           compiled with compile_path
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from heaviside.definition.intrinsic_functions import FORMAT, FUNCTIONS, FormatTemplate, IntrinsicFunction
from heaviside.definition.paths import Path, PathNotFound, Resolvable, Scope, compile_path
from heaviside.errors import RUNTIME, ExpressionSyntaxError, StatesError
from heaviside.types import JSON

MAX_NESTING: Final = 10  # calls in one chain, the outermost included

_LOOKS_LIKE_CALL = re.compile(r"\s*States\.[A-Za-z0-9_.]+\(.*\)\s*", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORDS: Final[dict[str, JSON]] = {"true": True, "false": False, "null": None}
_ESCAPABLE: Final = "'{}\\"


def is_intrinsic(text: str) -> bool:
    """True when ``text`` looks like an intrinsic call (``States.Name(...)``), valid or not."""
    return isinstance(text, str) and _LOOKS_LIKE_CALL.fullmatch(text) is not None


@dataclass(frozen=True)
class _Literal:
    value: JSON  # str, int, float, bool, None, or a FormatTemplate (first argument of States.Format)

    def resolve(self, scope: Scope) -> JSON:
        return self.value


@dataclass(frozen=True)
class _PathArgument:
    path: Path
    function: str
    position: int

    def resolve(self, scope: Scope) -> JSON:
        try:
            return self.path.resolve(scope)
        except PathNotFound as exc:
            raise StatesError(RUNTIME, f"{exc} (argument {self.position} of {self.function})") from None


@dataclass(frozen=True)
class _Call:
    function: IntrinsicFunction
    arguments: tuple[Resolvable, ...]

    def __post_init__(self) -> None:
        # Shadow ``resolve`` with a flat evaluator: literals inline, paths and nested calls called
        # directly, a path miss explained with its argument position.
        implementation = self.function.implementation
        plan = tuple(
            (None, argument.value) if isinstance(argument, _Literal)
            else ((argument.path.resolve if isinstance(argument, _PathArgument) else argument.resolve), None)
            for argument in self.arguments
        )
        positions = {
            argument.path.text: argument for argument in self.arguments if isinstance(argument, _PathArgument)
        }

        def evaluate(scope: Scope) -> JSON:
            try:
                values = [value if getter is None else getter(scope) for getter, value in plan]
            except PathNotFound as miss:
                argument = positions[miss.path]
                raise StatesError(RUNTIME, f"{miss} (argument {argument.position} of {argument.function})") from None
            return implementation(values, scope)

        object.__setattr__(self, "resolve", evaluate)

    def resolve(self, scope: Scope) -> JSON:
        return self.function([argument.resolve(scope) for argument in self.arguments], scope)

    def paths(self) -> tuple[Path, ...]:
        found: list[Path] = []
        for argument in self.arguments:
            if isinstance(argument, _PathArgument):
                found.append(argument.path)
            elif isinstance(argument, _Call):
                found.extend(argument.paths())
        return tuple(found)


@dataclass(frozen=True)
class IntrinsicCall:
    """A compiled intrinsic function call; :meth:`resolve` evaluates it against a scope."""

    text: str
    _root: _Call = field(repr=False, compare=False)

    @property
    def function(self) -> str:
        """The outermost function's name (``"States.Format"``)."""
        return self._root.function.name

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every path argument, at any depth, in source order (to find ``$var`` references)."""
        return self._root.paths()

    def __post_init__(self) -> None:
        # Evaluation goes straight to the root call (one Python call less per use).
        object.__setattr__(self, "resolve", self._root.resolve)

    def resolve(self, scope: Scope) -> JSON:
        """Evaluate the call; raises :class:`StatesError` (``States.Runtime``) on bad arguments."""
        return self._root.resolve(scope)


_cache: dict[str, IntrinsicCall] = {}


def compile_intrinsic(text: str) -> IntrinsicCall:
    """Compile ``States.Fn(arg, ...)``; raises :class:`ExpressionSyntaxError` when it is not valid.

    Invalid means: bad syntax, an unknown function, the wrong number of arguments, a
    States.Format literal template whose ``{}`` count differs from its value count, or
    calls nested more than :data:`MAX_NESTING` deep.
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"an intrinsic function call must be a string, not {text!r}")
    cached = _cache.get(text)
    if cached is not None:
        return cached
    call = IntrinsicCall(text, _Parser(text).parse())
    _cache[text] = call
    return call


class _Parser:
    """A hand-written recursive-descent parser over one call's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def parse(self) -> _Call:
        self._skip_spaces()
        call = self._call(depth=1)
        self._skip_spaces()
        if self.position < len(self.text):
            raise self._error("unexpected text after the closing ')'")
        return call

    # ------------------------------------------------------------------ pieces

    def _call(self, depth: int) -> _Call:
        start = self.position
        match = _NAME.match(self.text, self.position)
        if match is None:
            raise self._error("expected a function name such as States.Format")
        name = match.group()
        self.position = match.end()
        if not self.text.startswith("(", self.position):
            raise self._error(f"expected '(' after '{name}'")
        function = FUNCTIONS.get(name)
        if function is None:
            raise self._error(f"'{name}' is not an intrinsic function", start)
        if depth > MAX_NESTING:
            raise self._error(f"intrinsic functions can be nested at most {MAX_NESTING} deep", start)
        self.position += 1
        arguments = self._arguments(function, depth)
        if not function.accepts(len(arguments)):
            given = len(arguments)
            raise self._error(
                f"{name} takes {function.arity_text()}, but {given} {'was' if given == 1 else 'were'} given",
                start,
            )
        if name == FORMAT:
            self._check_format(arguments, start)
        return _Call(function, tuple(arguments))

    def _arguments(self, function: IntrinsicFunction, depth: int) -> list[Resolvable]:
        arguments: list[Resolvable] = []
        self._skip_spaces()
        if self.text.startswith(")", self.position):
            self.position += 1
            return arguments
        while True:
            self._skip_spaces()
            arguments.append(self._argument(function, len(arguments) + 1, depth))
            self._skip_spaces()
            char = self._peek()
            self.position += 1
            if char == ")":
                return arguments
            if char != ",":
                self.position -= 1
                ending = "end of text" if not char else f"'{char}'"
                raise self._error(f"expected ',' or ')' after argument {len(arguments)}, found {ending}")

    def _argument(self, function: IntrinsicFunction, position: int, depth: int) -> Resolvable:
        char = self._peek()
        if char == "'":
            return _Literal(self._string(template=function.name == FORMAT and position == 1))
        if char == "$":
            return self._path(function.name, position)
        if char == "-" or char.isdigit():
            return _Literal(self._number())
        word = _NAME.match(self.text, self.position)
        if word is not None:
            if self.text.startswith("(", word.end()):
                return self._call(depth + 1)
            if word.group() in _KEYWORDS:
                self.position = word.end()
                return _Literal(_KEYWORDS[word.group()])
            raise self._error(
                f"'{word.group()}' is not a value: strings are single-quoted, and true, false and null "
                "are the only bare words"
            )
        if not char:
            raise self._error(f"argument {position} is missing (the text ends)")
        if char in ",)":
            raise self._error(f"argument {position} is missing")
        raise self._error(f"unexpected character '{char}'")

    def _string(self, *, template: bool) -> str | FormatTemplate:
        start = self.position
        self.position += 1  # the opening quote
        parts: list[str] = []
        current: list[str] = []
        text = self.text
        while True:
            if self.position >= len(text):
                raise self._error("the string starting here is never closed with a single quote", start)
            char = text[self.position]
            if char == "\\":
                escaped = text[self.position + 1 : self.position + 2]
                if not escaped or escaped not in _ESCAPABLE:
                    raise self._error(
                        "a backslash must be followed by ', {, } or \\ (write \\\\ for a literal backslash)"
                    )
                current.append(escaped)
                self.position += 2
            elif char == "'":
                self.position += 1
                break
            elif template and text.startswith("{}", self.position):
                parts.append("".join(current))
                current = []
                self.position += 2
            else:
                current.append(char)
                self.position += 1
        parts.append("".join(current))
        return FormatTemplate(tuple(parts)) if template else parts[0]

    def _number(self) -> int | float:
        match = _NUMBER.match(self.text, self.position)
        if match is None:
            raise self._error("expected a number after '-'")
        self.position = match.end()
        follower = self._peek()
        if follower and (follower.isalnum() or follower in "._$'"):
            raise self._error(f"'{match.group()}{follower}' is not a number")
        literal = match.group()
        return float(literal) if match.group(1) or match.group(2) else int(literal)

    def _path(self, function: str, position: int) -> _PathArgument:
        start = self.position
        text = self.text
        open_brackets: list[str] = []
        while self.position < len(text):
            char = text[self.position]
            if open_brackets and char in "'\"":
                self._skip_quoted(char)
                continue
            if char in "[(":
                open_brackets.append("]" if char == "[" else ")")
            elif char in "])":
                if not open_brackets:
                    break
                if open_brackets.pop() != char:
                    raise self._error(f"the path starting here has a '{char}' that closes nothing", start)
            elif not open_brackets and (char == "," or char.isspace()):
                break
            self.position += 1
        if open_brackets:
            raise self._error("the path starting here has an unclosed '[' or '('", start)
        source = text[start : self.position]
        try:
            return _PathArgument(compile_path(source), function, position)
        except ExpressionSyntaxError as exc:
            raise self._error(f"argument {position} is not a valid path ({exc})", start) from None

    def _skip_quoted(self, quote: str) -> None:
        start = self.position
        self.position += 1
        while self.position < len(self.text):
            char = self.text[self.position]
            self.position += 2 if char == "\\" else 1
            if char == quote:
                return
        raise self._error("a quoted name inside the path is never closed", start)

    def _check_format(self, arguments: list[Resolvable], start: int) -> None:
        template = arguments[0]
        if not isinstance(template, _Literal):
            return  # a path or call: checked when it resolves
        if not isinstance(template.value, FormatTemplate):
            raise self._error("the first argument of States.Format (the template) must be a string", start)
        placeholders, values = template.value.placeholders, len(arguments) - 1
        if placeholders != values:
            raise self._error(
                f"the States.Format template has {placeholders} placeholder(s) '{{}}' "
                f"but {values} value(s) follow it (escape literal braces as \\{{ and \\}})",
                start,
            )

    # ------------------------------------------------------------------ helpers

    def _peek(self) -> str:
        return self.text[self.position : self.position + 1]

    def _skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def _error(self, message: str, at: int | None = None) -> ExpressionSyntaxError:
        where = self.position if at is None else at
        return ExpressionSyntaxError(
            f"'{self.text}' is not a valid intrinsic function call: {message} (at character {where + 1})"
        )
