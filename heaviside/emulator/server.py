"""The emulator itself: one local HTTP endpoint that behaves like AWS for tests and local runs.

This module owns the :class:`Emulator` lifecycle: the WSGI app that sends Lambda Invoke requests
to :mod:`heaviside.emulator.lambda_api` and everything else (S3, DynamoDB, SQS, ...) to moto's
server application, the werkzeug server thread, the SQS pollers of
:mod:`heaviside.emulator.queue_delivery`, ``wait_idle`` and the environment pointing SDKs at it.

moto keeps its state in process-wide backends: resources created through one emulator are
visible to any other emulator (or moto server) in the same process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from heaviside.emulator import moto_speedups
from heaviside.emulator.faults import FaultyServices
from heaviside.emulator.lambda_api import EmulatorStats, LambdaApi
from heaviside.emulator.queue_delivery import WAIT_TIME_SECONDS, QueuePoller
from heaviside.emulator.sandbox import LOGGER, Handler
from heaviside.faults import FaultDice, FaultRates

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_IDLE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
_IDLE_INTERVAL_SECONDS = 0.05


class _QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without its per-request access log on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Dispatcher:
    """WSGI app: Lambda Invoke to the handlers, every other request to moto.

    moto's DynamoDB checks a write's condition and applies it without a lock, so two concurrent
    conditional writes (``attribute_not_exists``) could both succeed, which DynamoDB never
    allows. DynamoDB requests therefore go through moto one at a time (each takes well under a
    millisecond); other services (SQS long polls among them) and Lambda handlers stay concurrent."""

    def __init__(self, lambda_api: LambdaApi, faults: FaultDice | None = None) -> None:
        self.lambda_api = lambda_api
        self.moto = DomainDispatcherApplication(create_backend_app)
        self._moto_lock = threading.Lock()
        self._services: Any = self._moto if faults is None else FaultyServices(self._moto, faults)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if LambdaApi.handles(environ):
            return self.lambda_api(environ, start_response)
        result: Iterable[bytes] = self._services(environ, start_response)
        return result

    def _moto(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            result: Iterable[bytes] = self.moto(environ, start_response)
            return result
        with self._moto_lock:
            return list(self.moto(environ, start_response))


class Emulator:
    """Local AWS on one endpoint: moto's services plus Lambda functions that are Python handlers."""

    def __init__(
        self,
        *,
        functions: Mapping[str, Handler] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        async_retries: int = 2,
        retry_delay_seconds: float = 0.0,
        duplicate_deliveries: bool = False,
        workers: int = 8,
        faults: FaultRates | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.region = region
        self.duplicate_deliveries = duplicate_deliveries
        self.stats = EmulatorStats()
        moto_speedups.install()
        #: The injected faults (None: none); ``faults.counts`` says how many of each.
        self.faults = FaultDice(faults) if faults is not None and faults.any else None
        self._lambda = LambdaApi(
            region=region,
            stats=self.stats,
            workers=workers,
            async_retries=async_retries,
            retry_delay_seconds=retry_delay_seconds,
            duplicate_deliveries=duplicate_deliveries,
            faults=self.faults,
        )
        for name, handler in (functions or {}).items():
            self._lambda.register(name, handler)
        self._pollers: list[QueuePoller] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._endpoint = ""
        self._sqs: Any = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._endpoint

    @property
    def running(self) -> bool:
        return self._server is not None

    def register_function(self, name: str, handler: Handler, *, timeout_seconds: float | None = None,
                          on_failure: str | None = None) -> None:
        """Serve ``handler`` as the Lambda function ``name`` (before or after ``start``).

        ``timeout_seconds``: the function's timeout (an invocation running longer fails with
        ``Sandbox.Timedout``; None: no limit). ``on_failure``: the function that gets the failure
        record of an asynchronous invocation whose retries are exhausted (Lambda's on-failure
        destination)."""
        self._lambda.register(name, handler, timeout_seconds=timeout_seconds, on_failure=on_failure)

    def subscribe_queue(self, queue_url: str, consumer: Handler, *, batch_size: int = 10) -> None:
        """Deliver the messages of ``queue_url`` to ``consumer`` like an SQS event source mapping."""
        poller = QueuePoller(
            queue_url=queue_url,
            consumer=consumer,
            batch_size=batch_size,
            client_factory=self._sqs_client,
            region=self.region,
            stats=self.stats,
            duplicate_deliveries=self.duplicate_deliveries,
            faults=self.faults,
        )
        with self._lock:
            self._pollers.append(poller)
            running = self.running
        if running:
            poller.start()

    def start(self) -> Emulator:
        """Serve HTTP on a background thread and start the workers and queue pollers."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = make_server(
            self.host, self.port, _Dispatcher(self._lambda, self.faults), threaded=True,
            request_handler=_QuietRequestHandler
        )
        self._server = server
        self._endpoint = f"http://{self.host}:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator-http", daemon=True
        )
        self._thread.start()
        self._lambda.invoker.start()
        with self._lock:
            pollers = list(self._pollers)
        for poller in pollers:
            poller.start()
        LOGGER.info("emulator listening on %s", self.endpoint)
        return self

    def stop(self) -> None:
        """Stop the pollers, the workers (dropping queued events) and the HTTP server."""
        server, self._server = self._server, None
        if server is None:
            return
        with self._lock:
            pollers = list(self._pollers)
        for poller in pollers:
            poller.request_stop()
        for poller in pollers:
            poller.join(WAIT_TIME_SECONDS + 4.0)
        self._lambda.invoker.stop()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        self._sqs = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        """Environment variables that point AWS SDKs (and the AWS CLI) at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        }

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no invocation is queued or running and every subscribed queue is empty.

        Empty means no visible, in-flight or delayed message. The condition must hold on two
        checks in a row, a short interval apart, so work that is about to start is not missed.
        Returns False if that does not happen within ``timeout`` seconds.
        """
        if not self.running:
            raise RuntimeError("the emulator is not running: call start() first")
        deadline = time.monotonic() + timeout
        consecutive = 0
        while True:
            consecutive = consecutive + 1 if self._idle_now() else 0
            if consecutive >= 2:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_IDLE_INTERVAL_SECONDS)

    def _idle_now(self) -> bool:
        if self._lambda.busy():
            return False
        with self._lock:
            pollers = list(self._pollers)
        if any(poller.busy for poller in pollers):
            return False
        if not pollers:
            return True
        client = self._shared_sqs_client()
        for poller in pollers:
            try:
                response = client.get_queue_attributes(QueueUrl=poller.queue_url, AttributeNames=_IDLE_ATTRIBUTES)
            except Exception as exc:
                LOGGER.debug("cannot read the attributes of %s: %s", poller.queue_url, exc)
                return False
            attributes = response.get("Attributes", {})
            if any(int(attributes.get(name, "0")) for name in _IDLE_ATTRIBUTES):
                return False
        return True

    def _shared_sqs_client(self) -> Any:
        with self._lock:
            if self._sqs is None:
                self._sqs = self._sqs_client()
            return self._sqs

    def _sqs_client(self) -> Any:
        """A fresh SQS client talking to this emulator (its own session: safe on any thread)."""
        session = boto3.session.Session(region_name=self.region, **CREDENTIALS)
        config = Config(retries={"max_attempts": 1}, read_timeout=WAIT_TIME_SECONDS + 30, connect_timeout=5)
        return session.client("sqs", endpoint_url=self._endpoint, config=config)
