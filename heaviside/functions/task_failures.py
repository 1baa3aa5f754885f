"""The task-failure Lambda: the on-failure destination of every task function.

A task function's handler errors never reach Lambda: ``@task`` turns them into the Task's
error and applies Retry/Catch itself. What does reach Lambda is a task Lambda that never
finished — killed by its own timeout, out of memory, its runtime crashed, or heaviside's own
calls failing until Lambda gave up. Lambda retries the asynchronous invocation, then sends a
record (the original event, the last error) to the function's on-failure destination: this
function. It fails the Task with the error Step Functions reports for it, so the Task's
Retry/Catch apply and no execution is left ``RUNNING`` forever:

=================================  ===================================================
the failed invocation              the Task's error (Cause: Lambda's error document)
=================================  ===================================================
reported an error type             that type, e.g. ``Sandbox.Timedout``,
                                   ``Runtime.OutOfMemory``
reported none                      ``Lambda.Unknown``
never ran (event too old)          ``Lambda.TooManyRequestsException``
=================================  ===================================================

A record of a duplicate delivery that gave up while another delivery held the task
(``TaskInProgress``) is ignored: that delivery finishes the task or produces its own record.
Records are idempotent: the failure is committed under the task's id, so a repeated record
finds it done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from heaviside.backends.aws.runtime import AwsRuntime, default_runtime
from heaviside.runtime.driver import TaskInProgress
from heaviside.runtime.envelope import EnvelopeError, is_envelope

log = logging.getLogger("heaviside.task_failures")

UNKNOWN = "Lambda.Unknown"
TOO_MANY_REQUESTS = "Lambda.TooManyRequestsException"
IN_PROGRESS = TaskInProgress.__name__


def task_error(record: Mapping[str, Any]) -> tuple[str, str]:
    """(Error, Cause) of the Task whose invocation the destination ``record`` reports."""
    context = record.get("requestContext") or {}
    response = record.get("responsePayload")
    if context.get("condition") == "EventAgeExceeded" and response is None:
        cause = (f"the task's invocation was not run within the function's maximum event age "
                 f"(attempts: {context.get('approximateInvokeCount', 0)})")
        return TOO_MANY_REQUESTS, cause
    if isinstance(response, Mapping) and isinstance(response.get("errorType"), str) and response["errorType"]:
        return response["errorType"], json.dumps(response, ensure_ascii=False)
    returned = json.dumps(response, ensure_ascii=False)
    return UNKNOWN, ("The cause could not be determined because Lambda did not return an error type. "
                     f"Returned payload: {returned}")


def handle(record: Mapping[str, Any], context: Any, runtime: AwsRuntime) -> dict[str, Any]:
    """Fail the Task of one destination record; returns a receipt (raises ``TaskInProgress`` to be retried)."""
    event = record.get("requestPayload")
    request_id = str((record.get("requestContext") or {}).get("requestId") or "")
    if not is_envelope(event) or not isinstance(event, Mapping) or event.get("kind") != "task":
        log.error("failure record %s does not carry a task envelope: ignored", request_id or "?")
        return {"heaviside": "ignored", "reason": "not a task envelope"}
    error, cause = task_error(record)
    if error == IN_PROGRESS:
        log.info("task %s: a duplicate delivery gave up while another ran it: ignored", event.get("id"))
        return {"heaviside": "ignored", "id": event.get("id"), "reason": "another delivery runs the task"}
    if not request_id:
        log.error("failure record for task %s has no request id: ignored", event.get("id"))
        return {"heaviside": "ignored", "id": event.get("id"), "reason": "no request id"}
    try:
        done = runtime.driver.fail_task(event, error, cause, owner=request_id)
    except EnvelopeError as exc:
        runtime.driver.reject(event, f"in the failure record of request {request_id}: {exc}")
        return {"heaviside": "rejected", "id": event.get("id"), "reason": str(exc)}
    log.warning("task %s failed outside its handler with %s (%s)", event.get("id"), error, done)
    return {"heaviside": done, "id": event.get("id"), "error": error}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point."""
    return handle(event, context, default_runtime())
