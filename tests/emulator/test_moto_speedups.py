"""The emulator's faster moto Query answers exactly as moto's own: one partition, in order, paged."""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped]

from heaviside.emulator.server import Emulator


def test_a_query_sees_only_its_partition_in_order_and_pages_through_it() -> None:
    with Emulator() as emulator:
        dynamodb = boto3.client("dynamodb", endpoint_url=emulator.endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        dynamodb.create_table(TableName="speedups", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}])
        for pk in ("a", "b", "c"):
            for sk in ("r#3", "r#1", "x#9", "r#2"):
                dynamodb.put_item(TableName="speedups", Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": pk + sk}})

        def query(**extra: Any) -> dict[str, Any]:
            return dict(dynamodb.query(TableName="speedups", KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
                                       ExpressionAttributeValues={":pk": {"S": "b"}, ":r": {"S": "r#"}}, **extra))

        assert [item["v"]["S"] for item in query()["Items"]] == ["br#1", "br#2", "br#3"]
        assert [item["v"]["S"] for item in query(ScanIndexForward=False)["Items"]] == ["br#3", "br#2", "br#1"]
        first = query(Limit=2)
        assert [item["v"]["S"] for item in first["Items"]] == ["br#1", "br#2"]
        rest = query(Limit=2, ExclusiveStartKey=first["LastEvaluatedKey"])
        assert [item["v"]["S"] for item in rest["Items"]] == ["br#3"]
        missing = dynamodb.query(TableName="speedups", KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": "zzz"}})
        assert missing["Items"] == [] and missing["Count"] == 0
