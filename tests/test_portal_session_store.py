"""The portal's session store on each back end it runs on: SQLite, PostgreSQL and Redis.

What the portal relies on: a value is read back until it expires, `touch` extends it, and of many
concurrent `take`s of one key exactly one gets the value (a form's one-time token is spent once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from customer360.store.database import create_engine, migrate
from customer360.store.portal_sessions import PortalSessionStore, RedisPortalSessions, SqlPortalSessions
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PortalSessionStore]:
    if request.param == "redis":
        probe = await redis_or_skip()
        await probe.aclose()
        kept = RedisPortalSessions.from_url(REDIS_URL, store_id="s1")
        try:
            yield kept
        finally:
            await kept.close()
        return
    async with _database(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            await migrate(engine)
            yield SqlPortalSessions(engine)
        finally:
            await engine.dispose()


@asynccontextmanager
async def _database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "postgresql":
        async with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"


async def test_values_are_kept_replaced_and_deleted(store: PortalSessionStore):
    await store.put("session:a", "one", 60)
    assert await store.get("session:a") == "one"
    await store.put("session:a", "two", 60)
    assert await store.get("session:a") == "two"
    await store.touch("session:a", 60)
    assert await store.get("session:a") == "two"
    await store.delete("session:a")
    assert await store.get("session:a") is None and await store.take("session:a") is None


async def test_a_value_expires_and_touch_keeps_it_alive(store: PortalSessionStore):
    await store.put("session:short", "v", 1)
    await store.put("session:touched", "v", 1)
    await store.touch("session:touched", 60)
    await asyncio.sleep(2.1)
    assert await store.get("session:short") is None and await store.take("session:short") is None
    assert await store.get("session:touched") == "v"


async def test_of_concurrent_takes_of_one_token_exactly_one_gets_it(store: PortalSessionStore):
    for round_ in range(5):
        await store.put(f"form:{round_}", "owner", 60)
        taken = await asyncio.gather(*(store.take(f"form:{round_}") for _ in range(8)))
        assert taken.count("owner") == 1 and taken.count(None) == 7
        assert await store.take(f"form:{round_}") is None, "and a retry later finds it spent"
