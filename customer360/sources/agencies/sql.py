"""The safeguarding agencies' queues (children's services' hub, adult social care, police).

In the demo they are one database of their own, standing in for each agency's case system.
Nothing read from here is ever cached: safeguarding data goes from the agency to the member of
staff and nowhere else.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex, CreateTable

from customer360.domain.safeguarding import (
    NewSafeguardingCase,
    Priority,
    SafeguardingCaseRecord,
    SafeguardingSubject,
)
from customer360.sources.sql_columns import as_utc

metadata = MetaData()

agency_cases = Table(
    "agency_cases",
    metadata,
    Column("case_reference", String(20), primary_key=True),
    Column("external_reference", String(40), nullable=False),
    Column("agency_code", String(40), nullable=False, index=True),
    Column("priority", Integer, nullable=False),
    Column("about", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("location", String(400)),
    Column("immediate_danger", Boolean, nullable=False),
    Column("crime_suspected", Boolean, nullable=False),
    Column("contact_email", String(254)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", String(200)),
    # One case per agency per concern, whatever the retries.
    UniqueConstraint("external_reference", "agency_code", name="uq_agency_case"),
)


class AgencyQueuesSql:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_tables(self) -> None:
        # Replicas starting together each create the queues. `create_all` checks for a table before it
        # creates it, and another replica may create it in between; with several replicas a second pass
        # lost the same way (CI, 'table agency_cases already exists'). IF NOT EXISTS is decided as the
        # statement runs. PostgreSQL can still refuse two creations of one table at once: a pass refused
        # is tried again, and finds the table.
        for last_try in (False, False, True):
            try:
                async with self._engine.begin() as conn:
                    for table in metadata.sorted_tables:
                        await conn.execute(CreateTable(table, if_not_exists=True))
                        for index in table.indexes:
                            await conn.execute(CreateIndex(index, if_not_exists=True))
                return
            except DBAPIError:
                if last_try:
                    raise

    async def dispose(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def file_case(self, case: NewSafeguardingCase) -> str:
        async with self._engine.begin() as conn:
            existing = await conn.scalar(
                select(agency_cases.c.case_reference).where(
                    agency_cases.c.external_reference == case.external_reference,
                    agency_cases.c.agency_code == case.agency_code,
                )
            )
            if existing:
                return str(existing)
            reference = f"SG{secrets.randbelow(90_000_000) + 10_000_000}"
            await conn.execute(
                insert(agency_cases).values(
                    case_reference=reference,
                    external_reference=case.external_reference,
                    agency_code=case.agency_code,
                    priority=int(case.priority),
                    about=case.about.value,
                    description=case.description,
                    location=case.location,
                    immediate_danger=case.immediate_danger,
                    crime_suspected=case.crime_suspected,
                    contact_email=case.contact_email,
                    received_at=case.received_at,
                )
            )
        return reference

    async def cases(self, first: int, after: tuple[int, str, str] | None) -> list[SafeguardingCaseRecord]:
        """Unacknowledged first, then by priority, oldest first; `after` is the last (rank, received, ref)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(agency_cases))).all()
        ordered = sorted((_record(row) for row in rows), key=queue_order)
        if after is not None:
            ordered = [case for case in ordered if queue_order(case) > after]
        return ordered[:first]

    async def by_reference(self, case_reference: str) -> SafeguardingCaseRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(agency_cases).where(agency_cases.c.case_reference == case_reference))
            ).first()
        return _record(row) if row else None

    async def received(self, external_reference: str) -> list[SafeguardingCaseRecord]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(select(agency_cases).where(agency_cases.c.external_reference == external_reference))
            ).all()
        return [_record(row) for row in rows]

    async def acknowledge(self, case_reference: str, by: str, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(agency_cases)
                .where(agency_cases.c.case_reference == case_reference, agency_cases.c.acknowledged_at.is_(None))
                .values(acknowledged_at=at, acknowledged_by=by)
            )


def queue_order(case: SafeguardingCaseRecord) -> tuple[int, str, str]:
    rank = int(case.priority) + (10 if case.acknowledged_at else 0)
    return rank, case.received_at.isoformat(), case.case_reference


def _record(row: Any) -> SafeguardingCaseRecord:
    return SafeguardingCaseRecord(
        case_reference=row.case_reference,
        external_reference=row.external_reference,
        agency_code=row.agency_code,
        priority=Priority(row.priority),
        about=SafeguardingSubject(row.about),
        description=row.description,
        location=row.location,
        immediate_danger=bool(row.immediate_danger),
        crime_suspected=bool(row.crime_suspected),
        contact_email=row.contact_email,
        received_at=as_utc(row.received_at),
        acknowledged_at=as_utc(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
    )
