"""The generic ``arn:aws:states:::aws-sdk:SERVICE:apiAction`` integration through boto3.

``SERVICE`` is the Java SDK v2's service name (``s3``, ``dynamodb``, ``sfn``, ``eventbridge``...):
boto3's client name without hyphens, but for the few listed in :data:`CLIENT_NAMES`. The action
is the operation in camelCase (``getObject`` → ``GetObject`` → ``get_object``). Parameter names are
PascalCase and are matched to the operation's members (``stateMachineArn`` for Step Functions);
map keys (attribute names, tags, metadata) are data and stay as written. A non-string value
given for a string member is sent as compact JSON; a string for a blob member as its UTF-8
bytes. The result is the response with every member name starting upper-case, no metadata,
timestamps as ISO 8601 text, a streamed body (S3 ``GetObject``) read as text and other blobs
as base64.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, Final

import botocore.session  # type: ignore[import-untyped]
from botocore import xform_name

from heaviside.backends.aws.integrations.errors import pascal, sdk_error
from heaviside.backends.aws.integrations.optimized import IntegrationFailed

#: aws-sdk service names whose boto3 client is named otherwise (the rest: boto3's name minus hyphens).
CLIENT_NAMES: Final = {
    "sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs", "databasemigration": "dms",
    "costexplorer": "ce", "costandusagereport": "cur", "applicationdiscovery": "discovery", "directory": "ds",
    "directoryservicedata": "ds-data", "elasticloadbalancing": "elb", "elasticloadbalancingv2": "elbv2",
    "elasticsearch": "es", "cognitoidentityprovider": "cognito-idp", "iotdataplane": "iot-data",
    "iotjobsdataplane": "iot-jobs-data", "lexmodelbuilding": "lex-models", "lexmodelsv2": "lexv2-models",
    "lexruntimev2": "lexv2-runtime", "marketplacemetering": "meteringmarketplace", "migrationhub": "mgh",
    "simpledb": "sdb", "serverlessapplicationrepository": "serverlessrepo",
}


@cache
def client_name(service: str) -> str | None:
    """boto3's name for the aws-sdk ``service``, or None when botocore has no such service."""
    if service in CLIENT_NAMES:
        return CLIENT_NAMES[service]
    for name in botocore.session.get_session().get_available_services():
        if name.replace("-", "") == service:
            return str(name)
    return None


def error_prefix(client: Any) -> str:
    """The service's PascalCase name in aws-sdk error names (``DynamoDb``, ``S3``, ``Sfn``)."""
    service_id = str(client.meta.service_model.service_id)
    words = service_id.removeprefix("Amazon ").removeprefix("AWS ").removesuffix(" Service")
    return pascal(words)


def _request(shape: Any, value: Any) -> Any:
    """``value`` shaped for boto3 by the operation's input ``shape`` (see the module docstring)."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        shaped = {}
        for key, item in value.items():
            member = members.get(str(key).lower(), key)
            shaped[member] = _request(shape.members.get(member), item)
        return shaped
    if kind == "list" and isinstance(value, list):
        return [_request(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _request(shape.value, item) for key, item in value.items()}
    if kind == "string" and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if kind == "blob" and not isinstance(value, bytes | bytearray):
        return (value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))).encode("utf-8")
    return value


def _result(shape: Any, value: Any) -> Any:
    """A boto3 response value as Step Functions returns it (see the module docstring)."""
    if hasattr(value, "read"):  # a streamed body
        return value.read().decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    kind = getattr(shape, "type_name", None)
    if isinstance(value, dict):
        if kind == "map":
            return {key: _result(shape.value, item) for key, item in value.items()}
        members = getattr(shape, "members", {})
        return {key[:1].upper() + key[1:]: _result(members.get(key), item) for key, item in value.items()
                if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [_result(getattr(shape, "member", None), item) for item in value]
    return value


def call(service: str, action: str, parameters: Any, client_for: Any) -> Any:
    """Run ``aws-sdk:<service>:<action>`` with ``parameters``; its Task result, or :class:`IntegrationFailed`."""
    name = client_name(service)
    if name is None:
        raise IntegrationFailed("States.Runtime", f"aws-sdk service '{service}' is not known to this SDK")
    client = client_for(name)
    prefix = error_prefix(client)
    operation = action[:1].upper() + action[1:]
    model = client.meta.service_model
    if operation not in model.operation_names:
        raise IntegrationFailed("States.Runtime", f"aws-sdk service '{service}' has no action '{action}'")
    operation_model = model.operation_model(operation)
    arguments = _request(operation_model.input_shape, parameters if parameters is not None else {})
    if not isinstance(arguments, Mapping):
        raise IntegrationFailed(f"{prefix}.{prefix}Exception", f"the parameters of {action} must be an object")
    try:
        response = getattr(client, xform_name(operation))(**arguments)
    except Exception as exc:  # every service or client failure is the Task's failure
        raise IntegrationFailed(*sdk_error(prefix, client, exc)) from None
    return _result(operation_model.output_shape, response)
