"""Housing register applications as the housing system holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class HousingApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    ASSESSING = "ASSESSING"
    ACTIVE = "ACTIVE"
    HOUSED = "HOUSED"
    CLOSED = "CLOSED"


class HousingBand(StrEnum):
    """Allocation priority bands (Housing Act 1996 Part 6 reasonable preference)."""

    EMERGENCY = "EMERGENCY"
    GOLD = "GOLD"
    SILVER = "SILVER"
    BRONZE = "BRONZE"


@dataclass(frozen=True, slots=True)
class HousingApplicationRecord:
    reference: str
    applicant_id: str
    status: HousingApplicationStatus
    submitted_on: date
    band: HousingBand | None
    bedrooms_needed: int
    household_size: int


@dataclass(frozen=True, slots=True)
class TenancyRecord:
    tenancy_ref: str
    applicant_id: str
    uprn: str | None
    postcode: str
    starts_on: date
    ends_on: date | None
    joint_tenant_date_of_birth: date | None
    has_joint_tenant: bool

    def current_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)
