"""Payments end to end over real HTTP: the hosted page, signed webhooks, reconciliation, posted once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.sources.revenues.sql import transactions
from customer360.store.database import create_engine
from tests.support import graphql, serving_app

MAKE = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { id reference status purpose accountReference amount { pence } nextUrl }
  userErrors { field code message } } }
"""
ACCOUNTS = """
{ me { councilTaxAccounts { reference balance { pence } nextInstalment { dueDate amount { pence } status }
  instalments { dueDate status amount { pence } } } } }
"""
RETURN_URL = "https://my.tamworth.example/payment-done"


async def postings(settings, reference: str) -> int:
    engine = create_engine(council.database_urls(settings)[SourceSystem.REVENUES])
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(transactions.c.external_reference == reference)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def owing_resident(client, issuer, residents):
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]
        for account in me["councilTaxAccounts"]:
            if account["balance"]["pence"] > 5000 and account["nextInstalment"]:
                return token, account
    pytest.skip("no demo resident owes money in the sample")


async def balance(client, token, reference) -> int:
    me = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]
    return next(a for a in me["councilTaxAccounts"] if a["reference"] == reference)["balance"]["pence"]


async def pay(client, token, reference, amount, key) -> dict:
    request = {
        "purpose": "COUNCIL_TAX",
        "accountReference": reference,
        "amountPence": amount,
        "idempotencyKey": key,
        "returnUrl": RETURN_URL,
    }
    return (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]


async def settle_at_page(next_url: str, outcome: str) -> httpx.Response:
    async with httpx.AsyncClient() as browser:
        page = await browser.get(next_url)
        assert page.status_code == 200 and "£" in page.text
        return await browser.post(next_url, data={"outcome": outcome})


async def wait_for(predicate, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.1)):
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.parametrize("copies", [1, 2], ids=["one-webhook", "duplicate-webhooks"])
async def test_paying_part_of_an_instalment_posts_it_once(own_council, issuer, residents, copies):
    settings = replace(own_council, demo_webhook_copies=copies, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        part = account["nextInstalment"]["amount"]["pence"] // 2
        made = await pay(client, token, account["reference"], part, f"pay-{copies}")
        assert made["userErrors"] == []
        payment = made["payment"]
        assert payment["status"] == "CREATED" and payment["nextUrl"]
        finished = await settle_at_page(payment["nextUrl"], "success")
        assert finished.status_code == 303 and finished.headers["location"] == RETURN_URL

        async def posted() -> bool:
            return await balance(client, token, account["reference"]) == account["balance"]["pence"] - part

        assert await wait_for(posted), "the webhook should post the payment to REVENUES"
        await asyncio.sleep(0.5)  # let any duplicate webhook land too
    stored = await _stored_reference(settings, account["reference"])
    assert await postings(settings, stored) == 1
    assert await balance_after_restart(settings, issuer, token, account) == account["balance"]["pence"] - part


async def balance_after_restart(settings, issuer, token, account) -> int:
    async with serving_app(settings) as (_, client):
        return await balance(client, token, account["reference"])


async def _stored_reference(settings, account_reference: str) -> str:
    from customer360.store.tables import payments

    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(payments.c.reference).where(payments.c.account_reference == account_reference)
                )
            ).first()
        return row.reference
    finally:
        await engine.dispose()


async def test_a_lost_webhook_is_settled_by_reconciliation_once(own_council, issuer, residents):
    settings = replace(own_council, demo_webhook_copies=0, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        token, account = await owing_resident(client, issuer, residents)
        made = await pay(client, token, account["reference"], 1234, "lost-webhook")
        await settle_at_page(made["payment"]["nextUrl"], "success")
        await asyncio.sleep(0.3)
        assert await balance(client, token, account["reference"]) == account["balance"]["pence"], "no webhook came"
        payments = app.state.runtime.services.payments
        # Two pollers racing (as a poller and a late webhook would) still post it once.
        await asyncio.gather(payments.reconcile(), payments.reconcile())
        await payments.reconcile()
        assert await balance(client, token, account["reference"]) == account["balance"]["pence"] - 1234
    assert await postings(settings, await _stored_reference(settings, account["reference"])) == 1


async def test_declined_and_cancelled_payments_post_nothing(own_council, issuer, residents):
    settings = replace(own_council, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        token, account = await owing_resident(client, issuer, residents)
        for outcome, status in (("declined", "FAILED"), ("cancelled", "CANCELLED")):
            made = await pay(client, token, account["reference"], 500, f"no-{outcome}")
            await settle_at_page(made["payment"]["nextUrl"], outcome)
            await app.state.runtime.services.payments.reconcile()
            ledger = app.state.runtime.services.payments.ledger
            unsettled = await ledger.claim_unchecked(datetime.now(UTC) + timedelta(days=1), datetime.now(UTC), 1000)
            assert all(p.idempotency_key != f"no-{outcome}" for p in unsettled)
            again = await pay(client, token, account["reference"], 500, f"no-{outcome}")
            assert again["payment"]["status"] == status
        assert await balance(client, token, account["reference"]) == account["balance"]["pence"]


async def test_idempotency_same_key_same_payment_different_input_conflicts(own_council, issuer, residents):
    settings = replace(own_council, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        first = await pay(client, token, account["reference"], 700, "same-key")
        second = await pay(client, token, account["reference"], 700, "same-key")
        assert second["payment"]["id"] == first["payment"]["id"]
        conflict = await pay(client, token, account["reference"], 701, "same-key")
        assert conflict["payment"] is None
        assert conflict["userErrors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
        racing = await asyncio.gather(*(pay(client, token, account["reference"], 900, "racing-key") for _ in range(5)))
        assert len({answer["payment"]["id"] for answer in racing}) == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        pytest.param({"idempotencyKey": ""}, ["input", "idempotencyKey"], "INVALID_IDEMPOTENCY_KEY", id="empty-key"),
        pytest.param(
            {"idempotencyKey": "k" * 256}, ["input", "idempotencyKey"], "INVALID_IDEMPOTENCY_KEY", id="long-key"
        ),
        pytest.param({"amountPence": 0}, ["input", "amountPence"], "AMOUNT_NOT_POSITIVE", id="zero"),
        pytest.param({"amountPence": 1_000_001}, ["input", "amountPence"], "AMOUNT_TOO_LARGE", id="too-much"),
        pytest.param({"accountReference": "00000000"}, ["input", "accountReference"], "NOT_FOUND", id="not-yours"),
        pytest.param(
            {"purpose": "SERVICE", "serviceCode": "MOON_TRIP"},
            ["input", "serviceCode"],
            "NOT_PAYABLE",
            id="unknown-service",
        ),
        pytest.param(
            {"purpose": "SERVICE", "serviceCode": "GARDEN_WASTE", "amountPence": 100},
            ["input", "amountPence"],
            "AMOUNT_NOT_THE_FEE",
            id="wrong-fee",
        ),
    ],
)
async def test_bad_payments_get_user_errors(own_council, issuer, residents, change, field, code):
    async with serving_app(replace(own_council, reconcile_interval_seconds=0)) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 1000,
            "idempotencyKey": "bad-input",
            "returnUrl": RETURN_URL,
            **change,
        }
        payload = (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]
    assert payload["payment"] is None
    assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (field, code)


async def test_a_service_fee_is_paid_without_touching_council_tax(own_council, issuer, residents):
    async with serving_app(replace(own_council, reconcile_interval_seconds=0)) as (_, client):
        token = issuer.resident_token(residents[0]["email"])
        request = {
            "purpose": "SERVICE",
            "serviceCode": "GARDEN_WASTE",
            "amountPence": 4500,
            "idempotencyKey": "garden-1",
            "returnUrl": RETURN_URL,
        }
        payload = (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]
        assert payload["userErrors"] == []
        assert payload["payment"]["purpose"] == "SERVICE" and payload["payment"]["amount"]["pence"] == 4500


@pytest.mark.parametrize("signature", [None, "deadbeef", "wrong-secret"])
async def test_webhooks_without_a_valid_signature_are_refused_and_change_nothing(own_council, signature):
    async with serving_app(replace(own_council, reconcile_interval_seconds=0)) as (_, client):
        body = json.dumps({"resource_id": "anything", "resource_type": "payment"}).encode()
        if signature == "wrong-secret":
            signature = hmac.new(b"not the secret", body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", **({"Pay-Signature": signature} if signature else {})}
        answer = await client.post("/webhooks/payments", content=body, headers=headers)
    assert answer.status_code == 401
