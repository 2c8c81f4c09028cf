"""The tenancies as last seen (store/tenancies_seen.py), against a real store: what a live read shows
replaces what was kept for that tenant; unchanged, it is written at most once an hour per process; two
processes remembering at once leave one copy; none kept, or kept too long ago, is "unknown"."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from customer360.domain.tenancies import TenancyHeld
from customer360.store.database import create_engine, migrate
from customer360.store.tables import tenancies_seen
from customer360.store.tenancies_seen import TenanciesSeenStore

HOME = TenancyHeld("TY100001", None, vulnerable_household=False)
ENDING = TenancyHeld("TY100002", date(2027, 1, 4), vulnerable_household=True)


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


async def _seen_at(engine) -> list[datetime]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(tenancies_seen.c.seen_at))).scalars())


async def test_a_live_read_replaces_what_was_kept_for_that_tenant_only(engine):
    store = TenanciesSeenStore(engine)
    await store.remember({"TN1": [HOME, ENDING], "TN2": [HOME]})
    await store.remember({"TN1": [ENDING]})  # TY100001 no longer shown for TN1
    assert await store.last_seen(["TN1"]) == [ENDING]
    assert await store.last_seen(["TN2"]) == [HOME]
    assert sorted(t.tenancy_ref for t in await store.last_seen(["TN1", "TN2"]) or []) == ["TY100001", "TY100002"]
    await store.remember({"TN1": []})  # holds none now: unknown, never "none held"
    assert await store.last_seen(["TN1"]) is None
    assert await store.last_seen([]) is None


async def test_unchanged_it_is_written_at_most_once_a_refresh(engine):
    clock = [1_000.0]
    store = TenanciesSeenStore(engine, refresh_every_seconds=3_600, monotonic=lambda: clock[0])
    await store.remember({"TN1": [HOME]})
    first = await _seen_at(engine)
    clock[0] += 3_599
    await store.remember({"TN1": [HOME]})
    assert await _seen_at(engine) == first, "no write for the same tenancies within the hour"
    await store.remember({"TN1": [HOME, ENDING]})
    assert len(await _seen_at(engine)) == 2, "a change is written at once"
    clock[0] += 3_601
    await store.remember({"TN1": [HOME, ENDING]})
    assert min(await _seen_at(engine)) > max(first), "refreshed after the hour"


async def test_two_processes_remembering_at_once_leave_one_copy(engine):
    stores = [TenanciesSeenStore(engine) for _ in range(4)]
    await asyncio.gather(*(store.remember({"TN1": [HOME, ENDING]}) for store in stores))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(tenancies_seen)) == 2
    assert sorted(t.tenancy_ref for t in await stores[0].last_seen(["TN1"]) or []) == ["TY100001", "TY100002"]


@pytest.mark.parametrize(("age", "known"), [(timedelta(days=27), True), (timedelta(days=29), False)])
async def test_kept_longer_ago_than_four_weeks_is_unknown(engine, age, known):
    store = TenanciesSeenStore(engine)
    await store.remember({"TN1": [HOME]})
    async with engine.begin() as conn:
        await conn.execute(update(tenancies_seen).values(seen_at=datetime.now(UTC) - age))
    assert (await store.last_seen(["TN1"]) == [HOME]) is known
