"""Card payments as a GOV.UK Pay-shaped provider reports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PaymentStatus(StrEnum):
    CREATED = "CREATED"
    STARTED = "STARTED"
    SUBMITTED = "SUBMITTED"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"


class PaymentPurpose(StrEnum):
    COUNCIL_TAX = "COUNCIL_TAX"


# GOV.UK Pay's `state.status` values, lower case on the wire.
PAY_STATE_TO_STATUS = {
    "created": PaymentStatus.CREATED,
    "started": PaymentStatus.STARTED,
    "submitted": PaymentStatus.SUBMITTED,
    "capturable": PaymentStatus.SUBMITTED,
    "success": PaymentStatus.SUCCESS,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.CANCELLED,
    "error": PaymentStatus.ERROR,
}


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    payment_id: str
    reference: str
    amount_pence: int
    status: PaymentStatus
    purpose: PaymentPurpose
    created_at: datetime
    payer_id: str
    account_reference: str | None = None
    description: str | None = None
    next_url: str | None = None
