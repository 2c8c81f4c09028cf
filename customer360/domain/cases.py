"""Cases for staff: a delivery a back office refused for good becomes work for the team that owns it.

A refusal after the resident was told "received" (or after their money was taken) must never end as
a quiet FAILED row: someone who can put it right has to see it. Which team that is follows from where
the delivery was going; the case says what was refused in our own words, never the back office's
(its reason may quote the input, and so personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Teams are named as the staff roles that work in them, so a role check is a set look-up.
REVENUES_TEAM = "revenues"
CUSTOMER_SERVICES_TEAM = "customer_services"
HOUSING_TEAM = "housing"
BENEFITS_TEAM = "benefits"
SAFEGUARDING_TEAM = "safeguarding"
CASE_TEAMS = frozenset({REVENUES_TEAM, CUSTOMER_SERVICES_TEAM, HOUSING_TEAM, BENEFITS_TEAM, SAFEGUARDING_TEAM})

# The destination an outbox row goes to -> the team that deals with its back office.
TEAM_FOR_DESTINATION = {
    "REVENUES": REVENUES_TEAM,
    "CRM": CUSTOMER_SERVICES_TEAM,
    "STREET_SCENE": CUSTOMER_SERVICES_TEAM,
    "HOUSING": HOUSING_TEAM,
    "HOUSING_MANAGEMENT": HOUSING_TEAM,  # repairs and rent postings: the housing team's tenancies
    "BENEFITS": BENEFITS_TEAM,
    "AGENCIES": SAFEGUARDING_TEAM,  # the safeguarding agencies' queues
}
MAX_RESOLUTION_NOTE = 500


class CaseCode(StrEnum):
    """Why a case was opened (the reason code), and the codes `resolveDeliveryCase` answers with."""

    REFUSED = "REFUSED"  # the back office refused the write for good
    ALREADY_RESOLVED = "ALREADY_RESOLVED"


def team_for(destination: str) -> str:
    """Customer services picks up whatever no other team owns: nothing refused is left without a team."""
    return TEAM_FOR_DESTINATION.get(destination, CUSTOMER_SERVICES_TEAM)


def case_reason(destination: str, operation: str) -> str:
    """The short text staff read: what was refused, by whom. Built from our own names only."""
    return f"{destination} refused {operation} for good; it was not delivered"


@dataclass(frozen=True, slots=True)
class DeliveryCaseRecord:
    id: int
    reference: str
    customer_id: str | None
    destination: str
    operation: str
    reason_code: str
    reason: str
    team: str
    opened_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
