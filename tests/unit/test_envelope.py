"""The envelope wire format: lossless round trips, offloading, clear errors, deterministic ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from random import Random
from typing import Any

import pytest

from heaviside import run_local
from heaviside.definition.loader import load_definition
from heaviside.engine.effects import Execution, Failed, InvokeTask, ScheduleWait, Step, Succeeded
from heaviside.engine.interpreter import Engine
from heaviside.runtime.envelope import (
    REF,
    EnvelopeError,
    MemoryPayloadStore,
    decode,
    effect_id,
    encode,
    is_envelope,
)

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
NOW = datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
EXECUTION = Execution("arn:aws:states:us-east-1:123456789012:execution:sm:e1", "e1", "2026-05-01T08:30:15.123Z",
                      {"order": 7}, "arn:aws:states:us-east-1:123456789012:stateMachine:sm", "sm")
DEFINITION = {"StartAt": "Fetch", "States": {
    "Fetch": {"Type": "Task", "Resource": FN + "fetch", "ResultPath": "$.fetched",
              "Parameters": {"order.$": "$.order", "try.$": "$$.State.RetryCount"},
              "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 30}],
              "Assign": {"seen.$": "$.payload.order"}, "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Ship"},
    "Ship": {"Type": "Task", "Resource": FN + "ship", "Parameters": {"order.$": "$seen"}, "End": True},
}}


def through_the_wire(envelope: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(envelope))
    return loaded


def test_task_envelope_round_trip_is_lossless() -> None:
    engine = Engine(load_definition(DEFINITION), EXECUTION, Random(1))
    effect = engine.start(NOW).effect
    assert isinstance(effect, InvokeTask)
    envelope = through_the_wire(encode("abc123", EXECUTION, (("Par", 2, 1), ("Map", 3, 4)), 3, effect))
    assert is_envelope(envelope) and envelope["kind"] == "task"
    decoded = decode(envelope)
    assert decoded.effect == effect
    assert decoded.execution == EXECUTION
    assert (decoded.definition, decoded.branch, decoded.seq) == ("abc123", (("Par", 2, 1), ("Map", 3, 4)), 3)
    assert decoded.id == envelope["id"] == "e1/3/Par@2[1].Map@3[4]"


def test_an_execution_can_travel_envelope_by_envelope() -> None:
    """Each step happens in a 'new Lambda': a fresh engine fed only the decoded envelope."""
    definition = load_definition(DEFINITION)
    calls: dict[str, int] = {}

    def handle(effect: InvokeTask) -> tuple[str, Any]:
        name = effect.function_name or ""
        calls[name] = calls.get(name, 0) + 1
        if name == "fetch" and calls[name] == 1:
            return "error", "Flaky"
        return "ok", {"handled": name, "payload": effect.payload}

    step: Step = Engine(definition, EXECUTION, Random(1)).start(NOW)
    seq = 0
    while isinstance(step.effect, InvokeTask | ScheduleWait):
        seq += 1
        decoded = decode(through_the_wire(encode(definition.content_hash, EXECUTION, (), seq, step.effect)))
        engine = Engine(definition, decoded.execution, Random(1))
        if isinstance(decoded.effect, ScheduleWait):
            step = engine.resume_after_wait(decoded.effect.frame, decoded.effect.until)
            continue
        outcome, value = handle(decoded.effect)
        step = (engine.task_succeeded(decoded.effect, value, NOW) if outcome == "ok"
                else engine.task_failed(decoded.effect, value, "first call fails", NOW))
    assert isinstance(step.effect, Succeeded)
    handlers = {"fetch": lambda e, c: {"handled": "fetch", "payload": e}, "ship": lambda e, c: {"handled": "ship",
                                                                                                  "payload": e}}
    local = run_local(DEFINITION, {"order": 7}, handlers=handlers, skip_waits=True)
    assert step.effect.output == local.output
    assert calls == {"fetch": 2, "ship": 1}


def test_resume_envelope_round_trip() -> None:
    definition = load_definition(DEFINITION)
    engine = Engine(definition, EXECUTION, Random(1))
    invoke = engine.start(NOW).effect
    assert isinstance(invoke, InvokeTask)
    retry = engine.task_failed(invoke, "Flaky", None, NOW).effect
    assert isinstance(retry, ScheduleWait)
    decoded = decode(through_the_wire(encode("h", EXECUTION, (), 2, retry)))
    assert decoded.effect == retry and decoded.effect.purpose == "retry"


ARN = "arn:aws:states:us-east-1:1:execution:sm:"


def test_large_values_travel_through_the_payload_store() -> None:
    store = MemoryPayloadStore()
    big = {"blob": "x" * 300_000}
    execution = Execution(ARN + "e2", "e2", "2026-05-01T08:30:15Z", big, "arn:sm", "sm")
    engine = Engine(load_definition({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "f",
                                                                      "End": True}}}), execution, Random(1))
    effect = engine.start(NOW).effect
    assert isinstance(effect, InvokeTask)
    envelope = encode("h", execution, (), 1, effect, store=store, threshold=1024)
    assert envelope["task"]["payload"][REF].startswith("memory://")
    assert envelope["execution"]["input"]["bytes"] > 300_000
    assert len(json.dumps(envelope)) < 10_000
    assert decode(through_the_wire(envelope), store=store).effect == effect
    with pytest.raises(EnvelopeError, match="no payload store"):
        decode(envelope)


def test_values_that_fit_alone_but_not_together_are_packed_largest_first() -> None:
    store = MemoryPayloadStore()
    execution = Execution(ARN + "e3", "e3", "2026-05-01T08:30:15Z", {"a": "x" * 150_000}, "arn:sm", "sm")
    engine = Engine(load_definition({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "f",
                                                                      "End": True}}}), execution, Random(1))
    effect = engine.start(NOW).effect
    assert isinstance(effect, InvokeTask)
    envelope = encode("h", execution, (), 1, effect, store=store, threshold=200 * 1024)
    # execution input and state input are 150 KB each: one goes, the rest fits under 200 KiB
    assert len(json.dumps(envelope)) < 200 * 1024
    assert len(store.objects) >= 1
    assert decode(through_the_wire(envelope), store=store).effect == effect


def test_small_values_stay_inline() -> None:
    store = MemoryPayloadStore()
    engine = Engine(load_definition(DEFINITION), EXECUTION, Random(1))
    effect = engine.start(NOW).effect
    assert isinstance(effect, InvokeTask)
    encode("h", EXECUTION, (), 1, effect, store=store)
    assert store.objects == {}


@pytest.mark.parametrize("event", [
    {"heaviside": 2, "kind": "task"},
    {"heaviside": 1, "kind": "task", "id": "x"},
    {"heaviside": 1, "kind": "teleport", "definition": "h", "execution": {}, "frame": {}},
])
def test_malformed_envelopes_are_clear_errors(event: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeError):
        decode(event)


def test_plain_events_are_not_envelopes() -> None:
    assert not is_envelope({"orderId": 1})
    assert not is_envelope([1, 2])
    assert not is_envelope({"heaviside": "yes"})


def test_effect_ids_are_deterministic() -> None:
    assert effect_id("run-1", 5, ()) == "run-1/5/-"
    assert effect_id("run-1", 5, (("P", 4, 0),)) == effect_id("run-1", 5, (("P", 4, 0),))
    assert effect_id("run-1", 5, (("P", 4, 0),)) != effect_id("run-1", 5, (("P", 4, 1),))
    # a retried Parallel forks again at a later sequence number: its branches get new ids
    assert effect_id("run-1", 2, (("P", 4, 0),)) != effect_id("run-1", 2, (("P", 7, 0),))


def test_failed_steps_need_no_envelope() -> None:
    engine = Engine(load_definition({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}), EXECUTION,
                    Random(1))
    assert isinstance(engine.start(NOW).effect, Failed)
