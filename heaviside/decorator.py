"""The task decorator: turns a plain Lambda handler into a heaviside Task.

    from heaviside import task

    @task
    def handler(event, context):          # event: the Task's effective input
        return {"total": event["price"] * event["quantity"]}

``@task``, ``@task(logger=my_logger)`` and ``handler = task(plain_handler)`` are equivalent.
Given a heaviside envelope, the wrapper runs the Task (its input and output processing,
Retry/Catch), the control states after it, and dispatches what comes next; the Lambda returns
a small receipt. Any other event goes to the handler unchanged, so the function still works
as a plain Lambda. Inside the handler every Powertools log line carries ``execution_id``,
``execution_name``, ``state_name`` and ``retry_count``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, overload

from heaviside.runtime.driver import Driver
from heaviside.runtime.envelope import EnvelopeError, is_envelope

F = TypeVar("F", bound=Callable[[Any, Any], Any])
LOG_KEYS = ("execution_id", "execution_name", "state_name", "retry_count")


def _default_driver() -> Driver:
    from heaviside.backends.aws.runtime import default_runtime  # boto3 only when running on AWS

    return default_runtime().driver


@contextmanager
def _log_keys(logger: Any, event: dict[str, Any]) -> Iterator[None]:
    """Powertools Logger keys for the duration of one task (thread-local: concurrent tasks keep theirs)."""
    if logger is None:
        yield
        return
    execution, frame = event.get("execution"), event.get("frame")
    execution = execution if isinstance(execution, dict) else {}  # a malformed envelope is refused later
    frame = frame if isinstance(frame, dict) else {}
    logger.thread_safe_append_keys(execution_id=execution.get("id"), execution_name=execution.get("name"),
                                   state_name=frame.get("state"), retry_count=frame.get("retryCount"))
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(LOG_KEYS))


def _powertools_logger() -> Any:
    try:
        from aws_lambda_powertools import Logger
    except ImportError:  # pragma: no cover - the [aws] extra is not installed
        return None
    return Logger()


@overload
def task(handler: F, *, driver: Driver | None = None, logger: Any = None) -> F: ...


@overload
def task(handler: None = None, *, driver: Driver | None = None, logger: Any = None) -> Callable[[F], F]: ...


def task(handler: F | None = None, *, driver: Driver | None = None, logger: Any = None) -> F | Callable[[F], F]:
    """Wrap ``handler`` as a heaviside Task (see the module docstring).

    ``driver``: the runtime to use (default: the AWS runtime configured by the environment,
    built on first use). ``logger``: the Powertools ``Logger`` that gets the execution keys
    (default: ``Logger()``, which shares its keys with every Logger of the same service).
    """

    def wrap(function: F) -> F:
        if getattr(function, "__heaviside_task__", False):
            if driver is None and logger is None:
                return function  # already wrapped, nothing to change
            function = function.__wrapped__  # type: ignore[attr-defined]  # re-wrap the plain handler
        keys_logger = logger if logger is not None else _powertools_logger()

        @functools.wraps(function)
        def wrapper(event: Any, context: Any) -> Any:
            if not is_envelope(event):
                return function(event, context)
            runner = driver if driver is not None else _default_driver()
            try:  # TaskInProgress propagates: Lambda retries this delivery later
                with _log_keys(keys_logger, event):
                    run = runner.run_task(event, function, context)
            except EnvelopeError as exc:  # logged and dead-lettered; Lambda must not retry it
                runner.reject(event, str(exc))
                return {"heaviside": "rejected", "id": event.get("id"), "reason": str(exc)}
            receipt: dict[str, Any] = {"heaviside": run.reason, "id": event.get("id")}
            if run.outcome is not None and run.outcome.error is not None:
                receipt["error"] = run.outcome.error
            return receipt

        wrapper.__heaviside_task__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    if handler is not None:
        return wrap(handler)
    return wrap
