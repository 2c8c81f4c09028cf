"""The real PostgreSQL and Redis on this machine, for tests that need them.

Locally a test skips with the reason when a service is not reachable; under CI=true an absent
service is a failure, because CI must prove the code against the real thing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ADMIN_URL = os.environ.get("C360_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("C360_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a service the tests need must be there)")
    pytest.skip(reason)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty database for one test (dropped afterwards); yields its asyncpg URL."""
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3})
    name = f"c360_test_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, Exception) as error:  # asyncpg raises its own types for refused connections
        await admin.dispose()
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error!r}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def redis_or_skip(*, empty: bool = True) -> redis.Redis:
    """The tests' own Redis database, emptied (unless `empty=False`: a test reading back what it wrote):
    every test's demo council is seeded alike (the same customer ids, copied keys), so what an earlier test
    kept there (answers, generations) would otherwise be read back as this test's. Give each concurrent test
    run a database of its own: C360_TEST_REDIS_URL."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
        if empty:
            await client.flushdb()
    except redis.RedisError as error:
        await client.aclose()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {error!r}")
    return client
