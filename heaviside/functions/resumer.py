"""The resumer Lambda: consumes the wait queue (Wait states and retry backoffs that are due).

Each SQS record's body is a resume envelope. A message that is not due yet (waits longer than
SQS's 900 s delay) is sent again with the remaining delay. Records are processed with
Powertools batch processing and partial batch failure reporting: a record whose processing
failed (S3/DynamoDB unavailable...) comes back after the visibility timeout and, after the
queue's ``maxReceiveCount``, lands in the dead-letter queue. A record that can never succeed
(not JSON, not an envelope, a malformed envelope) is moved to the dead-letter queue at once
with the reason, and logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from heaviside.backends.aws.runtime import AwsRuntime, default_runtime
from heaviside.runtime.envelope import EnvelopeError, is_envelope

log = logging.getLogger("heaviside.resumer")


class PoisonMessage(ValueError):
    """A record that no retry can make succeed."""


def resume_record(body: str, runtime: AwsRuntime) -> str:
    """Resume the execution a record's body carries; raises :class:`PoisonMessage` for garbage."""
    try:
        event = json.loads(body)
    except json.JSONDecodeError as exc:
        raise PoisonMessage(f"body is not JSON: {exc}") from None
    if not is_envelope(event):
        raise PoisonMessage("body is not a heaviside envelope")
    if event.get("kind") not in ("resume", "timeout", "callback"):
        raise PoisonMessage(f"envelope kind {event.get('kind')!r} does not belong on the wait queue")
    try:
        return runtime.driver.resume(event)
    except EnvelopeError as exc:
        raise PoisonMessage(str(exc)) from None


def handle(event: dict[str, Any], context: Any, runtime: AwsRuntime) -> dict[str, Any]:
    """Process an SQS batch; returns ``{"batchItemFailures": [...]}``."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> str:
        try:
            return resume_record(record.body, runtime)
        except PoisonMessage as exc:
            log.error("poison message %s", record.message_id)
            runtime.driver.reject(record.body, str(exc))
            return "dead-lettered"

    result = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                      context=context)
    return dict(result)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point."""
    return handle(event, context, default_runtime())
