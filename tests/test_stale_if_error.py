"""Stale-if-error: a back office that is down is answered from the last known value, marked stale.

The API tests use the demo council with the cache on and a TTL of 0, so every read asks the back
office and only the last known copy (kept for `C360_CACHE_STALE_SECONDS`) can stand in for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from starlette.applications import Starlette

from customer360.cache.base import LAST_KNOWN, ReadThrough, Stale, StaleReads
from customer360.cache.memory import MemoryCache
from customer360.cache.redis import KEY_PREFIX
from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.settings import Settings
from customer360.sources.errors import SourceUnavailable
from tests.services import REDIS_URL, redis_or_skip
from tests.support import graphql, running_app

ACCOUNTS = "{ me { councilTaxAccounts { reference annualCharge { pence } } } }"
APPLY = """
mutation($input: ApplySinglePersonDiscountInput!) { applySinglePersonDiscount(input: $input) {
  discount { id } userErrors { field code } } }
"""


def stale_count(app: Starlette, layer: str) -> float:
    value = app.state.runtime.metrics.registry.get_sample_value(
        "customer360_cache_requests_total", {"layer": layer, "result": "stale"}
    )
    return value or 0.0


async def with_accounts(client, issuer, residents, *, skip: int = 0) -> list[str]:
    """Tokens of residents who hold a Council Tax account, most-linked first, after the first `skip`."""
    tokens = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        body = (await graphql(client, ACCOUNTS, token)).json()
        if body["data"]["me"] and body["data"]["me"]["councilTaxAccounts"]:
            tokens.append(token)
        if len(tokens) > skip:
            return tokens
    pytest.skip("not enough demo residents with a Council Tax account in the sample")


def cache_on(settings: Settings, **changes: object) -> Settings:
    return replace(settings, cache_enabled=True, cache_ttl_seconds=0.0, **changes)  # type: ignore[arg-type]


async def test_a_down_back_office_is_answered_from_the_last_known_value_marked_stale(demo_settings, issuer, residents):
    async with running_app(cache_on(demo_settings)) as (app, client):
        (token,) = await with_accounts(client, issuer, residents)
        warm = (await graphql(client, ACCOUNTS, token)).json()
        assert "stale" not in (warm.get("extensions") or {})

        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        while_down = (await graphql(client, ACCOUNTS, token)).json()
        assert while_down["data"] == warm["data"]
        assert "errors" not in while_down
        extensions = while_down["extensions"]
        assert extensions["stale"] is True
        assert isinstance(extensions["staleAgeSeconds"], int) and 0 <= extensions["staleAgeSeconds"] < 60
        assert extensions["staleSources"] == ["REVENUES"]
        assert stale_count(app, "memory") >= 1

        app.state.runtime.faults.down.clear()
        refreshed = (await graphql(client, ACCOUNTS, token)).json()
        assert refreshed["data"] == warm["data"]
        assert "errors" not in refreshed and "stale" not in (refreshed.get("extensions") or {})


async def test_without_a_prior_read_a_down_back_office_is_an_error_as_before(demo_settings, issuer, residents):
    async with running_app(cache_on(demo_settings)) as (app, client):
        _, unread = await with_accounts(client, issuer, residents, skip=1)
        # Each resident was read once while up; forget the second one's copy, as if never read.
        await app.state.runtime.services.cache.forget(
            Stale(keys=[("revenues.accounts_by_party", party) for party in await party_ids(app, unread)])
        )
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        body = (await graphql(client, ACCOUNTS, unread)).json()
        assert body["data"]["me"]["councilTaxAccounts"] == []
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "REVENUES"}
        assert "stale" not in (body.get("extensions") or {})


async def test_with_the_cache_off_there_is_no_copy_to_serve(demo_settings, issuer, residents):
    async with running_app(replace(demo_settings, cache_enabled=False)) as (app, client):
        (token,) = await with_accounts(client, issuer, residents)
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        body = (await graphql(client, ACCOUNTS, token)).json()
        assert body["data"]["me"]["councilTaxAccounts"] == []
        assert body["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE"
        assert "stale" not in (body.get("extensions") or {})


async def test_with_the_stale_window_at_zero_nothing_stale_is_served(demo_settings, issuer, residents):
    async with running_app(cache_on(demo_settings, cache_stale_seconds=0.0)) as (app, client):
        (token,) = await with_accounts(client, issuer, residents)
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        body = (await graphql(client, ACCOUNTS, token)).json()
        assert body["data"]["me"]["councilTaxAccounts"] == []
        assert "stale" not in (body.get("extensions") or {})


async def test_a_mutation_never_decides_on_a_stale_answer(own_council, issuer, residents):
    async with running_app(cache_on(own_council)) as (app, client):
        (token,) = await with_accounts(client, issuer, residents)
        reference = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"][0]["reference"]
        request = {"input": {"accountReference": reference, "startsOn": "2030-01-01", "declaration": False}}
        up = (await graphql(client, APPLY, token, request)).json()
        assert up["data"]["applySinglePersonDiscount"]["userErrors"][0]["code"] == "DECLARATION_REQUIRED"

        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        down = (await graphql(client, APPLY, token, request)).json()
        assert down["data"]["applySinglePersonDiscount"]["userErrors"][0]["code"] == "SOURCE_UNAVAILABLE"
        assert "stale" not in (down.get("extensions") or {})
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_with_redis_the_last_known_value_is_served_encrypted_and_expires(demo_settings, issuer, residents):
    redis_client = await redis_or_skip()
    settings = cache_on(demo_settings, redis_url=REDIS_URL, cache_stale_seconds=600.0)
    try:
        async with running_app(settings) as (app, client):
            (token,) = await with_accounts(client, issuer, residents)
            parties = await party_ids(app, token)
            # Redis outlives the app: drop what other tests (with a 30 s TTL) left for these keys.
            await app.state.runtime.services.cache.forget(
                Stale(keys=[("revenues.accounts_by_party", party) for party in parties])
            )
            warm = (await graphql(client, ACCOUNTS, token)).json()
            app.state.runtime.faults.down.add(SourceSystem.REVENUES)
            while_down = (await graphql(client, ACCOUNTS, token)).json()
            assert while_down["data"] == warm["data"]
            assert while_down["extensions"]["stale"] is True and while_down["extensions"]["staleAgeSeconds"] >= 0
            assert stale_count(app, "redis") >= 1

        reference = warm["data"]["me"]["councilTaxAccounts"][0]["reference"]
        for party in parties:
            key = f"{KEY_PREFIX}{app.state.runtime.store_id}:{LAST_KNOWN}revenues.accounts_by_party:{party}"
            raw = await redis_client.get(key)
            assert raw is not None and reference.encode() not in raw, "personal values are stored encrypted"
            assert 0 < await redis_client.pttl(key) <= 600_000, "the last known copy expires with its window"
    finally:
        await redis_client.aclose()


async def party_ids(app: Starlette, token: str) -> list[str]:
    runtime = app.state.runtime
    principal = await runtime.authenticate(f"Bearer {token}")
    links = await runtime.customers.links_by_customer([principal.customer_id])
    return [link.record_id for link in links[principal.customer_id] if link.system is SourceSystem.REVENUES]


# ReadThrough on its own: which keys a failure leaves answered, and what it leaves alone.


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def read_through(clock: Clock, metrics: Metrics | None = None) -> ReadThrough:
    return ReadThrough(
        MemoryCache(), metrics or Metrics(), 0.0, stale_seconds=3600, unavailable=(SourceUnavailable,), clock=clock
    )


async def test_only_keys_with_a_copy_are_answered_and_each_is_counted_once():
    clock, metrics = Clock(), Metrics()
    cache = read_through(clock, metrics)
    up = True

    async def fetch(keys: list[str]) -> dict[str, str]:
        if not up:
            raise SourceUnavailable(SourceSystem.REVENUES, "down")
        return {key: f"value of {key}" for key in keys}

    await cache.get_many("revenues.accounts_by_party", ["a"], fetch, str)
    await asyncio.sleep(0.001)  # the fresh entry (TTL 0) expires; the copy stays
    clock.now += 90
    up = False
    stale = StaleReads()
    answers = await cache.get_each("revenues.accounts_by_party", ["a", "b"], fetch, str, stale)
    assert answers[0] == "value of a"
    assert isinstance(answers[1], SourceUnavailable)
    assert stale.ages == {"revenues.accounts_by_party": 90.0}
    with pytest.raises(SourceUnavailable):
        await cache.get_many("revenues.accounts_by_party", ["a", "b"], fetch, str, StaleReads())
    with pytest.raises(SourceUnavailable):  # no StaleReads to report it in: never served silently
        await cache.get_many("revenues.accounts_by_party", ["a"], fetch, str)
    counts = {
        sample.labels["result"]: sample.value
        for metric in metrics.cache_requests.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }
    # a: miss, then stale twice; b: miss twice; a without StaleReads: miss. One result per look-up.
    assert counts == {"hit": 0.0, "miss": 4.0, "stale": 2.0}


async def test_our_own_write_drops_the_last_known_copy_too():
    clock = Clock()
    cache = read_through(clock)
    up = True

    async def fetch(keys: list[str]) -> dict[str, str]:
        if not up:
            raise SourceUnavailable(SourceSystem.REVENUES, "down")
        return dict.fromkeys(keys, "before the write")

    await cache.get_many("revenues.accounts_by_reference", ["r1"], fetch, str)
    await cache.forget(Stale(keys=[("revenues.accounts_by_reference", "r1")]))
    up = False
    with pytest.raises(SourceUnavailable):
        await cache.get_many("revenues.accounts_by_reference", ["r1"], fetch, str, StaleReads())


async def test_safeguarding_namespaces_are_never_cached_nor_kept():
    memory = MemoryCache()
    cache = ReadThrough(memory, Metrics(), 30, stale_seconds=3600, unavailable=(SourceUnavailable,))
    calls = []

    async def fetch(keys: list[str]) -> dict[str, str]:
        calls.append(keys)
        return dict.fromkeys(keys, "a concern")

    await cache.get_many("safeguarding.cases", ["c1"], fetch, str, StaleReads())
    await cache.get_many("safeguarding.cases", ["c1"], fetch, str, StaleReads())
    assert calls == [["c1"], ["c1"]]
    assert await memory.get_many(["safeguarding.cases:c1", f"{LAST_KNOWN}safeguarding.cases:c1"]) == {}
