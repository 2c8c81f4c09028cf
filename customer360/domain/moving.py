"""Telling the council once that you are moving: the rules, and the notice each back office gets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountRecord,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    Transaction,
    charge_for_period,
    financial_year_end,
    instalment_schedule,
)
from customer360.domain.discounts import (
    current_single_person_discount,
    net_charge,
    posting_for_end,
    recalculated_schedule,
)
from customer360.domain.people import PostalAddress
from customer360.domain.problems import Problem
from customer360.domain.submissions import NOT_REFUSED, Submission, SubmissionKind, kept_of_kind

# A move can be told up to three months either side of the day: later than that, backdating
# Council Tax and benefits needs a person to look at it.
MOVE_WINDOW = timedelta(days=92)


class MoveKind(StrEnum):
    IN = "IN"  # moving into the borough
    OUT = "OUT"  # leaving the borough
    WITHIN = "WITHIN"  # from one home in the borough to another


class MoveCode(StrEnum):
    MOVE_DATE_TOO_EARLY = "MOVE_DATE_TOO_EARLY"
    MOVE_DATE_TOO_LATE = "MOVE_DATE_TOO_LATE"
    ADDRESS_REQUIRED = "ADDRESS_REQUIRED"
    ADDRESS_NOT_FOUND = "ADDRESS_NOT_FOUND"
    ADDRESS_AMBIGUOUS = "ADDRESS_AMBIGUOUS"
    ADDRESS_NOT_IN_BOROUGH = "ADDRESS_NOT_IN_BOROUGH"
    ADDRESS_IN_BOROUGH = "ADDRESS_IN_BOROUGH"
    ALREADY_TOLD = "ALREADY_TOLD"


@dataclass(frozen=True, slots=True)
class MoveNotice:
    """One back office's part of a move; `external_reference` makes a retried delivery a no-op."""

    external_reference: str
    record_id: str  # the person's id in that back office
    kind: MoveKind
    move_date: date
    new_address: PostalAddress | None
    posted_on: date


def move_date_problems(move_date: date, today: date) -> list[Problem]:
    if move_date < today - MOVE_WINDOW:
        return [
            Problem(
                ("input", "moveDate"),
                MoveCode.MOVE_DATE_TOO_EARLY,
                "Moves more than 3 months ago need a person to look at them: please call us",
            )
        ]
    if move_date > today + MOVE_WINDOW:
        return [
            Problem(
                ("input", "moveDate"),
                MoveCode.MOVE_DATE_TOO_LATE,
                "Tell us about a move no more than 3 months before it happens",
            )
        ]
    return []


@dataclass(frozen=True)
class MovePayload:
    """What a move's submission carries, and each back office's delivery with the record it holds (the
    keys are the stored rows')."""

    kind: MoveKind
    move_date: date
    new_address: PostalAddress | None
    whole_household: bool
    record_id: str | None = None  # the back office's record of the person: on a delivery only

    def as_payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "move_date": self.move_date.isoformat(),
            "new_address": asdict(self.new_address) if self.new_address else None,
            "whole_household": self.whole_household,
            "service_name": "Moving home",
            "description": f"Moving {self.kind.value.lower()} on {self.move_date.isoformat()}",
            **({"record_id": self.record_id} if self.record_id is not None else {}),
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> MovePayload:
        address = kept.get("new_address")
        return cls(
            kind=MoveKind(kept["kind"]),
            move_date=date.fromisoformat(kept["move_date"]),
            new_address=PostalAddress(**address) if address else None,
            whole_household=bool(kept.get("whole_household")),
            record_id=kept.get("record_id"),
        )


def already_told(
    earlier: Sequence[Submission], kind: MoveKind, move_date: date, new_address: PostalAddress | None
) -> list[Problem]:
    """The same move (kind, date and new home) told before, and not refused: each back office has
    heard, or will; telling it twice would close and open accounts twice."""
    wanted = _same_home_key(_address_fields(new_address))

    def same_move(submission: Submission) -> bool:
        told = MovePayload.of(submission.payload)
        return (
            told.kind is kind
            and told.move_date == move_date
            and _same_home_key(_address_fields(told.new_address)) == wanted
        )

    for submission in kept_of_kind(earlier, SubmissionKind.MOVE, same_move, states=NOT_REFUSED):
        return [
            Problem(
                ("input", "moveDate"),
                MoveCode.ALREADY_TOLD,
                f"You have already told us about this move ({submission.reference})",
            )
        ]
    return []


def _address_fields(address: PostalAddress | None) -> dict[str, str | None] | None:
    if address is None:
        return None
    return {"line1": address.line1, "postcode": address.postcode, "uprn": address.uprn}


def _same_home_key(address: dict[str, Any] | None) -> tuple[str, ...] | None:
    """A home by its UPRN when known, else by postcode and first line, ignoring case and spacing."""
    if not address:
        return None
    if address.get("uprn"):
        return ("uprn", str(address["uprn"]))
    return (
        "address",
        re.sub(r"\s+", "", str(address.get("postcode") or "")).upper(),
        " ".join(str(address.get("line1") or "").lower().split()),
    )


@dataclass(frozen=True, slots=True)
class FoundAddress:
    """An address from the council's gazetteer, and whether it is in the borough."""

    address: PostalAddress
    in_borough: bool


# A gazetteer search: a postcode or part of a street name. One letter matches half the borough; more
# than this is no address anyone types.
ADDRESS_SEARCH_LENGTH = range(2, 101)


def chosen_address(
    kind: MoveKind,
    uprn: str | None,
    given: PostalAddress | None,
    by_uprn: FoundAddress | None,
    at_postcode: list[FoundAddress],
) -> tuple[PostalAddress | None, list[Problem]]:
    """The new home: by UPRN, or a gazetteer address at the postcode matching the first line, or (when
    leaving the borough) the address as given. Moving in or within must land inside the borough."""
    path = ("input", "newUprn") if uprn else ("input", "newAddress")
    found = by_uprn
    if found is None and not uprn and given is not None:
        first_line = given.line1.strip().upper()
        matches = [f for f in at_postcode if f.address.line1.strip().upper() == first_line] or (
            at_postcode if len(at_postcode) == 1 else []
        )
        if len(matches) > 1:
            return None, [Problem(path, MoveCode.ADDRESS_AMBIGUOUS, "Give the house number or name as on your post")]
        found = matches[0] if matches else None
    if kind is MoveKind.OUT:
        if found is not None and found.in_borough:
            return None, [Problem(path, MoveCode.ADDRESS_IN_BOROUGH, "That address is in the borough: choose WITHIN")]
        return (found.address if found else given), []
    if uprn and found is None:
        return None, [Problem(path, MoveCode.ADDRESS_NOT_FOUND, "We have no address with that UPRN")]
    if found is None:
        if given is None:
            return None, [Problem(path, MoveCode.ADDRESS_REQUIRED, "Tell us your new address")]
        return None, [Problem(path, MoveCode.ADDRESS_NOT_FOUND, "We could not find that address in the borough")]
    if not found.in_borough:
        return None, [Problem(path, MoveCode.ADDRESS_NOT_IN_BOROUGH, "That address is outside the borough")]
    return found.address, []


# --- what a move does to Council Tax ------------------------------------------------------------

# Council Tax Sch. 1 instalments: at most ten in a year; a liability that starts late gets fewer.
MAX_INSTALMENTS = 10
# The Valuation Office lists a new dwelling's band; until it does, revenues bills a stand-in.
PROVISIONAL_BAND = "C"


@dataclass(frozen=True, slots=True)
class MoveOut:
    """Closing a liability on moving out: the account ends the day before the move."""

    liable_to: date
    lines: tuple[Transaction, ...]  # the credit for the days no longer due, and any discount given back
    schedule: tuple[ScheduledInstalment, ...]  # the instalments from now on
    ended_discount: DiscountRecord | None  # an active single person discount that ends with the liability


def move_out(account: CouncilTaxAccountRecord, move_date: date, posted_on: date) -> MoveOut:
    """Liability is daily (LGFA 1992 s.2): the charge for `move_date` to the end of the account's
    financial year is no longer due, so it is credited (pro-rata by day, as `charge_for_period`).
    An active single person discount covered those days too, so its share for them is given back
    (as `posting_for_end`); the instalments still to come share what is left."""
    liable_to = move_date - timedelta(days=1)
    # The year the move falls in, not the year the liability began (an account may be years old).
    year_end = financial_year_end(move_date)
    credit = charge_for_period(account.annual_charge_pence, move_date, year_end)
    lines: list[Transaction] = []
    if credit:
        lines.append(
            Transaction(
                posted_on,
                StatementLineKind.ADJUSTMENT,
                f"Council Tax not due from {move_date.isoformat()}: moved out",
                -credit,
            )
        )
    discount = current_single_person_discount(account)
    ended = discount if discount is not None and discount.status is DiscountStatus.ACTIVE else None
    if ended is not None:
        given_back = posting_for_end(account, ended, liable_to, posted_on).line
        if given_back is not None:
            lines.append(given_back)
    new_total = net_charge([*account.transactions, *lines])
    return MoveOut(liable_to, tuple(lines), recalculated_schedule(account.schedule, new_total, posted_on), ended)


def move_in_charge(annual_pence: int, move_date: date) -> int:
    """The charge from the day of the move to 31 March, pro-rata by day."""
    return charge_for_period(annual_pence, move_date, financial_year_end(move_date))


def move_in_schedule(charge_pence: int, move_date: date) -> tuple[ScheduledInstalment, ...]:
    """Monthly instalments from the 1st of the month after the move, one for each whole month left
    to March (at most ten, at least one: a move in March pays in one go, the next April)."""
    first_due = date(move_date.year + move_date.month // 12, move_date.month % 12 + 1, 1)
    year_end = financial_year_end(move_date)
    months_left = (year_end.year - first_due.year) * 12 + year_end.month - first_due.month + 1
    return instalment_schedule(charge_pence, first_due, min(max(months_left, 1), MAX_INSTALMENTS))


_HOUSE_NUMBER = re.compile(r"\d+")


def provisional_band(line1: str, neighbours: Sequence[tuple[str, str]]) -> str:
    """A stand-in band for a dwelling revenues has no band for, until the Valuation Office band is
    confirmed: that of the nearest house number among `neighbours` (first line, band) at the same
    postcode, the lower number on a tie; else the first neighbour's; else band C."""
    if not neighbours:
        return PROVISIONAL_BAND
    number = _house_number(line1)
    numbered = [(n, band) for line, band in neighbours if (n := _house_number(line)) is not None]
    if number is None or not numbered:
        return neighbours[0][1]
    return min(numbered, key=lambda item: (abs(item[0] - number), item[0]))[1]


def _house_number(line1: str) -> int | None:
    found = _HOUSE_NUMBER.search(line1)
    return int(found.group()) if found else None
