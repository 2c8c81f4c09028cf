"""Automatic persisted queries (Apollo's `persistedQuery` extension): the miss, the registration, runs by
hash over POST and GET, refusals of malformed extensions, the production allowlist, sharing through Redis."""

from __future__ import annotations

import json
import uuid

import pytest

from customer360.cache.redis import KEY_PREFIX
from customer360.http.persisted_queries import BadPersistedQuery, PersistedQueries, requested_hash
from customer360.http.trusted_documents import sha256
from tests.services import REDIS_URL, redis_or_skip
from tests.support import running_app, settings_with

SERVICES = "{ services { code } }"
NOT_FOUND = {"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}


def persisted(sha: object, version: object = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def persisted_body(document: str) -> dict[str, object]:
    return {"extensions": persisted(sha256(document))}


def a_new_document() -> str:
    """A document no earlier run has registered (Redis outlives test runs)."""
    return "{ q" + uuid.uuid4().hex + ": services { code } }"


async def test_a_miss_then_a_registration_then_the_hash_alone(api):
    _app, client = api
    document = a_new_document()
    by_hash = persisted_body(document)

    missed = await client.post("/graphql", json=by_hash)
    assert missed.status_code == 200 and missed.json() == NOT_FOUND

    registered = await client.post("/graphql", json={"query": document, **by_hash})
    assert registered.status_code == 200
    codes = [service["code"] for service in next(iter(registered.json()["data"].values()))]
    assert codes

    again = await client.post("/graphql", json=by_hash)
    assert again.status_code == 200 and again.json() == registered.json()


async def test_a_registered_query_runs_by_hash_over_get(api):
    _app, client = api
    document = a_new_document()
    params = {"extensions": json.dumps(persisted(sha256(document)))}
    assert (await client.get("/graphql", params=params)).json() == NOT_FOUND
    assert (await client.get("/graphql", params={**params, "query": document})).json()["data"]
    assert (await client.get("/graphql", params=params)).json()["data"]


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_registered(api):
    _app, client = api
    document, other = a_new_document(), a_new_document()
    refused = await client.post("/graphql", json={"query": other, "extensions": persisted(sha256(document))})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "provided sha does not match query"
    assert (await client.post("/graphql", json=persisted_body(document))).json() == NOT_FOUND


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        (persisted(sha256(SERVICES), version=2), "only version 1 is supported"),
        (persisted(sha256(SERVICES), version="1"), "only version 1 is supported"),
        (persisted(sha256(SERVICES), version=True), "only version 1 is supported"),
        ({"persistedQuery": {"sha256Hash": sha256(SERVICES)}}, "only version 1 is supported"),
        ({"persistedQuery": "not an object"}, "must be an object"),
        ({"persistedQuery": [1, sha256(SERVICES)]}, "must be an object"),
        (persisted("abc"), "64 hex digits"),
        (persisted("g" * 64), "64 hex digits"),
        (persisted(sha256(SERVICES) + "0"), "64 hex digits"),
        (persisted(12345), "64 hex digits"),
        ({"persistedQuery": {"version": 1}}, "64 hex digits"),
    ],
)
async def test_a_malformed_extension_is_a_400_with_a_reason(api, extensions, message):
    _app, client = api
    for body in ({"extensions": extensions}, {"query": SERVICES, "extensions": extensions}):
        refused = await client.post("/graphql", json=body)
        assert refused.status_code == 400
        error = refused.json()["errors"][0]
        assert message in error["message"] and error["extensions"]["code"] == "BAD_PERSISTED_QUERY"


async def test_extensions_that_are_not_an_object_are_refused(api):
    _app, client = api
    refused = await client.post("/graphql", json={"query": SERVICES, "extensions": "persistedQuery"})
    assert refused.status_code == 400
    assert (await client.get("/graphql", params={"extensions": "{not json"})).status_code == 400


async def test_a_document_past_the_size_limit_is_not_registered(demo_settings):
    document = "{ services { code } }" + " " * 200 + "# " + uuid.uuid4().hex
    by_hash = persisted_body(document)
    async with running_app(settings_with(demo_settings, max_document_bytes=100)) as (_app, client):
        assert (await client.post("/graphql", json={"query": document, **by_hash})).status_code == 413
        assert (await client.post("/graphql", json=by_hash)).json() == NOT_FOUND


async def test_production_with_an_allowlist_runs_it_and_registers_nothing(demo_settings, tmp_path):
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps({sha256(SERVICES): SERVICES}))
    document = a_new_document()
    by_hash = persisted_body(document)
    async with running_app(settings_with(demo_settings, env="production", trusted_documents=path)) as (_app, client):
        assert (await client.post("/graphql", json=persisted_body(SERVICES))).json()["data"]
        over_get = {"extensions": json.dumps(persisted(sha256(SERVICES)))}
        assert (await client.get("/graphql", params=over_get)).json()["data"]  # no IDE in production: not a 404
        refused = await client.post("/graphql", json={"query": document, **by_hash})
        assert refused.status_code == 400 and "trusted documents" in refused.text
        assert (await client.post("/graphql", json=by_hash)).status_code == 400
        mismatched = await client.post("/graphql", json={"query": document, **persisted_body(SERVICES)})
        assert mismatched.status_code == 400 and "does not match" in mismatched.text


async def test_in_demo_mode_the_allowlist_is_known_from_the_start_and_others_register(demo_settings, tmp_path):
    known = "{ services { name } }"
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps([known]))
    document = a_new_document()
    async with running_app(settings_with(demo_settings, trusted_documents=path)) as (_app, client):
        assert (await client.post("/graphql", json=persisted_body(known))).json()["data"]["services"]
        assert (await client.post("/graphql", json=persisted_body(document))).json() == NOT_FOUND
        assert (await client.post("/graphql", json={"query": document, **persisted_body(document)})).json()["data"]
        assert (await client.post("/graphql", json=persisted_body(document))).json()["data"]


async def test_a_batch_with_an_unknown_hash_answers_every_operation_not_found(demo_settings):
    document = a_new_document()
    async with running_app(settings_with(demo_settings, max_batch_operations=5)) as (_app, client):
        batch = [{"query": SERVICES}, persisted_body(document)]
        missed = await client.post("/graphql", json=batch)
        assert missed.status_code == 200 and missed.json() == [NOT_FOUND, NOT_FOUND]
        batch[1] = {"query": document, **persisted_body(document)}
        assert all(answer["data"] for answer in (await client.post("/graphql", json=batch)).json())
        batch[1] = persisted_body(document)
        assert all(answer["data"] for answer in (await client.post("/graphql", json=batch)).json())


async def test_workers_share_registrations_through_redis(demo_settings):
    redis = await redis_or_skip()
    document = a_new_document()
    settings = settings_with(demo_settings, cache_enabled=True, redis_url=REDIS_URL)
    key = f"{KEY_PREFIX}*:apq:{sha256(document)}"
    try:
        async with running_app(settings) as (app, first_worker):
            registered = await first_worker.post("/graphql", json={"query": document, **persisted_body(document)})
            assert registered.json()["data"]
            key = f"{KEY_PREFIX}{app.state.runtime.store_id}:apq:{sha256(document)}"
        stored = await redis.get(key)
        assert stored is not None and document.encode() not in stored  # encrypted like every cached value
        assert 0 < await redis.ttl(key) <= 24 * 60 * 60
        async with running_app(settings) as (_app, second_worker):  # a fresh process-local LRU
            assert (await second_worker.post("/graphql", json=persisted_body(document))).json()["data"]
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_the_in_process_registry_keeps_the_most_recently_used():
    registry = PersistedQueries(max_entries=2)
    documents = [a_new_document() for _ in range(3)]
    await registry.register(sha256(documents[0]), documents[0])
    await registry.register(sha256(documents[1]), documents[1])
    assert await registry.get(sha256(documents[0])) == documents[0]  # now the most recently used
    await registry.register(sha256(documents[2]), documents[2])
    assert await registry.get(sha256(documents[1])) is None
    assert await registry.get(sha256(documents[0])) == documents[0]
    assert await registry.get(sha256(documents[2])) == documents[2]


def test_the_hash_is_read_in_lower_case_and_absent_without_the_extension():
    assert requested_hash(SERVICES, persisted(sha256(SERVICES).upper())) == sha256(SERVICES)
    assert requested_hash(SERVICES, None) is None
    assert requested_hash(SERVICES, {"persistedQuery": None, "tracing": True}) is None
    with pytest.raises(BadPersistedQuery):
        requested_hash(SERVICES, persisted(sha256(SERVICES), version=1.5))
