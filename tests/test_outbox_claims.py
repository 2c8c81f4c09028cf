"""Outbox claims on real PostgreSQL: a crashed deliverer's rows are taken over within a short lease,
and a live deliverer keeps its row however long the back office takes (no second delivery)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from customer360.commands.delivery import Delivered, Deliverer, DeliveryTools
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import Submission
from customer360.store.database import create_engine
from customer360.store.outbox import CLAIM_LEASE, NewDelivery, OutboxItem, OutboxStore
from customer360.store.tables import outbox
from tests.services import fresh_postgres_database
from tests.support import running_app

OPERATION = "test.slow_back_office"


@dataclass
class SlowBackOffice:
    """A destination that takes `seconds` to answer (forever: None) and counts what it received."""

    seconds: float | None = 0.0
    received: Counter[str] | None = None
    entered: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self.received = Counter()
        self.entered = asyncio.Event()

    async def __call__(self, _tools: DeliveryTools, item: OutboxItem) -> Delivered:
        assert self.received is not None and self.entered is not None
        self.received[item.reference] += 1
        self.entered.set()
        if self.seconds is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.seconds or 0.0)
        return Delivered(backoffice_reference=f"BO-{item.reference}")


@asynccontextmanager
async def gateway_on_postgresql(demo_settings) -> AsyncIterator[tuple[str, object]]:
    async with fresh_postgres_database() as url, running_app(replace(demo_settings, database_url=url)) as (app, _c):
        yield url, app.state.runtime


def deliverer(url: str, runtime, back_office: SlowBackOffice, lease: timedelta = CLAIM_LEASE) -> Deliverer:
    """A relay of its own (its own engine, as another process would have) delivering to `back_office`."""
    store = OutboxStore(create_engine(url), claim_lease=lease)
    return Deliverer(
        store,
        runtime.customers,
        runtime.services.sources,
        runtime.services.cache,
        runtime.services.cases,
        runtime.metrics,
        runtime.services.writes.locks,
        handlers={OPERATION: back_office},
    )


async def submitted(relay: Deliverer, reference: str) -> int:
    submission = Submission(reference, None, "test", None, {}, datetime.now(UTC))
    (item_id,) = await relay.outbox.submit(submission, [NewDelivery("TEST", OPERATION, {})])
    return item_id


async def state_of(url: str, item_id: int) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(select(outbox.c.state).where(outbox.c.id == item_id))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_crashed_deliverers_row_is_delivered_by_another_relay_within_the_short_lease(demo_settings):
    async with gateway_on_postgresql(demo_settings) as (url, runtime):
        hung = SlowBackOffice(seconds=None)
        crashed = deliverer(url, runtime, hung)
        item_id = await submitted(crashed, "C360-CRASH-1")
        attempt = asyncio.create_task(crashed.deliver([item_id]))
        await asyncio.wait_for(hung.entered.wait(), 10)  # claimed, and in the middle of its delivery
        attempt.cancel()  # the worker dies: nothing releases the claim, nothing renews it
        await asyncio.gather(attempt, return_exceptions=True)
        await crashed.outbox._engine.dispose()
        crashed_at = time.monotonic()

        healthy = SlowBackOffice()
        relay = deliverer(url, runtime, healthy)
        while await state_of(url, item_id) != DeliveryState.DELIVERED.value:
            assert time.monotonic() - crashed_at < CLAIM_LEASE.total_seconds() + 5, "still held after the lease"
            await relay.run_due()
            await asyncio.sleep(0.25)
        taken_over_after = time.monotonic() - crashed_at
        await relay.outbox._engine.dispose()
        assert healthy.received == Counter({"C360-CRASH-1": 1})
        assert taken_over_after < 15, f"taken over after {taken_over_after:.1f} s, not within seconds"


async def test_a_live_delivery_slower_than_the_lease_keeps_its_claim(demo_settings):
    """The lease is 2 s here and the back office takes 5 s: renewed by its deliverer's heartbeat,
    the claim holds, so the other relay (and a concurrent duplicate attempt) never delivers it again."""
    async with gateway_on_postgresql(demo_settings) as (url, runtime):
        slow = SlowBackOffice(seconds=5.0)
        lease = timedelta(seconds=2)
        first, second = deliverer(url, runtime, slow, lease), deliverer(url, runtime, slow, lease)
        item_id = await submitted(first, "C360-SLOW-1")
        attempts = asyncio.gather(first.deliver([item_id]), second.deliver([item_id]))  # a concurrent duplicate

        async def other_relay_keeps_trying() -> None:
            while not attempts.done():
                await second.run_due()
                await asyncio.sleep(0.2)

        await asyncio.gather(attempts, other_relay_keeps_trying())
        assert slow.received == Counter({"C360-SLOW-1": 1}), "delivered exactly once"
        assert await state_of(url, item_id) == DeliveryState.DELIVERED.value
        for relay in (first, second):
            await relay.outbox._engine.dispose()
