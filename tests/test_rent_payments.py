"""makePayment with purpose RENT: paid at the provider, credited to the tenancy's rent account in
HOUSING_MANAGEMENT once (a concurrent duplicate and a retry with the same key are one payment; duplicate
webhooks one posting); another resident's tenancy is not found."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from sqlalchemy import func, select

from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.database import create_engine
from tests.support import graphql, serving_app
from tests.test_payment_reference import made_once
from tests.test_payments import RETURN_URL, settle_at_page, wait_for

TENANCIES = "{ me { tenancies { reference rentAccount { balance { pence } statement { kind description } } } } }"
MAKE = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { id reference status nextUrl } userErrors { field code message } } }
"""


async def tenancies_of(client, token) -> list[dict]:
    return (await graphql(client, TENANCIES, token)).json()["data"]["me"]["tenancies"]


async def tenants(client, issuer, residents, count: int) -> list[tuple[str, dict]]:
    found = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        held = await tenancies_of(client, token)
        if held:
            found.append((token, held[0]))
        if len(found) == count:
            return found
    raise AssertionError("too few sample residents are council tenants")


async def rent_postings(settings, reference: str) -> int:
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING_MANAGEMENT])
    try:
        async with engine.connect() as conn:
            table = housing_management_sql.rent_transactions
            query = select(func.count()).select_from(table).where(table.c.external_reference == reference)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_rent_paid_online_is_credited_to_the_rent_account_once(own_council, issuer, residents):
    settings = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        before = tenancy["rentAccount"]["balance"]["pence"]
        request = {
            "purpose": "RENT",
            "accountReference": tenancy["reference"],
            "amountPence": 4_321,
            "idempotencyKey": "rent-1",
            "returnUrl": RETURN_URL,
        }
        payment = await made_once(client, token, request)
        finished = await settle_at_page(payment["nextUrl"], "success")
        assert finished.status_code == 303

        async def credited() -> bool:
            held = next(t for t in await tenancies_of(client, token) if t["reference"] == tenancy["reference"])
            return held["rentAccount"]["balance"]["pence"] == before - 4_321

        assert await wait_for(credited), "the webhook should credit the rent account"
        await asyncio.sleep(0.5)  # let the duplicate webhook land too
        assert await rent_postings(settings, payment["reference"]) == 1
        held = next(t for t in await tenancies_of(client, token) if t["reference"] == tenancy["reference"])
        assert {"kind": "PAYMENT", "description": f"Card payment, thank you ({payment['reference']})"} in held[
            "rentAccount"
        ]["statement"]


async def test_rent_for_another_residents_tenancy_is_not_found(own_council, issuer, residents):
    async with serving_app(own_council) as (_, client):
        (mine, _), (_, theirs) = await tenants(client, issuer, residents, 2)
        request = {
            "purpose": "RENT",
            "accountReference": theirs["reference"],
            "amountPence": 1_000,
            "idempotencyKey": "rent-theirs",
            "returnUrl": RETURN_URL,
        }
        answer = (await graphql(client, MAKE, mine, {"input": request})).json()["data"]["makePayment"]
        assert answer["payment"] is None
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["input", "accountReference"], "NOT_FOUND")]
