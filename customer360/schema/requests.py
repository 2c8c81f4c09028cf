"""Service requests ("My Requests"), complaints, their delivery state, and the service catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

import strawberry

from customer360.domain.complaints import ComplaintRecord, ComplaintStage, ComplaintStatus, complaint_deadlines
from customer360.domain.requests import DeliveryState, RequestStatus, ServiceRequestRecord
from customer360.domain.requests import RequestEvent as RequestEventRecord
from customer360.domain.services import DefinedService, ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.submissions import DeliveryRecord, as_source_system
from customer360.domain.systems import SourceSystem
from customer360.resolvers.tracking import Tracked
from customer360.schema.node import Node, to_global_id
from customer360.schema.values import Location, Money, PageInfo

strawberry.enum(SourceSystem)
strawberry.enum(RequestStatus)
strawberry.enum(DeliveryState)
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


@strawberry.type
class ServiceRequest(Node):
    reference: str
    service_code: str
    service_name: str
    status: RequestStatus
    status_notes: str | None
    description: str | None
    submitted_at: datetime
    updated_at: datetime
    expected_by: datetime | None
    location: Location | None
    delivery: Delivery
    history: list[RequestEvent] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_record(cls, tracked: Tracked[ServiceRequestRecord]) -> Self:
        record = tracked.record
        return cls(
            id=to_global_id("ServiceRequest", f"{record.system.value}:{tracked.reference}"),
            reference=tracked.reference,
            service_code=record.service_code,
            service_name=record.service_name,
            status=record.status,
            status_notes=record.status_notes,
            description=record.description,
            submitted_at=record.submitted_at,
            updated_at=record.updated_at,
            expected_by=record.expected_by,
            location=Location.from_record(record.location) if record.location else None,
            delivery=(
                Delivery.from_record(tracked.delivery)
                if tracked.delivery
                else Delivery.delivered(record.system, record.reference)
            ),
            history=[RequestEvent.from_record(event) for event in sorted(record.history, key=lambda e: e.at)],
        )


@strawberry.type
class Complaint(Node):
    reference: str
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

    @classmethod
    def from_record(cls, tracked: Tracked[ComplaintRecord]) -> Self:
        record = tracked.record
        due = complaint_deadlines(record)
        return cls(
            id=to_global_id("Complaint", tracked.reference),
            reference=tracked.reference,
            subject=record.subject,
            status=record.status,
            stage=record.stage,
            service_area=record.service_area,
            received_at=record.received_at,
            acknowledge_by=due.acknowledge_by,
            respond_by=due.respond_by,
            acknowledged_at=record.stage_acknowledged_at,
            responded_at=record.stage_responded_at,
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
    fee: Money | None = strawberry.field(description="What it costs, paid online with makePayment (SERVICE).")
    expected_days: int | None = strawberry.field(description="How long the council aims to take.")
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
