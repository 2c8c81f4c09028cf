"""The write path every mutation shares: keep the intent and its deliveries, then try to deliver."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from customer360.commands.delivery import Deliverer
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import DeliveryRecord, Submission, new_reference
from customer360.store.idempotency import note_writing
from customer360.store.locks import Locks
from customer360.store.outbox import NewDelivery, OutboxStore

log = logging.getLogger("customer360.writes")


@dataclass
class WritePath:
    outbox: OutboxStore
    deliverer: Deliverer
    locks: Locks  # commands that check then write hold one per account (or customer) around both

    async def submit(
        self,
        *,
        kind: str,
        customer_id: str | None,
        payload: dict[str, Any],
        deliveries: Sequence[NewDelivery],
        service_code: str | None = None,
        reference: str | None = None,
    ) -> Submission:
        """Kept first (the resident's reference is good from here on), delivered second.

        A back office that is down does not fail the submission: its delivery stays pending
        for the relay, and the resident sees it as submitted. Nor does anything else that fails
        after the commit (the first delivery attempt, reading the submission back, the cache): the
        resident gets the reference of what was kept, as pending, rather than an error that a retry
        would turn into a second submission.
        """
        submission = Submission(
            reference=reference or new_reference(),
            customer_id=customer_id,
            kind=kind,
            service_code=service_code,
            payload=payload,
            created_at=datetime.now(UTC),
        )
        note_writing()  # from here a request cut short by its timeout runs on (http/idempotency.py)
        item_ids = await self.outbox.submit(submission, deliveries)
        try:
            await self.deliverer.deliver(item_ids)
            found = await self.outbox.submissions_by_reference([submission.reference])
            return found[submission.reference]
        except Exception as error:  # committed: the relay delivers it, whatever went wrong here
            log.warning(
                "%s %s kept; a step after the commit failed (%s): its deliveries are left to the relay",
                kind,
                submission.reference,
                type(error).__name__,
            )
            return replace(submission, deliveries=tuple(_pending(delivery) for delivery in deliveries))


def _pending(delivery: NewDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        destination=str(delivery.destination), operation=delivery.operation, state=DeliveryState.PENDING, attempts=0
    )
