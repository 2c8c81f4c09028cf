"""Seeding the demo council's seven back offices from one synthetic population.

Each back office gets its own tables in its own database, filled the way that office would have
filled them: revenues bills and collects Council Tax for financial year 2026/27 (or whichever year
`today` falls in), benefits and housing hold claims and applications, the CRM complaints and cases,
the street-scene contractor Open311 reports, and the payment provider the card payments that
revenues has posted. Rows are built first (plain dicts, deterministic for the population's seed),
then bulk-inserted with one executemany per table, which SQLite and PostgreSQL both do quickly.
"""

from __future__ import annotations

import csv
import random
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from math import ceil
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo import payments_db, street_scene_db
from customer360.demo.bank import bank_refusal_rows, cancelled_instructions
from customer360.demo.gazetteer import GazetteerAddress, demo_gazetteer
from customer360.demo.population import Household, HouseholdKind, Population, SystemPerson, TruePerson
from customer360.demo.tenancies import housing_management_rows
from customer360.domain.benefits import BenefitKind, ClaimStatus
from customer360.domain.complaints import ComplaintStage, ComplaintStatus, london_date
from customer360.domain.council_tax import (
    DiscountKind,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    annual_charge,
    charge_for_period,
    financial_year_end,
    financial_year_start,
    instalment_schedule,
)
from customer360.domain.discounts import SINGLE_PERSON_PERCENT
from customer360.domain.housing import HousingApplicationStatus, HousingBand
from customer360.domain.money import percent_of
from customer360.domain.moving import MoveKind
from customer360.domain.people import PostalAddress, normalise_postcode
from customer360.domain.requests import RequestStatus
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import working_days_after
from customer360.sources.benefits import sql as benefits_sql
from customer360.sources.crm import sql as crm_sql
from customer360.sources.housing import sql as housing_sql
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.sources.revenues import sql as revenues_sql

Rows = dict[Table, list[dict[str, Any]]]

# Demo data: a Band D figure like Tamworth's 2026/27 (borough, county, police and fire together).
# Other years move by 4.99%, the most a county may raise Council Tax without a referendum.
DEMO_BAND_D_2026_PENCE = 218_431
RETURN_URL = "https://my.tamworth.example/return"
STREET_SCENE_AGENCY = "Tamworth Street Scene"


class SeedError(RuntimeError):
    """The back office already holds data and `reset` was not asked for."""


@dataclass(frozen=True, slots=True)
class SeedSummary:
    residents: int
    people: Mapping[SourceSystem, int]  # person records (parties, claimants, contacts, ...) per back office
    rows: Mapping[SourceSystem, int]  # every row inserted, per back office


async def seed_back_offices(
    engines: Mapping[SourceSystem, AsyncEngine],
    population: Population,
    *,
    today: date,
    truth_path: Path,
    reset: bool,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Create each back office's tables and fill them; write `truth.csv`, the golden record's answer key."""
    rng = random.Random(population.seed)
    revenues = _Revenues(rng, population, today)
    plans: dict[SourceSystem, tuple[MetaData, Rows]] = {
        SourceSystem.REVENUES: (revenues_sql.metadata, revenues.rows),
        SourceSystem.BENEFITS: (benefits_sql.metadata, _benefits_rows(rng, population, today)),
        SourceSystem.HOUSING: (housing_sql.metadata, _housing_rows(rng, population, today)),
        SourceSystem.CRM: (crm_sql.metadata, _crm_rows(rng, population, today)),
        SourceSystem.STREET_SCENE: (street_scene_db.metadata, _street_scene_rows(rng, population, today)),
        SourceSystem.PAYMENTS: (payments_db.metadata, _payment_rows(rng, population, revenues, today)),
        SourceSystem.HOUSING_MANAGEMENT: (
            housing_management_sql.metadata,
            housing_management_rows(population, today, lambda records, key: _person_rows(rng, records, key, today)),
        ),
    }
    dd_rng = random.Random(f"{population.seed}/direct-debits")
    for system, office, accounts, key in (
        (SourceSystem.REVENUES, revenues_sql, revenues_sql.accounts, "reference"),
        (SourceSystem.HOUSING_MANAGEMENT, housing_management_sql, housing_management_sql.tenancies, "tenancy_ref"),
    ):
        tables = plans[system][1]
        references = [row[key] for row in tables[accounts]]
        tables[office.direct_debits.instructions] = cancelled_instructions(references, today, dd_rng)
        tables[office.direct_debits.bank_refusals] = bank_refusal_rows()  # the payers' banks' answers
    _recorded_history(plans, population, today)
    _audited_steps(plans)
    if not reset:
        for system, (metadata, tables) in plans.items():
            await _refuse_if_seeded(engines[system], metadata, next(iter(tables)), system)
    people = Counter(record.system for record in population.records)
    rows: dict[SourceSystem, int] = {}
    for system, (metadata, tables) in plans.items():
        rows[system] = await _load(engines[system], metadata, tables, reset=reset)
        if progress:
            progress(f"seeded {system.value}: {people[system]} people, {rows[system]} rows")
    _write_truth(truth_path, population)
    return SeedSummary(residents=len(population.people), people=dict(people), rows=rows)


# Each office's audit of its requests' steps, and where a request's row says when and in what state it is.
_AUDITS = (
    (SourceSystem.REVENUES, revenues_sql.discounts, "discount_id", "starts_on", revenues_sql.discount_events),
    (SourceSystem.HOUSING, housing_sql.applications, "reference", "submitted_on", housing_sql.application_events),
    (
        SourceSystem.HOUSING_MANAGEMENT,
        housing_management_sql.repairs,
        "reference",
        "reported_at",
        housing_management_sql.repair_events,
    ),
)


def _audited_steps(plans: dict[SourceSystem, tuple[MetaData, Rows]]) -> None:
    """The audit row an officer's last step left on each seeded request: its status now, dated when the
    request was made (the demo keeps no earlier steps), never later than yesterday: a change feed read for
    the first time must not take the seed's past for news. After the requests, so the audit follows them."""
    latest = datetime.now(UTC) - timedelta(days=1)
    for system, requests, key, dated, events in _AUDITS:
        tables = plans[system][1]
        tables[events] = [
            {
                "reference": row[key],
                "at": min(_moment(row[dated]), latest),
                "status": row["status"],
                "description": f"Status recorded: {row['status'].replace('_', ' ').lower()}",
            }
            for row in tables.get(requests, [])
        ]


def _moment(when: date | datetime) -> datetime:
    return when if isinstance(when, datetime) else datetime.combine(when, time(9, 0), UTC)


async def _refuse_if_seeded(engine: AsyncEngine, metadata: MetaData, people_table: Table, system: SourceSystem) -> None:
    """Without `reset`, every back office must be empty before any is written: no half-seeded council."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        if await conn.scalar(select(func.count()).select_from(people_table)):
            raise SeedError(f"{system.value} already holds {people_table.name}; seed with reset to start again")


async def _load(engine: AsyncEngine, metadata: MetaData, tables: Rows, *, reset: bool) -> int:
    """One transaction per back office: (re)create its tables, then one executemany per table, parents first."""
    async with engine.begin() as conn:
        if reset:
            await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        for table, table_rows in tables.items():
            if table_rows:
                await conn.execute(insert(table), table_rows)
    return sum(len(table_rows) for table_rows in tables.values())


def _write_truth(path: Path, population: Population) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("source", "record_id", "person_id"))
        writer.writerows(population.truth_rows())


# --- shared shapes ------------------------------------------------------------------------------


def _person_rows(
    rng: random.Random, records: Sequence[SystemPerson], id_column: str, today: date
) -> list[dict[str, Any]]:
    """The person columns every SQL back office shares (`sources/sql_columns.py`)."""
    rows = []
    for record in records:
        address = record.address
        rows.append(
            {
                id_column: record.record_id,
                "title": record.title,
                "forenames": record.forenames,
                "surname": record.surname,
                "date_of_birth": record.date_of_birth,
                "line1": address.line1 if address else None,
                "line2": address.line2 if address else None,
                "town": address.town if address else None,
                "postcode": address.postcode if address else None,
                "uprn": address.uprn if address else None,
                "email": record.email,
                "email_verified": record.email_verified,
                "phone": record.phone,
                "updated_on": today - timedelta(days=rng.randint(0, 1500)),
            }
        )
    return rows


def _start_of(today: date) -> datetime:
    """Everything the seed writes happened before `today` began, so none of it is in the future whenever it runs."""
    return datetime.combine(today, time(0, 0), UTC)


def _waking_hours(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)), UTC)


def _some_time_before(now: datetime, rng: random.Random, days: int) -> datetime:
    return now - timedelta(minutes=rng.randint(30, days * 24 * 60))


def _at_most(moment: datetime, now: datetime) -> datetime | None:
    return moment if moment <= now else None


def _households(population: Population) -> dict[str, Household]:
    return {household.household_id: household for household in population.households}


# --- revenues: Council Tax ---------------------------------------------------------------------


class _Paying(Enum):
    ON_TIME = "on time"
    BEHIND = "behind"  # stopped paying: the latest instalments are overdue
    PART_PAID = "part paid"
    IN_FULL = "in full"  # paid the year's bill in one go


_PAYING_WEIGHTS = {_Paying.ON_TIME: 75, _Paying.BEHIND: 12, _Paying.PART_PAID: 8, _Paying.IN_FULL: 5}
# Tamworth's housing stock is mostly in the lower bands.
_BAND_WEIGHTS = {"A": 30, "B": 28, "C": 22, "D": 11, "E": 5, "F": 2.5, "G": 1, "H": 0.5}
_SUMMONS_COSTS_PENCE = 8_000


@dataclass(frozen=True, slots=True)
class _CardPayment:
    """A payment taken through the payment provider and posted to a Council Tax account."""

    payer: SystemPerson
    account_reference: str
    amount_pence: int
    paid_on: date


class _Revenues:
    """Bills every household for the financial year `today` falls in, and posts what each has paid."""

    def __init__(self, rng: random.Random, population: Population, today: date) -> None:
        self._rng = rng
        self._today = today
        self._year_start = financial_year_start(today)
        self._year = self._year_start.year
        self._band_d = band_d_pence(self._year)
        self._party_ids = {r.person_id: r.record_id for r in population.records_in(SourceSystem.REVENUES)}
        self._payers = {r.person_id: r for r in population.records_in(SourceSystem.PAYMENTS)}
        self._property_ids: dict[str, tuple[str, str]] = {}
        self.card_payments: list[_CardPayment] = []
        self.current_account: dict[str, str] = {}  # household id -> account reference
        self.rows: Rows = {
            revenues_sql.parties: _person_rows(rng, population.records_in(SourceSystem.REVENUES), "party_id", today),
            revenues_sql.properties: [],
            revenues_sql.band_d_charges: [
                {"financial_year": year, "pence": band_d_pence(year)} for year in range(self._year - 2, self._year + 1)
            ],
            revenues_sql.accounts: [],
            revenues_sql.instalments: [],
            revenues_sql.transactions: [],
            revenues_sql.discounts: [],
        }
        for household in population.households:
            self._bill(household)
        self._unoccupied_properties(random.Random(f"properties-{population.seed}"))
        self._recorded_moves(population)

    def _bill(self, household: Household) -> None:
        rng = self._rng
        moved_in_on = household.moved_in_on
        moved_this_year = moved_in_on is not None and self._year_start < moved_in_on <= self._today
        liable_from = moved_in_on if moved_in_on and moved_this_year else self._year_start
        party_id = self._party_ids[household.householder_id]
        payers = [self._payers[a] for a in household.adult_ids if a in self._payers]
        # Only one adult lives there: a 25% discount, which about a third of them have claimed.
        single_person_discount = len(household.adult_ids) == 1 and rng.random() < 0.3
        previous = household.previous_address
        if moved_this_year and previous and previous.in_borough:
            left_on = liable_from - timedelta(days=1)
            self._account(
                party_id, previous, self._year_start, left_on, single_person_discount, payers, _Paying.ON_TIME
            )
        paying = rng.choices(list(_PAYING_WEIGHTS), list(_PAYING_WEIGHTS.values()))[0]
        reference = self._account(
            party_id, household.address, liable_from, None, single_person_discount, payers, paying
        )
        self.current_account[household.household_id] = reference

    def _account(
        self,
        party_id: str,
        address: GazetteerAddress,
        liable_from: date,
        liable_to: date | None,
        single_person_discount: bool,
        payers: list[SystemPerson],
        paying: _Paying,
    ) -> str:
        reference = f"{50_000_001 + len(self.rows[revenues_sql.accounts])}"
        property_id, band = self._property(address)
        charge = charge_for_period(
            annual_charge(band, self._band_d), liable_from, liable_to or financial_year_end(liable_from)
        )
        discount = -percent_of(charge, SINGLE_PERSON_PERCENT) if single_person_discount else 0
        schedule = instalment_schedule(charge + discount, *self._plan(liable_from, liable_to))
        self.rows[revenues_sql.accounts].append(
            {
                "reference": reference,
                "party_id": party_id,
                "property_id": property_id,
                "liable_from": liable_from,
                "liable_to": liable_to,
                "financial_year": self._year,
            }
        )
        self.rows[revenues_sql.instalments].extend(
            {"account_reference": reference, "due_date": item.due_date, "amount_pence": item.amount_pence}
            for item in schedule
        )
        year_label = f"{self._year}/{(self._year + 1) % 100:02d}"
        self._post(reference, liable_from, StatementLineKind.CHARGE, f"Council Tax {year_label}, band {band}", charge)
        if single_person_discount:
            self._discount(reference, liable_from, liable_to)
            self._post(reference, liable_from, StatementLineKind.DISCOUNT, "Single person discount (25%)", discount)
        self._collect(reference, schedule, payers, paying)
        return reference

    def _property(self, address: GazetteerAddress, band: str | None = None) -> tuple[str, str]:
        if address.uprn not in self._property_ids:
            band = band or self._rng.choices(list(_BAND_WEIGHTS), list(_BAND_WEIGHTS.values()))[0]
            property_id = f"PR{len(self._property_ids) + 100_001:06d}"
            self._property_ids[address.uprn] = (property_id, band)
            self.rows[revenues_sql.properties].append(
                {
                    "property_id": property_id,
                    "uprn": address.uprn,
                    "line1": address.line1,
                    "line2": address.line2,
                    "town": address.town,
                    "postcode": address.postcode,
                    "band": band,
                }
            )
        return self._property_ids[address.uprn]

    def _unoccupied_properties(self, rng: random.Random) -> None:
        """Every other dwelling in the borough, so a move to any gazetteer address finds its band.

        Its own random stream: the households' bills stay exactly as they were.
        """
        bands, weights = list(_BAND_WEIGHTS), list(_BAND_WEIGHTS.values())
        for address in demo_gazetteer():
            if address.in_borough and address.uprn not in self._property_ids:
                self._property(address, rng.choices(bands, weights)[0])

    def _recorded_moves(self, population: Population) -> None:
        """The moves revenues was told of this year (keyed in by staff: no external reference)."""
        self.rows[revenues_sql.moves] = []
        for household in population.households:
            moved_in_on = household.moved_in_on
            if moved_in_on is None or not self._year_start < moved_in_on <= self._today:
                continue
            party_id = self._party_ids[household.householder_id]
            left_on = moved_in_on - timedelta(days=1)
            closed = [
                row["reference"]
                for row in self.rows[revenues_sql.accounts]
                if row["party_id"] == party_id and row["liable_to"] == left_on
            ]
            self.rows[revenues_sql.moves].append(
                {
                    "external_reference": None,
                    "party_id": party_id,
                    "kind": (MoveKind.WITHIN if closed else MoveKind.IN).value,
                    "move_date": moved_in_on,
                    "new_account_reference": self.current_account[household.household_id],
                    "closed_account_reference": ",".join(closed) or None,
                    "created_at": _start_of(moved_in_on),
                }
            )

    def _plan(self, liable_from: date, liable_to: date | None) -> tuple[date, int]:
        """First due date and number of monthly instalments (Sch. 1: 10 by default, 12 on request)."""
        rng = self._rng
        day = rng.choice((1, 15))
        if liable_to is not None:  # closed on moving out: the instalments that fell due while liable
            first = date(self._year, 4, day)
            return first, max(1, _months_between(first, liable_to) + 1)
        last_month = date(self._year + 1, 3 if rng.random() < 0.25 else 1, day)
        if liable_from == self._year_start:
            return date(self._year, 4, day), _months_between(date(self._year, 4, day), last_month) + 1
        # A new liability: the first instalment at least 14 days after the bill.
        earliest = liable_from + timedelta(days=14)
        first = date(earliest.year, earliest.month, day)
        if first < earliest:
            first = _add_month(first)
        return first, max(1, _months_between(first, last_month) + 1)

    def _discount(self, reference: str, starts_on: date, ends_on: date | None) -> None:
        self.rows[revenues_sql.discounts].append(
            {
                "discount_id": f"SPD{len(self.rows[revenues_sql.discounts]) + 100_001:06d}",
                "account_reference": reference,
                "kind": DiscountKind.SINGLE_PERSON.value,
                "status": (DiscountStatus.ENDED if ends_on else DiscountStatus.ACTIVE).value,
                "percent": SINGLE_PERSON_PERCENT,
                "starts_on": starts_on,
                "ends_on": ends_on,
            }
        )

    def _collect(
        self, reference: str, schedule: Sequence[ScheduledInstalment], payers: list[SystemPerson], paying: _Paying
    ) -> None:
        """Post the payments this kind of payer made before `today`; an instalment due today is still DUE."""
        rng, today = self._rng, self._today
        due = [item for item in schedule if item.due_date < today]
        if not due:
            return
        received = [(item.due_date, item.amount_pence) for item in due]
        if paying is _Paying.IN_FULL:
            received = [(due[0].due_date, sum(item.amount_pence for item in schedule))]
        elif paying is _Paying.PART_PAID:
            received[-1] = (due[-1].due_date, due[-1].amount_pence // 2)
        elif paying is _Paying.BEHIND:
            missed = rng.randint(1, min(3, len(due)))
            received = received[: len(due) - missed]
            summons_on = due[len(due) - missed].due_date + timedelta(days=28)
            if missed >= 2 and summons_on < today:
                self._post(reference, summons_on, StatementLineKind.ADJUSTMENT, "Summons costs", _SUMMONS_COSTS_PENCE)
        for paid_on, amount in received:
            self._receive(reference, paid_on, amount, payers)
        refund_on = received[0][0] + timedelta(days=10) if received else today
        if paying is _Paying.ON_TIME and refund_on < today and rng.random() < 0.03:
            # Paid the first instalment twice; the duplicate was refunded.
            self._receive(reference, received[0][0], received[0][1], payers)
            self._post(reference, refund_on, StatementLineKind.REFUND, "Refund of overpayment", received[0][1])

    def _receive(self, reference: str, paid_on: date, amount: int, payers: list[SystemPerson]) -> None:
        if payers:  # whoever pays this household's bill online pays by card
            payer = self._rng.choice(payers)
            self.card_payments.append(_CardPayment(payer, reference, amount, paid_on))
            method = "Online card payment"
        else:
            method = self._rng.choices(("Direct Debit", "PayPoint cash payment", "Bank transfer"), (8, 1, 1))[0]
        self._post(reference, paid_on, StatementLineKind.PAYMENT, f"Payment received - {method}", -amount)

    def _post(self, reference: str, posted_on: date, kind: StatementLineKind, description: str, amount: int) -> None:
        self.rows[revenues_sql.transactions].append(
            {
                "account_reference": reference,
                "posted_on": posted_on,
                "kind": kind.value,
                "description": description,
                "amount_pence": amount,
            }
        )


def _recorded_history(plans: dict[SourceSystem, tuple[MetaData, Rows]], population: Population, today: date) -> None:
    """What benefits, housing and the CRM recorded of this year's moves (where they know the new
    address), and the household on each housing application."""
    year_start = financial_year_start(today)
    households = _households(population)
    changes = {
        SourceSystem.BENEFITS: benefits_sql.claimant_address_changes,
        SourceSystem.HOUSING: housing_sql.applicant_address_changes,
        SourceSystem.CRM: crm_sql.contact_address_changes,
    }
    for system, table in changes.items():
        rows: list[dict[str, Any]] = []
        for record in population.records_in(system):
            person = population.person(record.person_id)
            moved_in_on = households[person.household_id].moved_in_on
            address = record.address
            if moved_in_on is None or not year_start < moved_in_on <= today:
                continue
            if address is None or not _same_home(address, person.address):
                continue  # this office was never told: it still has the old address
            rows.append(_address_change(record.record_id, person, moved_in_on, address))
        plans[system][1][table] = rows
    # Housing also records each tenant's move into the tenancy it let them.
    applicants = {record.record_id: record for record in population.records_in(SourceSystem.HOUSING)}
    housing = plans[SourceSystem.HOUSING][1]
    for tenancy in housing[housing_sql.tenancies]:
        record = applicants[tenancy["applicant_id"]]
        home = PostalAddress(line1=tenancy["line1"], postcode=tenancy["postcode"], uprn=tenancy["uprn"])
        housing[housing_sql.applicant_address_changes].append(
            _address_change(record.record_id, population.person(record.person_id), tenancy["starts_on"], home)
        )
    members: list[dict[str, Any]] = []
    for application in housing[housing_sql.applications]:
        person = population.person(applicants[application["applicant_id"]].person_id)
        household = households[person.household_id]
        born = [("APPLICANT", person.date_of_birth)]
        if person.person_id in household.liable_ids:  # applying for the family, as `_application` counts it
            partner_id = _partner_of(household, person.person_id)
            if partner_id:
                born.append(("PARTNER", population.person(partner_id).date_of_birth))
            born.extend(("CHILD", child.date_of_birth) for child in household.children)
        members.extend(
            {
                "application_reference": application["reference"],
                "position": position,
                "relationship": relationship,
                "date_of_birth": date_of_birth,
            }
            for position, (relationship, date_of_birth) in enumerate(born, start=1)
        )
    housing[housing_sql.application_members] = members


def _same_home(held: PostalAddress, home: GazetteerAddress) -> bool:
    return (held.line1.strip().upper(), normalise_postcode(held.postcode)) == (home.line1.upper(), home.postcode)


def _address_change(record_id: str, person: TruePerson, effective_on: date, address: PostalAddress) -> dict[str, Any]:
    """A change of address keyed in by the office's staff (so with no external reference)."""
    previous = person.previous_address
    return {
        "external_reference": None,
        "record_id": record_id,
        "kind": (MoveKind.IN if previous and not previous.in_borough else MoveKind.WITHIN).value,
        "effective_on": effective_on,
        "line1": address.line1,
        "line2": address.line2,
        "town": address.town,
        "postcode": address.postcode,
        "uprn": address.uprn,
        "created_at": _start_of(effective_on),
    }


def band_d_pence(financial_year: int) -> int:
    """The demo Band D for a financial year (named by the calendar year it starts in)."""
    return round(DEMO_BAND_D_2026_PENCE * 1.0499 ** (financial_year - 2026))


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _add_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, day.day)


# --- benefits ----------------------------------------------------------------------------------

_CLAIM_PREFIXES = {
    BenefitKind.COUNCIL_TAX_SUPPORT: "CTS",
    BenefitKind.HOUSING_BENEFIT: "HB",
    BenefitKind.DISCRETIONARY_HOUSING_PAYMENT: "DHP",
}
_WEEKLY_AWARD_PENCE = {
    BenefitKind.COUNCIL_TAX_SUPPORT: (400, 3_500),
    BenefitKind.HOUSING_BENEFIT: (4_500, 16_000),
    BenefitKind.DISCRETIONARY_HOUSING_PAYMENT: (1_000, 4_000),
}
_CLAIM_STATUS_WEIGHTS = {
    ClaimStatus.AWARDED: 65,
    ClaimStatus.ASSESSING: 10,
    ClaimStatus.SUSPENDED: 5,
    ClaimStatus.ENDED: 20,
}


def _benefits_rows(rng: random.Random, population: Population, today: date) -> Rows:
    claimants = population.records_in(SourceSystem.BENEFITS)
    households = _households(population)
    claims: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for claimant in claimants:
        person = population.person(claimant.person_id)
        household = households[person.household_id]
        for kind in _claim_kinds(rng):
            reference = f"{_CLAIM_PREFIXES[kind]}{len(claims) + 1_000_001:07d}"
            claims.append({"reference": reference, "claimant_id": claimant.record_id, **_claim(rng, kind, today)})
            members.extend(
                {"claim_reference": reference, **member} for member in _household_members(population, household, person)
            )
    return {
        benefits_sql.claimants: _person_rows(rng, claimants, "claimant_id", today),
        benefits_sql.claims: claims,
        benefits_sql.household_members: members,
    }


def _claim_kinds(rng: random.Random) -> list[BenefitKind]:
    """Most claim Council Tax Support; tenants add Housing Benefit, a few a discretionary payment on top."""
    roll = rng.random()
    if roll < 0.6:
        return [BenefitKind.COUNCIL_TAX_SUPPORT]
    if roll < 0.88:
        return [BenefitKind.COUNCIL_TAX_SUPPORT, BenefitKind.HOUSING_BENEFIT]
    if roll < 0.95:
        return [BenefitKind.HOUSING_BENEFIT]
    return [BenefitKind.COUNCIL_TAX_SUPPORT, BenefitKind.HOUSING_BENEFIT, BenefitKind.DISCRETIONARY_HOUSING_PAYMENT]


def _claim(rng: random.Random, kind: BenefitKind, today: date) -> dict[str, Any]:
    status = rng.choices(list(_CLAIM_STATUS_WEIGHTS), list(_CLAIM_STATUS_WEIGHTS.values()))[0]
    if status is ClaimStatus.ASSESSING:
        starts_on = today - timedelta(days=rng.randint(0, 28))
    else:
        starts_on = today - timedelta(days=rng.randint(60, 1_500))
    ends_on = None
    if kind is BenefitKind.DISCRETIONARY_HOUSING_PAYMENT and status is not ClaimStatus.ASSESSING:
        ends_on = starts_on + timedelta(weeks=13)  # DHPs are short, time-limited awards
        status = ClaimStatus.ENDED if ends_on < today else ClaimStatus.AWARDED
    elif status is ClaimStatus.ENDED:
        ends_on = starts_on + timedelta(days=rng.randint(30, (today - starts_on).days - 1))
    low, high = _WEEKLY_AWARD_PENCE[kind]
    award = 0 if status is ClaimStatus.ASSESSING else rng.randint(low, high)
    return {
        "kind": kind.value,
        "status": status.value,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "weekly_award_pence": award,
    }


def _household_members(population: Population, household: Household, claimant: TruePerson) -> list[dict[str, Any]]:
    """Everyone else in the claimant's home, as the claim form lists them (sharers claim on their own)."""
    if household.kind is HouseholdKind.SHARERS:
        return []
    partner_id = _partner_of(household, claimant.person_id)
    members = []
    for adult_id in household.adult_ids:
        if adult_id != claimant.person_id:
            adult = population.person(adult_id)
            relationship = "PARTNER" if adult_id == partner_id else "NON_DEPENDANT"
            members.append(_member(relationship, adult.forenames, adult.surname, adult.date_of_birth))
    members.extend(
        _member("CHILD", child.forenames, child.surname, child.date_of_birth) for child in household.children
    )
    return members


def _member(relationship: str, forenames: str, surname: str, born: date) -> dict[str, Any]:
    return {"relationship": relationship, "forenames": forenames, "surname": surname, "date_of_birth": born}


# --- housing -----------------------------------------------------------------------------------

_APPLICATION_STATUS_WEIGHTS = {
    HousingApplicationStatus.SUBMITTED: 10,
    HousingApplicationStatus.ASSESSING: 15,
    HousingApplicationStatus.ACTIVE: 50,
    HousingApplicationStatus.HOUSED: 12,
    HousingApplicationStatus.CLOSED: 13,
}
_BAND_CHANCES = {HousingBand.EMERGENCY: 3, HousingBand.GOLD: 15, HousingBand.SILVER: 35, HousingBand.BRONZE: 47}


def _housing_rows(rng: random.Random, population: Population, today: date) -> Rows:
    applicants = population.records_in(SourceSystem.HOUSING)
    households = _households(population)
    applications: list[dict[str, Any]] = []
    tenancies: list[dict[str, Any]] = []
    for applicant in applicants:
        person = population.person(applicant.person_id)
        household = households[person.household_id]
        reference = f"HR{len(applications) + 100_001:06d}"
        application = _application(rng, reference, applicant.record_id, person, household, today)
        applications.append(application)
        # Council tenants apply to transfer; a housed applicant holds the tenancy they were offered.
        own_home = person.person_id in household.liable_ids and person.address.in_borough
        housed = application["status"] == HousingApplicationStatus.HOUSED.value
        if own_home and (housed or rng.random() < 0.4):
            submitted_on: date = application["submitted_on"]
            if housed:
                starts_on = submitted_on + timedelta(days=rng.randint(0, (today - submitted_on).days))
            else:
                starts_on = today - timedelta(days=rng.randint(700, 7_000))
            joint_id = _partner_of(household, person.person_id)
            joint = population.person(joint_id) if joint_id else None
            tenancies.append(_tenancy(f"TEN{len(tenancies) + 100_001:06d}", applicant, person, joint, starts_on))
    return {
        housing_sql.applicants: _person_rows(rng, applicants, "applicant_id", today),
        housing_sql.applications: applications,
        housing_sql.tenancies: tenancies,
    }


def _application(
    rng: random.Random, reference: str, applicant_id: str, person: TruePerson, household: Household, today: date
) -> dict[str, Any]:
    status = rng.choices(list(_APPLICATION_STATUS_WEIGHTS), list(_APPLICATION_STATUS_WEIGHTS.values()))[0]
    if status is HousingApplicationStatus.SUBMITTED:
        days_ago = rng.randint(0, 14)
    elif status is HousingApplicationStatus.ASSESSING:
        days_ago = rng.randint(10, 60)
    else:
        days_ago = rng.randint(60, 730)
    assessed = status not in (HousingApplicationStatus.SUBMITTED, HousingApplicationStatus.ASSESSING)
    # A householder applies for the family; a grown-up child living with parents for themselves.
    for_family = person.person_id in household.liable_ids
    children = len(household.children) if for_family else 0
    adults = 2 if for_family and _partner_of(household, person.person_id) else 1
    return {
        "reference": reference,
        "applicant_id": applicant_id,
        "status": status.value,
        "submitted_on": today - timedelta(days=days_ago),
        "band": rng.choices(list(_BAND_CHANCES), list(_BAND_CHANCES.values()))[0].value if assessed else None,
        "bedrooms_needed": 1 + ceil(children / 2),  # the bedroom standard, roughly: children share
        "household_size": adults + children,
    }


def _tenancy(
    tenancy_ref: str, applicant: SystemPerson, person: TruePerson, joint: TruePerson | None, starts_on: date
) -> dict[str, Any]:
    return {
        "tenancy_ref": tenancy_ref,
        "applicant_id": applicant.record_id,
        "uprn": person.address.uprn,
        "line1": person.address.line1,
        "postcode": person.address.postcode,
        "starts_on": starts_on,
        "ends_on": None,
        "joint_tenant_forenames": joint.forenames if joint else None,
        "joint_tenant_surname": joint.surname if joint else None,
        "joint_tenant_date_of_birth": joint.date_of_birth if joint else None,
    }


def _partner_of(household: Household, person_id: str) -> str | None:
    """The other half of the couple at the head of the household, when `person_id` is one of them."""
    if household.partner_id is None or person_id not in (household.householder_id, household.partner_id):
        return None
    return household.partner_id if person_id == household.householder_id else household.householder_id


# --- CRM: complaints and cases -----------------------------------------------------------------

# Bulky waste is not here: it is a staff-defined "Report It" service (store migration 0004).
CRM_SERVICES = (
    ("SERVICE_SHORTFALL", "Report a shortfall in service", "Complaints and feedback", "Tell us where we fell short."),
    ("GENERAL_ENQUIRY", "General enquiry", "Contact us", "Ask the council a question."),
    ("MISSED_BIN", "Report a missed bin", "Bins and recycling", "Your bin was not emptied on collection day."),
    ("ASSISTED_COLLECTION", "Ask for an assisted bin collection", "Bins and recycling", "Crews fetch the bin."),
)
# The CRM queue each kind of case waits in.
_CASE_QUEUES = {"MISSED_BIN": "WASTE", "ASSISTED_COLLECTION": "WASTE", "GENERAL_ENQUIRY": "CUSTOMER_SERVICES"}
# Working days each kind of case is promised within.
_CASE_TARGET_DAYS = {"MISSED_BIN": 2, "GENERAL_ENQUIRY": 10, "ASSISTED_COLLECTION": 15}
_CASE_DESCRIPTIONS = {
    "MISSED_BIN": ("Grey bin not emptied this morning.", "Blue recycling bin missed again.", "Brown bin left full."),
    "GENERAL_ENQUIRY": (
        "When is the next garden waste collection?",
        "How do I register to vote?",
        "Who cuts the verge?",
    ),
    "ASSISTED_COLLECTION": ("I can no longer wheel the bin to the kerb after my operation.",),
}
COMPLAINT_TOPICS = (
    (
        "waste",
        "Bin missed three weeks running",
        "Our road has been missed three times this month and nobody rang back.",
    ),
    ("waste", "Crew left rubbish in the street", "The crew spilled the recycling and left it blowing around."),
    ("council_tax", "Wrong Council Tax bill", "I was billed for a property I moved out of in the spring."),
    ("council_tax", "Enforcement letter sent in error", "I received a reminder although my direct debit was paid."),
    ("housing", "Repair not done", "The damp in our bedroom was reported in March and is still not fixed."),
    ("housing", "No reply about my housing application", "I applied months ago and have heard nothing."),
    ("streets", "Fly-tipping not cleared", "Rubbish dumped in the lane has been there for two weeks."),
    ("streets", "Street light out for weeks", "The light outside our house is still out and it is not safe."),
    ("benefits", "Council Tax Support decision delayed", "My claim has been assessing for over a month."),
    ("other", "Rude member of staff", "The person I spoke to on the phone was dismissive and rude."),
    ("other", "Website kept failing", "The online form would not accept my postcode."),
)


def _crm_rows(rng: random.Random, population: Population, today: date) -> Rows:
    now = _start_of(today)
    contacts = population.records_in(SourceSystem.CRM)
    complaints: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for contact in contacts:
        for _ in range(rng.choices((0, 1, 2), (74, 22, 4))[0]):
            complaints.append(_complaint(rng, contact.record_id, f"CMP{len(complaints) + 1_000_001:07d}", now))
        for _ in range(rng.choices((0, 1, 2), (62, 32, 6))[0]):
            case, history = _case(rng, contact.record_id, f"CAS{len(cases) + 1_000_001:07d}", now)
            cases.append(case)
            events.extend(history)
            answers.extend(_case_answers(case))
    return {
        crm_sql.contacts: _person_rows(rng, contacts, "contact_id", today),
        crm_sql.crm_services: [
            {"code": code, "name": name, "group_name": group, "description": description}
            for code, name, group, description in CRM_SERVICES
        ],
        crm_sql.complaints: complaints,
        crm_sql.cases: cases,
        crm_sql.case_events: events,
        crm_sql.case_answers: answers,
    }


def _complaint(rng: random.Random, contact_id: str, reference: str, now: datetime) -> dict[str, Any]:
    """A complaint whose status agrees with its dates: acknowledged, then answered, never in the future.

    A stage 2 row is the escalation: its receipt is when the resident asked for a review of the
    stage 1 answer, which is when the stage 2 clock starts.
    """
    area, subject, description = rng.choice(COMPLAINT_TOPICS)
    received_at = _some_time_before(now, rng, 182)
    stage = ComplaintStage.STAGE_1
    acknowledged_at, responded_at = _complaint_progress(rng, received_at, now, respond_within_days=14)
    if responded_at and rng.random() < 0.12:
        escalated_at = _at_most(responded_at + timedelta(days=rng.randint(2, 20)), now)
        if escalated_at:
            stage, received_at = ComplaintStage.STAGE_2, escalated_at
            acknowledged_at, responded_at = _complaint_progress(rng, received_at, now, respond_within_days=28)
    if responded_at:
        closed = now - responded_at > timedelta(days=28) and rng.random() < 0.6
        status = ComplaintStatus.CLOSED if closed else ComplaintStatus.RESPONDED
    else:
        status = ComplaintStatus.ACKNOWLEDGED if acknowledged_at else ComplaintStatus.RECEIVED
    return {
        "reference": reference,
        "contact_id": contact_id,
        "subject": subject,
        "description": description,
        "service_area": area,
        "status": status.value,
        "stage": stage.value,
        "received_at": received_at,
        "acknowledged_at": acknowledged_at,
        "responded_at": responded_at,
    }


def _complaint_progress(
    rng: random.Random, received_at: datetime, now: datetime, *, respond_within_days: int
) -> tuple[datetime | None, datetime | None]:
    """When it was acknowledged (mostly within the 5 working days) and answered, if those have happened."""
    acknowledged_at = _at_most(received_at + timedelta(hours=rng.randint(2, 24 * 6)), now)
    if acknowledged_at is None or rng.random() < 0.05:
        return acknowledged_at, None
    responded_at = _at_most(acknowledged_at + timedelta(hours=rng.randint(24, 24 * respond_within_days)), now)
    return acknowledged_at, responded_at if rng.random() < 0.9 else None


def _case_answers(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The online form's one question for a missed bin, answered from what the resident wrote (no new
    random draws: the rest of the demo council stays as it was)."""
    if case["service_code"] != "MISSED_BIN":
        return []
    bin_colour = case["description"].split()[0].lower()
    return [{"case_reference": case["reference"], "code": "BIN", "question": "Which bin?", "answer": bin_colour}]


def _case(
    rng: random.Random, contact_id: str, reference: str, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A case and its history, oldest first: submitted, picked up, then resolved, closed or rejected."""
    code, name, *_ = rng.choice(CRM_SERVICES[1:])
    opened_at = _some_time_before(now, rng, 180)
    history = [(opened_at, RequestStatus.SUBMITTED, "Case opened from the online form")]
    steps = (
        (RequestStatus.IN_PROGRESS, "Passed to the service team", 4),
        (RequestStatus.RESOLVED, "Done: the service team has dealt with it", 72),
        (RequestStatus.CLOSED, "Case closed", 240),
    )
    for status, note, most_hours in steps:
        if status is RequestStatus.RESOLVED and rng.random() < 0.06:
            status, note = RequestStatus.REJECTED, "Not something the council can deal with; advice given"
        at = _at_most(history[-1][0] + timedelta(hours=rng.randint(1, most_hours)), now)
        if at is None or rng.random() < 0.1:
            break
        history.append((at, status, note))
        if status is RequestStatus.REJECTED:
            break
    expected_by = datetime.combine(
        working_days_after(london_date(opened_at), _CASE_TARGET_DAYS[code]), time(17, 0), UTC
    )
    case = {
        "reference": reference,
        "contact_id": contact_id,
        "service_code": code,
        "service_name": name,
        "status": history[-1][1].value,
        "description": rng.choice(_CASE_DESCRIPTIONS[code]),
        "queue": _CASE_QUEUES[code],
        "opened_at": opened_at,
        "updated_at": history[-1][0],
        "expected_by": expected_by,
    }
    events = [
        {"case_reference": reference, "at": at, "status": status.value, "description": note}
        for at, status, note in history
    ]
    return case, events


# --- street scene: Open311 reports ---------------------------------------------------------------

_YES_NO = ("Yes", "No")
STREET_SCENE_SERVICES = (
    ServiceDefinitionRecord("LITTER", "Litter", "Green & Clean", "Litter on a street, verge or open space.", (
        ServiceAttributeRecord("LITTER_TYPE", "What kind of litter is it?", "singlevaluelist", True,
                               ("General", "Food", "Needles", "Bagged rubbish")),
        ServiceAttributeRecord("QUANTITY", "How much is there?", "singlevaluelist", False,
                               ("A few items", "A bag full", "More than a bag")),
    )),
    ServiceDefinitionRecord("BROKEN_GLASS", "Broken glass", "Green & Clean", "Broken glass on a path or play area.", (
        ServiceAttributeRecord("ON_PLAY_AREA", "Is it on or by a play area?", "singlevaluelist", True, _YES_NO),
    )),
    ServiceDefinitionRecord("GRAFFITI", "Graffiti", "Green & Clean", "Graffiti on public property.", (
        ServiceAttributeRecord("OFFENSIVE", "Is the graffiti offensive?", "singlevaluelist", True, _YES_NO),
        ServiceAttributeRecord("SURFACE", "What is it painted on?", "string", False),
    )),
    ServiceDefinitionRecord("FLY_TIPPING", "Fly-tipping", "Green & Clean", "Rubbish dumped illegally.", (
        ServiceAttributeRecord("WASTE_TYPES", "What has been dumped?", "multivaluelist", True,
                               ("Household", "Garden", "Building rubble", "Furniture", "Tyres", "Asbestos")),
        ServiceAttributeRecord("BAGS", "Roughly how many bags' worth?", "number", False),
        ServiceAttributeRecord("SEEN_AT", "When did you see it being dumped?", "datetime", False),
        ServiceAttributeRecord("DETAILS", "Anything that could identify who dumped it", "text", False),
    )),
    ServiceDefinitionRecord("DOG_FOULING", "Dog fouling", "Green & Clean", "Dog mess on a path, verge or park.", (
        ServiceAttributeRecord("WHERE", "Where is it?", "singlevaluelist", True,
                               ("Footpath", "Grass verge", "Park", "Play area")),
    )),
)  # fmt: skip
_KEYWORDS = {
    "LITTER": "litter,rubbish,bins",
    "BROKEN_GLASS": "glass,bottles",
    "GRAFFITI": "graffiti,tagging,paint",
    "FLY_TIPPING": "fly tipping,dumping",
    "DOG_FOULING": "dog,fouling,poo",
}
_STREET_REPORTS = {
    "LITTER": ("Litter all along the verge", "Takeaway rubbish by the bus stop", "Litter bin overflowing"),
    "BROKEN_GLASS": ("Smashed bottle on the pavement", "Glass by the swings", "Broken glass in the car park"),
    "GRAFFITI": ("Tags sprayed on the underpass", "Graffiti on the bus shelter", "Paint on the play area fence"),
    "FLY_TIPPING": ("Mattress dumped in the lane", "Bags of rubbish by the garages", "Builders' rubble on the verge"),
    "DOG_FOULING": ("Dog mess all along the path", "Dog fouling by the school gate", "Dog mess on the playing field"),
}
_CLOSING_NOTES = ("Cleared by the Green & Clean crew", "Removed and area swept", "Inspected and cleaned")


def _street_scene_rows(rng: random.Random, population: Population, today: date) -> Rows:
    now = _start_of(today)
    borough = [address for address in demo_gazetteer() if address.in_borough]
    reporters = population.records_in(SourceSystem.STREET_SCENE)
    requests: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    reporter_rows = []
    for reporter in reporters:
        reporter_rows.append(
            {
                "reporter_id": reporter.record_id,
                "first_name": reporter.forenames,
                "last_name": reporter.surname,
                "email": reporter.email,
                "phone": reporter.phone,
                "updated_on": _some_time_before(now, rng, 900),
            }
        )
        home = population.person(reporter.person_id).address
        for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
            near = home if home.in_borough and rng.random() < 0.5 else rng.choice(borough)
            _street_report(rng, reporter.record_id, near, now, requests, updates)
    for _ in range(len(reporters) // 6):  # reports made without giving a name or email
        _street_report(rng, None, rng.choice(borough), now, requests, updates)
    return {
        street_scene_db.reporters: reporter_rows,
        street_scene_db.services: [
            {
                "service_code": service.code,
                "service_name": service.name,
                "group_name": service.group,
                "description": service.description,
                "keywords": _KEYWORDS[service.code],
            }
            for service in STREET_SCENE_SERVICES
        ],
        street_scene_db.service_attributes: [
            {
                "service_code": service.code,
                "code": attribute.code,
                "description": attribute.description,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "position": position,
                "values": list(attribute.values) if attribute.values else None,
            }
            for service in STREET_SCENE_SERVICES
            for position, attribute in enumerate(service.attributes, start=1)
        ],
        street_scene_db.requests: requests,
        street_scene_db.request_updates: updates,
    }


def _street_report(
    rng: random.Random,
    reporter_id: str | None,
    near: GazetteerAddress,
    now: datetime,
    requests: list[dict[str, Any]],
    updates: list[dict[str, Any]],
) -> None:
    service = rng.choice(STREET_SCENE_SERVICES)
    code = service.code
    request_id = str(310_001 + len(requests))
    requested = _some_time_before(now, rng, 180)
    history = [(requested, "open", "Report received")]
    assigned = _at_most(requested + timedelta(hours=rng.randint(1, 30)), now)
    if assigned:
        history.append((assigned, "open", "Passed to the Green & Clean crew"))
        cleared = _at_most(assigned + timedelta(hours=rng.randint(4, 120)), now)
        if cleared and rng.random() < 0.9:
            history.append((cleared, "closed", rng.choice(_CLOSING_NOTES)))
    # Broken glass is a hazard: the contract asks for it within a day; the rest within five.
    expected = requested + timedelta(days=1 if code == "BROKEN_GLASS" else 5)
    requests.append(
        {
            "service_request_id": request_id,
            "service_code": code,
            "reporter_id": reporter_id,
            "description": rng.choice(_STREET_REPORTS[code]),
            "lat": round(near.latitude + rng.uniform(-0.0004, 0.0004), 6),
            "long": round(near.longitude + rng.uniform(-0.0006, 0.0006), 6),
            "address_string": f"Near {near.line1}, {near.town} {near.postcode}",
            "address_id": near.uprn,
            "status": history[-1][1],
            "status_notes": history[-1][2] if len(history) > 1 else None,
            "agency_responsible": STREET_SCENE_AGENCY,
            "requested_datetime": requested,
            "updated_datetime": history[-1][0],
            "expected_datetime": expected,
            "attributes": _answers(rng, service.attributes, requested),
        }
    )
    updates.extend(
        {"service_request_id": request_id, "at": at, "status": status, "description": note}
        for at, status, note in history
    )


def _answers(
    rng: random.Random, attributes: Sequence[ServiceAttributeRecord], requested: datetime
) -> dict[str, str | list[str]]:
    """Answers as the Open311 service stores them: text, or a list for a multivaluelist."""
    answers: dict[str, str | list[str]] = {}
    for attribute in attributes:
        code, datatype, values = attribute.code, attribute.datatype, attribute.values
        if not attribute.required and rng.random() < 0.5:
            continue
        if datatype == "singlevaluelist" and values:
            answers[code] = rng.choice(values)
        elif datatype == "multivaluelist" and values:
            answers[code] = rng.sample(values, rng.randint(1, 2))
        elif datatype == "number":
            answers[code] = str(rng.randint(1, 12))
        elif datatype == "datetime":
            answers[code] = (requested - timedelta(hours=rng.randint(1, 48))).isoformat()
        else:
            answers[code] = rng.choice(("Bus shelter", "Garden wall", "Underpass", "Phone box"))
    return answers


# --- payments: the GOV.UK Pay-shaped provider ---------------------------------------------------

_PAYMENT_ID_ALPHABET = string.ascii_lowercase + string.digits
# GOV.UK Pay's state codes for a declined card and a payment the payer cancelled.
FAILURE_CODES = {"failed": "P0010", "cancelled": "P0030"}


def _payment_rows(rng: random.Random, population: Population, revenues: _Revenues, today: date) -> Rows:
    """Every card payment revenues posted, plus the attempts that failed or were abandoned."""
    rows = [
        _payment(
            rng, paid.payer, paid.account_reference, paid.amount_pence, _waking_hours(paid.paid_on, rng), "success"
        )
        for paid in revenues.card_payments
    ]
    paid_by = Counter(paid.payer.record_id for paid in revenues.card_payments)
    for payer in population.records_in(SourceSystem.PAYMENTS):
        # The provider knows a payer only through payments, so each payer has at least one.
        attempts = rng.choices((0, 1, 2), (70, 22, 8))[0] or (0 if paid_by[payer.record_id] else 1)
        household = population.person(payer.person_id).household_id
        for _ in range(attempts):
            created = _waking_hours(today - timedelta(days=rng.randint(1, 180)), rng)
            status = rng.choice(("failed", "cancelled"))
            amount = rng.randint(40, 250) * 100
            rows.append(_payment(rng, payer, revenues.current_account[household], amount, created, status))
    rows.sort(key=lambda row: row["created_date"])
    return {payments_db.payments: rows}


def _payment(
    rng: random.Random, payer: SystemPerson, account_reference: str, amount: int, created: datetime, status: str
) -> dict[str, Any]:
    return {
        "payment_id": "".join(rng.choices(_PAYMENT_ID_ALPHABET, k=26)),
        "reference": account_reference,
        "description": "Council Tax payment",
        "amount": amount,
        "email": payer.record_id,  # the payer's normalised email: how the provider finds them
        "cardholder_name": f"{payer.forenames} {payer.surname}",
        "status": status,
        "state_code": FAILURE_CODES.get(status),
        "return_url": RETURN_URL,
        "created_date": created,
        "metadata": {"purpose": "COUNCIL_TAX", "account_reference": account_reference},
    }
