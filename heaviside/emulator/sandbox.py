"""One invocation of an emulated Lambda function: its context object, running the handler with
the function's timeout (the "sandbox" is stopped when the timeout passes, as Lambda's would be),
and the error documents Lambda reports.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from heaviside.emulator.faults import lambda_thread

Handler = Callable[[Any, Any], Any]
"""A Lambda handler: ``handler(event, context) -> JSON-serialisable result``."""

ACCOUNT_ID = "123456789012"  # moto's default account
TIMEOUT_SECONDS = 900.0
MEMORY_LIMIT_IN_MB = 128
LOGGER = logging.getLogger("heaviside.emulator")


def function_arn(name: str, region: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler."""

    def __init__(self, function_name: str, region: str, *, qualifier: str | None = None, request_id: str = "",
                 timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn(function_name, region, qualifier)
        self.memory_limit_in_mb = MEMORY_LIMIT_IN_MB
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_document(exc: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's Python runtime report of an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def timeout_document(timeout_seconds: float, request_id: str) -> dict[str, Any]:
    """What Lambda reports for an invocation that ran past the function's timeout."""
    return {"errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"}


@dataclass(frozen=True)
class FunctionConfig:
    """A registered function: its handler, its timeout (None: run inline, never cut off) and the
    function that receives its failed asynchronous invocations (Lambda's on-failure destination)."""

    handler: Handler
    timeout_seconds: float | None = None
    on_failure: str | None = None


def run_handler(config: FunctionConfig, event: Any, context: LambdaContext) -> tuple[Any, dict[str, Any] | None]:
    """Call the handler like Lambda: ``(result, None)``, or ``(None, error document)`` when it raised
    or ran past the function's timeout (its thread is then abandoned, as a frozen sandbox would be)."""
    request_id = context.aws_request_id
    if config.timeout_seconds is None:
        try:
            with lambda_thread(request_id):
                return config.handler(event, context), None
        except Exception as exc:
            return None, error_document(exc, request_id)
    box: list[tuple[Any, dict[str, Any] | None]] = []

    def call() -> None:
        try:
            with lambda_thread(request_id):
                box.append((config.handler(event, context), None))
        except Exception as exc:
            box.append((None, error_document(exc, request_id)))
        except SandboxKilled:
            LOGGER.info("function %s (request %s) was stopped by its timeout", context.function_name, request_id)

    worker = threading.Thread(target=call, name=f"lambda-{context.function_name}", daemon=True)
    worker.start()
    worker.join(config.timeout_seconds)
    if box:
        return box[0]
    _kill(worker)
    return None, timeout_document(config.timeout_seconds, request_id)


class SandboxKilled(BaseException):
    """Raised inside a handler thread that ran past its function's timeout: Lambda would have
    stopped the sandbox, so the handler must not go on to do anything (a BaseException, so
    ``except Exception`` in user code does not swallow it)."""


def _kill(worker: threading.Thread) -> None:
    """Stop ``worker`` at its next Python instruction (CPython's asynchronous exception)."""
    if worker.ident is not None and worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(SandboxKilled))


