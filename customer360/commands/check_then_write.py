"""A "not done already" check and the write it guards, for one account or customer at a time.

The check holds the lock named for what it protects (`writes.locks.hold(...)`) from reading to
keeping, so of N identical requests at once one is kept and the others see it. It must see both
the back office (read afresh, not from the cache) and what we have kept but not yet delivered:
the back-office write happens later, through the outbox.
"""

from __future__ import annotations

from typing import Any

from customer360.commands.write_path import WritePath
from customer360.domain.submissions import awaiting_delivery


def account_lock(reference: str) -> str:
    return f"account:{reference}"


def customer_lock(customer_id: str, what: str) -> str:
    return f"customer:{customer_id}:{what}"


async def kept_not_delivered(writes: WritePath, customer_id: str | None, kind: str, **payload: Any) -> bool:
    """Whether the customer has a request of this kind (carrying these payload items) still on its way."""
    if customer_id is None:
        return False
    kept = await writes.outbox.submissions_by_customer([customer_id])
    return awaiting_delivery(kept.get(customer_id, []), kind, **payload)
