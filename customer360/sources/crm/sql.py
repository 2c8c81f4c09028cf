"""CRM: contacts, complaints and cases, read with SQLAlchemy."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from customer360.domain.complaints import ComplaintRecord, ComplaintStage, ComplaintStatus, NewComplaint
from customer360.domain.moving import MoveNotice
from customer360.domain.people import NewContact
from customer360.domain.requests import NewCase, RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.services import ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected
from customer360.sources.instrumented import guarded
from customer360.sources.people_sql import PeopleSql
from customer360.sources.sql_columns import (
    address_change_columns,
    as_utc,
    person_columns,
    record_address_change,
)

metadata = MetaData()

contacts = Table(
    "contacts",
    metadata,
    Column("contact_id", String(12), primary_key=True),
    *person_columns(),
    Column("external_reference", String(40), unique=True, comment="who created it through an API, for retries"),
)
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
    Column("desired_outcome", Text),
    Column("escalated_at", DateTime(timezone=True)),
    Column("escalation_reason", Text),
    Column("stage2_acknowledged_at", DateTime(timezone=True)),
    Column("stage2_responded_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True), comment="closed without (or after) a reply: withdrawn, not upheld"),
    Column("external_reference", String(40), unique=True, comment="the submitting system's reference"),
    Column("response_outcome", String(16), comment="UPHELD PARTLY_UPHELD NOT_UPHELD, at the latest stage answered"),
    Column("response", Text, comment="the council's answer at the latest stage answered"),
)
cases = Table(
    "cases",
    metadata,
    Column("reference", String(20), primary_key=True),
    # None: opened for someone who used a service that needs no sign-in and left no contact details.
    Column("contact_id", String(12), ForeignKey("contacts.contact_id"), index=True),
    Column("service_code", String(40), nullable=False),
    Column("service_name", String(100), nullable=False),
    Column("queue", String(40), comment="the team's queue the case waits in"),
    Column("status", String(12), nullable=False),
    Column("description", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expected_by", DateTime(timezone=True)),
    Column("external_reference", String(40), unique=True, comment="the submitting system's reference"),
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
# What the resident's form asked and what they answered, in the form's order.
case_answers = Table(
    "case_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_reference", String(20), ForeignKey("cases.reference"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("question", String(200), nullable=False),
    Column("answer", Text, nullable=False),
)
contact_address_changes = Table("contact_address_changes", metadata, *address_change_columns("contacts.contact_id"))


def _cases_query(where: Any, limit: int | None = None) -> Select[Any]:
    """The cases `where` picks (the `limit` soonest due), each with its history: a row per event, or one
    row for a case with none. One statement, not cases then their events."""
    picked = select(cases).where(where)
    if limit:  # the first `limit` cases, not rows
        picked = picked.order_by(cases.c.expected_by.is_(None), cases.c.expected_by, cases.c.reference).limit(limit)
    case = picked.subquery("picked")
    return (
        select(
            case,
            case_events.c.id.label("event_id"),
            case_events.c.at.label("event_at"),
            case_events.c.status.label("event_status"),
            case_events.c.description.label("event_description"),
        )
        .select_from(case.outerjoin(case_events, case_events.c.case_reference == case.c.reference))
        .order_by(
            case.c.expected_by.is_(None), case.c.expected_by, case.c.reference, case_events.c.at, case_events.c.id
        )
    )


# The reads `me` and the staff pages make, built once with their keys bound at each call (`expanding`: an
# IN list of any length), as building them cost more gateway CPU than SQLite took to run them (issue 25).
_WANTED: BindParameter[list[str]] = bindparam("keys", expanding=True)
_COMPLAINTS_OF_CONTACTS = (
    select(complaints).where(complaints.c.contact_id.in_(_WANTED)).order_by(complaints.c.received_at.desc())
)
_COMPLAINTS_BY_REFERENCE = (
    select(complaints)
    .where(or_(complaints.c.reference.in_(_WANTED), complaints.c.external_reference.in_(_WANTED)))
    .order_by(complaints.c.received_at.desc())
)
_CASES_OF_CONTACTS = _cases_query(cases.c.contact_id.in_(_WANTED))
_CASES_BY_REFERENCE = _cases_query(or_(cases.c.reference.in_(_WANTED), cases.c.external_reference.in_(_WANTED)))


class CrmSql(PeopleSql):
    """Implements `CrmSource` over the CRM database."""

    system = SourceSystem.CRM
    people = contacts
    person_id = "contact_id"

    @guarded
    async def services(self) -> Sequence[ServiceDefinitionRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(crm_services).order_by(crm_services.c.code))).all()
        return [ServiceDefinitionRecord(row.code, row.name, row.group_name, row.description) for row in rows]

    @guarded
    async def complaints_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ComplaintRecord]]:
        by_contact: dict[str, list[ComplaintRecord]] = defaultdict(list)
        for complaint in await self._complaints(_COMPLAINTS_OF_CONTACTS, list(contact_ids)):
            by_contact[complaint.contact_id].append(complaint)
        return by_contact

    @guarded
    async def complaints_by_reference(self, references: Sequence[str]) -> Mapping[str, ComplaintRecord]:
        """By the CRM's reference or by the reference of the system that submitted it."""
        wanted = list(references)
        found = await self._complaints(_COMPLAINTS_BY_REFERENCE, wanted)
        answers = {}
        for complaint in found:
            for key in (complaint.reference, complaint.external_reference):
                if key in wanted:
                    answers[key] = complaint
        return answers

    async def _complaints(self, query: Select[Any], keys: list[str]) -> list[ComplaintRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query, {"keys": keys})).all()
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
                external_reference=row.external_reference,
                escalated_at=as_utc(row.escalated_at),
                stage2_acknowledged_at=as_utc(row.stage2_acknowledged_at),
                stage2_responded_at=as_utc(row.stage2_responded_at),
            )
            for row in rows
        ]

    @guarded
    async def cases_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]:
        by_contact: dict[str, list[ServiceRequestRecord]] = defaultdict(list)
        for case in await self._cases(_CASES_OF_CONTACTS, {"keys": list(contact_ids)}):
            by_contact[case.owner_record_id or ""].append(case)
        return by_contact

    @guarded
    async def cases_by_reference(self, references: Sequence[str]) -> Mapping[str, ServiceRequestRecord]:
        """By the CRM's reference or the submitting system's, each under the reference asked for."""
        wanted = list(references)
        found = await self._cases(_CASES_BY_REFERENCE, {"keys": wanted})
        by_reference: dict[str, ServiceRequestRecord] = {}
        for case in found:
            for key in (case.reference, case.external_reference):
                if key in wanted:
                    by_reference[key] = case
        return by_reference

    @guarded
    async def case_queue(
        self, queue: str | None, statuses: Sequence[RequestStatus], limit: int
    ) -> Sequence[ServiceRequestRecord]:
        """Open work: a team's queue (every queue when None), in the statuses asked for, soonest due first."""
        conditions: list[Any] = [cases.c.status.in_([status.value for status in statuses])]
        if queue:
            conditions.append(cases.c.queue == queue)
        return await self._cases(_cases_query(and_(*conditions), limit))

    async def _cases(
        self, query: Select[Any], keys: Mapping[str, list[str]] | None = None
    ) -> list[ServiceRequestRecord]:
        """The cases `query` (a `_cases_query`) answers, each with its history."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query, keys)).all()
        case_rows = list({row.reference: row for row in rows}.values())  # in the order they came
        history: dict[str, list[RequestEvent]] = defaultdict(list)
        for row in rows:
            if row.event_id is not None:
                history[row.reference].append(
                    RequestEvent(
                        at=as_utc(row.event_at),
                        description=row.event_description,
                        status=RequestStatus(row.event_status) if row.event_status else None,
                        system=self.system,
                    )
                )
        return [
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
                external_reference=row.external_reference,
                queue=row.queue,
            )
            for row in case_rows
        ]

    @guarded
    async def progress_case(self, reference: str, status: RequestStatus, note: str, at: datetime) -> str:
        """A new status with the officer's note in the case's history; the same step again (a retried
        delivery: same moment, same note) changes nothing."""
        async with self._engine.begin() as conn:
            case_reference = await conn.scalar(
                select(cases.c.reference).where(
                    or_(cases.c.reference == reference, cases.c.external_reference == reference)
                )
            )
            if case_reference is None:
                raise SourceRejected(self.system, "no such case", "NOT_FOUND")
            done = await conn.scalar(
                select(case_events.c.id).where(
                    case_events.c.case_reference == case_reference,
                    case_events.c.at == at,
                    case_events.c.description == note,
                )
            )
            if done is None:
                await conn.execute(
                    insert(case_events).values(
                        case_reference=case_reference, at=at, status=status.value, description=note
                    )
                )
                await conn.execute(
                    update(cases).where(cases.c.reference == case_reference).values(status=status.value, updated_at=at)
                )
        return str(case_reference)

    @guarded
    async def respond_to_complaint(self, reference: str, outcome: str, response: str, responded_at: datetime) -> str:
        """The council's answer at the complaint's stage; answering a stage already answered changes nothing."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(complaints).where(
                        or_(complaints.c.reference == reference, complaints.c.external_reference == reference)
                    )
                )
            ).first()
            if row is None:
                raise SourceRejected(self.system, "no such complaint", "NOT_FOUND")
            stage_two = row.stage == ComplaintStage.STAGE_2.value
            answered = complaints.c.stage2_responded_at if stage_two else complaints.c.responded_at
            await conn.execute(
                update(complaints)
                .where(complaints.c.reference == row.reference, answered.is_(None))
                .values(
                    {
                        answered: responded_at,
                        complaints.c.status: ComplaintStatus.RESPONDED.value,
                        complaints.c.response_outcome: outcome,
                        complaints.c.response: response,
                    }
                )
            )
        return str(row.reference)

    @guarded
    async def create_contact(self, contact: NewContact) -> str:
        """A new contact, or the one already made for the same external reference."""
        async with self._engine.begin() as conn:
            existing = await _by_external_reference(conn, contacts, contacts.c.contact_id, contact.external_reference)
            if existing:
                return existing
            contact_id = f"CON{secrets.randbelow(9_000_000) + 1_000_000}"
            address = contact.address
            await conn.execute(
                insert(contacts).values(
                    contact_id=contact_id,
                    external_reference=contact.external_reference,
                    title=None,
                    forenames=contact.forenames,
                    surname=contact.surname,
                    date_of_birth=contact.date_of_birth,
                    line1=address.line1 if address else None,
                    line2=address.line2 if address else None,
                    town=address.town if address else None,
                    postcode=address.postcode if address else None,
                    uprn=address.uprn if address else None,
                    email=contact.email,
                    email_verified=contact.email_verified,
                    phone=contact.phone,
                    updated_on=contact.created_at.date(),
                )
            )
        return contact_id

    @guarded
    async def create_complaint(self, complaint: NewComplaint) -> str:
        """Record a stage 1 complaint; a retry with the same external reference returns the first one."""
        async with self._engine.begin() as conn:
            existing = await _by_external_reference(
                conn, complaints, complaints.c.reference, complaint.external_reference
            )
            if existing:
                return existing
            reference = f"CMP{secrets.randbelow(90_000_000) + 10_000_000}"
            await conn.execute(
                insert(complaints).values(
                    reference=reference,
                    external_reference=complaint.external_reference,
                    contact_id=complaint.contact_id,
                    subject=complaint.subject,
                    description=complaint.description,
                    service_area=complaint.service_area,
                    desired_outcome=complaint.desired_outcome,
                    status=ComplaintStatus.RECEIVED.value,
                    stage=ComplaintStage.STAGE_1.value,
                    received_at=complaint.received_at,
                )
            )
        return reference

    @guarded
    async def escalate_complaint(self, reference: str, reason: str, escalated_at: datetime) -> str:
        """Move a stage 1 complaint to stage 2; escalating one already at stage 2 changes nothing."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(complaints)
                .where(
                    or_(complaints.c.reference == reference, complaints.c.external_reference == reference),
                    complaints.c.stage == ComplaintStage.STAGE_1.value,
                )
                .values(
                    stage=ComplaintStage.STAGE_2.value,
                    status=ComplaintStatus.RECEIVED.value,
                    escalated_at=escalated_at,
                    escalation_reason=reason,
                )
            )
        return reference

    @guarded
    async def create_case(self, case: NewCase) -> str:
        async with self._engine.begin() as conn:
            existing = await _by_external_reference(conn, cases, cases.c.reference, case.external_reference)
            if existing:
                return existing
            reference = f"CAS{secrets.randbelow(90_000_000) + 10_000_000}"
            await conn.execute(
                insert(cases).values(
                    reference=reference,
                    external_reference=case.external_reference,
                    contact_id=case.contact_id,
                    service_code=case.service_code,
                    service_name=case.service_name,
                    status=RequestStatus.SUBMITTED.value,
                    description=case.description,
                    queue=case.queue,
                    opened_at=case.opened_at,
                    updated_at=case.opened_at,
                    expected_by=case.expected_by,
                )
            )
            if case.answers:
                await conn.execute(
                    insert(case_answers),
                    [
                        {"case_reference": reference, "code": a.code, "question": a.question, "answer": a.answer}
                        for a in case.answers
                    ],
                )
            await conn.execute(
                insert(case_events).values(
                    case_reference=reference,
                    at=case.opened_at,
                    status=RequestStatus.SUBMITTED.value,
                    description="Case opened",
                )
            )
        return reference

    @guarded
    async def record_address_change(self, notice: MoveNotice) -> str:
        """The contact's new address, recorded once per external reference."""
        return await record_address_change(
            self._engine, self.system, contacts, contacts.c.contact_id, contact_address_changes, notice
        )


async def _by_external_reference(conn: AsyncConnection, table: Table, key: Any, external_reference: str) -> str | None:
    row = (await conn.execute(select(key).where(table.c.external_reference == external_reference))).first()
    return row[0] if row else None
