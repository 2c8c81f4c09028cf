"""The payments customer360 started: idempotency keys, fingerprints, provider ids, last known state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.payments import FINAL_STATUSES, PayableService, PaymentPurpose, PaymentStatus
from customer360.store.tables import payable_services, payments
from customer360.store.times import as_utc
from customer360.tracing import traced_methods


@dataclass(frozen=True, slots=True)
class StoredPayment:
    reference: str
    customer_id: str
    idempotency_key: str
    request_fingerprint: str
    purpose: PaymentPurpose
    account_reference: str | None
    service_code: str | None
    amount_pence: int
    status: PaymentStatus
    created_at: datetime
    provider_payment_id: str | None = None
    next_url: str | None = None
    settled_at: datetime | None = None
    checked_at: datetime | None = None
    request_reference: str | None = None  # the request whose fee this pays (a fee-paying service)


# The payments each customer started through customer360, read on every cold `me`: built once with the
# customers bound at each call (`expanding`: an IN list of any length), as building and keying a statement
# cost the event loop more than the store took to answer it (issue 25).
_PAYMENTS_OF_CUSTOMERS = (
    select(payments)
    .where(payments.c.customer_id.in_(bindparam("customers", expanding=True)))
    .order_by(payments.c.created_at.desc(), payments.c.reference)
)


@traced_methods("payments")
class PaymentLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, payment: StoredPayment) -> StoredPayment:
        """Keep a new payment; if the customer already used this idempotency key, the first one wins."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(payments).values(
                        reference=payment.reference,
                        customer_id=payment.customer_id,
                        idempotency_key=payment.idempotency_key,
                        request_fingerprint=payment.request_fingerprint,
                        purpose=payment.purpose.value,
                        account_reference=payment.account_reference,
                        service_code=payment.service_code,
                        amount_pence=payment.amount_pence,
                        status=payment.status.value,
                        created_at=payment.created_at,
                        request_reference=payment.request_reference,
                    )
                )
            return payment
        except IntegrityError:
            existing = await self.by_key(payment.customer_id, payment.idempotency_key)
            if existing is None:
                raise
            return existing

    async def by_key(self, customer_id: str, idempotency_key: str) -> StoredPayment | None:
        return await self._one(payments.c.customer_id == customer_id, payments.c.idempotency_key == idempotency_key)

    async def by_provider_id(self, provider_payment_id: str) -> StoredPayment | None:
        return await self._one(payments.c.provider_payment_id == provider_payment_id)

    async def by_reference(self, reference: str) -> StoredPayment | None:
        return await self._one(payments.c.reference == reference)

    async def by_customers(self, customer_ids: Sequence[str]) -> Mapping[str, list[StoredPayment]]:
        """Every payment each customer started through customer360, newest first (one query per batch)."""
        found: dict[str, list[StoredPayment]] = defaultdict(list)
        if not customer_ids:
            return found
        async with self._engine.connect() as conn:
            for row in (await conn.execute(_PAYMENTS_OF_CUSTOMERS, {"customers": list(customer_ids)})).all():
                found[row.customer_id].append(_payment(row))
        return found

    async def attach_provider(self, reference: str, provider_payment_id: str, next_url: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(payments)
                .where(payments.c.reference == reference)
                .values(provider_payment_id=provider_payment_id, next_url=next_url)
            )

    async def update_status(self, reference: str, status: PaymentStatus) -> bool:
        """Record a new state; True only for the one caller that moved it to a final state."""
        values: dict[str, Any] = {"status": status.value}
        final = status in FINAL_STATUSES
        if final:
            values["settled_at"] = datetime.now(UTC)
        finished = [s.value for s in FINAL_STATUSES]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(payments)
                .where(payments.c.reference == reference, payments.c.status.not_in(finished))
                .values(**values)
            )
        return final and result.rowcount == 1

    async def claim_unchecked(self, since: datetime, now: datetime, limit: int) -> list[StoredPayment]:
        """Up to `limit` unsettled payments not asked about since `since`, longest unasked first, marked
        as asked at `now`. Each row's mark is a conditional UPDATE, so reconcilers running at once take
        different rows, and a pass that marks as it goes never takes the same row twice: a pass moves
        through the whole backlog however large, instead of asking about the same oldest rows forever."""
        not_since = or_(payments.c.checked_at.is_(None), payments.c.checked_at < since)
        claimed = []
        async with self._engine.begin() as conn:
            rows = (await conn.execute(_unsettled().where(not_since).limit(limit))).all()
            for row in rows:
                marked = await conn.execute(
                    update(payments).where(payments.c.reference == row.reference, not_since).values(checked_at=now)
                )
                if marked.rowcount == 1:
                    claimed.append(_payment(row))
        return claimed

    async def never_at_provider(self, made_before: datetime, limit: int) -> list[StoredPayment]:
        """Unsettled payments made before `made_before` that never reached the provider (it was down when
        they were made): the provider would have expired them by now, and reconciliation has no id to ask by."""
        query = (
            select(payments)
            .where(
                payments.c.status.not_in([s.value for s in FINAL_STATUSES]),
                payments.c.provider_payment_id.is_(None),
                payments.c.created_at < made_before,
            )
            .order_by(payments.c.created_at)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_payment(row) for row in (await conn.execute(query)).all()]

    async def payable_service(self, code: str) -> PayableService | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(payable_services).where(payable_services.c.code == code, payable_services.c.active.is_(True))
                )
            ).first()
        if row is None:
            return None
        return PayableService(row.code, row.name, row.fixed_pence, row.min_pence, row.max_pence)

    async def _one(self, *where: Any) -> StoredPayment | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(payments).where(*where))).first()
        return _payment(row) if row else None


def _payment(row: Any) -> StoredPayment:
    return StoredPayment(
        reference=row.reference,
        customer_id=row.customer_id,
        idempotency_key=row.idempotency_key,
        request_fingerprint=row.request_fingerprint,
        purpose=PaymentPurpose(row.purpose),
        account_reference=row.account_reference,
        service_code=row.service_code,
        amount_pence=row.amount_pence,
        status=PaymentStatus(row.status),
        created_at=as_utc(row.created_at),
        provider_payment_id=row.provider_payment_id,
        next_url=row.next_url,
        settled_at=as_utc(row.settled_at),
        checked_at=as_utc(row.checked_at),
        request_reference=row.request_reference,
    )


def _unsettled() -> Any:
    finished = [s.value for s in FINAL_STATUSES]
    return (
        select(payments)
        .where(payments.c.status.not_in(finished), payments.c.provider_payment_id.is_not(None))
        # NULLs first on both databases (PostgreSQL sorts them last ascending unless told).
        .order_by(payments.c.checked_at.is_not(None), payments.c.checked_at, payments.c.created_at)
    )
