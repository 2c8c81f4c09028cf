"""Named locks across processes: one holder at a time, and a holder that dies never blocks for long.
Run on SQLite (lease rows) and on PostgreSQL (advisory locks), each with two engines (two pools, as
two processes have) and with a real process killed while it holds the lock."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from customer360.store.database import create_engine, migrate
from customer360.store.locks import AdvisoryLocks, LeaseLocks, LockBusy, Locks, locks_for
from tests.services import fresh_postgres_database

KINDS = ["sqlite", "postgresql"]
HOLD_AND_WAIT = """
import asyncio, sys
from customer360.store.database import create_engine
from customer360.store.locks import LeaseLocks, locks_for

async def main(url, name):
    engine = create_engine(url)
    locks = LeaseLocks(engine, lease_seconds=1.0) if url.startswith("sqlite") else locks_for(engine)
    async with locks.hold(name):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@asynccontextmanager
async def store_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
        engine = create_engine(url)
        await migrate(engine)
        await engine.dispose()
        yield url
        return
    async with fresh_postgres_database() as url:
        engine = create_engine(url)
        await migrate(engine)
        await engine.dispose()
        yield url


@pytest.mark.parametrize("kind", KINDS)
async def test_two_engines_never_hold_one_name_at_once(kind, tmp_path):
    async with store_url(kind, tmp_path) as url:
        engines = [create_engine(url), create_engine(url)]
        locks = [locks_for(engine) for engine in engines]
        try:
            inside: list[str] = []
            overlaps = 0

            async def critical(holder: Locks, name: str, who: str) -> None:
                nonlocal overlaps
                async with holder.hold(name):
                    inside.append(who)
                    overlaps = max(overlaps, len(inside))
                    await asyncio.sleep(0.01)
                    inside.remove(who)

            started = time.monotonic()
            await asyncio.gather(*(critical(locks[i % 2], "account:CT1", f"w{i}") for i in range(20)))
            assert overlaps == 1
            assert time.monotonic() - started >= 20 * 0.01

            # Other names are not held up by it.
            async with locks[0].hold("account:CT1"):
                await asyncio.wait_for(critical(locks[1], "account:CT2", "other"), timeout=5)
        finally:
            for lock in locks:
                await lock.close()
            for engine in engines:
                await engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
async def test_a_holder_killed_mid_section_frees_the_lock(kind, tmp_path):
    async with store_url(kind, tmp_path) as url:
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLD_AND_WAIT,
            url,
            "account:CT9",
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        engine = create_engine(url)
        try:
            assert holder.stdout is not None
            assert (await asyncio.wait_for(holder.stdout.readline(), timeout=30)).strip() == b"held"
            impatient = LeaseLocks(engine, wait_seconds=0.3) if kind == "sqlite" else AdvisoryLocks(engine, 0.3)
            with pytest.raises(LockBusy):
                async with impatient.hold("account:CT9"):
                    pass
            os.kill(holder.pid, signal.SIGKILL)
            await holder.wait()
            started = time.monotonic()
            patient = locks_for(engine)
            async with patient.hold("account:CT9"):
                freed_after = time.monotonic() - started
            await patient.close()
            # A dead session's advisory lock goes at once; a lease lapses within its length (1 s).
            assert freed_after < (2.0 if kind == "sqlite" else 1.0)
        finally:
            if holder.returncode is None:
                holder.kill()
                await holder.wait()
            await engine.dispose()


async def test_postgresql_lock_sessions_never_use_up_the_stores_connections(tmp_path):
    """Held and awaited locks take sessions from a pool of their own: a store pool of one still serves."""
    async with store_url("postgresql", tmp_path) as url:
        store = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
        locks = locks_for(store)
        try:

            async def section(name: str) -> None:
                async with locks.hold(name), store.connect() as conn:
                    await conn.execute(select(1))
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(asyncio.gather(*(section(f"account:CT{i % 3}") for i in range(9))), timeout=20)
        finally:
            await locks.close()
            await store.dispose()
