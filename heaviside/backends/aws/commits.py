"""Commits (history events + outbox actions) in DynamoDB: the driver's :class:`CommitLog` port.

Items live in the execution table beside the execution record, under the execution ARN:

* ``sk = "commit#<effect id>"``: ``body`` (JSON text ``{"events": [[time, type, name, payload], ...],
  "actions": [...]}``, or ``bodyRef`` to an S3 object when it would not fit in an item),
  ``order`` (the writer's wall clock in ns: history order across branches) and ``sent``;
* ``sk = "claim#<effect id>"``: who runs a task now (``owner``: the Lambda request id) and until
  when (``leaseUntil``), so that two deliveries of one envelope at once do not both run it.

Writing a commit is one conditional ``PutItem`` (``attribute_not_exists``); the loser of a race
gets the winner's item back from the failed condition. :meth:`DynamoCommitLog.precheck` is one
``BatchGetItem`` for the commit, the execution record and the enclosing joins.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from heaviside.backends.aws._clients import TableStore, is_condition_failed, load_text, store_text
from heaviside.backends.aws.executions import RECORD_SK
from heaviside.engine.io import compact_json
from heaviside.runtime.execution import RUNNING
from heaviside.runtime.ports import Action, Commit, Precheck, TimedEvent

COMMIT_PREFIX: Final = "commit#"
CLAIM_PREFIX: Final = "claim#"
JOIN_PREFIX: Final = "join#"


def commit_sk(commit_id: str) -> str:
    return COMMIT_PREFIX + commit_id


def join_sk(join_id: str) -> str:
    return JOIN_PREFIX + join_id


class DynamoCommitLog(TableStore):
    """The :class:`~heaviside.runtime.ports.CommitLog` on one DynamoDB table (see the module docstring)."""

    def commit(self, execution_arn: str, commit_id: str, events: Sequence[TimedEvent],
               actions: list[Action]) -> Commit | None:
        body = compact_json({
            "events": [[moment.isoformat(), *event] for moment, event in events],
            "actions": actions,
        })
        key = f"commits/{commit_id.replace('/', '_')}-{time.time_ns()}.json"
        item = {
            "pk": {"S": execution_arn},
            "sk": {"S": commit_sk(commit_id)},
            "order": {"N": str(time.time_ns())},
            "sent": {"BOOL": False},
            **store_text(self.payloads, body, key, "body"),
            **self.retention.while_running(),
        }
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)",
                                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not is_condition_failed(exc):
                raise
            existing = exc.response.get("Item") or self._get(execution_arn, commit_sk(commit_id))
            return self._commit_of(commit_id, existing)
        return None

    def mark_sent(self, execution_arn: str, commit_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": execution_arn}, "sk": {"S": commit_sk(commit_id)}},
            UpdateExpression="SET sent = :true",
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )

    def precheck(self, execution_arn: str, commit_id: str, join_ids: Sequence[str]) -> Precheck:
        keys = [commit_sk(commit_id), RECORD_SK, *(join_sk(join_id) for join_id in join_ids)]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self.table: {
            "Keys": [{"pk": {"S": execution_arn}, "sk": {"S": sk}} for sk in keys],
            "ConsistentRead": True,
            "ProjectionExpression": "sk, body, bodyRef, sent, #status, ended",
            "ExpressionAttributeNames": {"#status": "status"},
        }}
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self.table, []):
                found[item["sk"]["S"]] = item
            request = response.get("UnprocessedKeys") or {}
        stored = found.get(commit_sk(commit_id))
        commit = None if stored is None else self._commit_of(commit_id, stored)
        record = found.get(RECORD_SK)
        running = record is not None and record.get("status", {}).get("S") == RUNNING
        aborted = any(found.get(join_sk(join_id), {}).get("ended", {}).get("BOOL", False) for join_id in join_ids)
        return Precheck(commit, running, aborted)

    def claim(self, execution_arn: str, commit_id: str, owner: str, lease_until: float) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={"pk": {"S": execution_arn}, "sk": {"S": CLAIM_PREFIX + commit_id}, "owner": {"S": owner},
                      "leaseUntil": {"N": f"{lease_until:.3f}"}, **self.retention.while_running()},
                ConditionExpression="attribute_not_exists(pk) OR #owner = :owner OR leaseUntil < :now",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}, ":now": {"N": f"{time.time():.3f}"}},
            )
        except ClientError as exc:
            if not is_condition_failed(exc):
                raise
            return False
        return True

    def events(self, execution_arn: str) -> list[TimedEvent]:
        """Every committed event, commits in write order (events within a commit in their order)."""
        items = query_all(self.client, self.table, execution_arn, COMMIT_PREFIX)
        items.sort(key=lambda item: int(item["order"]["N"]))
        timed: list[TimedEvent] = []
        for item in items:
            for moment, kind, name, payload in json.loads(load_text(self.payloads, item, "body"))["events"]:
                timed.append((datetime.fromisoformat(moment), (kind, name, payload)))
        return timed

    def _get(self, execution_arn: str, sk: str) -> dict[str, Any]:
        response = self.client.get_item(TableName=self.table, Key={"pk": {"S": execution_arn}, "sk": {"S": sk}},
                                        ConsistentRead=True)
        item: dict[str, Any] = response["Item"]
        return item

    def _commit_of(self, commit_id: str, item: dict[str, Any]) -> Commit:
        actions: list[Action] = json.loads(load_text(self.payloads, item, "body"))["actions"]
        return Commit(commit_id, actions, bool(item.get("sent", {}).get("BOOL", False)))


def query_all(client: Any, table: str, execution_arn: str, prefix: str) -> list[dict[str, Any]]:
    """Every item of the execution whose sort key starts with ``prefix`` (all pages)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": execution_arn}, ":prefix": {"S": prefix}},
        "ConsistentRead": True,
    }
    while True:
        response = client.query(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
