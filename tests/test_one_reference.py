"""One reference from submission to closure: the `C360-` reference a resident is given, and the Relay id a
mutation returns, name the same object before and after its back office has it; history only grows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.domain.council_tax import DiscountKind, DiscountRecord, DiscountStatus, as_of
from customer360.domain.systems import SourceSystem
from tests.support import graphql, running_app
from tests.test_report_issue import litter_answers

APPLY = """
mutation($input: SubmitHousingApplicationInput!) { submitHousingApplication(input: $input) {
  application { id reference backOfficeReference status } userErrors { code } } }
"""
APPLICATIONS = "{ me { housingApplications { id reference backOfficeReference status } } }"
NODE = """
query($id: ID!) { node(id: $id) {
  ... on HousingApplication { id reference backOfficeReference }
  ... on ServiceRequest { id reference backOfficeReference status deliveries { system state }
                          history { status description system } } } }
"""
REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { id reference backOfficeReference delivery { state } } userErrors { code } } }
"""
COMPLAIN = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) { complaint { reference } userErrors { code } } }
"""
REQUESTS = """
{ me { requests(first: 50) { edges { node { id reference backOfficeReference submittedAt status
  history { at status description system } deliveries { system state } } } } } }
"""
NEARBY = (
    "query($l: LocationInput!) { nearbyRequests(location: $l, radiusMetres: 50) { reference backOfficeReference } }"
)
APPLICATION = {
    "household": [{"relationship": "APPLICANT", "dateOfBirth": "1990-05-01"}],
    "currentTenure": "PRIVATE_RENTED",
    "reason": "Our landlord is selling the house",
    "incomeBand": "FROM_15K_TO_30K",
}
TOWN_CENTRE = {"latitude": 52.6339, "longitude": -1.6950}


async def _first_without_application(client, issuer, residents) -> str:
    """A resident HOUSING does not know yet: with HOUSING down their application can still be kept (for one
    it knows, the open-application check needs HOUSING, and answers SOURCE_UNAVAILABLE meanwhile)."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, "{ me { linkedRecords { system } } }", token)).json()["data"]["me"]
        if all(record["system"] != "HOUSING" for record in me["linkedRecords"]):
            return token
    raise AssertionError("no sample resident unknown to HOUSING")


async def test_a_housing_application_keeps_its_reference_and_id_before_and_after_delivery(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, client):
        token = await _first_without_application(client, issuer, residents)
        app.state.runtime.faults.down.add(SourceSystem.HOUSING)
        made = (await graphql(client, APPLY, token, {"input": APPLICATION})).json()["data"]["submitHousingApplication"]
        given = made["application"]
        assert given["reference"].startswith("C360-") and given["backOfficeReference"] is None
        before = (await graphql(client, NODE, token, {"id": given["id"]})).json()["data"]["node"]
        assert before == {"id": given["id"], "reference": given["reference"], "backOfficeReference": None}

        app.state.runtime.faults.down.clear()
        await app.state.runtime.services.writes.deliverer.run_due(now=datetime.now(UTC) + timedelta(hours=1))
        listed = (await graphql(client, APPLICATIONS, token)).json()["data"]["me"]["housingApplications"]
        ours = [a for a in listed if a["id"] == given["id"]]
        assert len(ours) == 1, "one application, under the id the mutation returned"
        assert ours[0]["reference"] == given["reference"] and ours[0]["backOfficeReference"].startswith("HR-")
        assert not [a for a in listed if a["reference"] == ours[0]["backOfficeReference"]], "never listed twice"
        after = (await graphql(client, NODE, token, {"id": given["id"]})).json()["data"]["node"]
        assert after["reference"] == given["reference"] and after["backOfficeReference"].startswith("HR-")
        stranger = issuer.resident_token(residents[-1]["email"])
        assert (await graphql(client, NODE, stranger, {"id": given["id"]})).json()["data"]["node"] is None


async def test_a_street_report_is_found_by_its_reference_on_the_map_in_my_requests_and_by_node(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        report = {
            "serviceCode": "LITTER",
            "description": "Bags split by the bus shelter",
            "location": TOWN_CENTRE,
            "attributes": await litter_answers(client),
        }
        made = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert made["userErrors"] == []
        request = made["request"]
        assert request["delivery"]["state"] == "DELIVERED" and request["backOfficeReference"].startswith("SS-")
        nearby = (await graphql(client, NEARBY, None, {"l": TOWN_CENTRE})).json()["data"]["nearbyRequests"]
        on_map = [r for r in nearby if r["reference"] == request["reference"]]
        assert on_map == [{"reference": request["reference"], "backOfficeReference": request["backOfficeReference"]}]
        listed = (await graphql(client, REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        mine = [e["node"] for e in listed if e["node"]["reference"] == request["reference"]]
        assert len(mine) == 1 and mine[0]["id"] == request["id"]
        node = (await graphql(client, NODE, token, {"id": request["id"]})).json()["data"]["node"]
        assert (
            node["reference"] == request["reference"] and node["backOfficeReference"] == request["backOfficeReference"]
        )


async def test_history_is_appended_never_rewritten_and_names_the_office_people_know(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (app, client):
        app.state.runtime.faults.down.add(SourceSystem.CRM)
        complaint = {"subject": "Library closed", "description": "The library was closed at opening time"}
        made = (await graphql(client, COMPLAIN, token, {"input": complaint})).json()["data"]["makeComplaint"]
        reference = made["complaint"]["reference"]

        async def shown() -> dict:
            edges = (await graphql(client, REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
            return next(e["node"] for e in edges if e["node"]["reference"] == reference)

        pending = await shown()
        app.state.runtime.faults.down.clear()
        await app.state.runtime.services.writes.deliverer.run_due(now=datetime.now(UTC) + timedelta(hours=1))
        delivered = await shown()
        assert delivered["history"][: len(pending["history"])] == pending["history"], "nothing rewritten"
        descriptions = [event["description"] for event in delivered["history"]]
        assert "Passed to Customer services" in descriptions and "Complaint received" in descriptions
        assert descriptions.index("Received by the council") < descriptions.index("Complaint received")
        assert not any("Crm" in text for text in descriptions)
        assert delivered["submittedAt"] == pending["submittedAt"], "dated when the resident asked"


async def test_a_move_shows_a_delivery_per_office_and_is_resolved_by_an_event(own_council, issuer, residents):
    from tests.test_moving_and_housing import mover, new_home

    move_mutation = (
        """mutation($input: NotifyMoveInput!) { notifyMove(input: $input) { request { id } userErrors { code } } }"""
    )

    async with running_app(own_council) as (_, client):
        token, _me, account = await mover(client, issuer, residents, systems={"REVENUES", "CRM"})
        move = {
            "kind": "WITHIN",
            "moveDate": london_today().isoformat(),
            "newUprn": new_home(account["propertyAddress"]["uprn"]),
        }
        made = (await graphql(client, move_mutation, token, {"input": move})).json()["data"]["notifyMove"]
        node = (await graphql(client, NODE, token, {"id": made["request"]["id"]})).json()["data"]["node"]
        told = {d["system"] for d in node["deliveries"]}
        assert {"REVENUES", "CRM"} <= told and len(told) == len(node["deliveries"]) >= 2
        assert all(d["state"] == "DELIVERED" for d in node["deliveries"])
        assert node["status"] == "RESOLVED" and node["history"][-1]["status"] == "RESOLVED"


async def test_safeguarding_staff_find_a_concern_by_the_reference_its_reporter_was_given(own_council, staff_token):
    report = """mutation($input: ReportSafeguardingConcernInput!) { reportSafeguardingConcern(input: $input) {
      reference userErrors { code } } }"""
    cases = """query($r: String) { safeguardingCases(reference: $r) { edges { node {
      reference caseReference backOfficeReference agency } } } }"""
    async with running_app(own_council) as (_, client):
        concern = {"about": "CHILD", "description": "A child left alone at night", "immediateDanger": False}
        reference = (await graphql(client, report, None, {"input": concern})).json()["data"][
            "reportSafeguardingConcern"
        ]["reference"]
        token = staff_token(Role.SAFEGUARDING)
        found = (await graphql(client, cases, token, {"r": reference})).json()["data"]["safeguardingCases"]["edges"]
        assert found and all(e["node"]["reference"] == reference for e in found)
        assert all(e["node"]["backOfficeReference"] == e["node"]["caseReference"] for e in found)


DISCOUNT = DiscountRecord(
    "SPD1", "A1", DiscountKind.SINGLE_PERSON, DiscountStatus.ENDED, 25, date(2026, 4, 1), ends_on=date(2026, 5, 31)
)


def test_a_discount_ending_on_a_future_date_is_active_until_that_date():
    assert as_of(DISCOUNT, date(2026, 3, 15)).status is DiscountStatus.ACTIVE
    assert as_of(DISCOUNT, date(2026, 5, 30)).status is DiscountStatus.ACTIVE
    assert as_of(DISCOUNT, date(2026, 5, 31)).status is DiscountStatus.ENDED
    assert as_of(DISCOUNT, date(2026, 6, 1)).status is DiscountStatus.ENDED


async def test_the_discount_id_a_mutation_returns_is_the_one_listed_and_resolved_later(own_council, issuer, residents):
    from tests.test_single_person_discount import APPLY, find_resident

    node = "query($id: ID!) { node(id: $id) { id ... on Discount { status startsOn } } }"
    listed = "{ me { discounts { id } } }"
    async with running_app(own_council) as (_, client):
        token, account = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        applied = {"accountReference": account["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        made = (await graphql(client, APPLY, token, {"input": applied})).json()["data"]["applySinglePersonDiscount"]
        given = made["discount"]["id"]
        assert given in {d["id"] for d in (await graphql(client, listed, token)).json()["data"]["me"]["discounts"]}
        found = (await graphql(client, node, token, {"id": given})).json()["data"]["node"]
        assert found == {"id": given, "status": "ACTIVE", "startsOn": starts_on.isoformat()}
        stranger = issuer.resident_token(residents[-1]["email"])
        assert (await graphql(client, node, stranger, {"id": given})).json()["data"]["node"] is None


async def test_a_complaint_shows_the_crms_reference_beside_the_one_the_resident_was_given(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[0]["email"])
    complain = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
      complaint { id reference backOfficeReference } userErrors { code } } }"""
    node = "query($id: ID!) { node(id: $id) { ... on Complaint { reference backOfficeReference } } }"
    async with running_app(own_council) as (app, client):
        app.state.runtime.faults.down.add(SourceSystem.CRM)
        complaint = {"subject": "Bins", "description": "Missed three weeks running"}
        made = (await graphql(client, complain, token, {"input": complaint})).json()["data"]["makeComplaint"]
        given = made["complaint"]
        assert given["reference"].startswith("C360-") and given["backOfficeReference"] is None
        app.state.runtime.faults.down.clear()
        await app.state.runtime.services.writes.deliverer.run_due(now=datetime.now(UTC) + timedelta(hours=1))
        found = (await graphql(client, node, token, {"id": given["id"]})).json()["data"]["node"]
        assert found["reference"] == given["reference"] and found["backOfficeReference"].startswith("CMP")
