"""How Step Functions names a failed service call, for Retry and Catch to match.

Optimized integrations are backed by the AWS Java SDK v1: the error is ``<Prefix>.<Class>``
with a fixed prefix per service (``DynamoDB``, ``SQS``, ``SNS``, ``EventBridge``, ``Lambda``,
``StepFunctions``); ``<Class>`` is the error code with ``Exception`` appended when the service
model declares that error, else the SDK's base exception (``DynamoDB.AmazonDynamoDBException``
for a ``ValidationException``). The cause is v1's message:
``<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)``.

The aws-sdk integration is backed by the Java SDK v2: ``<Prefix>.<Class>`` where the prefix is
the service's PascalCase name (``DynamoDb``, ``S3``, ``Sfn``), ``<Class>`` the declared error's
name with ``Fault`` → ``Exception`` or ``Exception`` appended, else ``<Prefix>Exception``; the
cause is ``<message> (Service: <Prefix>, Status Code: <status>, Request ID: <id>)``.

A call that never reached the service (no connection) is ``<Prefix>.SdkClientException``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
)

#: boto3 service -> (v1 error prefix, v1 service name in causes, v1 base exception)
OPTIMIZED_PREFIXES: Final = {
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "sqs": ("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": ("SNS", "AmazonSNS", "AmazonSNSException"),
    "events": ("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "lambda": ("Lambda", "AWSLambda", "AWSLambdaException"),
    "stepfunctions": ("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
}
_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def pascal(text: str) -> str:
    """The Java SDK v2's PascalCase of a name: acronyms fold (``DynamoDB`` → ``DynamoDb``, ``SFN`` → ``Sfn``)."""
    return "".join(word[0].upper() + word[1:].lower() for word in _WORDS.findall(text))


#: SQS's query-protocol error codes (what its JSON protocol still reports in ``x-amzn-query-error``)
#: for the error shapes they stand for; newer botocore models no longer carry these aliases.
QUERY_CODES: Final = {
    "AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist",
    "AWS.SimpleQueueService.QueueDeletedRecently": "QueueDeletedRecently",
    "AWS.SimpleQueueService.PurgeQueueInProgress": "PurgeQueueInProgress",
    "QueueAlreadyExists": "QueueNameExists",
}


def declared_error(client: Any, code: str) -> str | None:
    """The name of the error shape ``code`` is in the client's service model (query-protocol
    aliases included), or None when the model does not declare it."""
    model = client.meta.service_model
    code = QUERY_CODES.get(code, code)
    for shape in model.error_shapes:
        alias = (shape.metadata.get("error") or {}).get("code")
        if code in (shape.name, alias):
            return str(shape.name)
    return None


def _details(exc: ClientError) -> tuple[str, str, int, str]:
    error = exc.response.get("Error") or {}
    metadata = exc.response.get("ResponseMetadata") or {}
    return (str(error.get("Code") or "Unknown"), str(error.get("Message") or exc),
            int(metadata.get("HTTPStatusCode") or 0), str(metadata.get("RequestId") or ""))


def optimized_error(service: str, client: Any, exc: Exception) -> tuple[str, str]:
    """(Error, Cause) of a failed optimized integration call to ``service`` (a boto3 name)."""
    prefix, v1_name, base = OPTIMIZED_PREFIXES[service]
    if isinstance(exc, ClientError):
        code, message, status, request_id = _details(exc)
        declared = declared_error(client, code)
        name = base if declared is None else (declared if declared.endswith("Exception") else declared + "Exception")
        cause = (f"{message} (Service: {v1_name}; Status Code: {status}; Error Code: {code}; "
                 f"Request ID: {request_id}; Proxy: null)")
        return f"{prefix}.{name}", cause
    if isinstance(exc, ParamValidationError):  # the service would have refused it: its validation error
        return f"{prefix}.{base}", (f"{exc} (Service: {v1_name}; Status Code: 400; Error Code: ValidationException; "
                                    "Request ID: ; Proxy: null)")
    return f"{prefix}.SdkClientException", _client_side(exc)


def sdk_error(prefix: str, client: Any, exc: Exception) -> tuple[str, str]:
    """(Error, Cause) of a failed aws-sdk integration call; ``prefix`` is the service's PascalCase name."""
    if isinstance(exc, ClientError):
        code, message, status, request_id = _details(exc)
        declared = declared_error(client, code)
        if declared is None:
            name = prefix + "Exception"
        else:
            shape = pascal(declared)
            name = shape[: -len("Fault")] + "Exception" if shape.endswith("Fault") else (
                shape if shape.endswith("Exception") else shape + "Exception")
        return f"{prefix}.{name}", f"{message} (Service: {prefix}, Status Code: {status}, Request ID: {request_id})"
    if isinstance(exc, ParamValidationError):
        return f"{prefix}.{prefix}Exception", f"{exc} (Service: {prefix}, Status Code: 400, Request ID: )"
    return f"{prefix}.SdkClientException", _client_side(exc)


def _client_side(exc: Exception) -> str:
    if isinstance(exc, EndpointConnectionError):
        return f"Unable to execute HTTP request: {exc}"
    if isinstance(exc, BotoCoreError):
        return f"Unable to execute HTTP request: {exc}"
    return f"{type(exc).__name__}: {exc}"
