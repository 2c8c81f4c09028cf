"""A resident's request to the council, whichever back office holds it ("My Requests")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from customer360.domain.systems import SourceSystem


class RequestStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    HELD = "HELD"  # kept until the request's fee is paid; pending once it is
    CANCELLED = "CANCELLED"  # never to be delivered: the fee was not paid


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    address: str | None = None
    uprn: str | None = None


@dataclass(frozen=True, slots=True)
class RequestEvent:
    at: datetime
    description: str
    status: RequestStatus | None = None
    system: SourceSystem | None = None


@dataclass(frozen=True, slots=True)
class ServiceRequestRecord:
    system: SourceSystem
    reference: str
    owner_record_id: str | None
    service_code: str
    service_name: str
    status: RequestStatus
    submitted_at: datetime
    updated_at: datetime
    description: str | None = None
    status_notes: str | None = None
    expected_by: datetime | None = None
    location: Location | None = None
    history: tuple[RequestEvent, ...] = field(default=())
    external_reference: str | None = None  # the customer360 reference, when it came through us
    queue: str | None = None  # the staff team's queue a back-office case waits in


@dataclass(frozen=True, slots=True)
class CaseAnswer:
    """One answer on a resident's form, with the question as they were asked it."""

    code: str
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case the CRM is asked to open; `external_reference` makes a retried delivery a no-op.

    `contact_id` is None for a service that may be used without signing in, by someone who left no
    way to reach them. `queue` is the CRM queue the service routes to; `answers` everything the
    form asked, so the officer who picks the case up sees what the resident saw and said."""

    external_reference: str
    contact_id: str | None
    service_code: str
    service_name: str
    description: str
    opened_at: datetime
    expected_by: datetime | None = None
    queue: str | None = None
    answers: tuple[CaseAnswer, ...] = field(default=())


# Open311 GeoReport v2 has two statuses; `status_notes` and our own history carry the detail.
OPEN311_STATUS = {"open": RequestStatus.IN_PROGRESS, "closed": RequestStatus.RESOLVED}
