"""Oversized envelope values in S3: the envelope carries an ``s3://bucket/key`` reference instead.

:class:`S3PayloadStore` implements the runtime's payload store protocol (``put(key, data) -> ref``,
``get(ref) -> bytes``) that :mod:`heaviside.runtime.envelope` uses for values over its
inline threshold.
"""

from __future__ import annotations

from typing import Any, Final

from heaviside.backends.aws._clients import ClientHolder, is_not_found

SCHEME: Final = "s3://"


class PayloadError(ValueError):
    """A payload reference that cannot be read: malformed, or naming an object that is not there."""


class PayloadNotFound(PayloadError, LookupError):
    """A well-formed reference to an object that does not exist (expired by a lifecycle rule?)."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"payload {ref} not found")


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; anything else is a :class:`PayloadError`."""
    if not isinstance(ref, str) or not ref.startswith(SCHEME):
        raise PayloadError(f"malformed payload reference {ref!r}: expected 's3://bucket/key'")
    bucket, _, key = ref[len(SCHEME) :].partition("/")
    if not bucket or not key:
        raise PayloadError(f"malformed payload reference {ref!r}: expected 's3://bucket/key'")
    return bucket, key


class S3PayloadStore(ClientHolder):
    """Payload bytes stored at ``<prefix><key>`` in one bucket.

    ``client`` is a boto3 S3 client (injected by tests or callers with their own
    configuration); by default one is built from the environment.
    """

    def __init__(self, bucket: str, *, client: Any = None, prefix: str = "payloads/") -> None:
        self.service = "s3"
        self.bucket = bucket
        self.prefix = prefix
        self._client = client


    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` at ``prefix + key``; return its reference ``s3://bucket/prefix+key``."""
        if not key:
            raise ValueError("a payload key must not be empty")
        object_key = f"{self.prefix}{key}"
        self.client.put_object(Bucket=self.bucket, Key=object_key, Body=data)
        return f"{SCHEME}{self.bucket}/{object_key}"

    def get(self, ref: str) -> bytes:
        """The bytes a reference made by :meth:`put` names.

        A malformed reference raises :class:`PayloadError`, a missing object
        :class:`PayloadNotFound` (a subclass).
        """
        bucket, key = parse_ref(ref)
        if bucket != self.bucket or not key.startswith(self.prefix) or "/../" in f"/{key}/":
            raise PayloadError(f"payload reference {ref!r} is outside s3://{self.bucket}/{self.prefix}")
        try:
            response = self.client.get_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if is_not_found(exc):
                raise PayloadNotFound(ref) from None
            raise
        data: bytes = response["Body"].read()
        return data
