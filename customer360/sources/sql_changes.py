"""The change feed of a SQL back office, from what its own database keeps: the audit table of its
requests' steps (`status_event_columns`, read after the last id seen) and its people's `changed_at`
(read from a little before the last time seen, so a row whose transaction committed after a later one's
is not missed; the gateway keeps a person again only when the record differs from its copy).

The cursor is both, as JSON; a first read is given a time (ISO 8601) and starts there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, Table, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from customer360.domain.changes import ChangeBatch, RequestChange
from customer360.domain.people import PersonRecord
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceUnavailable
from customer360.sources.sql_columns import as_utc, person_record_from_row

# People are re-read from this long before the last change seen: clocks of writers differ a little, and
# a transaction stamped earlier may commit later.
PEOPLE_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class RequestAudit:
    """Where an office keeps its requests' steps and what they mean to the resident."""

    events: Table  # `status_event_columns`: id, reference, at, status, description
    # One row per request, labelled `reference`, `external_reference` and `owner_id` (the person's record id).
    requests: Select[tuple[str, str | None, str]]
    service_name: str
    status: Mapping[str, RequestStatus]  # the office's own status words; one not listed reads as in progress


class SqlChangeFeed:
    def __init__(
        self, engine: AsyncEngine, system: SourceSystem, people: Table, person_id: str, audit: RequestAudit | None
    ) -> None:
        self.system = system
        self._engine = engine
        self._people = people
        self._person_id = person_id
        self._audit = audit

    async def changes_since(self, cursor: str) -> ChangeBatch:
        after_event, since = read_cursor(cursor)
        try:
            async with self._engine.connect() as conn:
                people, people_seen = await people_changed_since(
                    conn, self.system, self._people, self._person_id, since
                )
                changes, last_event = await self._steps(conn, after_event, since)
        except (SQLAlchemyError, OSError) as error:
            raise SourceUnavailable(self.system, f"change feed: {type(error).__name__}") from error
        return ChangeBatch(changes, json.dumps({"events": last_event, "people": people_seen.isoformat()}), people)

    async def _steps(
        self, conn: AsyncConnection, after: int | None, since: datetime
    ) -> tuple[list[RequestChange], int | None]:
        audit = self._audit
        if audit is None:
            return [], None
        found = audit.requests.subquery()
        query = (
            select(audit.events, found.c.external_reference, found.c.owner_id)
            .join_from(audit.events, found, audit.events.c.reference == found.c.reference)
            .order_by(audit.events.c.id)
        )
        query = query.where(audit.events.c.id > after) if after is not None else query.where(audit.events.c.at >= since)
        rows = (await conn.execute(query)).all()
        last = after
        if last is None:
            last = int((await conn.execute(select(func.coalesce(func.max(audit.events.c.id), 0)))).scalar_one())
        if rows:
            last = max(last, max(row.id for row in rows))
        changes = [
            RequestChange(
                system=self.system,
                change_key=f"{audit.events.name}:{row.id}",
                backoffice_reference=row.reference,
                external_reference=row.external_reference,
                owner_record_id=row.owner_id,
                service_name=audit.service_name,
                status=audit.status.get(row.status, RequestStatus.IN_PROGRESS),
                description=row.description,
                at=as_utc(row.at),
            )
            for row in rows
        ]
        return changes, last


async def people_changed_since(
    conn: AsyncConnection, system: SourceSystem, people: Table, person_id: str, since: datetime
) -> tuple[Sequence[PersonRecord], datetime]:
    """The office's people added or changed at or after `since` (less the margin), and the cursor's next time."""
    rows = (await conn.execute(select(people).where(people.c.changed_at >= since - PEOPLE_MARGIN))).all()
    latest = max([since, *(as_utc(row.changed_at) for row in rows if row.changed_at is not None)])
    return [person_record_from_row(system, getattr(row, person_id), row) for row in rows], latest


def read_cursor(cursor: str) -> tuple[int | None, datetime]:
    """(the last audit id seen, None before one was; the people's time). A first read is given a time: the
    audit table is read from then until an id has been seen."""
    if cursor.startswith("{"):
        kept = json.loads(cursor)
        return kept.get("events"), datetime.fromisoformat(kept["people"])
    return None, datetime.fromisoformat(cursor)
