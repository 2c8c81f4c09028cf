"""What every SQL back office's adapter shares: its engine, a ping, and its people as person records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.instrumented import GuardedAdapter, guarded
from customer360.sources.sql_columns import person_record_from_row


class PeopleSql(GuardedAdapter):
    """The base of a SQL back office's adapter: subclasses name their system, the table that holds their
    people and that table's id column."""

    system: ClassVar[SourceSystem]
    people: ClassVar[Table]
    person_id: ClassVar[str]

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @guarded
    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @guarded
    async def person_records(self) -> Sequence[PersonRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(self.people))).all()
        return [person_record_from_row(self.system, getattr(row, self.person_id), row) for row in rows]
