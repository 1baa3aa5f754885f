"""Calling a user's task handler the way Lambda does, shared by the local pool and the decorator.

The handler gets a fresh copy of its event (as if decoded from the wire); its exception becomes
Lambda's error report (exception class name + JSON cause); a result that is not JSON fails as
``Runtime.MarshalError``; a result over the 256 KiB state data limit fails as
``States.DataLimitExceeded``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from heaviside.engine.io import PAYLOAD_LIMIT_BYTES
from heaviside.engine.tasks import lambda_error
from heaviside.errors import DATA_LIMIT_EXCEEDED, TASK_FAILED, TIMEOUT
from heaviside.types import JSON

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class HandlerOutcome:
    """What a handler call came to: ``output``, or ``error`` and ``cause``."""

    output: JSON = None
    error: str | None = None
    cause: str | None = None


def call_handler(handler: Handler, payload: JSON, context: Any, state: str) -> HandlerOutcome:
    """Run ``handler(event, context)`` for the Task ``state`` and classify what came back."""
    try:
        event = json.loads(json.dumps(payload))
    except (TypeError, ValueError) as exc:  # pragma: no cover - engine data is JSON by construction
        return HandlerOutcome(error=TASK_FAILED, cause=f"task input is not JSON: {exc}")
    try:
        returned = handler(event, context)
    except Exception as exc:  # the handler's failure is the task's failure, as on Lambda
        error, cause = lambda_error(exc)
        return HandlerOutcome(error=error, cause=cause)
    try:
        text = json.dumps(returned, allow_nan=False)
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        cause = json.dumps({"errorMessage": message, "errorType": "Runtime.MarshalError"})
        return HandlerOutcome(error="Runtime.MarshalError", cause=cause)
    if len(text.encode("utf-8")) > PAYLOAD_LIMIT_BYTES:
        return HandlerOutcome(
            error=DATA_LIMIT_EXCEEDED,
            cause=f"The task '{state}' returned a result with a size exceeding the maximum "
                  "number of bytes service limit.",
        )
    return HandlerOutcome(output=json.loads(text))


def call_handler_within(handler: Handler, payload: JSON, context: Any, state: str,
                        timeout_seconds: float | None) -> HandlerOutcome:
    """:func:`call_handler`, failing with ``States.Timeout`` when the handler runs past the
    Task's ``TimeoutSeconds`` (the handler thread is abandoned; its late result is ignored)."""
    if timeout_seconds is None:
        return call_handler(handler, payload, context, state)
    box: list[HandlerOutcome] = []
    worker = threading.Thread(target=lambda: box.append(call_handler(handler, payload, context, state)),
                              name=f"heaviside-task-{state}", daemon=True)
    worker.start()
    worker.join(timeout_seconds)
    if not box:
        return HandlerOutcome(error=TIMEOUT, cause=timeout_cause(timeout_seconds))
    return box[0]


def timeout_cause(timeout_seconds: float) -> str:
    """The cause of ``States.Timeout`` for a Task that ran past its ``TimeoutSeconds``."""
    return f"Task timed out after {timeout_seconds} seconds"
