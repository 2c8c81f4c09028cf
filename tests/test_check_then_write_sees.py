"""What a "not done already" check must see, and what it must not take for "done".

An account's Single Person Discount request still on its way counts whichever liable resident made
it (the lock is the account's, and so is the check). And an earlier housing application that has
since closed never blocks a new one: read afresh from HOUSING, and with HOUSING down the answer is
SOURCE_UNAVAILABLE (nothing kept, try again), never ALREADY_OPEN."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from customer360.clock import london_today
from customer360.demo import council
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.sources.housing.sql import applications
from customer360.store.database import create_engine
from customer360.store.outbox import NewDelivery
from tests.support import graphql, running_app
from tests.test_concurrent_discounts import account_now
from tests.test_moving_and_housing import APPLY as APPLY_FOR_HOUSING
from tests.test_moving_and_housing import household
from tests.test_single_person_discount import APPLY, find_resident

HOUSING_APPLICATIONS = "{ me { id housingApplications { reference status } } }"


async def test_a_pending_application_by_another_liable_resident_of_the_account_counts(own_council, issuer, residents):
    async with running_app(own_council) as (app, client):
        token, account = await find_resident(client, issuer, residents, with_household=False)
        runtime = app.state.runtime
        me = await runtime.authenticate(f"Bearer {token}")
        others = [await runtime.authenticate(f"Bearer {issuer.resident_token(r['email'])}") for r in residents[:2]]
        partner = next(p for p in others if p.customer_id != me.customer_id)
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=10))
        # The other liable resident (jointly liable, say) applied a moment ago; REVENUES has not got it yet.
        on_its_way = Submission(
            new_reference(),
            partner.customer_id,
            "spd_application",
            "SINGLE_PERSON_DISCOUNT",
            {"account_reference": account["reference"], "starts_on": starts_on.isoformat()},
            datetime.now(UTC),
        )
        await runtime.outbox.submit(on_its_way, [NewDelivery(SourceSystem.REVENUES, "not.delivered.yet", {})])

        request = {
            "input": {"accountReference": account["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }
        answers = await asyncio.gather(*(graphql(client, APPLY, token, request) for _ in range(2)))
        retry = await graphql(client, APPLY, token, request)
        for answer in [*answers, retry]:
            payload = answer.json()["data"]["applySinglePersonDiscount"]
            assert [e["code"] for e in payload["userErrors"]] == ["ALREADY_APPLIED"]
        assert (await account_now(client, token, account["reference"]))["discounts"] == []


async def closed_in_housing(settings, reference: str) -> None:
    """The housing team closes the application in HOUSING (as its own screens would)."""
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING])
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(applications).where(applications.c.external_reference == reference).values(status="CLOSED")
            )
    finally:
        await engine.dispose()


async def test_with_housing_down_an_earlier_delivered_application_is_not_already_open(own_council, issuer, residents):
    application = {
        "input": {
            "household": household(("APPLICANT", date(1988, 4, 4))),
            "currentTenure": "PRIVATE_RENTED",
            "reason": "The flat is damp",
            "incomeBand": "FROM_15K_TO_30K",
        }
    }
    async with running_app(own_council) as (app, client):
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, HOUSING_APPLICATIONS, token)).json()["data"]["me"]
            if me and not me["housingApplications"]:
                break
        first = (await graphql(client, APPLY_FOR_HOUSING, token, application)).json()["data"]
        earlier = first["submitHousingApplication"]["application"]["reference"]
        await closed_in_housing(own_council, earlier)

        app.state.runtime.faults.down.add(SourceSystem.HOUSING)
        answers = await asyncio.gather(*(graphql(client, APPLY_FOR_HOUSING, token, application) for _ in range(2)))
        for answer in answers:
            payload = answer.json()["data"]["submitHousingApplication"]
            assert [e["code"] for e in payload["userErrors"]] == ["SOURCE_UNAVAILABLE"], "not ALREADY_OPEN"
        principal = await app.state.runtime.authenticate(f"Bearer {token}")
        kept = (await app.state.runtime.outbox.submissions_by_customer([principal.customer_id]))[principal.customer_id]
        assert [s.reference for s in kept if s.kind == "housing_application"] == [earlier], "nothing kept while down"

        # HOUSING back: the closed application does not count; of two sent at once one is kept.
        app.state.runtime.faults.down.clear()
        answers = await asyncio.gather(*(graphql(client, APPLY_FOR_HOUSING, token, application) for _ in range(2)))
        payloads = [answer.json()["data"]["submitHousingApplication"] for answer in answers]
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert [e["code"] for p in payloads for e in p["userErrors"]] == ["ALREADY_OPEN"]
        retry = (await graphql(client, APPLY_FOR_HOUSING, token, application)).json()["data"]
        assert [e["code"] for e in retry["submitHousingApplication"]["userErrors"]] == ["ALREADY_OPEN"]
