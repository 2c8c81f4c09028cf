"""Benefit claims and housing applications as a customer's record shows them."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry

from customer360.domain.benefits import BenefitClaimRecord, BenefitKind, ClaimStatus
from customer360.domain.housing import HousingApplicationRecord, HousingApplicationStatus, HousingBand
from customer360.resolvers.tracking import Tracked
from customer360.schema.node import Node, to_global_id
from customer360.schema.values import Money

strawberry.enum(BenefitKind)
strawberry.enum(ClaimStatus, name="BenefitClaimStatus")
strawberry.enum(HousingApplicationStatus)
strawberry.enum(HousingBand)


@strawberry.type
class HouseholdMember:
    relationship: str
    date_of_birth: date | None


@strawberry.type
class BenefitClaim(Node):
    reference: str
    kind: BenefitKind
    status: ClaimStatus
    starts_on: date
    ends_on: date | None
    weekly_award: Money
    household: list[HouseholdMember]

    @classmethod
    def from_record(cls, record: BenefitClaimRecord) -> Self:
        return cls(
            id=to_global_id("BenefitClaim", record.reference),
            reference=record.reference,
            kind=record.kind,
            status=record.status,
            starts_on=record.starts_on,
            ends_on=record.ends_on,
            weekly_award=Money.of(record.weekly_award_pence),
            household=[
                HouseholdMember(relationship=m.relationship, date_of_birth=m.date_of_birth) for m in record.household
            ],
        )


@strawberry.type(
    description="An application to join the housing register. `reference` is the one the resident was given "
    "(`C360-XXXXXXXX` when made through customer360) and never changes; HOUSING's own is `backOfficeReference`."
)
class HousingApplication(Node):
    reference: str
    back_office_reference: str | None = strawberry.field(description="HOUSING's reference; null until it has it.")
    status: HousingApplicationStatus
    submitted_on: date
    band: HousingBand | None
    bedrooms_needed: int
    household_size: int

    @classmethod
    def from_record(cls, tracked: Tracked[HousingApplicationRecord]) -> Self:
        record = tracked.record
        return cls(
            id=to_global_id("HousingApplication", tracked.reference),
            reference=tracked.reference,
            back_office_reference=record.reference if record.reference != tracked.reference else None,
            status=record.status,
            submitted_on=record.submitted_on,
            band=record.band,
            bedrooms_needed=record.bedrooms_needed,
            household_size=record.household_size,
        )
