"""How something a resident asked for through customer360 shows in My Requests before its back office
has it (and, for a request that is only deliveries, for good): each portal service declares which."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import time
from typing import Any

from customer360.domain.requests import DeliveryState, Location, RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.submissions import Submission, as_source_system
from customer360.domain.systems import DISPLAY_NAMES, SourceSystem

ShownBeforeDelivery = Callable[[Submission], ServiceRequestRecord]


@dataclass(frozen=True)
class AsShown:
    """What every request's payload carries for My Requests, whatever the service (the stored keys its
    unit's payload writes): the service it was for when the resident chose one, what they said, where."""

    service_name: str | None
    description: str | None
    location: Location | None

    @classmethod
    def of(cls, kept: Mapping[str, Any]) -> AsShown:
        location = kept.get("location")
        return cls(
            service_name=kept.get("service_name"),
            description=kept.get("description") or kept.get("subject"),  # a complaint's subject, if no more
            location=Location(**location) if location else None,
        )


def as_request(service_name: str, *, resolved_when_delivered: bool = False) -> ShownBeforeDelivery:
    """The builder a portal service declares: its requests under `service_name` (unless the resident
    named the service, as a staff-defined service does), resolved once every delivery is made when the
    request is only deliveries (a move told to four back offices)."""

    def shown(submission: Submission) -> ServiceRequestRecord:
        return request_not_yet_delivered(submission, service_name, resolved_when_delivered=resolved_when_delivered)

    return shown


def request_not_yet_delivered(
    submission: Submission, service_name: str, *, resolved_when_delivered: bool = False
) -> ServiceRequestRecord:
    """A request as we took it, with each back office's delivery as a step in its history.

    Shown until its back office's own record takes over; a request that is only deliveries is shown
    this way for good, resolved when every office has it.
    """
    shown = AsShown.of(submission.payload)
    history = our_events(submission)
    resolved = resolved_when_delivered and submission.delivery_state is DeliveryState.DELIVERED
    unpaid = bool(submission.deliveries) and all(d.state is DeliveryState.CANCELLED for d in submission.deliveries)
    if resolved:
        told = max((d.delivered_at for d in submission.deliveries if d.delivered_at), default=submission.created_at)
        history.append(RequestEvent(told, "Every office that needed to know has been told", RequestStatus.RESOLVED))
    return ServiceRequestRecord(
        system=submission.first_system or SourceSystem.CRM,
        reference=submission.reference,
        owner_record_id=None,
        service_code=submission.service_code or submission.kind.upper(),
        service_name=shown.service_name or service_name,
        status=RequestStatus.RESOLVED if resolved else RequestStatus.CLOSED if unpaid else RequestStatus.SUBMITTED,
        submitted_at=submission.created_at,
        updated_at=max(event.at for event in history),
        description=shown.description,
        location=shown.location,
        history=tuple(history),
        external_reference=submission.reference,
    )


CHANNEL_WORDS = {"phone": "by phone", "face_to_face": "face to face", "assisted_digital": "online"}


def received_note(submission: Submission) -> str:
    """How the request came in: "Received by the council", or who made it for the resident, and how."""
    if submission.acted_by is None:
        return "Received by the council"
    how = CHANNEL_WORDS.get(submission.channel or "", "")
    return f"Made for you by {submission.acted_team or 'someone you chose'} {how}".strip()


def our_events(submission: Submission) -> list[RequestEvent]:
    """What customer360 itself did with a request: received it, then passed it to each back office."""
    history = [RequestEvent(submission.created_at, received_note(submission), RequestStatus.SUBMITTED, None)]
    for delivery in submission.deliveries:
        system = as_source_system(delivery.destination)
        name = DISPLAY_NAMES[system] if system else "the safeguarding agencies"
        if delivery.state is DeliveryState.DELIVERED and delivery.delivered_at:
            history.append(RequestEvent(delivery.delivered_at, f"Passed to {name}", None, system))
        elif delivery.state is DeliveryState.FAILED:
            failed_at = delivery.delivered_at or submission.created_at
            refused = f"{name} could not take it; a member of staff will look into it"
            history.append(RequestEvent(failed_at, refused, None, system))
        elif delivery.state is DeliveryState.HELD:
            history.append(RequestEvent(submission.created_at, "Waiting for the fee to be paid", None, None))
        elif delivery.state is DeliveryState.CANCELLED:
            closed_at = delivery.delivered_at or submission.created_at
            history.append(RequestEvent(closed_at, "Closed: the fee was not paid", RequestStatus.CLOSED, None))
    return history


def timed_by_delivery(event: RequestEvent, submission: Submission) -> RequestEvent:
    """A back-office step stamped with its day only (the housing register keeps `submitted_on`, a date,
    shown at midnight) would sort before the council received the request. On the day we passed the
    request to that office, it happened when the office got it: the delivery's moment. Any other event,
    or one of another day, is kept as the office stamped it."""
    if event.system is None or event.at.time() != time(0, 0):
        return event
    for delivery in submission.deliveries:
        delivered_at = delivery.delivered_at
        if (
            as_source_system(delivery.destination) is event.system
            and delivery.state is DeliveryState.DELIVERED
            and delivered_at is not None
            and delivered_at.date() == event.at.date()
            and delivered_at > event.at
        ):
            return replace(event, at=delivered_at)
    return event
