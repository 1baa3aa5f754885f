"""How a Task's outcome is recorded and carried on (a mixin of :class:`~heaviside.runtime.driver.Driver`).

A handler's outcome (:meth:`TaskEndings._task_ended`), the failure Lambda reported for a task
whose Lambda never finished (:meth:`TaskEndings.fail_task`), and a Task that ends while it is
being planned (:meth:`TaskEndings._ended_here`: a service integration made inline, or a function
the deployment does not allow) all go through the engine's ``task_ended``, so Retry and Catch
apply the same way to each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from heaviside.engine.effects import Effect, Event, InvokeTask
from heaviside.engine.interpreter import Engine
from heaviside.engine.tasks import resource_details
from heaviside.runtime.clock import Clock
from heaviside.runtime.envelope import Envelope
from heaviside.runtime.execution_timers import MAX_DELAY_SECONDS
from heaviside.runtime.invocation import HandlerOutcome
from heaviside.runtime.places import Place, timed
from heaviside.runtime.ports import Action, CommitLog, TimedEvent


class TaskInProgress(RuntimeError):
    """Another delivery of this task envelope is running it now: raised so that Lambda retries this
    one later, when the other has committed (and the retry finds a duplicate) or its lease has run out."""


class TaskEndings:
    """See the module docstring; the driver provides the engine, the clock and the commit."""

    clock: Clock
    commits: CommitLog
    wall: Any

    def _engine(self, place: Place) -> Engine:
        raise NotImplementedError

    def _task_envelope(self, event: Mapping[str, Any]) -> tuple[Envelope, InvokeTask]:
        raise NotImplementedError

    def _place_of(self, envelope: Envelope) -> Place:
        raise NotImplementedError

    def _seen(self, place: Place, commit_id: str) -> str | None:
        raise NotImplementedError

    def _trigger(self, place: Place, seq: int, events: list[TimedEvent], effect: Effect | None, now: datetime,
                 extra: list[Action] | None = None, commit_id: str | None = None) -> None:
        raise NotImplementedError

    def _plan(self, place: Place, seq: int, effect: Effect, now: datetime) -> tuple[list[Action], list[Event]]:
        raise NotImplementedError

    def fail_task(self, event: Mapping[str, Any], error: str, cause: str, owner: str) -> str:
        """Fail a task whose Lambda never finished it (killed by its timeout, out of memory, its
        asynchronous retries exhausted): the Task's Retry/Catch apply as to any other error.

        ``owner`` is the request id of the failed invocation (Lambda keeps it across its
        retries), so the claim that invocation left is taken over; a claim another delivery
        still holds raises :class:`TaskInProgress` (that delivery will finish the task).
        Returns "failed", or why nothing was done ("duplicate", "recovered", "stopped").
        """
        envelope, effect = self._task_envelope(event)
        place = self._place_of(envelope)
        seen = self._seen(place, envelope.id)
        if seen is not None:
            return seen
        if not self.commits.claim(place.execution.id, envelope.id, owner, self.wall() + MAX_DELAY_SECONDS):
            raise TaskInProgress(f"task {envelope.id} is being run by another delivery")
        self._task_ended(place, envelope.seq, effect, HandlerOutcome(error=error, cause=cause), self.clock.now())
        return "failed"

    def _task_ended(self, place: Place, seq: int, effect: InvokeTask, outcome: HandlerOutcome,
                    started: datetime) -> None:
        """Record the task's start and outcome, then go on from it (Retry/Catch, the next states)."""
        now = self.clock.now()
        step = self._engine(place).task_ended(effect, now, output=outcome.output, error=outcome.error,
                                              cause=outcome.cause)
        self._trigger(place, seq, [(started, _started(effect)), *timed(step.events, now)], step.effect, now)

    def _ended_here(self, place: Place, seq: int, effect: InvokeTask, outcome: HandlerOutcome, now: datetime, *,
                    started: bool) -> tuple[list[Action], list[Event]]:
        """A Task that ended while being planned (an inline integration, a refused function): its
        events and what follows it (Retry/Catch apply)."""
        step = self._engine(place).task_ended(effect, now, output=outcome.output, error=outcome.error,
                                              cause=outcome.cause)
        actions, more = ([], []) if step.effect is None else self._plan(place, seq + 1, step.effect, now)
        return actions, [*([_started(effect)] if started else []), *step.events, *more]



def _started(effect: InvokeTask) -> Event:
    """The ``LambdaFunctionStarted`` / ``TaskStarted`` event of ``effect``."""
    return (effect.event_prefix + "Started", None, resource_details(effect.resource))
