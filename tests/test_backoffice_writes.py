"""The back offices' new writes against real SQLite and real PostgreSQL: moving home, housing applications.

Each write is idempotent by the external reference it carries: the same notice twice changes nothing more.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo.gazetteer import demo_gazetteer
from customer360.demo.population import Population, generate_population
from customer360.demo.seed import seed_back_offices
from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    balance,
    charge_for_period,
    latest_statement,
)
from customer360.domain.discounts import DiscountApplication, DiscountEnding, net_charge
from customer360.domain.housing import ApplicantMember, IncomeBand, NewHousingApplication, Tenure
from customer360.domain.money import percent_of
from customer360.domain.moving import MoveKind, MoveNotice, move_in_schedule, provisional_band
from customer360.domain.people import NewContact, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.sources.benefits import sql as benefits_sql
from customer360.sources.benefits.sql import BenefitsSql
from customer360.sources.crm import sql as crm_sql
from customer360.sources.crm.sql import CrmSql
from customer360.sources.errors import SourceRejected
from customer360.sources.housing import sql as housing_sql
from customer360.sources.housing.sql import HousingSql
from customer360.sources.revenues import sql as revenues_sql
from customer360.sources.revenues.sql import RevenuesSql
from customer360.store.database import create_engine
from tests.services import fresh_postgres_database

TODAY = date(2026, 11, 23)  # financial year 2026/27; the demo Band D is 218,431p
MOVE_DATE = date(2026, 11, 20)
YEAR_START = date(2026, 4, 1)
RESIDENTS = 120
FORWARDING = PostalAddress(line1="1 High Street", postcode="WS13 6AA", town="Lichfield")


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(RESIDENTS, seed=11)


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
        # One database holds every back office, as in test_sql_sources: table names must not clash.
        found = await _seeded({s: url for s in SourceSystem}, population, tmp_path)
        yield found
        for engine in found.values():
            await engine.dispose()


async def _seeded(urls: dict[SourceSystem, str], population: Population, tmp: Path) -> dict[SourceSystem, AsyncEngine]:
    engines = {system: create_engine(url) for system, url in urls.items()}
    await seed_back_offices(engines, population, today=TODAY, truth_path=tmp / "truth.csv", reset=True)
    return engines


def notice(
    record_id: str,
    kind: MoveKind,
    new_address: PostalAddress | None,
    reference: str = "C360-MOVE0001",
    move_date: date = MOVE_DATE,
) -> MoveNotice:
    return MoveNotice(reference, record_id, kind, move_date, new_address, posted_on=TODAY)


async def _rows(engine: AsyncEngine, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def _counts(engine: AsyncEngine, metadata: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


async def _current_account(revenues: RevenuesSql, *, band: str | None = None, discount: bool = False) -> Any:
    """A party's only open account, liable all year; with a single person discount or with none."""
    parties = sorted(record.record_id for record in await revenues.person_records())
    by_party = await revenues.accounts_by_party(parties)
    for party in parties:
        current = [a for a in by_party.get(party, []) if a.liable_to is None]
        if len(current) != 1 or current[0].liable_from != YEAR_START:
            continue
        account = current[0]
        has_discount = any(d.status is DiscountStatus.ACTIVE for d in account.discounts)
        if (band is None or account.band == band) and has_discount == discount and (discount or not account.discounts):
            return account
    pytest.fail("the seeded population has no such account")


async def _unoccupied(engine: AsyncEngine, band: str) -> PostalAddress:
    """A dwelling nobody is billed for (the seed lists every gazetteer address), in `band`."""
    properties, accounts = revenues_sql.properties, revenues_sql.accounts
    rows = await _rows(
        engine,
        select(properties)
        .where(properties.c.band == band, properties.c.property_id.not_in(select(accounts.c.property_id)))
        .order_by(properties.c.property_id)
        .limit(1),
    )
    row = rows[0]
    return PostalAddress(line1=row.line1, postcode=row.postcode, line2=row.line2, town=row.town, uprn=row.uprn)


async def _new_party(engine: AsyncEngine, party_id: str) -> None:
    """Someone revenues knows but bills for nothing (moving in from outside the borough)."""
    async with engine.begin() as conn:
        await conn.execute(insert(revenues_sql.parties).values(party_id=party_id, forenames="Ada", surname="Newcomer"))


async def _one(revenues: RevenuesSql, reference: str) -> CouncilTaxAccountRecord:
    return (await revenues.accounts_by_reference([reference]))[reference]


# --- pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("move_date", "first_due", "count"),
    [
        pytest.param(date(2026, 11, 20), date(2026, 12, 1), 4, id="november: december to march"),
        pytest.param(date(2026, 4, 10), date(2026, 5, 1), 10, id="april: at most ten"),
        pytest.param(date(2027, 3, 15), date(2027, 4, 1), 1, id="march: at least one"),
        pytest.param(date(2026, 12, 31), date(2027, 1, 1), 3, id="december: across the new year"),
    ],
)
def test_a_new_liability_pays_in_the_whole_months_left(move_date, first_due, count):
    schedule = move_in_schedule(10_001, move_date)
    assert (schedule[0].due_date, len(schedule)) == (first_due, count)
    assert all(item.due_date.day == 1 for item in schedule)
    assert sum(item.amount_pence for item in schedule) == 10_001


def test_a_dwelling_without_a_band_borrows_its_nearest_neighbours_until_the_valuation_office_says():
    neighbours = [("2 Mill Lane", "A"), ("10 Mill Lane", "D"), ("6 Mill Lane", "B"), ("The Old Mill", "H")]
    assert provisional_band("7 Mill Lane", neighbours) == "B"
    assert provisional_band("4 Mill Lane", neighbours) == "A", "a tie goes to the lower number"
    assert provisional_band("Rose Cottage", neighbours) == "A", "no number: the first neighbour's"
    assert provisional_band("7 Mill Lane", []) == "C"


# --- revenues: Council Tax --------------------------------------------------------------------------


async def test_every_dwelling_in_the_borough_is_on_the_valuation_list(engines):
    properties = revenues_sql.properties
    listed = {row.uprn for row in await _rows(engines[SourceSystem.REVENUES], select(properties.c.uprn))}
    assert {a.uprn for a in demo_gazetteer() if a.in_borough} <= listed


async def test_the_seed_records_this_years_moves_and_each_applications_household(engines):
    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    moves = await _rows(engines[SourceSystem.REVENUES], select(revenues_sql.moves))
    assert moves
    for move in moves:
        opened = await _one(revenues, move.new_account_reference)
        assert (opened.party_id, opened.liable_from) == (move.party_id, move.move_date)
        for reference in filter(None, (move.closed_account_reference or "").split(",")):
            assert (await _one(revenues, reference)).liable_to == move.move_date - timedelta(days=1)
    engine = engines[SourceSystem.HOUSING]
    members = housing_sql.application_members
    sizes = {
        row.application_reference: row.size
        for row in await _rows(
            engine,
            select(members.c.application_reference, func.count().label("size")).group_by(
                members.c.application_reference
            ),
        )
    }
    applications = await _rows(engine, select(housing_sql.applications))
    assert {a.reference: a.household_size for a in applications} == sizes


async def test_moving_within_closes_the_old_account_and_opens_the_new_one_to_the_penny(engines):
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    old = await _current_account(revenues, band="C")
    new_home = await _unoccupied(engine, "A")

    reference = await revenues.record_move(notice(old.party_id, MoveKind.WITHIN, new_home))

    # Worked example. Band D 2026/27 is 218,431p; band C is 8/9 of it = 194,160.89 -> 194,161p a year.
    # Moving on 20 Nov 2026, the party is not liable for 20 Nov 2026 - 31 Mar 2027: 11 + 31 + 31 + 28 + 31
    # = 132 of the year's 365 days, so 194,161 x 132 / 365 = 70,217.13 -> a credit of 70,217p.
    closed = await _one(revenues, old.reference)
    assert closed.liable_to == date(2026, 11, 19)
    new_lines = closed.transactions[len(old.transactions) :]
    assert [(t.kind, t.amount_pence, t.posted_on) for t in new_lines] == [
        (StatementLineKind.ADJUSTMENT, -70_217, TODAY)
    ]
    assert balance(closed.transactions) == balance(old.transactions) - 70_217
    statement = latest_statement(closed, TODAY)
    assert statement is not None and statement.closing_balance_pence == balance(closed.transactions)
    # Instalments already due stay as billed; those to come share what is still owed (or fall to nothing).
    billed = [item for item in old.schedule if item.due_date <= TODAY]
    assert [item for item in closed.schedule if item.due_date <= TODAY] == billed
    to_come = sum(item.amount_pence for item in closed.schedule if item.due_date > TODAY)
    assert to_come == max(net_charge(closed.transactions) - sum(item.amount_pence for item in billed), 0)

    # The new home is band A: 6/9 x 218,431 = 145,620.67 -> 145,621p a year; liable 20 Nov - 31 Mar,
    # 145,621 x 132 / 365 = 52,662.94 -> 52,663p, in 4 instalments from 1 Dec: 13,168 then 3 x 13,165.
    opened = await _one(revenues, reference)
    assert (opened.party_id, opened.band, opened.property_address.uprn) == (old.party_id, "A", new_home.uprn)
    assert (opened.liable_from, opened.liable_to) == (MOVE_DATE, None)
    assert [(t.kind, t.amount_pence) for t in opened.transactions] == [(StatementLineKind.CHARGE, 52_663)]
    assert opened.schedule == (
        ScheduledInstalment(date(2026, 12, 1), 13_168),
        ScheduledInstalment(date(2027, 1, 1), 13_165),
        ScheduledInstalment(date(2027, 2, 1), 13_165),
        ScheduledInstalment(date(2027, 3, 1), 13_165),
    )
    assert sum(item.amount_pence for item in opened.schedule) == 52_663
    party = next(r for r in await revenues.person_records() if r.record_id == old.party_id)
    assert party.address == new_home, "the bills go to the new home"


async def test_the_same_move_told_twice_changes_nothing_more(engines):
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    old = await _current_account(revenues)
    move = notice(old.party_id, MoveKind.WITHIN, await _unoccupied(engine, "B"))
    seeded = await _counts(engine, revenues_sql.metadata)
    first = await revenues.record_move(move)
    counts = await _counts(engine, revenues_sql.metadata)
    accounts = await revenues.accounts_by_party([old.party_id])

    assert await revenues.record_move(move) == first
    assert await _counts(engine, revenues_sql.metadata) == counts
    assert await revenues.accounts_by_party([old.party_id]) == accounts
    assert counts["moves"] == seeded["moves"] + 1


async def test_moving_out_closes_the_account_gives_back_the_discount_and_opens_nothing(engines):
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    old = await _current_account(revenues, discount=True)
    accounts_before = await _counts(engine, revenues_sql.metadata)
    held = len((await revenues.accounts_by_party([old.party_id]))[old.party_id])

    assert await revenues.record_move(notice(old.party_id, MoveKind.OUT, FORWARDING)) == old.reference

    after = await revenues.accounts_by_party([old.party_id])
    assert len(after[old.party_id]) == held
    assert all(a.liable_to is not None for a in after[old.party_id]), "nothing is opened when leaving"
    assert (await _counts(engine, revenues_sql.metadata))["accounts"] == accounts_before["accounts"]
    closed = await _one(revenues, old.reference)
    assert closed.liable_to == date(2026, 11, 19)
    ended = closed.discounts[0]
    assert (ended.status, ended.ends_on) == (DiscountStatus.ENDED, date(2026, 11, 19))
    kinds = [t.kind for t in closed.transactions[len(old.transactions) :]]
    assert kinds == [StatementLineKind.ADJUSTMENT, StatementLineKind.DISCOUNT]
    # What is left to pay is the charge for the days liable less 25% of it (to a penny of rounding).
    liable = charge_for_period(old.annual_charge_pence, YEAR_START, date(2026, 11, 19))
    assert abs(net_charge(closed.transactions) - (liable - percent_of(liable, 25))) <= 1
    statement = latest_statement(closed, TODAY)
    assert statement is not None and statement.closing_balance_pence == balance(closed.transactions)
    party = next(r for r in await revenues.person_records() if r.record_id == old.party_id)
    assert party.address == FORWARDING, "the final bill goes to the forwarding address"


async def test_moving_out_with_no_account_is_still_recorded(engines):
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    await _new_party(engine, "RP-NOACCOUNT")
    move = notice("RP-NOACCOUNT", MoveKind.OUT, None)
    assert await revenues.record_move(move) == ""
    assert await revenues.record_move(move) == ""
    rows = await _rows(engine, select(revenues_sql.moves).where(revenues_sql.moves.c.party_id == "RP-NOACCOUNT"))
    assert [(row.kind, row.closed_account_reference, row.new_account_reference) for row in rows] == [
        ("OUT", None, None)
    ]


async def test_moving_in_opens_an_account_and_a_new_dwelling_borrows_a_neighbours_band(engines):
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    await _new_party(engine, "RP-INCOMER")
    home = await _unoccupied(engine, "D")

    reference = await revenues.record_move(notice("RP-INCOMER", MoveKind.IN, home))

    opened = await _one(revenues, reference)
    assert (opened.party_id, opened.band, opened.liable_from, opened.liable_to) == ("RP-INCOMER", "D", MOVE_DATE, None)
    charge = charge_for_period(opened.annual_charge_pence, MOVE_DATE, date(2027, 3, 31))
    assert [(t.kind, t.amount_pence) for t in opened.transactions] == [(StatementLineKind.CHARGE, charge)]
    assert sum(item.amount_pence for item in opened.schedule) == charge

    # A new build on Lichfield Street (B79 7QE, houses 1-80) that revenues has not banded yet.
    properties = revenues_sql.properties
    nearest = (await _rows(engine, select(properties.c.band).where(properties.c.line1 == "80 Lichfield Street")))[0]
    await _new_party(engine, "RP-NEWBUILD")
    new_build = PostalAddress(line1="82 Lichfield Street", postcode="B79 7QE", town="Tamworth", uprn="100099999999")
    built = await _one(revenues, await revenues.record_move(notice("RP-NEWBUILD", MoveKind.IN, new_build, "C360-NB")))
    assert (built.band, built.property_address) == (nearest.band, new_build)
    await _new_party(engine, "RP-FARAWAY")
    nowhere = PostalAddress(line1="1 New Road", postcode="B77 9ZZ", town="Tamworth")
    assert (
        await _one(revenues, await revenues.record_move(notice("RP-FARAWAY", MoveKind.IN, nowhere, "C360-NW")))
    ).band == "C", "no neighbour: band C until the Valuation Office says"


async def test_revenues_refuses_what_it_cannot_do(engines):
    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    home = await _unoccupied(engines[SourceSystem.REVENUES], "A")
    with pytest.raises(SourceRejected):
        await revenues.record_move(notice("RP-NOBODY", MoveKind.IN, home))
    old = await _current_account(revenues)
    with pytest.raises(SourceRejected):
        await revenues.record_move(notice(old.party_id, MoveKind.WITHIN, None))
    with pytest.raises(SourceRejected, match="Band D"):  # 2027/28's Band D is not set yet
        await revenues.record_move(notice(old.party_id, MoveKind.WITHIN, home, move_date=date(2027, 4, 2)))
    assert (await _one(revenues, old.reference)).liable_to is None, "a refused move changes nothing"


# --- benefits, housing, CRM: the person's address -------------------------------------------------

_OFFICES = {
    SourceSystem.BENEFITS: (BenefitsSql, benefits_sql.claimant_address_changes, benefits_sql.metadata),
    SourceSystem.HOUSING: (HousingSql, housing_sql.applicant_address_changes, housing_sql.metadata),
    SourceSystem.CRM: (CrmSql, crm_sql.contact_address_changes, crm_sql.metadata),
}


@pytest.mark.parametrize("system", list(_OFFICES), ids=lambda s: s.value)
async def test_each_office_records_the_new_address_once(engines, system):
    make, changes, metadata = _OFFICES[system]
    engine = engines[system]
    office = make(engine)
    people = sorted(await office.person_records(), key=lambda r: r.record_id)
    mover, leaver = people[0], people[1]
    new_home = next(a for a in demo_gazetteer() if a.in_borough)
    address = PostalAddress(new_home.line1, new_home.postcode, new_home.line2, new_home.town, new_home.uprn)
    move = notice(mover.record_id, MoveKind.WITHIN, address)

    change = await office.record_address_change(move)

    assert re.fullmatch(r"ADC\d+", change)
    found = {r.record_id: r for r in await office.person_records()}
    assert found[mover.record_id].address == address
    assert found[mover.record_id].updated_on == TODAY
    counts = await _counts(engine, metadata)
    assert await office.record_address_change(move) == change
    assert await _counts(engine, metadata) == counts
    # Leaving without a forwarding address: the address stays, the move is recorded.
    gone = await office.record_address_change(notice(leaver.record_id, MoveKind.OUT, None, "C360-LEAVE"))
    assert gone != change
    assert {r.record_id: r for r in await office.person_records()}[leaver.record_id].address == leaver.address
    told = select(changes).where(changes.c.external_reference.is_not(None)).order_by(changes.c.id)
    rows = await _rows(engine, told)  # the seed's changes were keyed in by staff, without one
    assert [(r.record_id, r.kind, r.effective_on, r.uprn, r.external_reference) for r in rows] == [
        (mover.record_id, "WITHIN", MOVE_DATE, address.uprn, "C360-MOVE0001"),
        (leaver.record_id, "OUT", MOVE_DATE, None, "C360-LEAVE"),
    ]
    with pytest.raises(SourceRejected):
        await office.record_address_change(notice("NOBODY", MoveKind.WITHIN, address, "C360-NOBODY"))


# --- housing: the register ---------------------------------------------------------------------------


async def test_an_applicant_and_an_application_are_made_once(engines):
    engine = engines[SourceSystem.HOUSING]
    housing = HousingSql(engine)
    contact = NewContact(
        external_reference="C360-HOUSE001/applicant",
        forenames="Ada",
        surname="Newcomer",
        created_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        email="ada@example.org",
        date_of_birth=date(1990, 5, 1),
        address=FORWARDING,
    )
    applicant_id = await housing.create_applicant(contact)
    assert await housing.create_applicant(contact) == applicant_id
    found = [r for r in await housing.person_records() if r.record_id == applicant_id]
    assert len(found) == 1 and found[0].address == FORWARDING and found[0].surname == "Newcomer"

    application = NewHousingApplication(
        external_reference="C360-HOUSE001",
        applicant_id=applicant_id,
        household=(
            ApplicantMember("APPLICANT", date(1990, 5, 1)),
            ApplicantMember("CHILD", date(2018, 2, 2)),
            ApplicantMember("CHILD", date(2020, 3, 3)),
        ),
        current_tenure=Tenure.PRIVATE_RENTED,
        reason="Our landlord is selling the house",
        medical_needs=False,
        mobility_needs=True,
        local_connection=True,
        income_band=IncomeBand.FROM_15K_TO_30K,
        bedrooms_needed=2,
        submitted_on=TODAY,
    )
    reference = await housing.create_application(application)
    counts = await _counts(engine, housing_sql.metadata)
    assert await housing.create_application(application) == reference
    assert await _counts(engine, housing_sql.metadata) == counts
    assert re.fullmatch(r"HR-2026\d{5}", reference)

    (record,) = (await housing.applications_by_applicant([applicant_id]))[applicant_id]
    assert (record.reference, record.status.value, record.band, record.bedrooms_needed, record.household_size) == (
        reference,
        "SUBMITTED",
        None,
        2,
        3,
    )
    assert (record.submitted_on, record.external_reference) == (TODAY, "C360-HOUSE001")
    applications = housing_sql.applications
    (row,) = await _rows(engine, select(applications).where(applications.c.reference == reference))
    assert (row.current_tenure, row.income_band, row.medical_needs, row.mobility_needs, row.local_connection) == (
        "PRIVATE_RENTED",
        "FROM_15K_TO_30K",
        False,
        True,
        True,
    )
    members = housing_sql.application_members
    listed = await _rows(
        engine, select(members).where(members.c.application_reference == reference).order_by(members.c.position)
    )
    assert [(m.relationship, m.date_of_birth) for m in listed] == [
        (m.relationship, m.date_of_birth) for m in application.household
    ]
    with pytest.raises(SourceRejected):
        await housing.create_application(
            NewHousingApplication(**{**_fields(application), "external_reference": "C360-X", "applicant_id": "HA-NONE"})
        )


def _fields(application: NewHousingApplication) -> dict[str, Any]:
    return {name: getattr(application, name) for name in NewHousingApplication.__dataclass_fields__}


async def test_revenues_grants_one_single_person_discount_and_ends_it_once_whoever_asks_at_once(engines):
    """Five applications for one account, each with its own reference, at once: REVENUES (its account
    row taken first) records one and refuses the others for good; five endings likewise give back once."""
    engine = engines[SourceSystem.REVENUES]
    revenues = RevenuesSql(engine)
    account = await _current_account(revenues)
    starts_on = MOVE_DATE

    def application(reference: str) -> DiscountApplication:
        return DiscountApplication(reference, account.reference, starts_on, DiscountStatus.ACTIVE, None, TODAY)

    outcomes = await asyncio.gather(
        *(revenues.apply_single_person_discount(application(f"C360-SPD{i}")) for i in range(5)),
        return_exceptions=True,
    )
    granted = [o for o in outcomes if isinstance(o, str)]
    assert len(granted) == 1 and all(isinstance(o, SourceRejected) for o in outcomes if not isinstance(o, str))
    winner = outcomes.index(granted[0])
    assert await revenues.apply_single_person_discount(application(f"C360-SPD{winner}")) == granted[0]
    lines = select(func.count()).where(
        revenues_sql.transactions.c.account_reference == account.reference,
        revenues_sql.transactions.c.kind == StatementLineKind.DISCOUNT.value,
    )
    assert (await _rows(engine, lines))[0][0] == 1

    ending = [DiscountEnding(f"C360-END{i}", account.reference, TODAY, None, TODAY) for i in range(5)]
    outcomes = await asyncio.gather(*(revenues.end_single_person_discount(e) for e in ending), return_exceptions=True)
    assert len([o for o in outcomes if isinstance(o, str)]) == 1
    assert all(isinstance(o, SourceRejected) for o in outcomes if not isinstance(o, str))
    assert (await _rows(engine, lines))[0][0] == 2, "one discount line, one give-back"


# --- Direct Debit: REVENUES and HOUSING_MANAGEMENT ------------------------------------------------


async def test_a_direct_debit_is_lodged_once_and_moves_what_is_still_to_collect(engines):
    from customer360.domain.council_tax import paid_towards_instalments
    from customer360.domain.direct_debit import (
        BankDetails,
        DirectDebitStatus,
        NewDirectDebit,
        first_collection,
        moved_instalments,
    )

    revenues = RevenuesSql(engines[SourceSystem.REVENUES])
    before = await _current_account(revenues)
    first = first_collection(TODAY)
    assert first == date(2026, 12, 7)  # 10 working days after Monday 23 November
    instruction = NewDirectDebit(
        "C360-DD000001", before.reference, BankDetails("A Resident", "309430", "31926819"), 22, TODAY, first
    )
    # The relay and a retry at once: one instruction, the same reference.
    answers = await asyncio.gather(*(revenues.set_up_direct_debit(instruction) for _ in range(3)))
    assert len(set(answers)) == 1
    after = await _one(revenues, before.reference)
    given = [d for d in after.direct_debits if d.reference.startswith("C360-")]  # not the demo's history
    assert [(d.reference, d.status, d.sort_code, d.account_ending) for d in given] == [
        ("C360-DD000001", DirectDebitStatus.ACTIVE, "••-••-30", "6819")
    ]
    paid = paid_towards_instalments(before.transactions)
    assert after.schedule == moved_instalments(before.schedule, paid, 22, first)
    to_come = [i for i in after.schedule if i.due_date >= first]
    assert to_come and all(i.due_date.day == 22 for i in to_come)
    assert sum(i.amount_pence for i in after.schedule) == sum(i.amount_pence for i in before.schedule)

    # The bank refuses a closed account: kept REJECTED with its reason, the plan as it was.
    closed = NewDirectDebit(
        "C360-DD000002", before.reference, BankDetails("A Resident", "200000", "55779911"), 1, TODAY, first
    )
    await revenues.set_up_direct_debit(closed)
    again = await _one(revenues, before.reference)
    refused = next(d for d in again.direct_debits if d.reference == "C360-DD000002")
    assert (refused.status, refused.reason) == (DirectDebitStatus.REJECTED, "Account closed")
    assert again.schedule == after.schedule


async def test_a_cancellation_that_arrives_first_leaves_the_instruction_cancelled(engines):
    from customer360.domain.direct_debit import (
        BankDetails,
        DirectDebitCancellation,
        DirectDebitStatus,
        NewDirectDebit,
    )
    from customer360.sources.housing_management import sql as housing_management_sql
    from customer360.sources.housing_management.sql import HousingManagementSql

    engine = engines[SourceSystem.HOUSING_MANAGEMENT]
    office = HousingManagementSql(engine)
    row = (await _rows(engine, select(housing_management_sql.tenancies).limit(1)))[0]
    cancel = DirectDebitCancellation("C360-CANCEL01", "C360-DDRENT01", row.tenancy_ref, TODAY)
    await office.cancel_direct_debit(cancel)
    await office.set_up_direct_debit(
        NewDirectDebit("C360-DDRENT01", row.tenancy_ref, BankDetails("A Tenant", "309430", "31926819"), 3, TODAY, TODAY)
    )
    await office.cancel_direct_debit(cancel)  # the relay's retry: nothing more
    held = (await office.tenancies_by_tenant([row.tenant_id]))[row.tenant_id]
    found = [d for t in held for d in t.direct_debits if d.reference == "C360-DDRENT01"]
    assert [d.status for d in found] == [DirectDebitStatus.CANCELLED]
