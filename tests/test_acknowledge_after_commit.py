"""Acknowledge after commit: once a write is kept, the resident gets its reference whatever fails next.

The failure is the database's own: a trigger in the gateway store makes one statement that runs after
the commit fail (claiming the delivery, or marking it delivered once the back office has it; for a
payment, recording the provider's id), as a blip would. The answer is the kept write, pending; once
the blip is over the relay delivers it, once, and a retry with the same key never makes a second.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select, text, update

from customer360.commands.relay import drain
from customer360.store.database import create_engine
from customer360.store.tables import idempotency_keys, intents, outbox, payments
from tests.support import serving_app
from tests.test_complaints import GOOD, MAKE, crm_rows
from tests.test_idempotency_key import council_on
from tests.test_payments import MAKE as PAY
from tests.test_payments import RETURN_URL, owing_resident

# When each statement fails: claiming a delivery (before the back office hears), or marking it
# delivered (after the back office has it).
WHEN = {"claim": "NEW.claimed_until IS NOT NULL", "mark-delivered": "NEW.state = 'DELIVERED'"}


async def blip(engine, table: str, when: str) -> None:
    """From now on, every UPDATE of `table` matching `when` fails inside the database."""
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            await conn.execute(
                text(
                    f"CREATE TRIGGER blip BEFORE UPDATE ON {table} FOR EACH ROW WHEN {when} "
                    "BEGIN SELECT RAISE(ABORT, 'database blip'); END"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE FUNCTION blip() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'database blip'; END $$"
                )
            )
            await conn.execute(
                text(f"CREATE TRIGGER blip BEFORE UPDATE ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION blip()")
            )


async def blip_over(engine, table: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("DROP TRIGGER blip" if engine.dialect.name == "sqlite" else f"DROP TRIGGER blip ON {table}")
        )


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
@pytest.mark.parametrize("step", list(WHEN))
async def test_a_complaint_kept_before_a_blip_is_answered_with_its_reference_and_delivered_once(
    own_council, issuer, residents, store, step
):
    token = issuer.resident_token(residents[0]["email"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    body = {"query": MAKE, "variables": {"input": GOOD}}
    async with council_on(store, own_council) as (app, client, engine):
        await blip(engine, "outbox", WHEN[step])
        answer = await client.post("/graphql", json=body, headers=headers)
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.json().get("errors")
        payload = answer.json()["data"]["makeComplaint"]
        assert payload["userErrors"] == []
        complaint = payload["complaint"]
        assert complaint["reference"].startswith("C360-") and complaint["delivery"]["state"] == "PENDING"

        retried = await client.post("/graphql", json=body, headers=headers)
        assert retried.json() == answer.json(), "the retry replays: still one complaint"

        await blip_over(engine, "outbox")
        async with engine.begin() as conn:  # as if the claim's lease ran out
            await conn.execute(update(outbox).values(claimed_until=None))
        await drain(app.state.runtime.services.writes.deliverer)
        async with engine.connect() as conn:
            kept = (await conn.execute(select(func.count()).select_from(intents))).scalar_one()
            # The complaint's delivery to the CRM (its receipt to the resident is an outbox row of its own).
            state = (await conn.execute(select(outbox.c.state).where(outbox.c.destination == "CRM"))).scalar_one()
        assert kept == 1 and state == "DELIVERED"
    assert await crm_rows(own_council, complaint["reference"]) == 1


async def test_a_payment_kept_before_a_blip_says_try_again_and_a_retry_with_its_keys_reaches_the_provider(
    own_council, issuer, residents
):
    """The payment is kept but recording the provider's id fails: with nowhere to pay yet, the answer is
    "try again" (SOURCE_UNAVAILABLE), so the header key is given back, not kept for a day with no nextUrl;
    the retry with both keys (twice at once) goes on from the kept payment to the provider's page."""
    engine = create_engine(own_council.gateway_database_url)
    async with serving_app(own_council) as (_app, client):
        token, account = await owing_resident(client, issuer, residents)
        key = str(uuid.uuid4())
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 2500,
            "idempotencyKey": key,
            "returnUrl": RETURN_URL,
        }
        body = {"query": PAY, "variables": {"input": request}}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        await blip(engine, "payments", "NEW.provider_payment_id IS NOT NULL")
        answer = (await client.post("/graphql", json=body, headers=headers)).json()
        assert "errors" not in answer, answer.get("errors")
        first = answer["data"]["makePayment"]
        assert first["payment"] is None and [e["code"] for e in first["userErrors"]] == ["SOURCE_UNAVAILABLE"]

        await blip_over(engine, "payments")
        retries = await asyncio.gather(*(client.post("/graphql", json=body, headers=headers) for _ in range(2)))
        again = [retry.json()["data"]["makePayment"] for retry in retries]
        assert again[0] == again[1] and again[0]["userErrors"] == []
        assert again[0]["payment"]["nextUrl"], "the retry with the payment's keys reaches the provider"
        async with engine.connect() as conn:
            kept = (await conn.execute(select(payments).where(payments.c.idempotency_key == key))).all()
        assert len(kept) == 1 and kept[0].provider_payment_id, "one payment, now at the provider"
    await engine.dispose()


async def test_an_answer_the_store_could_not_keep_at_once_is_kept_when_it_can_and_then_replayed(
    own_council, issuer, residents
):
    settings = replace(own_council, request_timeout_seconds=3.0)  # a repeat waits about a second
    token = issuer.resident_token(residents[0]["email"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    body = {"query": MAKE, "variables": {"input": GOOD}}
    async with council_on("sqlite", settings) as (_app, client, engine):
        await blip(engine, "idempotency_keys", "NEW.state = 'DONE'")
        first = await client.post("/graphql", json=body, headers=headers)
        assert first.json()["data"]["makeComplaint"]["userErrors"] == []
        waited = await client.post("/graphql", json=body, headers=headers)
        assert waited.status_code == 409, "not kept yet: a repeat waits, and never runs it again"

        await blip_over(engine, "idempotency_keys")
        for _ in range(50):
            async with engine.connect() as conn:
                state = (await conn.execute(select(idempotency_keys.c.state))).scalar_one()
            if state == "DONE":
                break
            await asyncio.sleep(0.1)
        replayed = await client.post("/graphql", json=body, headers=headers)
        assert replayed.json() == first.json() and replayed.headers["Idempotent-Replayed"] == "true"
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(intents))).scalar_one() == 1


async def test_with_the_key_store_failing_a_keyed_mutation_is_a_503_and_runs_nothing(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    async with council_on("sqlite", own_council) as (_app, client, engine):
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away"))
        answer = await client.post("/graphql", json={"query": MAKE, "variables": {"input": GOOD}}, headers=headers)
        assert answer.status_code == 503 and "try again" in answer.text and "Traceback" not in answer.text
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(intents))).scalar_one() == 0
