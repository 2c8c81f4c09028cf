"""The outbox rows that tell a resident something: a receipt kept with the request itself.

Kept in the same transaction as the request (`WritePath.keep`), so a request is never made without
its receipt, and under the event key `RECEIVED`, so a back office's change feed reporting the same
request as new later finds the receipt already kept.
"""

from __future__ import annotations

from typing import Any

from customer360.domain.notifications import NOTIFY, NOTIFY_OPERATION, MessageKind, event_key
from customer360.domain.requests import RequestStatus
from customer360.domain.submissions import SubmissionKind
from customer360.store.outbox import NewDelivery

# What each kind of request is called in its receipt; kinds not here get none (an escalation is told
# by the complaint's own messages; a payment by its confirmation).
RECEIPT_NAMES = {
    SubmissionKind.COMPLAINT: "Complaint",
    SubmissionKind.STREET_REPORT: "Report a problem",
    SubmissionKind.CASE: "Request",
    SubmissionKind.SPD_APPLICATION: "Single Person Discount",
    SubmissionKind.SPD_REMOVAL: "End Single Person Discount",
    SubmissionKind.MOVE: "Moving home",
    SubmissionKind.HOUSING_APPLICATION: "Housing application",
}


def notify_delivery(
    key: str,
    kind: MessageKind,
    service_name: str,
    status: RequestStatus | None = None,
    note: str | None = None,
    contact_email: str | None = None,
) -> NewDelivery:
    """The outbox row that tells the resident of one event. `contact_email`: only that address is
    used (a safeguarding reporter's own, who may not want anything sent elsewhere)."""
    payload: dict[str, Any] = {"kind": kind.value, "service_name": service_name}
    if status is not None:
        payload["status"] = status.value
    if note:
        payload["note"] = note[:500]
    if contact_email:
        payload["contact_email"] = contact_email
    return NewDelivery(NOTIFY, f"{NOTIFY_OPERATION}:{key}", payload)


def receipt_for(kind: str, payload: dict[str, Any], customer_id: str | None) -> NewDelivery | None:
    """The receipt a request of this kind gets; a safeguarding report only when its reporter left a
    contact, and an anonymous report at the address it left, if any."""
    if kind == SubmissionKind.SAFEGUARDING:
        contact = payload.get("contact_email")
        if not contact:
            return None
        return notify_delivery(
            event_key(MessageKind.SAFEGUARDING_RECEIPT), MessageKind.SAFEGUARDING_RECEIPT, "", contact_email=contact
        )
    known = kind in SubmissionKind.__members__.values()
    name = payload.get("service_name") or (RECEIPT_NAMES.get(SubmissionKind(kind)) if known else None)
    if name is None:
        return None
    contact = None if customer_id else payload.get("contact_email")
    if customer_id is None and not contact:
        return None
    return notify_delivery(event_key(MessageKind.RECEIVED), MessageKind.RECEIVED, str(name), contact_email=contact)


def payment_confirmation() -> NewDelivery:
    """The payer's confirmation that their card payment was taken."""
    return notify_delivery(event_key(MessageKind.PAYMENT_CONFIRMED), MessageKind.PAYMENT_CONFIRMED, "Payment")
