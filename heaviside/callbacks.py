"""Task tokens: answering ``.waitForTaskToken`` Tasks (``SendTaskSuccess``, ``SendTaskFailure``,
``SendTaskHeartbeat``) and the errors Step Functions gives for bad answers.

    from heaviside.callbacks import send_task_success
    send_task_success(token, {"approved": True})

A token belongs either to an execution running in this process on the local backend, or to
one on AWS (or the emulator), whose runtime is configured by the environment; these functions
find which (stored executions' tokens start with ``hv1.``). The errors carry AWS's names so
callers can treat both alike:

==========================  ===============================================================
``InvalidToken``            not a token heaviside issued
``TaskDoesNotExist``        no such task (a forged token, or its execution's records expired)
``TaskTimedOut``            the task is closed: answered already, timed out, or its
                            execution or branch ended — the answer changes nothing
``InvalidOutput``           the output is not JSON, or over 256 KiB
==========================  ===============================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from heaviside.engine.io import PAYLOAD_LIMIT_BYTES
from heaviside.types import JSON

#: Step Functions' TimeoutSeconds for a callback Task that sets none.
DEFAULT_CALLBACK_TIMEOUT_SECONDS = 99_999_999
#: Tokens of executions kept in a store (AWS, the emulator) start with this; local ones do not.
STORED_TOKEN_PREFIX = "hv1."
#: Lengths Step Functions accepts for SendTaskFailure's error and cause.
MAX_ERROR_LENGTH = 256
MAX_CAUSE_LENGTH = 32768


class CallbackError(Exception):
    """A refused answer; ``code`` is Step Functions' error name for it."""

    code = "CallbackError"


class InvalidToken(CallbackError):
    code = "InvalidToken"


class TaskDoesNotExist(CallbackError):
    code = "TaskDoesNotExist"


class TaskTimedOut(CallbackError):
    code = "TaskTimedOut"


#: Why an answer to a closed token is refused (both backends say it the same way).
TOKEN_CLOSED = "Task Timed Out: the task of this token is closed (answered, timed out or ended)"


class InvalidOutput(CallbackError):
    code = "InvalidOutput"


@dataclass(frozen=True)
class CallbackRequest:
    """A callback Task waiting for its token: what local answer functions are given and what an
    execution lists for assertions."""

    token: str
    state: str
    input: JSON  # the Task's effective input (the payload that carried the token)
    retry_count: int
    entered: datetime


class CallbackTarget(Protocol):
    """Where answers go: the local backend's board or the AWS runtime's token store."""

    def succeed(self, token: str, output: JSON) -> None: ...

    def fail(self, token: str, error: str | None, cause: str | None) -> None: ...

    def heartbeat(self, token: str) -> None: ...


def checked_output(output: JSON) -> JSON:
    """The output of a ``SendTaskSuccess`` as a fresh JSON value, or :class:`InvalidOutput`."""
    if isinstance(output, (bytes, bytearray)):
        raise InvalidOutput("the output must be a JSON value (or JSON text), not bytes")
    try:
        text = json.dumps(output, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidOutput(f"the output is not JSON: {exc}") from None
    if len(text.encode("utf-8")) > PAYLOAD_LIMIT_BYTES:
        raise InvalidOutput(f"the output is over the limit of {PAYLOAD_LIMIT_BYTES} bytes (256 KiB)")
    value: JSON = json.loads(text)
    return value


def checked_failure(error: str | None, cause: str | None) -> None:
    if error is not None and len(error) > MAX_ERROR_LENGTH:
        raise InvalidOutput(f"the error is longer than {MAX_ERROR_LENGTH} characters")
    if cause is not None and len(cause) > MAX_CAUSE_LENGTH:
        raise InvalidOutput(f"the cause is longer than {MAX_CAUSE_LENGTH} characters")


def callback_timeout_cause(timeout_seconds: float | None) -> str:
    seconds = timeout_seconds or DEFAULT_CALLBACK_TIMEOUT_SECONDS
    return f"Task timed out after {seconds} seconds waiting for its callback"


def heartbeat_timeout_cause(heartbeat_seconds: float | None) -> str:
    return f"No heartbeat within {heartbeat_seconds} seconds (HeartbeatSeconds)"


def _target(token: str) -> CallbackTarget:
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise InvalidToken("a task token is a non-empty string of at most 2048 characters")
    if not token.startswith(STORED_TOKEN_PREFIX):
        from heaviside.backends.local_callbacks import BOARD  # the local backend: tokens of this process

        return BOARD
    from heaviside.backends.aws.runtime import default_runtime  # boto3 only for a stored execution's token

    target: CallbackTarget = default_runtime().callbacks
    return target


def send_task_success(token: str, output: JSON) -> None:
    """Complete the Task that issued ``token`` with ``output`` (its result)."""
    _target(token).succeed(token, checked_output(output))


def send_task_failure(token: str, error: str | None = None, cause: str | None = None) -> None:
    """Fail the Task that issued ``token``; its Retry/Catch see ``error`` (and ``cause``)."""
    checked_failure(error, cause)
    _target(token).fail(token, error, cause)


def send_task_heartbeat(token: str) -> None:
    """Tell the Task that issued ``token`` its worker is alive (resets its ``HeartbeatSeconds`` clock)."""
    _target(token).heartbeat(token)
