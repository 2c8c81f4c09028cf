"""Replicas started together on a fresh PostgreSQL database: one migrates it, the others wait and find it done."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text

from customer360.store.database import create_engine
from tests.services import fresh_postgres_database

# What each replica does first at start-up (`start_runtime`), in a process of its own.
MIGRATE = """
import asyncio, sys
from customer360.store.database import create_engine, migrate
asyncio.run(migrate(create_engine(sys.argv[1])))
"""


async def test_replicas_migrating_one_fresh_database_at_once_all_start():
    async with fresh_postgres_database() as database_url:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", MIGRATE, database_url, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        outcomes = await asyncio.gather(*(replica.communicate() for replica in replicas))
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                versions = (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar_one()
        finally:
            await engine.dispose()
    failed = [
        stderr.decode()[-1500:] for replica, (_, stderr) in zip(replicas, outcomes, strict=True) if replica.returncode
    ]
    assert failed == [], failed[0] if failed else ""
    assert versions == 1
