"""customer360 as an Apollo Federation v2 subgraph (`/subgraph`): `_service { sdl }` names the entity keys,
and `_entities` answers a representation exactly as `node(id:)` answers its id, for residents and staff
alike; a representation is never a way round the principal's checks, nor round trusted documents."""

from __future__ import annotations

import json

import pytest

from customer360.auth.principal import Role
from customer360.schema import schema as schemas
from customer360.schema.node import to_global_id
from customer360.schema.schema import build_schema
from tests.support import running_app, settings_with

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Customer { id name } } }"
ME = "{ me { id name councilTaxAccounts { id reference } } }"
ACCOUNT_ENTITY = "query($r: [_Any!]!) { _entities(representations: $r) { ... on CouncilTaxAccount { id reference } } }"


async def post(client, path: str, query: str, token: str | None, variables: dict, purpose: str | None = "test"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if purpose:
        headers["X-Access-Purpose"] = purpose
    return await client.post(path, json={"query": query, "variables": variables}, headers=headers)


def customer(global_id: str) -> list[dict[str, str]]:
    return [{"__typename": "Customer", "id": global_id}]


def test_the_subgraph_sdl_keys_its_entities_and_the_client_schema_does_not():
    schemas._built.cache_clear()  # each built afresh here (apps share one per process), in this order
    client = build_schema().as_str()  # built first: building it leaves the types' keys to the subgraph
    subgraph = build_schema(federation=True).as_str()
    for entity in ("Customer", "CouncilTaxAccount", "ServiceRequest"):
        assert f'type {entity} implements Node @key(fields: "id"' in subgraph
    assert 'type Tenancy implements Node @key(fields: "id"' in subgraph
    assert "specs.apollo.dev/federation/v2" in subgraph
    schemas._built.cache_clear()
    assert client == build_schema().as_str()  # and building the subgraph leaves the client schema alone
    for federation_only in ("@key", "@link", "_FieldSet", "_Any", "_Entity", "_entities", "_service", "_Service"):
        assert federation_only not in client


INTROSPECTION = "{ __schema { directives { name } types { name } queryType { fields { name } } } }"


async def test_introspection_shows_federation_on_the_subgraph_only(api):
    """What a client sees of `/graphql` is the client schema: no `@key` definition, no `_FieldSet` (its
    argument type), no `_entities`/`_service`; the gateway's `/subgraph` has them all."""
    _, client = api
    seen = {}
    for path in ("/graphql", "/subgraph"):
        schema = (await post(client, path, INTROSPECTION, None, {})).json()["data"]["__schema"]
        seen[path] = (
            {d["name"] for d in schema["directives"]},
            {t["name"] for t in schema["types"]},
            {f["name"] for f in schema["queryType"]["fields"]},
        )
    directives, types, fields = seen["/graphql"]
    assert directives == {"include", "skip", "deprecated", "specifiedBy", "oneOf"}
    assert not {"_FieldSet", "_Any", "_Entity", "_Service", "link__Import"} & types
    assert not {"_entities", "_service"} & fields
    assert "node" in fields
    directives, types, fields = seen["/subgraph"]
    assert {"key", "link"} <= directives
    assert {"_FieldSet", "_Any", "_Entity", "_Service"} <= types
    assert {"_entities", "_service", "node"} <= fields


async def test_service_sdl_is_served(api):
    _, client = api
    body = (await post(client, "/subgraph", "{ _service { sdl } }", None, {})).json()
    assert 'type Customer implements Node @key(fields: "id"' in body["data"]["_service"]["sdl"]
    # The client endpoint is unchanged: it has no federation fields.
    assert (await post(client, "/graphql", "{ _service { sdl } }", None, {})).status_code == 200
    assert "errors" in (await post(client, "/graphql", "{ _service { sdl } }", None, {})).json()


async def test_a_resident_gets_their_own_customer_and_nobody_elses(api, issuer, residents):
    _, client = api
    own, other = residents[0], residents[1]
    token = issuer.resident_token(own["email"])
    me = (await post(client, "/graphql", ME, token, {})).json()["data"]["me"]
    other_me = (await post(client, "/graphql", ME, issuer.resident_token(other["email"]), {})).json()["data"]["me"]

    answer = (await post(client, "/subgraph", ENTITIES, token, {"r": customer(me["id"])})).json()
    assert answer["data"]["_entities"] == [{"id": me["id"], "name": me["name"]}]

    both = customer(me["id"]) + customer(other_me["id"])
    answer = (await post(client, "/subgraph", ENTITIES, token, {"r": both})).json()
    assert answer["data"]["_entities"] == [{"id": me["id"], "name": me["name"]}, None]
    # Exactly what node(id:) answers for the other resident's id.
    assert (await post(client, "/graphql", NODE, token, {"id": other_me["id"]})).json()["data"]["node"] is None

    # Nobody signed in: nothing.
    assert (await post(client, "/subgraph", ENTITIES, None, {"r": customer(me["id"])})).json()["data"]["_entities"] == [
        None
    ]


async def test_accounts_follow_node_too(api, issuer, residents):
    _, client = api
    own, other = residents[0], residents[1]
    token = issuer.resident_token(own["email"])
    mine = (await post(client, "/graphql", ME, token, {})).json()["data"]["me"]["councilTaxAccounts"]
    theirs = (await post(client, "/graphql", ME, issuer.resident_token(other["email"]), {})).json()["data"]["me"][
        "councilTaxAccounts"
    ]
    foreign = [a for a in theirs if a["reference"] not in {m["reference"] for m in mine}]
    assert mine and foreign
    r = [{"__typename": "CouncilTaxAccount", "id": a["id"]} for a in (mine[0], foreign[0])]
    answer = (await post(client, "/subgraph", ACCOUNT_ENTITY, token, {"r": r})).json()
    assert answer["data"]["_entities"] == [mine[0], None]


async def test_a_representation_of_one_type_with_another_types_id_is_null(api, issuer, residents):
    _, client = api
    token = issuer.resident_token(residents[0]["email"])
    me = (await post(client, "/graphql", ME, token, {})).json()["data"]["me"]
    account_as_customer = customer(me["councilTaxAccounts"][0]["id"])
    answer = (await post(client, "/subgraph", ENTITIES, token, {"r": account_as_customer})).json()
    assert answer["data"]["_entities"] == [None]


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        (Role.CUSTOMER_SERVICES, "test"),
        (Role.CUSTOMER_SERVICES, None),
        (Role.ANALYST, "test"),
    ],
)
async def test_staff_get_what_node_gives_them(api, staff_token, residents, role, purpose):
    _, client = api
    token = staff_token(role)
    target = residents[3]["customer_id"]
    by_node = await post(client, "/graphql", NODE, token, {"id": target}, purpose)
    by_entity = await post(client, "/subgraph", ENTITIES, token, {"r": customer(target)}, purpose)
    assert by_entity.status_code == by_node.status_code
    if by_node.status_code == 200:
        node = by_node.json()["data"]["node"]
        assert by_entity.json()["data"]["_entities"] == [node]
        assert (node is not None) == (role is Role.CUSTOMER_SERVICES and purpose is not None)


async def test_trusted_documents_apply_to_the_subgraph(demo_settings, tmp_path, issuer, residents):
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps(["{ _service { sdl } }"]))
    settings = settings_with(demo_settings, env="production", trusted_documents=path)
    async with running_app(settings) as (_app, client):
        refused = await post(client, "/subgraph", ENTITIES, None, {"r": customer(residents[0]["customer_id"])})
        assert refused.status_code == 400 and "trusted documents" in refused.text


async def test_document_limits_apply_to_the_subgraph(demo_settings, residents):
    async with running_app(settings_with(demo_settings, max_document_bytes=100)) as (_app, client):
        padded = ENTITIES + " " * 200
        refused = await post(client, "/subgraph", padded, None, {"r": customer(residents[0]["customer_id"])})
        assert refused.status_code == 413


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "Nonsense", "id": "x"},
        {"__typename": "Customer"},
        {"__typename": "Customer", "id": "x", "name": "Extra"},
        "not an object",
        {"id": "no typename"},
    ],
)
async def test_a_malformed_representation_is_an_error_not_a_crash(api, issuer, residents, representation, caplog):
    _, client = api
    token = issuer.resident_token(residents[0]["email"])
    answer = await post(client, "/subgraph", ENTITIES, token, {"r": [representation]})
    body = answer.json()
    assert answer.status_code == 200 and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in caplog.text


async def test_service_requests_follow_node_too(api, issuer, residents):
    _, client = api
    requests = "{ me { requests(first: 50) { edges { node { id reference } } } } }"
    entity = "query($r: [_Any!]!) { _entities(representations: $r) { ... on ServiceRequest { id reference } } }"
    owners = []
    for resident in residents[:12]:
        token = issuer.resident_token(resident["email"])
        edges = (await post(client, "/graphql", requests, token, {})).json()["data"]["me"]["requests"]["edges"]
        if edges:
            owners.append((token, edges[0]["node"]))
    assert len(owners) >= 2
    (own_token, own), (_, theirs) = owners[0], owners[1]
    r = [{"__typename": "ServiceRequest", "id": x["id"]} for x in (own, theirs)]
    answer = (await post(client, "/subgraph", entity, own_token, {"r": r})).json()
    by_node = (await post(client, "/graphql", NODE, own_token, {"id": theirs["id"]})).json()["data"]["node"]
    assert answer["data"]["_entities"] == [own, None] and by_node is None


TENANCY_ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Tenancy { id reference rentAccount { balance { pence } } } } }"""
TENANCIES = "{ me { tenancies { id reference rentAccount { balance { pence } } } } }"
TENANCY_NODE = "query($id: ID!) { node(id: $id) { ... on Tenancy { id reference rentAccount { balance { pence } } } } }"


async def tenants(client, issuer, residents, count: int) -> list[tuple[str, dict]]:
    """(token, tenancy) of the first `count` residents who hold a council tenancy."""
    found = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        held = (await post(client, "/graphql", TENANCIES, token, {})).json()["data"]["me"]["tenancies"]
        if held:
            found.append((token, held[0]))
        if len(found) == count:
            return found
    raise AssertionError("the demo council has too few tenants")


def tenancy(global_id: str) -> list[dict[str, str]]:
    return [{"__typename": "Tenancy", "id": global_id}]


async def test_a_tenancy_is_an_entity_for_its_tenant_only(api, issuer, residents):
    _, client = api
    (own_token, own), (_, theirs) = await tenants(client, issuer, residents, 2)
    r = tenancy(own["id"]) + tenancy(theirs["id"])
    answer = (await post(client, "/subgraph", TENANCY_ENTITY, own_token, {"r": r})).json()
    assert answer == {"data": {"_entities": [own, None]}}
    # Nobody signed in, a tenancy nobody holds, another type's id: nothing either.
    assert (await post(client, "/subgraph", TENANCY_ENTITY, None, {"r": tenancy(own["id"])})).json()["data"] == {
        "_entities": [None]
    }
    unknown = tenancy(to_global_id("Tenancy", "TY999999")) + tenancy(to_global_id("Customer", own["reference"]))
    assert (await post(client, "/subgraph", TENANCY_ENTITY, own_token, {"r": unknown})).json()["data"] == {
        "_entities": [None, None]
    }
    # node(id:) answers each id exactly as _entities answered its representation.
    for global_id, expected in [(own["id"], own), (theirs["id"], None), (unknown[0]["id"], None)]:
        answer = (await post(client, "/graphql", TENANCY_NODE, own_token, {"id": global_id})).json()
        assert answer == {"data": {"node": expected}}
    assert (await post(client, "/graphql", TENANCY_NODE, None, {"id": own["id"]})).json() == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("role", "sees"),
    [(Role.HOUSING, True), (Role.CUSTOMER_SERVICES, True), (Role.REVENUES, False), (Role.ANALYST, False)],
)
async def test_staff_get_a_tenancy_entity_as_the_housing_office_allows(api, issuer, residents, staff_token, role, sees):
    """`Customer.tenancies`' own rule (HOUSING_MANAGEMENT is seen by housing and customer services)."""
    _, client = api
    [(_, held)] = await tenants(client, issuer, residents, 1)
    answer = (await post(client, "/subgraph", TENANCY_ENTITY, staff_token(role), {"r": tenancy(held["id"])})).json()
    assert answer["data"]["_entities"] == [held if sees else None]
    node = (await post(client, "/graphql", TENANCY_NODE, staff_token(role), {"id": held["id"]})).json()
    assert node == {"data": {"node": held if sees else None}}


DEEP_ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer {
  councilTaxAccounts { balance { formatted } } requests(first: 50) { edges { node { reference } } } } } }"""


@pytest.mark.parametrize(
    ("limit", "changes"),
    [("depth", {"max_query_depth": 3}), ("cost", {"max_query_cost": 100})],
)
async def test_depth_and_cost_limits_apply_to_the_subgraph(demo_settings, issuer, residents, limit, changes):
    """What a gateway sends is measured as a client's document is: a gateway is no way round the limits."""
    token = issuer.resident_token(residents[0]["email"])
    r = customer(residents[0]["customer_id"])
    async with running_app(demo_settings) as (_app, client):
        answered = (await post(client, "/subgraph", DEEP_ENTITY, token, {"r": r})).json()
        assert answered["data"]["_entities"][0]["councilTaxAccounts"], "within the default limits it is answered"
    async with running_app(settings_with(demo_settings, **changes)) as (_app, client):
        refused = (await post(client, "/subgraph", DEEP_ENTITY, token, {"r": r})).json()
        assert "data" not in refused or refused["data"] is None
        assert [e["extensions"]["limit"] for e in refused["errors"]] == [limit]
