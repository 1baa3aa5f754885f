"""What the interpreter asks of a query language (JSONPath or JSONata), and the shared types.

The interpreter owns control flow (transitions, Retry/Catch decisions, forks, history); a
query language owns data: how a state's input becomes its effective input, how a result
becomes the state's output, what ``Assign`` binds, and where Choice goes. Each language is a
module of plain functions with the signatures of :class:`Language`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Any, Protocol

from heaviside.definition.model import (
    Catcher,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Recoverable,
    SucceedState,
    TaskState,
    WaitState,
)
from heaviside.engine.effects import Event, Frame
from heaviside.types import JSON

Variables = Mapping[str, JSON]

#: A state body's transition: (next state or None at the end, output, variables after exit).
Transition = tuple[str | None, JSON, Variables]


class Services(Protocol):
    """What language functions may use from the engine: randomness and the context object."""

    random: Random

    def context(self, state: str, entered: datetime, retry_count: int | None = None,
                task_token: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class TaskRequest:
    payload: JSON
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class MapPlan:
    inputs: list[JSON]
    max_concurrency: int
    tolerated_failure_count: int | None
    tolerated_failure_percentage: float | None


class Language(Protocol):
    """The functions each query-language module provides."""

    # Pass and Choice run on every transition of most machines: the interpreter calls these two
    # directly, with its own signature (the events list lets a language record EvaluationFailed).
    def pass_state(self, services: Services, state: PassState, data: JSON, variables: Variables,
                   now: datetime, events: list[Event]) -> Transition: ...

    def choice_state(self, services: Services, state: ChoiceState, data: JSON, variables: Variables,
                     now: datetime, events: list[Event]) -> Transition: ...

    def wait_state(self, services: Services, state: WaitState, data: JSON, variables: Variables,
                   now: datetime) -> tuple[datetime, JSON, Variables]: ...

    def succeed_state(self, services: Services, state: SucceedState, data: JSON, variables: Variables,
                      now: datetime) -> JSON: ...

    def fail_state(self, services: Services, state: FailState, data: JSON, variables: Variables,
                   now: datetime) -> tuple[str, str | None]: ...

    def task_request(self, services: Services, state: TaskState, frame: Frame,
                     task_token: str | None = None) -> TaskRequest: ...

    def parallel_input(self, services: Services, state: ParallelState, frame: Frame) -> JSON: ...

    def map_plan(self, services: Services, state: MapState, frame: Frame) -> MapPlan: ...

    def finish(self, services: Services, state: Recoverable, frame: Frame, result: JSON) -> tuple[JSON, Variables]: ...

    def catch(self, services: Services, state: Recoverable, catcher: Catcher, frame: Frame,
              error_output: JSON) -> tuple[JSON, Variables]: ...
