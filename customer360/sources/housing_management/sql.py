"""HOUSING_MANAGEMENT: tenancies, rent accounts and repairs, read with SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import (
    BindParameter,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
)

from customer360.domain.direct_debit import DirectDebitCancellation, NewDirectDebit
from customer360.domain.payments import PaymentPosting
from customer360.domain.rent import RentLineKind, RentTransaction, RentYear, WeeklyCharge
from customer360.domain.repairs import Hazard, NewRepair, RepairCategory, RepairPriority, RepairRecord
from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import CouncilTenancyRecord, TenureType
from customer360.sources import direct_debits_sql
from customer360.sources.errors import SourceRejected
from customer360.sources.instrumented import guarded
from customer360.sources.people_sql import PeopleSql
from customer360.sources.sql_columns import as_utc, person_columns, status_event_columns

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("tenant_id", String(12), primary_key=True),
    *person_columns(),
)
tenancies = Table(
    "tenancies",
    metadata,
    Column("tenancy_ref", String(16), primary_key=True),
    Column("tenant_id", String(12), ForeignKey("tenants.tenant_id"), nullable=False, index=True),
    Column("uprn", String(12)),
    Column("line1", String(200), nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("tenure", String(16), nullable=False),
    Column("vulnerable_household", Boolean, nullable=False, comment="a member needs repairs prioritised"),
)
# The council's rent years: which weeks are rent free (the same for every tenancy).
rent_free_weeks = Table(
    "rent_free_weeks",
    metadata,
    Column("rent_year", Integer, primary_key=True),
    Column("week", Integer, primary_key=True),
)
# Each tenancy's weekly charge, set for each rent year (rent and service charges apart).
weekly_charges = Table(
    "weekly_charges",
    metadata,
    Column("tenancy_ref", String(16), ForeignKey("tenancies.tenancy_ref"), primary_key=True),
    Column("rent_year", Integer, primary_key=True),
    Column("rent_pence", Integer, nullable=False),
    Column("service_charge_pence", Integer, nullable=False),
)
rent_transactions = Table(
    "rent_transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenancy_ref", String(16), ForeignKey("tenancies.tenancy_ref"), nullable=False, index=True),
    Column("posted_on", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", String(200), nullable=False),
    Column("amount_pence", Integer, nullable=False, comment="positive a charge, negative money received"),
    Column("external_reference", String(40), unique=True, comment="the paying system's reference, for retries"),
)
repairs = Table(
    "repairs",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("tenancy_ref", String(16), ForeignKey("tenancies.tenancy_ref"), nullable=False, index=True),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("category", String(30), nullable=False),
    Column("room", String(30), nullable=False),
    Column("description", Text, nullable=False),
    Column("hazard", String(20), nullable=False),
    Column("priority", String(12), nullable=False),
    Column("status", String(20), nullable=False),
    Column("investigated_on", Date),
    Column("completed_on", Date),
    Column("external_reference", String(40), unique=True, comment="the reporting system's reference"),
)
# The audit of each repair's steps: the repairs team's status changes, with what they said.
repair_events = Table("repair_events", metadata, *status_event_columns("repairs.reference"))

# Rent Direct Debit instructions, and the payers' banks' refusals (`sources/direct_debits_sql.py`).
direct_debits = direct_debits_sql.direct_debit_tables(metadata, "tenancies.tenancy_ref", prefix="rent_")

# A tenant's tenancies and what each holds, built once with the keys bound at each call (`expanding`: an
# IN list of any length), as building them cost more gateway CPU than SQLite took to run them (issue 25).
_KEYS: BindParameter[list[str]] = bindparam("keys", expanding=True)
_TENANCIES_OF_TENANTS = select(tenancies).where(tenancies.c.tenant_id.in_(_KEYS)).order_by(tenancies.c.starts_on.desc())
_CHARGES_OF_TENANCIES = select(weekly_charges).where(weekly_charges.c.tenancy_ref.in_(_KEYS))
_RENT_FREE_WEEKS = select(rent_free_weeks)
_RENT_LINES_OF_TENANCIES = (
    select(rent_transactions)
    .where(rent_transactions.c.tenancy_ref.in_(_KEYS))
    .order_by(rent_transactions.c.posted_on, rent_transactions.c.id)
)
_REPAIRS_OF_TENANCIES = select(repairs).where(repairs.c.tenancy_ref.in_(_KEYS)).order_by(repairs.c.reported_at.desc())


class HousingManagementSql(PeopleSql):
    """Implements `HousingManagementSource` over the housing management database."""

    system = SourceSystem.HOUSING_MANAGEMENT
    people = tenants
    person_id = "tenant_id"

    @guarded
    async def tenancies_by_tenant(self, tenant_ids: Sequence[str]) -> Mapping[str, list[CouncilTenancyRecord]]:
        async with self._engine.connect() as conn:
            held = (await conn.execute(_TENANCIES_OF_TENANTS, {"keys": list(tenant_ids)})).all()
            refs = {"keys": [row.tenancy_ref for row in held]}
            charges = (await conn.execute(_CHARGES_OF_TENANCIES, refs)).all()
            free = (await conn.execute(_RENT_FREE_WEEKS)).all()
            lines = (await conn.execute(_RENT_LINES_OF_TENANCIES, refs)).all()
            reported = (await conn.execute(_REPAIRS_OF_TENANCIES, refs)).all()
            instructions = await direct_debits_sql.instructions_on(
                conn, direct_debits, SourceSystem.HOUSING_MANAGEMENT, refs["keys"]
            )
        repairs_by_tenancy: dict[str, list[RepairRecord]] = defaultdict(list)
        for row in reported:
            repairs_by_tenancy[row.tenancy_ref].append(
                RepairRecord(
                    reference=row.reference,
                    tenancy_ref=row.tenancy_ref,
                    reported_at=as_utc(row.reported_at),
                    category=RepairCategory(row.category),
                    room=row.room,
                    description=row.description,
                    hazard=Hazard(row.hazard),
                    priority=RepairPriority(row.priority),
                    status=row.status,
                    investigated_on=row.investigated_on,
                    completed_on=row.completed_on,
                    external_reference=row.external_reference,
                )
            )
        free_by_year: dict[int, set[int]] = defaultdict(set)
        for row in free:
            free_by_year[row.rent_year].add(row.week)
        years_by_tenancy: dict[str, list[RentYear]] = defaultdict(list)
        for row in sorted(charges, key=lambda row: row.rent_year):
            years_by_tenancy[row.tenancy_ref].append(
                RentYear(
                    row.rent_year,
                    WeeklyCharge(row.rent_pence, row.service_charge_pence),
                    frozenset(free_by_year[row.rent_year]),
                )
            )
        lines_by_tenancy: dict[str, list[RentTransaction]] = defaultdict(list)
        for row in lines:
            lines_by_tenancy[row.tenancy_ref].append(
                RentTransaction(row.posted_on, RentLineKind(row.kind), row.description, row.amount_pence)
            )
        by_tenant: dict[str, list[CouncilTenancyRecord]] = defaultdict(list)
        for row in held:
            by_tenant[row.tenant_id].append(
                CouncilTenancyRecord(
                    tenancy_ref=row.tenancy_ref,
                    tenant_id=row.tenant_id,
                    line1=row.line1,
                    postcode=row.postcode,
                    uprn=row.uprn,
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                    tenure=TenureType(row.tenure),
                    vulnerable_household=row.vulnerable_household,
                    rent_years=tuple(years_by_tenancy[row.tenancy_ref]),
                    transactions=tuple(lines_by_tenancy[row.tenancy_ref]),
                    repairs=tuple(repairs_by_tenancy[row.tenancy_ref]),
                    direct_debits=tuple(instructions.get(row.tenancy_ref, ())),
                )
            )
        return by_tenant

    @guarded
    async def tenants_of(self, tenancy_refs: Sequence[str]) -> Mapping[str, str]:
        async with self._engine.connect() as conn:
            held = await conn.execute(
                select(tenancies.c.tenancy_ref, tenancies.c.tenant_id).where(
                    tenancies.c.tenancy_ref.in_(list(tenancy_refs))
                )
            )
            return {row.tenancy_ref: row.tenant_id for row in held}

    @guarded
    async def tenancies_of_repairs(self, references: Sequence[str]) -> Mapping[str, str]:
        wanted = list(references)
        async with self._engine.connect() as conn:
            held = await conn.execute(
                select(repairs.c.reference, repairs.c.external_reference, repairs.c.tenancy_ref).where(
                    repairs.c.reference.in_(wanted) | repairs.c.external_reference.in_(wanted)
                )
            )
            found: dict[str, str] = {}
            for row in held:
                found[row.reference] = row.tenancy_ref
                if row.external_reference:
                    found[row.external_reference] = row.tenancy_ref
            return found

    @guarded
    async def record_repair(self, repair: NewRepair) -> str:
        """A repair on a tenancy, REPORTED; a retry with the same external reference answers the first's."""
        async with self._engine.begin() as conn:
            existing = await conn.scalar(
                select(repairs.c.reference).where(repairs.c.external_reference == repair.external_reference)
            )
            if existing:
                return str(existing)
            known = (
                await conn.execute(select(tenancies.c.ends_on).where(tenancies.c.tenancy_ref == repair.tenancy_ref))
            ).first()
            if known is None:
                raise SourceRejected(self.system, f"no tenancy {repair.tenancy_ref}")
            # A repair kept while this office was down was checked against the tenancy as last seen.
            if known.ends_on is not None and known.ends_on < repair.reported_at.date():
                raise SourceRejected(self.system, f"tenancy {repair.tenancy_ref} had ended when it was reported")
            count = await conn.scalar(select(func.count()).select_from(repairs))
            reference = f"RR-{repair.reported_at.year}{(count or 0) + 1:06d}"
            await conn.execute(
                insert(repairs).values(
                    reference=reference,
                    tenancy_ref=repair.tenancy_ref,
                    reported_at=repair.reported_at,
                    category=repair.category.value,
                    room=repair.room,
                    description=repair.description,
                    hazard=repair.hazard.value,
                    priority=repair.priority.value,
                    status="REPORTED",
                    external_reference=repair.external_reference,
                )
            )
        return reference

    @guarded
    async def post_rent_payment(self, posting: PaymentPosting) -> str:
        """A card payment credited to the rent account, once: a repeat with the same reference changes nothing."""
        async with self._engine.begin() as conn:
            existing = await conn.scalar(
                select(rent_transactions.c.id).where(
                    rent_transactions.c.external_reference == posting.external_reference
                )
            )
            if existing:
                return f"RT{existing}"
            known = await conn.scalar(
                select(tenancies.c.tenancy_ref).where(tenancies.c.tenancy_ref == posting.account_reference)
            )
            if known is None:
                raise SourceRejected(self.system, f"no tenancy {posting.account_reference}")
            result = await conn.execute(
                insert(rent_transactions).values(
                    tenancy_ref=posting.account_reference,
                    posted_on=posting.posted_on,
                    kind=RentLineKind.PAYMENT.value,
                    description=posting.description,
                    amount_pence=-posting.amount_pence,
                    external_reference=posting.external_reference,
                )
            )
        return f"RT{result.inserted_primary_key[0]}"  # type: ignore[index]

    @guarded
    async def set_up_direct_debit(self, instruction: NewDirectDebit) -> str:
        """Lodge the instruction on the rent account; a retry answers the first's reference."""
        async with self._engine.begin() as conn:
            known = await conn.scalar(
                select(tenancies.c.tenancy_ref).where(tenancies.c.tenancy_ref == instruction.account_reference)
            )
            if known is None:
                raise SourceRejected(self.system, "no such tenancy", code="NO_ACCOUNT")
            reference, _ = await direct_debits_sql.lodge(conn, direct_debits, instruction)
        return reference

    @guarded
    async def cancel_direct_debit(self, cancellation: DirectDebitCancellation) -> str:
        async with self._engine.begin() as conn:
            return await direct_debits_sql.cancel(conn, direct_debits, cancellation)
