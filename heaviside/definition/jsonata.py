"""JSONata expressions (``{% ... %}``) compiled once on jlens, with Step Functions' additions.

One :class:`JsonataExpression` per distinct source text (:func:`compile_jsonata` caches them). It is
immutable and shared by threads: everything an evaluation sees comes from its :class:`JsonataEnv`.

* Bindings: ``$states`` (cut down to the fields the expression reads) and the workflow variables the
  source names as ``$name``; there is no context document, so a bare ``$`` is undefined.
* Step Functions' functions ``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid`` and
  ``$parse`` are registered, with JSONata signatures, on the expressions that name them; ``$eval`` is
  not supported and fails as an unknown function would (``T1006``).
* Purity: ``$now()``/``$millis()`` read ``env.now`` (``now=`` on every call); unseeded ``$random()``
  and ``$uuid()`` draw from ``env.random`` through a context variable set around evaluations that name
  them (it keeps the signature checks, which bindings-borne functions lose, and costs less); seeded
  ``$random`` follows ``java.util.Random``, whose draws AWS returns.
* Results: undefined, a function value or an evaluation error become ``States.QueryEvaluationError``
  with AWS's cause texts. jlens returns ``None`` for null and undefined alike, so a ``None`` result is
  re-evaluated once through a probe, ``( $r := (EXPR); {'v': $r, 't': $type($r)} )``, which tells
  null, undefined and a function apart; its outcome is the result.
* Runaway expressions stop at :data:`EVALUATION_TIMEOUT_S` or :data:`EVALUATION_MAX_STEPS`; data jlens
  cannot take (nested over 1000 levels, integers beyond a double) is a ``States.QueryEvaluationError`` too.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
import random as _random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

import jlens
from jlens import Read

from heaviside.definition.intrinsic_functions import range_length
from heaviside.errors import QUERY_EVALUATION_ERROR, ExpressionSyntaxError, StatesError
from heaviside.types import JSON

EVALUATION_TIMEOUT_S = 10.0  # seconds of one evaluation (jlens D1012)
EVALUATION_MAX_STEPS = 100_000_000  # evaluation steps of one evaluation (jlens U1006)
RANGE_MAX_ITEMS = 1000  # items one $range may produce
STATES_FIELDS: Final = frozenset({"input", "result", "errorOutput", "context"})

_NAME = re.compile(r"\$(\w+)")  # every $name of a source (over-approximates: string literals too)
_PROBE = "( $__heaviside := ({}\n); {{'v': $__heaviside, 't': $type($__heaviside)}} )"
_RANDOM: contextvars.ContextVar[_random.Random | None] = contextvars.ContextVar("heaviside_jsonata_random",
                                                                               default=None)


class JsonataSyntaxError(ExpressionSyntaxError):
    """A JSONata source that does not parse: ``"<code>: <message> at position N"``.

    ``field``/``path`` locate it inside a compiled JSON value (see ``jsonata_values``); both are
    empty for a bare :func:`compile_jsonata` call.
    """

    def __init__(self, source: str, code: str, message: str, position: int | None,
                 field: str = "", path: tuple[str | int, ...] = ()) -> None:
        self.source, self.code, self.detail, self.position = source, code, message, position
        self.field, self.path = field, path
        text = f"{code}: {message}" + ("" if position is None else f" at position {position}")
        if field:
            text = f"Invalid JSONata expression '{source}' in the field '{field}': {text}"
        super().__init__(text)

    def located(self, field: str, path: tuple[str | int, ...]) -> JsonataSyntaxError:
        """The same error, named at ``field`` (AWS's location text) and ``path`` (keys and indices)."""
        return JsonataSyntaxError(self.source, self.code, self.detail, self.position, field, path)


class FunctionError(Exception):
    """Raised by a Step Functions extension function; jlens passes it through unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class JsonataEnv:
    """What one evaluation sees."""

    states: Mapping[str, Any]  # {"input": ..., "context": ..., "result"?: ..., "errorOutput"?: ...}
    variables: Mapping[str, Any]  # workflow variables, bound as $name
    now: datetime  # the engine's clock: $now(), $millis()
    random: _random.Random  # the engine's randomness: $random() without a seed, $uuid()


# ---------------------------------------------------------------------------- extension functions


def _integer(value: float) -> int:
    """AWS: "Integer parameters are floored"."""
    return math.floor(value)


def _partition(array: list[JSON], size: float | None = None) -> JSON:
    if not array:
        return None
    if size is None:
        return [array]
    chunk = _integer(size)
    if chunk < 0:
        raise FunctionError("D3137", "Second argument must be zero or greater")
    if chunk == 0:
        return None
    return [array[start:start + chunk] for start in range(0, len(array), chunk)]


def _range(start: float | None, end: float | None, step: float | None = None) -> JSON:
    if start is None or end is None or step is None:
        return None
    first, last, increment = _integer(start), _integer(end), _integer(step)
    if increment == 0:
        return None
    count = range_length(first, last, increment)  # counted, not built: len(range) overflows past 2**63
    if not count:
        return None  # the step points away from the end
    if count > RANGE_MAX_ITEMS:
        raise FunctionError("D3137", f"The range has {count} items, more than the {RANGE_MAX_ITEMS} allowed")
    values = range(first, last + (1 if increment > 0 else -1), increment)
    return values[0] if count == 1 else list(values)  # a one-item sequence is its item


_HASHES: Final = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value: str | None, algorithm: str | None = None) -> JSON:
    if value is None or algorithm is None:
        return None
    name = _HASHES.get(algorithm)
    if name is None:
        raise FunctionError("D3137", f"Unsupported hash algorithm '{algorithm}': use one of {', '.join(_HASHES)}")
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


def _current_random() -> _random.Random:
    source = _RANDOM.get()
    if source is None:  # only reachable through an expression compiled without its functions
        raise FunctionError("D3137", "No source of randomness")
    return source


_JAVA_MULTIPLIER: Final = 0x5DEECE66D
_JAVA_MASK: Final = (1 << 48) - 1


def java_random_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``: what AWS's seeded ``$random`` returns."""
    state = (max(-(1 << 63), min(seed, (1 << 63) - 1)) ^ _JAVA_MULTIPLIER) & _JAVA_MASK
    state = (state * _JAVA_MULTIPLIER + 0xB) & _JAVA_MASK
    high = state >> 22  # next(26)
    state = (state * _JAVA_MULTIPLIER + 0xB) & _JAVA_MASK
    return ((high << 27) + (state >> 21)) * 2.0**-53  # next(27)


def _random_number(seed: float | None = None) -> float:
    return _current_random().random() if seed is None else java_random_double(_integer(seed))


def _uuid() -> str:
    bits = _current_random().getrandbits(128)
    bits = (bits & ~(0xF << 76)) | (0x4 << 76)  # version 4
    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    digits = f"{bits:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _reject(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _parse(text: str | None = None) -> JSON:
    # NB: jlens reads a host function's None as undefined, so $parse('null') is undefined.
    if text is None:
        return None
    try:
        return json.loads(text, parse_constant=_reject, parse_float=_finite, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        raise FunctionError("D3137", "Invalid JSON") from None


def _eval(*_arguments: JSON) -> JSON:
    raise FunctionError("T1006", "Attempted to invoke a non-function")  # AWS removes $eval


_FUNCTIONS: Final[dict[str, tuple[Any, str | None]]] = {
    "partition": (_partition, "<an?:a>"),
    "range": (_range, "<nnn?:x>"),
    "hash": (_hash, "<ss?:s>"),
    "random": (_random_number, "<n?:n>"),  # replaces JSONata's own, which takes no seed
    "uuid": (_uuid, "<:s>"),
    "parse": (_parse, "<s?:x>"),
    "eval": (_eval, None),
}
_RANDOMISED: Final = frozenset({"random", "uuid"})


# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True, eq=False)
class JsonataExpression:
    """One compiled ``{% ... %}`` body. Build it with :func:`compile_jsonata`."""

    source: str  # the text between {% and %}, stripped
    variables: frozenset[str]  # free workflow variables it reads (jlens reads(), less states and functions)
    states_fields: frozenset[str]  # the $states fields it reads (all four when it reads $states whole)
    _expression: jlens.Expression = field(repr=False)
    _probe: jlens.Expression = field(repr=False)
    _states_read: Read = field(repr=False)  # what it reads of $states ({} when nothing)
    _names: tuple[tuple[str, Read], ...] = field(repr=False)  # every $name worth binding, with what it reads
    _randomised: bool = field(repr=False)  # names $random or $uuid

    def evaluate(self, env: JsonataEnv, field: str) -> JSON:
        """The value for ``field`` (AWS's location text); raises ``States.QueryEvaluationError``."""
        states = env.states
        bindings: dict[str, Any] = {"states": _cut(states if type(states) is dict else dict(states), self._states_read)}
        variables = env.variables
        for name, read in self._names:
            if name in variables:
                bindings[name] = _cut(variables[name], read)
        token = _RANDOM.set(env.random) if self._randomised else None
        try:
            result = self._expression.evaluate(
                None, bindings, now=env.now, timeout=EVALUATION_TIMEOUT_S, max_steps=EVALUATION_MAX_STEPS)
            if result is None:  # null or undefined (or a function): ask the probe
                probe = self._probe.evaluate(
                    None, bindings, now=env.now, timeout=EVALUATION_TIMEOUT_S, max_steps=EVALUATION_MAX_STEPS)
                if "v" in probe:
                    return probe["v"]
                if probe.get("t") == "function":
                    raise self._failure(field, "returned an unsupported result type.")
                raise self._failure(field, "returned nothing (undefined).")
        except jlens.JlensError as error:
            raise self._failure(field, f"threw an error during evaluation. {error.code}: {error}") from error
        except FunctionError as error:
            raise self._failure(field, f"threw an error during evaluation. {error}") from error
        except (ValueError, TypeError) as error:  # jlens cannot take a binding: nested too deeply, or a huge int
            raise self._failure(field, f"could not be evaluated: {error}") from None
        finally:
            if token is not None:
                _RANDOM.reset(token)
        return result

    def _failure(self, field: str, what: str) -> StatesError:
        return StatesError(
            QUERY_EVALUATION_ERROR, f"The JSONata expression '{self.source}' specified for the field '{field}' {what}")


def _cut(value: Any, read: Read) -> Any:
    """``value`` cut down to the fields ``read`` names, through objects only (arrays stay whole).

    jlens converts bindings eagerly; what an expression cannot reach need not be converted.
    """
    if read is True or type(value) is not dict:
        return value
    return {key: _cut(value[key], below) for key, below in read.items() if key in value}


def compile_jsonata(source: str) -> JsonataExpression:
    """Compile the text between ``{%`` and ``%}`` (surrounding whitespace is stripped); cached by text.

    Raises :class:`JsonataSyntaxError` (an ``ExpressionSyntaxError``) when it does not parse.
    """
    return _compile(source.strip())


@lru_cache(maxsize=4096)
def _compile(text: str) -> JsonataExpression:
    try:
        expression = jlens.Expression(text)
    except jlens.JlensError as error:
        raise JsonataSyntaxError(text, error.code, str(error), error.position) from None
    probe = jlens.Expression(_PROBE.format(text))
    names = frozenset(_NAME.findall(text))
    functions = names & _FUNCTIONS.keys()
    for name in sorted(functions):
        implementation, signature = _FUNCTIONS[name]
        expression.register_function(name, implementation, signature)
        probe.register_function(name, implementation, signature)
    read = expression.reads()["bindings"]  # its "everyBinding" (from $eval) is moot: $eval always fails
    variables = frozenset(name for name in read if name != "states" and name not in _FUNCTIONS)
    states_read: Read = read.get("states", {})
    states_fields = STATES_FIELDS if states_read is True else frozenset(states_read) & STATES_FIELDS
    # A workflow variable shadows a function of its name, as in JSONata ($count with count assigned),
    # and jlens's reads() does not report such names: bind every $name the source mentions, whole.
    bound = tuple((name, read.get(name, True)) for name in sorted((names | variables) - {"states"}))
    return JsonataExpression(text, variables, states_fields, expression, probe, states_read, bound,
                             bool(functions & _RANDOMISED))
