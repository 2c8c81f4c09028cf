"""Replicas starting together each create the safeguarding agencies' queues in one database: none may
fail because another created a table first (a replica drill once lost a replica's start to this)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect

from customer360.sources.agencies.sql import AgencyQueuesSql
from customer360.store.database import create_engine
from tests.services import fresh_postgres_database


@asynccontextmanager
async def empty_database(kind: str, folder: Path, attempt: int) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / f'agencies-{attempt}.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_replicas_creating_the_agencies_queues_at_once_all_start(kind: str, tmp_path: Path):
    for attempt in range(8):
        async with empty_database(kind, tmp_path, attempt) as url:
            replicas = [AgencyQueuesSql(create_engine(url)) for _ in range(6)]
            try:
                await asyncio.gather(*(replica.create_tables() for replica in replicas))
                reader = create_engine(url)
                async with reader.connect() as conn:
                    tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
                    indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("agency_cases"))
                await reader.dispose()
                assert "agency_cases" in tables
                assert ["agency_code"] in [index["column_names"] for index in indexes]
            finally:
                await asyncio.gather(*(replica.dispose() for replica in replicas))
