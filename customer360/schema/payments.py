"""Payments as the payment provider reports them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.domain.payments import PaymentPurpose, PaymentRecord, PaymentStatus, PostingState
from customer360.resolvers.context import Context
from customer360.schema.node import Node, to_global_id
from customer360.schema.values import Money, PageInfo

strawberry.enum(PaymentStatus)
strawberry.enum(PaymentPurpose)
strawberry.enum(PostingState, description="How far a taken payment got into its Council Tax account.")


@strawberry.type(
    description="A card payment. `reference` is the one the payer was given (`C360-XXXXXXXX` for a payment made "
    "through customer360; the provider's id for one made elsewhere): the same on the payment page, in My "
    "Requests and on the Council Tax statement line, and never changes. The provider's id is `backOfficeReference`."
)
class Payment(Node):
    reference: str
    back_office_reference: str | None = strawberry.field(
        description="The payment provider's id for it; null until the provider has the payment."
    )
    amount: Money
    status: PaymentStatus = strawberry.field(
        description="The provider's state: CREATED, STARTED or SUBMITTED while in progress (until paid, or expired "
        "90 minutes after it was made, FAILED), then SUCCESS, FAILED, CANCELLED or ERROR."
    )
    purpose: PaymentPurpose
    account_reference: str | None
    description: str | None
    created_at: datetime
    next_url: str | None = strawberry.field(description="Where to send the payer to pay (hosted payment page).")
    external_reference: strawberry.Private[str | None] = None  # the customer360 reference, if made through us

    @strawberry.field(
        description=(
            "For a Council Tax payment made here and taken: PENDING until it is on the account, POSTED, or "
            "UNDER_REVIEW when the account refused it and staff are looking into it (RESOLVED once they have)."
        )
    )
    async def posting(self, info: Info[Context, Any]) -> PostingState | None:
        if self.external_reference is None:
            return None
        return await info.context.loaders.postings.load(self.external_reference)

    @classmethod
    def from_record(cls, record: PaymentRecord) -> Self:
        # The id is made from the reference, which never changes: the provider's id arrives later.
        reference = record.external_reference or record.payment_id
        return cls(
            id=to_global_id("Payment", reference),
            reference=reference,
            back_office_reference=record.payment_id or None,
            amount=Money.of(record.amount_pence),
            status=record.status,
            purpose=record.purpose,
            account_reference=record.account_reference,
            description=record.description,
            created_at=record.created_at,
            next_url=record.next_url,
            external_reference=record.external_reference,
        )


@strawberry.type
class PaymentEdge:
    cursor: str
    node: Payment


@strawberry.type
class PaymentConnection:
    edges: list[PaymentEdge]
    page_info: PageInfo
    total_count: int
