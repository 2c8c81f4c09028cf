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


@strawberry.type
class Payment(Node):
    reference: str
    amount: Money
    status: PaymentStatus
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
        return cls(
            id=to_global_id("Payment", record.payment_id),
            reference=record.reference,
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
