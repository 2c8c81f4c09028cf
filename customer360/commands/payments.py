"""makePayment, the provider's webhook, and reconciliation: a payment is posted to REVENUES once.

The provider (GOV.UK Pay-shaped) takes the card; customer360 keeps the idempotency key and what it
was for. The outcome arrives by a signed webhook, or, if that is lost, by reconciliation polling.
Either way the webhook is only a signal: the state is read back from the provider, and a SUCCESS
enqueues one outbox delivery to REVENUES, unique per payment, which REVENUES itself also refuses to
post twice. So duplicate webhooks, concurrent webhooks and a webhook racing the poller post once.

Reconciliation asks about every unsettled payment in turn (the longest unasked first, in batches), so
a backlog of abandoned payments never hides a paid one; abandoned ones leave the backlog when the
provider expires them (GOV.UK Pay: `failed`, code P0020, after 90 minutes). A posting that REVENUES
refuses after the money was taken becomes a case for the revenues team (`commands/delivery.py`), and
the resident's payment shows it is being looked at (`posting`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from customer360.attempts import note_writing
from customer360.auth.principal import Principal
from customer360.cache.base import Stale
from customer360.clock import LONDON
from customer360.commands.delivery import Delivered, Deliverer, DeliveryTools
from customer360.commands.receipts import payment_confirmation
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.domain.customers import GoldenRecord
from customer360.domain.payments import (
    FINAL_STATUSES,
    NewPayment,
    PayableService,
    PaymentCode,
    PaymentPosting,
    PaymentPurpose,
    PaymentRecord,
    PaymentStatus,
    fingerprint,
    payment_problems,
)
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import new_reference
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.housing_management import HOUSING_MANAGEMENT, TENANCIES_BY_TENANT
from customer360.sources.payments import PAYMENT_BY_ID, PAYMENTS_BY_PAYER
from customer360.sources.registry import Sources
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE, ACCOUNTS_BY_PARTY
from customer360.store.outbox import NewDelivery, OutboxItem, OutboxStore
from customer360.store.payments import PaymentLedger, StoredPayment

log = logging.getLogger("customer360.payments")

POST_TO_REVENUES = "revenues.post_payment"
POST_RENT = "housing_management.post_rent_payment"
# Where a successful payment of each purpose is posted (a service's fee is the service's own business).
POSTED_TO = {
    PaymentPurpose.COUNCIL_TAX: (SourceSystem.REVENUES, POST_TO_REVENUES),
    PaymentPurpose.RENT: (SourceSystem.HOUSING_MANAGEMENT, POST_RENT),
}
# A provider call per payment (GOV.UK Pay has no batch get): this many at once (one source call, under
# one timeout), and at most this many batches in one pass, so a pass over a huge backlog stays bounded
# (the next pass carries on from the longest unasked).
RECONCILE_BATCH = 50
MAX_BATCHES_PER_PASS = 100
# The provider expires an unfinished payment this long after it was made (GOV.UK Pay: 90 minutes).
PROVIDER_EXPIRY = timedelta(minutes=90)
PROVIDER_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "The payment service is not answering; nothing was charged. Try again with the same idempotency key.",
)


@dataclass(frozen=True)
class PaymentRequest:
    purpose: PaymentPurpose
    account_reference: str | None
    service_code: str | None
    amount_pence: int
    idempotency_key: str
    return_url: str


@dataclass
class Payments:
    """Everything the payment flow needs, built once at start-up."""

    ledger: PaymentLedger
    outbox: OutboxStore
    deliverer: Deliverer
    sources: Sources
    webhook_secret: bytes
    max_pence: int

    async def make_payment(
        self,
        principal: Principal,
        customer: GoldenRecord | None,
        request: PaymentRequest,
        *,
        service: PayableService | None,
        description: str,
        request_reference: str | None = None,
    ) -> StoredPayment | list[Problem]:
        """The caller has checked a COUNCIL_TAX account is the principal's own. `request_reference`: the
        request whose fee this is (a fee-paying service's fee is only ever paid with its request)."""
        if not principal.is_resident or customer is None:
            return [Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to make a payment")]
        problems = payment_problems(
            idempotency_key=request.idempotency_key,
            amount_pence=request.amount_pence,
            max_pence=self.max_pence,
            purpose=request.purpose,
            account_reference=request.account_reference,
            service=service,
            service_code=request.service_code,
            return_url=request.return_url,
            request_reference=request_reference,
        )
        if problems:
            return problems
        wanted = fingerprint(
            request.purpose, request.account_reference, request.service_code, request.amount_pence, request.return_url
        )
        note_writing()  # a request cut short from here runs on to the provider's answer (http/idempotency.py)
        stored = await self.ledger.record(
            StoredPayment(
                reference=new_reference(),  # the one reference: ledger, provider, statement line
                customer_id=customer.customer_id,
                idempotency_key=request.idempotency_key,
                request_fingerprint=wanted,
                purpose=request.purpose,
                account_reference=request.account_reference,
                service_code=request.service_code,
                amount_pence=request.amount_pence,
                status=PaymentStatus.CREATED,
                created_at=datetime.now(UTC),
                request_reference=request_reference,
            )
        )
        if stored.request_fingerprint != wanted:
            return [
                Problem(
                    ("input", "idempotencyKey"),
                    PaymentCode.IDEMPOTENCY_CONFLICT,
                    "This idempotency key was already used for a different payment",
                )
            ]
        try:
            return await self._at_provider(stored, customer, description, request.return_url)
        except Exception as error:  # the payment is kept: a retry with its key goes on from here
            log.warning("payment %s kept; a step after the commit failed (%s)", stored.reference, type(error).__name__)
            # Without a next_url there is nothing to pay yet: "try again" (a header Idempotency-Key is
            # given back, so the retry reaches the provider), never a payment with nowhere to go.
            return stored if stored.next_url else [PROVIDER_DOWN]

    async def _at_provider(
        self, stored: StoredPayment, customer: GoldenRecord, description: str, return_url: str
    ) -> StoredPayment | list[Problem]:
        """Create it at the provider; our reference is the Idempotency-Key, so retries never charge twice."""
        if stored.provider_payment_id:
            return stored
        try:
            created = await self.sources.payments.create_payment(
                NewPayment(
                    idempotency_key=stored.reference,
                    amount_pence=stored.amount_pence,
                    # The provider shows its `reference` to the payer and to finance: ours, as everywhere.
                    reference=stored.reference,
                    description=description,
                    return_url=return_url,
                    email=customer.email,
                    purpose=stored.purpose,
                    account_reference=stored.account_reference,
                    service_code=stored.service_code,
                    c360_reference=stored.reference,
                )
            )
        except SourceUnavailable:
            return [PROVIDER_DOWN]
        except SourceRejected as error:
            return [Problem(None, CommonCode.INVALID, f"The payment service refused it: {error.reason}")]
        await self.ledger.attach_provider(stored.reference, created.payment_id, created.next_url)
        return (await self.ledger.by_reference(stored.reference)) or stored

    async def pay_for_request(
        self,
        principal: Principal,
        customer: GoldenRecord,
        request_reference: str,
        service: PayableService,
        return_url: str,
    ) -> StoredPayment | list[Problem]:
        """The fee of a request just made: one payment per request (its reference is the idempotency key)."""
        assert service.fixed_pence is not None  # a fee-paying service has a fixed fee
        return await self.make_payment(
            principal,
            customer,
            PaymentRequest(
                purpose=PaymentPurpose.SERVICE,
                account_reference=None,
                service_code=service.code,
                amount_pence=service.fixed_pence,
                idempotency_key=f"fee-{request_reference}",
                return_url=return_url,
            ),
            service=service,
            description=service.name,
            request_reference=request_reference,
        )

    def signature_valid(self, body: bytes, signature: str | None) -> bool:
        expected = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        return signature is not None and hmac.compare_digest(expected, signature.strip().lower())

    async def on_webhook(self, body: bytes) -> bool:
        """A verified webhook: read the payment back from the provider and settle it. False: not ours."""
        try:
            payment_id = str(json.loads(body)["resource_id"])
        except (ValueError, KeyError, TypeError):
            return False
        stored = await self.ledger.by_provider_id(payment_id)
        if stored is None:
            return False
        await self.reconcile([stored])
        return True

    async def reconcile(self, stored: list[StoredPayment] | None = None) -> int:
        """Ask the provider about payments whose outcome we have not recorded; settle what finished.

        Without `stored`, one pass: every unsettled payment not asked about since the pass began, the
        longest unasked first, batch by batch (bounded by MAX_BATCHES_PER_PASS)."""
        if stored is not None:
            return await self._settle_batch(stored)
        started = datetime.now(UTC)
        settled = await self._fail_never_at_provider(started)
        for _ in range(MAX_BATCHES_PER_PASS):
            batch = await self.ledger.claim_unchecked(started, datetime.now(UTC), RECONCILE_BATCH)
            if not batch:
                break
            settled += await self._settle_batch(batch)
        return settled

    async def _fail_never_at_provider(self, now: datetime) -> int:
        """A payment the provider never got (it was down) has no page, so it is never paid: once the provider
        would have expired it, it is settled FAILED, and a request held for it is closed."""
        failed = 0
        for _ in range(MAX_BATCHES_PER_PASS):
            batch = await self.ledger.never_at_provider(now - PROVIDER_EXPIRY, RECONCILE_BATCH)
            for stored in batch:
                await self._settle_request(stored, PaymentStatus.FAILED)
                if await self.ledger.update_status(stored.reference, PaymentStatus.FAILED):
                    await self.deliverer.cache.forget(Stale(customers=[stored.customer_id]))
                    failed += 1
            if len(batch) < RECONCILE_BATCH:
                break
        return failed

    async def _settle_batch(self, pending: list[StoredPayment]) -> int:
        if not pending:
            return 0
        found = await self.sources.payments.payments_by_id(
            [p.provider_payment_id for p in pending if p.provider_payment_id]
        )
        settled = 0
        for payment in pending:
            current = found.get(payment.provider_payment_id or "")
            if current is not None:
                settled += await self._settle(payment, current)
        return settled

    async def _settle(self, stored: StoredPayment, current: PaymentRecord) -> int:
        # The posting is enqueued before SUCCESS is recorded: a crash between the two leaves the payment
        # unsettled, so the next pass finds it again; the other way round, a final SUCCESS with no
        # posting would never be looked at again (money taken, never credited).
        item_id = confirmation = None
        if current.status is PaymentStatus.SUCCESS:
            item_id = await self._enqueue_posting(stored)
            # The payer's confirmation, once, kept like the posting before SUCCESS is recorded.
            confirmation = await self.outbox.enqueue(
                stored.reference, stored.customer_id, payment_confirmation(), datetime.now(UTC)
            )
        released = await self._settle_request(stored, current.status)
        if current.status is not stored.status:
            await self.ledger.update_status(stored.reference, current.status)
            settled = [(PAYMENTS_BY_PAYER.namespace, current.payer_id), (PAYMENT_BY_ID.namespace, current.payment_id)]
            await self.deliverer.cache.forget(Stale(keys=settled, customers=[stored.customer_id]))
        if current.status is not PaymentStatus.SUCCESS:
            return 0
        due = [*released, *(i for i in (item_id, confirmation) if i is not None)]
        if due:
            await self.deliverer.deliver(due)
        return 1

    async def _settle_request(self, stored: StoredPayment, status: PaymentStatus) -> list[int]:
        """A fee-paying request goes to its back office once its fee is paid, and is closed when the payment
        finishes unpaid (declined, cancelled, expired). Like the posting, before the status is recorded:
        a crash in between leaves the payment unsettled, so the next pass does it again (both are once-only)."""
        if stored.request_reference is None:
            return []
        if status is PaymentStatus.SUCCESS:
            return await self.outbox.release(stored.request_reference, datetime.now(UTC))
        if status in FINAL_STATUSES:
            await self.outbox.cancel(stored.request_reference, datetime.now(UTC))
        return []

    async def _enqueue_posting(self, stored: StoredPayment) -> int | None:
        """The one posting of a Council Tax or rent payment (None: not one, or already enqueued by another)."""
        posted_to = POSTED_TO.get(stored.purpose)
        if posted_to is None or not stored.account_reference:
            return None
        return await self.outbox.enqueue(
            stored.reference,
            stored.customer_id,
            NewDelivery(
                posted_to[0],
                posted_to[1],
                PostingPayload(
                    stored.account_reference, stored.amount_pence, datetime.now(UTC).astimezone(LONDON).date()
                ).as_payload(),
            ),
            datetime.now(UTC),
        )


@dataclass(frozen=True)
class PostingPayload:
    """A payment's posting to the account it pays (REVENUES or HOUSING_MANAGEMENT), as its outbox row carries it."""

    account_reference: str
    amount_pence: int
    paid_on: date

    def as_payload(self) -> dict[str, Any]:
        return {
            "account_reference": self.account_reference,
            "amount_pence": self.amount_pence,
            "paid_on": str(self.paid_on),
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> PostingPayload:
        return cls(kept["account_reference"], kept["amount_pence"], datetime.fromisoformat(kept["paid_on"]).date())


async def deliver_payment(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    posting = PostingPayload.of(item.payload)
    reference = posting.account_reference
    posted = await tools.sources.revenues.post_payment(
        PaymentPosting(
            external_reference=item.reference,
            account_reference=reference,
            amount_pence=posting.amount_pence,
            posted_on=posting.paid_on,
            description=f"Card payment, thank you ({item.reference})",
        )
    )
    party = (await tools.sources.revenues.accounts_by_reference([reference])).get(reference)
    invalidate = [(ACCOUNT_BY_REFERENCE.namespace, reference)]
    if party:
        invalidate.append((ACCOUNTS_BY_PARTY.namespace, party.party_id))
    return Delivered(posted, invalidate=invalidate)


async def deliver_rent_payment(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    posting = PostingPayload.of(item.payload)
    posted = await tools.sources.of(HOUSING_MANAGEMENT).post_rent_payment(
        PaymentPosting(
            external_reference=item.reference,
            account_reference=posting.account_reference,
            amount_pence=posting.amount_pence,
            posted_on=posting.paid_on,
            description=f"Card payment, thank you ({item.reference})",
        )
    )
    tenant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING_MANAGEMENT)
    return Delivered(posted, invalidate=[(TENANCIES_BY_TENANT.namespace, tenant_id)] if tenant_id else [])


UNIT = PortalService(
    name="payment",
    kinds=(),  # a payment lives in the ledger (store/payments.py), not as a submission; My Requests reads it there
    journeys=(Journey("makePayment", "PAYMENT"),),
    deliveries=(
        Delivery(
            POST_TO_REVENUES, deliver_payment, frozenset({ACCOUNT_BY_REFERENCE.namespace, ACCOUNTS_BY_PARTY.namespace})
        ),
        Delivery(POST_RENT, deliver_rent_payment, frozenset({TENANCIES_BY_TENANT.namespace})),
    ),
)
