"""Lambda and SQS as the driver's :class:`Dispatcher`: the next task, and delayed resumes.

A task's envelope goes to its Lambda function as an asynchronous invocation
(``InvocationType=Event``), the function's name first looked up in the deployment's function
map (``HEAVISIDE_FUNCTIONS``); a resume envelope goes to the wait queue with ``DelaySeconds``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from heaviside.backends.aws._clients import default_client


class LambdaSqsDispatcher:
    """Invokes task Lambdas asynchronously and sends resume envelopes to the wait queue."""

    def __init__(self, queue_url: str, *, lambda_client: Any = None, sqs_client: Any = None,
                 functions: Mapping[str, str] | None = None) -> None:
        self.queue_url = queue_url
        self.functions = dict(functions or {})
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
        self.lambda_client.invoke(FunctionName=self.functions.get(function, function), InvocationType="Event",
                                  Payload=json.dumps(event, separators=(",", ":")).encode("utf-8"))

    def schedule(self, event: dict[str, Any], delay_seconds: int) -> None:
        self.sqs_client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(event, separators=(",", ":")),
                                     DelaySeconds=delay_seconds)
