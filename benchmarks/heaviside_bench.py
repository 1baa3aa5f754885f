"""heaviside's side of the benchmarks: run_local, the bare engine and definition loading.

``run_local`` figures include everything a caller pays: the definition cache lookup (which
hashes the canonical JSON of the definition), input checks, the scheduler loop and history
recording (history is recorded as events; rendering it with ``history()`` is not included).
Engine-only figures call :meth:`Engine.start` on an already compiled definition: the control
states run inline in that one call, with no scheduler and no history record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random

from benchmarks.timing import Sample, measure
from benchmarks.workloads import Workload
from heaviside.definition import loader
from heaviside.definition.compiler import compile_definition
from heaviside.definition.model import Definition
from heaviside.definition.validation import validate_definition
from heaviside.engine.effects import Execution, Succeeded
from heaviside.engine.interpreter import Engine
from heaviside.runner import run_local
from heaviside.runtime.execution import SUCCEEDED, ExecutionRecord


class BenchmarkFailure(AssertionError):
    """An implementation did not produce what the workload requires (the figures would be void)."""


def count_transitions(record: ExecutionRecord) -> int:
    """States executed in a run: the ``...StateEntered`` events of its rendered history."""
    return sum(1 for event in record.history() if event["type"].endswith("StateEntered"))


def run_checked(workload: Workload) -> ExecutionRecord:
    """Run ``workload`` once with ``run_local`` and check its status, output and transitions."""
    record = run_local(workload.definition, workload.input)
    if record.status != SUCCEEDED:
        raise BenchmarkFailure(f"heaviside: {workload.title} ended {record.status}: {record.error} {record.cause}")
    if record.output != workload.expected_output:
        raise BenchmarkFailure(f"heaviside: {workload.title} returned an unexpected output")
    transitions = count_transitions(record)
    if transitions != workload.transitions:
        raise BenchmarkFailure(
            f"heaviside: {workload.title} executed {transitions} states, expected {workload.transitions}"
        )
    return record


Operation = Callable[[], object]


def run_local_op(workload: Workload) -> Operation:
    """``run_local(definition_dict, input)`` of ``workload``, checked once (that run warms the cache)."""
    run_checked(workload)
    return lambda: run_local(workload.definition, workload.input)


def run_local_compiled_op(workload: Workload) -> Operation:
    """Like :func:`run_local_op` but given the compiled Definition (no cache lookup, no hashing)."""
    run_checked(workload)
    compiled = loader.load_definition(workload.definition)
    return lambda: run_local(compiled, workload.input)


def _execution(workload: Workload) -> Execution:
    arn = "arn:aws:states:us-east-1:123456789012"
    return Execution(
        id=f"{arn}:execution:bench:run",
        name="run",
        start_time="2024-01-01T00:00:00.000Z",
        input=workload.input,
        state_machine_id=f"{arn}:stateMachine:bench",
        state_machine_name="bench",
    )


def engine_op(workload: Workload) -> Operation:
    """One :meth:`Engine.start` that runs the whole (inline-only) workload, checked once.

    The Engine is built once (it holds no per-run state); each call starts a fresh execution.
    """
    definition: Definition = loader.load_definition(workload.definition)
    engine = Engine(definition, _execution(workload), Random(0))
    now = datetime(2024, 1, 1, tzinfo=UTC)
    step = engine.start(now)
    if not isinstance(step.effect, Succeeded) or step.effect.output != workload.expected_output:
        raise BenchmarkFailure(f"engine: {workload.title} did not succeed inline with the expected output")
    entered = sum(1 for event in step.events if event[0].endswith("StateEntered"))
    if entered != workload.transitions:
        raise BenchmarkFailure(f"engine: {workload.title} entered {entered} states, expected {workload.transitions}")
    return lambda: engine.start(now)


@dataclass(frozen=True)
class LoadCosts:
    """Definition loading of one workload, each phase timed on its own."""

    states: int
    validate: Sample  # validate_definition(dict)
    compile: Sample  # compile_definition(dict) (the validator's work excluded)
    load_cold: Sample  # load_definition(dict) with an empty cache: hash + validate + compile
    load_cached: Sample  # load_definition(dict) when cached: canonical JSON + sha256 + lookup


def time_loading(workload: Workload, runs: int) -> LoadCosts:
    """Time validation, compilation and ``load_definition`` (cold and cached) of ``workload``."""
    definition = workload.definition
    problems = validate_definition(definition)
    if problems:
        raise BenchmarkFailure(f"validation rejected {workload.title}: {problems[:3]}")
    states = len(definition["States"])
    validate = measure(lambda: validate_definition(definition), runs)
    compiled = measure(lambda: compile_definition(definition), runs)
    cold = measure(lambda: loader.load_definition(definition), runs, setup=loader._compiled_cache.clear)
    loader.load_definition(definition)
    cached = measure(lambda: loader.load_definition(definition), runs)
    return LoadCosts(states, validate, compiled, cold, cached)
