"""Interaction events: appending them, and the grouped counts analytics publishes from them.

Counting is done in SQL (sums and COUNT(DISTINCT ...) per group, portable across SQLite and
PostgreSQL), so a year of a council's events never crosses into Python row by row. Only resolutions
come back one per row, because medians and working-day deadlines are not portable SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import case

from customer360.domain.analytics import (
    Channel,
    EventKind,
    InteractionEvent,
    JourneyTally,
    Resolution,
    london_hour,
    london_week,
    resolution,
)
from customer360.store.tables import events
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

# What a query may group by: the analytics dimensions, plus the vulnerable flag for equity.
GROUPABLE = {
    "service": events.c.service_code,
    "ward": events.c.ward,
    "channel": events.c.channel,
    "hour": events.c.local_hour,
    "week": events.c.local_week,
}
INSERT_BATCH = 5_000

Key = tuple[str | int | date | None, ...]


@traced_methods("events")
class EventStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, event: InteractionEvent) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(events).values(_row(event)))

    async def replace_all(self, history: Iterable[InteractionEvent]) -> int:
        """Every event replaced by `history`, in one transaction (the demo council's reseed)."""
        rows = [_row(event) for event in history]
        async with self._engine.begin() as conn:
            await conn.execute(delete(events))
            for start in range(0, len(rows), INSERT_BATCH):
                await conn.execute(insert(events), rows[start : start + INSERT_BATCH])
        return len(rows)

    async def journey_tallies(
        self, start: datetime, end: datetime, group_by: Sequence[str], *, vulnerable_only: bool = False
    ) -> dict[Key, JourneyTally]:
        """Journeys started in [start, end), per group (`group_by` names keys of `GROUPABLE`)."""
        columns = [GROUPABLE[name] for name in group_by]
        journeys = (EventKind.SERVICE_STARTED, EventKind.SERVICE_SUBMITTED, EventKind.SERVICE_ABANDONED)
        query = (
            select(*columns, *_tally_columns())
            .where(events.c.at >= start, events.c.at < end, events.c.kind.in_([k.value for k in journeys]))
            .group_by(*columns)
        )
        if vulnerable_only:
            query = query.where(events.c.vulnerable.is_(True))
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            width = len(columns)
            return {tuple(row[:width]): JourneyTally(*(int(n or 0) for n in row[width:])) for row in result}

    async def resolutions(
        self, start: datetime, end: datetime, group_by: Sequence[str], *, vulnerable_only: bool = False
    ) -> dict[Key, list[Resolution]]:
        """Requests asked for in [start, end) that have been resolved, per group."""
        columns = [GROUPABLE[name] for name in group_by]
        query = select(*columns, events.c.person_key, events.c.submitted_at, events.c.at, events.c.expected_days).where(
            events.c.kind == EventKind.SERVICE_RESOLVED.value,
            events.c.submitted_at >= start,
            events.c.submitted_at < end,
        )
        if vulnerable_only:
            query = query.where(events.c.vulnerable.is_(True))
        found: dict[Key, list[Resolution]] = {}
        async with self._engine.connect() as conn:
            width = len(columns)
            for row in await conn.execute(query):
                person_key, submitted_at, resolved_at, expected_days = row[width:]
                done = resolution(person_key, as_utc(submitted_at), as_utc(resolved_at), expected_days)
                found.setdefault(tuple(row[:width]), []).append(done)
        return found


def _tally_columns() -> list[ColumnElement[Any]]:
    """The columns of a `JourneyTally`, in its field order."""
    kind, channel, person = events.c.kind, events.c.channel, events.c.person_key
    started = kind == EventKind.SERVICE_STARTED.value
    web = channel == Channel.WEB.value
    assisted = events.c.assisted.is_(True)

    def count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    def people(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.count(func.distinct(case((condition, person))))

    return [
        count(started),
        count(kind == EventKind.SERVICE_SUBMITTED.value),
        count(kind == EventKind.SERVICE_ABANDONED.value),
        people(started),
        count(started & web),
        count((kind == EventKind.SERVICE_SUBMITTED.value) & web),
        people(started & web),
        count(started & assisted),
        people(started & assisted),
    ]


def _row(event: InteractionEvent) -> dict[str, Any]:
    asked = event.asked_at
    return {
        "at": event.at,
        "kind": event.kind.value,
        "channel": event.channel.value,
        "service_code": event.service_code,
        "outcome": event.outcome,
        "duration_ms": event.duration_ms,
        "ward": event.ward,
        "age_band": event.age_band,
        "vulnerable": event.vulnerable,
        "assisted": event.assisted,
        "person_key": event.person_key,
        "submitted_at": event.submitted_at,
        "expected_days": event.expected_days,
        "local_hour": london_hour(asked),
        "local_week": london_week(asked),
    }
