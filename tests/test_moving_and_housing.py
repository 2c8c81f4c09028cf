"""notifyMove and submitHousingApplication end to end: every back office hears, once; rules hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from customer360.clock import london_today
from customer360.demo.gazetteer import demo_gazetteer
from customer360.domain.systems import SourceSystem
from tests.support import graphql, running_app

MOVE = """
mutation($input: NotifyMoveInput!) { notifyMove(input: $input) {
  request { reference serviceCode status history { description system } delivery { state } }
  userErrors { field code message } } }
"""
ME = """
{ me { linkedRecords { system } councilTaxAccounts { reference liableFrom liableTo propertyAddress { uprn }
  balance { pence } latestStatement { closingBalance { pence } } }
  requests(first: 100) { edges { node { reference serviceCode status history { description system } } } } } }
"""
APPLY = """
mutation($input: SubmitHousingApplicationInput!) { submitHousingApplication(input: $input) {
  application { reference status bedroomsNeeded householdSize } userErrors { field code message } } }
"""


async def mover(client, issuer, residents, *, systems: set[str]):
    """A sample resident known to at least `systems`, with a current council tax account."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, ME, token)).json()["data"]["me"]
        linked = {link["system"] for link in me["linkedRecords"]}
        current = [a for a in me["councilTaxAccounts"] if a["liableTo"] is None]
        if systems <= linked and current:
            return token, me, current[0]
    pytest.skip("no sample resident known to those systems")


def new_home(not_uprn: str | None) -> str:
    return next(a.uprn for a in demo_gazetteer() if a.in_borough and a.uprn != not_uprn)


async def test_moving_within_the_borough_moves_the_account_and_tells_every_office(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token, me, account = await mover(client, issuer, residents, systems={"REVENUES", "CRM"})
        moving_on = london_today() - timedelta(days=3)
        uprn = new_home(account["propertyAddress"]["uprn"])
        answer = (
            await graphql(
                client, MOVE, token, {"input": {"kind": "WITHIN", "moveDate": moving_on.isoformat(), "newUprn": uprn}}
            )
        ).json()["data"]["notifyMove"]
        assert answer["userErrors"] == []
        request = answer["request"]
        told = {step["system"] for step in request["history"] if step["system"]}
        holders = {link["system"] for link in me["linkedRecords"]} & {"REVENUES", "BENEFITS", "HOUSING", "CRM"}
        assert told == holders, "each back office that holds the person is one step"
        assert request["status"] == "RESOLVED"
        after = (await graphql(client, ME, token)).json()["data"]["me"]
        old = next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])
        assert old["liableTo"] == (moving_on - timedelta(days=1)).isoformat()
        assert old["latestStatement"]["closingBalance"] == old["balance"]
        new = [a for a in after["councilTaxAccounts"] if a["propertyAddress"]["uprn"] == uprn]
        assert len(new) == 1 and new[0]["liableFrom"] == moving_on.isoformat() and new[0]["liableTo"] is None
        listed = [e["node"] for e in after["requests"]["edges"] if e["node"]["reference"] == request["reference"]]
        assert listed and listed[0]["serviceCode"] == "MOVING_HOME"


async def test_a_back_office_that_is_down_gets_its_step_later_and_only_once(own_council, issuer, residents):
    async with running_app(own_council) as (app, client):
        token, _me, account = await mover(client, issuer, residents, systems={"REVENUES", "CRM"})
        app.state.runtime.faults.down.add(SourceSystem.CRM)
        moving_on = london_today()
        uprn = new_home(account["propertyAddress"]["uprn"])
        answer = (
            await graphql(
                client, MOVE, token, {"input": {"kind": "WITHIN", "moveDate": moving_on.isoformat(), "newUprn": uprn}}
            )
        ).json()["data"]["notifyMove"]
        assert answer["request"]["status"] == "SUBMITTED"
        assert "CRM" not in {s["system"] for s in answer["request"]["history"] if s["system"]}
        app.state.runtime.faults.down.clear()
        deliverer = app.state.runtime.services.writes.deliverer
        later = datetime.now(UTC) + timedelta(hours=1)
        await deliverer.run_due(now=later)
        await deliverer.run_due(now=later)
        after = (await graphql(client, ME, token)).json()["data"]["me"]
        listed = next(
            e["node"] for e in after["requests"]["edges"] if e["node"]["reference"] == answer["request"]["reference"]
        )
        assert listed["status"] == "RESOLVED"
        assert [s["system"] for s in listed["history"]].count("CRM") == 1
        accounts = [a for a in after["councilTaxAccounts"] if a["propertyAddress"]["uprn"] == uprn]
        assert len(accounts) == 1, "REVENUES was told once, not again by the relay"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        pytest.param({"moveDate": -100}, ["input", "moveDate"], "MOVE_DATE_TOO_EARLY", id="too-early"),
        pytest.param({"moveDate": 100}, ["input", "moveDate"], "MOVE_DATE_TOO_LATE", id="too-late"),
        pytest.param({"newUprn": "999999999999"}, ["input", "newUprn"], "ADDRESS_NOT_FOUND", id="unknown-uprn"),
        pytest.param(
            {"newUprn": None, "newAddress": {"line1": "1 High Street", "postcode": "WS13 6AA"}},
            ["input", "newAddress"],
            "ADDRESS_NOT_FOUND",
            id="outside-borough-for-within",
        ),
        pytest.param({"newUprn": None}, ["input", "newAddress"], "ADDRESS_REQUIRED", id="no-address"),
    ],
)
async def test_bad_moves_get_user_errors(own_council, issuer, residents, change, field, code):
    request = {"kind": "WITHIN", "moveDate": london_today().isoformat(), "newUprn": new_home(None)}
    if isinstance(change.get("moveDate"), int):
        change = {"moveDate": (london_today() + timedelta(days=change["moveDate"])).isoformat()}
    async with running_app(own_council) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        answer = (await graphql(client, MOVE, token, {"input": {**request, **change}})).json()["data"]["notifyMove"]
        assert answer["request"] is None
        assert (answer["userErrors"][0]["field"], answer["userErrors"][0]["code"]) == (field, code)
        assert await app.state.runtime.outbox.pending_count() == 0


def household(*members: tuple[str, date]) -> list[dict[str, str]]:
    return [{"relationship": relationship, "dateOfBirth": born.isoformat()} for relationship, born in members]


async def test_a_housing_application_reaches_housing_and_a_second_is_already_open(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, "{ me { housingApplications { status } } }", token)).json()["data"]["me"]
            if not any(a["status"] in ("SUBMITTED", "ASSESSING", "ACTIVE") for a in me["housingApplications"]):
                break
        application = {
            "household": household(
                ("APPLICANT", date(1990, 5, 1)), ("CHILD", date(2018, 2, 2)), ("CHILD", date(2020, 3, 3))
            ),
            "currentTenure": "PRIVATE_RENTED",
            "reason": "Our landlord is selling the house",
            "incomeBand": "FROM_15K_TO_30K",
            "localConnection": True,
        }
        first = (await graphql(client, APPLY, token, {"input": application})).json()["data"]["submitHousingApplication"]
        assert first["userErrors"] == []
        assert first["application"]["bedroomsNeeded"] == 2 and first["application"]["householdSize"] == 3
        second = (await graphql(client, APPLY, token, {"input": application})).json()["data"][
            "submitHousingApplication"
        ]
        assert second["userErrors"][0]["code"] == "ALREADY_OPEN"
        me = (await graphql(client, ME, token)).json()["data"]["me"]
        codes = [e["node"]["serviceCode"] for e in me["requests"]["edges"]]
        assert "HOUSING_APPLICATION" in codes


@pytest.mark.parametrize(
    ("members", "field", "code"),
    [
        pytest.param([("CHILD", date(2015, 1, 1))], ["input", "household"], "NO_APPLICANT_OLD_ENOUGH", id="no-adult"),
        pytest.param(
            [("APPLICANT", date(1990, 1, 1)), ("CHILD", date(2099, 1, 1))],
            ["input", "household", "1", "dateOfBirth"],
            "INVALID_DATE_OF_BIRTH",
            id="future-birth",
        ),
        pytest.param(
            [("APPLICANT", date(1990, 1, 1)), ("COUSIN", date(1991, 1, 1))],
            ["input", "household", "1", "relationship"],
            "INVALID_RELATIONSHIP",
            id="relationship",
        ),
    ],
)
async def test_bad_housing_applications_get_user_errors(own_council, issuer, residents, members, field, code):
    application = {
        "household": household(*members),
        "currentTenure": "PRIVATE_RENTED",
        "reason": "Overcrowded",
        "incomeBand": "UNDER_15K",
    }
    async with running_app(own_council) as (_, client):
        token = issuer.resident_token(residents[0]["email"])
        payload = (await graphql(client, APPLY, token, {"input": application})).json()["data"][
            "submitHousingApplication"
        ]
    assert payload["application"] is None
    assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (field, code)
