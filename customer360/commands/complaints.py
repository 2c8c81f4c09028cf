"""The complaint service (makeComplaint and escalateComplaint), declared as one unit: validated here,
kept in the outbox, delivered to the CRM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from customer360.auth.principal import Principal
from customer360.commands.check_then_write import check_then_keep, kept_not_delivered
from customer360.commands.contacts import crm_contact_for
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.before_delivery import as_request
from customer360.domain.complaints import (
    ComplaintPayload,
    ComplaintRecord,
    NewComplaint,
    escalation_problems,
    validate_complaint,
)
from customer360.domain.contacts import ContactDetails
from customer360.domain.customers import GoldenRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.sources.crm import COMPLAINT_BY_REFERENCE, COMPLAINTS_BY_CONTACT
from customer360.store.outbox import NewDelivery, OutboxItem

MAKE = "crm.create_complaint"
ESCALATE = "crm.escalate_complaint"
SERVICE_CODE = "COMPLAINT"

SIGN_IN_FIRST = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to make a complaint, so we can reply to you")


@dataclass(frozen=True)
class MakeComplaint:
    subject: str
    description: str
    service_area: str | None
    desired_outcome: str | None


@dataclass(frozen=True)
class EscalateComplaint:
    reason: str
    today: date


@dataclass(frozen=True)
class EscalationPayload:
    complaint_reference: str
    contact_id: str
    reason: str
    escalated_at: datetime

    def as_payload(self) -> dict[str, Any]:
        return {**asdict(self), "escalated_at": self.escalated_at.isoformat()}

    @classmethod
    def of(cls, kept: dict[str, Any]) -> EscalationPayload:
        return cls(
            complaint_reference=kept["complaint_reference"],
            contact_id=kept["contact_id"],
            reason=kept["reason"],
            escalated_at=datetime.fromisoformat(kept["escalated_at"]),
        )


async def make_complaint(
    principal: Principal, customer: GoldenRecord | None, writes: WritePath, command: MakeComplaint
) -> Submission | list[Problem]:
    if not principal.is_resident or customer is None:
        return [SIGN_IN_FIRST]
    problems = validate_complaint(command.subject, command.description, command.service_area, command.desired_outcome)
    if problems:
        return problems
    payload = ComplaintPayload(
        subject=command.subject.strip(),
        description=command.description.strip(),
        service_area=command.service_area.strip().lower() if command.service_area else None,
        desired_outcome=command.desired_outcome.strip() if command.desired_outcome else None,
        contact=ContactDetails.of_customer(customer),
    ).as_payload()
    return await writes.submit(
        kind=SubmissionKind.COMPLAINT,
        customer_id=customer.customer_id,
        payload=payload,
        service_code=SERVICE_CODE,
        deliveries=[NewDelivery(SourceSystem.CRM, MAKE, payload)],
    )


async def escalate_complaint(
    principal: Principal,
    complaint: ComplaintRecord,
    complaint_now: Callable[[], Awaitable[ComplaintRecord | None]],
    writes: WritePath,
    command: EscalateComplaint,
) -> Submission | list[Problem]:
    """The caller has already checked the complaint is the principal's own.

    Checked again under the complaint's lock, against the CRM as it is now (`complaint_now` reads
    past the cache) and our escalations not yet delivered: asked twice at once, it is escalated once.
    """
    if not principal.is_resident or principal.customer_id is None:
        return [SIGN_IN_FIRST]
    customer_id = principal.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        escalation = SubmissionKind.COMPLAINT_ESCALATION
        pending = await kept_not_delivered(writes, escalation, complaint_reference=complaint.reference)
        now = await complaint_now() or complaint  # after our own rows: see check_then_write
        problems = escalation_problems(now, command.reason, command.today, pending=pending)
        if problems:
            return problems
        payload = EscalationPayload(
            complaint_reference=now.reference,
            contact_id=now.contact_id,
            reason=command.reason.strip(),
            escalated_at=datetime.now(UTC),
        ).as_payload()
        return await writes.keep(
            kind=escalation,
            customer_id=customer_id,
            payload=payload,
            service_code=SERVICE_CODE,
            deliveries=[NewDelivery(SourceSystem.CRM, ESCALATE, payload)],
        )

    return await check_then_keep(writes, f"complaint:{complaint.reference}", check_and_keep)


async def deliver_complaint(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    complaint = ComplaintPayload.of(item.payload)
    contact_id, created = await crm_contact_for(tools, item, complaint.contact)
    reference = await tools.sources.crm.create_complaint(
        NewComplaint(
            external_reference=item.reference,
            contact_id=contact_id,
            subject=complaint.subject,
            description=complaint.description,
            service_area=complaint.service_area,
            desired_outcome=complaint.desired_outcome,
            # Receipt is when the resident submitted, not when the CRM came back: the clock is theirs.
            received_at=item.created_at,
        )
    )
    return Delivered(
        reference,
        invalidate=[(COMPLAINTS_BY_CONTACT.namespace, contact_id), (COMPLAINT_BY_REFERENCE.namespace, item.reference)],
        created=created,
    )


async def deliver_escalation(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    escalation = EscalationPayload.of(item.payload)
    reference = await tools.sources.crm.escalate_complaint(
        escalation.complaint_reference, escalation.reason, escalation.escalated_at
    )
    return Delivered(
        reference,
        invalidate=[
            (COMPLAINTS_BY_CONTACT.namespace, escalation.contact_id),
            (COMPLAINT_BY_REFERENCE.namespace, escalation.complaint_reference),
        ],
    )


UNIT = PortalService(
    name="complaint",
    kinds=(SubmissionKind.COMPLAINT, SubmissionKind.COMPLAINT_ESCALATION),
    journeys=(Journey("makeComplaint", "COMPLAINT"), Journey("escalateComplaint", "COMPLAINT_ESCALATION")),
    deliveries=(
        Delivery(
            MAKE, deliver_complaint, frozenset({COMPLAINTS_BY_CONTACT.namespace, COMPLAINT_BY_REFERENCE.namespace})
        ),
        Delivery(
            ESCALATE, deliver_escalation, frozenset({COMPLAINTS_BY_CONTACT.namespace, COMPLAINT_BY_REFERENCE.namespace})
        ),
    ),
    in_my_requests={SubmissionKind.COMPLAINT: as_request("Complaint")},
)
