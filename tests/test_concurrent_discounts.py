"""Single Person Discount under concurrent identical requests: one discount, one credit, N-1 userErrors.

The check ("no discount yet") and the write run under the account's lock and see both REVENUES
and what is kept but not yet delivered; REVENUES itself refuses a second discount for the same days.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from customer360.clock import london_today
from customer360.demo import council
from customer360.domain.council_tax import DiscountStatus
from customer360.domain.discounts import DiscountApplication
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.identity.linking import IdentityHub
from customer360.store.database import create_engine, migrate
from customer360.store.outbox import NewDelivery
from tests.conftest import TEST_RESIDENTS
from tests.services import fresh_postgres_database
from tests.support import graphql, running_app, settings_with
from tests.test_single_person_discount import ACCOUNTS, APPLY, REMOVE, find_resident

N = 5


async def account_now(client, token, reference):
    accounts = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"]
    return next(a for a in accounts if a["reference"] == reference)


def discount_lines(account):
    return [line for line in account["latestStatement"]["lines"] if line["kind"] == "DISCOUNT"]


async def test_five_identical_applications_at_once_give_one_discount_and_four_already_applied(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, client):
        token, before = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=10))
        request = {
            "input": {"accountReference": before["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }

        answers = await asyncio.gather(*(graphql(client, APPLY, token, request) for _ in range(N)))
        payloads = [answer.json()["data"]["applySinglePersonDiscount"] for answer in answers]
        granted = [p for p in payloads if not p["userErrors"]]
        refused = [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]]
        assert len(granted) == 1 and refused == ["ALREADY_APPLIED"] * (N - 1)

        after = await account_now(client, token, before["reference"])
        assert [d["status"] for d in after["discounts"]] == ["ACTIVE"]
        assert len(discount_lines(after)) == len(discount_lines(before)) + 1, "credited once"

        # A retry later (the resident's double click after a timeout) is refused the same way.
        retry = (await graphql(client, APPLY, token, request)).json()["data"]["applySinglePersonDiscount"]
        assert retry["userErrors"][0]["code"] == "ALREADY_APPLIED"
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_an_application_kept_but_not_yet_delivered_counts_as_applied(own_council, issuer, residents):
    """REVENUES does not show an application still on its way (the relay delivers it later): the
    check sees it in what we kept."""
    async with running_app(own_council) as (app, client):
        token, before = await find_resident(client, issuer, residents, with_household=False)
        runtime = app.state.runtime
        principal = await runtime.authenticate(f"Bearer {token}")
        starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=10))
        on_its_way = Submission(
            new_reference(),
            principal.customer_id,
            "spd_application",
            "SINGLE_PERSON_DISCOUNT",
            {"account_reference": before["reference"], "starts_on": starts_on.isoformat()},
            datetime.now(UTC),
        )
        await runtime.outbox.submit(on_its_way, [NewDelivery(SourceSystem.REVENUES, "not.delivered.yet", {})])

        request = {
            "input": {"accountReference": before["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }
        answer = (await graphql(client, APPLY, token, request)).json()["data"]["applySinglePersonDiscount"]
        assert answer["userErrors"][0]["code"] == "ALREADY_APPLIED"
        assert (await account_now(client, token, before["reference"]))["discounts"] == []


async def test_five_identical_removals_at_once_end_it_once(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token, before = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=20))
        apply = {
            "input": {"accountReference": before["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }
        assert (await graphql(client, APPLY, token, apply)).json()["data"]["applySinglePersonDiscount"][
            "userErrors"
        ] == []
        applied = await account_now(client, token, before["reference"])

        request = {"input": {"accountReference": before["reference"], "endsOn": london_today().isoformat()}}
        answers = await asyncio.gather(*(graphql(client, REMOVE, token, request) for _ in range(N)))
        payloads = [answer.json()["data"]["removeSinglePersonDiscount"] for answer in answers]
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]] == ["NO_DISCOUNT_TO_END"] * (N - 1)

        after = await account_now(client, token, before["reference"])
        assert [d["status"] for d in after["discounts"]] == ["ENDED"]
        assert len(discount_lines(after)) == len(discount_lines(applied)) + 1, "given back once"
        retry = (await graphql(client, REMOVE, token, request)).json()["data"]["removeSinglePersonDiscount"]
        assert retry["userErrors"][0]["code"] == "NO_DISCOUNT_TO_END"


async def test_revenues_refuses_a_second_discount_for_the_same_days(own_council, issuer, residents):
    """Defence in depth: whatever reaches REVENUES, it grants one discount per account and day."""
    async with running_app(own_council) as (app, client):
        _, before = await find_resident(client, issuer, residents, with_household=False)
        revenues = app.state.runtime.services.sources.revenues
        starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=10))

        def application(reference: str) -> DiscountApplication:
            return DiscountApplication(
                reference, before["reference"], starts_on, DiscountStatus.ACTIVE, None, london_today()
            )

        outcomes = await asyncio.gather(
            *(revenues.apply_single_person_discount(application(f"C360-TEST{i}")) for i in range(N)),
            return_exceptions=True,
        )
        granted = [o for o in outcomes if isinstance(o, str)]
        assert len(granted) == 1
        assert all(type(o).__name__ == "SourceRejected" for o in outcomes if not isinstance(o, str))
        # The same request again (a retried delivery) answers the discount it made, not a refusal.
        winner = outcomes.index(granted[0])
        assert await revenues.apply_single_person_discount(application(f"C360-TEST{winner}")) == granted[0]


async def test_two_gateways_on_one_store_grant_one_discount(own_council, issuer, residents):
    """Two processes' worth of gateway (each its own engine, pool and lock holder) sharing the store."""
    async with running_app(own_council) as (_, first), running_app(own_council) as (_, second):
        token, before = await find_resident(first, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=10))
        request = {
            "input": {"accountReference": before["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }
        answers = await asyncio.gather(*(graphql((first, second)[i % 2], APPLY, token, request) for i in range(N)))
        payloads = [answer.json()["data"]["applySinglePersonDiscount"] for answer in answers]
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]] == ["ALREADY_APPLIED"] * (N - 1)
        after = await account_now(second, token, before["reference"])
        assert [d["status"] for d in after["discounts"]] == ["ACTIVE"]
        assert len(discount_lines(after)) == len(discount_lines(before)) + 1


async def test_on_a_postgresql_store_two_gateways_grant_one_discount_and_end_it_once(own_council, issuer, residents):
    """The same on PostgreSQL: advisory locks across two gateways' pools."""
    async with fresh_postgres_database() as url:
        settings = settings_with(own_council, database_url=url)
        engine = create_engine(url)
        try:
            await migrate(engine)
            await council.seed_demo(settings, IdentityHub.on(engine), residents=TEST_RESIDENTS, seed=7, reset=True)
        finally:
            await engine.dispose()
        async with running_app(settings) as (_, first), running_app(settings) as (_, second):
            token, before = await find_resident(first, issuer, residents, with_household=False)
            starts_on = max(date.fromisoformat(before["liableFrom"]), london_today() - timedelta(days=10))
            reference = before["reference"]
            apply = {"input": {"accountReference": reference, "startsOn": starts_on.isoformat(), "declaration": True}}
            answers = await asyncio.gather(*(graphql((first, second)[i % 2], APPLY, token, apply) for i in range(N)))
            payloads = [answer.json()["data"]["applySinglePersonDiscount"] for answer in answers]
            assert [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]] == ["ALREADY_APPLIED"] * (N - 1)

            end = {"input": {"accountReference": reference, "endsOn": london_today().isoformat()}}
            answers = await asyncio.gather(*(graphql((first, second)[i % 2], REMOVE, token, end) for i in range(N)))
            payloads = [answer.json()["data"]["removeSinglePersonDiscount"] for answer in answers]
            assert [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]] == ["NO_DISCOUNT_TO_END"] * (N - 1)
            after = await account_now(second, token, reference)
            assert [d["status"] for d in after["discounts"]] == ["ENDED"]
            assert len(discount_lines(after)) == len(discount_lines(before)) + 2, "one discount, one give-back"
