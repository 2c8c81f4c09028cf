"""Known documents (issue 25): a document that has passed the limits and validation once goes straight
to execution on its next request, with the same answer, the same authorization, and the checks kept
for whatever could answer differently (variables, refusals, another operation of the same document)."""

from __future__ import annotations

from typing import Any

from graphql import parse
from starlette.applications import Starlette

from customer360.schema.known_documents import KnownDocuments
from customer360.schema.limits import DocumentLimits
from tests.support import graphql

MINE = "query Mine { me { id name email councilTaxAccounts { reference } requests(first: 3) { totalCount } } }"


def known_of(app: Starlette) -> KnownDocuments:
    """The /graphql schema's memo (the route's endpoint is wrapped by GatewaySecret and Authenticated)."""
    endpoint = app.routes[0].endpoint._app._app  # type: ignore[attr-defined]
    (limits,) = [e for e in endpoint.schema.extensions if isinstance(e, type) and issubclass(e, DocumentLimits)]
    return limits.known


def test_a_document_is_known_by_its_parsed_node_and_operation():
    known = KnownDocuments()
    document = parse(MINE)
    known.remember(document, "Mine")
    assert known.passed(document, "Mine")
    assert not known.passed(document, None) and not known.passed(document, "Other")
    assert not known.passed(parse(MINE), "Mine")  # an equal tree parsed again is checked again


def test_a_document_with_variables_is_never_known():
    known = KnownDocuments()
    document = parse("query($n: Int) { me { requests(first: $n) { totalCount } } }")
    known.remember(document, None)
    assert not known.passed(document, None) and len(known) == 0


def test_the_memo_is_bounded_oldest_first():
    known = KnownDocuments(max_documents=2)
    first, second, third = (parse("{ services { code } }") for _ in range(3))
    for document in (first, second):
        known.remember(document, None)
    assert known.passed(first, None)  # now the most recently used
    known.remember(third, None)
    assert len(known) == 2 and known.passed(first, None) and known.passed(third, None)
    assert not known.passed(second, None)


async def test_a_repeat_answers_the_same_bytes_for_each_resident_and_only_their_own(api, issuer, residents):
    app, client = api
    known = known_of(app)
    tokens = [issuer.resident_token(resident["email"]) for resident in residents[:3]]
    first = [(await graphql(client, MINE, token)).content for token in tokens]
    remembered = len(known)
    assert remembered >= 1
    again = [(await graphql(client, MINE, token)).content for token in tokens]
    assert again == first
    assert len(known) == remembered  # the parse cache handed back the node already known: nothing new kept
    for resident, answer in zip(residents[:3], first, strict=True):
        assert resident["email"].encode() in answer
        assert all(other["email"].encode() not in answer for other in residents[:3] if other is not resident)
    # a neighbour's record is out of reach through a known document as through a new one
    neighbours_id = (await graphql(client, MINE, tokens[1])).json()["data"]["me"]["id"]
    reach = f'query Reach {{ node(id: "{neighbours_id}") {{ ... on Customer {{ email }} }} }}'
    for _ in range(2):
        body = (await graphql(client, reach, tokens[0])).json()
        assert (body.get("data") or {}).get("node") is None
        assert residents[1]["email"] not in str(body)


async def test_variables_are_measured_on_every_request(api, issuer, residents):
    _app, client = api
    token = issuer.resident_token(residents[0]["email"])
    document = "query Many($n: Int) { me { complaints(first: $n) { edges { node { id } } } } }"
    for _ in range(2):
        assert "errors" not in (await graphql(client, document, token, {"n": 5})).json()
    refused: Any = (await graphql(client, document, token, {"n": 10**9})).json()
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_refused_document_is_refused_every_time(api, issuer, residents):
    app, client = api
    token = issuer.resident_token(residents[0]["email"])
    unknown_field = "query Bad { me { id noSuchField } }"
    before = len(known_of(app))
    for _ in range(3):
        body = (await graphql(client, unknown_field, token)).json()
        assert body["errors"] and body.get("data") is None
    assert len(known_of(app)) == before
