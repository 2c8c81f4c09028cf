"""Payments as the payment provider reports them."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from customer360.domain.payments import PaymentPurpose, PaymentRecord, PaymentStatus
from customer360.schema.node import Node, to_global_id
from customer360.schema.values import Money, PageInfo

strawberry.enum(PaymentStatus)
strawberry.enum(PaymentPurpose)


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
