"""Job leases: of many workers sharing a store, one runs a background job; a lapsed lease passes on.
Run on SQLite and on PostgreSQL (the real services)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.database import create_engine, migrate
from customer360.store.leases import JobLeases
from tests.services import fresh_postgres_database


@asynccontextmanager
async def store(kind: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async def migrated(url: str) -> AsyncEngine:
        engine = create_engine(url)
        await migrate(engine)
        return engine

    if kind == "sqlite":
        engine = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    async with fresh_postgres_database() as url:
        engine = await migrated(url)
        try:
            yield engine
        finally:
            await engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_one_holder_at_a_time_and_a_lapsed_lease_passes_on(kind, tmp_path):
    async with store(kind, tmp_path) as engine:
        first, second = JobLeases(engine, "worker-1"), JobLeases(engine, "worker-2")
        assert await first.acquire("arrivals", 60)
        assert not await second.acquire("arrivals", 60)
        assert await first.acquire("arrivals", 60)  # the holder renews
        assert await second.acquire("other job", 60)  # leases are per job
        assert await first.acquire("arrivals", -1)  # renewed into the past: as if the holder had stopped
        assert await second.acquire("arrivals", 60)
        assert not await first.acquire("arrivals", 60)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_workers_starting_together_get_one_lease(kind, tmp_path):
    async with store(kind, tmp_path) as engine:
        workers = [JobLeases(engine, f"worker-{n}") for n in range(4)]
        held = await asyncio.gather(*(w.acquire("arrivals", 60) for w in workers))
        assert sorted(held) == [False, False, False, True]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_released_lease_passes_on_at_once_and_only_its_holder_can_release_it(kind, tmp_path):
    async with store(kind, tmp_path) as engine:
        first, second = JobLeases(engine, "first"), JobLeases(engine, "second")
        assert await first.acquire("changes:CRM", 60)
        await second.release("changes:CRM")  # not its lease: nothing changes
        assert not await second.acquire("changes:CRM", 60)
        await first.release("changes:CRM")  # stopping: let it go now, not in 60 s
        assert await second.acquire("changes:CRM", 60)
        assert not await first.acquire("changes:CRM", 60)
