"""JSONPath as ASL uses it: compiled once, resolved against an evaluation :class:`Scope`.

Three roots exist: ``$`` (the data being processed), ``$$`` (the context object) and
``$name`` (a workflow variable). Definite paths made only of ``.field``, ``['field']``
and ``[index]`` steps compile to a tuple of keys and resolve with plain dict/list lookups
(the common case, and the fast one). Anything else (wildcards, slices, filters, ``..``) is
compiled once with jsonpath-ng and yields the list of matches, as Step Functions does; the
jsonpath-ng extensions that are not JSONPath (arithmetic, regular expressions, string functions)
are rejected.

Reference paths (``ResultPath``) are definite paths that can also *place* a value; placing
copies the containers along the way and never mutates its input.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from heaviside.errors import ExpressionSyntaxError
from heaviside.types import JSON


class Scope:
    """What an expression can see: ``$`` (data), ``$$`` (context) and ``$name`` (variables).

    ``random`` is the engine's source of randomness (intrinsics such as States.UUID use it),
    injected so the pure core never reaches for global state. The context object may be given
    as a factory: most states never read ``$$``, so it is only built when a path asks for it.
    """

    __slots__ = ("_context", "_context_factory", "data", "random", "variables")

    def __init__(
        self,
        data: JSON,
        context: JSON = None,
        variables: Mapping[str, JSON] | None = None,
        random: Any = None,
        context_factory: Callable[[], JSON] | None = None,
    ) -> None:
        self.data = data
        self._context = context
        self._context_factory = context_factory
        self.variables: Mapping[str, JSON] = variables if variables is not None else {}
        self.random = random

    @property
    def context(self) -> JSON:
        if self._context is None and self._context_factory is not None:
            self._context = self._context_factory()
        return self._context

    def with_data(self, data: JSON) -> Scope:
        if data is self.data:
            return self
        return Scope(data, self._context, self.variables, self.random, self._context_factory)


class PathNotFound(LookupError):
    """A path that matched nothing. ``detail`` is AWS's wording after ``Invalid path '<p>' : ``."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"Invalid path '{path}' : {detail}")
        self.path = path
        self.detail = detail


class Resolvable(Protocol):
    """Anything that yields a value from a scope: a path, an intrinsic call, a template."""

    def resolve(self, scope: Scope) -> JSON: ...


DATA: Final = "$"
CONTEXT: Final = "$$"

_IDENT = r"[^\W\d]\w*"
_VARIABLE_ROOT = re.compile(r"\$(" + _IDENT + r")")
_DOT_FIELD = re.compile(r"\.(" + r"[^.\[\]\s'\"()@,:?*]+" + r")")
_BRACKET_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_BRACKET_NAME = re.compile(r"\.?\[\s*'((?:[^'\\]|\\.)*)'\s*\]")


@dataclass(frozen=True)
class Path:
    """A compiled ASL path. ``definite`` paths name one node; others gather matches into a list."""

    text: str
    root: str  # "$", "$$" or the variable name
    steps: tuple[str | int, ...]
    definite: bool
    _matcher: Any = None  # compiled jsonpath-ng expression for non-definite paths

    @property
    def is_context(self) -> bool:
        return self.root == CONTEXT

    @property
    def variable(self) -> str | None:
        return None if self.root in (DATA, CONTEXT) else self.root

    def _root_value(self, scope: Scope) -> JSON:
        if self.root == DATA:
            return scope.data
        if self.root == CONTEXT:
            return scope.context
        try:
            return scope.variables[self.root]
        except KeyError:
            raise PathNotFound(self.text, f"Undefined variable ${self.root}") from None

    def __post_init__(self) -> None:
        # Shadow the ``resolve`` method with the fastest resolver for this path's shape.
        object.__setattr__(self, "resolve", self._fast_resolver())

    def resolve(self, scope: Scope) -> JSON:
        """The value at this path (a list of matches for non-definite paths); raises PathNotFound."""
        return self._resolve(scope)

    def _resolve(self, scope: Scope) -> JSON:
        value = self._root_value(scope)
        if self._matcher is not None:
            return [match.value for match in self._matcher.find(value)]
        return self.descend(value)

    def _fast_resolver(self) -> Callable[[Scope], JSON]:
        """Plain subscripts for ``$``-rooted paths of field names; misses fall back to the full walk."""
        slow = self._resolve
        steps = self.steps
        if self._matcher is not None or self.root != DATA or not all(type(s) is str for s in steps):
            return slow
        if not steps:
            return _data_of
        if len(steps) == 1:
            key = steps[0]

            def one_field(scope: Scope) -> JSON:
                try:
                    return scope.data[key]
                except (KeyError, TypeError, IndexError):
                    return slow(scope)

            return one_field

        def fields(scope: Scope) -> JSON:
            value = scope.data
            try:
                for step in steps:
                    value = value[step]
            except (KeyError, TypeError, IndexError):
                return slow(scope)
            return value

        return fields

    def descend(self, value: JSON) -> JSON:
        """Follow this path's steps from ``value`` (its root node)."""
        for position, step in enumerate(self.steps):
            if type(step) is str:
                if type(value) is dict and step in value:
                    value = value[step]
                    continue
            elif type(value) is list and -len(value) <= step < len(value):  # type: ignore[operator]
                value = value[step]  # type: ignore[index]
                continue
            raise self._not_found(position)
        return value

    def _not_found(self, position: int) -> PathNotFound:
        prefix = _bracketed(self.root, self.steps[: position + 1])
        if position == len(self.steps) - 1:
            return PathNotFound(self.text, f"No results for path: {prefix}")
        return PathNotFound(self.text, f"Missing property in path {prefix}")

    def place(self, target: JSON, value: JSON) -> JSON:
        """Return a copy of ``target`` with ``value`` at this (reference) path.

        Missing objects along the way are created; a step into a non-object raises
        :class:`PathNotFound` (the caller names the ASL error).
        """
        if not self.steps:
            return value
        return self._place(target, 0, value)

    def _place(self, node: JSON, position: int, value: JSON) -> JSON:
        step = self.steps[position]
        last = position == len(self.steps) - 1
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise PathNotFound(self.text, f"Unable to set {_bracketed(self.root, self.steps[:position + 1])}")
            child = value if last else self._place(node.get(step, {}), position + 1, value)
            copied = dict(node)
            copied[step] = child
            return copied
        if not isinstance(node, list) or not -len(node) <= step < len(node):
            raise PathNotFound(self.text, f"Unable to set {_bracketed(self.root, self.steps[:position + 1])}")
        items = list(node)
        items[step] = value if last else self._place(node[step], position + 1, value)
        return items


def _data_of(scope: Scope) -> JSON:
    return scope.data


def _bracketed(root: str, steps: tuple[str | int, ...]) -> str:
    head = "$" if root in (DATA, CONTEXT) else "$" + root
    return head + "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']" for s in steps)


_cache: dict[str, Path] = {}


def compile_path(text: str) -> Path:
    """Compile an ASL path (``$``, ``$.a.b[0]``, ``$$.Execution.Id``, ``$var.x``, ``$.items[*].id``).

    Raises :class:`ExpressionSyntaxError` with a plain-words message when it does not parse.
    """
    cached = _cache.get(text)
    if cached is not None:
        return cached
    path = _compile(text)
    _cache[text] = path
    return path


def compile_reference_path(text: str) -> Path:
    """A Reference Path: definite, ``$``-rooted (``ResultPath`` may not target ``$$``)."""
    path = compile_path(text)
    if not path.definite:
        raise ExpressionSyntaxError(f"'{text}' must be a reference path naming a single node (no wildcards or filters)")
    if path.root != DATA:
        raise ExpressionSyntaxError(f"'{text}' must start with '$.' or be '$'")
    return path


def _compile(text: str) -> Path:
    if not isinstance(text, str) or not text.startswith("$"):
        raise ExpressionSyntaxError(f"'{text}' is not a path: a path starts with '$'")
    if text.startswith("$$"):
        root, rest = CONTEXT, text[2:]
    else:
        variable = _VARIABLE_ROOT.match(text)
        if variable:
            root, rest = variable.group(1), text[variable.end():]
        else:
            root, rest = DATA, text[1:]
    steps = _definite_steps(rest)
    if steps is not None:
        return Path(text, root, steps, True)
    return Path(text, root, (), False, _compile_with_jsonpath_ng(text, rest))


def _definite_steps(rest: str) -> tuple[str | int, ...] | None:
    steps: list[str | int] = []
    position = 0
    while position < len(rest):
        for pattern, convert in _STEP_PATTERNS:
            match = pattern.match(rest, position)
            if match:
                steps.append(convert(match.group(1)))
                position = match.end()
                break
        else:
            return None
    return tuple(steps)


def _unescape_name(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


_STEP_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (_DOT_FIELD, str),
    (_BRACKET_INDEX, int),
    (_BRACKET_NAME, _unescape_name),
)


def _compile_with_jsonpath_ng(text: str, rest: str) -> Any:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext.parser import parse

    normalised = "$" + rest.replace(".[", "[")
    try:
        with warnings.catch_warnings():  # its deprecated operators (| and &) are rejected just below
            warnings.simplefilter("ignore", DeprecationWarning)
            matcher = parse(normalised)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise ExpressionSyntaxError(f"'{text}' is not a valid JSONPath: {exc}") from None
    _check_jsonpath_features(text, matcher)
    return matcher


#: The jsonpath-ng nodes of plain JSONPath: fields, indices, slices, wildcards, ``..`` and filters.
#: Its extensions (arithmetic, regular expressions, `sub`/`split`/`str`/`len`/`keys`/`sorted`,
#: `parent`, `where`, unions) are not Step Functions' JSONPath, and some would let a definition
#: and its input build unbounded strings (``$.s * $.n``) or backtrack for ever (``=~``, `sub`).
_JSONPATH_NODES: Final = frozenset({"Root", "This", "Child", "Descendants", "Fields", "Index", "Slice", "Wildcard",
                                    "Filter", "Expression"})
_FILTER_OPERATORS: Final = frozenset({None, "==", "!=", "<", "<=", ">", ">=", "!"})


def _check_jsonpath_features(text: str, matcher: Any) -> None:
    from jsonpath_ng import JSONPath

    stack = [matcher]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind not in _JSONPATH_NODES or getattr(node, "op", None) not in _FILTER_OPERATORS:
            feature = getattr(node, "op", None) if kind == "Expression" else kind
            raise ExpressionSyntaxError(f"'{text}' uses {feature!r}, which is not part of Step Functions' JSONPath")
        for value in vars(node).values():
            values = value if isinstance(value, list | tuple) else (value,)
            stack.extend(item for item in values if isinstance(item, JSONPath))
