"""Kept answers to a resident's own reads: served again while nothing they see has changed, never to
anyone else, and forgotten the moment something changes (their own mutation, a steward's merge)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from customer360.auth.principal import Role
from customer360.cache.redis import KEY_PREFIX
from customer360.cache.views import is_own_read
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from tests.services import REDIS_URL, redis_or_skip
from tests.support import graphql, running_app

ME = "{ me { id name complaints(first: 50) { totalCount } linkedRecords { system recordId } } }"
COMPLAIN = """mutation { makeComplaint(input: {subject: "Bins", description: "Not collected on Tuesday."}) {
  complaint { reference } userErrors { code } } }"""
MERGE = """mutation($survivor: ID!, $merged: ID!) { mergeCustomers(input: {survivorId: $survivor, mergedId: $merged}) {
  userErrors { code } } }"""


def views_on(settings: Settings) -> Settings:
    return replace(settings, cache_enabled=True, cache_ttl_seconds=300.0)


def source_calls(app) -> float:
    registry = app.state.runtime.metrics.registry
    return sum(
        sample.value
        for metric in registry.collect()
        if metric.name == "customer360_source_calls"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


@pytest.mark.parametrize(
    ("document", "own"),
    [
        ("{ me { name } }", True),
        ("query Page { me { name } __typename }", True),
        ("query A { me { name } } query B { services { code } }", False),  # more than one operation
        ("{ me { name } services { code } }", False),
        ('{ customer(id: "x") { name } }', False),
        ("{ ... on Query { me { name } } }", False),
        ('mutation { makeComplaint(input: {subject: "a", description: "b"}) { userErrors { code } } }', False),
        ("{ me { name }", False),  # does not parse
    ],
)
def test_which_documents_are_a_residents_own_reads(document, own):
    assert is_own_read(document, None) is own


def test_a_named_operation_is_judged_by_the_one_chosen():
    document = "query A { me { name } } query B { services { code } }"
    assert is_own_read(document, "A") is False  # two operations: kept simple, never kept
    assert is_own_read("query A { me { name } }", "A") is True


async def test_a_repeated_read_is_served_without_asking_the_back_offices(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        first = (await graphql(client, ME, token)).json()
        calls = source_calls(app)
        app.state.runtime.faults.down.update(s.value for s in SourceSystem)  # would fail any source call
        try:
            again = (await graphql(client, ME, token)).json()
        finally:
            app.state.runtime.faults.down.clear()
        assert again == first and "errors" not in again
        assert source_calls(app) == calls
        other = (await graphql(client, ME, issuer.resident_token(residents[1]["email"]))).json()
        assert other["data"]["me"]["id"] != first["data"]["me"]["id"]  # kept per resident, never shared


async def test_an_answer_with_errors_is_not_kept(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        app.state.runtime.faults.down.add(SourceSystem.CRM.value)
        try:
            partial = (await graphql(client, ME, token)).json()
        finally:
            app.state.runtime.faults.down.clear()
        assert partial["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE"
        whole = (await graphql(client, ME, token)).json()
        assert "errors" not in whole


async def test_a_residents_own_mutation_shows_at_once(own_council, issuer, residents):
    async with running_app(views_on(own_council)) as (_app, client):
        token = issuer.resident_token(residents[0]["email"])
        before = (await graphql(client, ME, token)).json()["data"]["me"]["complaints"]["totalCount"]
        made = (await graphql(client, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        after = (await graphql(client, ME, token)).json()["data"]["me"]["complaints"]["totalCount"]
        assert after == before + 1


async def test_a_stewards_merge_shows_at_once_in_both_residents_me(own_council, issuer, residents, staff_token):
    async with running_app(views_on(own_council)) as (_app, client):
        kept, absorbed = (issuer.resident_token(residents[i]["email"]) for i in (0, 1))
        kept_me = (await graphql(client, ME, kept)).json()["data"]["me"]
        absorbed_me = (await graphql(client, ME, absorbed)).json()["data"]["me"]
        variables = {"survivor": kept_me["id"], "merged": absorbed_me["id"]}
        merged = (await graphql(client, MERGE, staff_token(Role.DATA_STEWARD), variables)).json()
        assert merged["data"]["mergeCustomers"]["userErrors"] == []
        after = (await graphql(client, ME, kept)).json()["data"]["me"]
        assert len(after["linkedRecords"]) == len(kept_me["linkedRecords"]) + len(absorbed_me["linkedRecords"])
        # The absorbed resident's sign-in was kept too: it now leads to the survivor, at once.
        assert (await graphql(client, ME, absorbed)).json()["data"]["me"]["id"] == kept_me["id"]


async def test_workers_sharing_redis_forget_a_residents_answers_together(own_council, issuer, residents):
    """Two gateway processes (workers) on one Redis: a mutation through one is seen at once through the other."""
    client = await redis_or_skip()
    await client.aclose()
    settings = replace(views_on(own_council), redis_url=REDIS_URL)
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings) as (_a, first), running_app(settings) as (_b, second):
        before = (await graphql(first, ME, token)).json()["data"]["me"]
        assert (await graphql(first, ME, token)).json()["data"]["me"] == before  # kept, in Redis
        made = (await graphql(second, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        after = (await graphql(first, ME, token)).json()["data"]["me"]
        assert after["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1

    # Redis lists key names in clear: a resident's email is there only as an HMAC both workers share.
    client = await redis_or_skip(empty=False)
    try:
        names = [key.decode() async for key in client.scan_iter(match=f"{KEY_PREFIX}*:views.sign_in:*")]
    finally:
        await client.aclose()
    plain = hashlib.sha256(residents[0]["email"].encode()).hexdigest()
    assert names and not any(plain in name for name in names)


def cache_hits(app) -> float:
    registry = app.state.runtime.metrics.registry
    return registry.get_sample_value("customer360_cache_requests_total", {"layer": "memory", "result": "hit"}) or 0.0


@pytest.mark.parametrize(("views", "executed_again"), [(True, False), (False, True)])
async def test_with_views_off_a_repeated_read_is_executed_again(
    demo_settings, issuer, residents, views, executed_again
):
    """`serve --workers N` without Redis turns views off (C360_CACHE_VIEWS=off): a worker could not
    forget another worker's kept answer. Executed again, the read finds the back offices' answers in
    the read-through cache (hits); answered from a kept answer, it does not look there at all."""
    assert Settings.from_env({"C360_CACHE_VIEWS": "off"}).cache_views is False
    async with running_app(replace(views_on(demo_settings), cache_views=views)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        await graphql(client, ME, token)
        hits = cache_hits(app)
        await graphql(client, ME, token)
        assert (cache_hits(app) > hits) is executed_again
