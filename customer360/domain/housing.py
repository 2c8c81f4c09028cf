"""Housing register applications as the housing system holds them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from customer360.domain.contacts import ContactDetails
from customer360.domain.problems import Problem, required_text
from customer360.domain.requests import RequestStatus


class HousingApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    ASSESSING = "ASSESSING"
    ACTIVE = "ACTIVE"
    HOUSED = "HOUSED"
    CLOSED = "CLOSED"


# An application's status as My Requests and the resident's messages say it.
APPLICATION_REQUEST_STATUS = {
    HousingApplicationStatus.SUBMITTED: RequestStatus.SUBMITTED,
    HousingApplicationStatus.ASSESSING: RequestStatus.IN_PROGRESS,
    HousingApplicationStatus.ACTIVE: RequestStatus.IN_PROGRESS,
    HousingApplicationStatus.HOUSED: RequestStatus.RESOLVED,
    HousingApplicationStatus.CLOSED: RequestStatus.CLOSED,
}


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
    external_reference: str | None = None  # the customer360 reference, when applied for through us


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


class Tenure(StrEnum):
    OWNER_OCCUPIER = "OWNER_OCCUPIER"
    PRIVATE_RENTED = "PRIVATE_RENTED"
    COUNCIL_OR_HOUSING_ASSOCIATION = "COUNCIL_OR_HOUSING_ASSOCIATION"
    LIVING_WITH_FAMILY_OR_FRIENDS = "LIVING_WITH_FAMILY_OR_FRIENDS"
    TEMPORARY_ACCOMMODATION = "TEMPORARY_ACCOMMODATION"
    NO_FIXED_ABODE = "NO_FIXED_ABODE"


class IncomeBand(StrEnum):
    UNDER_15K = "UNDER_15K"
    FROM_15K_TO_30K = "FROM_15K_TO_30K"
    FROM_30K_TO_50K = "FROM_30K_TO_50K"
    OVER_50K = "OVER_50K"


@dataclass(frozen=True, slots=True)
class ApplicantMember:
    relationship: str  # APPLICANT, PARTNER, CHILD, OTHER_ADULT
    date_of_birth: date


@dataclass(frozen=True, slots=True)
class NewHousingApplication:
    """What HOUSING is asked to record; `external_reference` makes a retried delivery a no-op."""

    external_reference: str
    applicant_id: str
    household: tuple[ApplicantMember, ...]
    current_tenure: Tenure
    reason: str
    medical_needs: bool
    mobility_needs: bool
    local_connection: bool
    income_band: IncomeBand
    bedrooms_needed: int
    submitted_on: date
    evidence_links: tuple[str, ...] = ()  # signed links to the documents the applicant attached


OPEN_STATUSES = frozenset(
    {HousingApplicationStatus.SUBMITTED, HousingApplicationStatus.ASSESSING, HousingApplicationStatus.ACTIVE}
)
MIN_APPLICANT_AGE = 16  # Housing Act 1996 s.160ZA: no allocation to anyone under 16
MAX_REASON = 2000


class HousingCode(StrEnum):
    ALREADY_OPEN = "ALREADY_OPEN"
    NO_APPLICANT_OLD_ENOUGH = "NO_APPLICANT_OLD_ENOUGH"
    INVALID_DATE_OF_BIRTH = "INVALID_DATE_OF_BIRTH"
    INVALID_RELATIONSHIP = "INVALID_RELATIONSHIP"


RELATIONSHIPS = frozenset({"APPLICANT", "PARTNER", "CHILD", "OTHER_ADULT"})


def application_problems(
    household: Sequence[ApplicantMember], reason: str | None, today: date, already_open: bool
) -> list[Problem]:
    problems = required_text(reason, ("input", "reason"), "why you need to move", MAX_REASON)
    for index, member in enumerate(household):
        path = ("input", "household", str(index))
        if member.relationship not in RELATIONSHIPS:
            problems.append(
                Problem(
                    (*path, "relationship"),
                    HousingCode.INVALID_RELATIONSHIP,
                    f"Use one of {', '.join(sorted(RELATIONSHIPS))}",
                )
            )
        if member.date_of_birth > today or member.date_of_birth.year < today.year - 120:
            problems.append(
                Problem((*path, "dateOfBirth"), HousingCode.INVALID_DATE_OF_BIRTH, "Enter a real date of birth")
            )
    adults = [
        m
        for m in household
        if m.relationship in ("APPLICANT", "PARTNER") and _age(m.date_of_birth, today) >= MIN_APPLICANT_AGE
    ]
    if not adults:
        problems.append(
            Problem(
                ("input", "household"),
                HousingCode.NO_APPLICANT_OLD_ENOUGH,
                f"At least one applicant must be {MIN_APPLICANT_AGE} or over",
            )
        )
    if already_open:
        problems.append(
            Problem(None, HousingCode.ALREADY_OPEN, "You already have a housing application open: we will update that")
        )
    return problems


def bedrooms_needed(household: Sequence[ApplicantMember]) -> int:
    """The bedroom standard, simplified: a bedroom for the applicant (and partner), one for each
    other adult, and one for every two children."""
    children = sum(1 for m in household if m.relationship == "CHILD")
    other_adults = sum(1 for m in household if m.relationship == "OTHER_ADULT")
    return max(1 + other_adults + (children + 1) // 2, 1)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class ApplicationPayload:
    """What an application's submission and its HOUSING delivery carry (the keys are the stored rows')."""

    household: tuple[ApplicantMember, ...]
    current_tenure: Tenure
    reason: str
    medical_needs: bool
    mobility_needs: bool
    local_connection: bool
    income_band: IncomeBand
    bedrooms_needed: int
    contact: ContactDetails
    # Evidence the applicant uploaded (theirs and unused when kept), and the signed links HOUSING opens it by.
    attachment_ids: tuple[str, ...] = ()
    attachment_links: tuple[str, ...] = ()

    def as_payload(self) -> dict[str, Any]:
        return {
            "household": [
                {"relationship": m.relationship, "date_of_birth": m.date_of_birth.isoformat()} for m in self.household
            ],
            "current_tenure": self.current_tenure.value,
            "reason": self.reason,
            "medical_needs": self.medical_needs,
            "mobility_needs": self.mobility_needs,
            "local_connection": self.local_connection,
            "income_band": self.income_band.value,
            "bedrooms_needed": self.bedrooms_needed,
            "contact": self.contact.as_payload(),
            "service_name": "Housing application",
            "description": f"Housing register, {self.bedrooms_needed} bedrooms",
            "attachment_ids": list(self.attachment_ids),
            "attachment_links": list(self.attachment_links),
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ApplicationPayload:
        return cls(
            household=tuple(
                ApplicantMember(m["relationship"], date.fromisoformat(m["date_of_birth"])) for m in kept["household"]
            ),
            current_tenure=Tenure(kept["current_tenure"]),
            reason=kept["reason"],
            medical_needs=kept["medical_needs"],
            mobility_needs=kept["mobility_needs"],
            local_connection=kept["local_connection"],
            income_band=IncomeBand(kept["income_band"]),
            bedrooms_needed=kept["bedrooms_needed"],
            contact=ContactDetails.of_payload(kept["contact"]),
            attachment_ids=tuple(kept.get("attachment_ids") or ()),
            attachment_links=tuple(kept.get("attachment_links") or ()),
        )
