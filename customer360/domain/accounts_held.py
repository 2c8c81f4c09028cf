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


def shown(held: Sequence[AccountHeld], reference: str) -> AccountHeld | None:
    """The account with this reference among those shown (None: not the holder's, as last seen)."""
    return next((account for account in held if account.reference == reference), None)


def liable_on(account: AccountHeld, day: date) -> bool:
    """A Council Tax account still owed on `day`: no end to the liability, or `day` is not past its last one."""
    return account.ends_on is None or account.ends_on >= day
