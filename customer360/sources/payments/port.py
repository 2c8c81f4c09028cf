"""What customer360 needs from the payments back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.payments import NewPayment, PaymentRecord
from customer360.sources.ports import PeopleSource


class PaymentsSource(PeopleSource, Protocol):
    """A GOV.UK Pay-shaped payments API."""

    async def payments_by_payer(self, payer_ids: Sequence[str]) -> Mapping[str, list[PaymentRecord]]: ...

    async def payments_by_id(self, payment_ids: Sequence[str]) -> Mapping[str, PaymentRecord]: ...

    async def create_payment(self, payment: NewPayment) -> PaymentRecord: ...
