"""The callback Lambda: ``SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` over HTTPS.

Served from a Lambda function URL (``template.yaml``: ``CallbackFunction``), so a third-party
service can answer a callback Task with nothing but the token it was given::

    POST /success    {"taskToken": "hv1....", "output": {...any JSON...}}
    POST /failure    {"taskToken": "hv1....", "error": "Rejected", "cause": "over budget"}
    POST /heartbeat  {"taskToken": "hv1...."}

Answers are ``200 {"ok": true}``; refusals change nothing and say why with Step Functions'
error name: ``400`` ``InvalidRequest`` (not JSON, a field missing or of the wrong type),
``InvalidToken``, ``InvalidOutput``; ``404`` ``TaskDoesNotExist``; ``410`` ``TaskTimedOut``
(answered already, timed out, or its execution ended). The token is a 256-bit secret: keep it
as confidential as a password.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

from heaviside.backends.aws.runtime import AwsRuntime, default_runtime
from heaviside.callbacks import (
    CallbackError,
    InvalidOutput,
    InvalidToken,
    TaskDoesNotExist,
    TaskTimedOut,
    checked_failure,
    checked_output,
)
from heaviside.runtime.tokens import parse_token

log = logging.getLogger("heaviside.callback_api")

#: A request body larger than this is refused before it is parsed (the output limit plus room).
MAX_BODY_BYTES = 300 * 1024
STATUS = {InvalidToken: 400, InvalidOutput: 400, TaskDoesNotExist: 404, TaskTimedOut: 410}


class InvalidRequest(CallbackError):
    code = "InvalidRequest"


def _refusal(status: int, code: str, message: str) -> Response[str]:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps({"error": code, "message": message}))


def build_app(runtime_of: Any = default_runtime) -> LambdaFunctionUrlResolver:
    """The HTTP routes; ``runtime_of()`` gives the runtime whose executions are answered."""
    app = LambdaFunctionUrlResolver()

    def body() -> dict[str, Any]:
        raw = app.current_event.decoded_body or ""
        if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
            raise InvalidRequest(f"the request body is over {MAX_BODY_BYTES} bytes")
        try:
            value = json.loads(raw)
        except ValueError:
            raise InvalidRequest("the request body must be a JSON object") from None
        if not isinstance(value, dict):
            raise InvalidRequest("the request body must be a JSON object")
        token = value.get("taskToken")
        if not isinstance(token, str) or not token:
            raise InvalidRequest("taskToken (a string) is required")
        parse_token(token)  # InvalidToken before anything is read
        return value

    def text_field(value: dict[str, Any], name: str) -> str | None:
        field = value.get(name)
        if field is not None and not isinstance(field, str):
            raise InvalidRequest(f"{name} must be a string")
        return field

    @app.post("/success")
    def success() -> dict[str, Any]:
        value = body()
        if "output" not in value:
            raise InvalidRequest("output (any JSON value) is required")
        runtime_of().callbacks.succeed(value["taskToken"], checked_output(value["output"]))
        return {"ok": True}

    @app.post("/failure")
    def failure() -> dict[str, Any]:
        value = body()
        error, cause = text_field(value, "error"), text_field(value, "cause")
        checked_failure(error, cause)
        runtime_of().callbacks.fail(value["taskToken"], error, cause)
        return {"ok": True}

    @app.post("/heartbeat")
    def heartbeat() -> dict[str, Any]:
        runtime_of().callbacks.heartbeat(body()["taskToken"])
        return {"ok": True}

    @app.exception_handler(CallbackError)  # type: ignore[untyped-decorator]
    def refused(exc: CallbackError) -> Response[str]:
        log.info("callback refused: %s: %s", exc.code, exc)
        return _refusal(STATUS.get(type(exc), 400), exc.code, str(exc))

    return app


APP = build_app()


def handle(event: dict[str, Any], context: Any, runtime: AwsRuntime) -> dict[str, Any]:
    """Serve one function-URL request against ``runtime`` (tests and the emulator)."""
    result: dict[str, Any] = build_app(lambda: runtime).resolve(event, context)
    return result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point."""
    result: dict[str, Any] = APP.resolve(event, context)
    return result
