"""One reference for a payment, and every payment a resident made shown until it settles or expires.

On main a payment had three references (`Payment.reference` the account number, My Requests the provider's
id, the statement line `PAY-...`), its Relay id changed once the provider's id was attached, and
`me.payments` read only the provider's records of a linked PAYMENTS record: a payment in progress, or any
card payment of a resident with no PAYMENTS record yet, was not shown at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from customer360.domain.payments import PaymentPurpose, PaymentStatus
from customer360.domain.submissions import new_reference
from customer360.store.database import create_engine, migrate
from customer360.store.payments import PaymentLedger, StoredPayment
from tests.services import fresh_postgres_database
from tests.support import graphql, serving_app
from tests.test_payment_reconciliation import age_at_provider
from tests.test_payments import RETURN_URL, balance, owing_resident, settle_at_page, wait_for

MAKE = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { id reference backOfficeReference status nextUrl } userErrors { code } } }
"""
PAYMENTS = "{ me { payments(first: 100) { edges { node { id reference backOfficeReference status } } } } }"
REQUESTS = """
{ me { requests(first: 100) { edges { node { id reference backOfficeReference status serviceCode } } } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on Payment { id reference backOfficeReference status } } }"
STATEMENTS = "{ me { councilTaxAccounts { reference latestStatement { lines { kind description } } } } }"
LINKS = "{ me { linkedRecords { system } } }"


async def make(client, token, request: dict) -> dict:
    return (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]


async def made_once(client, token, request: dict) -> dict:
    """makePayment twice at once, then a retry: one payment, the same answer each time."""
    answers = [*await asyncio.gather(make(client, token, request), make(client, token, request))]
    answers.append(await make(client, token, request))
    assert all(a["userErrors"] == [] for a in answers), answers
    assert len({a["payment"]["id"] for a in answers}) == 1, "one payment for one key"
    return answers[-1]["payment"]


async def payments_of(client, token) -> list[dict]:
    return [e["node"] for e in (await graphql(client, PAYMENTS, token)).json()["data"]["me"]["payments"]["edges"]]


async def requests_of(client, token) -> list[dict]:
    return [e["node"] for e in (await graphql(client, REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]]


async def node(client, token, global_id: str) -> dict | None:
    return (await graphql(client, NODE, token, {"id": global_id})).json()["data"]["node"]


async def test_a_payment_has_one_reference_on_itself_in_my_requests_and_on_the_statement(
    own_council, issuer, residents
):
    settings = replace(own_council, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 1111,
            "idempotencyKey": "one-reference",
            "returnUrl": RETURN_URL,
        }
        given = await made_once(client, token, request)
        reference, provider_id = given["reference"], given["backOfficeReference"]
        assert reference.startswith("C360-") and provider_id and provider_id != reference
        assert await node(client, token, given["id"]) == {
            "id": given["id"],
            "reference": reference,
            "backOfficeReference": provider_id,
            "status": "CREATED",
        }

        await settle_at_page(given["nextUrl"], "success")

        async def posted() -> bool:
            return await balance(client, token, account["reference"]) == account["balance"]["pence"] - 1111

        assert await wait_for(posted), "the webhook should post the payment"
        listed = [
            p for p in await payments_of(client, token) if provider_id in (p["reference"], p["backOfficeReference"])
        ]
        assert listed == [
            {"id": given["id"], "reference": reference, "backOfficeReference": provider_id, "status": "SUCCESS"}
        ]
        assert (await node(client, token, given["id"]))["status"] == "SUCCESS", "the same id, once settled"
        in_requests = [
            r for r in await requests_of(client, token) if provider_id in (r["reference"], r["backOfficeReference"])
        ]
        assert [(r["reference"], r["backOfficeReference"]) for r in in_requests] == [(reference, provider_id)]
        me = (await graphql(client, STATEMENTS, token)).json()["data"]["me"]
        lines = next(a for a in me["councilTaxAccounts"] if a["reference"] == account["reference"])["latestStatement"]
        paid = [line["description"] for line in lines["lines"] if reference in line["description"]]
        assert len(paid) == 1 and paid[0].startswith("Card payment"), "the statement line names the same reference"
        stranger = issuer.resident_token(
            next(r for r in residents[::-1] if r["email"] != residents[0]["email"])["email"]
        )
        assert await node(client, stranger, given["id"]) is None


async def resident_with(client, issuer, residents, linked: bool) -> str:
    """A sample resident with (or without) a PAYMENTS record linked to them."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        systems = {r["system"] for r in (await graphql(client, LINKS, token)).json()["data"]["me"]["linkedRecords"]}
        if ("PAYMENTS" in systems) == linked:
            return token
    pytest.skip(f"no sample resident {'with' if linked else 'without'} a PAYMENTS record")


@pytest.mark.parametrize("linked", [True, False], ids=["payments-record-linked", "no-payments-record"])
async def test_a_payment_in_progress_is_shown_until_it_settles_or_expires(own_council, issuer, residents, linked):
    settings = replace(own_council, reconcile_interval_seconds=0, demo_webhook_copies=0)
    async with serving_app(settings) as (app, client):
        token = await resident_with(client, issuer, residents, linked)
        request = {
            "purpose": "SERVICE",
            "serviceCode": "GARDEN_WASTE",
            "amountPence": 4500,
            "idempotencyKey": f"in-progress-{linked}",
            "returnUrl": RETURN_URL,
        }
        given = await made_once(client, token, request)
        shown = [p for p in await payments_of(client, token) if p["id"] == given["id"]]
        assert shown == [{k: given[k] for k in ("id", "reference", "backOfficeReference", "status")}]
        assert shown[0]["status"] == "CREATED", "a resident who closed the tab still sees their attempt"
        ours = [r for r in await requests_of(client, token) if r["reference"] == given["reference"]]
        assert [(r["backOfficeReference"], r["status"], r["serviceCode"]) for r in ours] == [
            (given["backOfficeReference"], "SUBMITTED", "PAYMENT_SERVICE")
        ]

        async with httpx.AsyncClient() as browser:  # the payer opens the page, then walks away
            assert (await browser.get(given["nextUrl"])).status_code == 200
        await age_at_provider(settings, [given["backOfficeReference"]], minutes=91)
        await app.state.runtime.services.payments.reconcile()
        shown = [p for p in await payments_of(client, token) if p["id"] == given["id"]]
        assert [p["status"] for p in shown] == ["FAILED"], "expired, and still shown under the same id"
        assert [r["status"] for r in await requests_of(client, token) if r["reference"] == given["reference"]] == [
            "REJECTED"
        ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_ledger_answers_each_customers_payments_in_one_batch(tmp_path, backend):
    async def check(url: str) -> None:
        engine = create_engine(url)
        await migrate(engine)
        ledger = PaymentLedger(engine)

        def payment(customer_id: str, key: str, minutes_ago: int) -> StoredPayment:
            return StoredPayment(
                reference=new_reference(),
                customer_id=customer_id,
                idempotency_key=key,
                request_fingerprint="test",
                purpose=PaymentPurpose.SERVICE,
                account_reference=None,
                service_code="BULKY_WASTE",
                amount_pence=2500,
                status=PaymentStatus.CREATED,
                created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            )

        try:
            # The same key twice at once, then again: one payment kept.
            racing = await asyncio.gather(
                ledger.record(payment("c-1", "k-1", 5)), ledger.record(payment("c-1", "k-1", 5))
            )
            retried = await ledger.record(payment("c-1", "k-1", 5))
            assert racing[0].reference == racing[1].reference == retried.reference
            newer = await ledger.record(payment("c-1", "k-2", 1))
            other = await ledger.record(payment("c-2", "k-1", 3))
            found = await ledger.by_customers(["c-1", "c-2", "c-3"])
            assert [p.reference for p in found["c-1"]] == [newer.reference, retried.reference], "newest first"
            assert [p.reference for p in found["c-2"]] == [other.reference]
            assert found.get("c-3", []) == []
            assert await ledger.by_customers([]) == {}
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)
