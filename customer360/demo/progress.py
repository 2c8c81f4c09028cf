"""`customer360 demo progress`: a back-office officer moving a request on, in that back office's own system.

Never in the gateway: customer360 must learn of it through the back office's change feed like any
other change. The street-scene contractor's requests (Open311), the CRM's cases and complaints, housing
applications, Single Person Discount applications and repairs are progressed: each in its office's own
tables, with the row in that office's audit table an officer's change makes there. A request is found by
the customer360 reference it was filed with, or by its back office's own reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Table, insert, or_, select, update

from customer360.clock import LONDON
from customer360.demo.council import database_urls
from customer360.demo.street_scene_db import request_updates, requests
from customer360.domain.complaints import ComplaintStatus
from customer360.domain.council_tax import DiscountStatus
from customer360.domain.housing import HousingApplicationStatus
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.crm.sql import case_events, cases, complaints
from customer360.sources.housing.sql import application_events, applications
from customer360.sources.housing_management.sql import repair_events, repairs
from customer360.sources.revenues.sql import discount_events, discounts
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
        pass
    try:
        return await _in_crm(settings, reference, status, note)
    except NotFound:
        pass
    for office in AUDITED:
        try:
            return await _in_audited(settings, office, reference, status, note)
        except NotFound:
            continue
    raise NotFound(reference)


@dataclass(frozen=True)
class AuditedOffice:
    """A back office whose requests an officer moves on by status, each change written to its audit table."""

    system: SourceSystem
    requests: Table
    key: Column[Any]  # the office's own reference
    events: Table  # `status_event_columns`
    status_for: Mapping[RequestStatus, str]  # the office's own status word for each step
    stamps: Mapping[RequestStatus, Mapping[str, Callable[[datetime], object]]] = field(default_factory=dict)


AUDITED = (
    AuditedOffice(
        SourceSystem.HOUSING,
        applications,
        applications.c.reference,
        application_events,
        {
            RequestStatus.SUBMITTED: HousingApplicationStatus.SUBMITTED.value,
            RequestStatus.IN_PROGRESS: HousingApplicationStatus.ASSESSING.value,
            RequestStatus.RESOLVED: HousingApplicationStatus.HOUSED.value,
            RequestStatus.CLOSED: HousingApplicationStatus.CLOSED.value,
            RequestStatus.REJECTED: HousingApplicationStatus.CLOSED.value,
        },
    ),
    AuditedOffice(
        SourceSystem.REVENUES,
        discounts,
        discounts.c.discount_id,
        discount_events,
        {
            RequestStatus.SUBMITTED: DiscountStatus.PENDING.value,
            RequestStatus.IN_PROGRESS: DiscountStatus.PENDING.value,
            RequestStatus.RESOLVED: DiscountStatus.ACTIVE.value,
            RequestStatus.CLOSED: DiscountStatus.ENDED.value,
            RequestStatus.REJECTED: DiscountStatus.REFUSED.value,
        },
        {RequestStatus.CLOSED: {"ends_on": lambda now: now.astimezone(LONDON).date()}},
    ),
    AuditedOffice(
        SourceSystem.HOUSING_MANAGEMENT,
        repairs,
        repairs.c.reference,
        repair_events,
        {
            RequestStatus.SUBMITTED: "REPORTED",
            RequestStatus.IN_PROGRESS: "WORK_BOOKED",
            RequestStatus.RESOLVED: "COMPLETED",
            RequestStatus.CLOSED: "COMPLETED",
            RequestStatus.REJECTED: "CANCELLED",
        },
        {
            RequestStatus.RESOLVED: {"completed_on": lambda now: now.astimezone(LONDON).date()},
            RequestStatus.CLOSED: {"completed_on": lambda now: now.astimezone(LONDON).date()},
        },
    ),
)


async def _in_audited(
    settings: Settings, office: AuditedOffice, reference: str, status: RequestStatus, note: str | None
) -> tuple[str, str]:
    engine = create_engine(database_urls(settings)[office.system])
    try:
        now = datetime.now(UTC)
        table = office.requests
        async with engine.begin() as conn:
            found = (
                await conn.execute(
                    select(office.key).where(or_(table.c.external_reference == reference, office.key == reference))
                )
            ).scalar()
            if found is None:
                raise NotFound(reference)
            stamped = {column: stamp(now) for column, stamp in office.stamps.get(status, {}).items()}
            await conn.execute(
                update(table).where(office.key == found).values(status=office.status_for[status], **stamped)
            )
            await conn.execute(
                insert(office.events).values(
                    reference=found, at=now, status=office.status_for[status], description=note or DEFAULT_NOTES[status]
                )
            )
        return office.system.value, str(found)
    finally:
        await engine.dispose()


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
            else:  # closed, or not upheld
                values = {"status": ComplaintStatus.CLOSED.value, "closed_at": now}
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
