"""The read side end to end through the ASGI app: me, customer, search, node, and who may see what."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from customer360.auth.principal import Role
from customer360.auth.tokens import DEMO_AUDIENCE, DEMO_RESIDENT_ISSUER
from customer360.domain.systems import SourceSystem
from tests.support import graphql

ME = """
{ me { id name email linkedRecords { system recordId confidence }
  councilTaxAccounts { reference band balance { pence formatted } annualCharge { pence }
    instalments { dueDate amount { pence } status } nextInstalment { dueDate }
    latestStatement { closingBalance { pence } lines { kind amount { pence } } } discounts { status percent } }
  discounts { kind status } benefitClaims { reference kind weeklyAward { pence } }
  housingApplications { reference status }
  requests(first: 10) { totalCount edges { cursor node { reference serviceCode status history { at description } } } }
  complaints(first: 10) { edges { node { reference acknowledgeBy respondBy } } }
  payments(first: 10) { edges { node { reference amount { pence } status } } } } }
"""


async def test_the_first_twenty_demo_residents_see_their_me_without_errors(api, issuer, residents):
    _, client = api
    for resident in residents[:20]:
        body = (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()
        assert "errors" not in body, body["errors"]
        me = body["data"]["me"]
        assert me["id"] == resident["customer_id"]
        assert me["name"] == resident["name"]


async def test_some_demo_residents_are_linked_to_all_six_systems(api, issuer, residents):
    _, client = api
    complete = 0
    for resident in residents[:20]:
        body = (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()
        systems = {link["system"] for link in body["data"]["me"]["linkedRecords"]}
        complete += systems == {s.value for s in SourceSystem}
    assert complete >= 1


async def test_balance_equals_the_statements_closing_balance_and_its_lines(api, issuer, residents):
    _, client = api
    checked = 0
    for resident in residents[:20]:
        body = (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()
        for account in body["data"]["me"]["councilTaxAccounts"]:
            statement = account["latestStatement"]
            assert statement["closingBalance"]["pence"] == account["balance"]["pence"]
            assert sum(line["amount"]["pence"] for line in statement["lines"]) == account["balance"]["pence"]
            checked += 1
    assert checked >= 10


async def test_anonymous_me_is_null(api):
    _, client = api
    body = (await graphql(client, "{ me { id } }")).json()
    assert body == {"data": {"me": None}}


async def test_a_resident_with_no_golden_record_gets_null(api, issuer):
    _, client = api
    body = (await graphql(client, "{ me { id } }", issuer.resident_token("nobody@nowhere.example"))).json()
    assert body == {"data": {"me": None}}


def _token_signed_by_a_stranger(**claims: object) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    payload = {"iss": DEMO_RESIDENT_ISSUER, "aud": DEMO_AUDIENCE, "sub": "x", "iat": now, "exp": now + 60, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "stranger"})


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-a-jwt", id="garbage"),
        pytest.param("Basic dXNlcjpwYXNz", id="not-bearer"),
        pytest.param(
            "Bearer " + jwt.encode({"iss": DEMO_RESIDENT_ISSUER, "sub": "x"}, None, algorithm="none"), id="unsigned"
        ),
        pytest.param("Bearer " + _token_signed_by_a_stranger(), id="unknown-key"),
        pytest.param("Bearer " + _token_signed_by_a_stranger(iss="https://evil.example"), id="wrong-issuer"),
    ],
)
async def test_untrustworthy_tokens_get_401(api, authorization):
    _, client = api
    response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_token_gets_401(api, issuer, monkeypatch):
    _, client = api
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 2 * 86400)
    stale = issuer.resident_token("someone@example.com")
    monkeypatch.setattr(time, "time", real_time)
    response = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {stale}"}
    )
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]


async def test_a_resident_cannot_read_another_customer_or_search(api, issuer, residents):
    _, client = api
    alice, bob = residents[0], residents[1]
    token = issuer.resident_token(alice["email"])
    body = (
        await graphql(client, "query($id: ID!) { customer(id: $id) { name } }", token, {"id": bob["customer_id"]})
    ).json()
    assert body["data"] is None or body["data"]["customer"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (await graphql(client, '{ searchCustomers(query: "a") { edges { node { name } } } }', token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (await graphql(client, "query($id: ID!) { node(id: $id) { id } }", token, {"id": bob["customer_id"]})).json()
    assert body["data"]["node"] is None


async def test_an_analyst_sees_no_person(api, staff_token, residents):
    _, client = api
    token = staff_token(Role.ANALYST)
    body = (
        await graphql(
            client, "query($id: ID!) { customer(id: $id) { name } }", token, {"id": residents[0]["customer_id"]}
        )
    ).json()
    assert body["data"]["customer"] is None
    body = (await graphql(client, '{ searchCustomers(query: "a") { edges { node { name } } } }', token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_staff_read_a_customer_and_find_them_by_search(api, staff_token, residents):
    _, client = api
    token = staff_token(Role.CUSTOMER_SERVICES)
    target = residents[3]
    body = (
        await graphql(
            client, "query($id: ID!) { customer(id: $id) { id name email } }", token, {"id": target["customer_id"]}
        )
    ).json()
    assert body["data"]["customer"]["name"] == target["name"]
    surname = target["name"].split()[-1]
    found = []
    after = None
    for _ in range(20):
        page = (
            await graphql(
                client,
                "query($q: String!, $after: String) { searchCustomers(query: $q, first: 5, after: $after) "
                "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }",
                token,
                {"q": surname, "after": after},
            )
        ).json()["data"]["searchCustomers"]
        found += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert target["customer_id"] in found
    assert len(found) == len(set(found)), "pages overlap"


async def test_node_answers_a_residents_own_account_and_hides_anothers(api, issuer, residents):
    _, client = api
    query = "{ me { councilTaxAccounts { id reference } } }"
    alice = (await graphql(client, query, issuer.resident_token(residents[0]["email"]))).json()["data"]["me"]
    bob_token = issuer.resident_token(residents[1]["email"])
    account = alice["councilTaxAccounts"][0]
    node_query = "query($id: ID!) { node(id: $id) { id ... on CouncilTaxAccount { reference } } }"
    own = (
        await graphql(client, node_query, issuer.resident_token(residents[0]["email"]), {"id": account["id"]})
    ).json()
    assert own["data"]["node"]["reference"] == account["reference"]
    other = (await graphql(client, node_query, bob_token, {"id": account["id"]})).json()
    assert other["data"]["node"] is None
    nonsense = (await graphql(client, node_query, bob_token, {"id": "!!not-an-id"})).json()
    assert nonsense["data"]["node"] is None


async def test_services_lists_green_and_clean_and_service_shortfall(api):
    _, client = api
    body = (
        await graphql(client, "{ services { code name group attributes { code datatype required values } } }")
    ).json()
    by_code = {s["code"]: s for s in body["data"]["services"]}
    for code in ("LITTER", "BROKEN_GLASS", "GRAFFITI"):
        assert by_code[code]["group"] == "Green & Clean"
    assert "SERVICE_SHORTFALL" in by_code
    assert any(a["required"] for a in by_code["LITTER"]["attributes"])


async def test_first_above_one_hundred_is_refused_with_a_clear_error(api, issuer, residents):
    _, client = api
    body = (
        await graphql(
            client, "{ me { requests(first: 101) { totalCount } } }", issuer.resident_token(residents[0]["email"])
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 100" in body["errors"][0]["message"]
