"""CRM: contacts, complaints and cases, read with SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.complaints import ComplaintRecord, ComplaintStage, ComplaintStatus
from customer360.domain.people import PersonRecord
from customer360.domain.requests import RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.services import ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.sql_columns import as_utc, person_columns, person_record_from_row

metadata = MetaData()

contacts = Table("contacts", metadata, Column("contact_id", String(12), primary_key=True), *person_columns())
complaints = Table(
    "complaints",
    metadata,
    Column("reference", String(20), primary_key=True),
    Column("contact_id", String(12), ForeignKey("contacts.contact_id"), nullable=False, index=True),
    Column("subject", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("service_area", String(40)),
    Column("status", String(12), nullable=False),
    Column("stage", String(8), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("responded_at", DateTime(timezone=True)),
)
cases = Table(
    "cases",
    metadata,
    Column("reference", String(20), primary_key=True),
    Column("contact_id", String(12), ForeignKey("contacts.contact_id"), nullable=False, index=True),
    Column("service_code", String(40), nullable=False),
    Column("service_name", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("description", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expected_by", DateTime(timezone=True)),
)
crm_services = Table(
    "crm_services",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("group_name", String(60), nullable=False),
    Column("description", Text),
)
case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_reference", String(20), ForeignKey("cases.reference"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(12)),
    Column("description", String(400), nullable=False),
)


class CrmSql:
    """Implements `CrmSource` over the CRM database."""

    system = SourceSystem.CRM

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def person_records(self) -> Sequence[PersonRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(contacts))).all()
        return [person_record_from_row(self.system, row.contact_id, row) for row in rows]

    async def services(self) -> Sequence[ServiceDefinitionRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(crm_services).order_by(crm_services.c.code))).all()
        return [ServiceDefinitionRecord(row.code, row.name, row.group_name, row.description) for row in rows]

    async def complaints_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ComplaintRecord]]:
        by_contact: dict[str, list[ComplaintRecord]] = defaultdict(list)
        for complaint in await self._complaints(complaints.c.contact_id.in_(list(contact_ids))):
            by_contact[complaint.contact_id].append(complaint)
        return by_contact

    async def complaints_by_reference(self, references: Sequence[str]) -> Mapping[str, ComplaintRecord]:
        found = await self._complaints(complaints.c.reference.in_(list(references)))
        return {complaint.reference: complaint for complaint in found}

    async def _complaints(self, where: Any) -> list[ComplaintRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(complaints).where(where).order_by(complaints.c.received_at.desc()))).all()
        return [
            ComplaintRecord(
                reference=row.reference,
                contact_id=row.contact_id,
                subject=row.subject,
                description=row.description,
                service_area=row.service_area,
                status=ComplaintStatus(row.status),
                stage=ComplaintStage(row.stage),
                received_at=as_utc(row.received_at),
                acknowledged_at=as_utc(row.acknowledged_at),
                responded_at=as_utc(row.responded_at),
            )
            for row in rows
        ]

    async def cases_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]:
        async with self._engine.connect() as conn:
            case_rows = (await conn.execute(select(cases).where(cases.c.contact_id.in_(list(contact_ids))))).all()
            refs = [row.reference for row in case_rows]
            event_rows = (
                (
                    await conn.execute(
                        select(case_events)
                        .where(case_events.c.case_reference.in_(refs))
                        .order_by(case_events.c.at, case_events.c.id)
                    )
                ).all()
                if refs
                else []
            )
        history: dict[str, list[RequestEvent]] = defaultdict(list)
        for row in event_rows:
            history[row.case_reference].append(
                RequestEvent(
                    at=as_utc(row.at),
                    description=row.description,
                    status=RequestStatus(row.status) if row.status else None,
                    system=self.system,
                )
            )
        by_contact: dict[str, list[ServiceRequestRecord]] = defaultdict(list)
        for row in case_rows:
            by_contact[row.contact_id].append(
                ServiceRequestRecord(
                    system=self.system,
                    reference=row.reference,
                    owner_record_id=row.contact_id,
                    service_code=row.service_code,
                    service_name=row.service_name,
                    status=RequestStatus(row.status),
                    description=row.description,
                    submitted_at=as_utc(row.opened_at),
                    updated_at=as_utc(row.updated_at),
                    expected_by=as_utc(row.expected_by),
                    history=tuple(history[row.reference]),
                )
            )
        return by_contact
