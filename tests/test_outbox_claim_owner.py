"""A claim belongs to the relay that made it: once its lease lapsed and another relay took the row
over, the first relay can neither renew that claim nor mark the row (on main it did both, and the
row was delivered twice). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from customer360.domain.submissions import Submission
from customer360.store.database import create_engine, migrate
from customer360.store.outbox import NewDelivery, OutboxStore
from customer360.store.tables import outbox
from tests.services import fresh_postgres_database

LEASE = timedelta(seconds=30)


@asynccontextmanager
async def two_relays(backend: str, tmp_path) -> AsyncIterator[tuple[OutboxStore, OutboxStore]]:
    """Two relays with engines of their own, as two processes would have, over one store."""

    @asynccontextmanager
    async def url() -> AsyncIterator[str]:
        if backend == "sqlite":
            yield f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
        else:
            async with fresh_postgres_database() as found:
                yield found

    async with url() as found:
        engines = [create_engine(found), create_engine(found)]
        await migrate(engines[0])
        try:
            yield OutboxStore(engines[0], claim_lease=LEASE), OutboxStore(engines[1], claim_lease=LEASE)
        finally:
            for engine in engines:
                await engine.dispose()


async def row(store: OutboxStore, item_id: int):
    async with store._engine.connect() as conn:
        return (await conn.execute(select(outbox).where(outbox.c.id == item_id))).one()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_relay_whose_lease_lapsed_cannot_renew_or_mark_the_claim_another_relay_took(backend, tmp_path):
    async with two_relays(backend, tmp_path) as (first, second):
        now = datetime.now(UTC)
        submission = Submission("C360-OWNER-1", None, "test", None, {}, now)
        (item_id,) = await first.submit(submission, [NewDelivery("TEST", "test.op", {})])
        [held_by_first] = await first.claim([item_id], now)

        # The first relay stalls past its lease; the second (twice at once: one wins) takes the row over.
        later = now + LEASE + timedelta(seconds=1)
        taken = await asyncio.gather(second.claim([item_id], later), second.claim([item_id], later))
        [held_by_second] = [item for claimed in taken for item in claimed]
        assert held_by_second.claimed_by != held_by_first.claimed_by
        lease_of_second = (await row(second, item_id)).claimed_until

        # The first relay wakes up: its heartbeat renews nothing, its marks change nothing.
        assert await first.renew_claims([item_id], later + timedelta(seconds=5), held_by_first.claimed_by) == 0
        assert await first.mark_delivered(held_by_first, "BO-FIRST", later) is False
        assert await first.mark_attempt_failed(held_by_first, "late", None) is False
        assert await first.mark_attempt_failed(held_by_first, "late", later) is False
        kept = await row(second, item_id)
        assert (kept.state, kept.attempts, kept.backoffice_reference) == ("PENDING", 0, None)
        assert kept.claimed_until == lease_of_second and kept.claimed_by == held_by_second.claimed_by

        # The holder renews and marks; once marked, the claim is released and a late retry is refused.
        assert await second.renew_claims([item_id], later, held_by_second.claimed_by) == 1
        assert await second.mark_delivered(held_by_second, "BO-SECOND", later) is True
        assert await second.mark_delivered(held_by_second, "BO-SECOND", later) is False
        done = await row(second, item_id)
        assert (done.state, done.attempts, done.backoffice_reference) == ("DELIVERED", 1, "BO-SECOND")
        assert done.claimed_until is None and done.claimed_by is None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_lapsed_lease_nobody_took_over_is_still_its_relays_to_finish(backend, tmp_path):
    """A slow back office that outlived the lease (a missed heartbeat) while no other relay came:
    the answer it got is still recorded, not lost."""
    async with two_relays(backend, tmp_path) as (first, _second):
        now = datetime.now(UTC)
        (item_id,) = await first.submit(
            Submission("C360-OWNER-2", None, "test", None, {}, now), [NewDelivery("TEST", "test.op", {})]
        )
        [item] = await first.claim([item_id], now)
        later = now + LEASE * 2
        assert await first.mark_attempt_failed(item, "back office busy", later) is True
        kept = await row(first, item_id)
        assert (kept.state, kept.attempts, kept.claimed_by) == ("PENDING", 1, None)
