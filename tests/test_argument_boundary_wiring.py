"""The input boundary wraps only the fields that take arguments (issue 25): the same answers, byte for
byte, as when it ran as middleware around every field, for every document the portal ships and for the
staff page, as several residents and as staff; the same refusals; and a resident still cannot reach a
neighbour's record through any of them.

The reference is the earlier wiring rebuilt on a second app: the wrapped fields given back their own
resolvers and the same `BoundedArguments` run from a schema extension's `resolve` hook on every field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType
from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from customer360.auth.policy import Role
from customer360.portal.documents import all_documents
from customer360.schema.input_boundary import BoundedArguments
from tests.support import running_app, schemas_of_their_own

# Variables for the portal's queries that take any (the rest take none).
QUERY_VARIABLES: dict[str, dict[str, Any]] = {
    "PortalDiscountPreview": {"startsOn": "2026-04-01", "endsOn": "2026-09-30"},
    "PortalFindAddresses": {"search": "  High\u0301 Street "},
    "PortalMyRequests": {"first": 5, "after": None, "status": ["OPEN"]},
    "PortalNearbyRequests": {"location": {"latitude": 51.5, "longitude": -0.12, "address": " Town Hall "}},
    "PortalRequests": {"first": 3, "after": None},
}
# Portal mutations with a value the boundary refuses (a control character): answered as the payload's
# userErrors before the resolver runs, so nothing changes and both wirings can be asked the same.
REFUSED_MUTATIONS: dict[str, dict[str, Any]] = {
    "PortalMakeComplaint": {"input": {"subject": "Bins\x00", "description": "Not collected"}},
    "PortalReportProblem": {"input": {"serviceCode": "fly_tipping", "description": "Sofa\x07"}},
    "PortalUpdateContactPreferences": {"input": {"email": True, "sms": False, "emailAddress": "a\x01@example.org"}},
}
STAFF_DOCUMENTS: dict[str, str] = {
    "page": 'query { searchCustomers(query: "", first: 20) { edges { cursor node { id name email '
    "councilTaxAccounts { reference balance { pence } } requests(first: 3) { totalCount edges { node { reference } } } "
    "complaints(first: 3) { totalCount } payments(first: 3) { totalCount } } } } }",
    "search": 'query { searchCustomers(query: " Smith\u0301 ", first: 5) { edges { node { id name } } } }',
    "bad search": 'query { searchCustomers(query: "a\\u0000", first: 5) { edges { node { id } } } }',
}


class EveryField(SchemaExtension):
    """The earlier wiring: the boundary as graphql-core middleware around every resolved field."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        definition = info.parent_type.fields.get(info.field_name)
        if not kwargs or definition is None:
            return _next(root, info, *args, **kwargs)
        owner = f"{info.parent_type.name}.{info.field_name}"
        return BoundedArguments(_next, definition, owner, EveryField.urls)(root, info, *args, **kwargs)

    urls: Any = None


def rewire_to_every_field(app: Starlette) -> int:
    """Give `app`'s schemas the earlier wiring; the number of fields unwrapped."""
    unwrapped = 0
    for route in app.routes:
        endpoint = getattr(getattr(getattr(route, "endpoint", None), "_app", None), "_app", None)
        schema = getattr(endpoint, "schema", None)
        if schema is None:
            continue
        for graphql_type in schema._schema.type_map.values():
            if isinstance(graphql_type, GraphQLObjectType):
                for definition in graphql_type.fields.values():
                    if isinstance(definition.resolve, BoundedArguments):
                        EveryField.urls = definition.resolve.urls
                        definition.resolve = definition.resolve.resolver
                        unwrapped += 1
        schema.extensions = [*schema.extensions, EveryField]
    return unwrapped


@pytest.fixture
async def both(own_council: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with running_app(own_council) as (_app, now):
        with schemas_of_their_own():  # rewired below: the process's shared schema must stay as it is
            async with running_app(own_council) as (before_app, before):
                assert rewire_to_every_field(before_app) > 20
                yield now, before


async def answers(client: httpx.AsyncClient, query: str, token: str, variables: dict[str, Any] | None) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "X-Access-Purpose": "automated test"}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200
    return response.content


async def same_answers_for_every_document(
    now: httpx.AsyncClient,
    before: httpx.AsyncClient,
    issuer: Any,
    residents: list[dict[str, str]],
    also_asked: dict[str, str] | None = None,
    also_staff: dict[str, str] | None = None,
) -> str:
    """Every query the portal ships (and `also_asked`) and each refused portal mutation, as four residents
    and a member of staff, and every staff document (and `also_staff`) as staff: the same bytes from both
    apps. Returns the staff token."""
    documents = all_documents()
    queries = {name: text for name, text in documents.items() if text.lstrip().startswith("query")}
    assert len(queries) > 15 and set(QUERY_VARIABLES) <= set(queries)
    tokens = [issuer.resident_token(resident["email"]) for resident in residents[:4]]
    tokens.append(issuer.staff_token("Sam Staff", [Role.CUSTOMER_SERVICES]))
    with_data = 0
    for token in tokens:
        for name, text in {**queries, **(also_asked or {})}.items():
            ours = await answers(now, text, token, QUERY_VARIABLES.get(name))
            assert ours == await answers(before, text, token, QUERY_VARIABLES.get(name)), name
            with_data += b'"data":{"' in ours
        for name, variables in REFUSED_MUTATIONS.items():
            ours = await answers(now, documents[name], token, variables)
            assert ours == await answers(before, documents[name], token, variables), name
    assert with_data > 3 * len(queries)  # answers with data, not just the same refusal twice
    staff = tokens[-1]
    for name, text in {**STAFF_DOCUMENTS, **(also_staff or {})}.items():
        ours = await answers(now, text, staff, None)
        assert ours == await answers(before, text, staff, None), name
    return staff


async def test_every_portal_document_answers_the_same_bytes_for_residents_and_staff(both, issuer, residents):
    now, before = both
    staff = await same_answers_for_every_document(now, before, issuer, residents)
    assert b"BAD_USER_INPUT" in await answers(now, STAFF_DOCUMENTS["bad search"], staff, None)


async def test_a_refused_portal_input_is_the_payloads_user_error(both, issuer, residents):
    now, _before = both
    token = issuer.resident_token(residents[0]["email"])
    document = all_documents()["PortalMakeComplaint"]
    body = await answers(now, document, token, REFUSED_MUTATIONS["PortalMakeComplaint"])
    assert b'"complaint":null' in body and b"INVALID_CHARACTERS" in body


async def test_a_residents_documents_cannot_reach_a_neighbours_record(both, issuer, residents):
    now, _before = both
    me, neighbour = residents[0], residents[1]
    token = issuer.resident_token(me["email"])
    neighbours_id = (
        await now.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {issuer.resident_token(neighbour['email'])}"},
        )
    ).json()["data"]["me"]["id"]
    reach = f'query {{ node(id: "{neighbours_id}") {{ id ... on Customer {{ name email }} }} }}'
    for client in both:
        body = await answers(client, reach, token, None)
        assert neighbour["email"].encode() not in body and neighbours_id.encode() not in body.split(b'"errors"')[0]
    for name, text in all_documents().items():
        if text.lstrip().startswith("query"):
            body = await answers(now, text, token, QUERY_VARIABLES.get(name))
            assert neighbour["email"].encode() not in body, name
