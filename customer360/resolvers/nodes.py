"""`node(id:)`: fetch any object by global id, checked against the principal like every other path.

Each kind of object knows the back-office record that owns it; the owner's golden customer must
be one the principal may see. An object the principal may not see answers null, exactly like one
that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.auth.policy import can_view_customer
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.council_tax import as_of
from customer360.domain.discounts import ApplicationPayload
from customer360.domain.housing import HousingApplicationRecord
from customer360.domain.payments import PaymentRecord
from customer360.domain.requests import ServiceRequestRecord
from customer360.domain.submissions import SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.resolvers import casework, my_requests, payments
from customer360.resolvers.casework import tracked_complaints
from customer360.resolvers.context import Context
from customer360.resolvers.council_tax import discount_not_yet_in_revenues
from customer360.resolvers.customers import audit_staff_reads
from customer360.resolvers.loaders import owner_key
from customer360.resolvers.tracking import Tracked
from customer360.sources.crm import COMPLAINT_BY_REFERENCE
from customer360.sources.payments import PAYMENT_BY_ID
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE


async def _visible(info: Info[Context, Any], system: SourceSystem, record_id: str) -> bool:
    owner = await info.context.loaders.owners.load(owner_key(system, record_id))
    return owner is not None and can_view_customer(info.context.principal, owner)


async def customer(info: Info[Context, Any], customer_id: str) -> Any:
    if not can_view_customer(info.context.principal, customer_id):
        return None
    found = await info.context.loaders.customers.load(customer_id)
    if found is not None:
        await audit_staff_reads(info, [customer_id], "customer.read")
    return found


async def council_tax_account(info: Info[Context, Any], reference: str) -> Any:
    account = await info.context.loaders.of(ACCOUNT_BY_REFERENCE).load(reference)
    if account is None or not await _visible(info, SourceSystem.REVENUES, account.party_id):
        return None
    return account


async def discount(info: Info[Context, Any], key: str) -> Any:
    """By REVENUES' id, or by the C360- reference it was applied for under (delivered or still on its way)."""
    account_reference, _, wanted = key.partition("/")
    account = await council_tax_account(info, account_reference)
    if account is None:
        return None
    found = next((d for d in account.discounts if wanted in (d.discount_id, d.external_reference)), None)
    if found is not None:
        return as_of(found, info.context.today)
    submission = (await info.context.services.submissions.submissions_by_reference([wanted])).get(wanted)
    if submission is None or submission.kind != SubmissionKind.SPD_APPLICATION:
        return None
    if ApplicationPayload.of(submission.payload).account_reference != account.reference:
        return None
    return discount_not_yet_in_revenues(submission)


async def complaint(info: Info[Context, Any], reference: str) -> Tracked[ComplaintRecord] | None:
    """By the customer360 reference or the CRM's; one still on its way to the CRM is found too."""
    loaders = info.context.loaders
    found = await loaders.of(COMPLAINT_BY_REFERENCE).load(reference)
    if found is not None:
        if not await _visible(info, SourceSystem.CRM, found.contact_id):
            return None
        submissions = (
            await info.context.services.submissions.submissions_by_reference([found.external_reference])
            if found.external_reference
            else {}
        )
        return tracked_complaints([found], list(submissions.values()))[0]
    submission = (await info.context.services.submissions.submissions_by_reference([reference])).get(reference)
    if submission is None or submission.kind != SubmissionKind.COMPLAINT or submission.customer_id is None:
        return None
    if not can_view_customer(info.context.principal, submission.customer_id):
        return None
    return tracked_complaints([], [submission])[0]


async def payment(info: Info[Context, Any], key: str) -> PaymentRecord | None:
    """By the customer360 reference it was made under (before and after the provider has it), or, for a
    payment made elsewhere, by the provider's id."""
    stored = await info.context.services.payments.ledger.by_reference(key)
    if stored is not None:
        if not can_view_customer(info.context.principal, stored.customer_id):
            return None
        return (await payments.joined(info, [stored], []))[0]
    found = await info.context.loaders.of(PAYMENT_BY_ID).load(key)
    if found is None or not await _visible(info, SourceSystem.PAYMENTS, found.payer_id):
        return None
    return found


async def _customer_of(info: Info[Context, Any], reference: str) -> str | None:
    """Whose request this is, if the principal may see them: the customer who asked for it through
    customer360, or (for a back office's own reference) the signed-in resident, whose own list is searched."""
    submission = (await info.context.services.submissions.submissions_by_reference([reference])).get(reference)
    paid = None if submission else await info.context.services.payments.ledger.by_reference(reference)
    principal = info.context.principal
    customer_id = (
        submission.customer_id
        if submission
        else paid.customer_id
        if paid
        else principal.customer_id
        if principal.is_resident
        else None
    )
    if customer_id is None or not can_view_customer(principal, customer_id):
        return None
    return customer_id


async def service_request(info: Info[Context, Any], key: str) -> Tracked[ServiceRequestRecord] | None:
    """The same request whether it is still on its way or its back office has it: found by the reference
    the resident was given (a `ServiceRequest` id is `SYSTEM:reference`)."""
    _system, _, reference = key.partition(":")
    customer_id = await _customer_of(info, reference)
    if customer_id is None:
        return None
    return next((t for t in await my_requests.all_requests(info, customer_id) if t.reference == reference), None)


async def housing_application(info: Info[Context, Any], reference: str) -> Tracked[HousingApplicationRecord] | None:
    customer_id = await _customer_of(info, reference)
    if customer_id is None:
        return None
    return next((t for t in await casework.housing_applications(info, customer_id) if t.reference == reference), None)


async def own_complaint(info: Info[Context, Any], reference: str) -> Tracked[ComplaintRecord] | None:
    """A complaint its complainant acts on: staff and other residents get None, as for an unknown one."""
    found = await complaint(info, reference)
    return found if found is not None and info.context.principal.is_resident else None
