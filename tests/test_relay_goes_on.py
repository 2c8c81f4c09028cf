"""One relay pass settles each row on its own: a row whose handler fails unexpectedly, or whose
first-record lock another worker holds past the wait budget, is deferred with a backoff, and the rows
behind it are still delivered in the same pass."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.commands.delivery import Delivered, Deliverer, DeliveryTools
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.store.database import create_engine
from customer360.store.locks import LeaseLocks
from customer360.store.outbox import NewDelivery, OutboxItem
from customer360.store.tables import outbox
from tests.support import running_app

BROKEN = "test.broken_handler"
FINE = "test.fine_handler"
NEEDS_RECORD = "test.needs_a_new_record"


async def broken(_tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(item.payload["no such key"])  # a handler's bug: KeyError


async def fine(_tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(f"BO-{item.reference}")


async def kept(relay: Deliverer, operation: str, destination: str = "TEST", customer_id: str | None = None) -> int:
    submission = Submission(new_reference(), customer_id, "test", None, {}, datetime.now(UTC))
    (item_id,) = await relay.outbox.submit(submission, [NewDelivery(destination, operation, {})])
    return item_id


async def row(engine: AsyncEngine, item_id: int):
    async with engine.connect() as conn:  # the row as stored
        return (await conn.execute(select(outbox).where(outbox.c.id == item_id))).one()


async def test_an_unexpected_error_or_a_busy_lock_defers_one_row_and_the_next_is_still_delivered(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, _client):
        runtime = app.state.runtime
        engine = create_engine(own_council.gateway_database_url)  # the store, as another worker opens it
        # This relay waits 0.3 s for a lock; another worker holds the customer's first-record lock.
        relay = Deliverer(
            runtime.outbox,
            runtime.customers,
            runtime.services.sources,
            runtime.services.cache,
            runtime.services.cases,
            runtime.metrics,
            LeaseLocks(engine, wait_seconds=0.3, holder="this-relay"),
            handlers={BROKEN: broken, FINE: fine, NEEDS_RECORD: fine},
        )
        elsewhere = LeaseLocks(engine, holder="another-worker")
        stranger = "00000000-0000-0000-0000-00000000c0de"  # known to no back office: its first write there
        busy = await kept(relay, NEEDS_RECORD, SourceSystem.HOUSING.value, stranger)
        poison = await kept(relay, BROKEN)
        good = await kept(relay, FINE)

        async with elsewhere.hold(f"first-record:HOUSING:{stranger}"):
            # The same rows handed to two passes at once (the relay and a submission's own attempt):
            # each row is attempted once, and neither pass stops at a bad row.
            await asyncio.gather(relay.deliver([busy, poison, good]), relay.deliver([busy, poison, good]))

        assert (await row(engine, good)).state == DeliveryState.DELIVERED.value
        for item_id in (busy, poison):
            deferred = await row(engine, item_id)
            assert deferred.state == DeliveryState.PENDING.value
            assert deferred.attempts == 1 and deferred.claimed_until is None
            assert deferred.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC), "backed off, not first again"
        assert "KeyError" in (await row(engine, poison)).last_error

        # The retry, once the lock is free: the busy row goes through; the poison row is deferred again.
        await relay.deliver([busy, poison])
        assert (await row(engine, busy)).state == DeliveryState.DELIVERED.value
        assert (await row(engine, poison)).attempts == 2
        await engine.dispose()
