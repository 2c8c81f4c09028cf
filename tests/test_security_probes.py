"""Probes against production mode: each is refused with a 4xx or a GraphQL error, never a 5xx.

The council runs with `C360_ENV=production` on a copy of the demo council, with a local OIDC issuer
(the development issuer is off in production).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from customer360.schema.schema import build_schema
from customer360.settings import Settings
from tests.support import running_app
from tests.test_oidc import LocalIssuer, oidc_settings, serve_issuers

PORTAL = "https://my.tamworth.example"


@pytest.fixture
async def production(own_council: Settings, residents) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    resident_idp, staff_idp = LocalIssuer("residents"), LocalIssuer("staff")
    async with serve_issuers(resident_idp, staff_idp):
        settings = oidc_settings(
            replace(own_council, env="production"), resident_idp, staff_idp, cors_origins=(PORTAL,)
        )
        assert settings.production and not settings.demo_issuer_enabled
        async with running_app(settings) as (_app, client):
            tokens = {
                "resident": resident_idp.resident_token(residents[0]["email"]),
                "staff": staff_idp.token(name="Sam Jones", roles=["customer_services"]),
            }
            yield client, tokens


def refused(response: httpx.Response) -> list[dict]:
    """The errors of a refused request: a 4xx, or a GraphQL answer with errors. Never a 5xx."""
    assert response.status_code < 500, response.text
    if 400 <= response.status_code < 500:
        return [{"message": response.text}]
    body = response.json()
    assert body.get("errors"), body
    return body["errors"]


async def post(client: httpx.AsyncClient, query: str, token: str | None = None, **extra: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, **extra}, headers=headers)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { name fields { name } } } }",
        '{ __type(name: "Customer") { name fields { name } } }',
        "query IntrospectionQuery { __schema { queryType { name } mutationType { name } } }",
        '{ services { code __type(name: "Query") { name } } }',
    ],
)
async def test_introspection_is_refused(production, query):
    client, tokens = production
    for token in (None, tokens["resident"], tokens["staff"]):
        errors = refused(await post(client, query, token))
        assert "introspection" in errors[0]["message"].lower() or "__type" in errors[0]["message"]
    assert refused(await client.get("/graphql", params={"query": query}))


async def test_typename_still_works(production):
    client, _tokens = production
    assert (await post(client, "{ __typename }")).json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "query",
    [
        "{ me { nmae emial } }",
        "{ servces { code } }",
        "{ services { cod nam } }",
        "{ me { requests(statuss: [SUBMITTED]) { totalCount } } }",
        "{ me { requests(status: [SUBMITED]) { totalCount } } }",
        'mutation { makeComplaint(input: { subjct: "x", description: "y" }) { userErrors { code } } }',
    ],
)
async def test_no_field_suggestions(production, query):
    client, tokens = production
    for errors in (refused(await post(client, query, tokens["resident"])), refused(await post(client, query))):
        text = " ".join(error["message"] for error in errors)
        assert "Did you mean" not in text and "did you mean" not in text.lower(), text


async def test_alias_overloading_is_refused(production):
    client, tokens = production
    thousand = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(1000)) + " }"
    refused(await post(client, thousand, tokens["resident"]))  # over the document size: 413
    hundred = "{ " + " ".join(f"a{i}: services {{ code }}" for i in range(100)) + " }"
    errors = refused(await post(client, hundred))
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "aliases", "max": 15, "found": 100}


async def test_aliases_hidden_in_fragments_are_counted_per_spread(production):
    client, _tokens = production
    query = (
        "{ ...F ...F ...F ...F } fragment F on Query { a: services { code } b: services { code } "
        "c: services { code } d: services { code } e: services { code } }"
    )
    errors = refused(await post(client, query))
    assert errors[0]["extensions"]["limit"] == "aliases" and errors[0]["extensions"]["found"] == 20


async def test_batching_is_refused(production):
    client, tokens = production
    batch = [{"query": "{ me { id } }"} for _ in range(50)]
    response = await client.post("/graphql", json=batch, headers={"Authorization": f"Bearer {tokens['resident']}"})
    assert response.status_code == 400
    assert "batching" in response.text.lower()


async def test_mutations_over_get_are_refused(production):
    client, tokens = production
    mutation = (
        'mutation { makeComplaint(input: { subject: "Bins", description: "Not collected" }) { userErrors { code } } }'
    )
    response = await client.get(
        "/graphql", params={"query": mutation}, headers={"Authorization": f"Bearer {tokens['resident']}"}
    )
    assert response.status_code in (400, 405)
    # and queries over GET still work
    ok = await client.get("/graphql", params={"query": "{ services { code } }"})
    assert ok.status_code == 200 and ok.json()["data"]["services"]


async def test_deep_nesting_is_refused(production):
    client, tokens = production
    query = "{ " + "me { " * 50 + "id" + " }" * 50 + " }"
    errors = refused(await post(client, query, tokens["resident"]))
    assert errors[0]["extensions"]["limit"] == "depth"


async def test_deep_nesting_through_fragments_is_refused(production):
    client, tokens = production
    # Each fragment nests the next one field deeper: depth is counted with fragments inlined.
    fragments = " ".join(f"fragment F{i} on Customer {{ me {{ ...F{i + 1} }} }}" for i in range(30))
    nested = "query { me { ...F0 } } " + fragments + " fragment F30 on Customer { id }"
    errors = refused(await post(client, nested, tokens["resident"]))
    assert errors[0]["extensions"]["limit"] == "depth"


async def test_circular_fragments_are_refused(production):
    client, tokens = production
    query = "query { me { ...A } } fragment A on Customer { name ...B } fragment B on Customer { id ...A }"
    errors = refused(await post(client, query, tokens["resident"]))
    assert any("spread fragment" in error["message"].lower() for error in errors)


async def test_directive_overloading_is_refused(production):
    client, tokens = production
    five_hundred = "{ me { id " + "@skip(if: false) " * 500 + "} }"
    refused(await post(client, five_hundred, tokens["resident"]))
    sixty = "{ me { id " + "@include(if: true) " * 60 + "} }"
    errors = refused(await post(client, sixty, tokens["resident"]))
    assert errors[0]["extensions"]["limit"] == "directives"
    unknown = "{ services { code " + "@aa " * 300 + "} }"
    refused(await post(client, unknown))


async def test_huge_documents_are_refused(production):
    client, tokens = production
    megabyte = "{ me { id } }" + " " * (1024 * 1024)
    response = await post(client, megabyte, tokens["resident"])
    assert response.status_code == 413
    comment = "{ me { id } }\n#" + "x" * 20_000
    assert (await post(client, comment, tokens["resident"])).status_code == 413
    tokens_query = "{ services { " + "code " * 2500 + "} }"
    errors = refused(await post(client, tokens_query))
    assert "tokens" in errors[0]["message"]


async def test_a_huge_first_is_refused(production):
    client, tokens = production
    staff = '{ searchCustomers(query: "", first: 100000) { edges { node { id } } } }'
    refused(await post(client, staff, tokens["staff"]))
    resident = "query($n: Int) { me { requests(first: $n) { edges { node { id } } } } }"
    refused(await post(client, resident, tokens["resident"], variables={"n": 10**9}))
    nested = (
        '{ searchCustomers(query: "", first: 100) { edges { node { '
        "requests(first: 100) { edges { node { id reference history { at } } } } } } } }"
    )
    errors = refused(await post(client, nested, tokens["staff"]))
    assert errors[0]["extensions"]["limit"] == "cost"


async def test_no_graphiql_and_cross_site_posts_refused(production):
    client, _tokens = production
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code < 500 and "graphiql" not in page.text.lower()
    form = await client.post(
        "/graphql", content="query={ services { code } }", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    plain = await client.post(
        "/graphql", content='{"query": "{ services { code } }"}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415


async def test_production_headers_and_cors_allowlist(production):
    client, _tokens = production
    response = await client.post("/graphql", json={"query": "{ services { code } }"}, headers={"Origin": PORTAL})
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]
    stranger = await client.post(
        "/graphql", json={"query": "{ services { code } }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in stranger.headers
    preflight = await client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers


async def test_internal_errors_are_masked_with_an_error_id_in_the_log(caplog):
    schema = build_schema(production=True)
    with caplog.at_level(logging.ERROR, logger="customer360.errors"):
        result = await schema.execute("{ me { id } }", context_value=None)  # a bug: no context
    error = result.errors[0]
    assert error.message.startswith("Internal error (id ") and "NoneType" not in error.message
    assert error.extensions["code"] == "INTERNAL_ERROR"
    assert error.extensions["errorId"] in caplog.text
