"""A customer's council tenancies and their rent accounts, from HOUSING_MANAGEMENT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from strawberry.types import Info

from customer360.auth.policy import can_see_records_of, can_view_customer
from customer360.clock import LONDON
from customer360.domain.accounts_held import AccountHeld
from customer360.domain.direct_debit import in_force, next_collection
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.rent import RentStatement, next_due_date, rent_year_of, statement
from customer360.domain.repairs import RepairPayload, RepairRecord, repair_as_reported
from customer360.domain.submissions import SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import CouncilTenancyRecord, TenancyHeld
from customer360.resolvers import accounts_seen
from customer360.resolvers.context import Context
from customer360.resolvers.customers import records_in
from customer360.resolvers.loaders import owner_key
from customer360.sources.errors import SourceUnavailable
from customer360.sources.housing_management import (
    HOUSING_MANAGEMENT,
    TENANCIES_BY_TENANT,
    TENANCY_BY_REPAIR,
    TENANT_BY_TENANCY,
)

HOUSING_MANAGEMENT_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check your tenancy right now; nothing was sent, please try again shortly",
)
STATEMENT_WEEKS = 13  # a quarter: what a rent statement shows after the balance brought forward


@dataclass(frozen=True, slots=True)
class RentAccountView:
    tenancy: CouncilTenancyRecord
    statement: RentStatement
    next_due_on: date


async def tenancies(info: Info[Context, Any], customer_id: str) -> list[CouncilTenancyRecord]:
    """The customer's tenancies, for those the housing management office lets see them (else none, and
    a FORBIDDEN error on the field)."""
    if not can_see_records_of(info.context.principal, HOUSING_MANAGEMENT, customer_id):
        info.context.report_forbidden(info, "rent accounts are for the housing and customer services teams")
        return []
    return await accounts_seen.gather_remembering(info, customer_id, TENANCIES_BY_TENANT, _as_held)


def _as_held(tenancy: CouncilTenancyRecord) -> AccountHeld:
    return tenancy.held().as_account()


async def tenancy(info: Info[Context, Any], reference: str) -> CouncilTenancyRecord | None:
    """One tenancy by its reference (a `Tenancy` id: what a gateway's representation names), checked as
    `node(id:)` checks an object, against its tenant's golden record, and as `Customer.tenancies` is, by
    the housing office's own rule. Anyone else's, like an unknown one, is None: ids cannot be probed."""
    tenant_id = await info.context.loaders.of(TENANT_BY_TENANCY).load(reference)
    if tenant_id is None:
        return None
    owner = await info.context.loaders.owners.load(owner_key(SourceSystem.HOUSING_MANAGEMENT, tenant_id))
    principal = info.context.principal
    if owner is None or not (
        can_view_customer(principal, owner) and can_see_records_of(principal, HOUSING_MANAGEMENT, owner)
    ):
        return None
    return next((held for held in await tenancies(info, owner) if held.tenancy_ref == reference), None)


async def repair(info: Info[Context, Any], reference: str) -> RepairRecord | None:
    """One repair by the reference its `Repair` id carries (the C360- one the tenant was given, or the
    housing team's own), checked as its tenancy is (`tenancy`): anyone else's is None, as an unknown one.
    One still on its way to HOUSING_MANAGEMENT is shown as reported, as `reportRepair` answered it."""
    submission = (await info.context.services.submissions.submissions_by_reference([reference])).get(reference)
    if submission is not None and submission.kind != SubmissionKind.REPAIR:
        return None
    tenancy_ref = (
        RepairPayload.of(submission.payload).tenancy_reference
        if submission is not None
        else await info.context.loaders.of(TENANCY_BY_REPAIR).load(reference)
    )
    held = await tenancy(info, tenancy_ref) if tenancy_ref is not None else None
    if held is None:
        return None
    found = next((r for r in held.repairs if reference in (r.reference, r.external_reference)), None)
    if found is None and submission is not None:
        return repair_as_reported(submission)
    return found


def rent_account(tenancy: CouncilTenancyRecord, today: date) -> RentAccountView:
    years = {held.year: held for held in tenancy.rent_years}
    since = today - timedelta(weeks=STATEMENT_WEEKS)
    # Paid by Direct Debit, rent is collected monthly on the instruction's payment day instead.
    paying = in_force(tenancy.direct_debits)
    due = (
        next_collection(today, paying.payment_day, paying.first_collection_on)
        if paying
        else next_due_date(today, years)
    )
    return RentAccountView(tenancy, statement(tenancy.transactions, since), due)


def now() -> datetime:
    """The council's local time: repair deadlines count its working days."""
    return datetime.now(LONDON)


def weekly_charge_now(tenancy: CouncilTenancyRecord, today: date) -> tuple[int, int] | None:
    """This rent year's (rent, service charges), or None when the council has not set it."""
    held = tenancy.rent_year(rent_year_of(today))
    return (held.charge.rent, held.charge.service_charges) if held else None


async def tenancies_or_problem(info: Info[Context, Any], customer_id: str) -> list[CouncilTenancyRecord] | Problem:
    """The resident's tenancies for a write's check: HOUSING_MANAGEMENT down is a problem, never "none"."""
    tenant_ids = await records_in(info, customer_id, SourceSystem.HOUSING_MANAGEMENT)
    try:
        found = await info.context.loaders.of(TENANCIES_BY_TENANT).load_many(tenant_ids)
    except SourceUnavailable:
        return HOUSING_MANAGEMENT_DOWN
    await accounts_seen.remember(info, TENANCIES_BY_TENANT, tenant_ids, found, _as_held)
    return [tenancy for held in found for tenancy in held]


async def tenancies_for_a_repair(info: Info[Context, Any], customer_id: str) -> Sequence[TenancyHeld] | Problem:
    """The resident's tenancies as HOUSING_MANAGEMENT shows them now or, while it is down, as it last showed
    them for the resident's linked records (the golden record's links; store/accounts_seen.py): a repair
    is kept then, and the office checks the tenancy again on delivery. Never seen: HOUSING_MANAGEMENT_DOWN."""
    live = await tenancies_or_problem(info, customer_id)
    if not isinstance(live, Problem):
        return [tenancy.held() for tenancy in live]
    last_seen = await _as_last_seen(info, customer_id)
    return live if last_seen is None else last_seen


async def _as_last_seen(info: Info[Context, Any], customer_id: str) -> Sequence[TenancyHeld] | None:
    """The tenancies HOUSING_MANAGEMENT last showed for the customer's linked records (None: never, or too
    long ago), for writes kept while it is down."""
    seen = await accounts_seen.as_last_seen(info, customer_id, SourceSystem.HOUSING_MANAGEMENT)
    return None if seen is None else [TenancyHeld.of(account) for account in seen]


TENANCY_NOT_YOURS = Problem(
    ("input", "accountReference"),
    CommonCode.NOT_FOUND,
    "We could not find a tenancy in your name with that reference",
)


async def own_tenancy(info: Info[Context, Any], reference: str) -> CouncilTenancyRecord | Problem:
    """The signed-in resident's own tenancy with this reference (another's is not found: no probing)."""
    customer_id = info.context.principal.customer_id
    if customer_id is None:
        return TENANCY_NOT_YOURS
    held = await tenancies_or_problem(info, customer_id)
    if isinstance(held, Problem):
        return Problem(("input", "accountReference"), held.code, held.message)
    wanted = reference.strip().upper()
    return next((t for t in held if t.tenancy_ref == wanted and t.ends_on is None), TENANCY_NOT_YOURS)


async def own_tenancy_as_last_seen(info: Info[Context, Any], reference: str) -> TenancyHeld | Problem:
    """The resident's own tenancy while HOUSING_MANAGEMENT is down (the caller has just failed to ask it),
    as it last showed it for the resident's linked records (as `tenancies_for_a_repair`): a write on it
    is kept, and checked again on delivery. Never seen (or too long ago): HOUSING_MANAGEMENT_DOWN."""
    customer_id = info.context.principal.customer_id
    if customer_id is None:
        return TENANCY_NOT_YOURS
    held = await _as_last_seen(info, customer_id)
    if held is None:
        return Problem(("input", "accountReference"), HOUSING_MANAGEMENT_DOWN.code, HOUSING_MANAGEMENT_DOWN.message)
    wanted = reference.strip().upper()
    return next((t for t in held if t.tenancy_ref == wanted and t.ends_on is None), TENANCY_NOT_YOURS)
