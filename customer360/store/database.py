"""Engines for the gateway store and back offices, and migrating the store to the newest schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock key held while migrating ("c360" in ASCII): one replica at a time.
MIGRATION_LOCK = 0x63333630

# What a store that is down, restarting or unreachable raises. SQLAlchemy wraps only the errors the
# driver raises once connected; a refused or reset connection comes through as the driver's own
# (asyncpg's, or a bare OSError such as ConnectionRefusedError), so each layer is named here.
STORE_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable host; TimeoutError is one too
    OperationalError,
    InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # "the database system is starting up / shutting down"
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
)
# Anything a query on the store can fail with, reachable or not.
STORE_ERRORS: tuple[type[BaseException], ...] = (*STORE_UNREACHABLE, SQLAlchemyError, asyncpg.PostgresError)


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite files get their folder, WAL and a busy timeout for many processes.
    `hide_parameters`: an error's message never carries the statement's values (names, dates of birth)
    into a log."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


T = TypeVar("T")


def chunked(items: Sequence[T], size: int = 500) -> list[list[T]]:
    """`items` in lists of at most `size`: bulk inserts and IN (...) lists inside every engine's
    parameter limit (SQLite allows 32,766 per statement)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def migrate(engine: AsyncEngine) -> None:
    """Bring the store to the newest Alembic revision (safe to run at every start)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas started together on a fresh database would each create the tables (and all but
            # one fail); the lock lasts until this transaction commits, so the others then find it done.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
