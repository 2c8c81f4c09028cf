"""A fee-paying service is asked for with its payment, and only sent on to its back office once the fee is paid.

On main a bulky waste booking needed no payment (it went to the CRM at once) and a BULKY_WASTE payment
was tied to no booking. Now reportIssue answers the request and its payment; the request is HELD until
the payment succeeds (then delivered once, however many webhooks and reconcilers see it), and closed
when the payment finishes unpaid; makePayment refuses such a fee on its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.store.database import create_engine, migrate
from customer360.store.outbox import NewDelivery, OutboxStore
from tests.services import fresh_postgres_database
from tests.support import graphql, serving_app
from tests.test_payments import RETURN_URL, settle_at_page, wait_for

REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { id reference status delivery { state system } }
  payment { id reference amount { pence } purpose status nextUrl }
  userErrors { field code } } }
"""
REQUESTS = """
{ me { requests(first: 100) { edges { node { reference status deliveries { state system }
  history { description } } } } } }
"""
PAY = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) { payment { id } userErrors { field code } } }
"""
BULKY = {
    "serviceCode": "BULKY_WASTE",
    "description": "An old sofa and a fridge",
    "attributes": [{"code": "ITEMS", "value": "Sofa"}, {"code": "ITEM_COUNT", "value": "2"}],
    "returnUrl": RETURN_URL,
}


async def report_once(client, token, key: str) -> dict:
    """The same booking twice at once under one Idempotency-Key, then the client's retry: one answer."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}

    async def report() -> dict:
        answer = await client.post("/graphql", json={"query": REPORT, "variables": {"input": BULKY}}, headers=headers)
        return answer.json()["data"]["reportIssue"]

    answers = [*await asyncio.gather(report(), report()), await report()]
    assert all(a["userErrors"] == [] for a in answers), answers
    assert len({(a["request"]["reference"], a["payment"]["id"]) for a in answers}) == 1
    return answers[-1]


async def request_of(client, token, reference: str) -> dict:
    edges = (await graphql(client, REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
    return next(e["node"] for e in edges if e["node"]["reference"] == reference)


async def test_a_fee_paying_service_is_sent_on_only_once_its_fee_is_paid(own_council, issuer, residents):
    settings = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)  # duplicate webhooks
    async with serving_app(settings) as (app, client):
        runtime = app.state.runtime
        token = issuer.resident_token(residents[2]["email"])
        made = await report_once(client, token, "bulky-paid")
        request, payment = made["request"], made["payment"]
        assert request["delivery"] == {"state": "HELD", "system": "CRM"}
        assert payment["purpose"] == "SERVICE" and payment["amount"] == {"pence": 2500} and payment["nextUrl"]
        assert payment["reference"].startswith("C360-") and payment["reference"] != request["reference"]
        held = await request_of(client, token, request["reference"])
        assert held["status"] == "SUBMITTED" and held["deliveries"] == [{"state": "HELD", "system": "CRM"}]
        assert "Waiting for the fee to be paid" in [h["description"] for h in held["history"]]

        await settle_at_page(payment["nextUrl"], "success")

        async def delivered() -> bool:
            found = await runtime.outbox.submissions_by_reference([request["reference"]])
            return found[request["reference"]].deliveries[0].state is DeliveryState.DELIVERED

        assert await wait_for(delivered), "paid: the booking goes to the CRM"
        await asyncio.gather(runtime.services.payments.reconcile(), runtime.services.payments.reconcile())
        await runtime.services.payments.reconcile()
        [delivery] = (await runtime.outbox.submissions_by_reference([request["reference"]]))[
            request["reference"]
        ].deliveries
        assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1), "sent once"
        assert delivery.backoffice_reference


@pytest.mark.parametrize("outcome", ["declined", "cancelled"])
async def test_an_unpaid_fee_closes_its_request_unsent(own_council, issuer, residents, outcome):
    settings = replace(own_council, demo_webhook_copies=1, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        runtime = app.state.runtime
        token = issuer.resident_token(residents[2]["email"])
        made = await report_once(client, token, f"bulky-{outcome}")
        reference = made["request"]["reference"]
        await settle_at_page(made["payment"]["nextUrl"], outcome)

        async def closed() -> bool:
            return (await request_of(client, token, reference))["status"] == "CLOSED"

        assert await wait_for(closed)
        await asyncio.gather(runtime.services.payments.reconcile(), runtime.services.payments.reconcile())
        shown = await request_of(client, token, reference)
        assert shown["deliveries"] == [{"state": "CANCELLED", "system": "CRM"}]
        assert "Closed: the fee was not paid" in [h["description"] for h in shown["history"]]
        [delivery] = (await runtime.outbox.submissions_by_reference([reference]))[reference].deliveries
        assert delivery.attempts == 0, "never sent to the CRM"


async def test_a_fee_is_never_paid_on_its_own_nor_a_booking_made_without_somewhere_to_return(
    own_council, issuer, residents
):
    async with serving_app(replace(own_council, reconcile_interval_seconds=0)) as (_, client):
        token = issuer.resident_token(residents[2]["email"])
        alone = {
            "purpose": "SERVICE",
            "serviceCode": "BULKY_WASTE",
            "amountPence": 2500,
            "idempotencyKey": "bulky-alone",
            "returnUrl": RETURN_URL,
        }
        body = (await graphql(client, PAY, token, {"input": alone})).json()["data"]["makePayment"]
        assert body == {
            "payment": None,
            "userErrors": [{"field": ["input", "serviceCode"], "code": "PAID_WITH_ITS_REQUEST"}],
        }
        no_return = {k: v for k, v in BULKY.items() if k != "returnUrl"}
        body = (await graphql(client, REPORT, token, {"input": no_return})).json()["data"]["reportIssue"]
        assert body["request"] is None and body["userErrors"] == [{"field": ["input", "returnUrl"], "code": "REQUIRED"}]
        elsewhere = {**BULKY, "returnUrl": "https://phish.example/pay"}
        body = (await graphql(client, REPORT, token, {"input": elsewhere})).json()["data"]["reportIssue"]
        assert body["request"] is None and body["userErrors"][0]["code"] == "INVALID_RETURN_URL"
        anonymous = (await graphql(client, REPORT, None, {"input": BULKY})).json()["data"]["reportIssue"]
        assert anonymous["request"] is None and anonymous["userErrors"][0]["code"] == "NOT_SIGNED_IN"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_held_deliveries_wait_until_released_and_a_cancelled_one_never_goes(tmp_path, backend):
    async def check(url: str) -> None:
        engine = create_engine(url)
        await migrate(engine)
        outbox = OutboxStore(engine)
        try:
            now = datetime.now(UTC)

            async def held() -> str:
                submission = Submission(new_reference(), "c-1", "case", "BULKY_WASTE", {}, now)
                await outbox.submit(submission, [NewDelivery(SourceSystem.CRM, "crm.create_case", {})], held=True)
                return submission.reference

            paid, unpaid = await held(), await held()
            assert await outbox.due(now) == [], "held: not due"
            # Released twice at once (a webhook and a reconciler), then again: one pending delivery.
            released = await asyncio.gather(outbox.release(paid, now), outbox.release(paid, now))
            again = await outbox.release(paid, now)
            assert len(set(released[0]) | set(released[1]) | set(again)) == 1
            assert len(await outbox.due(now)) == 1
            assert await outbox.cancel(paid, now) is False, "a released request is not closed after"
            cancelled = await asyncio.gather(outbox.cancel(unpaid, now), outbox.cancel(unpaid, now))
            assert sorted(cancelled) == [False, True]
            assert await outbox.release(unpaid, now) == [], "a closed request is never sent"
            found = await outbox.submissions_by_reference([paid, unpaid])
            assert found[paid].deliveries[0].state is DeliveryState.PENDING
            assert found[unpaid].delivery_state is DeliveryState.CANCELLED
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)
