"""The write path every mutation shares: keep the intent and its deliveries, then try to deliver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from customer360.commands.delivery import Deliverer
from customer360.domain.submissions import Submission, new_reference
from customer360.store.locks import Locks
from customer360.store.outbox import NewDelivery, OutboxStore


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
        for the relay, and the resident sees it as submitted.
        """
        submission = Submission(
            reference=reference or new_reference(),
            customer_id=customer_id,
            kind=kind,
            service_code=service_code,
            payload=payload,
            created_at=datetime.now(UTC),
        )
        item_ids = await self.outbox.submit(submission, deliveries)
        await self.deliverer.deliver(item_ids)
        found = await self.outbox.submissions_by_reference([submission.reference])
        return found[submission.reference]
