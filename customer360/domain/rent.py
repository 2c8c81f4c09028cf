"""Council rent: rent weeks by the rent year, a tenant's statement, arrears and the next due date.

Council rent is due weekly in advance, each Monday. The rent year starts on the first Monday in
April, so it has 52 weeks, or 53 when the next year's first Monday in April is 53 weeks on; a
council may let some weeks be rent free (commonly two at Christmas and two in March), which the
housing management system holds as data. Rent is charged on every other week; a tenancy that starts
part way through a week pays that week's days only (the weekly charge over 7 days, to the penny).
Money is integer pence: a charge is positive, money received negative, so the balance is arrears
when positive and credit when negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

RENT_DAY = 0  # Monday: the day rent falls due, in advance for the week it starts


class RentLineKind(StrEnum):
    RENT = "RENT"  # a week's (or a part week's) rent and service charges
    PAYMENT = "PAYMENT"  # paid by the tenant (online, Direct Debit, at the post office)
    HOUSING_COSTS = "HOUSING_COSTS"  # Housing Benefit or Universal Credit housing costs paid direct
    ADJUSTMENT = "ADJUSTMENT"  # a correction either way, made by the housing team
    BROUGHT_FORWARD = "BROUGHT_FORWARD"  # the balance before the first line a statement shows


@dataclass(frozen=True, slots=True)
class WeeklyCharge:
    rent: int  # net rent, pence
    service_charges: int  # caretaking, communal heating and the like, pence

    @property
    def total(self) -> int:
        return self.rent + self.service_charges


@dataclass(frozen=True, slots=True)
class RentYear:
    """One rent year as the council set it: its weekly charge for a tenancy and its rent-free weeks."""

    year: int  # the calendar year it starts in: 2026 is the rent year 2026/27
    charge: WeeklyCharge
    rent_free_weeks: frozenset[int] = frozenset()  # week numbers, 1 = the week of the first Monday in April

    @property
    def starts_on(self) -> date:
        return rent_year_start(self.year)

    @property
    def weeks(self) -> int:
        return (rent_year_start(self.year + 1) - self.starts_on).days // 7


@dataclass(frozen=True, slots=True)
class RentTransaction:
    """One line of a rent account as the housing management system holds it."""

    posted_on: date
    kind: RentLineKind
    description: str
    amount: int  # pence; positive a charge, negative money received


@dataclass(frozen=True, slots=True)
class StatementLine:
    posted_on: date
    kind: RentLineKind
    description: str
    amount: int
    balance: int  # the running balance after this line


@dataclass(frozen=True, slots=True)
class RentStatement:
    lines: tuple[StatementLine, ...]
    balance: int  # the sum of every line's amount, the brought-forward line included


def rent_year_start(year: int) -> date:
    """The first Monday on or after 1 April of `year`."""
    first = date(year, 4, 1)
    return first + timedelta(days=(RENT_DAY - first.weekday()) % 7)


def rent_year_of(day: date) -> int:
    """The rent year a day falls in (the calendar year its rent year started)."""
    return day.year if day >= rent_year_start(day.year) else day.year - 1


def week_number(day: date) -> int:
    """The rent week a day falls in: 1 for the week of the first Monday in April."""
    return (day - rent_year_start(rent_year_of(day))).days // 7 + 1


def rent_weeks(tenancy_starts_on: date, through: date, years: Mapping[int, RentYear]) -> list[RentTransaction]:
    """The rent charged from the start of a tenancy up to and including the week `through` falls in.

    One line a chargeable week, posted on its Monday; the first week, when the tenancy starts after
    its Monday, is charged for the days from the start to the Sunday (and is free if rent free).
    `years` must hold every rent year the period touches.
    """
    charges: list[RentTransaction] = []
    week_start = tenancy_starts_on - timedelta(days=(tenancy_starts_on.weekday() - RENT_DAY) % 7)
    while week_start <= through:
        rent_year = years[rent_year_of(week_start)]
        week = week_number(week_start)
        if week not in rent_year.rent_free_weeks:
            days = 7 - (tenancy_starts_on - week_start).days if week_start < tenancy_starts_on else 7
            label = f"Rent and charges, week {week} of {rent_year.year}/{(rent_year.year + 1) % 100:02d}"
            if days == 7:
                charges.append(RentTransaction(week_start, RentLineKind.RENT, label, rent_year.charge.total))
            else:
                amount = part_week(rent_year.charge.total, days)
                charges.append(RentTransaction(tenancy_starts_on, RentLineKind.RENT, f"{label} ({days} days)", amount))
        week_start += timedelta(days=7)
    return charges


def part_week(weekly: int, days: int) -> int:
    """`days` sevenths of a weekly charge, to the nearest penny (half up)."""
    if not 0 <= days <= 7:
        raise ValueError("a week has 0 to 7 days")
    exact = Fraction(weekly * days, 7)
    return int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))


def balance(transactions: Iterable[RentTransaction]) -> int:
    return sum(transaction.amount for transaction in transactions)


def statement(transactions: Sequence[RentTransaction], since: date) -> RentStatement:
    """The lines posted on or after `since`, after one brought-forward line carrying everything before.

    The lines add up to the balance: the brought-forward line plus every shown line. Lines on the
    same day show charges before money received, so a payment on a Monday never looks like credit.
    """
    ordered = sorted(transactions, key=lambda t: (t.posted_on, t.amount < 0))
    before = balance(t for t in ordered if t.posted_on < since)
    running = before
    lines = [StatementLine(since, RentLineKind.BROUGHT_FORWARD, "Balance brought forward", before, before)]
    for transaction in (t for t in ordered if t.posted_on >= since):
        running += transaction.amount
        lines.append(
            StatementLine(transaction.posted_on, transaction.kind, transaction.description, transaction.amount, running)
        )
    return RentStatement(tuple(lines), running)


def arrears(balance_pence: int) -> int:
    """What the tenant owes (0 when the account is clear or in credit)."""
    return max(balance_pence, 0)


def credit(balance_pence: int) -> int:
    """What the account holds for the tenant (0 unless in credit)."""
    return max(-balance_pence, 0)


def next_due_date(today: date, years: Mapping[int, RentYear]) -> date:
    """The next Monday on or after `today` whose week is not rent free (rent is due in advance)."""
    day = today + timedelta(days=(RENT_DAY - today.weekday()) % 7)
    for _ in range(60):  # more rent-free weeks in a row than any council gives is a data error
        rent_year = years.get(rent_year_of(day))
        if rent_year is None or week_number(day) not in rent_year.rent_free_weeks:
            return day
        day += timedelta(days=7)
    raise ValueError("no chargeable week in the next 60")
