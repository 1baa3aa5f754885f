"""What a job of N polls costs with examples/polling and with examples/callback_job, counted on the emulator.

    python examples/callback_job/compare_with_polling.py [N ...]      (default: 3 10; about 1 minute per N)

Both run on the emulator with the real clock, time scaled down 300 times: polls every 2 s (for 10 minutes);
``HeartbeatSeconds`` 2 (for 600) with the job system sending a heartbeat every second (every 5 minutes),
and the job ending after N polling intervals. A third run leaves ``HeartbeatSeconds`` out (no heartbeats).
Counted per execution: handler runs of the task Lambdas, deliveries of the wait queue to the resumer, states
entered, history events and every AWS call heaviside makes (the heartbeats and the answer included).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from heaviside.backends.aws.executions import DynamoExecutionStore
from heaviside.callbacks import send_task_heartbeat, send_task_success
from heaviside.cli import load_all_handlers
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runtime.execution import RUNNING

EXAMPLES = Path(__file__).resolve().parents[1]
INTERVAL = 2  # seconds: the scaled poll interval and HeartbeatSeconds


class Calls:
    """Counts the operations of boto3 clients."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self._count)

    def _count(self, params: Any, model: Any, **_: Any) -> None:
        with self.lock:
            self.counts[f"{model.service_model.service_name}.{model.name}"] += 1

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


class Bench:
    def __init__(self, deployment: EmulatedDeployment) -> None:
        self.deployment = deployment
        self.calls = Calls()
        for client in deployment.clients.values():  # the runtime's clients (the answers go through them too)
            self.calls.attach(client)
        self.records = DynamoExecutionStore(deployment.runtime.config.table, client=deployment.client("dynamodb"))

    def start(self, definition: dict[str, Any], input_: Any) -> str:
        response = self.deployment.client("lambda").invoke(
            FunctionName=self.deployment.runtime.config.invoker,
            Payload=json.dumps({"definition": definition, "input": input_, "name": f"cmp-{uuid.uuid4().hex[:10]}"}))
        arn: str = json.loads(response["Payload"].read())["executionArn"]
        return arn

    def token(self, arn: str) -> str:
        while True:
            for event in self.deployment.runtime.history(arn):
                if event["type"] == "TaskScheduled":
                    token: str = json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
                    return token
            time.sleep(0.05)

    def measure(self, definition: dict[str, Any], input_: Any, job_seconds: int | None = None,
                heartbeats: bool = False) -> dict[str, Any]:
        stats = self.deployment.emulator.stats
        calls, invocations, deliveries = self.calls.snapshot(), Counter(stats.invocations), stats.sqs_deliveries
        arn = self.start(definition, input_)
        if job_seconds is not None:  # play the job system
            token = self.token(arn)
            for _ in range(job_seconds):
                time.sleep(1)
                if heartbeats:
                    send_task_heartbeat(token)
            send_task_success(token, {"rowsCopied": 4500})
        while self.records.describe(arn)["status"] == RUNNING:
            time.sleep(0.02)
        time.sleep(2.5)  # the last deliveries settle (a timer due in 15 minutes is not waited for)
        history = self.deployment.runtime.history(arn)
        made = self.calls.snapshot() - calls
        ran = Counter(stats.invocations) - invocations
        return {"status": history[-1]["type"],
                "task Lambda runs": sum(n for name, n in ran.items() if not name.endswith("-invoker")),
                "wait-queue deliveries (resumer)": stats.sqs_deliveries - deliveries,
                "states entered": sum(1 for event in history if event["type"].endswith("StateEntered")),
                "history events": len(history),
                "AWS calls by heaviside": sum(made.values()),
                "of which DynamoDB writes": made["dynamodb.PutItem"] + made["dynamodb.UpdateItem"]}


def main(polls: list[int]) -> None:
    polling = json.loads((EXAMPLES / "polling" / "polling.asl.json").read_text())
    callback = json.loads((EXAMPLES / "callback_job" / "callback_job.asl.json").read_text())
    callback["States"]["SubmitJob"]["HeartbeatSeconds"] = INTERVAL
    silent = json.loads(json.dumps(callback))
    del silent["States"]["SubmitJob"]["HeartbeatSeconds"]
    handlers = load_all_handlers([str(EXAMPLES / name / "handlers.py") for name in ("polling", "callback_job")])
    with EmulatedDeployment(handlers, name=f"compare-{uuid.uuid4().hex[:6]}") as deployment:
        bench = Bench(deployment)
        bench.measure(polling, {"name": "warm", "pollSeconds": 1, "finishAfter": 1})  # store the definitions
        bench.measure(callback, {"name": "warm"}, 0)
        bench.measure(silent, {"name": "warm"}, 0)
        for n in polls:
            rows = {
                "polling": bench.measure(polling, {"name": f"p{n}", "pollSeconds": INTERVAL, "finishAfter": n}),
                "callback_job": bench.measure(callback, {"name": f"c{n}"}, n * INTERVAL, heartbeats=True),
                "callback_job, no HeartbeatSeconds": bench.measure(silent, {"name": f"s{n}"}, n * INTERVAL),
            }
            print(f"\nN = {n} polls\n\n| per execution | " + " | ".join(rows) + " |")
            print("| --- |" + " ---: |" * len(rows))
            for metric in rows["polling"]:
                print(f"| {metric} | " + " | ".join(str(row[metric]) for row in rows.values()) + " |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [3, 10])
