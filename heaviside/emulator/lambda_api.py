"""The Lambda half of the emulator: the Invoke REST API served from registered Python handlers.

This module owns the registry of functions by name, parsing ``FunctionName`` (a name, a partial
or full ARN, with or without a qualifier), the WSGI app answering
``POST /2015-03-31/functions/{FunctionName}/invocations`` the way AWS does (so boto3's
``lambda.invoke`` parses the replies), and the worker pool that runs ``Event`` invocations with
Lambda's asynchronous retry behaviour and on-failure destinations. It also defines the shared
:class:`EmulatorStats` counters. One invocation's context, timeout and error documents live in
:mod:`heaviside.emulator.sandbox`.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from heaviside.emulator.sandbox import (
    LOGGER,
    TIMEOUT_SECONDS,
    FunctionConfig,
    Handler,
    LambdaContext,
    error_document,
    function_arn,
    run_handler,
)
from heaviside.faults import FaultDice

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")


@dataclass
class EmulatorStats:
    """Counters of what the emulator did; safe to update from any thread."""

    invocations: Counter[str] = field(default_factory=Counter)  # handler runs by function (retries/duplicates too)
    async_retries: int = 0
    duplicate_deliveries: int = 0
    sqs_deliveries: int = 0  # consumer calls with an SQS batch (duplicates too)
    handler_errors: int = 0  # exceptions raised by handlers and queue consumers
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(
        self,
        *,
        invocation_of: str | None = None,
        async_retries: int = 0,
        duplicate_deliveries: int = 0,
        sqs_deliveries: int = 0,
        handler_errors: int = 0,
    ) -> None:
        with self._lock:
            if invocation_of is not None:
                self.invocations[invocation_of] += 1
            self.async_retries += async_retries
            self.duplicate_deliveries += duplicate_deliveries
            self.sqs_deliveries += sqs_deliveries
            self.handler_errors += handler_errors


def parse_function_name(raw: str) -> tuple[str, str | None]:
    """``NAME``, ``NAME:QUALIFIER``, ``ACCOUNT:function:NAME[:Q]`` or a full ARN -> (name, qualifier)."""
    text = unquote(raw)
    parts = text.split(":")
    if text.startswith("arn:") and len(parts) in (7, 8) and parts[5] == "function":
        return parts[6], parts[7] if len(parts) == 8 else None
    if len(parts) in (3, 4) and parts[1] == "function":
        return parts[2], parts[3] if len(parts) == 4 else None
    if len(parts) == 2:
        return parts[0], parts[1]
    return text, None


def failure_record(item: AsyncInvocation, region: str, document: dict[str, Any], *, timestamp: str) -> dict[str, Any]:
    """The record Lambda sends an asynchronous invocation's on-failure destination once retries are exhausted."""
    return {
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {"requestId": item.request_id,
                           "functionArn": function_arn(item.function_name, region, item.qualifier or "$LATEST"),
                           "condition": "RetriesExhausted", "approximateInvokeCount": item.attempt + 1},
        "requestPayload": decode_event(item.payload),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": document,
    }


def decode_event(payload: bytes) -> Any:
    """The event a handler receives: a fresh object decoded from the request body (empty -> ``{}``)."""
    return json.loads(payload) if payload.strip() else {}


@dataclass(frozen=True)
class AsyncInvocation:
    function_name: str
    qualifier: str | None
    function: FunctionConfig
    payload: bytes
    request_id: str
    attempt: int = 0
    #: Two copies of a raced delivery wait for each other here, so they start at the same moment.
    barrier: threading.Barrier | None = field(default=None, compare=False)


class AsyncInvoker:
    """A pool of worker threads running ``Event`` invocations, retrying failures like Lambda does."""

    def __init__(
        self, run: Callable[[AsyncInvocation], dict[str, Any] | None], *, workers: int, retries: int,
        retry_delay_seconds: float
    ) -> None:
        self._run = run
        self._workers = max(1, workers)
        self._retries = max(0, retries)
        self._retry_delay = max(0.0, retry_delay_seconds)
        self._queue: queue.Queue[AsyncInvocation | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._pending = 0  # queued, running or waiting for a retry
        self._stopping = threading.Event()
        self.on_retry: Callable[[], None] = lambda: None
        #: Called with the invocation and its last error document once its retries are exhausted.
        self.on_exhausted: Callable[[AsyncInvocation, dict[str, Any]], None] = lambda item, document: None

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def start(self) -> None:
        self._queue = queue.Queue()
        self._stopping.clear()
        for index in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"emulator-lambda-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, invocations: Iterable[AsyncInvocation]) -> None:
        items = list(invocations)
        if self._stopping.is_set():
            LOGGER.warning("the emulator is stopping: dropped %d async invocation(s)", len(items))
            return
        with self._lock:
            self._pending += len(items)
        for item in items:
            self._queue.put(item)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            timers, self._timers = list(self._timers), set()
        for timer in timers:
            timer.cancel()
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        with self._lock:
            self._pending = 0

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._stopping.is_set():
                self._done()
                continue
            document = self._run(item)
            if document is None:
                self._done()
            elif item.attempt >= self._retries:
                message = "async invocation %s of %s failed %d time(s); retries exhausted"
                LOGGER.error(message, item.request_id, item.function_name, item.attempt + 1)
                self.on_exhausted(item, document)
                self._done()
            else:
                self._schedule_retry(replace(item, attempt=item.attempt + 1, barrier=None))

    def _schedule_retry(self, item: AsyncInvocation) -> None:
        self.on_retry()
        if self._retry_delay <= 0:
            self._queue.put(item)
            return
        timer: threading.Timer

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            self._queue.put(item)

        timer = threading.Timer(self._retry_delay, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _done(self) -> None:
        with self._lock:
            self._pending = max(0, self._pending - 1)  # stop() may already have zeroed it


class LambdaApi:
    """WSGI app for the Lambda Invoke API, backed by registered Python handlers."""

    def __init__(
        self,
        *,
        region: str,
        stats: EmulatorStats,
        workers: int,
        async_retries: int,
        retry_delay_seconds: float,
        duplicate_deliveries: bool,
        faults: FaultDice | None = None,
    ) -> None:
        self.region = region
        self.stats = stats
        self.duplicate_deliveries = duplicate_deliveries
        self.faults = faults
        self._functions: dict[str, FunctionConfig] = {}
        self._lock = threading.Lock()
        self._running = 0  # synchronous invocations in progress
        self.invoker = AsyncInvoker(
            self._run_async, workers=workers, retries=async_retries, retry_delay_seconds=retry_delay_seconds
        )
        self.invoker.on_retry = lambda: stats.add(async_retries=1)
        self.invoker.on_exhausted = self._send_to_destination

    def register(self, name: str, handler: Handler, *, timeout_seconds: float | None = None,
                 on_failure: str | None = None) -> None:
        with self._lock:
            self._functions[name] = FunctionConfig(handler, timeout_seconds, on_failure)

    def lookup(self, name: str) -> FunctionConfig | None:
        with self._lock:
            return self._functions.get(name)

    def _send_to_destination(self, item: AsyncInvocation, document: dict[str, Any]) -> None:
        """Lambda's on-failure destination: the failed event and its last error, to another function."""
        destination = item.function.on_failure
        target = None if destination is None else self.lookup(destination)
        if destination is None or target is None:
            LOGGER.error("async invocation %s of %s discarded (no on-failure destination)", item.request_id,
                         item.function_name)
            return
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        record = failure_record(item, self.region, document, timestamp=timestamp)
        payload = json.dumps(record).encode("utf-8")
        self.invoker.submit([AsyncInvocation(destination, None, target, payload, str(uuid.uuid4()))])

    def busy(self) -> int:
        """How many invocations are queued, running or awaiting a retry."""
        with self._lock:
            running = self._running
        return running + self.invoker.pending

    @staticmethod
    def handles(environ: dict[str, Any]) -> bool:
        return environ.get("REQUEST_METHOD") == "POST" and _INVOKE_PATH.match(environ.get("PATH_INFO", "")) is not None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self._invoke(Request(environ))
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _invoke(self, request: Request) -> Response:
        match = _INVOKE_PATH.match(request.path)
        assert match is not None
        name, qualifier = parse_function_name(match.group("name"))
        qualifier = request.args.get("Qualifier") or qualifier
        request_id = str(uuid.uuid4())
        payload = request.get_data()  # always drain the body: the connection may be kept alive
        function = self.lookup(name)
        if function is None:
            message = f"Function not found: {function_arn(name, self.region, qualifier)}"
            return _error(404, "ResourceNotFoundException", message, request_id)
        try:
            decode_event(payload)
        except ValueError as exc:
            message = f"Could not parse request body into json: {exc}"
            return _error(400, "InvalidRequestContentException", message, request_id)
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return Response(status=204, headers={"X-Amzn-RequestId": request_id})
        if invocation_type == "Event":
            invocations = [AsyncInvocation(name, qualifier, function, payload, request_id)]
            faults = self.faults
            if faults is not None and faults.roll("race"):  # two copies at once: their writes collide
                barrier = threading.Barrier(2)
                invocations = [AsyncInvocation(name, qualifier, function, payload, request_id, barrier=barrier),
                               AsyncInvocation(name, qualifier, function, payload, str(uuid.uuid4()), barrier=barrier)]
            elif self.duplicate_deliveries or (faults is not None and faults.roll("duplicate")):
                # a second, separate delivery (its own request id; retries keep theirs)
                self.stats.add(duplicate_deliveries=1)
                invocations.append(AsyncInvocation(name, qualifier, function, payload, str(uuid.uuid4())))
            self.invoker.submit(invocations)
            return Response(status=202, headers={"X-Amzn-RequestId": request_id})
        if invocation_type != "RequestResponse":
            message = f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy"
            return _error(400, "InvalidParameterValueException", message, request_id)
        return self._run_sync(name, qualifier, function, payload, request_id)

    def _run_sync(
        self, name: str, qualifier: str | None, function: FunctionConfig, payload: bytes, request_id: str
    ) -> Response:
        headers = {"X-Amzn-RequestId": request_id, "X-Amz-Executed-Version": "$LATEST"}
        with self._lock:
            self._running += 1
        try:
            self.stats.add(invocation_of=name)
            context = self._context(name, qualifier, request_id, function)
            result, document = run_handler(function, decode_event(payload), context)
            if document is not None:
                self.stats.add(handler_errors=1)
                LOGGER.info("function %s failed with %s: %s", name, document["errorType"], document["errorMessage"])
                return _function_error(document, headers)
            try:
                body = json.dumps(result)
            except (TypeError, ValueError) as exc:
                self.stats.add(handler_errors=1)
                document = {**error_document(exc, request_id), "errorType": "Runtime.MarshalError", "stackTrace": []}
                return _function_error({**document, "errorMessage": f"Unable to marshal response: {exc}"}, headers)
            return Response(body, status=200, headers=headers, content_type="application/json")
        finally:
            with self._lock:
                self._running -= 1

    def _context(self, name: str, qualifier: str | None, request_id: str, function: FunctionConfig) -> LambdaContext:
        timeout = TIMEOUT_SECONDS if function.timeout_seconds is None else function.timeout_seconds
        return LambdaContext(name, self.region, qualifier=qualifier, request_id=request_id, timeout_seconds=timeout)

    def _run_async(self, item: AsyncInvocation) -> dict[str, Any] | None:
        if item.barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):  # the twin is late (workers busy): run anyway
                item.barrier.wait(timeout=5)
        self.stats.add(invocation_of=item.function_name)
        context = self._context(item.function_name, item.qualifier, item.request_id, item.function)
        _, document = run_handler(item.function, decode_event(item.payload), context)
        if document is not None:
            self.stats.add(handler_errors=1)
            name, attempt = item.function_name, item.attempt + 1
            LOGGER.warning("async invocation %s of %s failed (attempt %d): %s: %s", item.request_id, name, attempt,
                           document["errorType"], document["errorMessage"])
        return document


def _function_error(document: dict[str, Any], headers: dict[str, str]) -> Response:
    headers = {**headers, "X-Amz-Function-Error": "Unhandled"}
    return Response(json.dumps(document), status=200, headers=headers, content_type="application/json")


def _error(status: int, error_type: str, message: str, request_id: str) -> Response:
    headers = {"X-Amzn-ErrorType": error_type, "X-Amzn-RequestId": request_id}
    body = json.dumps({"Type": "User", "Message": message})
    return Response(body, status=status, headers=headers, content_type="application/json")
