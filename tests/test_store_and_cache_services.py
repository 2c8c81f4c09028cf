"""The gateway store on real PostgreSQL and the shared cache on real Redis."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from customer360.cache.base import ReadThrough, Stale
from customer360.cache.redis import KEY_PREFIX, RedisCache
from customer360.domain.systems import SourceSystem
from customer360.identity.linking import IdentityHub, link_everyone
from customer360.metrics import Metrics
from customer360.store.database import create_engine, migrate
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip
from tests.support import graphql, running_app


async def test_the_gateway_store_migrates_and_serves_me_from_postgresql(demo_settings, issuer, residents):
    """Link the demo council into a PostgreSQL store, then answer `me` from it."""
    async with fresh_postgres_database() as url:
        settings = replace(demo_settings, database_url=url)
        engine = create_engine(url)
        try:
            await migrate(engine)
            await migrate(engine)  # a second start finds nothing to do
            async with running_app(settings) as (app, client):
                summary = await link_everyone(
                    app.state.runtime.services.sources.by_system(), IdentityHub.on(engine), by="test"
                )
                assert summary.customers > 0
                token = issuer.resident_token(residents[0]["email"])
                body = (await graphql(client, "{ me { id name } }", token)).json()
            assert body["data"]["me"]["id"] == residents[0]["customer_id"]
        finally:
            await engine.dispose()


async def test_redis_read_through_counts_misses_then_hits_and_stores_only_ciphertext():
    client = await redis_or_skip()
    metrics = Metrics()
    cache = RedisCache.from_url(REDIS_URL, encryption_key=b"0" * 43 + b"=", store_id="s1")
    read_through = ReadThrough(cache, metrics, ttl_seconds=30)
    calls: list[list[str]] = []

    async def fetch(keys: list[str]) -> dict[str, list[str]]:
        calls.append(keys)
        return {key: [f"secret for {key}"] for key in keys}

    namespace = f"test.{asyncio.get_running_loop().time()}"
    try:
        first = await read_through.get_many(namespace, ["a", "b"], fetch, list)
        second = await read_through.get_many(namespace, ["a", "b", "c"], fetch, list)
        assert first == [["secret for a"], ["secret for b"]]
        assert second == [["secret for a"], ["secret for b"], ["secret for c"]]
        assert calls == [["a", "b"], ["c"]], "cached keys must not be fetched again"
        samples = {
            s.labels["result"]: s.value
            for m in metrics.cache_requests.collect()
            for s in m.samples
            if s.name.endswith("_total")
        }
        assert samples == {"hit": 2.0, "miss": 3.0}
        raw = await client.get(f"{KEY_PREFIX}s1:{namespace}:a")
        assert raw is not None and b"secret" not in raw
        assert 0 < await client.pttl(f"{KEY_PREFIX}s1:{namespace}:a") <= 30_000
        await read_through.forget(Stale(keys=[(namespace, "a")]))
        await read_through.get_many(namespace, ["a"], fetch, list)
        assert calls[-1] == ["a"]
    finally:
        await cache.close()
        await client.aclose()


async def test_a_warm_me_costs_no_back_office_call_with_redis(demo_settings, issuer, residents):
    client_probe = await redis_or_skip()
    await client_probe.aclose()
    settings = replace(demo_settings, cache_enabled=True, redis_url=REDIS_URL)
    async with running_app(settings) as (app, client):
        metrics = app.state.runtime.metrics
        token = issuer.resident_token(residents[0]["email"])
        query = "{ me { councilTaxAccounts { reference } benefitClaims { reference } } }"
        cold = (await graphql(client, query, token)).json()
        calls_after_cold = metrics.source_call_count(SourceSystem.REVENUES.value, "accounts_by_party")
        warm = (await graphql(client, query, token)).json()
        assert warm == cold
        assert metrics.source_call_count(SourceSystem.REVENUES.value, "accounts_by_party") == calls_after_cold
