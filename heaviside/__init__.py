"""heaviside: Amazon States Language state machines without the Step Functions service.

``run_local`` runs an execution on this machine; the engine underneath is pure and shared
with the AWS runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heaviside.errors import DefinitionError, Problem, StatesError

if TYPE_CHECKING:
    from heaviside.decorator import task
    from heaviside.runner import run_local

__all__ = ["DefinitionError", "Problem", "StatesError", "run_local", "task"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``import heaviside`` stays light (and never pulls in the runtime).
    if name == "run_local":
        from heaviside.runner import run_local

        return run_local
    if name == "task":
        from heaviside.decorator import task

        return task
    raise AttributeError(f"module 'heaviside' has no attribute {name!r}")
