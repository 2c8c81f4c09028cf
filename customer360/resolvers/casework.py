"""A customer's benefit claims, housing applications, complaints, requests and payments."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.housing import HousingApplicationRecord
from customer360.domain.payments import PaymentRecord
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_concurrently, gather_from
from customer360.resolvers.pagination import Page, paginate


async def benefit_claims(info: Info[Context, Any], customer_id: str) -> list[BenefitClaimRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.BENEFITS, info.context.loaders.benefit_claims_by_claimant.load_many
    )


async def housing_applications(info: Info[Context, Any], customer_id: str) -> list[HousingApplicationRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.HOUSING, info.context.loaders.housing_applications_by_applicant.load_many
    )


async def complaints(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[ComplaintRecord]:
    found = await gather_from(info, customer_id, SourceSystem.CRM, info.context.loaders.complaints_by_contact.load_many)
    return paginate(found, lambda c: (c.received_at.isoformat(), c.reference), first, after)


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
