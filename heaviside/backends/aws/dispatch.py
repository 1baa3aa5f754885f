"""Lambda and SQS as the driver's :class:`Dispatcher`: the next task, delayed resumes, dead letters.

A task's envelope goes to its Lambda function as an asynchronous invocation
(``InvocationType=Event``), the function's name first resolved through the deployment's
:class:`~heaviside.runtime.function_policy.FunctionPolicy` (``HEAVISIDE_FUNCTIONS``); a resume
envelope goes to the wait queue with ``DelaySeconds``; an event that can never be carried out
goes to the dead-letter queue with its reason (a body too big for SQS is kept in S3 and the
message points to it).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Final

from heaviside.backends.aws._clients import default_client
from heaviside.runtime.envelope import PayloadStore
from heaviside.runtime.function_policy import FunctionPolicy

log = logging.getLogger("heaviside.dispatch")
#: Dead-letter bodies above this many bytes go to S3 (SQS takes 256 KiB with the attributes).
MAX_DEAD_LETTER_BODY: Final = 200 * 1024


class LambdaSqsDispatcher:
    """Invokes task Lambdas asynchronously and sends resume envelopes to the wait queue."""

    def __init__(self, queue_url: str, *, lambda_client: Any = None, sqs_client: Any = None,
                 functions: FunctionPolicy | None = None, dlq_url: str | None = None,
                 payloads: PayloadStore | None = None) -> None:
        self.queue_url = queue_url
        self.policy = functions if functions is not None else FunctionPolicy()
        self.dlq_url = dlq_url
        self.payloads = payloads
        self._lambda = lambda_client
        self._sqs = sqs_client

    @property
    def lambda_client(self) -> Any:
        if self._lambda is None:
            self._lambda = default_client("lambda")
        return self._lambda

    @property
    def sqs_client(self) -> Any:
        if self._sqs is None:
            self._sqs = default_client("sqs")
        return self._sqs

    def invoke(self, function: str, event: dict[str, Any]) -> None:
        self.lambda_client.invoke(FunctionName=self.policy.resolve(function), InvocationType="Event",
                                  Payload=json.dumps(event, separators=(",", ":")).encode("utf-8"))

    def schedule(self, event: dict[str, Any], delay_seconds: int) -> None:
        self.sqs_client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(event, separators=(",", ":")),
                                     DelaySeconds=delay_seconds)

    def dead_letter(self, event: Any, reason: str) -> None:
        """Send ``event`` to the dead-letter queue with ``reason`` (only logged when there is none)."""
        if self.dlq_url is None:
            log.error("no dead-letter queue configured (HEAVISIDE_DLQ_URL): the rejected event is dropped")
            return
        body = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        data = body.encode("utf-8")
        if len(data) > MAX_DEAD_LETTER_BODY and self.payloads is not None:
            ref = self.payloads.put(f"rejected/{uuid.uuid4().hex}.json", data)
            body = json.dumps({"rejected": ref, "bytes": len(data)})
        elif len(data) > MAX_DEAD_LETTER_BODY:
            body = json.dumps({"rejected": "(too big for the queue and no payload store)",
                               "start": body[:10_000]})
        self.sqs_client.send_message(QueueUrl=self.dlq_url, MessageBody=body, MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1000] or "(none)"},
        })
