"""The receiving half of :class:`~heaviside.runtime.driver.Driver` (a mixin): what is checked before
an incoming envelope is acted on, and what becomes of one that is refused.

The checks themselves (size, signature, place in the definition) are
:mod:`heaviside.runtime.envelope_trust`'s; this mixin applies them in order at the driver's entry
points and turns a missing definition into a refusal. A refused event is logged with its reason
and handed to the dispatcher's dead-letter queue, once: it is never retried, never carried out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from heaviside.definition.model import Definition
from heaviside.engine.effects import Execution, InvokeTask
from heaviside.errors import DefinitionError
from heaviside.runtime.envelope import BranchPath, Envelope, EnvelopeError, PayloadStore, decode
from heaviside.runtime.envelope_trust import EnvelopeSigner, check_place
from heaviside.runtime.places import Place
from heaviside.runtime.ports import DefinitionSource, Dispatcher

log = logging.getLogger("heaviside.driver")


class Reception:
    """Checks received envelopes and refuses the bad ones (see the module docstring)."""

    signer: EnvelopeSigner
    payloads: PayloadStore | None
    definitions: DefinitionSource
    dispatcher: Dispatcher

    def _place(self, content_hash: str, execution: Execution, branch: BranchPath) -> Place:
        definition: Definition = self.definitions.get(content_hash)
        return Place(content_hash, definition, execution, branch)

    def _place_of(self, envelope: Envelope) -> Place:
        """Where a received envelope acts; :class:`EnvelopeError` if its definition or place does not exist."""
        try:
            place = self._place(envelope.definition, envelope.execution, envelope.branch)
        except (LookupError, ValueError, DefinitionError) as exc:
            raise EnvelopeError(f"envelope {envelope.id}: definition {envelope.definition[:80]!r} "
                                f"cannot be loaded: {exc}") from None
        effect = envelope.effect
        kind, purpose = ("task", "") if isinstance(effect, InvokeTask) else ("resume", effect.purpose)
        try:
            check_place(place.definition, envelope.branch, effect.frame.state, kind, purpose)
        except EnvelopeError as exc:
            raise EnvelopeError(f"envelope {envelope.id}: {exc}") from None
        return place

    def _task_envelope(self, event: Mapping[str, Any]) -> tuple[Envelope, InvokeTask]:
        """A received task envelope, checked (signature, size, shape), and its task."""
        self.signer.verify(event)
        envelope = decode(event, store=self.payloads)
        if not isinstance(envelope.effect, InvokeTask):
            raise EnvelopeError(f"envelope {envelope.id} of kind {event.get('kind')!r} is not a task envelope")
        return envelope, envelope.effect

    def reject(self, event: Any, reason: str) -> None:
        """An event that must never be carried out: log why and move it to the dead-letter queue."""
        parsed = event
        if isinstance(event, str):  # a message body
            try:
                parsed = json.loads(event)
            except ValueError:
                parsed = None
        ident = parsed.get("id") if isinstance(parsed, Mapping) else None
        log.error("rejected envelope %r: %s", str(ident)[:200] if ident is not None else "?", reason)
        self.dispatcher.dead_letter(event, reason)

