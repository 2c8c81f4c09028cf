"""Payments started straight through the gateway's ledger and provider (as makePayment does), for tests
that need many of them, or a gateway store with no residents in it (a fresh PostgreSQL database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from customer360.demo import council
from customer360.domain.payments import NewPayment, PaymentPurpose, PaymentStatus
from customer360.domain.submissions import new_reference
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.revenues.sql import accounts
from customer360.store.database import create_engine
from customer360.store.payments import StoredPayment
from tests.services import fresh_postgres_database
from tests.test_payments import RETURN_URL


@asynccontextmanager
async def gateway_store(settings: Settings, backend: str) -> AsyncIterator[Settings]:
    """The settings with the gateway's own store on `backend` (a fresh PostgreSQL database, or SQLite)."""
    if backend == "sqlite":
        yield settings
        return
    async with fresh_postgres_database() as url:
        yield replace(settings, database_url=url)


async def any_account(settings: Settings) -> str:
    engine = create_engine(council.database_urls(settings)[SourceSystem.REVENUES])
    try:
        async with engine.connect() as conn:
            return str(await conn.scalar(select(accounts.c.reference).order_by(accounts.c.reference).limit(1)))
    finally:
        await engine.dispose()


async def start_payment(runtime, account_reference: str, amount: int, customer_id: str = "c-test") -> StoredPayment:
    """A payment as makePayment starts it: kept in the ledger, then created at the provider."""
    ledger = runtime.services.payments.ledger
    stored = await ledger.record(
        StoredPayment(
            reference=new_reference(),
            customer_id=customer_id,
            idempotency_key=new_reference("KEY"),
            request_fingerprint="test",
            purpose=PaymentPurpose.COUNCIL_TAX,
            account_reference=account_reference,
            service_code=None,
            amount_pence=amount,
            status=PaymentStatus.CREATED,
            created_at=datetime.now(UTC),
        )
    )
    created = await runtime.services.sources.payments.create_payment(
        NewPayment(
            idempotency_key=stored.reference,
            amount_pence=amount,
            reference=account_reference,
            description="Council Tax payment",
            return_url=RETURN_URL,
            email=None,
            purpose=PaymentPurpose.COUNCIL_TAX,
            account_reference=account_reference,
            service_code=None,
            c360_reference=stored.reference,
        )
    )
    await ledger.attach_provider(stored.reference, created.payment_id, created.next_url)
    found = await ledger.by_reference(stored.reference)
    assert found is not None
    return found
