"""Direct Debit: the instruction a resident gives to pay Council Tax or rent from their bank account.

Rules, from the Bacs Direct Debit scheme as councils run it:
- Bank details: a sort code is 6 digits (written "12-34-56" or "12 34 56"); an account number is
  8 digits. Some banks issue 6 or 7 digit numbers, which Bacs takes left-padded with zeros, as the
  Vocalink modulus-checking specification does ("1234567" is "01234567"). Longer numbers (building
  society roll numbers, 10-digit NatWest/Co-op forms) need the bank's own conversion: refused, with
  a message saying so. There is no kept library for the Vocalink modulus check (schwifty checks IBANs
  only; it has no GB national check), so the check a bank makes is the bank's: an instruction it
  refuses comes back REJECTED, and the resident sees that status on the account.
- The payer gets 10 working days' notice of the first collection on a new date (the Direct Debit
  Guarantee), so an instalment moves to the chosen day only from the first collection date on.
- Bank details are never shown back in full: the last 2 digits of the sort code, the last 4 of the
  account number.
Money is integer pence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from customer360.domain.council_tax import ScheduledInstalment, instalments_with_status
from customer360.domain.problems import Problem, required_text
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import working_days_after

# The Direct Debit Guarantee: the payer is told of a new collection date this many working days ahead.
NOTICE_WORKING_DAYS = 10
HOLDER_NAME_MAX_LENGTH = 18  # what a Bacs instruction carries of the account holder's name
ORGANISATION = "Tamworth Borough Council"
# The days of the month each back office collects on: the council's data, set per office.
PAYMENT_DAYS: Mapping[SourceSystem, tuple[int, ...]] = {
    SourceSystem.REVENUES: (1, 8, 15, 22, 28),
    SourceSystem.HOUSING_MANAGEMENT: tuple(range(1, 29)),
}

# The Direct Debit Guarantee, in the words Bacs requires every Direct Debit originator to show.
GUARANTEE = (
    "The Guarantee is offered by all banks and building societies that accept instructions to pay Direct Debits.",
    f"If there are any changes to the amount, date or frequency of your Direct Debit {ORGANISATION} will notify "
    f"you {NOTICE_WORKING_DAYS} working days in advance of your account being debited or as otherwise agreed. "
    f"If you request {ORGANISATION} to collect a payment, confirmation of the amount and date will be given to "
    "you at the time of the request.",
    f"If an error is made in the payment of your Direct Debit, by {ORGANISATION} or your bank or building "
    "society, you are entitled to a full and immediate refund of the amount paid from your bank or building "
    "society.",
    f"If you receive a refund you are not entitled to, you must pay it back when {ORGANISATION} asks you to.",
    "You can cancel a Direct Debit at any time by simply contacting your bank or building society. Written "
    "confirmation may be required. Please also notify us.",
)


class DirectDebitStatus(StrEnum):
    PENDING = "PENDING"  # taken by customer360, not yet lodged by the back office with the bank
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"  # the payer's bank refused it (account closed, no such account, ...)


class DirectDebitCode(StrEnum):
    INVALID_SORT_CODE = "INVALID_SORT_CODE"
    INVALID_ACCOUNT_NUMBER = "INVALID_ACCOUNT_NUMBER"
    DECLARATION_REQUIRED = "DECLARATION_REQUIRED"
    PAYMENT_DAY_NOT_OFFERED = "PAYMENT_DAY_NOT_OFFERED"
    ALREADY_SET_UP = "ALREADY_SET_UP"
    NO_DIRECT_DEBIT = "NO_DIRECT_DEBIT"


@dataclass(frozen=True, slots=True)
class BankDetails:
    """Checked and normalised: 6 digits and 8 digits. Never logged, never shown back (see `masked`)."""

    account_holder_name: str
    sort_code: str
    account_number: str

    def __repr__(self) -> str:  # a stray log of the object must not carry the numbers
        return (
            f"BankDetails(sort_code={masked_sort_code(self.sort_code)}, account={masked_account(self.account_number)})"
        )


@dataclass(frozen=True, slots=True)
class DirectDebitRecord:
    """An instruction as its back office holds it (bank details masked by the adapter: never in full)."""

    reference: str  # the customer360 reference it was given with (the back office's id beside it)
    system: SourceSystem
    account_reference: str
    account_holder_name: str
    sort_code: str  # masked, "••-••-56"
    account_ending: str  # the last 4 digits
    payment_day: int
    status: DirectDebitStatus
    set_up_on: date
    first_collection_on: date | None
    reason: str | None = None  # why the bank rejected it
    backoffice_reference: str | None = None


@dataclass(frozen=True, slots=True)
class OwnedAccount:
    """The account an instruction is for: the resident's own, and the office that owns it."""

    system: SourceSystem
    reference: str
    instructions: tuple[DirectDebitRecord, ...]  # as the office held them when the request came in
    # The office is down and owns it as it last showed: its instructions are unknown until it is back.
    as_last_seen: bool = False


@dataclass(frozen=True, slots=True)
class NewDirectDebit:
    """An instruction as delivered to its back office (the one place the details travel in full)."""

    external_reference: str
    account_reference: str
    bank: BankDetails
    payment_day: int
    set_up_on: date
    first_collection_on: date


@dataclass(frozen=True, slots=True)
class DirectDebitCancellation:
    external_reference: str  # the cancellation's own reference
    instruction_reference: str  # the instruction it cancels (its customer360 reference)
    account_reference: str
    cancelled_on: date


def sort_code_of(text: str) -> str | None:
    """The 6 digits of a sort code as residents write it ("12-34-56", "12 34 56", "123456"), or None."""
    digits = re.sub(r"[\s-]", "", text)
    return digits if re.fullmatch(r"[0-9]{6}", digits) else None


def account_number_of(text: str) -> str | None:
    """The 8 digits of an account number; 6 or 7 digits are left-padded with zeros as Bacs takes them."""
    digits = re.sub(r"[\s-]", "", text)
    return digits.zfill(8) if re.fullmatch(r"[0-9]{6,8}", digits) else None


def masked_sort_code(sort_code: str) -> str:
    return f"••-••-{sort_code[-2:]}"


def masked_account(account_number: str) -> str:
    return f"••••{account_number[-4:]}"


def bank_details(holder_name: str, sort_code: str, account_number: str) -> tuple[BankDetails | None, list[Problem]]:
    problems = required_text(
        holder_name, ("input", "accountHolderName"), "the account holder's name", HOLDER_NAME_MAX_LENGTH
    )
    code = sort_code_of(sort_code)
    if code is None:
        problems.append(
            Problem(
                ("input", "sortCode"),
                DirectDebitCode.INVALID_SORT_CODE,
                "Enter a valid sort code like 309430" if sort_code.strip() else "Enter a sort code",
            )
        )
    number = account_number_of(account_number)
    if number is None:
        problems.append(
            Problem(
                ("input", "accountNumber"),
                DirectDebitCode.INVALID_ACCOUNT_NUMBER,
                "Enter a valid account number like 00733445: it must be between 6 and 8 digits"
                if account_number.strip()
                else "Enter an account number",
            )
        )
    if problems or code is None or number is None:
        return None, problems
    return BankDetails(" ".join(holder_name.split()), code, number), []


def setup_problems(payment_day: int, declaration: bool, offered: Sequence[int]) -> list[Problem]:
    problems = []
    if payment_day not in offered:
        days = ", ".join(str(day) for day in offered) if len(offered) < 10 else f"{offered[0]} to {offered[-1]}"
        problems.append(
            Problem(
                ("input", "paymentDay"),
                DirectDebitCode.PAYMENT_DAY_NOT_OFFERED,
                f"Choose a payment day the council offers: {days}",
            )
        )
    if not declaration:
        problems.append(
            Problem(
                ("input", "declaration"),
                DirectDebitCode.DECLARATION_REQUIRED,
                "Confirm you are the account holder and the only person needed to authorise debits",
            )
        )
    return problems


def first_collection(set_up_on: date) -> date:
    """The first day a collection on a new date may be made: the Guarantee's notice, in working days."""
    return working_days_after(set_up_on, NOTICE_WORKING_DAYS)


def day_in_month(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when it has fewer (a payment day of 31 in April is the 30th)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def moved_instalments(
    schedule: Sequence[ScheduledInstalment], paid_pence: int, payment_day: int, first_collection_on: date
) -> tuple[ScheduledInstalment, ...]:
    """An instalment plan with its instalments still to collect falling on `payment_day` of their month.

    Amounts and the number of instalments never change. Unchanged: an instalment paid in full (what
    was paid is allocated oldest first), and one due before the first collection date (it is paid as
    before: a Direct Debit collects nothing without notice). One whose new date would fall before the
    first collection date is collected on that date instead.
    """
    statuses = instalments_with_status(schedule, paid_pence, first_collection_on)
    moved = []
    for held in statuses:
        if held.paid_pence >= held.amount_pence or held.due_date < first_collection_on:
            moved.append(ScheduledInstalment(held.due_date, held.amount_pence))
            continue
        on_day = day_in_month(held.due_date.year, held.due_date.month, payment_day)
        moved.append(ScheduledInstalment(max(on_day, first_collection_on), held.amount_pence))
    return tuple(moved)


def next_collection(today: date, payment_day: int, first_collection_on: date | None) -> date:
    """The next day a monthly Direct Debit collects on: `payment_day` on or after today and the first collection."""
    start = max(today, first_collection_on or today)
    candidate = day_in_month(start.year, start.month, payment_day)
    if candidate < start:
        month = start.month % 12 + 1
        candidate = day_in_month(start.year + (start.month == 12), month, payment_day)
    return candidate


def in_force(instructions: Sequence[DirectDebitRecord]) -> DirectDebitRecord | None:
    """The instruction that collects on an account: the newest active one (else none)."""
    active = [held for held in instructions if held.status is DirectDebitStatus.ACTIVE]
    return max(active, key=lambda held: held.set_up_on) if active else None


def not_ended(instructions: Sequence[DirectDebitRecord]) -> list[DirectDebitRecord]:
    """Instructions that still stand or may yet: a second one on the account would collect twice."""
    return [held for held in instructions if held.status in (DirectDebitStatus.PENDING, DirectDebitStatus.ACTIVE)]
