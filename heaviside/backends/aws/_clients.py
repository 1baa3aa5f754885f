"""What the AWS adapters share: lazily built boto3 clients and botocore error classification."""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from heaviside.backends.aws.retention import Retention
from heaviside.runtime.envelope import PayloadStore

#: Error codes S3 answers for an object (or bucket) that does not exist.
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
#: DynamoDB's error code of a conditional write whose condition did not hold.
CONDITION_FAILED = "ConditionalCheckFailedException"
#: Error codes of a conditional write that lost (the object already exists).
PRECONDITION_CODES = frozenset({"412", "PreconditionFailed", "ConditionalRequestConflict"})


def default_client(service: str) -> Any:
    """A boto3 client from the environment (region, credentials, ``AWS_ENDPOINT_URL``)."""
    import boto3  # type: ignore[import-untyped]  # imported lazily: injected clients need no boto3 import here

    return boto3.client(service)


class ClientHolder:
    """An adapter whose boto3 client is injected, or built on first use for ``service``."""

    service: str
    _client: Any

    @property
    def client(self) -> Any:
        """The client, created on first use when none was injected."""
        if self._client is None:
            self._client = default_client(self.service)
        return self._client


class TableStore(ClientHolder):
    """A store of items on one DynamoDB table: large text may go to S3 (``payloads``), and every
    item written gets the table's TTL (``retention``)."""

    def __init__(self, table: str, *, client: Any = None, payloads: PayloadStore | None = None,
                 retention: Retention | None = None) -> None:
        self.service = "dynamodb"
        self.table = table
        self._client = client
        self.payloads = payloads
        self.retention = retention or Retention()


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``"NoSuchKey"``, ``"404"``...), else None."""
    if not isinstance(exc, ClientError):
        return None
    code = exc.response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


def is_condition_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is DynamoDB refusing a conditional write."""
    return error_code(exc) == CONDITION_FAILED


def put_if_absent(client: Any, table: str, item: dict[str, Any]) -> bool:
    """Write a DynamoDB item unless one with its key exists; True if this call wrote it."""
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if not is_condition_failed(exc):
            raise
        return False
    return True


def is_not_found(exc: BaseException) -> bool:
    """Whether ``exc`` is S3 saying the object does not exist."""
    return error_code(exc) in NOT_FOUND_CODES


def is_precondition_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is S3 refusing a conditional write because the object already exists."""
    return error_code(exc) in PRECONDITION_CODES


#: Text longer than this (UTF-8 bytes) is kept in S3 rather than in an item attribute.
INLINE_BODY_LIMIT: Final = 300 * 1024


def store_text(payloads: PayloadStore | None, text: str, key: str, attribute: str,
               limit: int = INLINE_BODY_LIMIT) -> dict[str, Any]:
    """An item attribute holding ``text``, or ``<attribute>Ref`` to S3 when it is over ``limit`` bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit or payloads is None:
        return {attribute: {"S": text}}
    return {attribute + "Ref": {"S": payloads.put(key, data)}}


def load_text(payloads: PayloadStore | None, item: dict[str, Any], attribute: str) -> str:
    """The text :func:`store_text` stored."""
    if attribute in item:
        return str(item[attribute]["S"])
    if payloads is None:
        raise ValueError(f"item {item.get('sk')} keeps {attribute} in S3 but no payload store is configured")
    return payloads.get(item[attribute + "Ref"]["S"]).decode("utf-8")
