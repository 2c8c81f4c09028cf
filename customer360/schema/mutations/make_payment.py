"""makePayment: pay Council Tax (or a council service) by card through the payment provider's page."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands.payments import PaymentRequest
from customer360.domain.payments import PaymentPurpose
from customer360.domain.problems import Problem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.paid_for import what_is_paid_for
from customer360.resolvers.payments import from_ledger
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
    account_reference: str | None = strawberry.field(
        default=None, description="For COUNCIL_TAX the account; for RENT the tenancy reference."
    )
    service_code: str | None = strawberry.field(default=None, description="For SERVICE: what is being paid for.")


@strawberry.type
class MakePaymentPayload:
    payment: Payment | None
    user_errors: list[UserError]


# Payments that credit an account the payer names.
ACCOUNT_PURPOSES = (PaymentPurpose.COUNCIL_TAX, PaymentPurpose.RENT)


async def make_payment(info: Info[Context, Any], input: MakePaymentInput) -> MakePaymentPayload:
    paid_for = await what_is_paid_for(info, input.purpose, input.account_reference, input.service_code)
    if isinstance(paid_for, Problem):
        return MakePaymentPayload(payment=None, user_errors=user_errors([paid_for]))
    outcome = await info.context.services.payments.make_payment(
        info.context.principal,
        await me(info),
        PaymentRequest(
            purpose=input.purpose,
            account_reference=input.account_reference if input.purpose in ACCOUNT_PURPOSES else None,
            service_code=input.service_code if input.purpose is PaymentPurpose.SERVICE else None,
            amount_pence=input.amount_pence,
            idempotency_key=input.idempotency_key,
            return_url=input.return_url,
        ),
        service=paid_for.service,
        description=paid_for.description,
    )
    if isinstance(outcome, list):
        return MakePaymentPayload(payment=None, user_errors=user_errors(outcome))
    return MakePaymentPayload(payment=Payment.from_record(from_ledger(outcome)), user_errors=[])
