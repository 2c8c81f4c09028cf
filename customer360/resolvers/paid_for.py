"""What a payment is for: the payer's own Council Tax account or tenancy, or a payable service (makePayment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.payments import PayableService, PaymentPurpose, fee_of
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.tenancies import CouncilTenancyRecord, TenancyHeld
from customer360.resolvers.context import Context
from customer360.resolvers.own_account import own_account, own_account_as_last_seen
from customer360.resolvers.services import catalogue
from customer360.resolvers.tenancies import own_tenancy, own_tenancy_as_last_seen


@dataclass(frozen=True)
class PaidFor:
    description: str  # what the payer's statement and the provider's page say
    service: PayableService | None  # a payable service, when it is one


async def what_is_paid_for(
    info: Info[Context, Any], purpose: PaymentPurpose, account_reference: str | None, service_code: str | None
) -> PaidFor | Problem:
    """A Council Tax payment names the payer's own account (or why not); a service payment, the service."""
    if purpose is PaymentPurpose.COUNCIL_TAX and account_reference:
        account: CouncilTaxAccountRecord | AccountHeld | Problem = await own_account(info, account_reference)
        if isinstance(account, Problem) and account.code is CommonCode.SOURCE_UNAVAILABLE:
            # REVENUES down: the account as it last showed it; the posting waits in the outbox.
            account = await own_account_as_last_seen(info, account_reference)
        if isinstance(account, Problem):
            return account
        return PaidFor(f"Council Tax, account {account.reference}", None)
    if purpose is PaymentPurpose.RENT and account_reference:
        tenancy: CouncilTenancyRecord | TenancyHeld | Problem = await own_tenancy(info, account_reference)
        if isinstance(tenancy, Problem) and tenancy.code is CommonCode.SOURCE_UNAVAILABLE:
            # HOUSING_MANAGEMENT down: the tenancy as it last showed it; the posting waits in the outbox.
            tenancy = await own_tenancy_as_last_seen(info, account_reference)
        if isinstance(tenancy, Problem):
            return tenancy
        return PaidFor(f"Rent, tenancy {tenancy.tenancy_ref}", None)
    if purpose is PaymentPurpose.SERVICE and service_code:
        service = await payable(info, service_code)
        return PaidFor(service.name if service else DEFAULT_DESCRIPTION, service)
    return PaidFor(DEFAULT_DESCRIPTION, None)


DEFAULT_DESCRIPTION = "Payment to Tamworth Borough Council"


async def payable(info: Info[Context, Any], code: str) -> PayableService | None:
    """A staff-defined service's fee, or a payable service held as data (garden waste, invoices)."""
    defined = (await catalogue(info.context)).defined.get(code)
    if defined is not None and defined.fee_pence:
        return fee_of(defined)
    return await info.context.services.payments.ledger.payable_service(code)
