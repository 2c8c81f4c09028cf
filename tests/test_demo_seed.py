"""Seeding the six demo back offices: every table filled, the books balance, the answer key written."""

from __future__ import annotations

import csv
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import payments_db, street_scene_db
from customer360.demo.population import Population, generate_population
from customer360.demo.seed import SeedError, SeedSummary, seed_back_offices
from customer360.domain.council_tax import (
    InstalmentStatus,
    StatementLineKind,
    instalments_with_status,
    latest_statement,
    paid_towards_instalments,
)
from customer360.domain.systems import SourceSystem
from customer360.sources.benefits import sql as benefits_sql
from customer360.sources.crm import sql as crm_sql
from customer360.sources.housing import sql as housing_sql
from customer360.sources.revenues import sql as revenues_sql
from customer360.sources.revenues.sql import RevenuesSql

TODAY = date(2026, 11, 23)
END_OF_TODAY = datetime.combine(TODAY, clock(23, 59), UTC)
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
METADATA: dict[SourceSystem, MetaData] = {
    SourceSystem.REVENUES: revenues_sql.metadata,
    SourceSystem.BENEFITS: benefits_sql.metadata,
    SourceSystem.HOUSING: housing_sql.metadata,
    SourceSystem.CRM: crm_sql.metadata,
    SourceSystem.STREET_SCENE: street_scene_db.metadata,
    SourceSystem.PAYMENTS: payments_db.metadata,
}


@dataclass
class Seeded:
    engines: dict[SourceSystem, AsyncEngine]
    population: Population
    summary: SeedSummary
    truth_path: Path


async def _seed(engines: dict[SourceSystem, AsyncEngine], population: Population, truth_path: Path) -> Seeded:
    lines: list[str] = []
    summary = await seed_back_offices(
        engines, population, today=TODAY, truth_path=truth_path, reset=True, progress=lines.append
    )
    assert len(lines) == len(SourceSystem)
    return Seeded(engines, population, summary, truth_path)


def _sqlite_engines(folder: Path) -> dict[SourceSystem, AsyncEngine]:
    return {
        system: create_async_engine(f"sqlite+aiosqlite:///{folder / system.value.lower()}.db")
        for system in SourceSystem
    }


async def _dispose(engines: Mapping[SourceSystem, AsyncEngine]) -> None:
    for engine in engines.values():
        await engine.dispose()


@pytest.fixture
async def seeded(tmp_path: Path) -> AsyncIterator[Seeded]:
    engines = _sqlite_engines(tmp_path)
    yield await _seed(engines, generate_population(300, 42), tmp_path / "out" / "truth.csv")
    await _dispose(engines)


async def _rows(engine: AsyncEngine, table: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(table))).all())


async def _council_tax_accounts(seeded: Seeded) -> list[Any]:
    engine = seeded.engines[SourceSystem.REVENUES]
    party_ids = [row.party_id for row in await _rows(engine, revenues_sql.parties)]
    by_party = await RevenuesSql(engine).accounts_by_party(party_ids)
    return [account for accounts in by_party.values() for account in accounts]


# --- every back office --------------------------------------------------------------------------


async def _assert_every_table_filled(engines: Mapping[SourceSystem, AsyncEngine]) -> None:
    for system, metadata in METADATA.items():
        async with engines[system].connect() as conn:
            for table in metadata.sorted_tables:
                assert await conn.scalar(select(func.count()).select_from(table)), f"{system}: {table.name} is empty"


async def test_every_table_of_every_back_office_gets_rows(seeded: Seeded) -> None:
    await _assert_every_table_filled(seeded.engines)
    assert seeded.summary.residents == 300
    assert seeded.summary.people == Counter(record.system for record in seeded.population.records)


async def test_truth_csv_has_one_row_per_back_office_record(seeded: Seeded) -> None:
    with seeded.truth_path.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["source", "record_id", "person_id"]
    assert [tuple(row) for row in rows[1:]] == seeded.population.truth_rows()
    people_tables = {
        SourceSystem.REVENUES: (revenues_sql.parties, "party_id"),
        SourceSystem.BENEFITS: (benefits_sql.claimants, "claimant_id"),
        SourceSystem.HOUSING: (housing_sql.applicants, "applicant_id"),
        SourceSystem.CRM: (crm_sql.contacts, "contact_id"),
        SourceSystem.STREET_SCENE: (street_scene_db.reporters, "reporter_id"),
    }
    truth_ids = Counter((source, record_id) for source, record_id, _ in rows[1:])
    for system, (table, column) in people_tables.items():
        stored = {getattr(row, column) for row in await _rows(seeded.engines[system], table)}
        assert stored == {record_id for source, record_id in truth_ids if source == system.value}
    payers = {row.email for row in await _rows(seeded.engines[SourceSystem.PAYMENTS], payments_db.payments)}
    assert payers == {record_id for source, record_id in truth_ids if source == SourceSystem.PAYMENTS.value}


async def test_reseeding_without_reset_is_refused(seeded: Seeded) -> None:
    with pytest.raises(SeedError):
        await seed_back_offices(
            seeded.engines, seeded.population, today=TODAY, truth_path=seeded.truth_path, reset=False
        )


# --- revenues -----------------------------------------------------------------------------------


async def test_every_account_balances_and_its_instalments_add_up_to_the_net_charge(seeded: Seeded) -> None:
    accounts = await _council_tax_accounts(seeded)
    assert len(accounts) >= len(seeded.population.households)
    statuses: Counter[InstalmentStatus] = Counter()
    for account in accounts:
        statement = latest_statement(account, TODAY)
        assert statement is not None
        assert sum(t.amount_pence for t in account.transactions) == statement.closing_balance_pence
        net_charge = sum(
            t.amount_pence
            for t in account.transactions
            if t.kind in (StatementLineKind.CHARGE, StatementLineKind.DISCOUNT)
        )
        assert sum(item.amount_pence for item in account.schedule) == net_charge
        assert all(t.posted_on <= TODAY for t in account.transactions)
        paid = paid_towards_instalments(account.transactions)
        statuses.update(i.status for i in instalments_with_status(account.schedule, paid, TODAY))
    assert set(statuses) == set(InstalmentStatus)


async def test_single_person_discounts_are_only_where_one_adult_lives(seeded: Seeded) -> None:
    people = seeded.population
    household_of_party = {
        r.record_id: people.person(r.person_id).household_id for r in people.records_in(SourceSystem.REVENUES)
    }
    households = {h.household_id: h for h in people.households}
    discounted = [a for a in await _council_tax_accounts(seeded) if a.discounts]
    assert discounted
    for account in discounted:
        (discount,) = account.discounts
        assert discount.percent == 25 and discount.discount_id.startswith("SPD")
        assert len(households[household_of_party[account.party_id]].adult_ids) == 1
        posted = [t for t in account.transactions if t.kind is StatementLineKind.DISCOUNT]
        charge = next(t for t in account.transactions if t.kind is StatementLineKind.CHARGE)
        assert [t.amount_pence for t in posted] == [-((charge.amount_pence * 25 + 50) // 100)]


async def test_people_who_moved_this_year_have_a_closed_account_at_their_old_home(seeded: Seeded) -> None:
    closed = [a for a in await _council_tax_accounts(seeded) if a.liable_to]
    assert closed
    for account in closed:
        assert account.liable_from == date(2026, 4, 1) and account.liable_to < TODAY
        assert sum(t.amount_pence for t in account.transactions) == 0  # settled when they left


# --- payments ---------------------------------------------------------------------------------


async def test_successful_card_payments_are_the_payments_revenues_posted(seeded: Seeded) -> None:
    payments = await _rows(seeded.engines[SourceSystem.PAYMENTS], payments_db.payments)
    postings = Counter(
        (row.account_reference, row.posted_on, -row.amount_pence)
        for row in await _rows(seeded.engines[SourceSystem.REVENUES], revenues_sql.transactions)
        if row.kind == StatementLineKind.PAYMENT.value
    )
    successes = [p for p in payments if p.status == "success"]
    assert successes and {p.status for p in payments} == {"success", "failed", "cancelled"}
    for payment in successes:
        assert postings[(payment.reference, payment.created_date.date(), payment.amount)] > 0
        assert payment.metadata == {"purpose": "COUNCIL_TAX", "account_reference": payment.reference}
    for payment in payments:
        assert len(payment.payment_id) == 26 and payment.payment_id.isalnum() and payment.payment_id.islower()
        assert payment.email == payment.email.lower() and payment.created_date <= END_OF_TODAY.replace(tzinfo=None)


# --- CRM and street scene -----------------------------------------------------------------------


async def test_crm_complaints_are_consistent_with_their_dates(seeded: Seeded) -> None:
    complaints = await _rows(seeded.engines[SourceSystem.CRM], crm_sql.complaints)
    assert {c.stage for c in complaints} == {"STAGE_1", "STAGE_2"}
    for complaint in complaints:
        moments = [m for m in (complaint.received_at, complaint.acknowledged_at, complaint.responded_at) if m]
        assert moments == sorted(moments) and moments[-1] <= END_OF_TODAY.replace(tzinfo=None)
        assert (complaint.responded_at is not None) == (complaint.status in ("RESPONDED", "CLOSED"))
        assert (complaint.acknowledged_at is None) == (complaint.status == "RECEIVED")
    services = {row.code: row for row in await _rows(seeded.engines[SourceSystem.CRM], crm_sql.crm_services)}
    assert services["SERVICE_SHORTFALL"].group_name == "Complaints and feedback"


async def test_street_scene_offers_the_green_and_clean_services(seeded: Seeded) -> None:
    engine = seeded.engines[SourceSystem.STREET_SCENE]
    services = {row.service_code: row.group_name for row in await _rows(engine, street_scene_db.services)}
    assert {"LITTER", "BROKEN_GLASS", "GRAFFITI"} <= set(services)
    assert set(services.values()) == {"Green & Clean"}
    attributes = await _rows(engine, street_scene_db.service_attributes)
    assert {a.datatype for a in attributes} == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    requests = await _rows(engine, street_scene_db.requests)
    required = {(a.service_code, a.code) for a in attributes if a.required}
    for request in requests:
        assert request.service_request_id.isdigit() and request.status in ("open", "closed")
        assert all(code in request.attributes for service, code in required if service == request.service_code)
    updates = Counter(u.service_request_id for u in await _rows(engine, street_scene_db.request_updates))
    assert all(updates[r.service_request_id] >= 1 for r in requests)


# --- PostgreSQL -----------------------------------------------------------------------------------


async def _postgres_or_skip() -> None:
    probe = create_async_engine(POSTGRES_URL, connect_args={"timeout": 3})
    try:
        async with probe.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as error:  # refused, timed out, or asyncpg's own errors: all mean unreachable
        reason = f"PostgreSQL is not reachable at {POSTGRES_URL}: {error!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        await probe.dispose()


@pytest.fixture
async def postgres_engines() -> AsyncIterator[dict[SourceSystem, AsyncEngine]]:
    """Each back office in its own fresh schema, dropped afterwards."""
    await _postgres_or_skip()
    prefix = f"seed_{uuid.uuid4().hex[:8]}"
    schemas = {system: f"{prefix}_{system.value.lower()}" for system in SourceSystem}
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        for schema in schemas.values():
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engines = {
        system: create_async_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
        for system, schema in schemas.items()
    }
    try:
        yield engines
    finally:
        await _dispose(engines)
        async with admin.begin() as conn:
            for schema in schemas.values():
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def test_seeds_postgresql_too(postgres_engines: dict[SourceSystem, AsyncEngine], tmp_path: Path) -> None:
    population = generate_population(300, 42)
    seeded = await _seed(postgres_engines, population, tmp_path / "truth.csv")
    await _assert_every_table_filled(postgres_engines)
    accounts = await _council_tax_accounts(seeded)
    assert accounts
    for account in accounts:
        statement = latest_statement(account, TODAY)
        assert statement and statement.closing_balance_pence == sum(t.amount_pence for t in account.transactions)
    # Reseeding with reset starts again rather than doubling up.
    await _seed(postgres_engines, population, tmp_path / "truth.csv")
    async with postgres_engines[SourceSystem.REVENUES].connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(revenues_sql.accounts)) == len(accounts)
