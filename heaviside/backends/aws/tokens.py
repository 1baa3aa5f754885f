"""Task tokens in DynamoDB: the :class:`~heaviside.runtime.ports.TokenStore` of callback Tasks.

One item per token in the execution's partition: ``token#<key>`` (``key``: a digest of the
token's secret, see :mod:`heaviside.runtime.tokens`) with the task envelope that issued it
(JSON, to S3 when too large for an item), ``waiting``, ``started`` and ``lastBeat`` (epoch
seconds) and, once closed, the ``outcome``. Closing is a conditional update on ``waiting``, so
one outcome wins; heartbeats update ``lastBeat`` only while the token waits.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from heaviside.backends.aws._clients import TableStore, is_condition_failed, load_text, put_if_absent, store_text
from heaviside.engine.io import compact_json
from heaviside.runtime.ports import TokenRecord

TOKEN_PREFIX = "token#"


class DynamoTokenStore(TableStore):
    """Task tokens on one DynamoDB table (see the module docstring)."""

    def _key(self, execution_arn: str, key: str) -> dict[str, Any]:
        return {"pk": {"S": execution_arn}, "sk": {"S": TOKEN_PREFIX + key}}

    def open(self, execution_arn: str, key: str, envelope: dict[str, Any], started: float) -> None:
        item = {**self._key(execution_arn, key), "waiting": {"BOOL": True},
                "started": {"N": f"{started:.3f}"}, "lastBeat": {"N": f"{started:.3f}"},
                **store_text(self.payloads, compact_json(envelope), f"tokens/{key}.json", "envelope"),
                **self.retention.while_running()}
        put_if_absent(self.client, self.table, item)  # a repeated delivery keeps the first

    def get(self, execution_arn: str, key: str) -> TokenRecord | None:
        response = self.client.get_item(TableName=self.table, Key=self._key(execution_arn, key), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            return None
        outcome = item.get("outcome", {}).get("S")
        return TokenRecord(envelope=json.loads(load_text(self.payloads, item, "envelope")),
                           waiting=bool(item["waiting"]["BOOL"]), started=float(item["started"]["N"]),
                           last_beat=float(item["lastBeat"]["N"]),
                           outcome=None if outcome is None else json.loads(outcome))

    def close(self, execution_arn: str, key: str, outcome: dict[str, Any]) -> bool:
        return self._update(execution_arn, key, "SET waiting = :false, outcome = :outcome",
                            {":false": {"BOOL": False}, ":outcome": {"S": compact_json(outcome)}})

    def beat(self, execution_arn: str, key: str, at: float) -> bool:
        return self._update(execution_arn, key, "SET lastBeat = :at", {":at": {"N": f"{at:.3f}"}})

    def _update(self, execution_arn: str, key: str, expression: str, values: dict[str, Any]) -> bool:
        try:
            self.client.update_item(TableName=self.table, Key=self._key(execution_arn, key),
                                    UpdateExpression=expression, ConditionExpression="waiting = :true",
                                    ExpressionAttributeValues={":true": {"BOOL": True}, **values})
        except ClientError as exc:
            if not is_condition_failed(exc):
                raise
            return False
        return True


class StoredCallbacks:
    """``SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` for executions of one runtime."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def succeed(self, token: str, output: Any) -> None:
        self.driver.answer(token, {"output": output})

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        self.driver.answer(token, {"error": error or "", "cause": cause})

    def heartbeat(self, token: str) -> None:
        self.driver.heartbeat(token)
