"""My Requests: everything a resident asked for, from every back office, as one list.

Each back office's own records (street reports, CRM cases, complaints, discount applications,
housing applications, payments) become `ServiceRequestRecord`s here, and whatever was submitted
through customer360 but not yet delivered is added from our own record of it. One call per back
office operation, all concurrently; newest activity first; keyset cursors.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from strawberry.types import Info

from customer360.commands.catalogue import IN_MY_REQUESTS
from customer360.domain.before_delivery import our_events, timed_by_delivery
from customer360.domain.changes import with_changes
from customer360.domain.complaints import ComplaintRecord, ComplaintStatus, complaint_deadlines
from customer360.domain.council_tax import (
    DISCOUNT_REQUEST_STATUS,
    CouncilTaxAccountRecord,
    DiscountRecord,
    DiscountStatus,
    as_of,
)
from customer360.domain.housing import APPLICATION_REQUEST_STATUS, HousingApplicationRecord
from customer360.domain.payments import PaymentRecord, PaymentStatus, PostingState
from customer360.domain.requests import RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context, or_unavailable
from customer360.resolvers.customers import gather_from_each
from customer360.resolvers.pagination import Page, paginate
from customer360.resolvers.payments import resident_payments
from customer360.resolvers.tracking import Tracked, track
from customer360.sources.crm import CASES_BY_CONTACT, COMPLAINTS_BY_CONTACT
from customer360.sources.housing import APPLICATIONS_BY_APPLICANT
from customer360.sources.revenues import ACCOUNTS_BY_PARTY
from customer360.sources.street_scene import REQUEST_BY_ID, REQUESTS_BY_REPORTER

COMPLAINT_STATUS = {
    ComplaintStatus.RECEIVED: RequestStatus.SUBMITTED,
    ComplaintStatus.ACKNOWLEDGED: RequestStatus.IN_PROGRESS,
    ComplaintStatus.RESPONDED: RequestStatus.RESOLVED,
    ComplaintStatus.CLOSED: RequestStatus.CLOSED,
}
PAYMENT_STATUS = {
    PaymentStatus.CREATED: RequestStatus.SUBMITTED,
    PaymentStatus.STARTED: RequestStatus.IN_PROGRESS,
    PaymentStatus.SUBMITTED: RequestStatus.IN_PROGRESS,
    PaymentStatus.SUCCESS: RequestStatus.RESOLVED,
    PaymentStatus.FAILED: RequestStatus.REJECTED,
    PaymentStatus.CANCELLED: RequestStatus.CLOSED,
    PaymentStatus.ERROR: RequestStatus.REJECTED,
}


async def requests(
    info: Info[Context, Any],
    customer_id: str,
    status: list[RequestStatus] | None,
    first: int | None,
    after: str | None,
) -> Page[Tracked[ServiceRequestRecord]]:
    found = await all_requests(info, customer_id)
    if status:
        found = [tracked for tracked in found if tracked.record.status in status]
    return paginate(
        found, lambda t: (t.record.updated_at.isoformat(), t.record.system.value, t.reference), first, after
    )


async def all_requests(info: Info[Context, Any], customer_id: str) -> list[Tracked[ServiceRequestRecord]]:
    """Everything the customer asked for, from every back office and from what is still on its way."""
    loaders = info.context.loaders
    today = info.context.today

    async def our_postings() -> None:
        # The postings of what the resident paid through us, read while the back offices answer (kept by
        # the loader, so the lookup below costs no second round trip).
        await loaders.postings.load_many([made.reference for made in await loaders.payments_made.load(customer_id)])

    # One task for the five back offices' reads, started together (`gather_from_each`), not one each.
    back_offices = gather_from_each(
        info,
        customer_id,
        [
            (SourceSystem.STREET_SCENE, loaders.of(REQUESTS_BY_REPORTER).load_many),
            (SourceSystem.CRM, loaders.of(CASES_BY_CONTACT).load_many),
            (SourceSystem.CRM, loaders.of(COMPLAINTS_BY_CONTACT).load_many),
            (SourceSystem.REVENUES, loaders.of(ACCOUNTS_BY_PARTY).load_many),
            (SourceSystem.HOUSING, loaders.of(APPLICATIONS_BY_APPLICANT).load_many),
        ],
    )
    (street, cases, complaints, accounts, applications), payments, ours, _ = await asyncio.gather(
        back_offices, resident_payments(info, customer_id), loaders.submissions.load(customer_id), our_postings()
    )
    made_here = [p.external_reference for p in payments if p.external_reference]
    postings = dict(zip(made_here, await loaders.postings.load_many(made_here), strict=True))
    in_back_offices = [
        *street,
        *cases,
        *map(complaint_request, complaints),
        *(discount_request(account, as_of(d, today)) for account in accounts for d in account.discounts),
        *map(housing_request, applications),
        *(payment_request(p, postings.get(p.external_reference or "")) for p in payments),
    ]
    submitted = [s for s in ours if s.kind in IN_MY_REQUESTS]
    in_back_offices.extend(await _street_reports_by_id(info, street, submitted))
    shown = [
        with_our_part(tracked)
        for tracked in track(
            in_back_offices,
            submitted,
            reference=lambda r: r.reference,
            external_reference=lambda r: r.external_reference,
            not_yet_delivered=request_not_yet_delivered,
        )
    ]
    told = await loaders.request_changes.load_many([tracked.reference for tracked in shown])
    return [
        replace(tracked, record=with_changes(tracked.record, seen)) for tracked, seen in zip(shown, told, strict=True)
    ]


async def _street_reports_by_id(
    info: Info[Context, Any], found: list[ServiceRequestRecord], submitted: list[Submission]
) -> list[ServiceRequestRecord]:
    """Street reports filed through us that the reporter lookup did not answer, by the id Open311 gave.

    A plain GeoReport v2 server cannot list a reporter's requests; our own record of each delivery
    holds the request's id, which the standard lets us ask for. Each comes back carrying the
    reference the resident was given, as a server with `external_reference` would answer.
    """
    known = {record.reference for record in found}
    ours = {
        delivery.backoffice_reference: submission.reference
        for submission in submitted
        for delivery in submission.deliveries
        if delivery.destination == SourceSystem.STREET_SCENE.value
        and delivery.backoffice_reference
        and delivery.backoffice_reference not in known
    }
    if not ours:
        return []
    loaded = await or_unavailable(info, info.context.loaders.of(REQUEST_BY_ID).load_many(list(ours)), [])
    return [replace(record, external_reference=ours[record.reference]) for record in loaded if record is not None]


def complaint_request(complaint: ComplaintRecord) -> ServiceRequestRecord:
    due = complaint_deadlines(complaint)
    events = [RequestEvent(complaint.received_at, "Complaint received", RequestStatus.SUBMITTED, SourceSystem.CRM)]
    for moment, text, status in (
        (complaint.acknowledged_at, "Complaint acknowledged", RequestStatus.IN_PROGRESS),
        (complaint.responded_at, "Stage 1 response sent", RequestStatus.RESOLVED),
        (complaint.escalated_at, "Escalated to stage 2", RequestStatus.IN_PROGRESS),
        (complaint.stage2_acknowledged_at, "Stage 2 acknowledged", RequestStatus.IN_PROGRESS),
        (complaint.stage2_responded_at, "Stage 2 response sent", RequestStatus.RESOLVED),
    ):
        if moment:
            events.append(RequestEvent(moment, text, status, SourceSystem.CRM))
    return ServiceRequestRecord(
        system=SourceSystem.CRM,
        reference=complaint.reference,
        owner_record_id=complaint.contact_id,
        service_code="COMPLAINT",
        service_name="Complaint",
        status=COMPLAINT_STATUS[complaint.status],
        submitted_at=complaint.received_at,
        updated_at=max(event.at for event in events),
        description=complaint.subject,
        expected_by=_end_of(due.respond_by),
        history=tuple(events),
        external_reference=complaint.external_reference,
    )


def discount_request(account: CouncilTaxAccountRecord, discount: DiscountRecord) -> ServiceRequestRecord:
    started = _start_of(discount.starts_on)
    revenues = SourceSystem.REVENUES
    events = [RequestEvent(started, "Single Person Discount applied for", RequestStatus.SUBMITTED, revenues)]
    if discount.review_reason:
        events.append(RequestEvent(started, discount.review_reason, RequestStatus.IN_PROGRESS, revenues))
    if discount.status is DiscountStatus.ACTIVE:
        events.append(RequestEvent(started, "Discount applied: 25% off", RequestStatus.RESOLVED, revenues))
    if discount.status is DiscountStatus.ENDED and discount.ends_on:  # an end still to come is not history yet
        ended = f"Discount ended on {discount.ends_on.isoformat()}"
        events.append(RequestEvent(_start_of(discount.ends_on), ended, RequestStatus.CLOSED, revenues))
    return ServiceRequestRecord(
        system=SourceSystem.REVENUES,
        reference=discount.discount_id,
        owner_record_id=account.party_id,
        service_code="SINGLE_PERSON_DISCOUNT",
        service_name="Single Person Discount",
        status=DISCOUNT_REQUEST_STATUS[discount.status],
        submitted_at=started,
        updated_at=max(event.at for event in events),
        description=f"Council Tax account {account.reference}",
        history=tuple(events),
        external_reference=discount.external_reference,
    )


def housing_request(application: HousingApplicationRecord) -> ServiceRequestRecord:
    submitted = _start_of(application.submitted_on)
    return ServiceRequestRecord(
        system=SourceSystem.HOUSING,
        reference=application.reference,
        owner_record_id=application.applicant_id,
        service_code="HOUSING_APPLICATION",
        service_name="Housing application",
        status=APPLICATION_REQUEST_STATUS[application.status],
        submitted_at=submitted,
        updated_at=submitted,
        description=f"Housing register, {application.bedrooms_needed} bedrooms",
        history=(RequestEvent(submitted, "Application received", RequestStatus.SUBMITTED, SourceSystem.HOUSING),),
        external_reference=application.external_reference,
    )


# What a resident reads about their payment's posting to the Council Tax account, by its state.
POSTING_EVENTS = {
    PostingState.POSTED: ("Paid into your Council Tax account", RequestStatus.RESOLVED),
    PostingState.UNDER_REVIEW: ("We are looking into this payment", RequestStatus.IN_PROGRESS),
    PostingState.RESOLVED: ("Our Council Tax team has dealt with this payment", RequestStatus.RESOLVED),
}


def payment_request(payment: PaymentRecord, posting: PostingState | None = None) -> ServiceRequestRecord:
    """A payment; once taken, its posting too: a refused one shows as being looked into, never as done.

    Made through customer360, it is listed by our reference (`external_reference`) with the provider's id
    as the back office's reference; until the provider has it, both are ours."""
    events = [RequestEvent(payment.created_at, f"Payment {payment.status.value.lower()}", None, SourceSystem.PAYMENTS)]
    status = PAYMENT_STATUS[payment.status]
    if posting in POSTING_EVENTS:
        text, status = POSTING_EVENTS[posting]
        # The provider's record carries no time for it; shown right after the payment's own event.
        events.append(RequestEvent(payment.created_at, text, status, SourceSystem.REVENUES))
    return ServiceRequestRecord(
        system=SourceSystem.PAYMENTS,
        reference=payment.payment_id or payment.reference,
        owner_record_id=payment.payer_id,
        service_code=f"PAYMENT_{payment.purpose.value}",
        service_name="Payment",
        status=status,
        submitted_at=payment.created_at,
        updated_at=payment.created_at,
        description=payment.description,
        history=tuple(events),
        external_reference=payment.external_reference,
    )


def request_not_yet_delivered(submission: Submission) -> ServiceRequestRecord:
    """How its portal service shows a request its back office does not have yet (commands/unit.py)."""
    return IN_MY_REQUESTS[SubmissionKind(submission.kind)](submission)


def with_our_part(tracked: Tracked[ServiceRequestRecord]) -> Tracked[ServiceRequestRecord]:
    """A back office's record of something asked for through customer360 keeps what came before it:
    dated when the resident asked, its history our steps followed by the back office's (append-only)."""
    submission, record = tracked.submission, tracked.record
    if submission is None or record.reference == submission.reference:
        return tracked  # not ours, or still only ours (its history is already our steps)
    history = (*our_events(submission), *(timed_by_delivery(event, submission) for event in record.history))
    shown = replace(
        record,
        submitted_at=submission.created_at,
        updated_at=max(event.at for event in history),
        history=tuple(sorted(history, key=lambda event: event.at)),
    )
    return replace(tracked, record=shown)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), UTC)
