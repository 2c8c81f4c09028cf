"""HOUSING: the housing register and tenancies, read with SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.housing import HousingApplicationRecord, HousingApplicationStatus, HousingBand, TenancyRecord
from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.sql_columns import person_columns, person_record_from_row

metadata = MetaData()

applicants = Table("applicants", metadata, Column("applicant_id", String(12), primary_key=True), *person_columns())
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


class HousingSql:
    """Implements `HousingSource` over the housing database."""

    system = SourceSystem.HOUSING

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def person_records(self) -> Sequence[PersonRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(applicants))).all()
        return [person_record_from_row(self.system, row.applicant_id, row) for row in rows]

    async def applications_by_applicant(
        self, applicant_ids: Sequence[str]
    ) -> Mapping[str, list[HousingApplicationRecord]]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(applications)
                    .where(applications.c.applicant_id.in_(list(applicant_ids)))
                    .order_by(applications.c.submitted_on.desc())
                )
            ).all()
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
                )
            )
        return by_applicant

    async def tenancies_by_applicant(self, applicant_ids: Sequence[str]) -> Mapping[str, list[TenancyRecord]]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(select(tenancies).where(tenancies.c.applicant_id.in_(list(applicant_ids))))
            ).all()
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
