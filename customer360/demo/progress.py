"""`customer360 demo progress`: a back-office officer moving a request on, in that back office's own system.

Never in the gateway: customer360 must learn of it through the back office's change feed like any
other change. The street-scene contractor's requests (Open311) and the CRM's cases and complaints are
progressed; a request is found by the customer360 reference it was filed with, or by its back
office's own reference.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, or_, select, update

from customer360.demo.council import database_urls
from customer360.demo.street_scene_db import request_updates, requests
from customer360.domain.complaints import ComplaintStatus
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.crm.sql import case_events, cases, complaints
from customer360.store.database import create_engine

# Open311 knows `open` and `closed` only; what an officer says is kept in the update's description.
OPEN311_STATUS_FOR = {
    RequestStatus.SUBMITTED: "open",
    RequestStatus.IN_PROGRESS: "open",
    RequestStatus.RESOLVED: "closed",
    RequestStatus.CLOSED: "closed",
    RequestStatus.REJECTED: "closed",
}
DEFAULT_NOTES = {
    RequestStatus.SUBMITTED: "Report received",
    RequestStatus.IN_PROGRESS: "A crew has been sent",
    RequestStatus.RESOLVED: "Fixed",
    RequestStatus.CLOSED: "Closed",
    RequestStatus.REJECTED: "We will not be taking this further",
}


class NotFound(LookupError):
    """No back office the command can change holds this reference."""


# A complaint's steps, as the CRM records them: the status it takes and the dated column it stamps.
COMPLAINT_STEPS = {
    RequestStatus.IN_PROGRESS: (ComplaintStatus.ACKNOWLEDGED, "acknowledged_at"),
    RequestStatus.RESOLVED: (ComplaintStatus.RESPONDED, "responded_at"),
}


async def progress(settings: Settings, reference: str, status: RequestStatus, note: str | None) -> tuple[str, str]:
    """Change the request in its back office; (the back office, its own reference for the request)."""
    try:
        return await _in_street_scene(settings, reference, status, note)
    except NotFound:
        return await _in_crm(settings, reference, status, note)


async def _in_crm(settings: Settings, reference: str, status: RequestStatus, note: str | None) -> tuple[str, str]:
    engine = create_engine(database_urls(settings)[SourceSystem.CRM])
    try:
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            case = (
                await conn.execute(
                    select(cases.c.reference).where(
                        or_(cases.c.external_reference == reference, cases.c.reference == reference)
                    )
                )
            ).scalar()
            if case is not None:
                await conn.execute(
                    update(cases).where(cases.c.reference == case).values(status=status.value, updated_at=now)
                )
                await conn.execute(
                    insert(case_events).values(
                        case_reference=case, at=now, status=status.value, description=note or DEFAULT_NOTES[status]
                    )
                )
                return SourceSystem.CRM.value, str(case)
            complaint = (
                await conn.execute(
                    select(complaints.c.reference).where(
                        or_(complaints.c.external_reference == reference, complaints.c.reference == reference)
                    )
                )
            ).scalar()
            if complaint is None:
                raise NotFound(reference)
            if status in COMPLAINT_STEPS:
                complaint_status, column = COMPLAINT_STEPS[status]
                values = {"status": complaint_status.value, column: now}
            else:  # closed, or not upheld: the CRM has no date for it
                values = {"status": ComplaintStatus.CLOSED.value}
            await conn.execute(update(complaints).where(complaints.c.reference == complaint).values(**values))
            return SourceSystem.CRM.value, str(complaint)
    finally:
        await engine.dispose()


async def _in_street_scene(
    settings: Settings, reference: str, status: RequestStatus, note: str | None
) -> tuple[str, str]:
    engine = create_engine(database_urls(settings)[SourceSystem.STREET_SCENE])
    try:
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            found = (
                await conn.execute(
                    select(requests.c.service_request_id).where(
                        or_(requests.c.external_reference == reference, requests.c.service_request_id == reference)
                    )
                )
            ).scalar()
            if found is None:
                raise NotFound(reference)
            description = note or DEFAULT_NOTES[status]
            await conn.execute(
                update(requests)
                .where(requests.c.service_request_id == found)
                .values(status=OPEN311_STATUS_FOR[status], status_notes=description, updated_datetime=now)
            )
            await conn.execute(
                insert(request_updates).values(
                    service_request_id=found, at=now, status=OPEN311_STATUS_FOR[status], description=description
                )
            )
        return SourceSystem.STREET_SCENE.value, str(found)
    finally:
        await engine.dispose()
