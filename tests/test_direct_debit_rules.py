"""Direct Debit rules (domain/direct_debit.py): bank details, the notice, and instalments moving to the
payment day. Every example is worked by hand; bank holidays are England's (2026: Good Friday 3 April,
Easter Monday 6 April, 4 May, 25 May, 31 August, 25 and 28 December; 2027: 1 January)."""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.council_tax import ScheduledInstalment, instalment_schedule
from customer360.domain.direct_debit import (
    PAYMENT_DAYS,
    DirectDebitCode,
    bank_details,
    first_collection,
    masked_account,
    masked_sort_code,
    moved_instalments,
    next_collection,
    setup_problems,
)
from customer360.domain.problems import CommonCode
from customer360.domain.systems import SourceSystem


def plan(first_due: date, count: int, total: int) -> tuple[ScheduledInstalment, ...]:
    return instalment_schedule(total, first_due, count)


def dated(*pairs: tuple[str, int]) -> tuple[ScheduledInstalment, ...]:
    return tuple(ScheduledInstalment(date.fromisoformat(day), pence) for day, pence in pairs)


MONTHS_2026_27 = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]

# (what, plan, paid so far, payment day, first collection, the plan after)
MOVES = [
    (
        "10 from April, 1st to 15th; April's (with the odd 7p) paid and unchanged",
        plan(date(2026, 4, 1), 10, 150_007),
        15_007,
        15,
        date(2026, 4, 24),
        dated(("2026-04-01", 15_007), *((f"{month}-15", 15_000) for month in MONTHS_2026_27)),
    ),
    (
        "nothing paid: April's is overdue, due before the first collection, so unchanged",
        plan(date(2026, 4, 1), 10, 150_000),
        0,
        15,
        date(2026, 4, 24),
        dated(("2026-04-01", 15_000), *((f"{month}-15", 15_000) for month in MONTHS_2026_27)),
    ),
    (
        "15th to the 1st, set up 20 April: May's new date (1 May) is before the first collection (5 May)",
        plan(date(2026, 4, 15), 10, 120_000),
        12_000,
        1,
        date(2026, 5, 5),
        dated(
            ("2026-04-15", 12_000),
            ("2026-05-05", 12_000),
            *((f"{month}-01", 12_000) for month in MONTHS_2026_27[1:]),
        ),
    ),
    (
        "part paid: May's 50.00 of 150.00 paid, so May's moves with the rest",
        plan(date(2026, 4, 1), 10, 150_000),
        20_000,
        22,
        date(2026, 4, 24),
        dated(("2026-04-01", 15_000), *((f"{month}-22", 15_000) for month in MONTHS_2026_27)),
    ),
    (
        "paid ahead to June: April to June unchanged",
        plan(date(2026, 4, 1), 10, 150_000),
        45_000,
        8,
        date(2026, 4, 24),
        dated(
            ("2026-04-01", 15_000),
            ("2026-05-01", 15_000),
            ("2026-06-01", 15_000),
            *((f"{month}-08", 15_000) for month in MONTHS_2026_27[2:]),
        ),
    ),
    (
        "part year from a move in September: 6 from October, the odd 5p stays on the first",
        plan(date(2026, 10, 1), 6, 80_003),
        0,
        22,
        date(2026, 9, 28),
        dated(
            ("2026-10-22", 13_338),
            ("2026-11-22", 13_333),
            ("2026-12-22", 13_333),
            ("2027-01-22", 13_333),
            ("2027-02-22", 13_333),
            ("2027-03-22", 13_333),
        ),
    ),
    (
        "a payment day of 31: months with fewer days collect on their last day",
        plan(date(2026, 10, 1), 6, 60_000),
        0,
        31,
        date(2026, 9, 28),
        dated(
            ("2026-10-31", 10_000),
            ("2026-11-30", 10_000),
            ("2026-12-31", 10_000),
            ("2027-01-31", 10_000),
            ("2027-02-28", 10_000),
            ("2027-03-31", 10_000),
        ),
    ),
    (
        "a leap February: the 29th",
        plan(date(2028, 1, 1), 3, 30_000),
        0,
        30,
        date(2027, 12, 20),
        dated(("2028-01-30", 10_000), ("2028-02-29", 10_000), ("2028-03-30", 10_000)),
    ),
]


@pytest.mark.parametrize(("what", "before", "paid", "day", "first", "after"), MOVES, ids=[m[0] for m in MOVES])
def test_instalments_move_to_the_payment_day(
    what: str,
    before: tuple[ScheduledInstalment, ...],
    paid: int,
    day: int,
    first: date,
    after: tuple[ScheduledInstalment, ...],
) -> None:
    moved = moved_instalments(before, paid, day, first)
    assert moved == after
    # Moving never changes what is owed, nor how many instalments pay it.
    assert sum(i.amount_pence for i in moved) == sum(i.amount_pence for i in before)
    assert len(moved) == len(before)


@pytest.mark.parametrize(
    ("set_up_on", "first"),
    [
        (date(2026, 4, 10), date(2026, 4, 24)),  # a Friday: two plain weeks
        (date(2026, 4, 20), date(2026, 5, 5)),  # over the early May bank holiday
        (date(2026, 12, 18), date(2027, 1, 6)),  # over Christmas, Boxing Day (Mon 28) and New Year
        (date(2026, 4, 2), date(2026, 4, 20)),  # over Easter: 3 and 6 April are not working days
    ],
)
def test_the_first_collection_gives_ten_working_days_notice(set_up_on: date, first: date) -> None:
    assert first_collection(set_up_on) == first


@pytest.mark.parametrize(
    ("today", "day", "first", "due"),
    [
        (date(2026, 4, 10), 15, date(2026, 4, 24), date(2026, 5, 15)),  # 15 April is inside the notice
        (date(2026, 4, 10), 28, date(2026, 4, 24), date(2026, 4, 28)),
        (date(2026, 12, 20), 1, None, date(2027, 1, 1)),  # over the year end
        (date(2027, 1, 31), 31, None, date(2027, 1, 31)),  # today is the day
        (date(2027, 2, 1), 31, None, date(2027, 2, 28)),  # February's last day
    ],
)
def test_next_collection(today: date, day: int, first: date | None, due: date) -> None:
    assert next_collection(today, day, first) == due


@pytest.mark.parametrize(
    ("sort_code", "account_number", "wanted"),
    [
        ("12-34-56", "12345678", ("123456", "12345678")),
        (" 12 34 56 ", "1234 5678", ("123456", "12345678")),
        ("123456", "1234567", ("123456", "01234567")),  # 7 digits: left-padded, as Bacs takes them
        ("12 - 34 - 56", "123456", ("123456", "00123456")),  # 6 digits
    ],
)
def test_bank_details_as_residents_write_them(sort_code: str, account_number: str, wanted: tuple[str, str]) -> None:
    details, problems = bank_details("  Ann   Smith ", sort_code, account_number)
    assert problems == []
    assert details is not None
    assert (details.sort_code, details.account_number, details.account_holder_name) == (*wanted, "Ann Smith")


@pytest.mark.parametrize(
    ("holder", "sort_code", "account_number", "codes"),
    [
        ("Ann Smith", "12-34-5", "12345678", {("sortCode", DirectDebitCode.INVALID_SORT_CODE)}),
        ("Ann Smith", "12a456", "12345678", {("sortCode", DirectDebitCode.INVALID_SORT_CODE)}),
        ("Ann Smith", "1234567", "12345678", {("sortCode", DirectDebitCode.INVALID_SORT_CODE)}),
        ("Ann Smith", "", "12345678", {("sortCode", DirectDebitCode.INVALID_SORT_CODE)}),
        ("Ann Smith", "123456", "12345", {("accountNumber", DirectDebitCode.INVALID_ACCOUNT_NUMBER)}),
        ("Ann Smith", "123456", "123456789", {("accountNumber", DirectDebitCode.INVALID_ACCOUNT_NUMBER)}),
        ("Ann Smith", "123456", "1234567x", {("accountNumber", DirectDebitCode.INVALID_ACCOUNT_NUMBER)}),
        ("  ", "123456", "12345678", {("accountHolderName", CommonCode.REQUIRED)}),
        ("A" * 19, "123456", "12345678", {("accountHolderName", CommonCode.TOO_LONG)}),
        (
            "",
            "xx",
            "",
            {
                ("accountHolderName", CommonCode.REQUIRED),
                ("sortCode", DirectDebitCode.INVALID_SORT_CODE),
                ("accountNumber", DirectDebitCode.INVALID_ACCOUNT_NUMBER),
            },
        ),
    ],
)
def test_bank_details_refused(holder: str, sort_code: str, account_number: str, codes: set[tuple[str, str]]) -> None:
    details, problems = bank_details(holder, sort_code, account_number)
    assert details is None
    assert {(p.field[-1] if p.field else "", p.code) for p in problems} == codes
    # The message never repeats what was typed.
    assert not any(sort_code.strip() and sort_code.strip() in p.message for p in problems)


def test_bank_details_are_shown_masked_and_never_in_repr() -> None:
    details, _ = bank_details("Ann Smith", "20-45-77", "31926819")
    assert details is not None
    assert (masked_sort_code(details.sort_code), masked_account(details.account_number)) == ("••-••-77", "••••6819")
    assert "204577" not in repr(details) and "31926819" not in repr(details)


@pytest.mark.parametrize(
    ("system", "day", "declaration", "codes"),
    [
        (SourceSystem.REVENUES, 15, True, []),
        (SourceSystem.REVENUES, 2, True, [DirectDebitCode.PAYMENT_DAY_NOT_OFFERED]),
        (SourceSystem.HOUSING_MANAGEMENT, 2, True, []),
        (SourceSystem.HOUSING_MANAGEMENT, 29, True, [DirectDebitCode.PAYMENT_DAY_NOT_OFFERED]),
        (SourceSystem.REVENUES, 1, False, [DirectDebitCode.DECLARATION_REQUIRED]),
    ],
)
def test_payment_day_and_declaration(system: SourceSystem, day: int, declaration: bool, codes: list[str]) -> None:
    assert [p.code for p in setup_problems(day, declaration, PAYMENT_DAYS[system])] == codes
