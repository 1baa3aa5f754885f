"""What a receiver checks before it acts on an envelope, and the signature that makes forging one hard.

An envelope arrives as a Lambda event or an SQS message body: anyone allowed to invoke a task
function or send to the wait queue can hand heaviside one. Before any store is touched, the
receiver checks, in this order:

* **size**: at most :data:`MAX_ENVELOPE_BYTES` (an asynchronous Lambda event and an SQS message
  are capped at 256 KiB; heaviside never sends more, so a bigger one was not sent by heaviside);
* **signature**: with a signing key configured, ``sig`` must be the HMAC-SHA256 of the rest of
  the envelope (canonical JSON) under that key — a tampered field, a forged envelope or a
  missing ``sig`` is refused;
* **place** (:func:`check_place`, once the definition is loaded): every step of the branch path
  names a Parallel or Map state of the enclosing block with a branch index it has, and the
  frame's state exists in that block with the type the envelope's kind needs.

Each failure raises :class:`~heaviside.runtime.envelope.EnvelopeError` with the reason; the
caller logs it and moves the envelope to the dead-letter queue, never retries or executes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

from heaviside.definition.model import Definition, Machine, MapState, ParallelState, Recoverable, TaskState, WaitState
from heaviside.runtime.envelope import BranchPath, EnvelopeError
from heaviside.runtime.ports import Dispatcher

#: The largest envelope heaviside sends or accepts (bytes of compact JSON).
MAX_ENVELOPE_BYTES: Final = 256 * 1024
SIGNATURE: Final = "sig"
_SCHEME: Final = "hmac-sha256:"


def _canonical(event: Mapping[str, Any]) -> bytes:
    unsigned = {key: value for key, value in event.items() if key != SIGNATURE}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class EnvelopeSigner:
    """Signs outgoing envelopes and checks incoming ones (no key: neither, only the size check)."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or None

    def _signature(self, body: bytes) -> str:
        assert self.key is not None
        return _SCHEME + hmac.new(self.key, body, hashlib.sha256).hexdigest()

    def sign(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """``event`` with its signature (replacing any earlier one); unchanged without a key."""
        if self.key is None:
            return dict(event)
        return {**{key: value for key, value in event.items() if key != SIGNATURE},
                SIGNATURE: self._signature(_canonical(event))}

    def verify(self, event: Mapping[str, Any]) -> None:
        """Raise :class:`EnvelopeError` when ``event`` is oversized or its signature does not match."""
        body = _canonical(event)
        if len(body) > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(f"envelope {_ident(event)} is {len(body)} bytes; the limit is {MAX_ENVELOPE_BYTES}")
        if self.key is None:
            return
        given = event.get(SIGNATURE)
        if not isinstance(given, str) or not given:
            raise EnvelopeError(f"envelope {_ident(event)} is not signed")
        if not hmac.compare_digest(given.encode("utf-8"), self._signature(body).encode("utf-8")):
            raise EnvelopeError(f"envelope {_ident(event)} has a signature that does not match its content")


def _ident(event: Mapping[str, Any]) -> str:
    ident = event.get("id")
    return repr(ident)[:200] if ident is not None else "(no id)"


def check_place(definition: Definition, branch: BranchPath, state: str, kind: str, purpose: str = "") -> None:
    """Raise :class:`EnvelopeError` unless ``branch`` leads to a block of ``definition`` that has
    ``state``, of a type an envelope of ``kind`` ("task" or "resume" with ``purpose``) can name.
    ``branch`` comes from :func:`~heaviside.runtime.envelope.decode`, which refuses negative numbers."""
    machine: Machine = definition.machine
    for depth, (name, fork_seq, index) in enumerate(branch):
        where = f"branch step {depth} ({name!r}, {fork_seq}, {index})"
        parent = machine.states.get(name)
        if isinstance(parent, ParallelState):
            if index >= len(parent.branches):
                raise EnvelopeError(f"{where}: Parallel state {name!r} has {len(parent.branches)} branches")
            machine = parent.branches[index]
        elif isinstance(parent, MapState) and parent.processor is not None:
            machine = parent.processor
        else:
            raise EnvelopeError(f"{where}: no Parallel or Map state {name!r} there")
    target = machine.states.get(state)
    if target is None:
        raise EnvelopeError(f"the envelope names state {state!r}, which its branch does not have")
    wanted: tuple[type, ...]
    if kind == "task":
        wanted = (TaskState,)
    elif purpose == "wait":
        wanted = (WaitState,)
    else:
        wanted = (Recoverable,)  # a retry backoff: Task, Parallel or Map
    if not isinstance(target, wanted):
        raise EnvelopeError(f"a {kind} envelope cannot name the {target.type} state {state!r}")


class SignedDispatcher:
    """A :class:`~heaviside.runtime.ports.Dispatcher` that signs every envelope it sends."""

    def __init__(self, inner: Dispatcher, signer: EnvelopeSigner) -> None:
        self.inner, self.signer = inner, signer

    def invoke(self, function: str, event: dict[str, Any]) -> None:
        self.inner.invoke(function, self.signer.sign(event))

    def schedule(self, event: dict[str, Any], delay_seconds: int) -> None:
        self.inner.schedule(self.signer.sign(event), delay_seconds)

    def dead_letter(self, event: Any, reason: str) -> None:
        self.inner.dead_letter(event, reason)
