"""Card payments as a GOV.UK Pay-shaped provider reports them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from customer360.domain.money import format_pence
from customer360.domain.problems import Problem
from customer360.domain.services import DefinedService


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
    SERVICE = "SERVICE"
    RENT = "RENT"  # council rent, credited to the tenancy's rent account (HOUSING_MANAGEMENT)


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
    external_reference: str | None = None  # the customer360 reference, when made through us


class PostingState(StrEnum):
    """How far a taken payment got into the Council Tax account (customer360's own record of it)."""

    PENDING = "PENDING"  # taken; the posting to REVENUES is on its way
    POSTED = "POSTED"  # on the account
    UNDER_REVIEW = "UNDER_REVIEW"  # REVENUES refused it: a case is open with the revenues team
    RESOLVED = "RESOLVED"  # that case was dealt with by staff


def posting_state(delivered: bool, refused: bool, case_resolved: bool) -> PostingState:
    if delivered:
        return PostingState.POSTED
    if refused:
        return PostingState.RESOLVED if case_resolved else PostingState.UNDER_REVIEW
    return PostingState.PENDING


FINAL_STATUSES = frozenset({PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.ERROR})
# GOV.UK Pay expires an unfinished payment this long after it was made (state `failed`, code P0020).
PROVIDER_EXPIRY = timedelta(minutes=90)


def status_in_ledger(status: PaymentStatus, at_provider: bool, created_at: datetime, now: datetime) -> PaymentStatus:
    """A payment as our ledger has it. One the provider never had (it was down when it was made) is in
    progress for as long as a provider's would be, then failed: nothing was charged, and a retry under
    its key after that would be a new attempt."""
    if not at_provider and status not in FINAL_STATUSES and now - created_at > PROVIDER_EXPIRY:
        return PaymentStatus.FAILED
    return status


MAX_IDEMPOTENCY_KEY = 255
# GOV.UK Pay's own ceiling is £100,000; a council sets its own, lower one for online payment.
DEFAULT_MAX_PAYMENT_PENCE = 1_000_000


class PaymentCode(StrEnum):
    INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    AMOUNT_NOT_POSITIVE = "AMOUNT_NOT_POSITIVE"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    AMOUNT_NOT_THE_FEE = "AMOUNT_NOT_THE_FEE"
    ACCOUNT_REQUIRED = "ACCOUNT_REQUIRED"
    SERVICE_REQUIRED = "SERVICE_REQUIRED"
    NOT_PAYABLE = "NOT_PAYABLE"
    INVALID_RETURN_URL = "INVALID_RETURN_URL"
    PAID_WITH_ITS_REQUEST = "PAID_WITH_ITS_REQUEST"


@dataclass(frozen=True, slots=True)
class PayableService:
    """A council service paid for online, as data: a fixed fee, or any amount within a range."""

    code: str
    name: str
    fixed_pence: int | None = None
    min_pence: int = 1
    max_pence: int | None = None
    with_request: bool = False  # its fee is paid with the request it is for (reportIssue), never alone


@dataclass(frozen=True, slots=True)
class NewPayment:
    """What the provider is asked to take; `idempotency_key` makes a repeated create return the first."""

    idempotency_key: str
    amount_pence: int
    reference: str
    description: str
    return_url: str
    email: str | None
    purpose: PaymentPurpose
    account_reference: str | None
    service_code: str | None
    c360_reference: str


@dataclass(frozen=True, slots=True)
class PaymentPosting:
    """A successful payment posted to the Council Tax or rent account; `external_reference` makes it once only."""

    external_reference: str
    account_reference: str
    amount_pence: int
    posted_on: date
    description: str


def payment_problems(
    *,
    idempotency_key: str,
    amount_pence: int,
    max_pence: int,
    purpose: PaymentPurpose,
    account_reference: str | None,
    service: PayableService | None,
    service_code: str | None,
    return_url: str,
    request_reference: str | None = None,
) -> list[Problem]:
    problems = []
    if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        problems.append(
            Problem(
                ("input", "idempotencyKey"),
                PaymentCode.INVALID_IDEMPOTENCY_KEY,
                f"The idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
            )
        )
    if amount_pence <= 0:
        problems.append(Problem(("input", "amountPence"), PaymentCode.AMOUNT_NOT_POSITIVE, "Enter an amount above £0"))
    elif amount_pence > max_pence:
        problems.append(
            Problem(
                ("input", "amountPence"),
                PaymentCode.AMOUNT_TOO_LARGE,
                f"Online payments are limited to {format_pence(max_pence)}",
            )
        )
    if not return_url.startswith(("https://", "http://")):
        problems.append(
            Problem(("input", "returnUrl"), PaymentCode.INVALID_RETURN_URL, "The return URL must be an http(s) URL")
        )
    if purpose is PaymentPurpose.COUNCIL_TAX and not account_reference:
        problems.append(
            Problem(("input", "accountReference"), PaymentCode.ACCOUNT_REQUIRED, "Say which Council Tax account")
        )
    if purpose is PaymentPurpose.RENT and not account_reference:
        problems.append(Problem(("input", "accountReference"), PaymentCode.ACCOUNT_REQUIRED, "Say which tenancy"))
    if purpose is PaymentPurpose.SERVICE:
        problems += _service_problems(service, service_code, amount_pence)
        if service is not None and service.with_request and request_reference is None:
            problems.append(
                Problem(
                    ("input", "serviceCode"),
                    PaymentCode.PAID_WITH_ITS_REQUEST,
                    f"{service.name} is paid for when you ask for it (reportIssue), not on its own",
                )
            )
    return problems


def _service_problems(service: PayableService | None, code: str | None, amount_pence: int) -> list[Problem]:
    if not code:
        return [Problem(("input", "serviceCode"), PaymentCode.SERVICE_REQUIRED, "Say which service you are paying for")]
    if service is None:
        return [Problem(("input", "serviceCode"), PaymentCode.NOT_PAYABLE, f"{code} cannot be paid for online")]
    if service.fixed_pence is not None and amount_pence != service.fixed_pence:
        return [
            Problem(
                ("input", "amountPence"),
                PaymentCode.AMOUNT_NOT_THE_FEE,
                f"{service.name} costs {format_pence(service.fixed_pence)}",
            )
        ]
    upper = service.max_pence if service.max_pence is not None else amount_pence
    if not service.min_pence <= amount_pence <= upper:
        return [
            Problem(
                ("input", "amountPence"),
                PaymentCode.AMOUNT_NOT_THE_FEE,
                f"{service.name} takes between {format_pence(service.min_pence)} and {format_pence(upper)}",
            )
        ]
    return []


def fingerprint(*parts: object) -> str:
    """A stable digest of a request's meaningful input, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps([str(part) for part in parts]).encode()).hexdigest()


def fee_of(defined: DefinedService) -> PayableService:
    """A staff-defined service's fee, paid only with a request for it."""
    fee = defined.fee_pence
    return PayableService(
        defined.definition.code,
        defined.definition.name,
        fixed_pence=fee,
        min_pence=fee or 1,
        max_pence=fee,
        with_request=True,
    )
