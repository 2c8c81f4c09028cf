"""A customer's benefit claims, housing applications, complaints, requests and payments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import Info

from customer360.clock import LONDON
from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.complaints import ComplaintPayload, ComplaintRecord, ComplaintStage, ComplaintStatus
from customer360.domain.housing import ApplicationPayload, HousingApplicationRecord, HousingApplicationStatus
from customer360.domain.payments import PaymentRecord
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_from, started
from customer360.resolvers.pagination import Page, paginate
from customer360.resolvers.payments import resident_payments
from customer360.resolvers.tracking import Tracked, track
from customer360.sources.benefits import CLAIMS_BY_CLAIMANT
from customer360.sources.crm import COMPLAINTS_BY_CONTACT
from customer360.sources.housing import APPLICATIONS_BY_APPLICANT


async def benefit_claims(info: Info[Context, Any], customer_id: str) -> list[BenefitClaimRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.BENEFITS, info.context.loaders.of(CLAIMS_BY_CLAIMANT).load_many
    )


async def housing_applications(info: Info[Context, Any], customer_id: str) -> list[Tracked[HousingApplicationRecord]]:
    """HOUSING's applications plus any still on their way to it, each by the reference the resident was given."""
    loaders = info.context.loaders
    # Our own record and HOUSING's at once: neither waits for the other (our record's read is a future,
    # started here, so it needs no task of its own).
    ours_read = started(loaders.submissions.load(customer_id))
    in_housing = await gather_from(
        info, customer_id, SourceSystem.HOUSING, loaders.of(APPLICATIONS_BY_APPLICANT).load_many
    )
    ours = await ours_read
    submitted = [s for s in ours if s.kind == SubmissionKind.HOUSING_APPLICATION]
    return track(
        in_housing,
        submitted,
        reference=lambda a: a.reference,
        external_reference=lambda a: a.external_reference,
        not_yet_delivered=application_not_yet_in_housing,
    )


def application_not_yet_in_housing(submission: Submission) -> HousingApplicationRecord:
    application = ApplicationPayload.of(submission.payload)
    return HousingApplicationRecord(
        reference=submission.reference,
        applicant_id="",
        status=HousingApplicationStatus.SUBMITTED,
        submitted_on=submission.created_at.astimezone(LONDON).date(),
        band=None,
        bedrooms_needed=application.bedrooms_needed,
        household_size=len(application.household),
        external_reference=submission.reference,
    )


async def complaints(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[Tracked[ComplaintRecord]]:
    """The CRM's complaints plus any still on their way to it (the CRM may be down)."""
    loaders = info.context.loaders
    ours_read = started(loaders.submissions.load(customer_id))  # a future, read while the CRM answers
    in_crm = await gather_from(info, customer_id, SourceSystem.CRM, loaders.of(COMPLAINTS_BY_CONTACT).load_many)
    ours = await ours_read
    submitted = [s for s in ours if s.kind == SubmissionKind.COMPLAINT]
    return paginate(
        tracked_complaints(in_crm, submitted),
        lambda t: (t.record.received_at.isoformat(), t.reference),
        first,
        after,
    )


def tracked_complaints(
    in_crm: Sequence[ComplaintRecord], submitted: Sequence[Submission]
) -> list[Tracked[ComplaintRecord]]:
    return track(
        in_crm,
        submitted,
        reference=lambda c: c.reference,
        external_reference=lambda c: c.external_reference,
        not_yet_delivered=complaint_not_yet_in_crm,
    )


def complaint_not_yet_in_crm(submission: Submission) -> ComplaintRecord:
    complaint = ComplaintPayload.of(submission.payload)
    return ComplaintRecord(
        reference=submission.reference,
        contact_id="",
        subject=complaint.subject,
        description=complaint.description,
        service_area=complaint.service_area,
        status=ComplaintStatus.RECEIVED,
        stage=ComplaintStage.STAGE_1,
        received_at=submission.created_at,
        external_reference=submission.reference,
    )


async def payments(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[PaymentRecord]:
    found = await resident_payments(info, customer_id)
    return paginate(found, lambda p: (p.created_at.isoformat(), p.external_reference or p.payment_id), first, after)
