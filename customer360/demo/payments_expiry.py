"""Abandoned payments expire, as GOV.UK Pay's do: 90 minutes after creation an unfinished payment is
`failed`, with the state code P0020 ("Payment expired"), and can no longer be paid.

GOV.UK Pay runs its expiry as a background job; the demo provider expires lazily instead, before it
answers anything that shows a payment's state, so what any caller sees is exactly what a provider
that had run its job on time would show (and a test moves `created_date` back rather than waiting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo.payments_db import payments
from customer360.demo.payments_resource import UNFINISHED_STATES

PAYMENT_EXPIRY = timedelta(minutes=90)
EXPIRED_CODE = "P0020"


async def expire_abandoned(engine: AsyncEngine, now: datetime) -> None:
    due = (payments.c.status.in_(UNFINISHED_STATES), payments.c.created_date < now - PAYMENT_EXPIRY)
    # Looked for first with a read: most calls find nothing, and an UPDATE would take SQLite's write
    # lock on every read of the API.
    async with engine.connect() as conn:
        if not await conn.scalar(select(exists().where(*due))):
            return
    async with engine.begin() as conn:
        # The same conditions again: a payment paid meanwhile is finished and stays as it is.
        await conn.execute(update(payments).where(*due).values(status="failed", state_code=EXPIRED_CODE))
