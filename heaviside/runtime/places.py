"""Where the distributed driver's work happens: places in an execution and the work stack of one trigger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from heaviside.definition.model import Definition
from heaviside.engine.effects import Event, Execution, Fork
from heaviside.runtime.envelope import BranchPath, effect_id
from heaviside.runtime.ports import Action, TimedEvent


@dataclass(frozen=True, slots=True)
class Place:
    """Where a piece of work happens: the execution, its definition and the branch."""

    definition_hash: str
    definition: Definition
    execution: Execution
    branch: BranchPath

    def child(self, state: str, fork_seq: int, index: int) -> Place:
        return Place(self.definition_hash, self.definition, self.execution, (*self.branch, (state, fork_seq, index)))

    def parent(self) -> Place:
        return Place(self.definition_hash, self.definition, self.execution, self.branch[:-1])

    def join_ids(self) -> list[str]:
        """The ids of the joins enclosing this branch, outermost first."""
        name = self.execution.name
        return [effect_id(name, fork_seq, self.branch[:level]) for level, (_, fork_seq, _) in enumerate(self.branch)]


@dataclass
class Work:
    """What one trigger still has to perform: a stack of (place, action), depth first."""

    stack: list[tuple[Place, Action]] = field(default_factory=list)
    forks: dict[str, Fork] = field(default_factory=dict)  # join id -> its fork, rebuilt once

    def push(self, place: Place, actions: list[Action]) -> None:
        self.stack.extend((place, action) for action in reversed(actions))



def timed(events: list[Event], now: datetime) -> list[TimedEvent]:
    return [(now, event) for event in events]
