"""What the back offices' change feeds told us: each change appended once, and where each feed is read up to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.changes import RequestChange
from customer360.domain.requests import RequestEvent, RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.store.tables import change_cursors, request_changes
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

# What the change feeds told of a resident's requests, read after their back offices answer on every cold
# `me`: built once with the references bound at each call (`expanding`: an IN list of any length), as
# building and keying a statement cost the event loop more than the store took to answer it (issue 25).
_HISTORY_OF_REFERENCES = (
    select(request_changes)
    .where(request_changes.c.reference.in_(bindparam("references", expanding=True)))
    .order_by(request_changes.c.at, request_changes.c.id)
)


@traced_methods("changes")
class ChangeStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, change: RequestChange, reference: str) -> bool:
        """Keep a change under the reference it is shown by; False when it was kept before (a replay)."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(request_changes).values(
                        system=change.system.value,
                        change_key=change.change_key[:120],
                        reference=reference,
                        backoffice_reference=change.backoffice_reference,
                        status=change.status.value if change.status else None,
                        description=change.description[:500],
                        at=change.at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def history(self, references: Sequence[str]) -> Mapping[str, list[RequestEvent]]:
        """Each reference's changes, oldest first."""
        if not references:
            return {}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_HISTORY_OF_REFERENCES, {"references": list(references)})).all()
        found: dict[str, list[RequestEvent]] = defaultdict(list)
        for row in rows:
            status = RequestStatus(row.status) if row.status else None
            found[row.reference].append(RequestEvent(as_utc(row.at), row.description, status, SourceSystem(row.system)))
        return found

    async def status_before(self, reference: str, at: datetime) -> RequestStatus | None:
        """The status the request's latest kept change before `at` gave it (None: none known), so a
        replayed change is judged against the same past as the first time."""
        async with self._engine.connect() as conn:
            status = (
                await conn.execute(
                    select(request_changes.c.status)
                    .where(
                        request_changes.c.reference == reference,
                        request_changes.c.at < at,
                        request_changes.c.status.is_not(None),
                    )
                    .order_by(request_changes.c.at.desc(), request_changes.c.id.desc())
                    .limit(1)
                )
            ).scalar()
        return RequestStatus(status) if status else None

    async def cursor(self, system: SourceSystem) -> str | None:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(select(change_cursors.c.cursor).where(change_cursors.c.system == system.value))
            ).scalar()

    async def save_cursor(self, system: SourceSystem, cursor: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(change_cursors)
                .where(change_cursors.c.system == system.value)
                .values(cursor=cursor, updated_at=now)
            )
            if changed.rowcount == 0:
                try:
                    async with conn.begin_nested():
                        await conn.execute(
                            insert(change_cursors).values(system=system.value, cursor=cursor, updated_at=now)
                        )
                except IntegrityError:  # another worker saved first (its lease lapsed under it): ours is as new
                    pass
