"""Complaints and their statutory-style deadlines.

The Housing Ombudsman's Complaint Handling Code and the LGSCO's code (2024) set the clock:
acknowledge within 5 working days of receipt; a stage 1 response within 10 working days of the
acknowledgement; at stage 2, acknowledge within 5 and respond within 20 working days of that
acknowledgement. Until the CRM records an actual acknowledgement, the response clock runs from
the acknowledgement deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

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
