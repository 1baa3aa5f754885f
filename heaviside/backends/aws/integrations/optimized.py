"""The optimized integrations heaviside runs inline: DynamoDB items, SQS, SNS, EventBridge.

Parameters are the API's (PascalCase, DynamoDB values in their typed ``{"S": ...}`` form) and
go to boto3 as they are, but for what Step Functions does to them: an SQS ``MessageBody``, an SNS
``Message`` or an EventBridge entry's ``Detail`` that is not a string is sent as compact JSON
text, and each EventBridge entry gets the state machine and execution ARNs appended to its
``Resources``. The result is the API response with ``SdkHttpMetadata`` and
``SdkResponseMetadata`` (EventBridge: without); an EventBridge response with failed entries
fails the Task with ``EventBridge.FailedEntry``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from heaviside.backends.aws.integrations.errors import optimized_error

#: Optimized action -> (boto3 service, boto3 method)
ACTIONS: Final = {
    "dynamodb:getItem": ("dynamodb", "get_item"), "dynamodb:putItem": ("dynamodb", "put_item"),
    "dynamodb:updateItem": ("dynamodb", "update_item"), "dynamodb:deleteItem": ("dynamodb", "delete_item"),
    "sqs:sendMessage": ("sqs", "send_message"), "sns:publish": ("sns", "publish"),
    "events:putEvents": ("events", "put_events"),
}
FAILED_ENTRY: Final = "EventBridge.FailedEntry"


class IntegrationFailed(Exception):
    """The Task fails with ``error`` and ``cause``."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


def _text(value: Any) -> Any:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def prepare(api: str, parameters: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The boto3 arguments of ``api`` from the Task's parameters (see the module docstring)."""
    arguments = dict(parameters)
    if api == "sqs:sendMessage" and "MessageBody" in arguments:
        arguments["MessageBody"] = _text(arguments["MessageBody"])
    elif api == "sns:publish" and "Message" in arguments:
        arguments["Message"] = _text(arguments["Message"])
    elif api == "events:putEvents" and isinstance(arguments.get("Entries"), list):
        owners = [str((context.get(part) or {}).get("Id", "")) for part in ("StateMachine", "Execution")]
        arguments["Entries"] = [
            {**entry, **({"Detail": _text(entry["Detail"])} if "Detail" in entry else {}),
             "Resources": [*(entry.get("Resources") or []), *(arn for arn in owners if arn)]}
            if isinstance(entry, dict) else entry
            for entry in arguments["Entries"]]
    return arguments


def sdk_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` as the Java SDK v1 reports them."""
    metadata = response.get("ResponseMetadata") or {}
    headers = {str(name): str(value) for name, value in (metadata.get("HTTPHeaders") or {}).items()}
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": {name: [value] for name, value in headers.items()},
                            "HttpHeaders": headers, "HttpStatusCode": int(metadata.get("HTTPStatusCode") or 200)},
        "SdkResponseMetadata": {"RequestId": str(metadata.get("RequestId") or "")},
    }


def call(api: str, parameters: Any, context: Mapping[str, Any], client_for: Any) -> Any:
    """Run the optimized integration ``api`` (``dynamodb:putItem``...); its Task result, or
    :class:`IntegrationFailed`."""
    service, method = ACTIONS[api]
    client = client_for(service)
    if not isinstance(parameters, dict):
        raise IntegrationFailed(*optimized_error(service, client, ValueError(
            f"the parameters of {api} must be an object, not {type(parameters).__name__}")))
    try:
        response = getattr(client, method)(**prepare(api, parameters, context))
    except Exception as exc:  # every service or client failure is the Task's failure
        raise IntegrationFailed(*optimized_error(service, client, exc)) from None
    result = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    if api == "events:putEvents":
        if result.get("FailedEntryCount"):
            raise IntegrationFailed(FAILED_ENTRY, json.dumps(result, separators=(",", ":"), default=str))
        return result
    return {**result, **sdk_metadata(response)}
