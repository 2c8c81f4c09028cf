"""Safeguarding concerns: routed to the right agencies with priority, never lost, seen only by safeguarding staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from customer360.auth.principal import Role
from customer360.store.audit import AuditLog
from customer360.store.database import create_engine
from tests.support import graphql, running_app

REPORT = """
mutation($input: ReportSafeguardingConcernInput!) { reportSafeguardingConcern(input: $input) {
  reference advice userErrors { field code message } } }
"""
CASES = """
query($first: Int, $after: String) { safeguardingCases(first: $first, after: $after) {
  edges { cursor node { caseReference agency priority about immediateDanger description acknowledgedAt } }
  pageInfo { hasNextPage endCursor } } }
"""
RECEIPT = "query($r: String!) { safeguardingReceipt(reference: $r) { reference received } }"
ACK = """
mutation($input: AcknowledgeSafeguardingCaseInput!) { acknowledgeSafeguardingCase(input: $input) {
  case { caseReference acknowledgedAt acknowledgedBy } userErrors { code } } }
"""


def concern(**changes):
    return {
        "about": "CHILD",
        "description": "A young child left alone in a car park for hours",
        "immediateDanger": False,
        "crimeSuspected": False,
        **changes,
    }


async def cases_for(client, token, reference_filter=None):
    body = (await graphql(client, CASES, token, {"first": 100})).json()
    return [edge["node"] for edge in body["data"]["safeguardingCases"]["edges"]]


@pytest.mark.parametrize(
    ("about", "crime", "danger", "agencies", "priority"),
    [
        pytest.param("CHILD", False, False, {"CHILDRENS_HUB"}, 3, id="child"),
        pytest.param("ADULT", False, False, {"ADULT_SOCIAL_CARE"}, 3, id="adult"),
        pytest.param("CHILD", True, False, {"CHILDRENS_HUB", "POLICE"}, 2, id="child-crime"),
        pytest.param("ADULT", True, True, {"ADULT_SOCIAL_CARE", "POLICE"}, 1, id="adult-crime-danger"),
    ],
)
async def test_a_concern_reaches_the_right_agencies_with_priority(
    own_council, staff_token, about, crime, danger, agencies, priority
):
    async with running_app(own_council) as (_, client):
        answer = (
            await graphql(
                client, REPORT, None, {"input": concern(about=about, crimeSuspected=crime, immediateDanger=danger)}
            )
        ).json()["data"]["reportSafeguardingConcern"]
        assert answer["userErrors"] == []
        assert ("999" in answer["advice"]) is danger
        cases = await cases_for(client, staff_token(Role.SAFEGUARDING))
        assert {case["agency"] for case in cases} == agencies
        assert {case["priority"] for case in cases} == {priority}
        receipt = (await graphql(client, RECEIPT, None, {"r": answer["reference"]})).json()["data"]
        assert receipt["safeguardingReceipt"] == {"reference": answer["reference"], "received": True}


async def test_only_safeguarding_staff_read_cases_and_every_read_is_audited(
    own_council, staff_token, issuer, residents
):
    async with running_app(own_council) as (_, client):
        await graphql(client, REPORT, None, {"input": concern()})
        for token in (
            staff_token(Role.CUSTOMER_SERVICES),
            staff_token(Role.ADMIN),
            issuer.resident_token(residents[0]["email"]),
        ):
            body = (await graphql(client, CASES, token, {"first": 10})).json()
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await graphql(client, CASES, None, {"first": 10})).json()["errors"][0]["extensions"][
            "code"
        ] == "FORBIDDEN"
        token = staff_token(Role.SAFEGUARDING, name="Sally Safe")
        case = (await cases_for(client, token))[0]
        acknowledged = (await graphql(client, ACK, token, {"input": {"caseReference": case["caseReference"]}})).json()
        assert acknowledged["data"]["acknowledgeSafeguardingCase"]["case"]["acknowledgedBy"] == "Sally Safe"
    engine = create_engine(own_council.gateway_database_url)
    try:
        entries = await AuditLog(engine).by_action(["safeguarding.cases.read", "safeguarding.case.acknowledge"])
    finally:
        await engine.dispose()
    assert [entry.action for entry in entries] == ["safeguarding.cases.read", "safeguarding.case.acknowledge"]
    assert all(entry.actor == "Sally Safe" for entry in entries)


async def test_with_the_agencies_down_a_concern_is_kept_and_delivered_once(own_council, staff_token):
    async with running_app(own_council) as (app, client):
        app.state.runtime.faults.down.add("AGENCIES")
        answer = (await graphql(client, REPORT, None, {"input": concern(crimeSuspected=True)})).json()
        reference = answer["data"]["reportSafeguardingConcern"]["reference"]
        assert reference, "the reporter gets a reference at once, even with every agency down"
        receipt = (await graphql(client, RECEIPT, None, {"r": reference})).json()["data"]["safeguardingReceipt"]
        assert receipt["received"] is False
        app.state.runtime.faults.down.clear()
        deliverer = app.state.runtime.services.writes.deliverer
        later = datetime.now(UTC) + timedelta(hours=1)
        await deliverer.run_due(now=later)
        await deliverer.run_due(now=later)
        cases = await cases_for(client, staff_token(Role.SAFEGUARDING))
        assert sorted(case["agency"] for case in cases) == ["CHILDRENS_HUB", "POLICE"]
        receipt = (await graphql(client, RECEIPT, None, {"r": reference})).json()["data"]["safeguardingReceipt"]
        assert receipt["received"] is True


async def test_a_blank_concern_gets_a_user_error(own_council):
    async with running_app(own_council) as (_, client):
        answer = (await graphql(client, REPORT, None, {"input": concern(description="  ")})).json()
    payload = answer["data"]["reportSafeguardingConcern"]
    assert payload["reference"] is None
    assert payload["userErrors"][0]["field"] == ["input", "description"]


async def test_the_most_urgent_cases_come_first(own_council, staff_token):
    async with running_app(replace(own_council)) as (_, client):
        await graphql(client, REPORT, None, {"input": concern()})
        await graphql(client, REPORT, None, {"input": concern(immediateDanger=True)})
        cases = await cases_for(client, staff_token(Role.SAFEGUARDING))
    assert cases[0]["immediateDanger"] is True and cases[0]["priority"] == 1


async def test_paging_the_cases_of_one_quoted_reference_reaches_the_end(own_council, staff_token):
    """On main `after` was ignored with `reference` while hasNextPage/endCursor were given: a client
    following endCursor was handed the same first case for ever."""
    by_reference = """
    query($r: String, $after: String) { safeguardingCases(reference: $r, first: 1, after: $after) {
      edges { node { caseReference agency } } pageInfo { hasNextPage endCursor } } }"""
    async with running_app(own_council) as (_, client):
        reported = (await graphql(client, REPORT, None, {"input": concern(crimeSuspected=True)})).json()["data"][
            "reportSafeguardingConcern"
        ]
        await graphql(client, REPORT, None, {"input": concern(about="ADULT")})  # another concern, not listed
        quoted = f"  {reported['reference'].lower()} "  # as a caller reads it out; the boundary tidies it
        token = staff_token(Role.SAFEGUARDING)
        seen, after = [], None
        for _ in range(5):
            answer = (await graphql(client, by_reference, token, {"r": quoted, "after": after})).json()
            page = answer["data"]["safeguardingCases"]
            seen += [edge["node"]["agency"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        else:
            pytest.fail(f"still paging after 5 pages: {seen}")
        assert sorted(seen) == ["CHILDRENS_HUB", "POLICE"]
