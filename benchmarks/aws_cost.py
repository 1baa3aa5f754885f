"""AWS calls and request cost per execution on the emulator, beside Step Functions' price.

    python -m benchmarks.aws_cost [--executions N] [--extra-pass N] [--markdown]

Runs a reference workflow (5 Tasks, 10 control states including one Parallel of 3 branches and
one Wait) on :class:`~heaviside.emulator.deployment.EmulatedDeployment`, counts every call the
heaviside runtime makes to S3, DynamoDB, SQS and Lambda (by operation, with DynamoDB capacity
units estimated from the request sizes), and prices them per million executions with public
us-east-1 prices next to Step Functions Standard and Express for the same execution. The
same workflow with ``--extra-pass`` more Pass states is run too: control states must cost
no calls. The first execution is left out (cold: definition written and read back).

Not priced (the same with and without heaviside, or negligible): the task Lambdas' own
requests and duration; heaviside's extra duration inside them (the DynamoDB round trips).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from heaviside.backends.aws.executions import DynamoExecutionStore
from heaviside.backends.aws.payloads import S3PayloadStore
from heaviside.emulator.deployment import EmulatedDeployment
from heaviside.runtime.execution import RUNNING
from heaviside.testing.cost import PRICES  # public us-east-1 prices, one list for both

FN = "arn:aws:lambda:us-east-1:123456789012:function:"

WAIT_SECONDS = 60


def task(name: str, following: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": FN + "work", "Parameters": {"step": name, "data.$": "$"},
                             "ResultPath": f"$.{name}"}
    return {**state, "Next": following} if following else {**state, "End": True}


def reference(extra_pass: int = 0) -> dict[str, Any]:
    """5 Tasks; 10 control states: Init, Route, Fanout (Parallel of 3), 3 branch Passes, Merge, Cool (Wait),
    Check, Done; ``extra_pass`` more Pass states after Init."""
    padding = {f"Pad{i}": {"Type": "Pass", "Next": f"Pad{i + 1}" if i + 1 < extra_pass else "Validate"}
               for i in range(extra_pass)}
    return {"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"order": 7}, "ResultPath": "$.init",
                 "Next": "Pad0" if extra_pass else "Validate"},
        **padding,
        "Validate": task("validate", "Route"),
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.init.order", "NumericGreaterThan": 0,
                                                 "Next": "Fanout"}], "Default": "Done"},
        "Fanout": {"Type": "Parallel", "ResultPath": "$.parallel", "Next": "Merge", "Branches": [
            {"StartAt": "Reserve", "States": {"Reserve": task("reserve", "Reserved"),
                                              "Reserved": {"Type": "Pass", "End": True}}},
            {"StartAt": "Charge", "States": {"Charge": task("charge", "Charged"),
                                             "Charged": {"Type": "Pass", "End": True}}},
            {"StartAt": "Score", "States": {"Score": {"Type": "Pass", "Next": "Notify"},
                                            "Notify": task("notify", None)}}]},
        "Merge": {"Type": "Pass", "Parameters": {"order.$": "$.init.order"}, "Next": "Cool"},
        "Cool": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "Finalize"},
        "Finalize": task("finalize", "Check"),
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.order", "IsPresent": True, "Next": "Done"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}


def work(event: Any, context: Any) -> Any:
    return {"done": event["step"]}


class CallCounter:
    """Counts the operations of boto3 clients, with DynamoDB capacity units estimated from sizes."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self.lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        size = len(json.dumps(params, default=str))
        with self.lock:
            self.calls[f"{service}.{model.name}"] += 1
            if service == "dynamodb":
                if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
                    self.units["wru"] += max(1, math.ceil(size / 1024))
                elif model.name == "BatchGetItem":
                    keys = sum(len(table["Keys"]) for table in params["RequestItems"].values())
                    self.units["rru"] += keys  # strongly consistent, items under 4 KB
                else:
                    self.units["rru"] += 1

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        with self.lock:
            return Counter(self.calls), Counter(self.units)


def run_one(deployment: EmulatedDeployment, definition: dict[str, Any]) -> None:
    name = f"bench-{uuid.uuid4().hex[:12]}"
    deployment.client("lambda").invoke(FunctionName=deployment.runtime.config.invoker,
                                       Payload=json.dumps({"definition": definition, "input": {}, "name": name}))
    arn = f"arn:aws:states:us-east-1:123456789012:execution:heaviside:{name}"
    # polled with a client of its own: the runtime's clients count only what heaviside does
    config = deployment.runtime.config
    records = DynamoExecutionStore(config.table, client=deployment.client("dynamodb"),
                                   payloads=S3PayloadStore(config.bucket, client=deployment.client("s3")))
    while records.describe(arn)["status"] == RUNNING:
        time.sleep(0.01)
    if records.describe(arn)["status"] != "SUCCEEDED":
        raise SystemExit(f"{arn} did not succeed")
    deployment.emulator.wait_idle(30)


def measure(deployment: EmulatedDeployment, counter: CallCounter, definition: dict[str, Any],
            executions: int) -> tuple[Counter[str], Counter[str], float]:
    run_one(deployment, definition)  # cold: stores the definition
    before_calls, before_units = counter.snapshot()
    durations = []
    for _ in range(executions):
        started = time.perf_counter()
        run_one(deployment, definition)
        durations.append(time.perf_counter() - started)
    after_calls, after_units = counter.snapshot()
    return after_calls - before_calls, after_units - before_units, statistics.median(durations)


def per_million(calls: Counter[str], units: Counter[str], executions: int) -> dict[str, float]:
    """Request cost per million executions by service (SQS counted as send + receive + delete;
    the resumer as one Lambda request per message)."""
    each = {key: value / executions for key, value in calls.items()}
    messages = each.get("sqs.SendMessage", 0.0)
    lambda_requests = each.get("lambda.Invoke", 0.0) - 5 + 1 + messages  # tasks excluded; invoker; resumer
    cost = {
        "DynamoDB": (units["wru"] / executions) * PRICES["dynamodb_per_wru"]
        + (units["rru"] / executions) * PRICES["dynamodb_per_rru"],
        "SQS": 3 * messages * PRICES["sqs_per_request"],
        "Lambda (invoker, resumer)": lambda_requests * PRICES["lambda_per_request"],
        "S3": each.get("s3.PutObject", 0.0) * PRICES["s3_per_put"] + each.get("s3.GetObject", 0.0)
        * PRICES["s3_per_get"],
    }
    return {service: value * 1_000_000 for service, value in cost.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.aws_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=20)
    parser.add_argument("--extra-pass", type=int, default=50)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    counter = CallCounter()
    with EmulatedDeployment({"work": work}, skip_waits=True, name=f"bench-{uuid.uuid4().hex[:6]}") as deployment:
        for client in deployment.clients.values():
            counter.attach(client)
        print("measuring the reference workflow...", file=sys.stderr)
        calls, units, median = measure(deployment, counter, reference(), args.executions)
        print(f"measuring it with {args.extra_pass} extra Pass states...", file=sys.stderr)
        padded_calls, _, _ = measure(deployment, counter, reference(args.extra_pass), args.executions)
    n = args.executions
    rows = sorted(calls)
    bar = "|" if args.markdown else ""
    print(f"\nAWS calls per execution (mean of {n} warm executions; median end-to-end {median * 1000:.0f} ms on the "
          "emulator with skip-waits)\n")
    print(f"{bar} operation | reference | +{args.extra_pass} Pass states {bar}")
    if args.markdown:
        print("| --- | ---: | ---: |")
    for key in rows:
        print(f"{bar} {key} | {calls[key] / n:.1f} | {padded_calls[key] / n:.1f} {bar}")
    total, padded_total = sum(calls.values()) / n, sum(padded_calls.values()) / n
    print(f"{bar} total | {total:.1f} | {padded_total:.1f} {bar}")
    print(f"\nDynamoDB capacity per execution: {units['wru'] / n:.1f} WRU, {units['rru'] / n:.1f} RRU (estimated)")
    print(f"S3 GetObject on warm executions: {calls['s3.GetObject'] / n:.1f}")
    cost = per_million(calls, units, n)
    transitions = 15  # 5 Tasks + 10 control states entered
    standard = transitions * PRICES["sfn_standard_per_transition"] * 1_000_000
    express = (PRICES["sfn_express_per_request"] + 0.0625 * WAIT_SECONDS * PRICES["sfn_express_per_gb_second"]) * 1e6
    print(f"\nCost per million executions (USD, us-east-1 request prices)\n\n{bar} what | USD {bar}")
    if args.markdown:
        print("| --- | ---: |")
    for service, value in cost.items():
        print(f"{bar} heaviside: {service} | {value:,.2f} {bar}")
    print(f"{bar} **heaviside total** | **{sum(cost.values()):,.2f}** {bar}")
    print(f"{bar} Step Functions Standard ({transitions} transitions x $0.025/1,000) | {standard:,.2f} {bar}")
    print(f"{bar} Step Functions Express ($1/M requests + {WAIT_SECONDS} s x 64 MB) | {express:,.2f} {bar}")
    same = padded_total == total
    print(f"\ncontrol states cost no calls: {'yes' if same else 'NO'} ({total:.1f} vs {padded_total:.1f} calls)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
