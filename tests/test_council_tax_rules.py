"""Council Tax rules: band charges, part-year charges, instalments, allocation and statements.

Every expected value is worked by hand in the comment next to it (integer pence, half-up).
"""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    Instalment,
    InstalmentStatus,
    StatementLineKind,
    Transaction,
    annual_charge,
    balance,
    charge_for_period,
    financial_year_end,
    financial_year_start,
    instalment_due_dates,
    instalment_schedule,
    instalments_with_status,
    latest_statement,
    next_instalment,
    paid_towards_instalments,
)
from customer360.domain.people import PostalAddress

BAND_D = 218_431  # £2,184.31

PAID = InstalmentStatus.PAID
PART = InstalmentStatus.PART_PAID
DUE = InstalmentStatus.DUE
OVERDUE = InstalmentStatus.OVERDUE


# --- financial year -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        pytest.param(date(2026, 3, 31), date(2025, 4, 1), date(2026, 3, 31), id="31-march-is-last-day"),
        pytest.param(date(2026, 4, 1), date(2026, 4, 1), date(2027, 3, 31), id="1-april-is-first-day"),
        pytest.param(date(2027, 1, 15), date(2026, 4, 1), date(2027, 3, 31), id="january-belongs-to-previous-april"),
        pytest.param(date(2026, 12, 31), date(2026, 4, 1), date(2027, 3, 31), id="31-december"),
        pytest.param(date(2028, 2, 29), date(2027, 4, 1), date(2028, 3, 31), id="leap-day"),
    ],
)
def test_financial_year_bounds(day: date, start: date, end: date) -> None:
    assert financial_year_start(day) == start
    assert financial_year_end(day) == end


# --- annual charge by band ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        # A: 218_431 * 6 / 9 = 1_310_586 / 9 = 145_620 r6 = 145_620.67 -> 145_621
        pytest.param("A", 145_621, id="A-6-ninths-rounds-up"),
        # B: 218_431 * 7 / 9 = 1_529_017 / 9 = 169_890 r7 = 169_890.78 -> 169_891
        pytest.param("B", 169_891, id="B-7-ninths-rounds-up"),
        # C: 218_431 * 8 / 9 = 1_747_448 / 9 = 194_160 r8 = 194_160.89 -> 194_161
        pytest.param("C", 194_161, id="C-8-ninths-rounds-up"),
        # D: 9 / 9 -> 218_431 exactly
        pytest.param("D", 218_431, id="D-is-band-d"),
        # E: 218_431 * 11 / 9 = 2_402_741 / 9 = 266_971 r2 = 266_971.22 -> 266_971
        pytest.param("E", 266_971, id="E-11-ninths-rounds-down"),
        # F: 218_431 * 13 / 9 = 2_839_603 / 9 = 315_511 r4 = 315_511.44 -> 315_511
        pytest.param("F", 315_511, id="F-13-ninths-rounds-down"),
        # G: 218_431 * 15 / 9 = 3_276_465 / 9 = 364_051 r6 = 364_051.67 -> 364_052
        pytest.param("G", 364_052, id="G-15-ninths-rounds-up"),
        # H: 218_431 * 18 / 9 = 2 * 218_431 = 436_862 exactly
        pytest.param("H", 436_862, id="H-double-band-d"),
        pytest.param("a", 145_621, id="lower-case-band-accepted"),
    ],
)
def test_annual_charge_by_band(band: str, expected: int) -> None:
    assert annual_charge(band, BAND_D) == expected


def test_annual_charge_rejects_unknown_band() -> None:
    with pytest.raises(KeyError):
        annual_charge("I", BAND_D)


# --- part-year charges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annual", "start", "end", "expected"),
    [
        # Move in 1 Oct 2026, liable to 31 Mar 2027: Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31
        # = 182 days of FY 2026/27 (365 days, Feb 2027 has 28).
        # 218_431 * 182 / 365 = 39_754_442 / 365 = 108_916 r102 = 108_916.28 -> 108_916
        pytest.param(BAND_D, date(2026, 10, 1), date(2027, 3, 31), 108_916, id="move-in-october-2026"),
        # 1 Apr 2026 - 30 Sep 2026 = 30 + 31 + 30 + 31 + 31 + 30 = 183 days of 365.
        # 218_431 * 183 / 365 = 39_972_873 / 365 = 109_514 r263 = 109_514.72 -> 109_515
        pytest.param(BAND_D, date(2026, 4, 1), date(2026, 9, 30), 109_515, id="first-half-2026"),
        # The whole of FY 2026/27 is 365/365 -> the annual charge.
        pytest.param(BAND_D, date(2026, 4, 1), date(2027, 3, 31), BAND_D, id="whole-year-2026-27"),
        # FY 2027/28 runs 1 Apr 2027 - 31 Mar 2028 and contains 29 Feb 2028: 366 days; whole year = annual.
        pytest.param(BAND_D, date(2027, 4, 1), date(2028, 3, 31), BAND_D, id="whole-leap-year-2027-28"),
        # 1 Oct 2027 - 31 Mar 2028 = 31 + 30 + 31 + 31 + 29 + 31 = 183 days of 366 = exactly half.
        # 218_431 / 2 = 109_215.5 -> half up -> 109_216
        pytest.param(BAND_D, date(2027, 10, 1), date(2028, 3, 31), 109_216, id="leap-half-year-rounds-half-up"),
        # One day in a 365-day year: 218_431 / 365 = 598 r161 = 598.44 -> 598
        pytest.param(BAND_D, date(2026, 6, 1), date(2026, 6, 1), 598, id="single-day-365"),
        # The same day in the leap year: 218_431 / 366 = 596 r295 = 596.81 -> 597
        pytest.param(BAND_D, date(2027, 6, 1), date(2027, 6, 1), 597, id="single-day-366"),
    ],
)
def test_charge_for_period(annual: int, start: date, end: date, expected: int) -> None:
    assert charge_for_period(annual, start, end) == expected


def test_band_change_mid_year_is_two_periods_at_two_bands() -> None:
    # Band C (194_161) from 1 Apr 2026 to 30 Sep 2026 = 183 days of 365:
    #   194_161 * 183 / 365 = 35_531_463 / 365 = 97_346 r173 = 97_346.47 -> 97_346
    # Band D (218_431) from 1 Oct 2026 to 31 Mar 2027 = 182 days of 365:
    #   218_431 * 182 / 365 = 108_916.28 -> 108_916
    # Year's charge = 97_346 + 108_916 = 206_262
    band_c = charge_for_period(annual_charge("C", BAND_D), date(2026, 4, 1), date(2026, 9, 30))
    band_d = charge_for_period(annual_charge("D", BAND_D), date(2026, 10, 1), date(2027, 3, 31))
    assert band_c == 97_346
    assert band_d == 108_916
    assert band_c + band_d == 206_262


def test_two_periods_at_one_band_add_back_to_the_annual_charge() -> None:
    # 109_515 (183 days, .72 rounded up) + 108_916 (182 days, .28 rounded down) = 218_431:
    # splitting a year at one band neither gains nor loses a penny.
    first = charge_for_period(BAND_D, date(2026, 4, 1), date(2026, 9, 30))
    second = charge_for_period(BAND_D, date(2026, 10, 1), date(2027, 3, 31))
    assert (first, second) == (109_515, 108_916)
    assert first + second == BAND_D


# --- instalment schedules -------------------------------------------------------------------------


def test_ten_instalments_april_to_january_rounding_on_first() -> None:
    # 218_431 // 10 = 21_843 r1 -> 21_844 then 21_843 x 9; 21_844 + 196_587 = 218_431
    schedule = instalment_schedule(BAND_D, date(2026, 4, 1), 10)
    assert [i.amount_pence for i in schedule] == [21_844] + [21_843] * 9
    assert sum(i.amount_pence for i in schedule) == BAND_D
    assert [i.due_date for i in schedule] == [
        date(2026, 4, 1),
        date(2026, 5, 1),
        date(2026, 6, 1),
        date(2026, 7, 1),
        date(2026, 8, 1),
        date(2026, 9, 1),
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_twelve_instalments_april_to_march_rounding_on_first() -> None:
    # 218_431 // 12 = 18_202 r7 -> 18_209 then 18_202 x 11; 18_209 + 200_222 = 218_431
    schedule = instalment_schedule(BAND_D, date(2026, 4, 15), 12)
    assert [i.amount_pence for i in schedule] == [18_209] + [18_202] * 11
    assert sum(i.amount_pence for i in schedule) == BAND_D
    assert schedule[0].due_date == date(2026, 4, 15)
    assert schedule[8].due_date == date(2026, 12, 15)
    assert schedule[9].due_date == date(2027, 1, 15)
    assert schedule[-1].due_date == date(2027, 3, 15)


@pytest.mark.parametrize(
    ("first_due", "expected"),
    [
        # Day 30 is kept at 28 so that February always has the date.
        pytest.param(
            date(2026, 11, 30),
            [date(2026, 11, 28), date(2026, 12, 28), date(2027, 1, 28), date(2027, 2, 28)],
            id="day-30-kept-at-28",
        ),
        pytest.param(
            date(2026, 12, 31),
            [date(2026, 12, 28), date(2027, 1, 28), date(2027, 2, 28), date(2027, 3, 28)],
            id="day-31-across-new-year",
        ),
        pytest.param(
            date(2026, 12, 28),
            [date(2026, 12, 28), date(2027, 1, 28), date(2027, 2, 28), date(2027, 3, 28)],
            id="day-28-unchanged",
        ),
    ],
)
def test_instalment_due_dates_keep_day_at_most_28(first_due: date, expected: list[date]) -> None:
    assert instalment_due_dates(first_due, 4) == expected


# --- allocating payments to instalments --------------------------------------------------------------

TEN = instalment_schedule(BAND_D, date(2026, 4, 1), 10)  # 21_844, then 21_843 x 9; 1st of Apr..Jan
TODAY = date(2026, 6, 15)  # April, May and June instalments have fallen due


def _table(instalments: list[Instalment]) -> list[tuple[InstalmentStatus, int]]:
    return [(i.status, i.paid_pence) for i in instalments]


@pytest.mark.parametrize(
    ("paid", "expected"),
    [
        # Nothing paid: Apr, May, Jun are past their due date -> OVERDUE; Jul..Jan -> DUE.
        pytest.param(0, [(OVERDUE, 0)] * 3 + [(DUE, 0)] * 7, id="paid-nothing"),
        # Exactly the first instalment (21_844): Apr PAID; May, Jun OVERDUE; the rest DUE.
        pytest.param(21_844, [(PAID, 21_844)] + [(OVERDUE, 0)] * 2 + [(DUE, 0)] * 7, id="paid-exactly-one"),
        # One and a half: 21_844 + 10_921 = 32_765 -> Apr PAID, May PART_PAID with 10_921, Jun OVERDUE.
        pytest.param(
            32_765,
            [(PAID, 21_844), (PART, 10_921), (OVERDUE, 0)] + [(DUE, 0)] * 7,
            id="paid-one-and-a-half",
        ),
        # Three in full: 21_844 + 21_843 + 21_843 = 65_530 -> Apr..Jun PAID, Jul..Jan DUE.
        pytest.param(65_530, [(PAID, 21_844)] + [(PAID, 21_843)] * 2 + [(DUE, 0)] * 7, id="paid-up-to-date"),
        # Overpaid (250_000 > 218_431): every instalment PAID, each only to its own amount.
        pytest.param(250_000, [(PAID, 21_844)] + [(PAID, 21_843)] * 9, id="overpaid"),
        # Net refunds (negative money received) count as nothing paid.
        pytest.param(-5_000, [(OVERDUE, 0)] * 3 + [(DUE, 0)] * 7, id="net-refund-is-nothing-paid"),
    ],
)
def test_instalments_with_status_allocates_oldest_first(
    paid: int, expected: list[tuple[InstalmentStatus, int]]
) -> None:
    result = instalments_with_status(TEN, paid, TODAY)
    assert _table(result) == expected
    assert [i.due_date for i in result] == [s.due_date for s in TEN]
    assert [i.amount_pence for i in result] == [s.amount_pence for s in TEN]


def test_instalment_due_today_is_due_not_overdue() -> None:
    result = instalments_with_status(TEN, 21_844, date(2026, 6, 1))
    # Apr PAID, May (1 May < 1 Jun) OVERDUE, Jun (due today) DUE.
    assert [i.status for i in result[:3]] == [PAID, OVERDUE, DUE]


def test_allocation_ignores_the_order_the_schedule_is_given_in() -> None:
    shuffled = [TEN[2], TEN[0], TEN[1]]
    result = instalments_with_status(shuffled, 21_844, TODAY)
    # Sorted by due date, the April instalment takes the money first.
    assert [(i.due_date, i.status) for i in result] == [
        (date(2026, 4, 1), PAID),
        (date(2026, 5, 1), OVERDUE),
        (date(2026, 6, 1), OVERDUE),
    ]


@pytest.mark.parametrize(
    ("paid", "expected_due"),
    [
        pytest.param(0, date(2026, 4, 1), id="nothing-paid-first-instalment"),
        pytest.param(21_844, date(2026, 5, 1), id="one-paid-second-instalment"),
        pytest.param(32_765, date(2026, 5, 1), id="part-paid-instalment-is-next"),
        pytest.param(65_530, date(2026, 7, 1), id="up-to-date-next-future-instalment"),
    ],
)
def test_next_instalment(paid: int, expected_due: date) -> None:
    found = next_instalment(instalments_with_status(TEN, paid, TODAY))
    assert found is not None
    assert found.due_date == expected_due


def test_next_instalment_none_when_all_paid() -> None:
    assert next_instalment(instalments_with_status(TEN, BAND_D, TODAY)) is None


# --- statement ----------------------------------------------------------------------------------------

ADDRESS = PostalAddress("1 Market Street", "B79 7BZ", town="Tamworth")


def _tx(day: date, kind: StatementLineKind, amount: int, description: str = "") -> Transaction:
    return Transaction(day, kind, description or kind.value.title(), amount)


def _account(transactions: tuple[Transaction, ...], liable_from: date = date(2025, 4, 1)) -> CouncilTaxAccountRecord:
    return CouncilTaxAccountRecord(
        reference="CT-0001",
        party_id="P-1",
        property_address=ADDRESS,
        band="D",
        liable_from=liable_from,
        liable_to=None,
        annual_charge_pence=BAND_D,
        transactions=transactions,
    )


def test_paid_towards_instalments_counts_payments_less_refunds_only() -> None:
    transactions = [
        _tx(date(2026, 4, 1), StatementLineKind.CHARGE, 218_431),
        _tx(date(2026, 4, 2), StatementLineKind.DISCOUNT, -54_608),
        _tx(date(2026, 4, 10), StatementLineKind.PAYMENT, -21_844),
        _tx(date(2026, 5, 10), StatementLineKind.PAYMENT, -21_843),
        _tx(date(2026, 5, 20), StatementLineKind.REFUND, 1_000),
    ]
    # Payments 21_844 + 21_843 = 43_687, less the 1_000 refund = 42_687; the discount is not money paid.
    assert paid_towards_instalments(transactions) == 42_687
    # Balance: 218_431 - 54_608 - 21_844 - 21_843 + 1_000 = 121_136
    assert balance(transactions) == 121_136


def test_latest_statement_brings_earlier_postings_forward() -> None:
    transactions = (
        # FY 2025/26: charged 200_000, paid 150_000 -> 50_000 owed at 31 March 2026.
        _tx(date(2025, 4, 1), StatementLineKind.CHARGE, 200_000),
        _tx(date(2025, 9, 1), StatementLineKind.PAYMENT, -150_000),
        # FY 2026/27, given out of order on purpose.
        _tx(date(2026, 5, 15), StatementLineKind.PAYMENT, -21_843),
        _tx(date(2026, 4, 1), StatementLineKind.CHARGE, 218_431),
        _tx(date(2026, 4, 15), StatementLineKind.PAYMENT, -21_844),
    )
    statement = latest_statement(_account(transactions), date(2026, 6, 15))
    assert statement is not None
    assert statement.period_start == date(2026, 4, 1)
    assert statement.period_end == date(2026, 6, 15)
    assert [(line.posted_on, line.kind, line.amount_pence) for line in statement.lines] == [
        (date(2026, 4, 1), StatementLineKind.ADJUSTMENT, 50_000),  # brought forward: 200_000 - 150_000
        (date(2026, 4, 1), StatementLineKind.CHARGE, 218_431),
        (date(2026, 4, 15), StatementLineKind.PAYMENT, -21_844),
        (date(2026, 5, 15), StatementLineKind.PAYMENT, -21_843),
    ]
    assert statement.lines[0].description == "Balance brought forward"
    # Closing: 50_000 + 218_431 - 21_844 - 21_843 = 224_744
    assert statement.closing_balance_pence == 224_744
    assert sum(line.amount_pence for line in statement.lines) == statement.closing_balance_pence
    assert statement.closing_balance_pence == balance(transactions)


def test_latest_statement_without_earlier_postings_has_no_brought_forward_line() -> None:
    # Moved in 10 May 2026: the statement starts at the move-in, not at 1 April.
    transactions = (
        _tx(date(2026, 5, 10), StatementLineKind.CHARGE, 192_000),
        _tx(date(2026, 6, 1), StatementLineKind.PAYMENT, -19_200),
    )
    statement = latest_statement(_account(transactions, liable_from=date(2026, 5, 10)), date(2026, 6, 15))
    assert statement is not None
    assert statement.period_start == date(2026, 5, 10)
    assert [line.kind for line in statement.lines] == [StatementLineKind.CHARGE, StatementLineKind.PAYMENT]
    # 192_000 - 19_200 = 172_800
    assert statement.closing_balance_pence == 172_800 == balance(transactions)


def test_latest_statement_in_credit_after_year_end() -> None:
    # Overpaid last year by 1_500; nothing posted yet this year -> one brought-forward line of -1_500.
    transactions = (
        _tx(date(2025, 4, 1), StatementLineKind.CHARGE, 100_000),
        _tx(date(2026, 3, 1), StatementLineKind.PAYMENT, -101_500),
    )
    statement = latest_statement(_account(transactions), date(2026, 4, 2))
    assert statement is not None
    assert [(line.kind, line.amount_pence) for line in statement.lines] == [(StatementLineKind.ADJUSTMENT, -1_500)]
    assert statement.closing_balance_pence == -1_500 == balance(transactions)


def test_latest_statement_none_without_postings() -> None:
    assert latest_statement(_account(()), date(2026, 6, 15)) is None
