"""Staff casework, declared as one unit: an officer answers a complaint (stage 1 or 2) or moves a CRM
case on (a staff-defined service's cases too). Checked under the complaint's or case's lock against the
CRM as it is now and what is already on its way, kept in the outbox, delivered to the CRM, shown in the
resident's history (the CRM's own record of the step), and audited with the officer's reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from customer360.auth.policy import acting_name, acting_role, can_do_casework
from customer360.auth.principal import Principal
from customer360.commands.check_then_write import check_then_keep
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.casework import ComplaintOutcome, progress_problems, response_problems
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.domain.submissions import Submission, SubmissionKind, kept_of_kind
from customer360.domain.systems import SourceSystem
from customer360.sources.crm import CASES_BY_CONTACT, COMPLAINT_BY_REFERENCE, COMPLAINTS_BY_CONTACT
from customer360.store.audit import AuditLog
from customer360.store.outbox import NewDelivery, OutboxItem

RESPOND = "crm.respond_to_complaint"
PROGRESS = "crm.progress_case"

NO_SUCH_COMPLAINT = Problem(("input", "complaintId"), CommonCode.NOT_FOUND, "We could not find that complaint")
NO_SUCH_CASE = Problem(("input", "reference"), CommonCode.NOT_FOUND, "We could not find that case")


@dataclass(frozen=True)
class ResponsePayload:
    complaint_reference: str
    contact_id: str
    outcome: str
    response: str
    responded_at: datetime
    officer: str

    def as_payload(self) -> dict[str, Any]:
        return {**asdict(self), "responded_at": self.responded_at.isoformat()}

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ResponsePayload:
        return cls(**{**kept, "responded_at": datetime.fromisoformat(kept["responded_at"])})


@dataclass(frozen=True)
class ProgressPayload:
    case_reference: str
    contact_id: str | None
    status: str
    note: str
    at: datetime
    officer: str

    def as_payload(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ProgressPayload:
        return cls(**{**kept, "at": datetime.fromisoformat(kept["at"])})


async def respond_to_complaint(
    principal: Principal,
    complaint: ComplaintRecord,
    complaint_now: Callable[[], Awaitable[ComplaintRecord | None]],
    writes: WritePath,
    audit: AuditLog,
    *,
    customer_id: str | None,
    outcome: ComplaintOutcome,
    response: str,
) -> Submission | list[Problem]:
    """Answered twice at once, answered once (the complaint's lock, as escalating it takes)."""
    if not can_do_casework(principal, None):
        return [NO_SUCH_COMPLAINT]

    async def check_and_keep() -> Kept | list[Problem]:
        kind = SubmissionKind.COMPLAINT_RESPONSE
        # Our own rows first, then the CRM: an answer delivered in between is seen in one or the other.
        on_its_way = kept_of_kind(
            await writes.outbox.submissions_carrying(kind, complaint_reference=complaint.reference), kind
        )
        now = await complaint_now() or complaint
        pending = any(s.payload.get("stage") == now.stage.value for s in on_its_way)
        problems = response_problems(now, response, pending=pending)
        if problems:
            return problems
        payload = ResponsePayload(
            complaint_reference=now.reference,
            contact_id=now.contact_id,
            outcome=outcome.value,
            response=response.strip(),
            responded_at=datetime.now(UTC),
            officer=acting_name(principal),
        ).as_payload() | {"stage": now.stage.value}
        return await writes.keep(
            kind=kind,
            customer_id=customer_id,
            payload=payload,
            deliveries=[NewDelivery(SourceSystem.CRM, RESPOND, payload)],
        )

    kept = await check_then_keep(writes, f"complaint:{complaint.reference}", check_and_keep)
    if not isinstance(kept, list):
        await _audit(audit, principal, "casework.respond_to_complaint", customer_id, outcome.value, response, kept)
    return kept


async def progress_case(
    principal: Principal,
    case: ServiceRequestRecord,
    case_now: Callable[[], Awaitable[ServiceRequestRecord | None]],
    writes: WritePath,
    audit: AuditLog,
    *,
    customer_id: str | None,
    status: RequestStatus,
    note: str,
) -> Submission | list[Problem]:
    if not can_do_casework(principal, case.queue):
        return [NO_SUCH_CASE]

    async def check_and_keep() -> Kept | list[Problem]:
        kind = SubmissionKind.CASE_PROGRESS
        on_its_way = kept_of_kind(await writes.outbox.submissions_carrying(kind, case_reference=case.reference), kind)
        now = await case_now() or case  # after our own rows, as above
        pending = RequestStatus(on_its_way[-1].payload["status"]) if on_its_way else None
        problems = progress_problems(now, status, note, pending=pending)
        if problems:
            return problems
        payload = ProgressPayload(
            case_reference=now.reference,
            contact_id=now.owner_record_id,
            status=status.value,
            note=note.strip(),
            at=datetime.now(UTC),
            officer=acting_name(principal),
        ).as_payload()
        return await writes.keep(
            kind=kind,
            customer_id=customer_id,
            payload=payload,
            service_code=now.service_code,
            deliveries=[NewDelivery(SourceSystem.CRM, PROGRESS, payload)],
        )

    kept = await check_then_keep(writes, f"case:{case.reference}", check_and_keep)
    if not isinstance(kept, list):
        await _audit(audit, principal, "casework.progress_case", customer_id, status.value, note, kept)
    return kept


async def _audit(
    audit: AuditLog,
    principal: Principal,
    action: str,
    customer_id: str | None,
    decision: str,
    reason: str,
    kept: Submission,
) -> None:
    """Who moved the resident's request on, to what, and why (the officer's own words)."""
    role = acting_role(principal)
    await audit.append(
        actor=principal.subject or "staff",
        role=role.value if role else None,
        action=action,
        customer_id=customer_id,
        purpose=decision,
        detail={"reference": kept.reference, "reason": reason.strip()},
    )


async def deliver_response(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    answer = ResponsePayload.of({k: v for k, v in item.payload.items() if k != "stage"})
    reference = await tools.sources.crm.respond_to_complaint(
        answer.complaint_reference, answer.outcome, answer.response, answer.responded_at
    )
    return Delivered(
        reference,
        invalidate=[
            (COMPLAINTS_BY_CONTACT.namespace, answer.contact_id),
            (COMPLAINT_BY_REFERENCE.namespace, answer.complaint_reference),
        ],
    )


async def deliver_progress(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    step = ProgressPayload.of(item.payload)
    reference = await tools.sources.crm.progress_case(
        step.case_reference, RequestStatus(step.status), step.note, step.at
    )
    return Delivered(reference, invalidate=[(CASES_BY_CONTACT.namespace, step.contact_id)] if step.contact_id else [])


UNIT = PortalService(
    name="casework",
    kinds=(SubmissionKind.COMPLAINT_RESPONSE, SubmissionKind.CASE_PROGRESS),
    journeys=(),  # staff actions: audited, not counted as residents' journeys
    deliveries=(
        Delivery(
            RESPOND, deliver_response, frozenset({COMPLAINTS_BY_CONTACT.namespace, COMPLAINT_BY_REFERENCE.namespace})
        ),
        Delivery(PROGRESS, deliver_progress, frozenset({CASES_BY_CONTACT.namespace})),
    ),
)
