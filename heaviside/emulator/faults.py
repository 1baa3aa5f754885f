"""Faults the emulator injects when given :class:`~heaviside.faults.FaultRates`.

* Throttling and 5xx answers of S3, DynamoDB and SQS, by :class:`FaultyServices` in front of
  moto: the SDK sees the error AWS would send (DynamoDB ``ThrottlingException``, S3 ``SlowDown``,
  SQS ``ThrottlingException``; ``InternalServerError``/``InternalError`` with status 500) and
  retries as it would against AWS. Half of the 5xx answers come *after* moto applied the request.
* Crashes: :func:`install_crashes` makes a boto3 client raise
  :class:`~heaviside.faults.InjectedCrash` right after a successful call — only on a thread that
  is running a Lambda handler (:func:`lambda_thread`), so the test's own calls never crash, and
  at most once per invocation (Lambda retries an event with the same request id twice; a crash
  on every attempt would make Lambda give up, which is not the fault being tested).
* Duplicates and races are decided where events are delivered
  (:mod:`heaviside.emulator.lambda_api`, :mod:`heaviside.emulator.queue_delivery`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from heaviside.faults import FaultDice, InjectedCrash

_SERVICE: Final = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
INJECTED_SERVICES: Final = frozenset({"s3", "dynamodb", "sqs"})
_local = threading.local()


_crashed: set[str] = set()  # request ids that crashed once already
_crashed_lock = threading.Lock()


@contextmanager
def lambda_thread(request_id: str = "") -> Iterator[None]:
    """Mark the current thread as running the Lambda invocation ``request_id`` for the duration."""
    outer = getattr(_local, "request", None)
    _local.request = request_id or "anonymous"
    try:
        yield
    finally:
        _local.request = outer


def in_lambda() -> bool:
    return getattr(_local, "request", None) is not None


def _may_crash() -> bool:
    """Whether the current invocation has not crashed yet (each crashes at most once, so Lambda's
    two retries of an event always get a chance to finish it)."""
    with _crashed_lock:
        return str(getattr(_local, "request", "")) not in _crashed


def _crashing() -> None:
    with _crashed_lock:
        _crashed.add(str(getattr(_local, "request", "")))


def service_of(environ: dict[str, Any]) -> str | None:
    """The AWS service a signed request is for (from its SigV4 credential scope)."""
    match = _SERVICE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return match.group(1) if match else None


def _error(service: str, status: int, code: str, message: str, start_response: Any) -> list[bytes]:
    if service == "s3":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message>"
                "<RequestId>injected</RequestId></Error>").encode()
        headers = [("Content-Type", "application/xml")]
    else:  # DynamoDB and SQS speak the JSON protocol
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-query-error", f"{code};Sender")]
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Slow Down"}[status]
    start_response(f"{status} {reason}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


class FaultyServices:
    """WSGI middleware: answers some S3/DynamoDB/SQS requests with throttling or 5xx errors."""

    def __init__(self, app: Any, dice: FaultDice) -> None:
        self.app, self.dice = app, dice

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        service = service_of(environ)
        if service not in INJECTED_SERVICES:
            result: Iterable[bytes] = self.app(environ, start_response)
            return result
        assert service is not None
        if self.dice.roll("throttle"):
            if service == "s3":
                return _error(service, 503, "SlowDown", "Please reduce your request rate.", start_response)
            return _error(service, 400, "ThrottlingException", "Rate exceeded", start_response)
        if self.dice.roll("server_error"):
            if self.dice.choice(2):  # applied, then the answer is lost
                list(self.app(environ, lambda *args, **kwargs: None))
            code = "InternalError" if service == "s3" else "InternalServerError"
            return _error(service, 500, code, "We encountered an internal error. Please try again.", start_response)
        passed: Iterable[bytes] = self.app(environ, start_response)
        return passed


def install_crashes(client: Any, dice: FaultDice) -> None:
    """Make ``client`` crash its Lambda right after some successful calls (see the module docstring)."""

    def maybe_crash(http_response: Any, parsed: Any, model: Any, **kwargs: Any) -> None:
        if in_lambda() and 200 <= getattr(http_response, "status_code", 0) < 300 and _may_crash() \
                and dice.roll("crash"):
            _crashing()
            raise InjectedCrash(f"injected crash right after {model.service_model.service_name}.{model.name}")

    client.meta.events.register("after-call.*.*", maybe_crash)
