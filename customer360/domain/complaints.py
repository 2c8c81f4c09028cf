"""Complaints and their statutory-style deadlines.

The Housing Ombudsman's Complaint Handling Code and the LGSCO's code (2024) set the clock:
acknowledge within 5 working days of receipt; a stage 1 response within 10 working days of the
acknowledgement; at stage 2, acknowledge within 5 and respond within 20 working days of that
acknowledgement. Until the CRM records an actual acknowledgement, the response clock runs from
the acknowledgement deadline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from customer360.domain.contacts import ContactDetails
from customer360.domain.problems import Problem, optional_text, required_text
from customer360.domain.working_days import working_days_after

LONDON = ZoneInfo("Europe/London")
ACKNOWLEDGE_WORKING_DAYS = 5
STAGE_1_RESPONSE_WORKING_DAYS = 10
STAGE_2_RESPONSE_WORKING_DAYS = 20


class ComplaintStage(StrEnum):
    STAGE_1 = "STAGE_1"
    STAGE_2 = "STAGE_2"


class ComplaintStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESPONDED = "RESPONDED"
    CLOSED = "CLOSED"


# The council's service list a complaint is about (stored lower case in the CRM).
SERVICE_AREAS: dict[str, str] = {
    "waste": "Bins, recycling and waste",
    "streets": "Streets, litter and graffiti",
    "council_tax": "Council Tax",
    "benefits": "Benefits",
    "housing": "Housing",
    "planning": "Planning and building control",
    "parking": "Parking",
    "licensing": "Licensing",
    # A shortfall in service delivery is a complaint about a service not delivered as promised.
    "service_shortfall": "A shortfall in service delivery",
    "other": "Something else",
}
MAX_SUBJECT = 200
MAX_DESCRIPTION = 5000
MAX_OUTCOME = 2000
MAX_ESCALATION_REASON = 2000


class ComplaintCode(StrEnum):
    UNKNOWN_SERVICE_AREA = "UNKNOWN_SERVICE_AREA"
    ALREADY_ESCALATED = "ALREADY_ESCALATED"
    NOT_YET_ESCALATABLE = "NOT_YET_ESCALATABLE"


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    reference: str
    contact_id: str
    subject: str
    description: str
    service_area: str | None
    status: ComplaintStatus
    stage: ComplaintStage
    received_at: datetime
    acknowledged_at: datetime | None = None
    responded_at: datetime | None = None
    external_reference: str | None = None  # the customer360 reference, when it came through us
    escalated_at: datetime | None = None
    stage2_acknowledged_at: datetime | None = None
    stage2_responded_at: datetime | None = None

    @property
    def stage_started_at(self) -> datetime:
        return self.escalated_at if self.stage is ComplaintStage.STAGE_2 and self.escalated_at else self.received_at

    @property
    def stage_acknowledged_at(self) -> datetime | None:
        return self.stage2_acknowledged_at if self.stage is ComplaintStage.STAGE_2 else self.acknowledged_at

    @property
    def stage_responded_at(self) -> datetime | None:
        return self.stage2_responded_at if self.stage is ComplaintStage.STAGE_2 else self.responded_at


@dataclass(frozen=True, slots=True)
class NewComplaint:
    """What the CRM is asked to record; `external_reference` makes a retried delivery a no-op."""

    external_reference: str
    contact_id: str
    subject: str
    description: str
    service_area: str | None
    desired_outcome: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ComplaintDeadlines:
    acknowledge_by: date
    respond_by: date


def london_date(moment: datetime) -> date:
    """Receipt dates count in Europe/London, whatever zone the timestamp was stored in."""
    return moment.astimezone(LONDON).date()


def deadlines(received_at: datetime, acknowledged_at: datetime | None, stage: ComplaintStage) -> ComplaintDeadlines:
    acknowledge_by = working_days_after(london_date(received_at), ACKNOWLEDGE_WORKING_DAYS)
    clock_start = london_date(acknowledged_at) if acknowledged_at else acknowledge_by
    response_days = STAGE_1_RESPONSE_WORKING_DAYS if stage is ComplaintStage.STAGE_1 else STAGE_2_RESPONSE_WORKING_DAYS
    return ComplaintDeadlines(acknowledge_by, working_days_after(clock_start, response_days))


def complaint_deadlines(complaint: ComplaintRecord) -> ComplaintDeadlines:
    return deadlines(complaint.stage_started_at, complaint.stage_acknowledged_at, complaint.stage)


def validate_complaint(
    subject: str | None, description: str | None, service_area: str | None, desired_outcome: str | None
) -> list[Problem]:
    problems = [
        *required_text(subject, ("input", "subject"), "a subject", MAX_SUBJECT),
        *required_text(description, ("input", "description"), "what went wrong", MAX_DESCRIPTION),
        *optional_text(desired_outcome, ("input", "desiredOutcome"), "the outcome you want", MAX_OUTCOME),
    ]
    if service_area is not None and service_area.strip().lower() not in SERVICE_AREAS:
        problems.append(
            Problem(
                ("input", "serviceArea"),
                ComplaintCode.UNKNOWN_SERVICE_AREA,
                f"Choose a service area: {', '.join(SERVICE_AREAS)}",
            )
        )
    return problems


def escalation_problems(
    complaint: ComplaintRecord, reason: str | None, today: date, *, pending: bool = False
) -> list[Problem]:
    """Stage 2 is open only from stage 1, and only once stage 1 was answered or its deadline passed.
    `pending`: an escalation of it is kept and on its way to the CRM (it is as good as at stage 2)."""
    problems = required_text(reason, ("input", "reason"), "why you want it looked at again", MAX_ESCALATION_REASON)
    if pending or complaint.stage is not ComplaintStage.STAGE_1:
        problems.append(
            Problem(("input", "complaintId"), ComplaintCode.ALREADY_ESCALATED, "This complaint is already at stage 2")
        )
        return problems
    respond_by = complaint_deadlines(complaint).respond_by
    if complaint.responded_at is None and today <= respond_by:
        problems.append(
            Problem(
                ("input", "complaintId"),
                ComplaintCode.NOT_YET_ESCALATABLE,
                f"You can ask for stage 2 once we have replied, or after {respond_by.isoformat()} if we have not",
            )
        )
    return problems


@dataclass(frozen=True)
class ComplaintPayload:
    """What a complaint's submission and its CRM delivery carry (the keys are the stored rows')."""

    subject: str
    description: str
    service_area: str | None
    desired_outcome: str | None
    contact: ContactDetails

    def as_payload(self) -> dict[str, Any]:
        return {**asdict(self), "contact": self.contact.as_payload()}

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ComplaintPayload:
        return cls(
            subject=kept["subject"],
            description=kept["description"],
            service_area=kept.get("service_area"),
            desired_outcome=kept.get("desired_outcome"),
            contact=ContactDetails.of_payload(kept["contact"]),
        )
