"""Fixtures for the AWS adapter tests: a moto server on loopback, talked to over real HTTP."""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.server import ThreadedMotoServer

from heaviside.backends.aws import definitions

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server in a thread of this process, serving HTTP on a free loopback port."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> str:
    """Fake credentials and region, and ``AWS_ENDPOINT_URL`` pointing every default client at moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def s3_client(aws_env: str) -> Any:
    """An S3 client talking to the moto server over HTTP."""
    return boto3.client("s3", endpoint_url=aws_env, region_name=REGION)


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """A fresh, uniquely named bucket for one test."""
    name = f"heaviside-test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_calls(s3_client: Any) -> Counter[str]:
    """Counts the S3 operations ``s3_client`` performs, by operation name (``PutObject``...)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    s3_client.meta.events.register("before-call.s3", count)
    return calls


@pytest.fixture(autouse=True)
def cold_definition_cache() -> Iterator[None]:
    """Every test starts (and leaves) with a cold per-process definition cache."""
    definitions.clear_cache()
    yield
    definitions.clear_cache()
