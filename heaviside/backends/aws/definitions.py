"""Content-addressed state machine definitions in S3, compiled once per container.

A definition is stored as its canonical JSON text (sorted keys, no whitespace) under
``<prefix><sha256 of that text>.json``; the hash is the definition's name everywhere else
(envelopes, execution records). Because the content never changes for a given hash, a warm
container keeps the compiled :class:`~heaviside.definition.model.Definition` in a
module-level cache and never asks S3 again.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any, Final

from heaviside.backends.aws._clients import ClientHolder, error_code, is_not_found, is_precondition_failed
from heaviside.definition.compiler import canonical_json
from heaviside.definition.compiler import content_hash as definition_hash
from heaviside.definition.loader import load_definition
from heaviside.definition.model import Definition

CONTENT_TYPE: Final = "application/json"
_HASH_RE: Final = re.compile(r"[0-9a-f]{64}")

#: Compiled definitions of this process, by content hash (content-addressed, so never stale).
_CACHE: dict[str, Definition] = {}
_CACHE_LOCK = threading.Lock()


class DefinitionNotFound(LookupError):
    """No definition with this content hash is stored."""

    def __init__(self, content_hash: str, location: str = "") -> None:
        self.content_hash = content_hash
        where = f" at {location}" if location else ""
        super().__init__(f"definition {content_hash} not found{where}")


class DefinitionIntegrityError(ValueError):
    """A stored definition whose content does not match its content hash (tampered or corrupt)."""

    def __init__(self, content_hash: str, location: str, detail: str) -> None:
        self.content_hash = content_hash
        super().__init__(f"definition {content_hash} at {location} is corrupt: {detail}")


def clear_cache() -> None:
    """Forget every compiled definition of this process (tests; a cold start in effect)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _remember(definition: Definition) -> Definition:
    with _CACHE_LOCK:
        return _CACHE.setdefault(definition.content_hash, definition)


class S3DefinitionStore(ClientHolder):
    """Definitions in an S3 bucket, keyed by the SHA-256 of their canonical JSON.

    ``client`` is a boto3 S3 client (injected by tests or callers with their own
    configuration); by default one is built from the environment.
    """

    def __init__(self, bucket: str, *, client: Any = None, prefix: str = "definitions/") -> None:
        self.service = "s3"
        self.bucket = bucket
        self.prefix = prefix
        self._client = client


    def key(self, content_hash: str) -> str:
        """The object key of a definition."""
        return f"{self.prefix}{content_hash}.json"

    def location(self, content_hash: str) -> str:
        """``s3://bucket/key`` of a definition (for messages)."""
        return f"s3://{self.bucket}/{self.key(content_hash)}"

    def put(self, definition: Mapping[str, Any]) -> str:
        """Validate, compile and store ``definition``; return its content hash.

        An invalid definition raises :class:`~heaviside.errors.DefinitionError` before any S3
        call. Storing is idempotent: an object already there is not written again (checked
        with ``HeadObject``, and the write itself is conditional on the key being absent).
        """
        compiled = load_definition(definition)
        content_hash = compiled.content_hash
        if content_hash in _CACHE:
            return content_hash  # this process stored or read it already: it is in S3
        key = self.key(content_hash)
        if not self._exists(key):
            body = canonical_json(compiled.source).encode("utf-8")
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, ContentType=CONTENT_TYPE, IfNoneMatch="*"
                )
            except Exception as exc:
                if not is_precondition_failed(exc):  # a concurrent writer stored the same bytes first
                    raise
        _remember(compiled)
        return content_hash

    def get(self, content_hash: str) -> Definition:
        """The compiled definition named ``content_hash``.

        Served from the process cache when warm (no S3 call). A cold read checks that the
        downloaded text hashes to ``content_hash`` (else :class:`DefinitionIntegrityError`);
        a missing object raises :class:`DefinitionNotFound`.
        """
        cached = _CACHE.get(content_hash)
        if cached is not None:
            return cached
        if not _HASH_RE.fullmatch(content_hash):
            raise ValueError(f"not a definition content hash (64 lowercase hex digits): {content_hash!r}")
        location = self.location(content_hash)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(content_hash))
        except Exception as exc:
            if is_not_found(exc):
                raise DefinitionNotFound(content_hash, location) from None
            raise
        raw = response["Body"].read()
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DefinitionIntegrityError(content_hash, location, f"not JSON ({exc})") from None
        actual = definition_hash(document)
        if actual != content_hash:
            raise DefinitionIntegrityError(content_hash, location, f"its content hashes to {actual}")
        return _remember(load_definition(document))

    def name_key(self, state_machine: str) -> str:
        return f"state-machines/{state_machine}.json"

    def put_named(self, state_machine: str, content_hash: str) -> None:
        """Point the state machine name ``state_machine`` at a stored definition (its latest version)."""
        body = json.dumps({"definition": content_hash}).encode("utf-8")
        self.client.put_object(Bucket=self.bucket, Key=self.name_key(state_machine), Body=body,
                               ContentType=CONTENT_TYPE)

    def named(self, state_machine: str) -> str:
        """The content hash the state machine name points at (:class:`DefinitionNotFound` if none)."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.name_key(state_machine))
        except Exception as exc:
            if is_not_found(exc):
                raise DefinitionNotFound(state_machine, f"s3://{self.bucket}/{self.name_key(state_machine)}") from None
            raise
        content_hash: str = json.loads(response["Body"].read())["definition"]
        return content_hash

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if is_not_found(exc):
                return False
            if error_code(exc) in ("403", "AccessDenied"):
                return False  # no s3:ListBucket: a missing key looks forbidden; the conditional PUT decides
            raise
        return True
