"""The seeded demo council's SQL back offices as PostgreSQL databases of their own (issue 25).

The demo reads its SQL back offices (REVENUES, BENEFITS, HOUSING, CRM, HOUSING_MANAGEMENT) as SQLite
files through aiosqlite inside the gateway's process, so their engine work is charged to the gateway's
CPU and GIL. A council's back offices are database servers of their own: this module copies each of
those offices, table by table, from a seeded data dir into a PostgreSQL database of its own
(`c360_bench_<system>`), and writes the `C360_SOURCES` file that points a gateway at them, with the
demo's HTTP back offices (Open311, payments) where `customer360 demo backoffices` serves them.

A copy, not a second seeding: the gateway's store (golden records and their links to back-office record
ids) belongs to the seeded data dir, and copying keeps every record exactly as it was seeded there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import DateTime, Integer, MetaData, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.benefits import sql as benefits_sql
from customer360.sources.crm import sql as crm_sql
from customer360.sources.housing import sql as housing_sql
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.sources.revenues import sql as revenues_sql
from customer360.sources.sql_columns import as_utc
from customer360.store.database import create_engine

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE_PREFIX = "c360_bench"
# The tables of each SQL back office the demo seeds (demo/seed.py seeds them from the same metadata).
SQL_TABLES: dict[SourceSystem, MetaData] = {
    SourceSystem.REVENUES: revenues_sql.metadata,
    SourceSystem.BENEFITS: benefits_sql.metadata,
    SourceSystem.HOUSING: housing_sql.metadata,
    SourceSystem.CRM: crm_sql.metadata,
    SourceSystem.HOUSING_MANAGEMENT: housing_management_sql.metadata,
}
ROWS_PER_INSERT = 5000


class CopyRefused(RuntimeError):
    """The seeded council has something this copy would leave behind; the message says what."""


def database_names(prefix: str = DATABASE_PREFIX) -> dict[SourceSystem, str]:
    return {system: f"{prefix}_{system.value.lower()}" for system in SQL_TABLES}


async def copy_to_postgres(
    settings: Settings, admin_url: str = DEFAULT_ADMIN_URL, prefix: str = DATABASE_PREFIX
) -> dict[SourceSystem, str]:
    """A fresh database per SQL back office (dropped first if there), filled from the seeded data dir;
    answers each office's asyncpg URL."""
    sqlite_urls = council.database_urls(settings)
    sql_offices = {system for system, office in council.DEMO_BACK_OFFICES.items() if not office.served_at}
    if sql_offices != set(SQL_TABLES):  # a new SQL back office must be copied too, or the gateway reads nothing
        raise CopyRefused(
            f"the demo's SQL back offices are {sorted(sql_offices)}, this copy knows {sorted(SQL_TABLES)}"
        )
    names = database_names(prefix)
    await _recreate(admin_url, names.values())
    urls = {system: admin_url.rsplit("/", 1)[0] + f"/{name}" for system, name in names.items()}
    for system, metadata in SQL_TABLES.items():
        source, target = create_engine(sqlite_urls[system]), create_engine(urls[system])
        try:
            await _copy(source, target, metadata, system)
        finally:
            await source.dispose()
            await target.dispose()
    return urls


async def drop_databases(admin_url: str = DEFAULT_ADMIN_URL, prefix: str = DATABASE_PREFIX) -> None:
    await _recreate(admin_url, database_names(prefix).values(), create=False)


def write_sources_file(
    path: Path, settings: Settings, sql_urls: Mapping[SourceSystem, str], backoffice_url: str
) -> dict[str, str]:
    """The `C360_SOURCES` file for the demo council with its SQL back offices at `sql_urls`; answers the
    environment variables that carry the HTTP back offices' API keys (the file names them, never holds them)."""
    keys: dict[str, str] = {}
    lines: list[str] = []
    for system, config in council.source_configs(settings, backoffice_url).items():
        lines += [f"[sources.{system.value}]", f'kind = "{config.kind}"', f'url = "{sql_urls.get(system, config.url)}"']
        if config.api_key:
            variable = f"C360_BENCH_{system.value}_API_KEY"
            keys[variable] = config.api_key
            lines.append(f'api_key_env = "{variable}"')
        lines.append("")
    path.write_text("\n".join(lines))
    return keys


async def _recreate(admin_url: str, names: Iterable[str], *, create: bool = True) -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if create:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def _copy(source: AsyncEngine, target: AsyncEngine, metadata: MetaData, system: SourceSystem) -> None:
    async with source.connect() as conn:
        found = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    left_behind = found - set(metadata.tables)
    if left_behind:
        raise CopyRefused(f"{system.value} has tables the copy does not know: {sorted(left_behind)}")
    async with target.begin() as conn:
        await conn.run_sync(metadata.create_all)
    for table in metadata.sorted_tables:  # parents before the rows that refer to them
        # SQLite hands back naive datetimes, every one stored in UTC: say so before PostgreSQL reads them.
        aware = [column.name for column in table.columns if isinstance(column.type, DateTime) and column.type.timezone]
        async with source.connect() as conn:
            rows = [dict(row) for row in (await conn.execute(select(table))).mappings()]
        for row in rows:
            for name in aware:
                row[name] = as_utc(row[name])
        async with target.begin() as conn:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                await conn.execute(insert(table), rows[start : start + ROWS_PER_INSERT])
            # Copied ids were given explicitly: a later insert's serial must start past them.
            for column in table.primary_key.columns:
                if isinstance(column.type, Integer) and column.autoincrement is True:
                    highest = (await conn.execute(select(func.max(column)))).scalar()
                    if highest is not None:
                        await conn.execute(
                            text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                            {"table": table.name, "column": column.name, "value": highest},
                        )
