"""The write path every mutation shares: keep the intent and its deliveries, then try to deliver."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from customer360.attempts import key_digest, note_writing
from customer360.commands.delivery import Deliverer
from customer360.commands.receipts import receipt_for
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import DeliveryRecord, Submission, new_reference
from customer360.store.locks import Locks
from customer360.store.outbox import AlreadyKept, NewDelivery, OutboxStore

log = logging.getLogger("customer360.writes")


@dataclass(frozen=True)
class Kept:
    """A submission committed with its deliveries, not yet attempted."""

    submission: Submission
    deliveries: Sequence[NewDelivery]
    item_ids: Sequence[int]
    held: bool = False  # delivered only once its fee is paid


@dataclass
class WritePath:
    outbox: OutboxStore
    deliverer: Deliverer
    locks: Locks  # check-then-write commands hold one per account (or customer) around check and keep

    async def submit(self, **kept: Any) -> Submission:
        """Kept first (the resident's reference is good from here on), delivered second; `kept`: keep()'s."""
        return await self.deliver(await self.keep(**kept))

    async def keep(
        self,
        *,
        kind: str,
        customer_id: str | None,
        payload: dict[str, Any],
        deliveries: Sequence[NewDelivery],
        service_code: str | None = None,
        reference: str | None = None,
        held: bool = False,
        attachment_ids: Sequence[str] = (),
    ) -> Kept:
        """The intent and its deliveries, committed: all a check-then-write does under its lock."""
        submission = Submission(
            reference=reference or new_reference(),
            customer_id=customer_id,
            kind=kind,
            service_code=service_code,
            payload=payload,
            created_at=datetime.now(UTC),
        )
        note_writing()  # from here a request cut short by its timeout runs on (http/idempotency.py)
        receipt = receipt_for(kind, payload, customer_id)  # kept with the request: never one without the other
        kept = [*deliveries, receipt] if receipt else deliveries
        digest = key_digest()
        # Per kind: a keyed request keeps at most one intent of each kind.
        keyed = hashlib.sha256(f"{digest}\x00{kind}".encode()).hexdigest() if digest else None
        try:
            item_ids = await self.outbox.submit(
                submission, kept, held=held, idempotency_key=keyed, attachment_ids=attachment_ids
            )
        except AlreadyKept as earlier:
            # The same request ran before on a worker that died after keeping it: answer with that write
            # (its deliveries are the relay's; `held` here only skips a first attempt of its own).
            log.warning("%s kept before under the same Idempotency-Key: answering with it", kind)
            found = await self.outbox.submissions_by_reference([earlier.reference])
            return Kept(found[earlier.reference], (), (), held=True)
        return Kept(submission, deliveries, item_ids, held)

    async def deliver(self, kept: Kept) -> Submission:
        """The first delivery attempt, outside any check lock (it may take a first-record lock of its own,
        and a back office's time).

        A back office that is down does not fail the submission: its delivery stays pending
        for the relay, and the resident sees it as submitted. Nor does anything else that fails
        after the commit (the first delivery attempt, reading the submission back, the cache): the
        resident gets the reference of what was kept, as pending, rather than an error that a retry
        would turn into a second submission.
        """
        submission = kept.submission
        try:
            if not kept.held:  # a held request is delivered when its fee is paid (commands/payments.py)
                await self.deliverer.deliver(kept.item_ids)
            found = await self.outbox.submissions_by_reference([submission.reference])
            return found[submission.reference]
        except Exception as error:  # committed: the relay delivers it, whatever went wrong here
            log.warning(
                "%s %s kept; a step after the commit failed (%s): its deliveries are left to the relay",
                submission.kind,
                submission.reference,
                type(error).__name__,
            )
            return replace(submission, deliveries=tuple(_pending(delivery, kept.held) for delivery in kept.deliveries))


def _pending(delivery: NewDelivery, held: bool) -> DeliveryRecord:
    state = DeliveryState.HELD if held else DeliveryState.PENDING
    return DeliveryRecord(destination=str(delivery.destination), operation=delivery.operation, state=state, attempts=0)
