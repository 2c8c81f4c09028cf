"""The SQL back-office adapters against real SQLite and real PostgreSQL: the same data, the same answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo.population import Population, generate_population
from customer360.demo.seed import seed_back_offices
from customer360.domain.direct_debit import BankDetails, DirectDebitCancellation, NewDirectDebit
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.sources import direct_debits_sql
from customer360.sources.benefits.sql import BenefitsSql
from customer360.sources.crm.sql import CrmSql
from customer360.sources.housing.sql import HousingSql
from customer360.sources.revenues import sql as revenues_sql
from customer360.sources.revenues.sql import RevenuesSql
from customer360.store.database import create_engine
from tests.services import fresh_postgres_database

TODAY = date(2026, 11, 23)
RESIDENTS = 120


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(RESIDENTS, seed=11)


async def _seeded(urls: dict[SourceSystem, str], population: Population, tmp: Path) -> dict[SourceSystem, AsyncEngine]:
    engines = {system: create_engine(url) for system, url in urls.items()}
    await seed_back_offices(engines, population, today=TODAY, truth_path=tmp / "truth.csv", reset=True)
    return engines


@pytest.fixture(params=["sqlite", "postgresql"])
async def engines(request, population, tmp_path) -> AsyncIterator[dict[SourceSystem, AsyncEngine]]:
    if request.param == "sqlite":
        urls = {s: f"sqlite+aiosqlite:///{tmp_path / s.value.lower()}.db" for s in SourceSystem}
        found = await _seeded(urls, population, tmp_path)
        yield found
        for engine in found.values():
            await engine.dispose()
        return
    async with fresh_postgres_database() as url:
        # One database holds every back office here; each office's tables have distinct names.
        found = await _seeded({s: url for s in SourceSystem}, population, tmp_path)
        yield found
        for engine in found.values():
            await engine.dispose()


async def test_every_person_record_comes_back_with_its_own_id(engines, population):
    expected = {(r.system, r.record_id) for r in population.records if r.system in _SQL}
    found = set()
    for system, adapter in _adapters(engines).items():
        records = await adapter.person_records()
        assert all(record.system is system for record in records)
        found |= {(record.system, record.record_id) for record in records}
    assert found == expected


async def test_accounts_by_party_answers_only_the_asked_parties_in_one_call(engines):
    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    parties = [record.record_id for record in await revenues.person_records()][:25]
    by_party = await revenues.accounts_by_party([*parties, "RP-NOBODY"])
    assert set(by_party) <= set(parties)
    assert "RP-NOBODY" not in by_party
    for party, accounts in by_party.items():
        assert accounts and all(account.party_id == party for account in accounts)
        for account in accounts:
            assert sum(i.amount_pence for i in account.schedule) > 0
    references = [a.reference for accounts in by_party.values() for a in accounts]
    assert set(await revenues.accounts_by_reference(references)) == set(references)


async def test_the_same_seed_gives_the_same_answers_on_sqlite_and_postgresql(population, tmp_path):
    """Portability: whatever the engine, the adapters return identical records."""
    sqlite_urls = {s: f"sqlite+aiosqlite:///{tmp_path / s.value.lower()}.db" for s in SourceSystem}
    sqlite = await _seeded(sqlite_urls, population, tmp_path)
    try:
        async with fresh_postgres_database() as url:
            postgres = await _seeded({s: url for s in SourceSystem}, population, tmp_path)
            try:
                assert await _everything(sqlite) == await _everything(postgres)
            finally:
                for engine in postgres.values():
                    await engine.dispose()
    finally:
        for engine in sqlite.values():
            await engine.dispose()


async def test_joined_reads_answer_a_batch_as_each_key_asked_alone(engines):
    """Claims come back with their households and cases with their events in one statement each (a row
    per member or event): a batch answers each key exactly as that key asked alone, and a case queue's
    limit counts cases, not their events."""
    benefits = BenefitsSql(engines[SourceSystem.BENEFITS])
    crm = CrmSql(engines[SourceSystem.CRM])
    claimants = [record.record_id for record in await benefits.person_records()][:40]
    contacts = [record.record_id for record in await crm.person_records()][:40]
    claims = await benefits.claims_by_claimant(claimants)
    cases = await crm.cases_by_contact(contacts)
    assert any(len(claim.household) > 1 for found in claims.values() for claim in found)
    assert any(len(case.history) > 1 for found in cases.values() for case in found)
    for claimant in claimants:
        assert claims.get(claimant, []) == (await benefits.claims_by_claimant([claimant])).get(claimant, [])
    for contact in contacts:
        assert cases.get(contact, []) == (await crm.cases_by_contact([contact])).get(contact, [])
    assert await benefits.claims_by_claimant([]) == {} and await crm.cases_by_contact([]) == {}

    queue = await crm.case_queue(None, list(RequestStatus), 10_000)
    assert len(queue) > 5 and any(len(case.history) > 1 for case in queue[:5])
    assert await crm.case_queue(None, list(RequestStatus), 5) == queue[:5]


_SQL = (SourceSystem.REVENUES, SourceSystem.BENEFITS, SourceSystem.HOUSING, SourceSystem.CRM)


def _adapters(engines: dict[SourceSystem, AsyncEngine]) -> dict[SourceSystem, object]:
    return {
        SourceSystem.REVENUES: RevenuesSql(engines[SourceSystem.REVENUES]),
        SourceSystem.BENEFITS: BenefitsSql(engines[SourceSystem.BENEFITS]),
        SourceSystem.HOUSING: HousingSql(engines[SourceSystem.HOUSING]),
        SourceSystem.CRM: CrmSql(engines[SourceSystem.CRM]),
    }


async def _everything(engines: dict[SourceSystem, AsyncEngine]) -> dict[str, object]:
    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    benefits = BenefitsSql(engines[SourceSystem.BENEFITS])
    housing = HousingSql(engines[SourceSystem.HOUSING])
    crm = CrmSql(engines[SourceSystem.CRM])

    def ids(records) -> list[str]:
        return sorted(record.record_id for record in records)

    def normalised(mapping) -> dict[str, object]:
        return {key: sorted(value, key=repr) if isinstance(value, list) else value for key, value in mapping.items()}

    parties = ids(await revenues.person_records())
    claimants = ids(await benefits.person_records())
    applicants = ids(await housing.person_records())
    contacts = ids(await crm.person_records())
    return {
        "people": sorted(
            [repr(r) for source in (revenues, benefits, housing, crm) for r in await source.person_records()]
        ),
        "accounts": normalised(await revenues.accounts_by_party(parties)),
        "claims": normalised(await benefits.claims_by_claimant(claimants)),
        "applications": normalised(await housing.applications_by_applicant(applicants)),
        "complaints": normalised(await crm.complaints_by_contact(contacts)),
        "cases": normalised(await crm.cases_by_contact(contacts)),
        "services": await crm.services(),
    }


async def test_an_account_answers_its_direct_debits_in_the_same_statement_as_the_separate_read(engines):
    """REVENUES reads an account's instructions within the account's own statement: each instruction, newest
    first, exactly as the helper HOUSING_MANAGEMENT reads its own answers them (a lodged one, one cancelled
    after it was set up, and one cancelled before it arrived: no set-up date, nothing of the bank's)."""
    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    party = sorted(record.record_id for record in await revenues.person_records())[0]
    account = (await revenues.accounts_by_party([party]))[party][0].reference
    bank = BankDetails("A RESIDENT", "401234", "12345678")
    for n, day in ((1, 5), (2, 20)):
        await revenues.set_up_direct_debit(
            NewDirectDebit(f"C360-DD{n}", account, bank, day, date(2026, 11, 1), date(2026, 12, day))
        )
    await revenues.cancel_direct_debit(DirectDebitCancellation("C360-X1", "C360-DD1", account, date(2026, 11, 20)))
    await revenues.cancel_direct_debit(DirectDebitCancellation("C360-X2", "C360-DD3", account, date(2026, 11, 21)))

    answered = (await revenues.accounts_by_party([party]))[party]
    async with engines[SourceSystem.REVENUES].connect() as conn:
        tables = revenues_sql.direct_debits
        separately = await direct_debits_sql.instructions_on(conn, tables, SourceSystem.REVENUES, [account])
    instructions = next(found for found in answered if found.reference == account).direct_debits
    assert [i.reference for i in instructions] == ["C360-DD3", "C360-DD2", "C360-DD1"]
    assert list(instructions) == separately[account]
    assert (await revenues.accounts_by_reference([account]))[account].direct_debits == instructions
    assert all(not found.direct_debits for found in answered if found.reference != account)
