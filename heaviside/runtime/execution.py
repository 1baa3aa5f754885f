"""Execution records: status, output or error, and the history in Step Functions' shape.

Events are recorded cheaply as the engine produces them (Python values, no serialisation)
and rendered as AWS ``GetExecutionHistory`` events only when someone asks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from heaviside.callbacks import CallbackRequest
from heaviside.engine.effects import Event, event_details
from heaviside.engine.io import compact_json
from heaviside.types import JSON

RUNNING: Final = "RUNNING"
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
TIMED_OUT: Final = "TIMED_OUT"
ABORTED: Final = "ABORTED"

# Which details key AWS uses for each event type (by suffix or exact name).
_DETAIL_KEYS: Final = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
}
_JSON_STRING_FIELDS: Final = ("input", "output", "parameters")


def execution_timeout_cause(timeout_seconds: float) -> str:
    """The cause of ``States.Timeout`` for an execution that ran past its ``TimeoutSeconds``."""
    return f"The execution exceeded its TimeoutSeconds of {timeout_seconds} seconds"


def _details_key(event_type: str) -> str | None:
    if event_type in _DETAIL_KEYS:
        return _DETAIL_KEYS[event_type]
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    for family, prefix in (("LambdaFunction", "lambdaFunction"), ("Task", "task")):
        if event_type.startswith(family) and not event_type.startswith("TaskState"):
            return prefix + event_type[len(family):] + "EventDetails"
    return None


@dataclass(frozen=True, slots=True)
class TaskCall:
    """One task invocation: the Task state, its resource and function, the effective input it was
    called with, its attempt (``$$.State.RetryCount``) and when."""

    state: str
    resource: str
    function: str | None
    input: JSON
    attempt: int
    time: datetime


@dataclass
class ExecutionRecord:
    """One execution as the caller sees it (``heaviside.run_local`` returns this)."""

    execution_arn: str
    name: str
    state_machine_arn: str
    input: JSON
    start_date: datetime
    status: str = RUNNING
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    stop_date: datetime | None = None
    # Events in batches, one per engine step, all stamped with the time the step was recorded.
    batches: list[tuple[datetime, list[Event]]] = field(default_factory=list)
    #: Every task invocation of a local run, in order (mocked ones too).
    task_calls: list[TaskCall] = field(default_factory=list)
    #: Callback Tasks that waited for their token (local runs), and how each token closed.
    callback_requests: list[CallbackRequest] = field(default_factory=list)
    callback_closings: dict[str, Any] = field(default_factory=dict)
    #: Called with each batch of events as it is recorded (a progress display, say).
    observer: Callable[[list[Event]], None] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_describe(cls, described: dict[str, Any], events: list[tuple[datetime, Event]]) -> ExecutionRecord:
        """Rebuild a record from ``DescribeExecution``'s shape and the timed history events."""
        record = cls(
            execution_arn=described["executionArn"], name=described["name"],
            state_machine_arn=described["stateMachineArn"], input=json.loads(described["input"]),
            start_date=datetime.fromisoformat(described["startDate"]), status=described["status"],
            output=json.loads(described["output"]) if "output" in described else None,
            error=described.get("error"), cause=described.get("cause"),
            stop_date=datetime.fromisoformat(described["stopDate"]) if "stopDate" in described else None,
        )
        for timestamp, event in events:
            record.record([event], timestamp)
        return record

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    def record(self, events: list[Event], timestamp: datetime) -> None:
        if events:
            self.batches.append((timestamp, events))
            if self.observer is not None:
                self.observer(events)

    def events(self) -> list[tuple[datetime, Event]]:
        """Every event with its timestamp, in order."""
        return [(timestamp, event) for timestamp, batch in self.batches for event in batch]

    def history(self) -> list[dict[str, Any]]:
        """The history as ``GetExecutionHistory`` returns it (``input``/``output`` as JSON text)."""
        rendered: list[dict[str, Any]] = []
        for number, (timestamp, event) in enumerate(self.events(), start=1):
            item: dict[str, Any] = {
                "timestamp": timestamp.isoformat(),
                "type": event[0],
                "id": number,
                "previousEventId": number - 1,
            }
            key = _details_key(event[0])
            if key is not None:
                item[key] = _render_details(event_details(event))
            rendered.append(item)
        return rendered

    def state_path(self) -> list[str]:
        """Names of the states entered, in order (handy in tests)."""
        return [event[1] for _, event in self.events() if event[0].endswith("StateEntered") and event[1]]

    def describe(self) -> dict[str, Any]:
        """``DescribeExecution``'s shape."""
        result: dict[str, Any] = {
            "executionArn": self.execution_arn,
            "stateMachineArn": self.state_machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": self.start_date.isoformat(),
            "input": json.dumps(self.input),
        }
        if self.stop_date is not None:
            result["stopDate"] = self.stop_date.isoformat()
        if self.status == SUCCEEDED:
            result["output"] = json.dumps(self.output)
        if self.error is not None:
            result["error"] = self.error
        if self.cause is not None:
            result["cause"] = self.cause
        return result


def _render_details(details: dict[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for key, value in details.items():
        if value is None and key in ("error", "cause"):
            continue  # AWS omits unset error/cause
        if key in _JSON_STRING_FIELDS:
            rendered[key] = compact_json(value)
            rendered[key + "Details"] = {"truncated": False}
        else:
            rendered[key] = value
    return rendered
