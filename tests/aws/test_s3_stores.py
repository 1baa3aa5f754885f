"""The S3 definition and payload stores against moto over HTTP."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from typing import Any

import pytest

from heaviside.backends.aws import definitions
from heaviside.backends.aws.definitions import (
    DefinitionIntegrityError,
    DefinitionNotFound,
    S3DefinitionStore,
)
from heaviside.backends.aws.payloads import PayloadError, PayloadNotFound, S3PayloadStore
from heaviside.definition.compiler import canonical_json
from heaviside.definition.loader import load_definition
from heaviside.errors import DefinitionError


def machine() -> dict[str, Any]:
    """A small valid definition, unique per call (so no test shares a hash with another)."""
    return {
        "Comment": f"test {uuid.uuid4()}",
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "Next": "B"}, "B": {"Type": "Succeed"}},
    }


@pytest.fixture
def store(s3_client: Any, bucket: str) -> S3DefinitionStore:
    return S3DefinitionStore(bucket, client=s3_client)


@pytest.fixture
def payloads(s3_client: Any, bucket: str) -> S3PayloadStore:
    return S3PayloadStore(bucket, client=s3_client)


# ---- definitions -----------------------------------------------------------------------------


def test_put_get_round_trip(store: S3DefinitionStore, s3_client: Any, bucket: str) -> None:
    source = machine()
    content_hash = store.put(source)
    definitions.clear_cache()  # a cold container: the get must read S3
    loaded = store.get(content_hash)
    assert loaded.source == source
    assert loaded.content_hash == content_hash
    assert loaded.machine.start_at == "A"
    head = s3_client.head_object(Bucket=bucket, Key=f"definitions/{content_hash}.json")
    assert head["ContentType"] == "application/json"
    body = s3_client.get_object(Bucket=bucket, Key=f"definitions/{content_hash}.json")["Body"].read()
    assert body.decode() == canonical_json(source)


def test_content_hash_is_the_loader_hash(store: S3DefinitionStore) -> None:
    source = machine()
    content_hash = store.put(source)
    assert content_hash == load_definition(source).content_hash
    assert content_hash == hashlib.sha256(canonical_json(source).encode()).hexdigest()


def test_hash_ignores_key_order(store: S3DefinitionStore) -> None:
    source = machine()
    reordered = dict(reversed(list(source.items())))
    assert store.put(source) == store.put(reordered)


def test_second_put_does_not_rewrite(store: S3DefinitionStore, s3_calls: Counter[str]) -> None:
    source = machine()
    first = store.put(source)
    assert s3_calls["PutObject"] == 1
    definitions.clear_cache()
    assert store.put(source) == first
    assert s3_calls["PutObject"] == 1
    assert s3_calls["HeadObject"] == 2


def test_put_with_a_lost_race_succeeds(store: S3DefinitionStore, s3_client: Any, bucket: str) -> None:
    # Another writer stores the object between our HeadObject and our conditional PutObject.
    source = machine()
    content_hash = load_definition(source).content_hash
    key = f"definitions/{content_hash}.json"

    def sneak_in(**_: Any) -> None:
        s3_client.meta.events.unregister("after-call.s3.HeadObject", sneak_in)
        s3_client.put_object(Bucket=bucket, Key=key, Body=canonical_json(source).encode())

    s3_client.meta.events.register("after-call.s3.HeadObject", sneak_in)
    assert store.put(source) == content_hash
    definitions.clear_cache()
    assert store.get(content_hash).source == source


def test_warm_get_makes_no_s3_call(store: S3DefinitionStore, s3_calls: Counter[str]) -> None:
    content_hash = store.put(machine())
    definitions.clear_cache()
    cold = store.get(content_hash)
    assert s3_calls["GetObject"] == 1
    s3_calls.clear()
    warm = store.get(content_hash)
    assert warm is cold
    assert sum(s3_calls.values()) == 0


def test_get_after_put_is_warm(store: S3DefinitionStore, s3_calls: Counter[str]) -> None:
    content_hash = store.put(machine())
    s3_calls.clear()
    assert store.get(content_hash).content_hash == content_hash
    assert sum(s3_calls.values()) == 0


def test_cache_is_shared_by_stores_of_the_process(store: S3DefinitionStore, s3_client: Any, bucket: str) -> None:
    content_hash = store.put(machine())
    calls: Counter[str] = Counter()
    other = S3DefinitionStore(bucket, client=s3_client)
    s3_client.meta.events.register("before-call.s3", lambda model, **_: calls.update([model.name]))
    other.get(content_hash)
    assert sum(calls.values()) == 0


def test_tampered_object_is_a_clear_error(store: S3DefinitionStore, s3_client: Any, bucket: str) -> None:
    content_hash = store.put(machine())
    definitions.clear_cache()
    s3_client.put_object(Bucket=bucket, Key=f"definitions/{content_hash}.json", Body=canonical_json(machine()))
    with pytest.raises(DefinitionIntegrityError, match=f"definition {content_hash} at s3://{bucket}/.* corrupt"):
        store.get(content_hash)


def test_garbage_object_is_a_clear_error(store: S3DefinitionStore, s3_client: Any, bucket: str) -> None:
    content_hash = "0" * 64
    s3_client.put_object(Bucket=bucket, Key=f"definitions/{content_hash}.json", Body=b"\xff not json")
    with pytest.raises(DefinitionIntegrityError, match="not JSON"):
        store.get(content_hash)


def test_pretty_printed_upload_of_the_same_document_is_accepted(
    store: S3DefinitionStore, s3_client: Any, bucket: str
) -> None:
    source = machine()
    content_hash = load_definition(source).content_hash
    s3_client.put_object(Bucket=bucket, Key=f"definitions/{content_hash}.json", Body=json.dumps(source, indent=2))
    assert store.get(content_hash).source == source


def test_missing_hash_is_definition_not_found(store: S3DefinitionStore, bucket: str) -> None:
    missing = hashlib.sha256(b"nothing").hexdigest()
    with pytest.raises(DefinitionNotFound, match=f"definition {missing} not found at s3://{bucket}/") as info:
        store.get(missing)
    assert info.value.content_hash == missing


def test_malformed_hash_is_rejected_without_s3(store: S3DefinitionStore, s3_calls: Counter[str]) -> None:
    with pytest.raises(ValueError, match="not a definition content hash"):
        store.get("../secret")
    assert sum(s3_calls.values()) == 0


def test_invalid_definition_fails_before_any_s3_call(
    store: S3DefinitionStore, s3_calls: Counter[str], s3_client: Any, bucket: str
) -> None:
    with pytest.raises(DefinitionError, match="/States/A"):
        store.put({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
    assert sum(s3_calls.values()) == 0
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_custom_prefix(s3_client: Any, bucket: str) -> None:
    store = S3DefinitionStore(bucket, client=s3_client, prefix="sm/v1/")
    content_hash = store.put(machine())
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"sm/v1/{content_hash}.json"]


def test_default_client_comes_from_the_environment(aws_env: str, bucket: str) -> None:
    store = S3DefinitionStore(bucket)  # boto3.client("s3") honouring AWS_ENDPOINT_URL
    content_hash = store.put(machine())
    definitions.clear_cache()
    assert store.get(content_hash).content_hash == content_hash


# ---- payloads --------------------------------------------------------------------------------


def test_payload_round_trip(payloads: S3PayloadStore, bucket: str) -> None:
    ref = payloads.put("exec-1/input-abc.json", b'{"a": 1}')
    assert ref == f"s3://{bucket}/payloads/exec-1/input-abc.json"
    assert payloads.get(ref) == b'{"a": 1}'


def test_large_payload_round_trip(payloads: S3PayloadStore) -> None:
    data = bytes(range(256)) * (300 * 4)  # 300 KiB, every byte value
    assert len(data) == 300 * 1024
    assert payloads.get(payloads.put("big.bin", data)) == data


@pytest.mark.parametrize("ref", ["", "payloads/x", "s3://", "s3://bucket", "s3://bucket/", "s3:///key", "http://b/k"])
def test_malformed_ref_is_a_clear_error(payloads: S3PayloadStore, s3_calls: Counter[str], ref: str) -> None:
    with pytest.raises(PayloadError, match="malformed payload reference"):
        payloads.get(ref)
    assert sum(s3_calls.values()) == 0


def test_missing_payload_is_a_clear_error(payloads: S3PayloadStore, bucket: str) -> None:
    ref = f"s3://{bucket}/payloads/gone.json"
    with pytest.raises(PayloadNotFound, match=f"payload {ref} not found"):
        payloads.get(ref)


def test_empty_payload_key_is_rejected(payloads: S3PayloadStore) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        payloads.put("", b"x")


# ---- packaging -------------------------------------------------------------------------------


def test_package_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, heaviside.backends.aws\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
