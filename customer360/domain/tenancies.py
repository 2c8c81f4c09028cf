"""A council tenancy as the housing management system holds it: the home, the tenure, the rent account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.direct_debit import DirectDebitRecord
from customer360.domain.rent import RentTransaction, RentYear
from customer360.domain.repairs import RepairRecord


class TenureType(StrEnum):
    SECURE = "SECURE"  # a lifetime tenancy (Housing Act 1985)
    INTRODUCTORY = "INTRODUCTORY"  # the first year, on trial (Housing Act 1996 s.124)
    FLEXIBLE = "FLEXIBLE"  # fixed term (Localism Act 2011)


@dataclass(frozen=True, slots=True)
class CouncilTenancyRecord:
    tenancy_ref: str
    tenant_id: str  # the housing management system's own person id
    line1: str
    postcode: str
    uprn: str | None
    starts_on: date
    ends_on: date | None
    tenure: TenureType
    vulnerable_household: bool  # the tenancy file flags a member needing priority for repairs
    rent_years: tuple[RentYear, ...]  # the tenancy's weekly charge and rent-free weeks, by rent year
    transactions: tuple[RentTransaction, ...]  # the rent account as held, oldest first
    repairs: tuple[RepairRecord, ...] = ()  # newest first
    direct_debits: tuple[DirectDebitRecord, ...] = ()  # the rent account's instructions, newest first

    def rent_year(self, year: int) -> RentYear | None:
        return next((held for held in self.rent_years if held.year == year), None)

    def held(self) -> TenancyHeld:
        return TenancyHeld(self.tenancy_ref, self.ends_on, self.vulnerable_household)


@dataclass(frozen=True, slots=True)
class TenancyHeld:
    """What a repair's check needs of a tenancy (read live, or as last seen while the office is down)."""

    tenancy_ref: str
    ends_on: date | None
    vulnerable_household: bool

    def as_account(self) -> AccountHeld:
        """As the accounts as last seen keep it (store/accounts_seen.py)."""
        return AccountHeld(self.tenancy_ref, self.ends_on, self.vulnerable_household)

    @classmethod
    def of(cls, account: AccountHeld) -> TenancyHeld:
        return cls(account.reference, account.ends_on, account.vulnerable_household)
