"""An account as its back office last showed it held: a council tenancy (HOUSING_MANAGEMENT) or a Council
Tax account (REVENUES). While that office is down, a write on the resident's own account is checked
against it and kept (the office checks again on delivery), rather than refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class AccountHeld:
    reference: str  # the tenancy's or the Council Tax account's reference
    ends_on: date | None  # the tenancy's end, or the last day of the Council Tax liability
    vulnerable_household: bool = False  # a tenancy's flag for repairs' priority (never set for Council Tax)


def liable_on(held: Sequence[AccountHeld], reference: str, today: date) -> AccountHeld | None:
    """The Council Tax account with this reference if it was shown still liable today (a liability ending
    later is still owed until then); None if not shown, or ended."""
    return next((a for a in held if a.reference == reference and (a.ends_on is None or a.ends_on > today)), None)
