"""Single Person Discount: who may have it, from when, what it is worth, and what it does to instalments.

Local Government Finance Act 1992 s.11: where only one adult (18 or over) lives in a dwelling, the
charge is reduced by 25%. Liability is daily, so the discount is worth 25% of the charge for the
days it applies, and ends the day another adult moves in. The council reviews an application
when any of its systems knows another adult at the property.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountKind,
    DiscountRecord,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    Transaction,
    charge_for_period,
    financial_year_end,
)
from customer360.domain.money import percent_of, split_evenly
from customer360.domain.problems import Problem, optional_text
from customer360.domain.systems import SourceSystem

SERVICE_NAME = "Single Person Discount"
SINGLE_PERSON_PERCENT = 25
ADULT_AGE = 18
# How far ahead a resident may apply: a month covers a planned change of household.
MAX_DAYS_AHEAD = 30
MAX_REASON = 500


class DiscountCode(StrEnum):
    DECLARATION_REQUIRED = "DECLARATION_REQUIRED"
    STARTS_TOO_FAR_AHEAD = "STARTS_TOO_FAR_AHEAD"
    STARTS_BEFORE_LIABILITY = "STARTS_BEFORE_LIABILITY"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    NO_DISCOUNT_TO_END = "NO_DISCOUNT_TO_END"
    ENDS_BEFORE_START = "ENDS_BEFORE_START"
    ENDS_TOO_FAR_AHEAD = "ENDS_TOO_FAR_AHEAD"


@dataclass(frozen=True, slots=True)
class KnownAdult:
    """Someone a back office records at the property: why we think they live there, and their birth date."""

    described_as: str  # e.g. "a partner on your benefit claim" (never a name: this goes into history)
    date_of_birth: date | None


@dataclass(frozen=True, slots=True)
class DiscountApplication:
    """What the revenues system is asked to record; `external_reference` makes a retry a no-op."""

    external_reference: str
    account_reference: str
    starts_on: date
    status: DiscountStatus
    review_reason: str | None
    posted_on: date


@dataclass(frozen=True, slots=True)
class DiscountEnding:
    external_reference: str
    account_reference: str
    ends_on: date
    reason: str | None
    posted_on: date


@dataclass(frozen=True, slots=True)
class Posting:
    """What a discount change does to an account: a statement line and the instalments from now on."""

    line: Transaction | None
    schedule: tuple[ScheduledInstalment, ...]


def posting_for_start(account: CouncilTaxAccountRecord, starts_on: date, posted_on: date) -> Posting:
    value = discount_value(account, starts_on, None)
    line = Transaction(
        posted_on,
        StatementLineKind.DISCOUNT,
        f"Single person discount ({SINGLE_PERSON_PERCENT}%) from {starts_on.isoformat()}",
        -value,
    )
    new_total = net_charge([*account.transactions, line])
    return Posting(line if value else None, recalculated_schedule(account.schedule, new_total, posted_on))


def posting_for_end(
    account: CouncilTaxAccountRecord, discount: DiscountRecord, ends_on: date, posted_on: date
) -> Posting:
    """Ending gives back the part of the discount for the days after `ends_on`."""
    given = discount_value(account, discount.starts_on, discount.ends_on)
    kept = discount_value(account, discount.starts_on, ends_on)
    line = Transaction(
        posted_on,
        StatementLineKind.DISCOUNT,
        f"Single person discount ended on {ends_on.isoformat()}",
        given - kept,
    )
    new_total = net_charge([*account.transactions, line])
    return Posting(line if given != kept else None, recalculated_schedule(account.schedule, new_total, posted_on))


def age_on(date_of_birth: date, day: date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def other_adults(known: Sequence[KnownAdult], starts_on: date) -> list[KnownAdult]:
    """Those 18 or over on the day the discount would start (an unknown birth date counts: ask)."""
    return [k for k in known if k.date_of_birth is None or age_on(k.date_of_birth, starts_on) >= ADULT_AGE]


def review_reason(adults: Sequence[KnownAdult]) -> str | None:
    if not adults:
        return None
    return (
        "Held for review: our records show another adult at the property ("
        + "; ".join(adult.described_as for adult in adults)
        + ")"
    )


def current_single_person_discount(account: CouncilTaxAccountRecord) -> DiscountRecord | None:
    return next(
        (
            d
            for d in account.discounts
            if d.kind is DiscountKind.SINGLE_PERSON and d.status in (DiscountStatus.ACTIVE, DiscountStatus.PENDING)
        ),
        None,
    )


def application_problems(
    account: CouncilTaxAccountRecord, starts_on: date, declaration: bool, today: date, *, pending: bool = False
) -> list[Problem]:
    """`pending`: an application for this account is kept and on its way to REVENUES."""
    problems = []
    if not declaration:
        problems.append(
            Problem(
                ("input", "declaration"),
                DiscountCode.DECLARATION_REQUIRED,
                "Confirm that you are the only adult living at the property",
            )
        )
    if starts_on > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(
            Problem(
                ("input", "startsOn"),
                DiscountCode.STARTS_TOO_FAR_AHEAD,
                f"The start date can be at most {MAX_DAYS_AHEAD} days from today",
            )
        )
    if starts_on < account.liable_from:
        problems.append(
            Problem(
                ("input", "startsOn"),
                DiscountCode.STARTS_BEFORE_LIABILITY,
                f"The start date cannot be before you became liable ({account.liable_from.isoformat()})",
            )
        )
    if pending or current_single_person_discount(account):
        problems.append(
            Problem(
                ("input", "accountReference"),
                DiscountCode.ALREADY_APPLIED,
                "This account already has a single person discount, or an application for one",
            )
        )
    return problems


def removal_problems(
    account: CouncilTaxAccountRecord, ends_on: date, reason: str | None, today: date, *, pending: bool = False
) -> list[Problem]:
    """`pending`: an ending for this account is kept and on its way to REVENUES (nothing left to end)."""
    problems = optional_text(reason, ("input", "reason"), "the reason", MAX_REASON)
    current = current_single_person_discount(account)
    if current is None or pending:
        return [
            *problems,
            Problem(
                ("input", "accountReference"),
                DiscountCode.NO_DISCOUNT_TO_END,
                "This account has no single person discount to end",
            ),
        ]
    if ends_on < current.starts_on:
        problems.append(
            Problem(
                ("input", "endsOn"),
                DiscountCode.ENDS_BEFORE_START,
                f"The end date cannot be before the discount started ({current.starts_on.isoformat()})",
            )
        )
    if ends_on > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(
            Problem(
                ("input", "endsOn"),
                DiscountCode.ENDS_TOO_FAR_AHEAD,
                f"The end date can be at most {MAX_DAYS_AHEAD} days from today",
            )
        )
    return problems


def discount_value(account: CouncilTaxAccountRecord, starts_on: date, ends_on: date | None) -> int:
    """25% of the charge for the days the discount covers this financial year, to the penny."""
    first = max(starts_on, account.liable_from)
    # The year the discount is in, not the year the liability began: an account may be years old.
    year_end = financial_year_end(first)
    last = min(d for d in (ends_on, account.liable_to, year_end) if d is not None)
    if last < first:
        return 0
    return percent_of(charge_for_period(account.annual_charge_pence, first, last), SINGLE_PERSON_PERCENT)


def net_charge(transactions: Sequence[Transaction]) -> int:
    """What instalments must add up to: charges less discounts and adjustments, not payments."""
    return sum(
        t.amount_pence for t in transactions if t.kind not in (StatementLineKind.PAYMENT, StatementLineKind.REFUND)
    )


def recalculated_schedule(
    schedule: Sequence[ScheduledInstalment], new_total: int, today: date
) -> tuple[ScheduledInstalment, ...]:
    """Instalments already due stay as billed; those still to come share what is left, equally,
    with the rounding pence on the next one. If nothing is left to share, they fall to zero and the
    account carries the credit."""
    ordered = sorted(schedule, key=lambda item: item.due_date)
    billed = [item for item in ordered if item.due_date <= today]
    to_come = [item for item in ordered if item.due_date > today]
    if not to_come:
        return tuple(ordered)
    remaining = max(new_total - sum(item.amount_pence for item in billed), 0)
    amounts = split_evenly(remaining, len(to_come))
    return (
        *billed,
        *(ScheduledInstalment(item.due_date, amount) for item, amount in zip(to_come, amounts, strict=True)),
    )


@dataclass(frozen=True)
class ApplicationPayload:
    """What an application's submission and its REVENUES delivery carry (the keys are the stored rows')."""

    account_reference: str
    party_id: str
    starts_on: date
    status: DiscountStatus
    review_reason: str | None

    def as_payload(self) -> dict[str, Any]:
        return {
            "system": SourceSystem.REVENUES.value,
            "service_name": SERVICE_NAME,
            "description": f"Single Person Discount on account {self.account_reference} from {self.starts_on}",
            "account_reference": self.account_reference,
            "party_id": self.party_id,
            "starts_on": self.starts_on.isoformat(),
            "status": self.status.value,
            "review_reason": self.review_reason,
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ApplicationPayload:
        return cls(
            account_reference=kept["account_reference"],
            party_id=kept["party_id"],
            starts_on=date.fromisoformat(kept["starts_on"]),
            status=DiscountStatus(kept["status"]),
            review_reason=kept.get("review_reason"),
        )


@dataclass(frozen=True)
class RemovalPayload:
    account_reference: str
    party_id: str
    ends_on: date
    reason: str | None

    def as_payload(self) -> dict[str, Any]:
        return {
            "system": SourceSystem.REVENUES.value,
            "service_name": f"End {SERVICE_NAME}",
            "description": f"End the Single Person Discount on account {self.account_reference} on {self.ends_on}",
            "account_reference": self.account_reference,
            "party_id": self.party_id,
            "ends_on": self.ends_on.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> RemovalPayload:
        return cls(
            account_reference=kept["account_reference"],
            party_id=kept["party_id"],
            ends_on=date.fromisoformat(kept["ends_on"]),
            reason=kept["reason"],
        )
