"""Reads past the request's loaders and the cache: a check-then-write's check (what the back office
holds now, not a copy) and the read after a resident's own write. The one place a read drops copies;
what a write makes stale is declared by its portal service and forgotten by the deliverer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import Info

from customer360.cache.base import Stale
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.housing import HousingApplicationRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import CouncilTenancyRecord
from customer360.resolvers import nodes
from customer360.resolvers.context import Context
from customer360.resolvers.customers import records_in
from customer360.resolvers.tracking import Tracked
from customer360.sources.backoffice import Lookup
from customer360.sources.crm import COMPLAINT_BY_REFERENCE
from customer360.sources.errors import SourceUnavailable
from customer360.sources.housing import APPLICATIONS_BY_APPLICANT
from customer360.sources.housing_management import TENANCIES_BY_TENANT
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE

HOUSING_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check your housing applications right now; nothing was sent, please try again shortly",
)
HOUSING_MANAGEMENT_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check your tenancy right now; nothing was sent, please try again shortly",
)


async def _drop_copies(info: Info[Context, Any], lookup: Lookup[Any, Any], keys: Sequence[str]) -> None:
    loader = info.context.loaders.of(lookup)
    for key in keys:
        loader.clear(key)
    await info.context.services.cache.forget(Stale(keys=[(lookup.namespace, key) for key in keys]))


async def complaint(info: Info[Context, Any], reference: str) -> Tracked[ComplaintRecord] | None:
    """The complaint as the CRM holds it now (still checked against the principal, as `nodes.complaint`)."""
    await _drop_copies(info, COMPLAINT_BY_REFERENCE, [reference])
    return await nodes.complaint(info, reference)


async def council_tax_account(info: Info[Context, Any], reference: str) -> CouncilTaxAccountRecord | None:
    await _drop_copies(info, ACCOUNT_BY_REFERENCE, [reference])
    return await info.context.loaders.of(ACCOUNT_BY_REFERENCE).load(reference)


async def housing_applications(info: Info[Context, Any], customer_id: str) -> list[HousingApplicationRecord] | Problem:
    """The resident's applications as HOUSING holds them now: an application delivered a moment ago,
    and its new applicant link, must show. HOUSING down is a problem, never "none"."""
    loaders = info.context.loaders
    loaders.links.clear(customer_id)
    applicant_ids = await records_in(info, customer_id, SourceSystem.HOUSING)
    await _drop_copies(info, APPLICATIONS_BY_APPLICANT, applicant_ids)
    try:
        found = await loaders.of(APPLICATIONS_BY_APPLICANT).load_many(applicant_ids)
    except SourceUnavailable:
        return HOUSING_DOWN
    return [application for applications in found for application in applications]


async def tenancies(info: Info[Context, Any], customer_id: str) -> list[CouncilTenancyRecord] | Problem:
    """The resident's tenancies as HOUSING_MANAGEMENT holds them now (a rent account's Direct Debit
    just lodged must show). HOUSING_MANAGEMENT down is a problem, never "none"."""
    tenant_ids = await records_in(info, customer_id, SourceSystem.HOUSING_MANAGEMENT)
    await _drop_copies(info, TENANCIES_BY_TENANT, tenant_ids)
    try:
        found = await info.context.loaders.of(TENANCIES_BY_TENANT).load_many(tenant_ids)
    except SourceUnavailable:
        return HOUSING_MANAGEMENT_DOWN
    return [tenancy for held in found for tenancy in held]
