"""Load: many concurrent executions of a fan-out/fan-in workflow on one emulated deployment.

    python -m benchmarks.load [--executions N] [--workers N] [--concurrency N] [--branches N] [--items N]
                              [--markdown]

One workflow: a Parallel of 5 branches (a Task each), a Map over 20 items (a Task each) and a
final Task combining both, so 26 task Lambdas and two DynamoDB joins per execution. Each
execution's input carries its own tag, which every task copies into its result, so the correct
output of each execution is known in advance (:meth:`Workload.expected_output`) and any cross-talk
between executions shows up as a wrong output.

All N executions are started at once through the invoker Lambda, from ``--concurrency``
client threads, against one :class:`~heaviside.emulator.deployment.EmulatedDeployment` with
skip-waits and ``--workers`` asynchronous Lambda workers. The end of an execution is taken when
the runtime's ``finish`` (the conditional write moving the record out of RUNNING) returns: the
records' ``startDate``/``stopDate`` come from the deployment's virtual clock, which does not move
here, and polling the records would add load. Then, once the emulator is idle, the checks: every
execution SUCCEEDED with its expected output, no open join record, no message left in the wait
queue or its dead-letter queue, no RUNNING record (these reads use clients of their own: the
call counts are what the heaviside runtime alone did).

Progress goes to stderr, the tables to stdout; the exit status is 1 when a check fails (also
when ``--timeout`` passes first: the figures then cover the executions that ended). The reusable
part, :func:`run_load`, is what ``tests/aws/test_load.py`` runs at small scale.

Slow on the emulator: everything runs in one Python process (one GIL for moto, the HTTP server,
boto3 and the Lambdas), about 220 AWS calls per execution over HTTP into moto, and DynamoDB
requests go through moto one at a time. (moto's own ``Query`` sorted the whole table on every
call; the emulator now queries only the partition: :mod:`heaviside.emulator.moto_speedups`.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

from benchmarks.report import Table, render
from benchmarks.timing import load_average
from heaviside.backends.aws.executions import DynamoExecutionStore
from heaviside.backends.aws.payloads import S3PayloadStore
from heaviside.emulator.deployment import REGION, EmulatedDeployment
from heaviside.runtime.execution import RUNNING, SUCCEEDED
from heaviside.runtime.ports import ExecutionDoesNotExist
from heaviside.types import JSON

FN = f"arn:aws:lambda:{REGION}:123456789012:function:"
BRANCHES = 5
ITEMS = 20
QUEUE_ATTRIBUTES = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed")

# ---------------------------------------------------------------------------- the workflow


def _task(function: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FN + function, **fields}


@dataclass(frozen=True)
class Workload:
    """The workflow's shape: a Parallel of ``branches`` Tasks, a Map of a Task over ``items`` items,
    then ``Combine``; the benchmark runs 5 x 20, the test a smaller one."""

    branches: int = BRANCHES
    items: int = ITEMS

    @property
    def tasks(self) -> int:
        """Task Lambda runs per execution: the branches, the items and the combining Task."""
        return self.branches + self.items + 1

    def definition(self) -> dict[str, Any]:
        branches = [{"StartAt": f"Branch{k}", "States": {
            f"Branch{k}": _task("branch", Parameters={"tag.$": "$.tag", "branch": k}, End=True)}}
            for k in range(self.branches)]
        return {"Comment": "heaviside load benchmark", "StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "Branches": branches, "ResultPath": "$.branches", "Next": "Items"},
            "Items": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.items", "Next": "Combine",
                      "ItemSelector": {"tag.$": "$.tag", "value.$": "$$.Map.Item.Value"},
                      "ItemProcessor": {"StartAt": "Item", "States": {"Item": _task("item", End=True)}}},
            "Combine": _task("combine", End=True)}}

    def input(self, tag: str) -> dict[str, Any]:
        return {"tag": tag, "items": [3 * i + len(tag) for i in range(self.items)]}

    def expected_output(self, tag: str) -> JSON:
        """What the execution tagged ``tag`` must return (computed without running the workflow)."""
        values = self.input(tag)["items"]
        return {"tag": tag, "words": [f"{tag}/{k}" for k in range(self.branches)],
                "squares": [f"{tag}:{value * value}" for value in values],
                "total": sum(value * value for value in values), "tags": [tag]}


def branch(event: Any, context: Any) -> Any:
    return {"tag": event["tag"], "word": f"{event['tag']}/{event['branch']}"}


def item(event: Any, context: Any) -> Any:
    return {"tag": event["tag"], "square": event["value"] * event["value"]}


def combine(event: Any, context: Any) -> Any:
    squares = [f"{entry['tag']}:{entry['square']}" for entry in event["items"]]
    return {"tag": event["tag"], "words": [entry["word"] for entry in event["branches"]], "squares": squares,
            "total": sum(entry["square"] for entry in event["items"]),
            "tags": sorted({entry["tag"] for entry in [*event["branches"], *event["items"]]})}


HANDLERS: dict[str, Callable[[Any, Any], Any]] = {"branch": branch, "item": item, "combine": combine}


# ---------------------------------------------------------------------------- measuring


class CallCounter:
    """Counts the API calls of boto3 clients by ``service.Operation`` (botocore's ``before-call``),
    the seconds they took (``before-call`` to ``after-call``: the round trip, waits included),
    their error replies by ``service.Operation code`` and their HTTP attempts (retries included)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.errors: Counter[str] = Counter()
        self.attempts = 0
        self._lock = threading.Lock()
        self._began = threading.local()

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-call", self._before_call)
        events.register("after-call", self._after_call)
        events.register("before-send", self._before_send)

    def _before_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
        self._began.moment = time.perf_counter()

    def _after_call(self, model: Any, http_response: Any, parsed: Any, **_: Any) -> None:
        took = time.perf_counter() - getattr(self._began, "moment", time.perf_counter())
        key = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.seconds[key] += took
            if http_response is not None and http_response.status_code >= 400:
                self.errors[f"{key} {parsed.get('Error', {}).get('Code', http_response.status_code)}"] += 1

    def _before_send(self, **_: Any) -> None:
        with self._lock:
            self.attempts += 1

    def snapshot(self) -> tuple[Counter[str], dict[str, float], Counter[str], int]:
        with self._lock:
            return Counter(self.calls), dict(self.seconds), Counter(self.errors), self.attempts


class EndTimes:
    """When each execution ended: the moment the runtime's ``finish`` write succeeded.

    Wraps ``finish`` on the deployment's execution store (an instance attribute: nothing in
    heaviside changes); costs no AWS call."""

    def __init__(self, deployment: EmulatedDeployment) -> None:
        self.ends: dict[str, float] = {}
        self._changed = threading.Condition()
        store = deployment.runtime.executions
        finish = store.finish

        def timed_finish(execution_arn: str, **kwargs: Any) -> bool:
            finished = finish(execution_arn, **kwargs)
            if finished:
                moment = time.perf_counter()
                with self._changed:
                    self.ends.setdefault(execution_arn, moment)
                    self._changed.notify_all()
            return finished

        setattr(store, "finish", timed_finish)  # noqa: B010 (mypy: a method cannot be assigned)

    def count(self) -> int:
        with self._changed:
            return len(self.ends)

    def wait_for(self, arns: set[str], timeout: float) -> bool:
        """True once every one of ``arns`` has ended, False after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: arns <= self.ends.keys(), timeout)


@dataclass
class Check:
    name: str
    measured: int
    wanted: int

    @property
    def ok(self) -> bool:
        return self.measured == self.wanted


@dataclass
class LoadResult:
    """What one load run measured (times in seconds, counts over the whole run)."""

    executions: int
    workload: Workload
    workers: int
    concurrency: int
    wall: float  # first start call -> last end (or the deadline, when the run timed out)
    start_phase: float  # first start call -> last start call answered
    idle_after: float  # last end -> emulator idle
    latencies: list[float]  # start call -> end, per ended execution
    start_calls: list[float]  # the invoker's round trip, per execution
    calls: Counter[str]
    seconds: dict[str, float]  # summed round trips by operation
    errors: Counter[str]
    attempts: int
    invocations: Counter[str]
    emulator: dict[str, int]
    checks: list[Check]
    table_items: int  # in the deployment's table at the end (every execution's records, history, joins)
    wrong: list[str] = field(default_factory=list)  # a few descriptions of wrong or missing outcomes

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def throughput(self) -> float:
        """Executions ended per second of ``wall`` (all of them, unless the run timed out)."""
        return len(self.latencies) / self.wall if self.wall > 0 else math.inf


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _start_all(deployment: EmulatedDeployment, workload: Workload, jobs: list[tuple[str, str]], concurrency: int,
               starts: dict[str, float], start_calls: dict[str, float], arns: dict[str, str],
               failures: list[str]) -> None:
    """Start every ``(name, tag)`` through the invoker from ``concurrency`` threads, each with its own client."""
    config = Config(read_timeout=900, connect_timeout=30, retries={"mode": "standard", "max_attempts": 3})
    clients = [boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
               .client("lambda", endpoint_url=deployment.endpoint, config=config) for _ in range(concurrency)]
    invoker = deployment.runtime.config.invoker
    definition = workload.definition()
    lock = threading.Lock()

    def run(client: Any, share: list[tuple[str, str]]) -> None:
        for name, tag in share:
            payload = json.dumps({"definition": definition, "input": workload.input(tag), "name": name})
            began = time.perf_counter()
            try:
                response = client.invoke(FunctionName=invoker, Payload=payload)
                body = json.loads(response["Payload"].read())
            except Exception as exc:
                with lock:
                    failures.append(f"{name}: start call failed: {exc!r}")
                continue
            answered = time.perf_counter()
            with lock:
                if "FunctionError" in response:
                    failures.append(f"{name}: the invoker failed: {body}")
                    continue
                starts[name], start_calls[name], arns[name] = began, answered - began, str(body["executionArn"])

    threads = [threading.Thread(target=run, args=(client, jobs[index::concurrency]), name=f"load-client-{index}")
               for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _queue_messages(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(QUEUE_ATTRIBUTES))["Attributes"]
    return sum(int(attributes.get(name, "0")) for name in QUEUE_ATTRIBUTES)


def _scan_table(dynamodb: Any, table: str, arns: set[str]) -> tuple[int, int, int]:
    """(items in the table, join records of ``arns``, of which still open) from one consistent Scan."""
    kwargs: dict[str, Any] = {"TableName": table, "ProjectionExpression": "pk, sk, ended", "ConsistentRead": True}
    items = joins = opened = 0
    while True:
        response = dynamodb.scan(**kwargs)
        for record in response.get("Items", []):
            items += 1
            if record["sk"]["S"].startswith("join#") and record["pk"]["S"] in arns:
                joins += 1
                opened += not record.get("ended", {}).get("BOOL", False)
        if "LastEvaluatedKey" not in response:
            return items, joins, opened
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def run_load(executions: int, *, workload: Workload | None = None, workers: int = 8, concurrency: int = 8,
             timeout: float = 3600.0,
             idle_timeout: float = 120.0, progress: Callable[[str], None] | None = None,
             progress_every: float = 5.0) -> LoadResult:
    """Run ``executions`` concurrent executions of ``workload`` (default 5 x 20) and check every outcome."""
    workload = workload or Workload()
    say = progress or (lambda message: None)
    run = uuid.uuid4().hex[:8]
    with EmulatedDeployment(HANDLERS, skip_waits=True, workers=workers, name=f"load-{run}") as deployment:
        counter = CallCounter()
        for client in deployment.clients.values():
            counter.attach(client)
        end_times = EndTimes(deployment)
        jobs = [(f"load-{run}-{index:06d}", f"{run}-{index}") for index in range(executions)]
        starts: dict[str, float] = {}
        start_calls: dict[str, float] = {}
        arns: dict[str, str] = {}
        failures: list[str] = []
        stop_reporting = threading.Event()
        began = time.perf_counter()

        def report() -> None:
            while not stop_reporting.wait(progress_every):
                invoked = sum(deployment.emulator.stats.invocations.values())
                say(f"  {time.perf_counter() - began:7.1f} s: {len(starts)}/{executions} started, "
                    f"{end_times.count()}/{executions} ended, {invoked} Lambda invocations")

        reporter = threading.Thread(target=report, name="load-progress", daemon=True)
        reporter.start()
        say(f"starting {executions} executions from {concurrency} client threads ({workers} Lambda workers)...")
        try:
            _start_all(deployment, workload, jobs, concurrency, starts, start_calls, arns, failures)
            started = time.perf_counter()
            first = min(starts.values(), default=began)
            say(f"all start calls answered after {started - first:.1f} s; waiting for the executions to end...")
            wanted = set(arns.values())
            all_ended = end_times.wait_for(wanted, max(0.0, timeout - (started - began)))
            ended = time.perf_counter()
            if all_ended:
                last = max((end_times.ends[arn] for arn in wanted), default=ended)
                idle = deployment.emulator.wait_idle(idle_timeout)
            else:  # the figures then cover what ended by the deadline
                say(f"timed out after {timeout:.0f} s: {len(wanted - end_times.ends.keys())} executions still running")
                last, idle = ended, False
            idle_at = time.perf_counter()
        finally:
            stop_reporting.set()
            reporter.join()
        calls, seconds, errors, attempts = counter.snapshot()
        stats = deployment.emulator.stats
        invocations = Counter(stats.invocations)
        emulator = {"async retries": stats.async_retries, "duplicate deliveries": stats.duplicate_deliveries,
                    "SQS batches delivered": stats.sqs_deliveries, "handler errors": stats.handler_errors}
        say("checking the outcomes (records, joins, queues)...")
        dynamodb, s3, sqs = (deployment.client(service) for service in ("dynamodb", "s3", "sqs"))
        config = deployment.runtime.config
        records = DynamoExecutionStore(config.table, client=dynamodb, payloads=S3PayloadStore(config.bucket, client=s3))
        wrong = list(failures)
        correct = running = 0
        for name, tag in jobs:
            if name not in arns:
                continue
            try:
                record = records.describe(arns[name])  # one GetItem each (a Query or Scan costs moto the whole table)
            except ExecutionDoesNotExist:
                wrong.append(f"{name}: no execution record")
                continue
            running += record["status"] == RUNNING
            output = json.loads(record["output"]) if "output" in record else None
            if record["status"] == SUCCEEDED and output == workload.expected_output(tag):
                correct += 1
            else:
                wrong.append(f"{name}: {record['status']} {record.get('error')} {record.get('cause')} {output}")
        table_items, joins, open_joins = _scan_table(dynamodb, config.table, set(arns.values()))
        checks = [
            Check("executions started", len(arns), executions),
            Check("SUCCEEDED with the expected output", correct, executions),
            Check("records still RUNNING", running, 0),
            Check(f"open join records (of {joins})", open_joins, 0),
            Check("messages in the wait queue", _queue_messages(sqs, config.queue_url), 0),
            Check("messages in the dead-letter queue", _queue_messages(sqs, config.dlq_url or ""), 0),
            Check("emulator idle after the last end", int(idle), 1),
        ]
    latencies = [end_times.ends[arn] - starts[name] for name, arn in arns.items() if arn in end_times.ends]
    first = min(starts.values(), default=began)
    return LoadResult(
        executions=executions, workload=workload, workers=workers, concurrency=concurrency, wall=last - first,
        start_phase=started - first, idle_after=idle_at - ended, latencies=latencies,
        start_calls=list(start_calls.values()), calls=calls, seconds=seconds, errors=errors, attempts=attempts,
        invocations=invocations, emulator=emulator, checks=checks, table_items=table_items, wrong=wrong[:10])


# ---------------------------------------------------------------------------- reporting


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.1f} ms"


def _per(value: float, executions: int) -> str:
    return f"{value / max(1, executions):.2f}"


def tables(result: LoadResult) -> list[Table]:
    n = result.executions
    shape = result.workload
    summary = Table(f"Load: {n} concurrent executions ({shape.branches}-branch Parallel, {shape.items}-item Map, "
                    f"{shape.tasks} task Lambdas each)", ["measure", "value"], right={1})
    summary.add("client threads / Lambda workers", f"{result.concurrency} / {result.workers}")
    summary.add("executions ended", f"{len(result.latencies):,} of {n:,}")
    summary.add("wall time (first start -> last end)", f"{result.wall:,.1f} s")
    summary.add("executions / s", f"{result.throughput:,.2f}")
    summary.add("task Lambdas / s", f"{result.throughput * shape.tasks:,.1f}")
    summary.add("all start calls answered after", f"{result.start_phase:,.1f} s")
    for label, fraction in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        summary.add(f"end-to-end latency {label}", _ms(percentile(result.latencies, fraction)))
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        summary.add(f"start call (invoker round trip) {label}", _ms(percentile(result.start_calls, fraction)))
    summary.add("emulator idle after the last end (wait_idle)", f"{result.idle_after:,.2f} s")
    summary.add("DynamoDB table items at the end", f"{result.table_items:,}")
    summary.notes.append("latency: the start call is made -> the record leaves RUNNING (the finish write returns); "
                         "all executions are started at once, so it includes the time queued behind the others")
    summary.notes.append(f"machine: {os.cpu_count()} CPUs, load average {load_average()}")

    calls = Table("AWS calls per execution (the heaviside runtime's clients)",
                  ["operation", "calls", "per execution", "error replies / execution", "mean round trip",
                   "total round trips"], right={1, 2, 3, 4, 5})
    errors_by_operation: Counter[str] = Counter()
    for key, count in result.errors.items():
        errors_by_operation[key.split(" ")[0]] += count
    for key in sorted(result.calls):
        count, seconds = result.calls[key], result.seconds.get(key, 0.0)
        calls.add(key, f"{count:,}", _per(count, n), _per(errors_by_operation[key], n), _ms(seconds / count),
                  f"{seconds:,.1f} s")
    total, seconds = sum(result.calls.values()), sum(result.seconds.values())
    calls.add("total", f"{total:,}", _per(total, n), _per(sum(result.errors.values()), n),
              _ms(seconds / max(1, total)), f"{seconds:,.1f} s")
    calls.notes.append("round trip: botocore's before-call to after-call on the calling thread (queueing in "
                       "the emulator included; the calls overlap, so the totals exceed the wall time)")
    calls.notes.append(f"HTTP attempts: {result.attempts:,} (SDK retries: {result.attempts - total:,})")
    calls.notes.extend(f"error replies {key}: {count:,}" for key, count in sorted(result.errors.items()))
    calls.notes.append("not counted: the client's start calls to the invoker (1 per execution) and the checks")

    lambdas = Table("Lambda invocations per execution (emulator)", ["function", "invocations", "per execution"],
                    right={1, 2})
    for function in sorted(result.invocations):
        lambdas.add(function, f"{result.invocations[function]:,}", _per(result.invocations[function], n))
    total_invocations = sum(result.invocations.values())
    lambdas.add("total", f"{total_invocations:,}", _per(total_invocations, n))
    lambdas.notes.extend(f"{label}: {value:,}" for label, value in result.emulator.items())

    checks = Table("Correctness", ["check", "measured", "wanted", "ok"], right={1, 2})
    for check in result.checks:
        checks.add(check.name, f"{check.measured:,}", f"{check.wanted:,}", "yes" if check.ok else "NO")
    checks.notes.extend(result.wrong)
    return [summary, calls, lambdas, checks]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=1000, help="executions started at once (default 1000)")
    parser.add_argument("--workers", type=int, default=8, help="emulator threads running async Lambdas (default 8)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads starting executions (default 8)")
    parser.add_argument("--branches", type=int, default=BRANCHES, help=f"Parallel branches (default {BRANCHES})")
    parser.add_argument("--items", type=int, default=ITEMS, help=f"Map items (default {ITEMS})")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    if min(args.executions, args.workers, args.concurrency, args.branches, args.items) < 1:
        parser.error("--executions, --workers, --concurrency, --branches and --items must be at least 1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    result = run_load(args.executions, workload=Workload(args.branches, args.items), workers=args.workers,
                      concurrency=args.concurrency, timeout=args.timeout,
                      progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(render(tables(result), markdown=args.markdown), end="")
    if not result.ok:
        print("FAILED: a correctness check did not hold", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
