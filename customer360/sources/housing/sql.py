"""HOUSING: the housing register and tenancies, read with SQLAlchemy."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from customer360.domain.housing import (
    HousingApplicationRecord,
    HousingApplicationStatus,
    HousingBand,
    NewHousingApplication,
    TenancyRecord,
)
from customer360.domain.moving import MoveNotice
from customer360.domain.people import NewContact
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected
from customer360.sources.instrumented import guarded
from customer360.sources.people_sql import PeopleSql
from customer360.sources.sql_columns import (
    address_change_columns,
    address_columns,
    person_columns,
    record_address_change,
    status_event_columns,
)

metadata = MetaData()

applicants = Table(
    "applicants",
    metadata,
    Column("applicant_id", String(12), primary_key=True),
    *person_columns(),
    Column("external_reference", String(40), unique=True, comment="who created it through an API, for retries"),
)
applications = Table(
    "applications",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("applicant_id", String(12), ForeignKey("applicants.applicant_id"), nullable=False, index=True),
    Column("status", String(12), nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("band", String(12)),
    Column("bedrooms_needed", Integer, nullable=False),
    Column("household_size", Integer, nullable=False),
    # What an application made online also says (empty on those the housing team keyed in).
    Column("current_tenure", String(40)),
    Column("reason", Text),
    Column("medical_needs", Boolean),
    Column("mobility_needs", Boolean),
    Column("local_connection", Boolean),
    Column("income_band", String(20)),
    Column("external_reference", String(40), unique=True, comment="the submitting system's reference"),
    Column("evidence_links", JSON, comment="links to documents the applicant attached online"),
)
application_members = Table(
    "application_members",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_reference", String(16), ForeignKey("applications.reference"), nullable=False, index=True),
    Column("position", Integer, nullable=False, comment="the order the form listed them in, from 1"),
    Column("relationship", String(20), nullable=False),
    Column("date_of_birth", Date, nullable=False),
)
tenancies = Table(
    "tenancies",
    metadata,
    Column("tenancy_ref", String(16), primary_key=True),
    Column("applicant_id", String(12), ForeignKey("applicants.applicant_id"), nullable=False, index=True),
    Column("uprn", String(12)),
    Column("line1", String(200), nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("joint_tenant_forenames", String(100)),
    Column("joint_tenant_surname", String(100)),
    Column("joint_tenant_date_of_birth", Date),
)
# The audit of each application's steps: the housing team's status changes, with what they said.
application_events = Table("application_events", metadata, *status_event_columns("applications.reference"))
# Changes of circumstances: moves the applicant told us of.
applicant_address_changes = Table(
    "applicant_address_changes", metadata, *address_change_columns("applicants.applicant_id")
)

# The reads by applicant, built once with the applicants bound at each call (`expanding`: an IN list of
# any length), as building a statement cost more gateway CPU than SQLite took to run it (issue 25).
_APPLICATIONS_OF_APPLICANTS = (
    select(applications)
    .where(applications.c.applicant_id.in_(bindparam("applicants", expanding=True)))
    .order_by(applications.c.submitted_on.desc())
)
_TENANCIES_OF_APPLICANTS = select(tenancies).where(
    tenancies.c.applicant_id.in_(bindparam("applicants", expanding=True))
)


class HousingSql(PeopleSql):
    """Implements `HousingSource` over the housing database."""

    system = SourceSystem.HOUSING
    people = applicants
    person_id = "applicant_id"

    @guarded
    async def applications_by_applicant(
        self, applicant_ids: Sequence[str]
    ) -> Mapping[str, list[HousingApplicationRecord]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_APPLICATIONS_OF_APPLICANTS, {"applicants": list(applicant_ids)})).all()
        by_applicant: dict[str, list[HousingApplicationRecord]] = defaultdict(list)
        for row in rows:
            by_applicant[row.applicant_id].append(
                HousingApplicationRecord(
                    reference=row.reference,
                    applicant_id=row.applicant_id,
                    status=HousingApplicationStatus(row.status),
                    submitted_on=row.submitted_on,
                    band=HousingBand(row.band) if row.band else None,
                    bedrooms_needed=row.bedrooms_needed,
                    household_size=row.household_size,
                    external_reference=row.external_reference,
                )
            )
        return by_applicant

    @guarded
    async def tenancies_by_applicant(self, applicant_ids: Sequence[str]) -> Mapping[str, list[TenancyRecord]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_TENANCIES_OF_APPLICANTS, {"applicants": list(applicant_ids)})).all()
        by_applicant: dict[str, list[TenancyRecord]] = defaultdict(list)
        for row in rows:
            by_applicant[row.applicant_id].append(
                TenancyRecord(
                    tenancy_ref=row.tenancy_ref,
                    applicant_id=row.applicant_id,
                    uprn=row.uprn,
                    postcode=row.postcode,
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                    joint_tenant_date_of_birth=row.joint_tenant_date_of_birth,
                    has_joint_tenant=bool(row.joint_tenant_surname or row.joint_tenant_forenames),
                )
            )
        return by_applicant

    # Writes: each is idempotent by the external (customer360) reference it carries.

    @guarded
    async def create_applicant(self, contact: NewContact) -> str:
        """A new applicant, or the one already made for the same external reference."""
        async with self._engine.begin() as conn:
            existing = await _by_external_reference(
                conn, applicants, applicants.c.applicant_id, contact.external_reference
            )
            if existing:
                return existing
            applicant_id = await _unused(
                conn, applicants.c.applicant_id, lambda: f"HA{secrets.randbelow(9_000_000) + 1_000_000}"
            )
            address = contact.address
            await conn.execute(
                insert(applicants).values(
                    applicant_id=applicant_id,
                    external_reference=contact.external_reference,
                    title=None,
                    forenames=contact.forenames,
                    surname=contact.surname,
                    date_of_birth=contact.date_of_birth,
                    **(address_columns(address) if address else {}),
                    email=contact.email,
                    email_verified=contact.email_verified,
                    phone=contact.phone,
                    updated_on=contact.created_at.date(),
                )
            )
        return applicant_id

    @guarded
    async def create_application(self, application: NewHousingApplication) -> str:
        """A housing register application, SUBMITTED and not yet banded (the housing team assesses it).

        Answers the new reference (`HR-` year and five digits); a retry with the same external
        reference answers the first one's.
        """
        async with self._engine.begin() as conn:
            existing = await _by_external_reference(
                conn, applications, applications.c.reference, application.external_reference
            )
            if existing:
                return existing
            known = await conn.scalar(
                select(applicants.c.applicant_id).where(applicants.c.applicant_id == application.applicant_id)
            )
            if known is None:
                raise SourceRejected(self.system, f"no applicant {application.applicant_id}")
            year = application.submitted_on.year
            reference = await _unused(
                conn, applications.c.reference, lambda: f"HR-{year}{secrets.randbelow(100_000):05d}"
            )
            await conn.execute(
                insert(applications).values(
                    reference=reference,
                    applicant_id=application.applicant_id,
                    status=HousingApplicationStatus.SUBMITTED.value,
                    submitted_on=application.submitted_on,
                    band=None,
                    bedrooms_needed=application.bedrooms_needed,
                    household_size=len(application.household),
                    current_tenure=application.current_tenure.value,
                    reason=application.reason,
                    medical_needs=application.medical_needs,
                    mobility_needs=application.mobility_needs,
                    local_connection=application.local_connection,
                    income_band=application.income_band.value,
                    external_reference=application.external_reference,
                    evidence_links=list(application.evidence_links) or None,
                )
            )
            if application.household:
                await conn.execute(
                    insert(application_members),
                    [
                        {
                            "application_reference": reference,
                            "position": position,
                            "relationship": member.relationship,
                            "date_of_birth": member.date_of_birth,
                        }
                        for position, member in enumerate(application.household, start=1)
                    ],
                )
        return reference

    @guarded
    async def record_address_change(self, notice: MoveNotice) -> str:
        """The applicant's new address, recorded once per external reference."""
        return await record_address_change(
            self._engine, self.system, applicants, applicants.c.applicant_id, applicant_address_changes, notice
        )


async def _by_external_reference(conn: AsyncConnection, table: Table, key: Any, external_reference: str) -> str | None:
    row = (await conn.execute(select(key).where(table.c.external_reference == external_reference))).first()
    return str(row[0]) if row else None


async def _unused(conn: AsyncConnection, key: Any, make: Callable[[], str]) -> str:
    """A fresh random key not yet taken."""
    while True:
        candidate = make()
        if await conn.scalar(select(key).where(key == candidate)) is None:
            return candidate
