"""Single Person Discount rules: proration, instalment recalculation, postings, validation, adults.

Every expected value is worked by hand in the comment beside it, in integer pence, rounded half up
at each step exactly as the council bills: first the charge for the days (annual x days / days in
the year), then 25% of that charge. Nothing here computes an expected value with the code under test.

The financial year 2026/27 runs 2026-04-01..2027-03-31: 365 days (February 2027 has 28).
The financial year 2027/28 runs 2027-04-01..2028-03-31: 366 days (29 February 2028).
"""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountKind,
    DiscountRecord,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    Transaction,
)
from customer360.domain.discounts import (
    DiscountCode,
    KnownAdult,
    age_on,
    application_problems,
    discount_value,
    other_adults,
    posting_for_end,
    posting_for_start,
    recalculated_schedule,
    removal_problems,
    review_reason,
)
from customer360.domain.people import PostalAddress
from customer360.domain.problems import CommonCode

BAND_D = 218_431  # £2,184.31 a year
ADDRESS = PostalAddress("1 Market Street", "B79 7BZ", town="Tamworth")
TODAY = date(2026, 11, 23)

CHARGE = StatementLineKind.CHARGE
DISCOUNT = StatementLineKind.DISCOUNT
PAYMENT = StatementLineKind.PAYMENT
ADJUSTMENT = StatementLineKind.ADJUSTMENT
REFUND = StatementLineKind.REFUND


def _account(
    *,
    liable_from: date = date(2026, 4, 1),
    liable_to: date | None = None,
    schedule: tuple[ScheduledInstalment, ...] = (),
    transactions: tuple[Transaction, ...] = (),
    discounts: tuple[DiscountRecord, ...] = (),
) -> CouncilTaxAccountRecord:
    return CouncilTaxAccountRecord(
        reference="CT-0001",
        party_id="P-1",
        property_address=ADDRESS,
        band="D",
        liable_from=liable_from,
        liable_to=liable_to,
        annual_charge_pence=BAND_D,
        schedule=schedule,
        transactions=transactions,
        discounts=discounts,
    )


def _discount(status: DiscountStatus, starts_on: date = date(2026, 4, 1)) -> DiscountRecord:
    return DiscountRecord("D-1", "CT-0001", DiscountKind.SINGLE_PERSON, status, 25, starts_on)


def _schedule(*amounts: tuple[date, int]) -> tuple[ScheduledInstalment, ...]:
    return tuple(ScheduledInstalment(due, pence) for due, pence in amounts)


def _amounts(schedule: tuple[ScheduledInstalment, ...]) -> list[tuple[date, int]]:
    return [(item.due_date, item.amount_pence) for item in schedule]


# Ten instalments 1 April 2026 .. 1 January 2027 of the full band D charge:
#   218_431 / 10 = 21_843 remainder 1 -> the first is 21_844, the other nine 21_843.
#   Check: 21_844 + 9 x 21_843 = 21_844 + 196_587 = 218_431.
DUE_DATES = [date(2026, m, 1) for m in range(4, 13)] + [date(2027, 1, 1)]
TEN = _schedule(*zip(DUE_DATES, [21_844] + [21_843] * 9, strict=True))
# Billed by 2026-11-23 (April..November, eight instalments): 21_844 + 7 x 21_843 = 21_844 + 152_901 = 174_745.
BILLED_BY_23_NOV = 174_745
DEC = date(2026, 12, 1)
JAN = date(2027, 1, 1)


# --- discount_value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("liable_from", "liable_to", "starts_on", "ends_on", "expected"),
    [
        # 365 of 365 days: charge 218_431; 25% = 54_607.75 -> 54_608.
        pytest.param(date(2026, 4, 1), None, date(2026, 4, 1), None, 54_608, id="full-year"),
        # 2026-11-23..2027-03-31 = 8 (Nov 23-30) + 31 + 31 + 28 + 31 = 129 days.
        # 218_431 x 129 = 28_177_599; / 365 = 77_198.901... -> 77_199.
        # 25% = 19_299.75 -> 19_300.
        pytest.param(date(2026, 4, 1), None, date(2026, 11, 23), None, 19_300, id="starts-mid-year"),
        # Same but from 2026-11-25: 127 days. 218_431 x 127 = 27_740_737; / 365 = 76_002.019... -> 76_002.
        # 25% = 19_000.50 -> 19_001 (half up).
        pytest.param(date(2026, 4, 1), None, date(2026, 11, 25), None, 19_001, id="starts-mid-year-half-up"),
        # Asks from 2026-05-01 but liable only from 2026-07-01: clamped to 2026-07-01.
        # 2026-07-01..2027-03-31 = 31+31+30+31+30+31+31+28+31 = 274 days.
        # 218_431 x 274 = 59_850_094; / 365 = 163_972.860... -> 163_973. 25% = 40_993.25 -> 40_993.
        pytest.param(date(2026, 7, 1), None, date(2026, 5, 1), None, 40_993, id="start-before-liability-clamped"),
        # Moved out: liable to 2026-10-31; discount from 2026-08-15 runs to the liability end.
        # 2026-08-15..2026-10-31 = 17 + 30 + 31 = 78 days.
        # 218_431 x 78 = 17_037_618; / 365 = 46_678.405... -> 46_678. 25% = 11_669.50 -> 11_670 (half up).
        pytest.param(date(2026, 4, 1), date(2026, 10, 31), date(2026, 8, 15), None, 11_670, id="moved-out"),
        # An end date after the liability end is cut back to the liability end: same 78 days -> 11_670.
        pytest.param(
            date(2026, 4, 1),
            date(2026, 10, 31),
            date(2026, 8, 15),
            date(2027, 1, 31),
            11_670,
            id="ends-after-moving-out",
        ),
        # 2026-06-01..2026-09-30 = 30 + 31 + 31 + 30 = 122 days.
        # 218_431 x 122 = 26_648_582; / 365 = 73_009.813... -> 73_010. 25% = 18_252.50 -> 18_253 (half up).
        pytest.param(date(2026, 4, 1), None, date(2026, 6, 1), date(2026, 9, 30), 18_253, id="start-and-end"),
        # One day: 218_431 / 365 = 598.441... -> 598. 25% = 149.50 -> 150.
        pytest.param(date(2026, 4, 1), None, date(2026, 11, 23), date(2026, 11, 23), 150, id="single-day"),
        # An end date past 31 March stops at the year end: 129 days as in starts-mid-year -> 19_300.
        pytest.param(date(2026, 4, 1), None, date(2026, 11, 23), date(2027, 6, 30), 19_300, id="ends-after-year-end"),
        # Leap year 2027/28: 2028-02-29..2028-03-31 = 1 + 31 = 32 days of 366.
        # 218_431 x 32 = 6_989_792; / 366 = 19_097.792... -> 19_098. 25% = 4_774.50 -> 4_775.
        pytest.param(date(2027, 4, 1), None, date(2028, 2, 29), None, 4_775, id="leap-year-366-days"),
        pytest.param(date(2026, 4, 1), None, date(2026, 9, 30), date(2026, 9, 29), 0, id="ends-before-start"),
        # Starts after the liability ended (moved out 2026-10-31): nothing to discount.
        pytest.param(date(2026, 4, 1), date(2026, 10, 31), date(2026, 11, 23), None, 0, id="starts-after-moving-out"),
    ],
)
def test_discount_value(
    liable_from: date, liable_to: date | None, starts_on: date, ends_on: date | None, expected: int
) -> None:
    account = _account(liable_from=liable_from, liable_to=liable_to)
    assert discount_value(account, starts_on, ends_on) == expected


@pytest.mark.parametrize(
    ("liable_from", "starts_on", "expected"),
    [
        # Liable since 2025-04-01 (still liable), discount from 2026-11-23: the same 129 days of 2026/27
        # as starts-mid-year above -> 19_300 (the year the discount is in, not the year liability began).
        pytest.param(date(2025, 4, 1), date(2026, 11, 23), 19_300, id="liable-since-last-year"),
        # Liable since 2019-06-10; discount for the whole of 2026/27 -> 54_608 (as full-year above).
        pytest.param(date(2019, 6, 10), date(2026, 4, 1), 54_608, id="liable-since-2019"),
    ],
)
def test_discount_value_for_an_account_liable_since_an_earlier_year(
    liable_from: date, starts_on: date, expected: int
) -> None:
    assert discount_value(_account(liable_from=liable_from), starts_on, None) == expected


# --- recalculated_schedule --------------------------------------------------------------------------


BILLED_APR_TO_NOV = [(item.due_date, item.amount_pence) for item in TEN[:8]]


@pytest.mark.parametrize(
    ("today", "new_total", "expected"),
    [
        # Discount from 2026-11-23 (19_300): new total 218_431 - 19_300 = 199_131.
        # Left for Dec + Jan: 199_131 - 174_745 = 24_386; / 2 = 12_193 remainder 0.
        pytest.param(TODAY, 199_131, [*BILLED_APR_TO_NOV, (DEC, 12_193), (JAN, 12_193)], id="discount-splits-evenly"),
        # Discount from 2026-11-25 (19_001): new total 218_431 - 19_001 = 199_430.
        # Left: 199_430 - 174_745 = 24_685; / 2 = 12_342 remainder 1 -> December (the next) 12_343, January 12_342.
        pytest.param(
            TODAY, 199_430, [*BILLED_APR_TO_NOV, (DEC, 12_343), (JAN, 12_342)], id="rounding-penny-on-december"
        ),
        # Three to come on 2026-10-15 (Nov, Dec, Jan). Billed Apr..Oct: 21_844 + 6 x 21_843 = 152_902.
        # Left: 199_131 - 152_902 = 46_229; / 3 = 15_409 remainder 2 -> November 15_411, then 15_409, 15_409.
        pytest.param(
            date(2026, 10, 15),
            199_131,
            [*BILLED_APR_TO_NOV[:7], (date(2026, 11, 1), 15_411), (DEC, 15_409), (JAN, 15_409)],
            id="two-rounding-pence-on-november",
        ),
        # Ending a discount raises the total: 240_000 - 174_745 = 65_255; / 2 = 32_627 remainder 1.
        pytest.param(
            TODAY, 240_000, [*BILLED_APR_TO_NOV, (DEC, 32_628), (JAN, 32_627)], id="higher-total-after-ending"
        ),
        # Billed already exceeds the new total: 150_000 - 174_745 = -24_745 -> nothing left, both fall to 0.
        pytest.param(TODAY, 150_000, [*BILLED_APR_TO_NOV, (DEC, 0), (JAN, 0)], id="negative-remainder-zero"),
        # Exactly what was billed: 174_745 - 174_745 = 0 -> 0, 0.
        pytest.param(TODAY, BILLED_BY_23_NOV, [*BILLED_APR_TO_NOV, (DEC, 0), (JAN, 0)], id="nothing-left-exactly"),
        # Due today counts as billed: on 2026-12-01 December (21_843) stays. Billed 174_745 + 21_843 = 196_588.
        # Left for January: 199_131 - 196_588 = 2_543.
        pytest.param(
            date(2026, 12, 1), 199_131, [*BILLED_APR_TO_NOV, (DEC, 21_843), (JAN, 2_543)], id="due-today-is-billed"
        ),
        # Before the first instalment everything is re-split: 199_131 / 10 = 19_913 remainder 1 -> April 19_914.
        pytest.param(
            date(2026, 3, 20),
            199_131,
            list(zip(DUE_DATES, [19_914] + [19_913] * 9, strict=True)),
            id="nothing-billed-yet",
        ),
        # 1 January is the last instalment and it is due today: nothing to come, schedule unchanged.
        pytest.param(date(2027, 1, 1), 100_000, _amounts(TEN), id="none-left-unchanged"),
        pytest.param(date(2027, 2, 15), 300_000, _amounts(TEN), id="after-last-unchanged"),
    ],
)
def test_recalculated_schedule(today: date, new_total: int, expected: list[tuple[date, int]]) -> None:
    result = recalculated_schedule(TEN, new_total, today)
    assert _amounts(result) == expected
    # Whatever happens, the instalments add up to the new total, or to what was already billed if more.
    billed = sum(item.amount_pence for item in TEN if item.due_date <= today)
    if any(item.due_date > today for item in TEN):
        assert sum(item.amount_pence for item in result) == max(new_total, billed)


def test_recalculated_schedule_orders_an_unordered_schedule() -> None:
    # Same as rounding-penny-on-december, with the schedule given back to front.
    result = recalculated_schedule(tuple(reversed(TEN)), 199_430, TODAY)
    assert _amounts(result) == [*BILLED_APR_TO_NOV, (DEC, 12_343), (JAN, 12_342)]


def test_recalculated_schedule_of_nothing_is_nothing() -> None:
    assert recalculated_schedule((), 199_131, TODAY) == ()


# --- posting_for_start / posting_for_end ------------------------------------------------------------


def _net_charge(transactions: tuple[Transaction, ...]) -> int:
    """Charges, discounts and adjustments; payments and refunds are money, not charge."""
    return sum(t.amount_pence for t in transactions if t.kind not in (PAYMENT, REFUND))


START_ACCOUNT = _account(
    schedule=TEN,
    transactions=(
        Transaction(date(2026, 4, 1), CHARGE, "Council Tax 2026/27, band D", 218_431),
        Transaction(date(2026, 4, 1), PAYMENT, "Direct Debit", -21_844),
        Transaction(date(2026, 5, 1), PAYMENT, "Direct Debit", -21_843),
        Transaction(date(2026, 6, 10), ADJUSTMENT, "Small balance written off", -431),
        Transaction(date(2026, 7, 1), REFUND, "Refund of overpayment", 500),
    ),
)


def test_posting_for_start_mid_year() -> None:
    posting = posting_for_start(START_ACCOUNT, date(2026, 11, 23), TODAY)
    # 129 days from 2026-11-23 -> 19_300 (worked in test_discount_value, starts-mid-year).
    assert posting.line == Transaction(TODAY, DISCOUNT, "Single person discount (25%) from 2026-11-23", -19_300)
    # Net charge after the line: 218_431 - 431 - 19_300 = 198_700 (payments -43_687 and refund +500 excluded).
    # Left for Dec + Jan: 198_700 - 174_745 = 23_955; / 2 = 11_977 remainder 1 -> December 11_978.
    assert _amounts(posting.schedule) == [*BILLED_APR_TO_NOV, (DEC, 11_978), (JAN, 11_977)]
    assert sum(item.amount_pence for item in posting.schedule) == 198_700
    assert sum(item.amount_pence for item in posting.schedule) == _net_charge(
        (*START_ACCOUNT.transactions, posting.line)
    )


def test_posting_for_start_worth_nothing_has_no_line() -> None:
    # Moved out on 2026-10-31; a start on 2026-11-23 covers no liable days -> no statement line,
    # and the schedule still adds up to the charge as it stands: 218_431 - 431 = 218_000.
    # Left for Dec + Jan: 218_000 - 174_745 = 43_255; / 2 = 21_627 remainder 1 -> December 21_628.
    account = _account(liable_to=date(2026, 10, 31), schedule=TEN, transactions=START_ACCOUNT.transactions)
    posting = posting_for_start(account, date(2026, 11, 23), TODAY)
    assert posting.line is None
    assert _amounts(posting.schedule) == [*BILLED_APR_TO_NOV, (DEC, 21_628), (JAN, 21_627)]


# A full-year discount posted on 1 April: 54_608 (full-year above). Net 218_431 - 54_608 = 163_823.
# Ten instalments of that: 163_823 / 10 = 16_382 remainder 3 -> April 16_385, then nine of 16_382.
# Billed April..November: 16_385 + 7 x 16_382 = 16_385 + 114_674 = 131_059.
FULL_YEAR_SCHEDULE = _schedule(*zip(DUE_DATES, [16_385] + [16_382] * 9, strict=True))
FULL_YEAR_ACCOUNT = _account(
    schedule=FULL_YEAR_SCHEDULE,
    transactions=(
        Transaction(date(2026, 4, 1), CHARGE, "Council Tax 2026/27, band D", 218_431),
        Transaction(date(2026, 4, 1), DISCOUNT, "Single person discount (25%)", -54_608),
        Transaction(date(2026, 4, 1), PAYMENT, "Direct Debit", -16_385),
    ),
    discounts=(_discount(DiscountStatus.ACTIVE, date(2026, 4, 1)),),
)


def test_posting_for_end_gives_back_the_days_after_the_end() -> None:
    # Another adult moves in on 2026-11-23, so the discount ends on 2026-11-22.
    # Kept: 2026-04-01..2026-11-22 = 236 days. 218_431 x 236 = 51_549_716; / 365 = 141_232.098... -> 141_232.
    # 25% = 35_308.00 -> 35_308. Given back: 54_608 - 35_308 = 19_300.
    posting = posting_for_end(FULL_YEAR_ACCOUNT, FULL_YEAR_ACCOUNT.discounts[0], date(2026, 11, 22), TODAY)
    assert posting.line == Transaction(TODAY, DISCOUNT, "Single person discount ended on 2026-11-22", 19_300)
    # Net after: 218_431 - 54_608 + 19_300 = 183_123. Left for Dec + Jan: 183_123 - 131_059 = 52_064 -> 26_032 each.
    billed = [(item.due_date, item.amount_pence) for item in FULL_YEAR_SCHEDULE[:8]]
    assert _amounts(posting.schedule) == [*billed, (DEC, 26_032), (JAN, 26_032)]
    assert sum(item.amount_pence for item in posting.schedule) == 183_123
    assert sum(item.amount_pence for item in posting.schedule) == _net_charge(
        (*FULL_YEAR_ACCOUNT.transactions, posting.line)
    )


def test_posting_for_end_on_the_start_day_keeps_only_that_day() -> None:
    # Discount from 2026-11-23 already posted (-19_300) and the schedule recalculated (Dec, Jan 12_193 each).
    account = _account(
        schedule=_schedule(*BILLED_APR_TO_NOV, (DEC, 12_193), (JAN, 12_193)),
        transactions=(
            Transaction(date(2026, 4, 1), CHARGE, "Council Tax 2026/27, band D", 218_431),
            Transaction(TODAY, DISCOUNT, "Single person discount (25%) from 2026-11-23", -19_300),
        ),
        discounts=(_discount(DiscountStatus.PENDING, TODAY),),
    )
    posting = posting_for_end(account, account.discounts[0], TODAY, TODAY)
    # Kept: the one day 2026-11-23 -> 150 (single-day above). Given back: 19_300 - 150 = 19_150, which is
    # also the discount for everything after it, 2026-11-24..2027-03-31 (128 days):
    # 218_431 x 128 = 27_959_168; / 365 = 76_600.460... -> 76_600; 25% = 19_150.
    assert posting.line == Transaction(TODAY, DISCOUNT, "Single person discount ended on 2026-11-23", 19_150)
    # Net after: 218_431 - 19_300 + 19_150 = 218_281. Left: 218_281 - 174_745 = 43_536 -> 21_768 each.
    assert _amounts(posting.schedule) == [*BILLED_APR_TO_NOV, (DEC, 21_768), (JAN, 21_768)]
    assert sum(item.amount_pence for item in posting.schedule) == 218_281


def test_posting_for_end_at_year_end_gives_nothing_back() -> None:
    # Ending on 2027-03-31 (the year end) keeps all 54_608: no line; schedule re-split on 163_823 as it stands.
    # Left for Dec + Jan: 163_823 - 131_059 = 32_764 -> 16_382 each (unchanged).
    posting = posting_for_end(FULL_YEAR_ACCOUNT, FULL_YEAR_ACCOUNT.discounts[0], date(2027, 3, 31), TODAY)
    assert posting.line is None
    assert _amounts(posting.schedule) == _amounts(FULL_YEAR_SCHEDULE)


# --- application_problems / removal_problems ---------------------------------------------------------


def _codes(problems: list) -> list[tuple[tuple[str, ...] | None, str]]:
    return [(p.field, p.code) for p in problems]


@pytest.mark.parametrize(
    ("starts_on", "declaration", "discounts", "expected"),
    [
        pytest.param(TODAY, True, (), [], id="valid-today"),
        pytest.param(date(2026, 4, 1), True, (), [], id="valid-on-liability-start"),
        pytest.param(
            TODAY, False, (), [(("input", "declaration"), DiscountCode.DECLARATION_REQUIRED)], id="no-declaration"
        ),
        # 2026-11-23 + 30 days = 2026-12-23: allowed (at most 30 days ahead).
        pytest.param(date(2026, 12, 23), True, (), [], id="30-days-ahead-allowed"),
        # 2026-11-23 + 31 days = 2026-12-24: refused.
        pytest.param(
            date(2026, 12, 24),
            True,
            (),
            [(("input", "startsOn"), DiscountCode.STARTS_TOO_FAR_AHEAD)],
            id="31-days-ahead-refused",
        ),
        pytest.param(
            date(2026, 3, 31),
            True,
            (),
            [(("input", "startsOn"), DiscountCode.STARTS_BEFORE_LIABILITY)],
            id="day-before-liability",
        ),
        pytest.param(
            TODAY,
            True,
            (_discount(DiscountStatus.ACTIVE),),
            [(("input", "accountReference"), DiscountCode.ALREADY_APPLIED)],
            id="already-active",
        ),
        pytest.param(
            TODAY,
            True,
            (_discount(DiscountStatus.PENDING),),
            [(("input", "accountReference"), DiscountCode.ALREADY_APPLIED)],
            id="already-pending",
        ),
        pytest.param(TODAY, True, (_discount(DiscountStatus.ENDED),), [], id="ended-allows-new"),
        pytest.param(TODAY, True, (_discount(DiscountStatus.REFUSED),), [], id="refused-allows-new"),
        pytest.param(
            date(2026, 3, 1),
            False,
            (_discount(DiscountStatus.ENDED), _discount(DiscountStatus.PENDING)),
            [
                (("input", "declaration"), DiscountCode.DECLARATION_REQUIRED),
                (("input", "startsOn"), DiscountCode.STARTS_BEFORE_LIABILITY),
                (("input", "accountReference"), DiscountCode.ALREADY_APPLIED),
            ],
            id="every-problem-at-once",
        ),
    ],
)
def test_application_problems(
    starts_on: date, declaration: bool, discounts: tuple[DiscountRecord, ...], expected: list
) -> None:
    account = _account(discounts=discounts)
    assert _codes(application_problems(account, starts_on, declaration, TODAY)) == expected


def test_starts_before_liability_message_names_the_liability_date() -> None:
    [problem] = application_problems(_account(), date(2026, 3, 31), True, TODAY)
    assert "2026-04-01" in problem.message


ACTIVE_FROM_1_JUNE = (_discount(DiscountStatus.ACTIVE, date(2026, 6, 1)),)


@pytest.mark.parametrize(
    ("discounts", "ends_on", "reason", "expected"),
    [
        pytest.param(ACTIVE_FROM_1_JUNE, TODAY, None, [], id="valid"),
        pytest.param(ACTIVE_FROM_1_JUNE, date(2026, 6, 1), "Partner moved in", [], id="ends-on-start-day"),
        pytest.param(
            (_discount(DiscountStatus.PENDING, date(2026, 6, 1)),), TODAY, None, [], id="pending-can-be-ended"
        ),
        pytest.param(
            (),
            TODAY,
            None,
            [(("input", "accountReference"), DiscountCode.NO_DISCOUNT_TO_END)],
            id="no-discount",
        ),
        pytest.param(
            (_discount(DiscountStatus.ENDED), _discount(DiscountStatus.REFUSED)),
            TODAY,
            None,
            [(("input", "accountReference"), DiscountCode.NO_DISCOUNT_TO_END)],
            id="only-ended-or-refused",
        ),
        pytest.param(
            ACTIVE_FROM_1_JUNE,
            date(2026, 5, 31),
            None,
            [(("input", "endsOn"), DiscountCode.ENDS_BEFORE_START)],
            id="ends-day-before-start",
        ),
        # 2026-11-23 + 30 = 2026-12-23 allowed; + 31 = 2026-12-24 refused.
        pytest.param(ACTIVE_FROM_1_JUNE, date(2026, 12, 23), None, [], id="ends-30-days-ahead-allowed"),
        pytest.param(
            ACTIVE_FROM_1_JUNE,
            date(2026, 12, 24),
            None,
            [(("input", "endsOn"), DiscountCode.ENDS_TOO_FAR_AHEAD)],
            id="ends-31-days-ahead-refused",
        ),
        pytest.param(ACTIVE_FROM_1_JUNE, TODAY, "x" * 500, [], id="reason-500-allowed"),
        pytest.param(
            ACTIVE_FROM_1_JUNE,
            TODAY,
            "x" * 501,
            [(("input", "reason"), CommonCode.TOO_LONG)],
            id="reason-501-too-long",
        ),
        pytest.param(
            (),
            TODAY,
            "x" * 501,
            [
                (("input", "reason"), CommonCode.TOO_LONG),
                (("input", "accountReference"), DiscountCode.NO_DISCOUNT_TO_END),
            ],
            id="too-long-and-no-discount",
        ),
    ],
)
def test_removal_problems(
    discounts: tuple[DiscountRecord, ...], ends_on: date, reason: str | None, expected: list
) -> None:
    account = _account(discounts=discounts)
    assert _codes(removal_problems(account, ends_on, reason, TODAY)) == expected


# --- other adults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        pytest.param(date(2008, 11, 23), date(2026, 11, 23), 18, id="18th-birthday"),
        pytest.param(date(2008, 11, 23), date(2026, 11, 22), 17, id="day-before-18th-birthday"),
        pytest.param(date(2008, 11, 24), date(2026, 11, 23), 17, id="birthday-tomorrow"),
        pytest.param(date(1970, 1, 1), date(2026, 12, 31), 56, id="late-in-year"),
        # Born on a leap day: in a non-leap year the birthday is reached on 1 March, not 28 February.
        pytest.param(date(2008, 2, 29), date(2026, 2, 28), 17, id="leap-day-born-28-feb"),
        pytest.param(date(2008, 2, 29), date(2026, 3, 1), 18, id="leap-day-born-1-march"),
        pytest.param(date(2008, 2, 29), date(2028, 2, 29), 20, id="leap-day-born-leap-year"),
    ],
)
def test_age_on(born: date, on: date, expected: int) -> None:
    assert age_on(born, on) == expected


PARTNER_18_TODAY = KnownAdult("a partner on your benefit claim", date(2008, 11, 23))
CHILD_18_TOMORROW = KnownAdult("a child on your benefit claim", date(2008, 11, 24))
JOINT_TENANT_UNKNOWN_DOB = KnownAdult("a joint tenant on your housing tenancy", None)
PARENT = KnownAdult("an adult on your benefit claim", date(1960, 5, 5))


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        pytest.param([], [], id="nobody"),
        pytest.param([PARTNER_18_TODAY], [PARTNER_18_TODAY], id="18-on-start-day-counts"),
        pytest.param([CHILD_18_TOMORROW], [], id="17-on-start-day-does-not"),
        pytest.param([JOINT_TENANT_UNKNOWN_DOB], [JOINT_TENANT_UNKNOWN_DOB], id="unknown-birth-date-counts"),
        pytest.param(
            [CHILD_18_TOMORROW, PARENT, JOINT_TENANT_UNKNOWN_DOB],
            [PARENT, JOINT_TENANT_UNKNOWN_DOB],
            id="mixed-keeps-order",
        ),
    ],
)
def test_other_adults_on_start_day(known: list[KnownAdult], expected: list[KnownAdult]) -> None:
    assert other_adults(known, TODAY) == expected


def test_other_adults_a_day_later_the_child_has_turned_18() -> None:
    assert other_adults([CHILD_18_TOMORROW], date(2026, 11, 24)) == [CHILD_18_TOMORROW]


@pytest.mark.parametrize(
    ("adults", "expected"),
    [
        pytest.param([], None, id="nobody-no-review"),
        pytest.param(
            [PARTNER_18_TODAY],
            "Held for review: our records show another adult at the property (a partner on your benefit claim)",
            id="one",
        ),
        pytest.param(
            [PARTNER_18_TODAY, JOINT_TENANT_UNKNOWN_DOB],
            "Held for review: our records show another adult at the property "
            "(a partner on your benefit claim; a joint tenant on your housing tenancy)",
            id="two",
        ),
    ],
)
def test_review_reason(adults: list[KnownAdult], expected: str | None) -> None:
    reason = review_reason(adults)
    assert reason == expected
    for adult in adults:
        assert adult.described_as in (reason or "")
    # Only descriptions go into history: no birth date (and no name, which KnownAdult never carries).
    for adult in adults:
        if adult.date_of_birth is not None:
            assert adult.date_of_birth.isoformat() not in (reason or "")
