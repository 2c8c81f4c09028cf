"""BENEFITS: Housing Benefit and Council Tax Support claims, read with SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, bindparam, select

from customer360.domain.benefits import (
    BenefitClaimRecord,
    BenefitKind,
    ClaimStatus,
    HouseholdMember,
)
from customer360.domain.moving import MoveNotice
from customer360.domain.systems import SourceSystem
from customer360.sources.instrumented import guarded
from customer360.sources.people_sql import PeopleSql
from customer360.sources.sql_columns import (
    address_change_columns,
    person_columns,
    record_address_change,
)

metadata = MetaData()

claimants = Table("claimants", metadata, Column("claimant_id", String(12), primary_key=True), *person_columns())
claims = Table(
    "claims",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("claimant_id", String(12), ForeignKey("claimants.claimant_id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(12), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("weekly_award_pence", Integer, nullable=False),
)
household_members = Table(
    "household_members",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("claim_reference", String(16), ForeignKey("claims.reference"), nullable=False, index=True),
    Column("relationship", String(20), nullable=False),
    Column("forenames", String(100)),
    Column("surname", String(100)),
    Column("date_of_birth", Date),
)

# Changes of circumstances: moves the claimant told us of (a change of address can change an award).
claimant_address_changes = Table("claimant_address_changes", metadata, *address_change_columns("claimants.claimant_id"))

# The claims of the claimants asked for, each with its household (a row per member, or one with none): one
# statement, not claims then members. Built once, the claimants bound at each call (`expanding`: an IN
# list of any length), as building it cost more gateway CPU than SQLite took to run it (issue 25).
# Claims that start on one day keep their reference order; members the order they were recorded in.
_CLAIMS_OF_CLAIMANTS = (
    select(
        claims,
        household_members.c.id.label("member_id"),
        household_members.c.relationship,
        household_members.c.date_of_birth,
    )
    .select_from(claims.outerjoin(household_members, household_members.c.claim_reference == claims.c.reference))
    .where(claims.c.claimant_id.in_(bindparam("claimants", expanding=True)))
    .order_by(claims.c.starts_on.desc(), claims.c.reference, household_members.c.id)
)


class BenefitsSql(PeopleSql):
    """Implements `BenefitsSource` over the benefits database."""

    system = SourceSystem.BENEFITS
    people = claimants
    person_id = "claimant_id"

    @guarded
    async def claims_by_claimant(self, claimant_ids: Sequence[str]) -> Mapping[str, list[BenefitClaimRecord]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_CLAIMS_OF_CLAIMANTS, {"claimants": list(claimant_ids)})).all()
        claim_rows = list({row.reference: row for row in rows}.values())  # in the order they came
        members: dict[str, list[HouseholdMember]] = defaultdict(list)
        for row in rows:
            if row.member_id is not None:
                members[row.reference].append(HouseholdMember(row.relationship, row.date_of_birth))
        by_claimant: dict[str, list[BenefitClaimRecord]] = defaultdict(list)
        for row in claim_rows:
            by_claimant[row.claimant_id].append(
                BenefitClaimRecord(
                    reference=row.reference,
                    claimant_id=row.claimant_id,
                    kind=BenefitKind(row.kind),
                    status=ClaimStatus(row.status),
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                    weekly_award_pence=row.weekly_award_pence,
                    household=tuple(members[row.reference]),
                )
            )
        return by_claimant

    @guarded
    async def record_address_change(self, notice: MoveNotice) -> str:
        """A change of circumstances: the claimant's new address, recorded once per external reference."""
        return await record_address_change(
            self._engine, self.system, claimants, claimants.c.claimant_id, claimant_address_changes, notice
        )
