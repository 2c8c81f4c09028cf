"""Council rent rules (domain/rent.py), with hand-worked pence-exact examples.

The demo charge: 2026/27 rent £95.00 + service charges £12.50 = £107.50 a week, week 52 rent free;
2027/28 £99.00 + £13.00 = £112.00 a week.
"""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.rent import (
    RentLineKind,
    RentTransaction,
    RentYear,
    WeeklyCharge,
    arrears,
    credit,
    next_due_date,
    part_week,
    rent_weeks,
    rent_year_start,
    statement,
    week_number,
)

YEARS = {
    2026: RentYear(2026, WeeklyCharge(9_500, 1_250), frozenset({52})),
    2027: RentYear(2027, WeeklyCharge(9_900, 1_300)),
}
RENT, PAYMENT, HOUSING_COSTS, ADJUSTMENT = (
    RentLineKind.RENT,
    RentLineKind.PAYMENT,
    RentLineKind.HOUSING_COSTS,
    RentLineKind.ADJUSTMENT,
)


@pytest.mark.parametrize(
    ("year", "starts_on", "weeks"),
    [
        (2026, date(2026, 4, 6), 52),  # 1 April 2026 is a Wednesday; 2027's first Monday is 5 April
        (2030, date(2030, 4, 1), 53),  # 1 April 2030 is a Monday and 2031's first Monday is 7 April
        (2031, date(2031, 4, 7), 52),
    ],
)
def test_a_rent_year_starts_on_the_first_monday_in_april_and_has_52_or_53_weeks(year, starts_on, weeks):
    assert rent_year_start(year) == starts_on
    assert RentYear(year, WeeklyCharge(0, 0)).weeks == weeks


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 4, 6), 1),
        (date(2026, 4, 12), 1),
        (date(2027, 3, 22), 51),
        (date(2027, 4, 4), 52),
        (date(2027, 4, 5), 1),
    ],
)
def test_week_numbers_run_from_the_first_monday_in_april(day, week):
    assert week_number(day) == week


@pytest.mark.parametrize(
    ("starts_on", "through", "expected"),
    [
        # Over a rent-free week and the year end: week 51 of 2026/27, week 52 free, weeks 1 and 2 of
        # 2027/28 at the new charge.
        (
            date(2027, 3, 22),
            date(2027, 4, 12),
            [(date(2027, 3, 22), 10_750), (date(2027, 4, 5), 11_200), (date(2027, 4, 12), 11_200)],
        ),
        # A tenancy starting on a Wednesday pays 5 days of its first week: 10750 x 5 / 7 = 7678.57 -> 7679.
        (date(2026, 4, 8), date(2026, 4, 13), [(date(2026, 4, 8), 7_679), (date(2026, 4, 13), 10_750)]),
        # On a Sunday, 1 day: 10750 / 7 = 1535.71 -> 1536.
        (date(2026, 4, 12), date(2026, 4, 12), [(date(2026, 4, 12), 1_536)]),
        # Starting in the rent-free week: nothing until week 1 of the new year.
        (date(2027, 3, 31), date(2027, 4, 5), [(date(2027, 4, 5), 11_200)]),
    ],
)
def test_rent_weeks_from_a_tenancy_start(starts_on, through, expected):
    charged = rent_weeks(starts_on, through, YEARS)
    assert [(line.posted_on, line.amount) for line in charged] == expected
    assert all(line.kind is RENT for line in charged)


def test_a_part_week_says_how_many_days_it_charges():
    (first,) = rent_weeks(date(2026, 4, 8), date(2026, 4, 8), YEARS)
    assert first.description == "Rent and charges, week 1 of 2026/27 (5 days)"


@pytest.mark.parametrize(
    ("weekly", "days", "pence"), [(10_750, 7, 10_750), (10_750, 3, 4_607), (10_750, 0, 0), (7, 1, 1)]
)
def test_part_week(weekly, days, pence):
    # 10750 x 3 / 7 = 4607.14 -> 4607; 7 / 7 = 1
    assert part_week(weekly, days) == pence


def test_a_statement_over_a_rent_free_week_and_a_year_end_adds_up_to_the_balance():
    held = [
        *rent_weeks(date(2027, 3, 22), date(2027, 4, 12), YEARS),
        RentTransaction(date(2027, 3, 26), PAYMENT, "Payment, thank you", -10_000),
        RentTransaction(date(2027, 4, 5), HOUSING_COSTS, "Universal Credit housing costs", -8_000),
        RentTransaction(date(2027, 4, 7), ADJUSTMENT, "Repair compensation", -500),
    ]
    shown = statement(held, since=date(2027, 4, 5))
    # brought forward 10750 - 10000 = 750; + 11200 = 11950; - 8000 = 3950; - 500 = 3450; + 11200 = 14650
    assert [(line.kind, line.amount, line.balance) for line in shown.lines] == [
        (RentLineKind.BROUGHT_FORWARD, 750, 750),
        (RENT, 11_200, 11_950),
        (HOUSING_COSTS, -8_000, 3_950),
        (ADJUSTMENT, -500, 3_450),
        (RENT, 11_200, 14_650),
    ]
    assert shown.balance == sum(line.amount for line in shown.lines) == 14_650
    assert (arrears(shown.balance), credit(shown.balance)) == (14_650, 0)


@pytest.mark.parametrize(("balance", "owed", "held"), [(14_650, 14_650, 0), (-2_300, 0, 2_300), (0, 0, 0)])
def test_arrears_and_credit(balance, owed, held):
    assert (arrears(balance), credit(balance)) == (owed, held)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2027, 3, 22), date(2027, 3, 22)),  # a Monday: due today
        (date(2027, 3, 16), date(2027, 3, 22)),  # a Tuesday: the next Monday
        (date(2027, 3, 23), date(2027, 4, 5)),  # the next Monday starts rent-free week 52: the one after
    ],
)
def test_next_due_date_skips_rent_free_weeks(today, due):
    assert next_due_date(today, YEARS) == due
