"""Single Person Discount end to end: the balance, instalments and statement change to the penny."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from customer360.clock import london_today
from tests.support import graphql, running_app

ACCOUNTS = """
{ me { benefitClaims { status household { relationship dateOfBirth } }
  councilTaxAccounts { reference liableFrom liableTo annualCharge { pence } balance { pence }
    instalments { dueDate amount { pence } }
    latestStatement { closingBalance { pence } lines { kind description amount { pence } } }
    discounts { id status startsOn endsOn } } } }
"""
APPLY = """
mutation($input: ApplySinglePersonDiscountInput!) { applySinglePersonDiscount(input: $input) {
  discount { id status percent startsOn endsOn accountReference } userErrors { field code message } } }
"""
REMOVE = """
mutation($input: RemoveSinglePersonDiscountInput!) { removeSinglePersonDiscount(input: $input) {
  discount { status startsOn endsOn } userErrors { field code message } } }
"""
MY_REQUESTS = "{ me { requests(first: 100) { edges { node { serviceCode status history { description } } } } } }"


def expected_discount(annual: int, first: date, last: date) -> int:
    """25% of the charge for first..last, each step rounded half up to the penny (as the council bills)."""
    year_start = date(first.year if first.month >= 4 else first.year - 1, 4, 1)
    days_in_year = (date(year_start.year + 1, 4, 1) - year_start).days
    charge = Fraction(annual * ((last - first).days + 1), days_in_year)
    charge_pence = int(charge + Fraction(1, 2))
    return (charge_pence * 25 + 50) // 100


async def find_resident(client, issuer, residents, *, with_household: bool):
    """A resident with an account and no discount, living alone by their records (or not)."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]
        household = [m for c in me["benefitClaims"] if c["status"] in ("AWARDED", "ASSESSING") for m in c["household"]]
        adults = [m for m in household if m["relationship"] != "CHILD"]
        accounts = [a for a in me["councilTaxAccounts"] if not a["discounts"] and a["liableTo"] is None]
        if accounts and bool(adults) == with_household:
            return token, accounts[0]
    pytest.skip("no demo resident of that kind in the sample")


async def test_apply_then_remove_changes_balance_instalments_and_statement_to_the_penny(own_council, issuer, residents):
    today = london_today()
    async with running_app(own_council) as (_, client):
        token, before = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(before["liableFrom"]), today - timedelta(days=20))
        payload = (
            await graphql(
                client,
                APPLY,
                token,
                {
                    "input": {
                        "accountReference": before["reference"],
                        "startsOn": starts_on.isoformat(),
                        "declaration": True,
                    }
                },
            )
        ).json()["data"]["applySinglePersonDiscount"]
        assert payload["userErrors"] == []
        assert payload["discount"]["status"] == "ACTIVE" and payload["discount"]["percent"] == 25

        after = next(
            a
            for a in (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"]
            if a["reference"] == before["reference"]
        )
        year_end = date(today.year if today.month < 4 else today.year + 1, 3, 31)
        value = expected_discount(before["annualCharge"]["pence"], starts_on, year_end)
        assert after["balance"]["pence"] == before["balance"]["pence"] - value
        discount_lines = [line for line in after["latestStatement"]["lines"] if line["kind"] == "DISCOUNT"]
        assert discount_lines[-1]["amount"]["pence"] == -value
        assert after["latestStatement"]["closingBalance"]["pence"] == after["balance"]["pence"]
        billed = [i for i in before["instalments"] if date.fromisoformat(i["dueDate"]) <= today]
        assert [i for i in after["instalments"] if date.fromisoformat(i["dueDate"]) <= today] == billed
        charged = sum(
            line["amount"]["pence"] for line in after["latestStatement"]["lines"] if line["kind"] != "PAYMENT"
        )
        assert sum(i["amount"]["pence"] for i in after["instalments"]) == max(
            charged, sum(i["amount"]["pence"] for i in billed)
        )
        to_come = [i["amount"]["pence"] for i in after["instalments"] if date.fromisoformat(i["dueDate"]) > today]
        if len(to_come) > 1:
            assert to_come[0] >= to_come[1] and len(set(to_come[1:])) == 1, "rounding pence on the next instalment"

        again = (
            await graphql(
                client,
                APPLY,
                token,
                {
                    "input": {
                        "accountReference": before["reference"],
                        "startsOn": starts_on.isoformat(),
                        "declaration": True,
                    }
                },
            )
        ).json()["data"]["applySinglePersonDiscount"]
        assert again["userErrors"][0]["code"] == "ALREADY_APPLIED"

        ends_on = today
        removed = (
            await graphql(
                client,
                REMOVE,
                token,
                {"input": {"accountReference": before["reference"], "endsOn": ends_on.isoformat()}},
            )
        ).json()["data"]["removeSinglePersonDiscount"]
        assert removed["userErrors"] == []
        assert removed["discount"]["status"] == "ENDED" and removed["discount"]["endsOn"] == ends_on.isoformat()
        ended = next(
            a
            for a in (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"]
            if a["reference"] == before["reference"]
        )
        kept = expected_discount(before["annualCharge"]["pence"], starts_on, ends_on)
        assert ended["balance"]["pence"] == before["balance"]["pence"] - kept
        assert ended["latestStatement"]["closingBalance"]["pence"] == ended["balance"]["pence"]

        requests = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        spd = [e["node"] for e in requests if e["node"]["serviceCode"] == "SINGLE_PERSON_DISCOUNT"]
        assert spd and spd[0]["status"] == "CLOSED"


async def test_another_adult_in_a_back_office_holds_the_discount_for_review(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token, account = await find_resident(client, issuer, residents, with_household=True)
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        payload = (
            await graphql(
                client,
                APPLY,
                token,
                {
                    "input": {
                        "accountReference": account["reference"],
                        "startsOn": starts_on.isoformat(),
                        "declaration": True,
                    }
                },
            )
        ).json()["data"]["applySinglePersonDiscount"]
        assert payload["userErrors"] == []
        assert payload["discount"]["status"] == "PENDING"
        after = next(
            a
            for a in (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"]
            if a["reference"] == account["reference"]
        )
        assert after["balance"] == account["balance"], "nothing is taken off until the council decides"
        requests = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        spd = next(e["node"] for e in requests if e["node"]["serviceCode"] == "SINGLE_PERSON_DISCOUNT")
        assert spd["status"] == "IN_PROGRESS"
        assert any("another adult" in event["description"] for event in spd["history"])


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        pytest.param({"declaration": False}, ["input", "declaration"], "DECLARATION_REQUIRED", id="no-declaration"),
        pytest.param({"startsOn": "+31"}, ["input", "startsOn"], "STARTS_TOO_FAR_AHEAD", id="too-far-ahead"),
        pytest.param(
            {"startsOn": "2020-01-01"}, ["input", "startsOn"], "STARTS_BEFORE_LIABILITY", id="before-liability"
        ),
        pytest.param(
            {"accountReference": "00000000"}, ["input", "accountReference"], "NOT_FOUND", id="unknown-account"
        ),
    ],
)
async def test_bad_applications_get_user_errors(own_council, issuer, residents, change, field, code):
    async with running_app(own_council) as (app, client):
        token, account = await find_resident(client, issuer, residents, with_household=False)
        request = {
            "accountReference": account["reference"],
            "startsOn": london_today().isoformat(),
            "declaration": True,
        }
        if change.get("startsOn") == "+31":
            change = {"startsOn": (london_today() + timedelta(days=31)).isoformat()}
        payload = (await graphql(client, APPLY, token, {"input": {**request, **change}})).json()["data"][
            "applySinglePersonDiscount"
        ]
        assert payload["discount"] is None
        assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (field, code)
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_resident_cannot_touch_another_residents_account(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        _, account = await find_resident(client, issuer, residents, with_household=False)
        for resident in residents[:10]:
            token = issuer.resident_token(resident["email"])
            mine = (await graphql(client, "{ me { councilTaxAccounts { reference } } }", token)).json()
            if account["reference"] in {a["reference"] for a in mine["data"]["me"]["councilTaxAccounts"]}:
                continue
            attempt = {
                "accountReference": account["reference"],
                "startsOn": london_today().isoformat(),
                "declaration": True,
            }
            payload = (await graphql(client, APPLY, token, {"input": attempt})).json()["data"][
                "applySinglePersonDiscount"
            ]
            assert payload["userErrors"][0]["code"] == "NOT_FOUND"
            ending = {"accountReference": account["reference"], "endsOn": london_today().isoformat()}
            removal = (await graphql(client, REMOVE, token, {"input": ending})).json()["data"][
                "removeSinglePersonDiscount"
            ]
            assert removal["userErrors"][0]["code"] == "NOT_FOUND"
            return
