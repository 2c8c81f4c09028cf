"""A repair's Relay id resolves later (one truth): the id `reportRepair` answers, and each id
`Customer.tenancies` lists, is found by `node(id:)` as the same repair, checked as its tenancy is: its
tenant, and housing and customer services staff, see it; another resident, or other staff, get null,
exactly as for an id nobody issued."""

from __future__ import annotations

from customer360.auth.principal import Role
from customer360.schema.node import to_global_id
from tests.support import graphql, running_app
from tests.test_report_repair import _post, _tenants

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Repair { reference tenancyReference category room status priority } } }"""
LISTED = """{ me { id tenancies { reference repairs(first: 50) { edges { node { id reference tenancyReference
  category room status priority } } } } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { tenancies { repairs(first: 50) { edges { node { id } } } } } }"""


async def _node(client, token, global_id):
    body = (await graphql(client, NODE, token, {"id": global_id})).json()
    assert "errors" not in body, body
    return body["data"]["node"]


async def test_a_reported_repair_resolves_by_its_id_for_those_who_may_see_its_tenancy(
    own_council, issuer, residents, staff_token
):
    async with running_app(own_council) as (_, client):
        (tenant, tenancy), (neighbour, _) = await _tenants(client, issuer, residents, 2)
        report = {"tenancyReference": tenancy, "category": "HEATING", "room": "Lounge", "description": "Cold radiator"}
        answer = (await _post(client, tenant, {"input": report}, "node-repair-1")).json()["data"]["reportRepair"]
        repair_id = answer["repair"]["id"]
        reference = answer["repair"]["reference"]
        assert reference.startswith("C360-")

        found = await _node(client, tenant, repair_id)
        assert found == {
            "__typename": "Repair",
            "id": repair_id,
            "reference": reference,
            "tenancyReference": tenancy,
            "category": "HEATING",
            "room": "Lounge",
            "status": "REPORTED",
            "priority": answer["repair"]["priority"],
        }
        # The same id is the one the tenancy lists, and every listed id resolves to what is listed.
        me = (await graphql(client, LISTED, tenant)).json()["data"]["me"]
        listed = [e["node"] for t in me["tenancies"] for e in t["repairs"]["edges"]]
        assert repair_id in [r["id"] for r in listed]
        for shown in listed:
            assert await _node(client, tenant, shown["id"]) == {"__typename": "Repair", **shown}

        # Housing and customer services staff see it; another resident and other staff get null.
        for role in (Role.HOUSING, Role.CUSTOMER_SERVICES):
            assert (await _node(client, staff_token(role), repair_id))["reference"] == reference
        assert await _node(client, staff_token(Role.REVENUES), repair_id) is None
        assert await _node(client, neighbour, repair_id) is None
        for shown in listed:
            assert await _node(client, neighbour, shown["id"]) is None
        # Housing staff reach the same ids through the customer, too.
        housing = staff_token(Role.HOUSING)
        seen = (await graphql(client, CUSTOMER, housing, {"id": me["id"]})).json()["data"]["customer"]
        assert {e["node"]["id"] for t in seen["tenancies"] for e in t["repairs"]["edges"]} == {r["id"] for r in listed}

        # An id nobody issued, and another kind's reference under the Repair type, are null alike.
        assert await _node(client, tenant, to_global_id("Repair", "RR-0000000")) is None
        assert await _node(client, tenant, to_global_id("Repair", tenancy)) is None
