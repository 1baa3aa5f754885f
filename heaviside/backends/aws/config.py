"""Where a deployment keeps its things: names read from the environment (or a stack's outputs).

=========================  ===============================================================
``HEAVISIDE_BUCKET``       S3 bucket for definitions and offloaded payloads
``HEAVISIDE_TABLE``        DynamoDB table for executions, history, commits and joins
``HEAVISIDE_QUEUE_URL``    SQS wait queue (Wait states, retry backoff), read by the resumer
``HEAVISIDE_DLQ_URL``      SQS dead-letter queue for poison messages (optional)
``HEAVISIDE_INVOKER``      name of the invoker function (default ``heaviside-invoker``)
``HEAVISIDE_THRESHOLD``    bytes above which values travel through S3 (default 204800)
``AWS_REGION``             region (``AWS_DEFAULT_REGION`` also read; default ``us-east-1``)
``HEAVISIDE_ACCOUNT``      account id used in execution ARNs (default ``123456789012``)
=========================  ===============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from heaviside.runtime.envelope import DEFAULT_THRESHOLD

DEFAULT_INVOKER = "heaviside-invoker"


class ConfigurationError(ValueError):
    """A required setting is missing (the message names the environment variable)."""


@dataclass(frozen=True, slots=True)
class AwsConfig:
    bucket: str
    table: str
    queue_url: str
    dlq_url: str | None = None
    invoker: str = DEFAULT_INVOKER
    region: str = "us-east-1"
    account: str = "123456789012"
    threshold: int = DEFAULT_THRESHOLD

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AwsConfig:
        env = os.environ if environ is None else environ
        missing = [name for name in ("HEAVISIDE_BUCKET", "HEAVISIDE_TABLE", "HEAVISIDE_QUEUE_URL") if not env.get(name)]
        if missing:
            raise ConfigurationError(
                f"heaviside needs {', '.join(missing)} set (the bucket, table and wait queue it runs on); "
                "`heaviside emulate` prints them for the local emulator, a SAM stack has them as outputs"
            )
        return cls(
            bucket=env["HEAVISIDE_BUCKET"],
            table=env["HEAVISIDE_TABLE"],
            queue_url=env["HEAVISIDE_QUEUE_URL"],
            dlq_url=env.get("HEAVISIDE_DLQ_URL") or None,
            invoker=env.get("HEAVISIDE_INVOKER") or DEFAULT_INVOKER,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            account=env.get("HEAVISIDE_ACCOUNT") or "123456789012",
            threshold=int(env.get("HEAVISIDE_THRESHOLD") or DEFAULT_THRESHOLD),
        )

    def environment(self) -> dict[str, str]:
        """The environment variables that reproduce this configuration."""
        env = {
            "HEAVISIDE_BUCKET": self.bucket, "HEAVISIDE_TABLE": self.table, "HEAVISIDE_QUEUE_URL": self.queue_url,
            "HEAVISIDE_INVOKER": self.invoker, "HEAVISIDE_ACCOUNT": self.account,
            "HEAVISIDE_THRESHOLD": str(self.threshold),
        }
        if self.dlq_url:
            env["HEAVISIDE_DLQ_URL"] = self.dlq_url
        return env
