"""A resident's repeated read answered before GraphQL (`http/kept_answers.py`): the very bytes the full path
sent, only to that resident, only for the same question, never past their own write, whichever worker
wrote, and never stalled by a hung Redis."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from customer360.auth.keys import DEMO_ALGORITHM, load_or_create_signing_key
from customer360.auth.tokens import DEMO_AUDIENCE, DEMO_RESIDENT_ISSUER
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from tests.services import REDIS_URL, redis_or_skip
from tests.support import graphql, running_app
from tests.test_redis_outages import own_redis

ME = "{ me { id name complaints(first: 50) { totalCount } linkedRecords { system recordId } } }"
NAMED = "query Me($withName: Boolean!) { me { id name @include(if: $withName) } }"
COMPLAIN = """mutation { makeComplaint(input: {subject: "Bins", description: "Not collected on Tuesday."}) {
  complaint { reference } userErrors { code } } }"""
PER_REQUEST = {"x-request-id", "content-length"}


def views_on(settings: Settings, **changes: object) -> Settings:
    return replace(settings, cache_enabled=True, cache_ttl_seconds=300.0, **changes)  # type: ignore[arg-type]


def kept_answers(app, result: str) -> float:
    registry = app.state.runtime.metrics.registry
    return registry.get_sample_value("customer360_kept_answers_total", {"result": result}) or 0.0


def source_calls(app) -> float:
    return sum(
        sample.value
        for metric in app.state.runtime.metrics.registry.collect()
        if metric.name == "customer360_source_calls"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def served(app, client, document, token, variables=None):
    """The answer, and whether it was sent from a kept answer (before GraphQL)."""
    before = kept_answers(app, "served")
    response = await graphql(client, document, token, variables)
    return response, kept_answers(app, "served") == before + 1


def token_signed(data_dir, email: str, *, expires_in: int, key=None) -> str:
    signing = load_or_create_signing_key(data_dir)
    now = int(time.time())
    claims = {
        "iss": DEMO_RESIDENT_ISSUER,
        "aud": DEMO_AUDIENCE,
        "sub": f"demo-{email.lower()}",
        "email": email,
        "email_verified": True,
        "iat": now - 3600,
        "nbf": now - 3600,
        "exp": now + expires_in,
    }
    private = key or signing.private_key
    return jwt.encode(claims, private, algorithm=DEMO_ALGORITHM, headers={"kid": signing.kid})


async def test_a_repeat_is_the_same_bytes_and_headers_sent_before_graphql(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        first, fast = await served(app, client, ME, token)
        assert not fast and first.status_code == 200 and "errors" not in first.json()
        calls = source_calls(app)
        app.state.runtime.faults.down.update(s.value for s in SourceSystem)  # any back-office call would fail
        try:
            again, fast = await served(app, client, ME, token)
        finally:
            app.state.runtime.faults.down.clear()
        assert fast and again.status_code == 200
        assert again.content == first.content  # byte for byte
        assert source_calls(app) == calls
        headers = {k: v for k, v in first.headers.items() if k not in PER_REQUEST}
        assert {k: v for k, v in again.headers.items() if k not in PER_REQUEST} == headers
        assert headers["cache-control"] == "no-store" and headers["content-type"].startswith("application/json")
        assert again.headers["content-length"] == str(len(again.content))
        assert again.headers["x-request-id"] and again.headers["x-request-id"] != first.headers["x-request-id"]
        for _ in range(2):  # the second from its own kept answer (no purpose header: another question)
            fast_before = kept_answers(app, "served")
            chosen = await client.post(
                "/graphql",
                json={"query": ME, "variables": {}},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "abc-12345"},
            )
            assert chosen.content == first.content and chosen.headers["x-request-id"] == "abc-12345"
        assert kept_answers(app, "served") == fast_before + 1


async def test_a_kept_answer_counts_against_the_rate_limits_like_any_read(demo_settings, issuer, residents):
    settings = views_on(demo_settings, rate_limit_per_principal=3, rate_limit_per_ip=0)
    async with running_app(settings) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        first = await graphql(client, ME, token)  # counted by the full path
        for _ in range(2):
            again, fast = await served(app, client, ME, token)  # counted here
            assert fast and again.content == first.content
        refused, fast = await served(app, client, ME, token)
        assert not fast and refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["cache-control"] == "no-store" and refused.headers["x-content-type-options"] == "nosniff"
        other = await graphql(client, ME, issuer.resident_token(residents[1]["email"]))
        assert other.status_code == 200  # per principal


async def test_a_get_is_answered_from_its_own_kept_answer(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        headers = {"Authorization": f"Bearer {issuer.resident_token(residents[0]['email'])}"}
        first = await client.get("/graphql", params={"query": ME}, headers=headers)
        assert first.status_code == 200 and "errors" not in first.json()
        served_before = kept_answers(app, "served")
        again = await client.get("/graphql", params={"query": ME}, headers=headers)
        assert again.content == first.content and kept_answers(app, "served") == served_before + 1


async def test_another_residents_token_never_gets_someone_elses_kept_answer(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        mine = issuer.resident_token(residents[0]["email"])
        theirs = issuer.resident_token(residents[1]["email"])
        first = (await graphql(client, ME, mine)).json()["data"]["me"]
        _, fast = await served(app, client, ME, mine)
        assert fast
        other, fast = await served(app, client, ME, theirs)  # the very same body, another token
        assert not fast
        assert other.json()["data"]["me"]["id"] != first["id"]
        nobody, fast = await served(app, client, ME, None)
        assert not fast and nobody.json()["data"]["me"] is None


async def test_an_expired_or_forged_token_is_refused_though_its_residents_answer_is_kept(
    demo_settings, issuer, residents
):
    email = residents[0]["email"]
    async with running_app(views_on(demo_settings)) as (app, client):
        good = token_signed(demo_settings.data_dir, email, expires_in=3600)
        await graphql(client, ME, good)
        assert (await served(app, client, ME, good))[1]
        expired = token_signed(demo_settings.data_dir, email, expires_in=-120)  # past the 30 s leeway
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = token_signed(demo_settings.data_dir, email, expires_in=3600, key=stranger)  # the demo key's kid
        for bad in (expired, forged, good + "x"):
            response, fast = await served(app, client, ME, bad)
            assert not fast and response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_different_variables_are_never_answered_from_anothers_kept_answer(demo_settings, issuer, residents):
    async with running_app(views_on(demo_settings)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        with_name = (await graphql(client, NAMED, token, {"withName": True})).json()["data"]["me"]
        assert "name" in with_name
        again, fast = await served(app, client, NAMED, token, {"withName": True})
        assert fast and again.json()["data"]["me"] == with_name
        without, fast = await served(app, client, NAMED, token, {"withName": False})
        assert not fast and "name" not in without.json()["data"]["me"]
        without, fast = await served(app, client, NAMED, token, {"withName": False})
        assert fast and "name" not in without.json()["data"]["me"]


async def test_a_residents_own_write_shows_at_once(own_council, issuer, residents):
    async with running_app(views_on(own_council)) as (app, client):
        token = issuer.resident_token(residents[0]["email"])
        before = (await graphql(client, ME, token)).json()["data"]["me"]
        assert (await served(app, client, ME, token))[1]
        made = (await graphql(client, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        after, fast = await served(app, client, ME, token)
        assert not fast
        assert after.json()["data"]["me"]["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
        again, fast = await served(app, client, ME, token)
        assert fast and again.content == after.content


async def test_a_write_through_one_worker_is_read_at_once_through_another(own_council, issuer, residents):
    """Two app instances (workers, or replicas) on one Redis: each keeps the bytes in its own memory, and one
    `MGET` of the identity epoch and the resident's generation decides whether they may still be sent."""
    client = await redis_or_skip()
    await client.aclose()
    settings = views_on(own_council, redis_url=REDIS_URL)
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings) as (a, first), running_app(settings) as (b, second):
        before = (await graphql(first, ME, token)).json()["data"]["me"]
        assert (await served(a, first, ME, token))[1]
        assert (await graphql(second, ME, token)).json()["data"]["me"] == before  # from Redis, then kept here
        assert (await served(b, second, ME, token))[1]
        made = (await graphql(second, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        for app, gateway in ((a, first), (b, second)):
            after, fast = await served(app, gateway, ME, token)
            assert not fast
            assert after.json()["data"]["me"]["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
        made = (await graphql(first, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        latest = (await graphql(second, ME, token)).json()["data"]["me"]
        assert latest["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 2
        # Reads arriving together share generation reads; none may be answered from before a write.
        assert (await served(b, second, ME, token))[1]
        made = (await graphql(first, COMPLAIN, token)).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        together = await asyncio.gather(*(graphql(second, ME, token) for _ in range(8)))
        counts = {r.json()["data"]["me"]["complaints"]["totalCount"] for r in together}
        assert counts == {before["complaints"]["totalCount"] + 3}


async def test_a_hung_redis_neither_stalls_a_kept_answer_nor_serves_it_past_a_write(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        settings = views_on(own_council, redis_url=server.url)
        async with running_app(settings) as (app, client):
            before = (await graphql(client, ME, token)).json()["data"]["me"]
            assert (await served(app, client, ME, token))[1]
            server.hang()
            try:
                for _ in range(5):
                    started = time.monotonic()
                    answer, fast = await served(app, client, ME, token)
                    # The guard's budget per Redis call (0.15 s), a few calls, and the back offices.
                    assert time.monotonic() - started < 2.0, "a kept answer waited on the hung Redis"
                    assert not fast and answer.json()["data"]["me"] == before
                together = await asyncio.gather(*(served(app, client, ME, token) for _ in range(5)))
                assert all(not fast and r.json()["data"]["me"] == before for r, fast in together)
                made = (await graphql(client, COMPLAIN, token)).json()["data"]["makeComplaint"]
                assert made["userErrors"] == []
                during = (await graphql(client, ME, token)).json()["data"]["me"]
                assert during["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
            finally:
                server.resume()
            deadline = time.monotonic() + 30
            while True:  # once Redis is trusted again, kept bytes are sent again: never the old ones
                answer, fast = await served(app, client, ME, token)
                assert answer.json()["data"]["me"]["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
                if fast:
                    break
                assert time.monotonic() < deadline, "kept answers never came back into use"
                await asyncio.sleep(0.3)
