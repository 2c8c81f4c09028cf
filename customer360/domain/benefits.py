"""Benefit claims as the benefits system holds them (Housing Benefit, Council Tax Support)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class BenefitKind(StrEnum):
    HOUSING_BENEFIT = "HOUSING_BENEFIT"
    COUNCIL_TAX_SUPPORT = "COUNCIL_TAX_SUPPORT"
    DISCRETIONARY_HOUSING_PAYMENT = "DISCRETIONARY_HOUSING_PAYMENT"


class ClaimStatus(StrEnum):
    ASSESSING = "ASSESSING"
    AWARDED = "AWARDED"
    SUSPENDED = "SUSPENDED"
    ENDED = "ENDED"


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    relationship: str
    date_of_birth: date | None


@dataclass(frozen=True, slots=True)
class BenefitClaimRecord:
    reference: str
    claimant_id: str
    kind: BenefitKind
    status: ClaimStatus
    starts_on: date
    weekly_award_pence: int
    ends_on: date | None = None
    household: tuple[HouseholdMember, ...] = field(default=())
