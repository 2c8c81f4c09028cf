"""A running gateway in front of customer360: Hive Gateway (tests/federation/gateway.mjs) serves the
supergraph Apollo's composition made of customer360's `/subgraph` (on a real loopback port) and a small
libraries subgraph (tests/libraries_subgraph.py, served too), forwarding each resident's bearer token and
customer360's shared secret. One resident's question is answered from both; another's data is not; a
gateway without the secret gets nothing from customer360."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from customer360.demo.backoffice_server import serve_on_loopback
from customer360.schema.schema import build_schema
from tests.libraries_subgraph import create_libraries_app
from tests.libraries_subgraph import schema as libraries_schema
from tests.supergraph import compose, running_gateway
from tests.support import serving_app, settings_with

SECRET = "a-long-random-secret-shared-with-the-council-gateway"
ME = "{ me { name councilTaxAccounts { balance { formatted } } libraryLoans { title } } }"
CUSTOMER_NODE = "query($id: ID!) { node(id: $id) { ... on Customer { name libraryLoans { title } } } }"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }"


@dataclass
class Subgraphs:
    customer360: httpx.AsyncClient  # customer360 itself, on its loopback port
    supergraph: str  # composed by @apollo/composition, with both subgraphs' real URLs
    libraries_saw: list[str | None]  # the Authorization header of each request the libraries subgraph got
    started: float


@pytest.fixture
async def subgraphs(demo_settings, residents, tmp_path) -> AsyncIterator[Subgraphs]:
    started = time.monotonic()
    loans = {
        residents[0]["customer_id"]: [("Small Island", "2026-12-20")],
        residents[1]["customer_id"]: [("Theirs", "")],
    }
    seen: list[str | None] = []
    async with (
        serving_app(settings_with(demo_settings, subgraph_secret=SECRET)) as (_app, customer360),
        serve_on_loopback(create_libraries_app(loans, seen)) as libraries_url,
    ):
        composed = compose(
            tmp_path,
            customer360=(build_schema(federation=True).as_str(), f"{str(customer360.base_url).rstrip('/')}/subgraph"),
            libraries=(libraries_schema.as_str(), f"{libraries_url}/graphql"),
        )
        assert "errors" not in composed, composed
        yield Subgraphs(customer360, composed["supergraphSdl"], seen, started)


async def ask(gateway_url: str, query: str, token: str, variables: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            gateway_url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )


async def test_a_gateway_answers_a_resident_from_both_subgraphs_and_nobody_else(subgraphs, issuer, residents, tmp_path):
    own, other = residents[0], residents[1]
    token = issuer.resident_token(own["email"])
    direct = await subgraphs.customer360.post(
        "/graphql",
        json={"query": ME.replace(" libraryLoans { title }", "")},
        headers={"Authorization": f"Bearer {token}"},
    )
    expected = direct.json()["data"]["me"]
    assert expected["councilTaxAccounts"], "the resident has council tax accounts to show"

    async with running_gateway(tmp_path, subgraphs.supergraph, SECRET) as gateway_url:
        ready = time.monotonic()
        answer = await ask(gateway_url, ME, token)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"me": {**expected, "libraryLoans": [{"title": "Small Island"}]}}}
        assert subgraphs.libraries_saw == [f"Bearer {token}"]  # the token went to the libraries subgraph too

        # Another resident's customer, by the very id the libraries subgraph keys its loans on: nothing.
        theirs = await ask(gateway_url, CUSTOMER_NODE, token, {"id": other["customer_id"]})
        assert theirs.json()["data"]["node"] is None
        assert subgraphs.libraries_saw == [f"Bearer {token}"]  # and the libraries subgraph was not asked
        answered = time.monotonic()

    # What a gateway would send for the other resident's representation: nothing either.
    representation = [{"__typename": "Customer", "id": other["customer_id"]}]
    entities = await subgraphs.customer360.post(
        "/subgraph",
        json={"query": ENTITIES, "variables": {"r": representation}},
        headers={"Authorization": f"Bearer {token}", "X-Subgraph-Secret": SECRET},
    )
    assert entities.json()["data"]["_entities"] == [None]
    setup, answers = ready - subgraphs.started, answered - ready
    print(f"gateway: subgraphs served, composed and the gateway started in {setup:.1f}s; answered in {answers:.1f}s")


async def test_a_gateway_with_a_wrong_secret_gets_nothing_from_customer360(
    subgraphs, issuer, residents, tmp_path, caplog
):
    """(No secret at all is refused the same way, with a 401: tests/test_subgraph_secret.py.)"""
    caplog.set_level(logging.INFO)
    token = issuer.resident_token(residents[0]["email"])
    async with running_gateway(tmp_path, subgraphs.supergraph, "not-the-secret-the-subgraph-was-given") as gateway_url:
        answer = await ask(gateway_url, ME, token)
    body = answer.json()
    assert body.get("data") is None or body["data"]["me"] is None, body
    assert body["errors"]
    assert subgraphs.libraries_saw == []
    refusals = [r for r in caplog.records if "refused a subgraph request" in r.getMessage()]
    assert refusals and all(r.levelno == logging.INFO for r in refusals)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a refusal, not a failure
    assert SECRET not in caplog.text
