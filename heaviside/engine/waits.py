"""Numbers and times a state reads from its input at run time (Wait, timeouts, Map limits).

Each value comes either from the definition or from a path; a path that misses or holds the
wrong kind of value is ``States.Runtime`` with the message AWS gives.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from heaviside.definition.model import WaitState
from heaviside.definition.paths import Path, PathNotFound, Scope
from heaviside.definition.timestamps import parse_timestamp
from heaviside.errors import RUNTIME, StatesError
from heaviside.types import JSON

#: Waits of 2^31 seconds or more are refused by Step Functions.
MAX_WAIT_SECONDS: Final = 2**31


def _is_int(value: JSON) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def wait_until(state: WaitState, scope: Scope, now: datetime) -> datetime:
    """When a Wait state ends: from Seconds, Timestamp, SecondsPath or TimestampPath."""
    if state.seconds is not None:
        return _after(now, state.seconds)
    if state.timestamp is not None:
        return _at(now, state.timestamp, "Timestamp")
    if state.seconds_path is not None:
        value = _resolve(state.seconds_path, scope, "The SecondsPath parameter does not reference an input value")
        text = state.seconds_path.text
        if not _is_int(value):
            raise StatesError(RUNTIME, f"The SecondsPath parameter cannot be parsed as a long value: {text} == {value}")
        if value < 0:
            raise StatesError(RUNTIME, f"The SecondsPath parameter references a negative value: {text} == {value}")
        return _after(now, value)
    assert state.timestamp_path is not None
    value = _resolve(state.timestamp_path, scope, "The TimestampPath parameter does not reference an input value")
    return _at(now, value, "TimestampPath", state.timestamp_path.text)


def _resolve(path: Path, scope: Scope, missing: str) -> JSON:
    try:
        return path.resolve(scope)
    except PathNotFound:
        raise StatesError(RUNTIME, f"{missing}: {path.text}") from None


def _after(now: datetime, seconds: int) -> datetime:
    if seconds >= MAX_WAIT_SECONDS:
        raise StatesError(RUNTIME, "Wait state delay is too long.")
    return now + timedelta(seconds=seconds)


def _at(now: datetime, value: JSON, field: str, path_text: str | None = None) -> datetime:
    moment = parse_timestamp(value)
    if moment is None:
        raise StatesError(
            RUNTIME,
            f"The {field} parameter does not reference a valid ISO-8601 extended offset date-time format string: "
            f"{path_text or field} == {value}",
        )
    if (moment - now).total_seconds() >= MAX_WAIT_SECONDS:
        raise StatesError(RUNTIME, "Wait state delay is too long.")
    return max(moment, now)


def positive_int(path: Path, field: str, scope: Scope) -> int:
    """TimeoutSecondsPath / HeartbeatSecondsPath: a positive integer."""
    value = _resolve(path, scope, f"The {field} parameter does not reference an input value")
    if not _is_int(value) or value < 1:
        raise StatesError(RUNTIME, f"The {field} field refers to value {value!r} which is not a valid positive "
                                   f"integer: {path.text}")
    result: int = value
    return result


def non_negative_int(value: int, path: Path | None, field: str, scope: Scope) -> int:
    """MaxConcurrency(Path): 0 means unbounded."""
    if path is None:
        return value
    resolved = _resolve(path, scope, f"The {field} parameter does not reference an input value")
    if not _is_int(resolved) or resolved < 0:
        raise StatesError(RUNTIME, f'The {field} field refers to value "{resolved}" which is not a valid integer: '
                                   f"{path.text}")
    result: int = resolved
    return result


def optional_int(value: int | None, path: Path | None, field: str, scope: Scope) -> int | None:
    """ToleratedFailureCount(Path)."""
    if path is None:
        return value
    resolved = _resolve(path, scope, f"The {field} parameter does not reference an input value")
    if not _is_int(resolved):
        raise StatesError(RUNTIME, f'The {field} field refers to value "{resolved}" which is not a valid integer: '
                                   f"{path.text}")
    if resolved < 0:
        raise StatesError(RUNTIME, "ToleratedFailureCount cannot be negative.")
    result: int = resolved
    return result


def optional_percentage(value: float | None, path: Path | None, scope: Scope) -> float | None:
    """ToleratedFailurePercentage(Path): 0..100."""
    if path is None:
        return value
    field = "ToleratedFailurePercentagePath"
    resolved = _resolve(path, scope, f"The {field} parameter does not reference an input value")
    if not isinstance(resolved, int | float) or isinstance(resolved, bool):
        raise StatesError(RUNTIME, f'The {field} field refers to value "{resolved}" which is not a valid float: '
                                   f"{path.text}")
    if not 0 <= resolved <= 100:
        raise StatesError(RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
    return float(resolved)
