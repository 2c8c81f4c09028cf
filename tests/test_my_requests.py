"""My Requests: one list over every back office, newest activity first, with stable cursors."""

from __future__ import annotations

import pytest

from customer360.domain.systems import SourceSystem
from tests.support import graphql, running_app

PAGE = """
query($first: Int, $after: String, $status: [RequestStatus!]) {
  me { requests(first: $first, after: $after, status: $status) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { reference serviceCode status updatedAt delivery { system } } } } } }
"""
COMPLAINT = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) { complaint { reference } userErrors { code } } }
"""


async def busiest_resident(client, issuer, residents):
    """The sample resident with requests in the most back offices."""
    best = None
    for resident in residents[:20]:
        token = issuer.resident_token(resident["email"])
        edges = (await graphql(client, PAGE, token, {"first": 100})).json()["data"]["me"]["requests"]["edges"]
        systems = {edge["node"]["delivery"]["system"] for edge in edges}
        if best is None or len(systems) > best[1]:
            best = (token, len(systems), edges)
    return best


async def test_requests_from_every_back_office_in_one_list_newest_first(api, issuer, residents):
    _, client = api
    _token, systems, edges = await busiest_resident(client, issuer, residents)
    assert systems >= 4, "the demo's busiest residents have requests in four or more back offices"
    moments = [edge["node"]["updatedAt"] for edge in edges]
    assert moments == sorted(moments, reverse=True)
    codes = {edge["node"]["serviceCode"] for edge in edges}
    assert "COMPLAINT" in codes or any(code.startswith("PAYMENT") for code in codes)


async def test_pages_cover_the_list_exactly_once_and_cursors_survive_a_new_request(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token, _systems, everything = await busiest_resident(client, issuer, residents)
        first_page = (await graphql(client, PAGE, token, {"first": 2})).json()["data"]["me"]["requests"]
        cursor = first_page["pageInfo"]["endCursor"]
        # A new request arrives between pages: it goes to the top and must not shift later pages.
        made = (
            await graphql(
                client, COMPLAINT, token, {"input": {"subject": "Noise", "description": "Late-night noise again"}}
            )
        ).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        seen = [edge["node"]["reference"] for edge in first_page["edges"]]
        while cursor:
            page = (await graphql(client, PAGE, token, {"first": 2, "after": cursor})).json()["data"]["me"]["requests"]
            seen += [edge["node"]["reference"] for edge in page["edges"]]
            cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        assert seen == [edge["node"]["reference"] for edge in everything]
        newest = (await graphql(client, PAGE, token, {"first": 1})).json()["data"]["me"]["requests"]["edges"][0]
        assert newest["node"]["reference"] == made["complaint"]["reference"]


async def test_filtering_by_status(api, issuer, residents):
    _, client = api
    token, _systems, edges = await busiest_resident(client, issuer, residents)
    statuses = {edge["node"]["status"] for edge in edges}
    for status in statuses:
        body = (await graphql(client, PAGE, token, {"first": 100, "status": [status]})).json()["data"]["me"]
        found = body["requests"]["edges"]
        assert found and all(edge["node"]["status"] == status for edge in found)
        assert len(found) == sum(1 for edge in edges if edge["node"]["status"] == status)


async def test_my_requests_costs_one_call_per_back_office_operation(demo_settings, issuer, residents):
    async with running_app(demo_settings) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        await graphql(client, PAGE, token, {"first": 100})
        metrics = app.state.runtime.metrics
        for system, operation in [
            (SourceSystem.STREET_SCENE, "requests_by_reporter"),
            (SourceSystem.CRM, "cases_by_contact"),
            (SourceSystem.CRM, "complaints_by_contact"),
            (SourceSystem.REVENUES, "accounts_by_party"),
            (SourceSystem.HOUSING, "applications_by_applicant"),
            (SourceSystem.PAYMENTS, "payments_by_payer"),
        ]:
            assert metrics.source_call_count(system.value, operation) <= 1, (system, operation)


# The back-office reads `requests` makes (resolvers/my_requests.py `all_requests`): one error for each
# read of an office that is down (GraphQL gives `errors` no order; these come as the reads report).
READS = [
    SourceSystem.STREET_SCENE,
    SourceSystem.CRM,
    SourceSystem.CRM,
    SourceSystem.REVENUES,
    SourceSystem.HOUSING,
    SourceSystem.PAYMENTS,
]


@pytest.mark.parametrize(
    "down",
    [
        {SourceSystem.CRM},
        {SourceSystem.STREET_SCENE, SourceSystem.HOUSING},
        {SourceSystem.STREET_SCENE, SourceSystem.CRM, SourceSystem.REVENUES, SourceSystem.HOUSING},
        {SourceSystem.PAYMENTS, SourceSystem.CRM},
    ],
    ids=["crm", "street scene and housing", "four", "payments and crm"],
)
async def test_back_offices_down_leave_the_others_requests_and_one_error_per_read(own_council, issuer, residents, down):
    async with running_app(own_council) as (app, client):
        token, _systems, everything = await busiest_resident(client, issuer, residents)
        app.state.runtime.faults.down.update(system.value for system in down)
        try:
            answer = (await graphql(client, PAGE, token, {"first": 100})).json()
        finally:
            app.state.runtime.faults.down.clear()
    shown = {edge["node"]["reference"] for edge in answer["data"]["me"]["requests"]["edges"]}
    kept = {edge["node"]["reference"] for edge in everything if edge["node"]["delivery"]["system"] not in down}
    assert shown >= kept and shown < {edge["node"]["reference"] for edge in everything}
    errors = [(e["path"], e["extensions"]["code"], e["extensions"]["source"]) for e in answer["errors"]]
    expected = [(["me", "requests"], "SOURCE_UNAVAILABLE", system.value) for system in READS if system in down]
    assert sorted(errors) == sorted(expected)
