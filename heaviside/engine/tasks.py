"""Task resources: which function a Task calls, what it sends, and the shapes AWS returns.

Two Lambda forms are understood: the legacy function ARN
(``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``: the effective input is the event,
the function's return value is the result) and the optimized integration
``arn:aws:states:::lambda:invoke`` (``FunctionName`` + ``Payload`` parameters; the result is
``{"Payload": ..., "StatusCode": 200, ...}``). A handler exception becomes the error Lambda
reports: Error = the exception class name, Cause = Lambda's JSON error document.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import traceback
from dataclasses import dataclass
from typing import Any, Final

from heaviside.types import JSON

_LAMBDA_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")
_PARTIAL_FUNCTION = re.compile(r"^(?:\d{12}:)?function:([^:]+)(?::[^:]+)?$")
_NAME_WITH_QUALIFIER = re.compile(r"^([A-Za-z0-9_-]+)(?::[^:]+)?$")
_STATES_INTEGRATION = re.compile(r"^arn:[^:]+:states:[^:]*:[^:]*:([a-z0-9-]+):([A-Za-z0-9.:-]+)$")

LAMBDA_INVOKE: Final = "lambda:invoke"
_PACKAGE_DIR: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: The suffix of a service integration that waits for ``SendTaskSuccess``/``SendTaskFailure``.
WAIT_FOR_TASK_TOKEN: Final = ".waitForTaskToken"


@dataclass(frozen=True, slots=True)
class TaskTarget:
    """What calling a Task resource means."""

    kind: str  # "lambda" (function ARN), "lambda:invoke" (optimized integration) or "other"
    event_prefix: str  # history event family: "LambdaFunction" or "Task"
    callback: bool = False  # ``.waitForTaskToken``: the result comes from SendTaskSuccess/Failure


def classify_resource(resource: str) -> TaskTarget:
    if _LAMBDA_ARN.match(resource):
        return TaskTarget("lambda", "LambdaFunction")
    integration = _STATES_INTEGRATION.match(resource)
    if integration is None:
        return TaskTarget("other", "Task")
    api = integration.group(2)
    callback = api.endswith(WAIT_FOR_TASK_TOKEN)
    if callback:
        api = api[: -len(WAIT_FOR_TASK_TOKEN)]
    kind = LAMBDA_INVOKE if f"{integration.group(1)}:{api}" == LAMBDA_INVOKE else "other"
    return TaskTarget(kind, "Task", callback)


def resource_details(resource: str) -> dict[str, Any]:
    """What AWS's ``Task*`` events of an optimized integration name it by (``resourceType``:
    the service, ``resource``: the API with its suffix); a Lambda ARN's ``LambdaFunction*`` events
    carry none, and any other resource is named as written."""
    if _LAMBDA_ARN.match(resource):
        return {}
    integration = _STATES_INTEGRATION.match(resource)
    if integration is None:
        return {"resource": resource}
    return {"resourceType": integration.group(1), "resource": integration.group(2)}


def new_task_token() -> str:
    """An unguessable task token (256 random bits from the operating system's CSPRNG)."""
    return secrets.token_urlsafe(32)


def function_name(reference: str) -> str | None:
    """The function NAME in a Lambda ARN, partial ARN or ``NAME[:qualifier]``."""
    for pattern in (_LAMBDA_ARN, _PARTIAL_FUNCTION, _NAME_WITH_QUALIFIER):
        match = pattern.match(reference)
        if match:
            return match.group(1)
    return None


def lambda_invoke_request(parameters: JSON) -> tuple[str | None, JSON]:
    """(function name, payload) from an optimized ``lambda:invoke`` Task's parameters."""
    if not isinstance(parameters, dict):
        return None, None
    name = parameters.get("FunctionName")
    payload = parameters.get("Payload", {})
    return (function_name(name) if isinstance(name, str) else None), payload


def lambda_invoke_result(payload: JSON) -> JSON:
    """The result of ``arn:aws:states:::lambda:invoke`` as Step Functions returns it."""
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {"HttpHeaders": {"Content-Type": "application/json"}, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": "00000000-0000-0000-0000-000000000000"},
        "StatusCode": 200,
    }


def lambda_error(exc: BaseException) -> tuple[str, str]:
    """(Error, Cause) as Lambda reports a Python handler's exception."""
    error_type = type(exc).__name__
    # Lambda's stack trace shows the function's frames, not the runtime's: drop heaviside's own.
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith(_PACKAGE_DIR)]
    document: dict[str, Any] = {
        "errorMessage": str(exc),
        "errorType": error_type,
        "requestId": "",
        "stackTrace": [line for line in traceback.format_list(frames)],
    }
    return error_type, json.dumps(document, ensure_ascii=False)
