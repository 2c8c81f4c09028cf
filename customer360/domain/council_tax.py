"""Council Tax: bands, the annual charge, instalments and the statement.

Sources: Local Government Finance Act 1992 s.5 (band proportions of Band D); the Council Tax
(Administration and Enforcement) Regulations 1992, Schedule 1 (instalment schemes). Each
billing authority sets its Band D figure every financial year (1 April - 31 March); that figure is
data (the revenues system holds it), never code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from customer360.domain.money import split_evenly
from customer360.domain.people import PostalAddress
from customer360.domain.requests import RequestStatus

if TYPE_CHECKING:  # direct_debit moves instalments, so imports this module: the record only names its type
    from customer360.domain.direct_debit import DirectDebitRecord

# LGFA 1992 s.5(1): each band's charge as ninths of Band D.
BAND_NINTHS: dict[str, int] = {"A": 6, "B": 7, "C": 8, "D": 9, "E": 11, "F": 13, "G": 15, "H": 18}


class StatementLineKind(StrEnum):
    CHARGE = "CHARGE"
    DISCOUNT = "DISCOUNT"
    PAYMENT = "PAYMENT"
    ADJUSTMENT = "ADJUSTMENT"
    REFUND = "REFUND"


class InstalmentStatus(StrEnum):
    PAID = "PAID"
    DUE = "DUE"
    OVERDUE = "OVERDUE"
    PART_PAID = "PART_PAID"


class DiscountKind(StrEnum):
    SINGLE_PERSON = "SINGLE_PERSON"


class DiscountStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    REFUSED = "REFUSED"


# A discount application's status as My Requests and the resident's messages say it.
DISCOUNT_REQUEST_STATUS = {
    DiscountStatus.PENDING: RequestStatus.IN_PROGRESS,
    DiscountStatus.ACTIVE: RequestStatus.RESOLVED,
    DiscountStatus.ENDED: RequestStatus.CLOSED,
    DiscountStatus.REFUSED: RequestStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Transaction:
    """A posting on the account: charges positive, credits (discounts, payments) negative."""

    posted_on: date
    kind: StatementLineKind
    description: str
    amount_pence: int


@dataclass(frozen=True, slots=True)
class ScheduledInstalment:
    due_date: date
    amount_pence: int


@dataclass(frozen=True, slots=True)
class Instalment:
    due_date: date
    amount_pence: int
    status: InstalmentStatus
    paid_pence: int


@dataclass(frozen=True, slots=True)
class DiscountRecord:
    discount_id: str
    account_reference: str
    kind: DiscountKind
    status: DiscountStatus
    percent: int
    starts_on: date
    ends_on: date | None = None
    review_reason: str | None = None  # why an application is held for review
    external_reference: str | None = None  # the customer360 reference, when applied for through us


def as_of(discount: DiscountRecord, day: date) -> DiscountRecord:
    """The discount as a resident should read it on `day`. A back office marks a discount ENDED when
    it is told of the end, but it stays active until its end date (from which day it reads ENDED):
    someone who says in March that they will stop living alone in May keeps the discount till May."""
    if discount.status is DiscountStatus.ENDED and discount.ends_on is not None and discount.ends_on > day:
        return replace(discount, status=DiscountStatus.ACTIVE)
    return discount


@dataclass(frozen=True, slots=True)
class CouncilTaxAccountRecord:
    """A liability account as the revenues system holds it."""

    reference: str
    party_id: str
    property_address: PostalAddress
    band: str
    liable_from: date
    liable_to: date | None
    annual_charge_pence: int
    schedule: tuple[ScheduledInstalment, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    discounts: tuple[DiscountRecord, ...] = field(default=())
    direct_debits: tuple[DirectDebitRecord, ...] = ()  # newest first


@dataclass(frozen=True, slots=True)
class Statement:
    issued_on: date
    period_start: date
    period_end: date
    lines: tuple[Transaction, ...]
    closing_balance_pence: int


def financial_year_start(day: date) -> date:
    """Council Tax years run 1 April to 31 March."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def financial_year_end(day: date) -> date:
    start = financial_year_start(day)
    return date(start.year + 1, 3, 31)


def annual_charge(band: str, band_d_pence: int) -> int:
    """The full-year charge for a band, to the nearest penny (half up)."""
    ninths = BAND_NINTHS[band.upper()]
    return _round_half_up(Fraction(band_d_pence * ninths, 9))


def charge_for_period(annual_pence: int, start: date, end: date) -> int:
    """The charge for days `start`..`end` inclusive, pro-rata by day of the financial year.

    Liability is daily (LGFA 1992 s.2): a part year is the annual charge times days liable over
    days in the year (365 or 366).
    """
    year_start = financial_year_start(start)
    days_in_year = (date(year_start.year + 1, 4, 1) - year_start).days
    days = (end - start).days + 1
    return _round_half_up(Fraction(annual_pence * days, days_in_year))


def instalment_due_dates(first_due: date, count: int) -> list[date]:
    """Monthly due dates on the same day of the month (the day is kept at 28 or below)."""
    day = min(first_due.day, 28)
    dates = []
    for n in range(count):
        month_index = first_due.month - 1 + n
        dates.append(date(first_due.year + month_index // 12, month_index % 12 + 1, day))
    return dates


def instalment_schedule(total_pence: int, first_due: date, count: int) -> tuple[ScheduledInstalment, ...]:
    """Equal monthly instalments with the rounding pence on the first."""
    amounts = split_evenly(total_pence, count)
    return tuple(
        ScheduledInstalment(due, amount)
        for due, amount in zip(instalment_due_dates(first_due, count), amounts, strict=True)
    )


def balance(transactions: Iterable[Transaction]) -> int:
    return sum(t.amount_pence for t in transactions)


def paid_towards_instalments(transactions: Iterable[Transaction]) -> int:
    """Money received against the account: payments less refunds (credits are negative)."""
    return -sum(t.amount_pence for t in transactions if t.kind in (StatementLineKind.PAYMENT, StatementLineKind.REFUND))


def instalments_with_status(schedule: Sequence[ScheduledInstalment], paid_pence: int, today: date) -> list[Instalment]:
    """Allocate what was paid to instalments oldest first and give each its status."""
    remaining = max(paid_pence, 0)
    result = []
    for item in sorted(schedule, key=lambda s: s.due_date):
        covered = min(remaining, item.amount_pence)
        remaining -= covered
        if covered >= item.amount_pence:
            status = InstalmentStatus.PAID
        elif covered > 0:
            status = InstalmentStatus.PART_PAID
        elif item.due_date < today:
            status = InstalmentStatus.OVERDUE
        else:
            status = InstalmentStatus.DUE
        result.append(Instalment(item.due_date, item.amount_pence, status, covered))
    return result


def next_instalment(instalments: Sequence[Instalment]) -> Instalment | None:
    """The earliest instalment not yet paid in full."""
    return next((i for i in instalments if i.status is not InstalmentStatus.PAID), None)


def latest_statement(account: CouncilTaxAccountRecord, today: date) -> Statement | None:
    """The statement for this financial year to date; earlier postings are brought forward.

    Lines are signed and add up to the closing balance, which equals the account balance
    (postings dated after `today` do not exist in the revenues system).
    """
    if not account.transactions:
        return None
    period_start = max(financial_year_start(today), account.liable_from)
    period_end = min(today, account.liable_to) if account.liable_to else today
    earlier = [t for t in account.transactions if t.posted_on < period_start]
    lines: list[Transaction] = []
    if earlier:
        lines.append(
            Transaction(period_start, StatementLineKind.ADJUSTMENT, "Balance brought forward", balance(earlier))
        )
    lines.extend(sorted((t for t in account.transactions if t.posted_on >= period_start), key=lambda t: t.posted_on))
    return Statement(
        issued_on=today,
        period_start=period_start,
        period_end=max(period_end, period_start),
        lines=tuple(lines),
        closing_balance_pence=balance(lines),
    )


def _round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
