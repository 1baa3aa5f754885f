"""Malformed, forged and tampered envelopes are refused: logged with a reason, dead-lettered, never run.

The driver runs on in-memory ports (:class:`~heaviside.backends.memory.MemoryCloud`). Each case
takes a genuine task envelope the driver sent, changes it, delivers the changed copy first,
then the genuine one: the changed copy must land in the dead-letter list with the expected
reason and run no handler, and the execution must end exactly as without it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest

from heaviside.backends.memory import Delivery, MemoryCloud
from heaviside.runtime.envelope import effect_id
from heaviside.runtime.function_policy import NOT_ALLOWED_ERROR, FunctionPolicy

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
KEY = b"k" * 32
DEFINITION = {"StartAt": "Both", "States": {
    "Both": {"Type": "Parallel", "Next": "Last", "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Task", "Resource": FN + "double", "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Task", "Resource": FN + "double", "End": True}}}]},
    "Last": {"Type": "Task", "Resource": FN + "total", "End": True}}}
HANDLERS: dict[str, Callable[[Any, Any], Any]] = {
    "double": lambda event, context: event["n"] * 2,
    "total": lambda event, context: sum(event),
}


def _with_id(event: dict[str, Any]) -> dict[str, Any]:
    """Keep the envelope's id consistent with its (changed) place, as a careful forger would."""
    branch = tuple((state, fork, index) for state, fork, index in event["branch"])
    return {**event, "id": effect_id(event["execution"]["name"], event["seq"], branch)}


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(event)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return changed

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda event: {name: value for name, value in event.items() if name != key}


#: (case, change, the reason the driver must give when envelopes are not signed)
CHANGES: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("wrong version", _set(("heaviside",), 2), "unsupported envelope version 2"),
    ("missing frame", _drop("frame"), "malformed envelope"),
    ("missing execution", _drop("execution"), "malformed envelope"),
    ("seq as text", _set(("seq",), "1"), "not a non-negative integer"),
    ("negative retry count", _set(("frame", "retryCount"), -1), "not a non-negative integer"),
    ("id of another place", _set(("id",), "someone/else/-"), "does not match its place"),
    ("unknown definition", _set(("definition",), "0" * 64), "cannot be loaded"),
    ("branch index out of range", lambda event: _with_id(_set(("branch",), [["Both", 0, 5]])(event)),
     "Parallel state 'Both' has 2 branches"),
    ("branch through a Task", lambda event: _with_id(_set(("branch",), [["Last", 0, 0]])(event)),
     "no Parallel or Map state 'Last'"),
    ("state outside the branch", _set(("frame", "state"), "Last"), "which its branch does not have"),
    ("resume kind", _set(("kind",), "resume"), "malformed envelope"),
    ("oversize", _set(("pad",), "x" * (300 * 1024)), "the limit is 262144"),
    ("execution of another name", _set(("execution", "id"), "arn:aws:states:us-east-1:1:execution:m:other"),
     "is not named"),
]


def _first_branch_task(cloud: MemoryCloud) -> Delivery:
    """The queued delivery of the Parallel's first branch (Left)."""
    return next(item for item in cloud.dispatcher.queue if item.event["frame"]["state"] == "Left")


def _run_with_forgery(change: Callable[[dict[str, Any]], dict[str, Any]], *,
                      signing_key: bytes | None) -> tuple[MemoryCloud, str]:
    cloud = MemoryCloud(HANDLERS, signing_key=signing_key)
    arn = cloud.start(DEFINITION, {"n": 3})
    genuine = _first_branch_task(cloud)
    forged = Delivery(genuine.kind, genuine.function, change(genuine.event))
    cloud.dispatcher.queue.insert(0, forged)
    cloud.run()
    return cloud, arn


@pytest.mark.parametrize(("change", "reason"), [(change, reason) for _, change, reason in CHANGES],
                         ids=[case for case, _, _ in CHANGES])
def test_without_a_signature_the_shape_and_place_checks_refuse_it(
        change: Callable[[dict[str, Any]], dict[str, Any]], reason: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="heaviside.driver"):
        cloud, arn = _run_with_forgery(change, signing_key=None)
    assert len(cloud.dispatcher.dead_letters) == 1
    assert reason in cloud.dispatcher.dead_letters[0][1]
    assert any(reason in message for message in caplog.messages), "the reason is not logged"
    record = cloud.record(arn)
    assert (record.status, record.output) == ("SUCCEEDED", 12)
    assert [name for name, _ in cloud.handler_calls] == ["double", "double", "total"]


@pytest.mark.parametrize("change", [change for _, change, _ in CHANGES], ids=[case for case, _, _ in CHANGES])
def test_with_a_signing_key_every_change_breaks_the_signature(
        change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    cloud, arn = _run_with_forgery(change, signing_key=KEY)
    assert len(cloud.dispatcher.dead_letters) == 1
    reason = cloud.dispatcher.dead_letters[0][1]
    assert "signature" in reason or "limit is 262144" in reason or "version" in reason
    assert (cloud.record(arn).status, cloud.record(arn).output) == ("SUCCEEDED", 12)
    assert len(cloud.handler_calls) == 3


def test_a_well_formed_forgery_of_another_place_passes_the_shape_checks_but_not_the_signature() -> None:
    """Changing the payload or pointing at another Task of the same branch is only caught by the signature."""
    changes = [_set(("task", "payload"), {"n": 1000}), _set(("frame", "input"), {"n": 1000})]
    for change in changes:
        cloud, arn = _run_with_forgery(change, signing_key=KEY)
        assert "signature that does not match" in cloud.dispatcher.dead_letters[0][1]
        assert cloud.record(arn).output == 12
    unsigned, arn = _run_with_forgery(changes[0], signing_key=None)
    assert unsigned.dispatcher.dead_letters == []  # why deployments sign: the forged payload ran
    assert unsigned.record(arn).output == 2006


def test_signed_envelopes_carry_a_signature_and_an_unsigned_one_is_refused() -> None:
    cloud = MemoryCloud(HANDLERS, signing_key=KEY)
    cloud.start(DEFINITION, {"n": 3})
    genuine = _first_branch_task(cloud)
    assert genuine.event["sig"].startswith("hmac-sha256:")
    cloud, _ = _run_with_forgery(_drop("sig"), signing_key=KEY)
    assert "is not signed" in cloud.dispatcher.dead_letters[0][1]


def test_a_function_outside_the_allowed_set_is_never_invoked_and_fails_the_task() -> None:
    policy = FunctionPolicy({"double": "stack-double"}, ("stack-*",), "123456789012")
    definition = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Other",
                 "Parameters": {"FunctionName.$": "$.target", "Payload": {"n": 1}},
                 "Catch": [{"ErrorEquals": [NOT_ALLOWED_ERROR], "ResultPath": "$.denied", "Next": "Other"}]},
        "Other": {"Type": "Task", "Resource": FN + "double", "End": True, "Parameters": {"n": 2}}}}
    invoked: list[str] = []

    def recording(name: str) -> Callable[[Any, Any], Any]:
        def handler(event: Any, context: Any) -> Any:
            invoked.append(name)
            return event["n"] * 2

        return handler

    handlers = {name: recording(name) for name in ("double", "steal", "stack-double")}
    cloud = MemoryCloud(handlers, functions=policy)
    arn = cloud.start(definition, {"target": "arn:aws:lambda:us-east-1:999999999999:function:stack-steal"})
    cloud.run()
    record = cloud.record(arn)
    assert record.status == "SUCCEEDED" and record.output == 4
    assert invoked == ["double"]  # the cross-account function never ran; the mapped one did
    failed = [details for _, (kind, _, details) in cloud.commits.events(arn) if kind == "TaskFailed"]
    assert failed and failed[0]["error"] == NOT_ALLOWED_ERROR
    assert "stack-steal" in failed[0]["cause"] and "HEAVISIDE_ALLOWED_FUNCTIONS" in failed[0]["cause"]


@pytest.mark.parametrize(("function", "allowed"), [
    ("stack-a", True), ("double", True), ("other", False),
    ("arn:aws:lambda:us-east-1:123456789012:function:stack-b", True),
    ("arn:aws:lambda:us-east-1:999999999999:function:stack-b", False),
    ("arn:aws:lambda:us-east-1:999999999999:function:partner-x", True),
])
def test_allowed_patterns(function: str, allowed: bool) -> None:
    policy = FunctionPolicy({"double": "stack-double"},
                            ("stack-*", "arn:aws:lambda:*:999999999999:function:partner-*"), "123456789012")
    assert (policy.refusal(function) is None) == allowed
    assert FunctionPolicy().refusal(function) is None  # no patterns: everything (IAM decides)
