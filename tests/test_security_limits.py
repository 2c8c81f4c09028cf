"""Limits: the document measures and cost model, batching, body size, rate limits (in process and in
Redis), timeouts, CSRF, access purposes, trusted documents, request ids, demo-mode GraphiQL."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from graphql import get_introspection_query, parse

from customer360.auth.purpose import InvalidPurpose, PurposeRequired, access_purpose, parse_purpose, require_purpose
from customer360.http.rate_limit import MemoryRateLimits, RedisRateLimits
from customer360.http.trusted_documents import sha256
from customer360.schema.limits import Limits, check, measure
from customer360.schema.schema import build_schema
from customer360.settings import Settings, SettingsError
from tests.services import REDIS_URL, redis_or_skip
from tests.support import graphql, running_app, settings_with

SCHEMA = build_schema()._schema


def measures(query: str, **variables: object):
    return measure(SCHEMA, parse(query), variables=variables)


def test_depth_counts_fields_below_the_root():
    assert measures("{ me { name } }").depth == 1
    assert measures("{ me { requests { edges { node { history { at } } } } } }").depth == 5
    assert measures("{ me { ...F } } fragment F on Customer { address { line1 } }").depth == 2
    assert measures(get_introspection_query()).depth == 0  # introspection does not count


def test_cost_model():
    assert measures("{ me { name email } }").cost == 2 + 2
    # a connection weighs first x its selection; edges/nodes are not multiplied again
    assert measures("{ me { requests(first: 10) { edges { node { reference } } } } }").cost == 2 + (2 + 10 * (2 + 3))
    # variables and the default page size (20)
    assert measures("query($n: Int) { me { complaints(first: $n) { edges { node { id } } } } }", n=50).cost == 2 + (
        2 + 50 * (2 + 3)
    )
    assert measures("{ me { complaints { edges { node { id } } } } }").cost == 2 + (2 + 20 * (2 + 3))
    # other lists of objects are assumed to hold 10
    assert measures("{ me { linkedRecords { system } } }").cost == 2 + (2 + 10 * 1)


def test_fragment_bombs_are_measured_in_linear_time():
    fragments = ["fragment F0 on Query { a: services { code } b: services { code } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 60)]
    started = time.perf_counter()
    found = measures("{ ...F59 } " + " ".join(fragments))
    assert time.perf_counter() - started < 0.5
    assert found.aliases == 2**60
    errors = check(SCHEMA, parse("{ ...F59 } " + " ".join(fragments)), Limits())
    assert {error.extensions["limit"] for error in errors} == {"aliases", "cost"}


def test_circular_and_unknown_fragments_do_not_loop():
    assert measures("{ me { ...A } } fragment A on Customer { ...B } fragment B on Customer { ...A id }").depth == 1
    assert measures("{ me { ...Missing } }").cost == 2


async def test_graphiql_and_its_introspection_work_in_demo_mode(api):
    _app, client = api
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "https:" not in page.headers["content-security-policy"], "nothing from another origin"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    introspection = await graphql(client, get_introspection_query())
    assert introspection.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    suggestion = (await graphql(client, "{ servces { code } }")).json()
    assert "Did you mean" in suggestion["errors"][0]["message"]  # demo mode keeps the hints


async def test_batching_can_be_turned_on_with_a_ceiling(demo_settings):
    async with running_app(settings_with(demo_settings, max_batch_operations=3)) as (_app, client):
        two = await client.post("/graphql", json=[{"query": "{ services { code } }"}] * 2)
        assert two.status_code == 200 and len(two.json()) == 2
        four = await client.post("/graphql", json=[{"query": "{ services { code } }"}] * 4)
        assert four.status_code == 400


async def test_request_bodies_over_the_limit_are_413(demo_settings):
    async with running_app(settings_with(demo_settings, max_body_bytes=2000)) as (_app, client):
        big = {"query": "{ services { code } }", "variables": {"pad": "x" * 5000}}
        assert (await client.post("/graphql", json=big)).status_code == 413

        async def chunks():
            body = json.dumps(big).encode()
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        streamed = await client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert (await graphql(client, "{ services { code } }")).status_code == 200


async def test_per_address_rate_limit_answers_429_with_retry_after(demo_settings):
    settings = settings_with(demo_settings, rate_limit_per_ip=5, rate_limit_window_seconds=60)
    async with running_app(settings) as (_app, client):
        statuses = [(await graphql(client, "{ services { code } }")).status_code for _ in range(5)]
        assert statuses == [200] * 5
        limited = await graphql(client, "{ services { code } }")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        bad_token = await graphql(client, "{ me { id } }", token="nonsense")
        assert bad_token.status_code == 429  # counted before authentication
        assert (await client.get("/healthz")).status_code == 200


async def test_per_principal_rate_limit(demo_settings, issuer, residents):
    settings = settings_with(demo_settings, rate_limit_per_ip=0, rate_limit_per_principal=3)
    first, second = (issuer.resident_token(r["email"]) for r in residents[:2])
    async with running_app(settings) as (_app, client):
        assert [(await graphql(client, "{ me { id } }", first)).status_code for _ in range(3)] == [200] * 3
        assert (await graphql(client, "{ me { id } }", first)).status_code == 429
        assert (await graphql(client, "{ me { id } }", second)).status_code == 200
        assert (await graphql(client, "{ services { code } }")).status_code == 200  # anonymous: per address only


async def test_memory_rate_limits_reset_with_the_window():
    now = [0.0]
    limits = MemoryRateLimits(clock=lambda: now[0])
    assert (await limits.hit("k", 2, 10)).allowed and (await limits.hit("k", 2, 10)).allowed
    refused = await limits.hit("k", 2, 10)
    assert not refused.allowed and refused.retry_after == 10
    now[0] = 10.5
    assert (await limits.hit("k", 2, 10)).allowed


async def test_redis_rate_limits_are_shared():
    client = await redis_or_skip()
    await client.aclose()
    prefix = f"c360:test:{uuid.uuid4().hex}:"
    one, two = RedisRateLimits.from_url(REDIS_URL), RedisRateLimits.from_url(REDIS_URL)
    one._prefix = two._prefix = prefix
    try:
        assert (await one.hit("ip:1", 2, 30)).allowed
        assert (await two.hit("ip:1", 2, 30)).allowed  # another worker, the same counter
        verdict = await one.hit("ip:1", 2, 30)
        assert not verdict.allowed and 1 <= verdict.retry_after <= 30
    finally:
        await one.close()
        await two.close()


async def test_the_gateway_counts_in_redis_when_configured(demo_settings):
    client = await redis_or_skip()
    try:
        for key in [k async for k in client.scan_iter("c360:rl:*")]:
            await client.delete(key)
        settings = settings_with(demo_settings, redis_url=REDIS_URL, rate_limit_per_ip=2)
        async with running_app(settings) as (_app, api):
            statuses = [(await graphql(api, "{ services { code } }")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert [k async for k in client.scan_iter("c360:rl:ip:*")]
    finally:
        for key in [k async for k in client.scan_iter("c360:rl:*")]:
            await client.delete(key)
        await client.aclose()


async def test_an_unreachable_redis_lets_requests_through():
    limits = RedisRateLimits.from_url("redis://127.0.0.1:1/0")
    try:
        assert (await limits.hit("ip:x", 1, 60)).allowed
    finally:
        await limits.close()


async def test_slow_requests_time_out_with_504(demo_settings, issuer, residents):
    settings = settings_with(demo_settings, request_timeout_seconds=0.3, demo_source_latency_ms=2000)
    async with running_app(settings) as (_app, client):
        token = issuer.resident_token(residents[0]["email"])
        response = await graphql(client, "{ me { councilTaxAccounts { reference } } }", token)
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"


async def test_posts_must_be_json(api):
    _app, client = api
    body = json.dumps({"query": "{ services { code } }"})
    assert (await client.post("/graphql", content=body, headers={"Content-Type": "text/plain"})).status_code == 415
    ok = await client.post("/graphql", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_access_purpose_rules():
    assert parse_purpose(None) is None and parse_purpose("   ") is None
    assert parse_purpose("  Council Tax  query  from resident ") == "Council Tax query from resident"
    for bad in ("ok", "x" * 201, "line one\nline two", "tab\tinside"):
        with pytest.raises(InvalidPurpose):
            parse_purpose(bad)
    scope = {"type": "http", "headers": [(b"x-access-purpose", "Résident called about arrears".encode())]}
    assert access_purpose(scope) == "Résident called about arrears"
    assert require_purpose(scope) == "Résident called about arrears"
    with pytest.raises(PurposeRequired):
        require_purpose({"type": "http", "headers": []})


async def test_a_malformed_access_purpose_is_refused(api, staff_token):
    _app, client = api
    query = {"query": "{ services { code } }"}
    refused = await client.post("/graphql", json=query, headers={"X-Access-Purpose": "no"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["extensions"]["code"] == "BAD_ACCESS_PURPOSE"
    ok = await client.post("/graphql", json=query, headers={"X-Access-Purpose": "Resident phoned about a missed bin"})
    assert ok.status_code == 200


async def test_request_ids_are_echoed_or_made(api):
    _app, client = api
    assert (await client.get("/healthz", headers={"X-Request-ID": "abc-123-def"})).headers[
        "x-request-id"
    ] == "abc-123-def"
    made = (await client.get("/healthz", headers={"X-Request-ID": "<script>"})).headers["x-request-id"]
    assert made != "<script>" and len(made) == 32


async def test_trusted_documents_in_production(demo_settings, tmp_path, issuer, residents):
    allowed = "{ services { code } }"
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps({sha256(allowed): allowed}))
    settings = settings_with(demo_settings, env="production", trusted_documents=path)
    # No identity provider configured: production still starts, serving public queries only.
    async with running_app(settings) as (_app, client):
        assert (await graphql(client, allowed)).json()["data"]["services"]
        by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(allowed)}}}
        assert (await client.post("/graphql", json=by_hash)).json()["data"]["services"]
        assert (await graphql(client, "{ services { name } }")).status_code == 400
        unknown = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
        assert (await client.post("/graphql", json=unknown)).status_code == 400
        assert (await graphql(client, allowed, issuer.resident_token(residents[0]["email"]))).status_code == 401


def test_a_trusted_documents_file_must_hash_to_its_keys(tmp_path):
    from customer360.http.trusted_documents import TrustedDocuments

    path = tmp_path / "trusted.json"
    path.write_text(json.dumps({"0" * 64: "{ services { code } }"}))
    with pytest.raises(SettingsError):
        TrustedDocuments.load(path, enforce=True)


def test_settings_read_the_limits_from_the_environment():
    settings = Settings.from_env(
        {
            "C360_CORS_ORIGINS": "https://my.tamworth.gov.uk, https://staff.tamworth.gov.uk/",
            "C360_MAX_QUERY_COST": "1000",
            "C360_RATE_LIMIT_PER_IP": "0",
            "C360_STAFF_OIDC_ROLES_CLAIM": "realm_access.roles",
        }
    )
    assert settings.cors_origins == ("https://my.tamworth.gov.uk", "https://staff.tamworth.gov.uk")
    assert settings.max_query_cost == 1000 and settings.rate_limit_per_ip == 0
    assert settings.staff_oidc_roles_claim == "realm_access.roles"
    assert Limits.from_settings(Settings()) == Limits()
    for bad in ("*", "my.tamworth.gov.uk", "https://x.example/path"):
        with pytest.raises(SettingsError):
            Settings.from_env({"C360_CORS_ORIGINS": bad})
