"""The demo council's housing management system: its tenants' tenancies, rent accounts and repairs.

Each tenant of the population (`population.py`) holds a tenancy of their home: the charge for this
rent year and the last (this year's up 4.8%), the council's rent-free weeks (two at Christmas, the
last two of the year), the rent weeks since the last year began (the rules of `domain/rent.py`)
after a balance brought forward, Housing Benefit or Universal Credit housing costs paid direct for
some, the tenant's own payments (some short, some ahead), and a few repairs. Deterministic for the
population's seed, with a random stream of its own so the other offices' data stays as it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table

from customer360.demo.population import Population, SystemPerson
from customer360.domain.rent import RentLineKind, RentYear, WeeklyCharge, rent_weeks, rent_year_of, rent_year_start
from customer360.domain.repairs import Hazard, RepairPriority, priority
from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import TenureType
from customer360.sources.housing_management import sql as housing_management_sql

Rows = dict[Table, list[dict[str, Any]]]
RENT_RISE_PERCENT_TENTHS = 48  # 4.8%: CPI + 1%, the most social rents may rise (Rent Standard 2026)
PAID_EVERY = timedelta(days=28)
_REPAIRS = (
    ("PLUMBING", "Bathroom", "The tap drips all the time.", Hazard.NONE, RepairPriority.ROUTINE),
    (
        "DAMP_AND_MOULD",
        "Bedroom",
        "Black mould is growing on the wall behind the bed.",
        Hazard.DAMP_AND_MOULD,
        RepairPriority.ROUTINE,
    ),
    ("HEATING", "Living room", "The radiator is cold.", Hazard.NONE, RepairPriority.URGENT),
    ("ELECTRICAL", "Kitchen", "Sparks from the socket by the cooker.", Hazard.EMERGENCY, RepairPriority.EMERGENCY),
    ("DOORS_AND_WINDOWS", "Hall", "The front door does not lock.", Hazard.NONE, RepairPriority.URGENT),
)


def housing_management_rows(
    population: Population, today: date, person_rows: Callable[[Sequence[SystemPerson], str], list[dict[str, Any]]]
) -> Rows:
    rng = random.Random(f"{population.seed}/tenancies")
    this_year = rent_year_of(today)
    free = {year: _rent_free_weeks(year) for year in (this_year - 1, this_year)}
    tenants = population.records_in(SourceSystem.HOUSING_MANAGEMENT)
    tenancies: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    repairs: list[dict[str, Any]] = []
    for number, tenant in enumerate(tenants, start=100_001):
        home = population.person(tenant.person_id).address
        reference = f"TY{number:06d}"
        starts_on = today - timedelta(days=rng.randint(20, 6_000))
        tenure = (
            TenureType.INTRODUCTORY
            if (today - starts_on).days < 365
            else (TenureType.FLEXIBLE if rng.random() < 0.1 else TenureType.SECURE)
        )
        vulnerable = rng.random() < 0.15
        tenancies.append(
            {
                "tenancy_ref": reference,
                "tenant_id": tenant.record_id,
                "uprn": home.uprn,
                "line1": home.line1,
                "postcode": home.postcode,
                "starts_on": starts_on,
                "ends_on": None,
                "tenure": tenure.value,
                "vulnerable_household": vulnerable,
            }
        )
        last_year = WeeklyCharge(rng.randint(160, 230) * 50, rng.choice((0, 0, 450, 1_250, 1_800)))
        years = {
            this_year - 1: RentYear(this_year - 1, last_year, free[this_year - 1]),
            this_year: RentYear(this_year, _risen(last_year), free[this_year]),
        }
        charges += [
            {
                "tenancy_ref": reference,
                "rent_year": year.year,
                "rent_pence": year.charge.rent,
                "service_charge_pence": year.charge.service_charges,
            }
            for year in years.values()
        ]
        transactions += _rent_account(rng, reference, starts_on, today, years)
        repairs += _repairs(rng, reference, today, vulnerable)
    return {
        housing_management_sql.tenants: person_rows(tenants, "tenant_id"),
        housing_management_sql.tenancies: tenancies,
        housing_management_sql.rent_free_weeks: [
            {"rent_year": year, "week": week} for year, weeks in free.items() for week in sorted(weeks)
        ],
        housing_management_sql.weekly_charges: charges,
        housing_management_sql.rent_transactions: transactions,
        housing_management_sql.repairs: repairs,
    }


def _rent_free_weeks(year: int) -> frozenset[int]:
    """Two weeks at Christmas (those of 21 and 28 December, or near) and the last two of the year."""
    weeks = RentYear(year, WeeklyCharge(0, 0)).weeks
    christmas = (date(year, 12, 21) - rent_year_start(year)).days // 7 + 1
    return frozenset({christmas, christmas + 1, weeks - 1, weeks})


def _risen(charge: WeeklyCharge) -> WeeklyCharge:
    return WeeklyCharge(
        (charge.rent * (1000 + RENT_RISE_PERCENT_TENTHS) + 500) // 1000,
        (charge.service_charges * (1000 + RENT_RISE_PERCENT_TENTHS) + 500) // 1000,
    )


def _rent_account(
    rng: random.Random, reference: str, starts_on: date, today: date, years: dict[int, RentYear]
) -> list[dict[str, Any]]:
    """Last rent year's start onwards (or the tenancy's): rent weeks, housing costs, payments."""
    opened = rent_year_start(min(years))
    rows: list[dict[str, Any]] = []
    if starts_on < opened:
        brought = rng.choice((0, 0, 0, rng.randint(1, 60) * 500, -rng.randint(1, 10) * 500))
        if brought:
            rows.append(_line(reference, opened, RentLineKind.ADJUSTMENT, "Balance from earlier years", brought))
    charged = rent_weeks(max(starts_on, opened), today, years)
    rows += [_line(reference, t.posted_on, t.kind, t.description, t.amount) for t in charged]
    housing_costs_share = rng.choice((0, 0, 0, 60, 100))  # percent of the rent paid direct by HB or UC
    paying_share = rng.choice((100, 100, 100, 95, 80, 105))  # how much of the rest the tenant pays
    source = rng.choice(("Housing Benefit", "Universal Credit housing costs"))
    day = max(starts_on, opened) + timedelta(days=rng.randint(3, 20))
    while day <= today:
        due = sum(t.amount for t in charged if day - PAID_EVERY < t.posted_on <= day)
        paid_direct = due * housing_costs_share // 100
        if paid_direct:
            rows.append(_line(reference, day, RentLineKind.HOUSING_COSTS, source, -paid_direct))
        own = (due - paid_direct) * paying_share // 100
        if own:
            rows.append(_line(reference, day, RentLineKind.PAYMENT, "Payment, thank you", -own))
        day += PAID_EVERY
    return rows


def _line(reference: str, posted_on: date, kind: RentLineKind, description: str, amount: int) -> dict[str, Any]:
    return {
        "tenancy_ref": reference,
        "posted_on": posted_on,
        "kind": kind.value,
        "description": description,
        "amount_pence": amount,
        "external_reference": None,
    }


def _repairs(rng: random.Random, reference: str, today: date, vulnerable: bool) -> list[dict[str, Any]]:
    rows = []
    for count in range(rng.choice((0, 0, 0, 1, 1, 2))):
        category, room, description, hazard, requested = rng.choice(_REPAIRS)
        days_ago = rng.randint(1, 90)
        reported_at = datetime.combine(today - timedelta(days=days_ago), time(9 + rng.randint(0, 7), 0), UTC)
        done = days_ago > 30 and rng.random() < 0.8
        rows.append(
            {
                "reference": f"RR-{reference[2:]}{count}",
                "tenancy_ref": reference,
                "reported_at": reported_at,
                "category": category,
                "room": room,
                "description": description,
                "hazard": hazard.value,
                "priority": priority(requested, hazard, vulnerable).value,
                "status": "COMPLETED" if done else rng.choice(("REPORTED", "INSPECTION_BOOKED", "WORK_BOOKED")),
                "investigated_on": (reported_at + timedelta(days=3)).date()
                if hazard is not Hazard.NONE and days_ago > 3
                else None,
                "completed_on": (reported_at + timedelta(days=rng.randint(1, 25))).date() if done else None,
                "external_reference": None,
            }
        )
    return rows
