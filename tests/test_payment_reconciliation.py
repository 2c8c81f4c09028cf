"""Reconciliation over a backlog, and abandoned payments expiring as GOV.UK Pay's do (90 minutes, P0020).

On main a pass asked about the oldest 200 unsettled payments only, every time: 250 abandoned payments
hid a paid one whose webhook was lost, for ever. Now each pass walks the whole backlog (longest unasked
first), and abandoned payments leave it when the provider expires them. Real HTTP to the demo provider,
the gateway store on SQLite and PostgreSQL; time is moved by moving `created_date` back, not by sleeping.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from customer360.demo import council, payments_db
from customer360.domain.payments import PaymentPurpose, PaymentStatus
from customer360.domain.systems import SourceSystem
from customer360.store.database import create_engine, migrate
from customer360.store.payments import PaymentLedger, StoredPayment
from tests.payments_support import any_account, gateway_store, start_payment
from tests.services import fresh_postgres_database
from tests.support import serving_app
from tests.test_payments import postings, settle_at_page

BACKLOG = 250
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # before any payment was asked about


async def start_many(runtime, account: str, how_many: int) -> list[StoredPayment]:
    started: list[StoredPayment] = []
    for first in range(0, how_many, 25):
        chunk = range(first, min(first + 25, how_many))
        started += await asyncio.gather(*(start_payment(runtime, account, 100 + n) for n in chunk))
    return started


async def age_at_provider(settings, payment_ids: list[str], minutes: int) -> None:
    """Created `minutes` ago, as far as the provider knows."""
    engine = create_engine(council.database_urls(settings)[SourceSystem.PAYMENTS])
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(payments_db.payments)
                .where(payments_db.payments.c.payment_id.in_(payment_ids))
                .values(created_date=datetime.now(UTC) - timedelta(minutes=minutes))
            )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_paid_payment_behind_250_abandoned_ones_is_credited_within_two_passes(own_council, backend):
    base = replace(own_council, demo_webhook_copies=0, reconcile_interval_seconds=0)  # every webhook is lost
    async with gateway_store(base, backend) as settings, serving_app(settings) as (app, _client):
        runtime = app.state.runtime
        account = await any_account(settings)
        await start_many(runtime, account, BACKLOG)
        paid = await start_payment(runtime, account, 5555)  # the newest: last in the old order
        assert (await settle_at_page(paid.next_url, "success")).status_code == 303

        passes = 0
        while passes < 2 and await postings(settings, paid.reference) == 0:
            # Two replicas reconcile at once: one posting still.
            await asyncio.gather(runtime.services.payments.reconcile(), runtime.services.payments.reconcile())
            passes += 1
        assert await postings(settings, paid.reference) == 1, "credited within two passes"
        await runtime.services.payments.reconcile()  # a retry changes nothing
        assert await postings(settings, paid.reference) == 1
        assert (await runtime.services.payments.ledger.by_reference(paid.reference)).status is PaymentStatus.SUCCESS
        # Every abandoned one was asked about, none left behind (nothing unasked since the epoch).
        ledger, now = runtime.services.payments.ledger, datetime.now(UTC)
        assert await ledger.claim_unchecked(EPOCH, now, 1000) == []
        assert len(await ledger.claim_unchecked(now + timedelta(days=1), now, 1000)) == BACKLOG


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_abandoned_payments_expire_after_90_minutes_and_leave_the_backlog(own_council, backend):
    base = replace(own_council, demo_webhook_copies=1, reconcile_interval_seconds=0)
    async with gateway_store(base, backend) as settings, serving_app(settings) as (app, _client):
        runtime = app.state.runtime
        account = await any_account(settings)
        abandoned = await start_many(runtime, account, 6)
        opened, untouched, recent = abandoned[:3], abandoned[3:5], abandoned[5]
        async with httpx.AsyncClient() as browser:
            for payment in opened:  # the payer opened the page, then walked away
                assert (await browser.get(payment.next_url)).status_code == 200
        await age_at_provider(settings, [p.provider_payment_id for p in opened + untouched], minutes=91)
        await age_at_provider(settings, [recent.provider_payment_id], minutes=89)

        await asyncio.gather(runtime.services.payments.reconcile(), runtime.services.payments.reconcile())
        ledger = runtime.services.payments.ledger
        for payment in opened + untouched:
            assert (await ledger.by_reference(payment.reference)).status is PaymentStatus.FAILED
        unsettled = await ledger.claim_unchecked(datetime.now(UTC) + timedelta(days=1), datetime.now(UTC), 100)
        assert [p.reference for p in unsettled] == [recent.reference]
        provider = await runtime.services.sources.payments.payments_by_id([opened[0].provider_payment_id])
        assert provider[opened[0].provider_payment_id].status is PaymentStatus.FAILED

        async with httpx.AsyncClient() as browser:
            state = (
                await browser.get(
                    # The API sits beside the hosted page: {provider}/v1/payments/{id}, {provider}/pay/{id}.
                    f"{opened[0].next_url.rsplit('/pay/', 1)[0]}/v1/payments/{opened[0].provider_payment_id}",
                    headers={"Authorization": f"Bearer {council.api_key(settings)}"},
                )
            ).json()["state"]
            late = await browser.post(opened[0].next_url, data={"outcome": "success"})
            page = await browser.get(untouched[0].next_url)
        assert state == {"status": "failed", "finished": True, "code": "P0020", "message": "Payment expired"}
        assert late.status_code == 409, "an expired payment cannot be paid"
        assert "expired" in page.text
        await runtime.services.payments.reconcile()  # a retry: nothing posted, nothing changed
        for payment in abandoned:
            assert await postings(settings, payment.reference) == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_reconcilers_at_once_claim_different_payments_and_a_pass_reaches_them_all(tmp_path, backend):
    async def check(url: str) -> None:
        engine = create_engine(url)
        await migrate(engine)
        ledger = PaymentLedger(engine)
        try:
            for n in range(10):
                reference = f"PAY-{n:08d}"
                await ledger.record(
                    StoredPayment(
                        reference=reference,
                        customer_id="c-test",
                        idempotency_key=f"key-{n}",
                        request_fingerprint="test",
                        purpose=PaymentPurpose.COUNCIL_TAX,
                        account_reference="CT-1",
                        service_code=None,
                        amount_pence=100,
                        status=PaymentStatus.CREATED,
                        created_at=datetime.now(UTC) - timedelta(minutes=10 - n),
                    )
                )
                await ledger.attach_provider(reference, f"provider-{n}", None)
            started = datetime.now(UTC)
            racing = await asyncio.gather(*(ledger.claim_unchecked(started, datetime.now(UTC), 4) for _ in range(3)))
            taken = [p.reference for batch in racing for p in batch]
            assert len(taken) == len(set(taken)), "no payment is claimed twice"
            while batch := await ledger.claim_unchecked(started, datetime.now(UTC), 4):
                taken += [p.reference for p in batch]
            assert sorted(taken) == [f"PAY-{n:08d}" for n in range(10)]
            # The next pass starts again from the longest unasked.
            again = await ledger.claim_unchecked(datetime.now(UTC), datetime.now(UTC), 3)
            assert [p.reference for p in again] == taken[:3]
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)
