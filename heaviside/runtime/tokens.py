"""Task tokens of stored executions (AWS, the emulator, the in-memory cloud).

A token is ``hv1.<execution ARN, base64url>.<secret>``: the execution part tells where the
token lives (its DynamoDB partition), the secret (256 bits from the operating system's CSPRNG)
makes it unguessable. Only a digest of the secret is stored, as the token's key, so reading
the table does not give anyone a token that would be accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from heaviside.callbacks import STORED_TOKEN_PREFIX, InvalidToken


def issue_token(execution_arn: str) -> str:
    arn = base64.urlsafe_b64encode(execution_arn.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{STORED_TOKEN_PREFIX}{arn}.{secrets.token_urlsafe(32)}"


def token_key(secret: str) -> str:
    """The stored key of a token's secret part."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:40]


def parse_token(token: str) -> tuple[str, str]:
    """(execution ARN, key) of a stored execution's token; :class:`InvalidToken` if it is not one."""
    if not isinstance(token, str) or not token.startswith(STORED_TOKEN_PREFIX):
        raise InvalidToken("Invalid Token: not a heaviside task token")
    parts = token[len(STORED_TOKEN_PREFIX):].split(".")
    if len(parts) != 2 or not parts[0] or len(parts[1]) < 43:
        raise InvalidToken("Invalid Token: malformed task token")
    try:
        arn = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidToken("Invalid Token: malformed task token") from None
    if not arn.startswith("arn:") or ":execution:" not in arn:
        raise InvalidToken("Invalid Token: malformed task token")
    return arn, token_key(parts[1])
