"""A fee-paying request whose payment could not be started is not kept, and nothing is left HELD forever.

On main, reportIssue kept the request (HELD) before asking the provider for its payment: with PAYMENTS
down it answered SOURCE_UNAVAILABLE, the Idempotency-Key was given back, and each retry kept another
HELD request nobody could pay for; reconciliation asked only about payments the provider had an id for,
so those requests stayed HELD for good. Now the payment is started first under the request's reference
made up front, and a payment the provider never got is settled FAILED once it would have expired,
closing any request held for it. A keyed mutation that raised after its write began holds its key; a
relay whose claim was lost neither counts the delivery nor marks it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from customer360.domain.payments import PaymentPurpose, PaymentStatus
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.store.outbox import NewDelivery, OutboxStore
from customer360.store.payments import StoredPayment
from customer360.store.tables import intents, payments
from tests.test_complaints import GOOD, MAKE
from tests.test_fee_paying_services import BULKY, REPORT
from tests.test_idempotency_edges import keyed
from tests.test_idempotency_key import council_on

STORES = ["sqlite", "postgresql"]


async def count(engine, table, *where) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


@pytest.mark.parametrize("store", STORES)
async def test_with_payments_down_a_fee_booking_keeps_nothing_and_its_retry_makes_one(
    own_council, issuer, residents, store
):
    settings = replace(own_council, reconcile_interval_seconds=0)
    token = issuer.resident_token(residents[2]["email"])
    key = str(uuid.uuid4())
    async with council_on(store, settings) as (app, client, engine):
        requests_before = await count(engine, intents)
        app.state.runtime.faults.down.add("PAYMENTS")
        refused = await asyncio.gather(*(keyed(client, token, key, REPORT, BULKY) for _ in range(2)))
        for answer in refused:
            body = answer.json()["data"]["reportIssue"]
            assert body["request"] is None and [e["code"] for e in body["userErrors"]] == ["SOURCE_UNAVAILABLE"]
        assert await count(engine, intents) == requests_before, "no request kept for a fee nobody can pay"

        app.state.runtime.faults.down.discard("PAYMENTS")
        retried = await asyncio.gather(*(keyed(client, token, key, REPORT, BULKY) for _ in range(2)))
        answers = [r.json()["data"]["reportIssue"] for r in retried]
        assert answers[0] == answers[1] and answers[0]["userErrors"] == []
        assert answers[0]["request"]["delivery"] == {"state": "HELD", "system": "CRM"}
        assert answers[0]["payment"]["nextUrl"], "the retry reached the provider"
        assert await count(engine, intents) == requests_before + 1, "exactly one request"
        reference = answers[0]["request"]["reference"]
        started = await count(engine, payments, payments.c.provider_payment_id.is_not(None))
        assert started == 1, "exactly one payment at the provider"
        assert await count(engine, payments, payments.c.request_reference == reference) == 1


@pytest.mark.parametrize("store", STORES)
async def test_a_fee_payment_that_never_reached_the_provider_fails_after_its_expiry_and_closes_its_request(
    own_council, store
):
    """A HELD request whose payment the provider never got (kept before this fix, with PAYMENTS down): once
    the provider would have expired it, reconciliation (two at once, then again) settles it FAILED and
    closes the request; one made just now is left alone."""
    async with council_on(store, replace(own_council, reconcile_interval_seconds=0)) as (app, _client, _engine):
        runtime = app.state.runtime
        now = datetime.now(UTC)

        async def held_with_payment(made_at: datetime) -> tuple[str, str]:
            request = Submission(new_reference(), "c-never-paid", "case", "BULKY_WASTE", {}, made_at)
            await runtime.outbox.submit(request, [NewDelivery(SourceSystem.CRM, "crm.create_case", {})], held=True)
            payment = await runtime.services.payments.ledger.record(
                StoredPayment(
                    reference=new_reference(),
                    customer_id="c-never-paid",
                    idempotency_key=f"fee-{request.reference}",
                    request_fingerprint="-",
                    purpose=PaymentPurpose.SERVICE,
                    account_reference=None,
                    service_code="BULKY_WASTE",
                    amount_pence=2500,
                    status=PaymentStatus.CREATED,
                    created_at=made_at,
                    request_reference=request.reference,
                )
            )
            return request.reference, payment.reference

        old_request, old_payment = await held_with_payment(now - timedelta(minutes=91))
        new_request, new_payment = await held_with_payment(now)

        await asyncio.gather(runtime.services.payments.reconcile(), runtime.services.payments.reconcile())
        await runtime.services.payments.reconcile()

        ledger = runtime.services.payments.ledger
        assert (await ledger.by_reference(old_payment)).status is PaymentStatus.FAILED
        assert (await ledger.by_reference(new_payment)).status is PaymentStatus.CREATED, "not expired yet"
        found = await runtime.outbox.submissions_by_reference([old_request, new_request])
        assert found[old_request].delivery_state is DeliveryState.CANCELLED
        assert found[old_request].deliveries[0].attempts == 0, "never sent to the CRM"
        assert found[new_request].delivery_state is DeliveryState.HELD


@pytest.mark.parametrize("store", STORES)
async def test_a_delivery_whose_claim_was_lost_neither_counts_nor_marks_it(own_council, issuer, residents, store):
    """A relay that stalled past its lease while another took the row over still gets the back office's
    answer; on main it then counted the row as delivered (and invalidated the cache) though its mark
    changed nothing. Now it leaves both to the row's new holder."""
    token = issuer.resident_token(residents[0]["email"])
    async with council_on(store, replace(own_council, outbox_interval_seconds=3600)) as (app, client, engine):
        runtime = app.state.runtime
        runtime.faults.down.add("CRM")  # kept, not delivered: the row waits for a relay
        made = (await keyed(client, token, None, MAKE, GOOD)).json()["data"]["makeComplaint"]
        reference = made["complaint"]["reference"]
        runtime.faults.down.discard("CRM")
        [item_id] = [i for i in await runtime.outbox.due(datetime.now(UTC) + timedelta(days=1))]

        now = datetime.now(UTC)
        [held_by_first] = await runtime.outbox.claim([item_id], now)
        other_relay = OutboxStore(engine, claim_lease=runtime.outbox.claim_lease)
        later = now + runtime.outbox.claim_lease + timedelta(seconds=1)
        taken = await asyncio.gather(other_relay.claim([item_id], later), other_relay.claim([item_id], later))
        assert len([item for claimed in taken for item in claimed]) == 1, "one of two takes the row over"

        delivered = runtime.metrics.outbox_delivered.labels(destination="CRM")
        counted = delivered._value.get()
        await runtime.services.writes.deliverer._deliver(
            held_by_first
        )  # the first relay wakes up with the CRM's answer
        assert delivered._value.get() == counted, "not counted: the row is not this relay's to mark"
        [delivery] = (await runtime.outbox.submissions_by_reference([reference]))[reference].deliveries
        assert delivery.state is DeliveryState.PENDING, "left to the relay that holds it now"


@pytest.mark.parametrize("store", STORES)
async def test_a_keyed_mutation_that_raised_after_its_write_began_holds_its_key(own_council, issuer, residents, store):
    """The payments table gone while a fee booking starts its payment (after the write began): the mutation
    raises. On main the key was given back, so a retry once the table was back wrote the booking; now the
    key is held for its lease (the write may stand), and a retry meanwhile is a 409 that writes nothing."""
    settings = replace(own_council, request_timeout_seconds=3.0, reconcile_interval_seconds=0)
    token = issuer.resident_token(residents[2]["email"])
    key = str(uuid.uuid4())
    async with council_on(store, settings) as (_app, client, engine):
        requests_before = await count(engine, intents)
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE payments RENAME TO payments_away"))
        failed = await asyncio.gather(*(keyed(client, token, key, REPORT, BULKY) for _ in range(2)))
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE payments_away RENAME TO payments"))
        assert sorted(answer.status_code for answer in failed) == [200, 409]
        [raised] = [answer.json() for answer in failed if answer.status_code == 200]
        assert raised["data"] is None and raised["errors"], "it raised: no payload"

        retry = await keyed(client, token, key, REPORT, BULKY)
        assert retry.status_code == 409, "the key is held: the retry does not run again"
        assert await count(engine, intents) == requests_before
        assert await count(engine, payments) == 0
