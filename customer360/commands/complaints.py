"""makeComplaint and escalateComplaint: validated here, kept in the outbox, delivered to the CRM."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from customer360.auth.principal import Principal
from customer360.commands.check_then_write import check_then_keep, kept_not_delivered
from customer360.commands.delivery import CREATED_BY_US, Delivered, DeliveryTools
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.complaints import (
    ComplaintRecord,
    NewComplaint,
    escalation_problems,
    validate_complaint,
)
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.people import NewContact, PostalAddress
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.sources.crm import COMPLAINT_BY_REFERENCE, COMPLAINTS_BY_CONTACT
from customer360.store.outbox import NewDelivery, OutboxItem

MAKE = "crm.create_complaint"
ESCALATE = "crm.escalate_complaint"
ESCALATION = "complaint_escalation"

SIGN_IN_FIRST = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to make a complaint, so we can reply to you")


async def make_complaint(
    principal: Principal,
    customer: GoldenRecord | None,
    writes: WritePath,
    *,
    subject: str,
    description: str,
    service_area: str | None,
    desired_outcome: str | None,
) -> Submission | list[Problem]:
    if not principal.is_resident or customer is None:
        return [SIGN_IN_FIRST]
    problems = validate_complaint(subject, description, service_area, desired_outcome)
    if problems:
        return problems
    payload = {
        "subject": subject.strip(),
        "description": description.strip(),
        "service_area": service_area.strip().lower() if service_area else None,
        "desired_outcome": desired_outcome.strip() if desired_outcome else None,
        "contact": contact_details(customer),
    }
    return await writes.submit(
        kind="complaint",
        customer_id=customer.customer_id,
        payload=payload,
        service_code="COMPLAINT",
        deliveries=[NewDelivery(SourceSystem.CRM, MAKE, payload)],
    )


async def escalate_complaint(
    principal: Principal,
    complaint: ComplaintRecord,
    complaint_now: Callable[[], Awaitable[ComplaintRecord | None]],
    writes: WritePath,
    *,
    reason: str,
    today: date,
) -> Submission | list[Problem]:
    """The caller has already checked the complaint is the principal's own.

    Checked again under the complaint's lock, against the CRM as it is now (`complaint_now` reads
    past the cache) and our escalations not yet delivered: asked twice at once, it is escalated once.
    """
    if not principal.is_resident or principal.customer_id is None:
        return [SIGN_IN_FIRST]
    customer_id = principal.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        pending = await kept_not_delivered(writes, ESCALATION, complaint_reference=complaint.reference)
        now = await complaint_now() or complaint  # after our own rows: see check_then_write
        problems = escalation_problems(now, reason, today, pending=pending)
        if problems:
            return problems
        payload = {
            "complaint_reference": now.reference,
            "contact_id": now.contact_id,
            "reason": reason.strip(),
            "escalated_at": datetime.now(UTC).isoformat(),
        }
        return await writes.keep(
            kind=ESCALATION,
            customer_id=customer_id,
            payload=payload,
            service_code="COMPLAINT",
            deliveries=[NewDelivery(SourceSystem.CRM, ESCALATE, payload)],
        )

    return await check_then_keep(writes, f"complaint:{complaint.reference}", check_and_keep)


def contact_details(customer: GoldenRecord) -> dict[str, Any]:
    """What the CRM needs to create a contact for someone it has never met."""
    address = customer.address
    return {
        "forenames": customer.forenames,
        "surname": customer.surname,
        "email": customer.email,
        "email_verified": customer.email_verified,
        "phone": customer.phone,
        "date_of_birth": customer.date_of_birth.isoformat() if customer.date_of_birth else None,
        "address": (
            {
                "line1": address.line1,
                "line2": address.line2,
                "town": address.town,
                "postcode": address.postcode,
                "uprn": address.uprn,
            }
            if address
            else None
        ),
    }


def person_key(customer_id: str | None, reference: str, role: str) -> str:
    """The key a back office keeps on a person customer360 creates there (so asking again finds them).

    Per customer, not per request: a delivery that created the person but died before linking
    them leaves a record that the customer's next delivery, whichever request it carries, finds
    instead of making a second. An anonymous request keys the person by its own reference.
    """
    if customer_id is None:
        return f"{reference}/{role}"
    return f"C360P-{hashlib.blake2b(customer_id.encode(), digest_size=16).hexdigest()}"


async def crm_contact_for(tools: DeliveryTools, item: OutboxItem) -> tuple[str, RecordLink | None]:
    """The customer's CRM contact, created (once, whatever the retries) if the CRM has none."""
    known = await tools.record_in(item.customer_id, SourceSystem.CRM)
    if known:
        return known, None
    details = item.payload["contact"]
    address = details.get("address")
    contact_id = await tools.sources.crm.create_contact(
        NewContact(
            external_reference=person_key(item.customer_id, item.reference, "contact"),
            forenames=details["forenames"],
            surname=details["surname"],
            created_at=datetime.now(UTC),
            email=details.get("email"),
            email_verified=bool(details.get("email_verified")),
            phone=details.get("phone"),
            date_of_birth=date.fromisoformat(details["date_of_birth"]) if details.get("date_of_birth") else None,
            address=PostalAddress(**address) if address else None,
        )
    )
    return contact_id, RecordLink(SourceSystem.CRM, contact_id, 1.0, CREATED_BY_US)


async def deliver_complaint(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    contact_id, new_link = await crm_contact_for(tools, item)
    payload = item.payload
    reference = await tools.sources.crm.create_complaint(
        NewComplaint(
            external_reference=item.reference,
            contact_id=contact_id,
            subject=payload["subject"],
            description=payload["description"],
            service_area=payload["service_area"],
            desired_outcome=payload["desired_outcome"],
            # Receipt is when the resident submitted, not when the CRM came back: the clock is theirs.
            received_at=item.created_at,
        )
    )
    return Delivered(
        reference,
        invalidate=[(COMPLAINTS_BY_CONTACT.namespace, contact_id), (COMPLAINT_BY_REFERENCE.namespace, item.reference)],
        new_link=new_link,
    )


async def deliver_escalation(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    payload = item.payload
    reference = await tools.sources.crm.escalate_complaint(
        payload["complaint_reference"], payload["reason"], datetime.fromisoformat(payload["escalated_at"])
    )
    return Delivered(
        reference,
        invalidate=[
            (COMPLAINTS_BY_CONTACT.namespace, payload["contact_id"]),
            (COMPLAINT_BY_REFERENCE.namespace, payload["complaint_reference"]),
        ],
    )


HANDLERS = {MAKE: deliver_complaint, ESCALATE: deliver_escalation}
