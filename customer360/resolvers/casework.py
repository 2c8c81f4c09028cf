"""A customer's benefit claims, housing applications, complaints, requests and payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.complaints import ComplaintRecord, ComplaintStage, ComplaintStatus
from customer360.domain.housing import HousingApplicationRecord
from customer360.domain.payments import PaymentRecord
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.domain.submissions import DeliveryRecord, Submission
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_concurrently, gather_from
from customer360.resolvers.pagination import Page, paginate

COMPLAINT_KIND = "complaint"

COMPLAINT_KIND = "complaint"


async def benefit_claims(info: Info[Context, Any], customer_id: str) -> list[BenefitClaimRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.BENEFITS, info.context.loaders.benefit_claims_by_claimant.load_many
    )


async def housing_applications(info: Info[Context, Any], customer_id: str) -> list[HousingApplicationRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.HOUSING, info.context.loaders.housing_applications_by_applicant.load_many
    )


@dataclass(frozen=True)
class TrackedComplaint:
    """A complaint as the resident knows it: by the reference they were given, with its delivery."""

    complaint: ComplaintRecord
    reference: str
    delivery: DeliveryRecord | None  # None: recorded in the CRM directly, not through customer360


async def complaints(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[TrackedComplaint]:
    """The CRM's complaints plus any still on their way to it (the CRM may be down)."""
    loaders = info.context.loaders
    in_crm = await gather_from(info, customer_id, SourceSystem.CRM, loaders.complaints_by_contact.load_many)
    submitted = [s for s in await loaders.submissions.load(customer_id) if s.kind == COMPLAINT_KIND]
    return paginate(
        tracked_complaints(in_crm, submitted),
        lambda t: (t.complaint.received_at.isoformat(), t.reference),
        first,
        after,
    )


def tracked_complaints(in_crm: list[ComplaintRecord], submitted: list[Submission]) -> list[TrackedComplaint]:
    by_reference = {s.reference: s for s in submitted}
    tracked = []
    for complaint in in_crm:
        submission = by_reference.pop(complaint.external_reference or "", None)
        tracked.append(
            TrackedComplaint(complaint, complaint.external_reference or complaint.reference, _delivery(submission))
        )
    tracked.extend(
        TrackedComplaint(complaint_not_yet_in_crm(s), s.reference, _delivery(s)) for s in by_reference.values()
    )
    return tracked


def complaint_not_yet_in_crm(submission: Submission) -> ComplaintRecord:
    payload = submission.payload
    return ComplaintRecord(
        reference=submission.reference,
        contact_id="",
        subject=payload["subject"],
        description=payload["description"],
        service_area=payload.get("service_area"),
        status=ComplaintStatus.RECEIVED,
        stage=ComplaintStage.STAGE_1,
        received_at=submission.created_at,
        external_reference=submission.reference,
    )


def _delivery(submission: Submission | None) -> DeliveryRecord | None:
    return submission.deliveries[0] if submission and submission.deliveries else None


async def requests(
    info: Info[Context, Any],
    customer_id: str,
    status: list[RequestStatus] | None,
    first: int | None,
    after: str | None,
) -> Page[ServiceRequestRecord]:
    """My Requests: every back office's requests in one list, newest activity first."""
    loaders = info.context.loaders
    found = await gather_concurrently(
        gather_from(info, customer_id, SourceSystem.STREET_SCENE, loaders.street_requests_by_reporter.load_many),
        gather_from(info, customer_id, SourceSystem.CRM, loaders.cases_by_contact.load_many),
    )
    if status:
        found = [request for request in found if request.status in status]
    return paginate(found, lambda r: (r.updated_at.isoformat(), r.system.value, r.reference), first, after)


async def payments(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[PaymentRecord]:
    found = await gather_from(
        info, customer_id, SourceSystem.PAYMENTS, info.context.loaders.payments_by_payer.load_many
    )
    return paginate(found, lambda p: (p.created_at.isoformat(), p.payment_id), first, after)
