"""makePayment: pay Council Tax (or a council service) by card through the payment provider's page."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands.payments import PaymentRequest, fee_of
from customer360.domain.payments import PayableService, PaymentPurpose
from customer360.domain.problems import Problem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.payments import from_ledger
from customer360.resolvers.services import catalogue
from customer360.schema.mutations.council_tax_account import own_account
from customer360.schema.payments import Payment
from customer360.schema.values import UserError, user_errors


@strawberry.input
class MakePaymentInput:
    purpose: PaymentPurpose
    amount_pence: int
    idempotency_key: str = strawberry.field(
        description="1-255 characters, chosen by the client: the same key and input never charge twice."
    )
    return_url: str = strawberry.field(description="Where the payment page sends the payer back to.")
    account_reference: str | None = strawberry.field(default=None, description="For COUNCIL_TAX.")
    service_code: str | None = strawberry.field(default=None, description="For SERVICE: what is being paid for.")


@strawberry.type
class MakePaymentPayload:
    payment: Payment | None
    user_errors: list[UserError]


async def make_payment(info: Info[Context, Any], input: MakePaymentInput) -> MakePaymentPayload:
    context = info.context
    payments = context.payments
    description = "Payment to Tamworth Borough Council"
    service = None
    if input.purpose is PaymentPurpose.COUNCIL_TAX and input.account_reference:
        account = await own_account(info, input.account_reference)
        if isinstance(account, Problem):
            return MakePaymentPayload(payment=None, user_errors=user_errors([account]))
        description = f"Council Tax, account {account.reference}"
    if input.purpose is PaymentPurpose.SERVICE and input.service_code:
        service = await payable(info, input.service_code)
        description = service.name if service else description
    customer = await me(info)
    outcome = await payments.make_payment(
        context.principal,
        customer,
        PaymentRequest(
            purpose=input.purpose,
            account_reference=input.account_reference if input.purpose is PaymentPurpose.COUNCIL_TAX else None,
            service_code=input.service_code if input.purpose is PaymentPurpose.SERVICE else None,
            amount_pence=input.amount_pence,
            idempotency_key=input.idempotency_key,
            return_url=input.return_url,
        ),
        service=service,
        description=description,
    )
    if isinstance(outcome, list):
        return MakePaymentPayload(payment=None, user_errors=user_errors(outcome))
    return MakePaymentPayload(payment=Payment.from_record(from_ledger(outcome)), user_errors=[])


async def payable(info: Info[Context, Any], code: str) -> PayableService | None:
    """A staff-defined service's fee, or a payable service held as data (garden waste, invoices)."""
    defined = (await catalogue(info.context)).defined.get(code)
    if defined is not None and defined.fee_pence:
        return fee_of(defined)
    return await info.context.payments.ledger.payable_service(code)
