"""SQS -> handler delivery, like a Lambda SQS event source mapping with ``ReportBatchItemFailures``.

This module owns the poller threads: each long-polls one queue of the emulator's own SQS (over
HTTP, through a boto3 client), turns a batch into the event Lambda builds (``{"Records": [...]}``),
calls the consumer and deletes the messages that succeeded. Messages the consumer reports in
``batchItemFailures`` (or the whole batch, when it raises or reports nonsense) are left alone: they
reappear after the queue's visibility timeout, and the queue's redrive policy moves them to a
dead-letter queue after ``maxReceiveCount`` receives, exactly as on AWS.

A poller that has seen messages in the last ``LONG_POLL_AFTER_SECONDS`` short-polls every
``SHORT_POLL_SECONDS`` (fast hand-offs, and ``stop()`` returns at once right after work); an idle
one long-polls with ``WaitTimeSeconds=1`` (no busy polling; stopping it takes up to a second).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from heaviside.emulator.faults import lambda_thread
from heaviside.emulator.lambda_api import EmulatorStats
from heaviside.emulator.sandbox import LOGGER, Handler, LambdaContext
from heaviside.faults import FaultDice

WAIT_TIME_SECONDS = 1  # long-poll length: also bounds how long stopping an idle poller takes
SHORT_POLL_SECONDS = 0.05
LONG_POLL_AFTER_SECONDS = 2.0
MAX_RECEIVE = 10  # SQS's MaxNumberOfMessages limit per ReceiveMessage call


def message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS ``MessageAttributes`` as they appear in Lambda's event (camelCase, base64 binaries)."""
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = _b64(value["BinaryValue"])
        entry["stringListValues"] = list(value.get("StringListValues", []))
        entry["binaryListValues"] = [_b64(item) for item in value.get("BinaryListValues", [])]
        entry["dataType"] = value.get("DataType", "String")
        converted[name] = entry
    return converted


def _b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


def sqs_event(messages: Sequence[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda passes for a batch of messages received from ``queue_arn``."""
    records: list[dict[str, Any]] = []
    for message in messages:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody", ""),
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record.update(eventSource="aws:sqs", eventSourceARN=queue_arn, awsRegion=region)
        records.append(record)
    return {"Records": records}


def failed_message_ids(result: Any, message_ids: Sequence[str]) -> set[str]:
    """Which messages failed, judging a consumer's return value as Lambda does.

    No ``batchItemFailures`` (or an empty list) means every message succeeded; a malformed
    response, or an ``itemIdentifier`` that is not in the batch, fails the whole batch.
    """
    everything = set(message_ids)
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return everything
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            return everything
        failed.add(identifier)
    return failed


class QueuePoller:
    """One thread long-polling one queue and delivering batches to a consumer."""

    def __init__(
        self,
        *,
        queue_url: str,
        consumer: Handler,
        batch_size: int,
        client_factory: Callable[[], Any],
        region: str,
        stats: EmulatorStats,
        duplicate_deliveries: bool,
        faults: FaultDice | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.queue_url = queue_url
        self.consumer = consumer
        self.batch_size = batch_size
        self.region = region
        self.stats = stats
        self.duplicate_deliveries = duplicate_deliveries
        self.faults = faults
        self.consumer_name = str(getattr(consumer, "__name__", "sqs-consumer"))
        self._client_factory = client_factory
        self._stop = threading.Event()
        self._busy = threading.Event()  # set while a received batch is being handled
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"emulator-sqs-{self.queue_url}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                LOGGER.warning("poller of %s did not stop within %.1f s", self.queue_url, timeout)
            self._thread = None

    def _loop(self) -> None:
        try:
            client = self._client_factory()
        except Exception:
            LOGGER.exception("cannot create an SQS client for %s", self.queue_url)
            return
        queue_arn = self._queue_arn(client)
        last_activity = time.monotonic()
        while queue_arn is not None and not self._stop.is_set():
            long_poll = time.monotonic() - last_activity > LONG_POLL_AFTER_SECONDS
            try:
                messages = self._receive(client, WAIT_TIME_SECONDS if long_poll else 0)
            except Exception:
                LOGGER.exception("receiving from %s failed", self.queue_url)
                self._stop.wait(0.5)
                continue
            if not messages:
                if not long_poll:
                    self._stop.wait(SHORT_POLL_SECONDS)
                continue
            last_activity = time.monotonic()
            self._busy.set()
            try:
                if self._stop.is_set():
                    self._release(client, messages)
                else:
                    self._deliver(client, messages, queue_arn)
            except Exception:
                LOGGER.exception("handling a batch from %s failed", self.queue_url)
            finally:
                self._busy.clear()
                last_activity = time.monotonic()

    def _queue_arn(self, client: Any) -> str | None:
        while not self._stop.is_set():
            try:
                response = client.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
                return str(response["Attributes"]["QueueArn"])
            except Exception as exc:
                LOGGER.warning("queue %s is not available yet: %s", self.queue_url, exc)
                self._stop.wait(0.5)
        return None

    def _receive(self, client: Any, wait: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size and not self._stop.is_set():
            wanted = min(MAX_RECEIVE, self.batch_size - len(messages))
            response = client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received: list[dict[str, Any]] = response.get("Messages", [])
            messages.extend(received)
            if len(received) < wanted:
                break
            wait = 0  # top the batch up with what is already there, without waiting
        return messages

    def _deliver(self, client: Any, messages: list[dict[str, Any]], queue_arn: str) -> None:
        ids = [str(message["MessageId"]) for message in messages]
        failed: set[str] = set()
        faults = self.faults
        if faults is not None and faults.roll("race"):  # two copies at the same moment
            results: list[set[str]] = []
            twin = threading.Thread(target=lambda: results.append(self._consume(messages, queue_arn, ids)))
            twin.start()
            failed = self._consume(messages, queue_arn, ids)
            twin.join()
            failed |= results[0] if results else set(ids)
        else:
            duplicate = self.duplicate_deliveries or (faults is not None and faults.roll("duplicate"))
            for copy in range(2 if duplicate else 1):
                if copy:
                    self.stats.add(duplicate_deliveries=1)
                failed |= self._consume(messages, queue_arn, ids)
        done = [message for message in messages if message["MessageId"] not in failed]
        self._delete(client, done)

    def _consume(self, messages: list[dict[str, Any]], queue_arn: str, ids: list[str]) -> set[str]:
        """One delivery of the batch to the consumer; the ids of the messages it failed."""
        self.stats.add(sqs_deliveries=1)
        event = sqs_event(messages, queue_arn, self.region)
        context = LambdaContext(self.consumer_name, self.region)
        try:
            with lambda_thread(context.aws_request_id):
                result = self.consumer(event, context)
        except Exception:
            self.stats.add(handler_errors=1)
            LOGGER.warning("consumer %s of %s raised", self.consumer_name, self.queue_url, exc_info=True)
            return set(ids)
        return failed_message_ids(result, ids)

    def _delete(self, client: Any, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), MAX_RECEIVE):
            chunk = messages[start : start + MAX_RECEIVE]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            response = client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                LOGGER.error("could not delete a message from %s: %s", self.queue_url, failure)

    def _release(self, client: Any, messages: list[dict[str, Any]]) -> None:
        """Stopping: hand back a batch received but not delivered, so a later poller gets it at once."""
        for start in range(0, len(messages), MAX_RECEIVE):
            chunk = messages[start : start + MAX_RECEIVE]
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(chunk)
            ]
            client.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
