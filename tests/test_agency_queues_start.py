"""Replicas starting together each create the safeguarding agencies' queues in one database: none may
fail because another created a table first (a replica drill once lost a replica's start to this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect

from customer360.sources.agencies.sql import AgencyQueuesSql
from customer360.store.database import create_engine


async def test_replicas_creating_the_agencies_queues_at_once_all_start(tmp_path: Path):
    for attempt in range(8):
        url = f"sqlite+aiosqlite:///{tmp_path / f'agencies-{attempt}.db'}"
        replicas = [AgencyQueuesSql(create_engine(url)) for _ in range(4)]
        try:
            await asyncio.gather(*(replica.create_tables() for replica in replicas))
            reader = create_engine(url)
            async with reader.connect() as conn:
                tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            await reader.dispose()
            assert "agency_cases" in tables
        finally:
            await asyncio.gather(*(replica.dispose() for replica in replicas))
