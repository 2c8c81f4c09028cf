"""Service requests ("My Requests"), complaints, their delivery state, and the service catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.domain.complaints import ComplaintRecord, ComplaintStage, ComplaintStatus, complaint_deadlines
from customer360.domain.requests import DeliveryState, RequestStatus, ServiceRequestRecord
from customer360.domain.requests import RequestEvent as RequestEventRecord
from customer360.domain.services import DefinedService, ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.submissions import DeliveryRecord, as_source_system
from customer360.domain.systems import SourceSystem
from customer360.resolvers import attachments as resolve_attachments
from customer360.resolvers import nodes
from customer360.resolvers.context import Context
from customer360.resolvers.tracking import Tracked
from customer360.schema.attachments import Attachment, shown
from customer360.schema.channel import Channel
from customer360.schema.node import ENTITY_KEY, Node, entity, to_global_id
from customer360.schema.values import Location, Money, PageInfo

strawberry.enum(SourceSystem)
strawberry.enum(
    RequestStatus,
    description=(
        "One vocabulary for every back office. SUBMITTED: the council has it, nobody has started on it "
        "(a complaint RECEIVED; a housing application SUBMITTED; a payment CREATED). IN_PROGRESS: someone is "
        "working on it (a complaint ACKNOWLEDGED or escalated; a discount held for review; a housing application "
        "ASSESSING or ACTIVE on the register; a payment STARTED or SUBMITTED; an open Open311 report). "
        "RESOLVED: done as asked (a complaint RESPONDED; a discount ACTIVE; HOUSED; a payment SUCCESS; a closed "
        "Open311 report; a move every office has heard of). CLOSED: finished without more to do (a complaint or "
        "discount ENDED or CLOSED; a payment CANCELLED). REJECTED: the council could not do it (a discount REFUSED, "
        "a payment FAILED or ERROR)."
    ),
)
strawberry.enum(
    DeliveryState,
    description="PENDING: kept by customer360, on its way to the back office (retried until it takes it). "
    "DELIVERED: the back office has it. FAILED: the back office refused it for good; a member of staff looks at it. "
    "HELD: a request for a service with a fee, kept until its payment succeeds (then PENDING). CANCELLED: never "
    "sent, because its fee was not paid (the payment failed, was cancelled or expired); the request is CLOSED.",
)
strawberry.enum(ComplaintStatus)
strawberry.enum(ComplaintStage)


@strawberry.input(description="Where something is: a point (latitude and longitude), or a UPRN.")
class LocationInput:
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = strawberry.field(default=None, description="How a person would describe the place.")
    uprn: str | None = None


@strawberry.type(description="Has the back office got it yet? PENDING while the outbox still holds it.")
class Delivery:
    state: DeliveryState
    system: SourceSystem | None
    back_office_reference: str | None
    attempts: int

    @classmethod
    def delivered(cls, system: SourceSystem, reference: str) -> Self:
        """Read from the back office itself, so it has it by definition."""
        return cls(state=DeliveryState.DELIVERED, system=system, back_office_reference=reference, attempts=1)

    @classmethod
    def not_yet(cls, system: SourceSystem) -> Self:
        return cls(state=DeliveryState.PENDING, system=system, back_office_reference=None, attempts=0)

    @classmethod
    def from_record(cls, record: DeliveryRecord) -> Self:
        return cls(
            state=record.state,
            system=as_source_system(record.destination),
            back_office_reference=record.backoffice_reference,
            attempts=record.attempts,
        )


@strawberry.type
class RequestEvent:
    at: datetime
    status: RequestStatus | None
    description: str
    system: SourceSystem | None

    @classmethod
    def from_record(cls, record: RequestEventRecord) -> Self:
        return cls(at=record.at, status=record.status, description=record.description, system=record.system)


@strawberry.type(
    description="Something a resident asked for, whichever back office holds it. `reference` is what the resident "
    "was given (`C360-XXXXXXXX` for anything asked for through customer360) and never changes; the back office's "
    "own reference is `backOfficeReference`, beside it.",
    directives=[ENTITY_KEY],
)
class ServiceRequest(Node):
    reference: str
    back_office_reference: str | None = strawberry.field(
        description="The back office's own reference; null until it has the request."
    )
    service_code: str
    service_name: str
    status: RequestStatus
    status_notes: str | None
    description: str | None
    submitted_at: datetime = strawberry.field(description="When the resident asked.")
    updated_at: datetime
    expected_by: datetime | None
    location: Location | None
    delivery: Delivery = strawberry.field(description="The first back office's delivery (see `deliveries`).")
    deliveries: list[Delivery] = strawberry.field(
        description="One per back office the request goes to (a move goes to several), in the order sent."
    )
    history: list[RequestEvent] = strawberry.field(
        description="Oldest first, append-only: what customer360 did with it, then what each back office did."
    )
    channel: Channel = strawberry.field(
        description="How it came in: ONLINE (the resident, or someone they chose); PHONE or FACE_TO_FACE when "
        "an officer made it for them."
    )
    made_for_you_by: str | None = strawberry.field(
        description="The team or relationship of whoever made it for the resident; null when they asked themselves."
    )

    @strawberry.field(
        description="Photos and documents attached when it was made here. Its reporter and staff see them all; "
        "anyone else (nearbyRequests) only photos staff have published."
    )
    async def photos(self, info: Info[Context, Any]) -> list[Attachment]:
        return [shown(found) for found in await resolve_attachments.photos(info, self.reference)]

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Self | None:
        """A gateway's representation, checked exactly as `node(id:)` is (`schema/node.py` `entity`)."""
        record = await entity(info, "ServiceRequest", id, nodes.service_request)
        return cls.from_record(record) if record is not None else None

    @classmethod
    def from_record(cls, tracked: Tracked[ServiceRequestRecord]) -> Self:
        record = tracked.record
        from_back_office = tracked.submission is None or record.external_reference == tracked.reference
        made_for = tracked.submission if tracked.submission and tracked.submission.acted_by else None
        deliveries = [Delivery.from_record(d) for d in tracked.deliveries] or [
            Delivery.delivered(record.system, record.reference)
            if record.reference != record.external_reference
            else Delivery.not_yet(record.system)  # ours alone: its back office does not have it yet
        ]
        return cls(
            id=to_global_id("ServiceRequest", f"{record.system.value}:{tracked.reference}"),
            reference=tracked.reference,
            back_office_reference=(
                record.reference
                if from_back_office and record.reference != tracked.reference
                else deliveries[0].back_office_reference
            ),
            service_code=record.service_code,
            service_name=record.service_name,
            status=record.status,
            status_notes=record.status_notes,
            description=record.description,
            submitted_at=record.submitted_at,
            updated_at=record.updated_at,
            expected_by=record.expected_by,
            location=Location.from_record(record.location) if record.location else None,
            delivery=deliveries[0],
            deliveries=deliveries,
            history=[RequestEvent.from_record(event) for event in sorted(record.history, key=lambda e: e.at)],
            channel=Channel.of(made_for.channel if made_for else None),
            made_for_you_by=made_for.acted_team if made_for else None,
        )


@strawberry.type
class Complaint(Node):
    reference: str = strawberry.field(description="What the resident was given (C360- when made here); never changes.")
    back_office_reference: str | None = strawberry.field(
        description="The CRM's own reference; null until the CRM has the complaint."
    )
    subject: str
    status: ComplaintStatus
    stage: ComplaintStage
    service_area: str | None
    received_at: datetime
    acknowledge_by: date = strawberry.field(description="5 working days after receipt (complaint handling codes).")
    respond_by: date = strawberry.field(
        description="Stage 1: 10 working days after acknowledgement; stage 2: 20 "
        "(counted from the acknowledgement deadline until the CRM records one)."
    )
    acknowledged_at: datetime | None
    responded_at: datetime | None
    delivery: Delivery
    channel: Channel = strawberry.field(description="ONLINE, or PHONE / FACE_TO_FACE when an officer made it.")

    @classmethod
    def from_record(cls, tracked: Tracked[ComplaintRecord]) -> Self:
        record = tracked.record
        due = complaint_deadlines(record)
        return cls(
            id=to_global_id("Complaint", tracked.reference),
            reference=tracked.reference,
            back_office_reference=(
                record.reference
                if record.reference != tracked.reference
                else tracked.delivery.backoffice_reference
                if tracked.delivery
                else None
            ),
            subject=record.subject,
            status=record.status,
            stage=record.stage,
            service_area=record.service_area,
            received_at=record.received_at,
            acknowledge_by=due.acknowledge_by,
            respond_by=due.respond_by,
            acknowledged_at=record.stage_acknowledged_at,
            responded_at=record.stage_responded_at,
            channel=Channel.of(tracked.submission.channel if tracked.submission else None),
            delivery=(
                Delivery.from_record(tracked.delivery)
                if tracked.delivery
                else Delivery.delivered(SourceSystem.CRM, record.reference)
            ),
        )


@strawberry.type
class ServiceAttribute:
    code: str
    description: str
    datatype: str
    required: bool
    values: list[str] | None
    min: float | None = strawberry.field(description="number: the smallest answer accepted.")
    max: float | None = strawberry.field(description="number: the largest answer accepted.")
    max_length: int | None = strawberry.field(description="string and text: the longest answer accepted.")

    @classmethod
    def from_record(cls, record: ServiceAttributeRecord) -> Self:
        return cls(
            code=record.code,
            description=record.description,
            datatype=record.datatype,
            required=record.required,
            values=list(record.values) if record.values is not None else None,
            min=record.min,
            max=record.max,
            max_length=record.max_length,
        )


@strawberry.type(description="Something a resident can report or apply for.")
class ServiceDefinition:
    code: str
    name: str
    group: str
    description: str | None
    attributes: list[ServiceAttribute]
    sign_in_required: bool = strawberry.field(description="Whether a resident must sign in to use it.")
    fee: Money | None = strawberry.field(
        description="What it costs: reportIssue answers the request with its payment to make; the request is sent "
        "on once it is paid."
    )
    expected_days: int | None = strawberry.field(description="How long the council aims to take, in working days.")
    version: int | None = strawberry.field(description="Staff-defined services: the definition's version.")
    retired: bool

    @classmethod
    def from_record(cls, record: ServiceDefinitionRecord, defined: DefinedService | None = None) -> Self:
        return cls(
            code=record.code,
            name=record.name,
            group=record.group,
            description=record.description,
            attributes=[ServiceAttribute.from_record(a) for a in record.attributes],
            # Back-office services: street problems may be reported anonymously, the CRM's need sign-in.
            sign_in_required=defined.sign_in_required if defined else record.system is not SourceSystem.STREET_SCENE,
            fee=Money.of(defined.fee_pence) if defined and defined.fee_pence else None,
            expected_days=defined.expected_days if defined else None,
            version=defined.version if defined else None,
            retired=defined.retired if defined else False,
        )


@strawberry.type
class ServiceRequestEdge:
    cursor: str
    node: ServiceRequest


@strawberry.type
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ComplaintEdge:
    cursor: str
    node: Complaint


@strawberry.type
class ComplaintConnection:
    edges: list[ComplaintEdge]
    page_info: PageInfo
    total_count: int
