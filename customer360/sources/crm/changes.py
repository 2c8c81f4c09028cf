"""The CRM's change feed, from its own tables: the case audit table (`case_events`, read after the last
id seen), the complaints' dated columns (`acknowledged_at`, `responded_at`, ... `closed_at`, at or after
the last time seen) and its contacts' `changed_at`. The cursor is all three, as JSON; a first read is
given a time (ISO 8601) and starts there."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.changes import ChangeBatch, RequestChange
from customer360.domain.complaints import ComplaintStage, deadlines
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import CrmSql, case_events, cases, complaints, contacts
from customer360.sources.errors import SourceUnavailable
from customer360.sources.sql_changes import people_changed_since
from customer360.sources.sql_columns import as_utc

# Each dated column of a complaint is one step: what it means to the resident, and whether it is a reply.
COMPLAINT_STEPS = (
    ("acknowledged_at", "Complaint acknowledged", RequestStatus.IN_PROGRESS, False),
    ("responded_at", "Stage 1 response sent", RequestStatus.RESOLVED, True),
    ("escalated_at", "Escalated to stage 2", RequestStatus.IN_PROGRESS, False),
    ("stage2_acknowledged_at", "Stage 2 acknowledged", RequestStatus.IN_PROGRESS, False),
    ("stage2_responded_at", "Stage 2 response sent", RequestStatus.RESOLVED, True),
    # Closed without a reply, or after one (withdrawn, not upheld): what the CRM stamps when it closes one.
    ("closed_at", "Complaint closed", RequestStatus.CLOSED, False),
)


class CrmChangeFeed:
    system = SourceSystem.CRM

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def changes_since(self, cursor: str) -> ChangeBatch:
        after_event, since, people_since = _cursor(cursor)
        try:
            async with self._engine.connect() as conn:
                people, people_seen = await people_changed_since(
                    conn, self.system, contacts, CrmSql.person_id, people_since
                )
                event_query = (
                    select(
                        case_events,
                        cases.c.external_reference,
                        cases.c.contact_id,
                        cases.c.service_name,
                        cases.c.opened_at,
                    )
                    .join_from(case_events, cases, case_events.c.case_reference == cases.c.reference)
                    .order_by(case_events.c.id)
                )
                if after_event is not None:
                    event_query = event_query.where(case_events.c.id > after_event)
                else:
                    event_query = event_query.where(case_events.c.at >= since)
                event_rows = (await conn.execute(event_query)).all()
                dated = [getattr(complaints.c, column) for column, *_ in COMPLAINT_STEPS]
                complaint_rows = (
                    await conn.execute(select(complaints).where(or_(*(column >= since for column in dated))))
                ).all()
                last_event = after_event
                if last_event is None:
                    last_event = int(
                        (await conn.execute(select(func.coalesce(func.max(case_events.c.id), 0)))).scalar_one()
                    )
        except (SQLAlchemyError, OSError) as error:
            raise SourceUnavailable(self.system, f"change feed: {type(error).__name__}") from error
        changes = [
            RequestChange(
                system=self.system,
                change_key=f"case-event:{row.id}",
                backoffice_reference=row.case_reference,
                external_reference=row.external_reference,
                owner_record_id=row.contact_id,
                service_name=row.service_name,
                status=RequestStatus(row.status) if row.status else None,
                description=row.description,
                at=as_utc(row.at),
                is_new=as_utc(row.at) == as_utc(row.opened_at),  # the case was opened: a receipt
            )
            for row in event_rows
        ]
        latest = since
        for row in complaint_rows:
            for column, text, status, is_reply in COMPLAINT_STEPS:
                at = as_utc(getattr(row, column))
                if at is None or at < since:
                    continue
                latest = max(latest, at)
                changes.append(
                    RequestChange(
                        system=self.system,
                        change_key=f"complaint:{row.reference}:{column}",
                        backoffice_reference=row.reference,
                        external_reference=row.external_reference,
                        owner_record_id=row.contact_id,
                        service_name="Complaint",
                        status=status,
                        description=_with_deadline(text, row, column),
                        at=at,
                        is_reply=is_reply,
                    )
                )
        if event_rows:
            last_event = max(last_event or 0, max(row.id for row in event_rows))
        changes.sort(key=lambda change: change.at)
        kept = {"case_event": last_event, "complaints": latest.isoformat(), "people": people_seen.isoformat()}
        return ChangeBatch(changes, json.dumps(kept), people)


def _cursor(cursor: str) -> tuple[int | None, datetime, datetime]:
    if cursor.startswith("{"):
        kept = json.loads(cursor)
        complaints_since = datetime.fromisoformat(kept["complaints"])
        # A cursor kept before contacts were read: their changes from the complaints' time on.
        return kept["case_event"], complaints_since, datetime.fromisoformat(kept.get("people", kept["complaints"]))
    first = datetime.fromisoformat(cursor)  # a first read: from this time on
    return None, first, first


def _with_deadline(text: str, row: object, column: str) -> str:
    """An acknowledgement says when the reply is due (the complaint handling code's working days)."""
    if column not in ("acknowledged_at", "stage2_acknowledged_at"):
        return text
    stage = ComplaintStage.STAGE_2 if column.startswith("stage2") else ComplaintStage.STAGE_1
    acknowledged = as_utc(getattr(row, column))
    started = as_utc(row.escalated_at if stage is ComplaintStage.STAGE_2 else row.received_at)  # type: ignore[attr-defined]
    due: date = deadlines(started or acknowledged, acknowledged, stage).respond_by
    return f"{text}: we will reply by {due.day} {due:%B %Y}"
