"""Abandoned payments expire, as GOV.UK Pay's do: 90 minutes after creation an unfinished payment is
`failed`, with the state code P0020 ("Payment expired"), and can no longer be paid.

GOV.UK Pay runs its expiry as a background job; the demo provider expires lazily instead, before it
answers anything that shows a payment's state, so what any caller sees is exactly what a provider
that had run its job on time would show (and a test moves `created_date` back rather than waiting).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo.payments_db import payments
from customer360.demo.payments_resource import UNFINISHED_STATES
from customer360.sources.sql_columns import as_utc

PAYMENT_EXPIRY = timedelta(minutes=90)
EXPIRED_CODE = "P0020"


def has_expired(row: Mapping[Any, Any], now: datetime) -> bool:
    """Whether a payment row as read is due to expire (so one read answers the common case, unexpired)."""
    created = as_utc(row["created_date"])
    return row["status"] in UNFINISHED_STATES and created is not None and created < now - PAYMENT_EXPIRY


async def expire_abandoned(engine: AsyncEngine, now: datetime, payment_id: str | None = None) -> None:
    """Expire every payment due (or only `payment_id`, if it is due)."""
    due = [payments.c.status.in_(UNFINISHED_STATES), payments.c.created_date < now - PAYMENT_EXPIRY]
    if payment_id is not None:
        due.append(payments.c.payment_id == payment_id)
    # Looked for first with a read: most calls find nothing, and an UPDATE would take SQLite's write
    # lock on every read of the API.
    async with engine.connect() as conn:
        if not await conn.scalar(select(exists().where(*due))):
            return
    async with engine.begin() as conn:
        # The same conditions again: a payment paid meanwhile is finished and stays as it is.
        await conn.execute(update(payments).where(*due).values(status="failed", state_code=EXPIRED_CODE))
