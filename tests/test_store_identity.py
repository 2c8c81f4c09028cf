"""Redis keys scoped to the store they belong to (store/store_identity.py): a store rebuilt under the same
Redis and data dir is never served what the old store kept there, though its customer ids are the same;
the same store restarted, or a second gateway on it, keeps its identity and so its cache; gateways
starting together on an empty store all agree on one identity; and renewing it (after a restore from a
backup) leaves everything kept under the old one unread."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from customer360.demo import council
from customer360.identity.linking import IdentityHub
from customer360.settings import Settings
from customer360.sources.revenues import sql as revenues_sql
from customer360.store.database import create_engine, migrate
from customer360.store.portal_sessions import RedisPortalSessions
from customer360.store.store_identity import StoreIdentity
from tests.conftest import TEST_RESIDENTS
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip
from tests.support import graphql, running_app
from tests.test_council_tax_while_down import on_revenues
from tests.test_kept_answers import source_calls, views_on
from tests.test_production_mode import run

ACCOUNTS = "{ me { id councilTaxAccounts { reference } } }"

# What each replica does first at start-up (`start_runtime`), in a process of its own.
START = """
import asyncio, sys
from customer360.store.database import create_engine, migrate
from customer360.store.store_identity import StoreIdentity

async def main():
    engine = create_engine(sys.argv[1])
    await migrate(engine)
    print(await StoreIdentity(engine).store_id())
    await engine.dispose()

asyncio.run(main())
"""


def cached(settings: Settings, **changes: object) -> Settings:
    return views_on(settings, redis_url=REDIS_URL, **changes)


async def from_redis(app, client, token: str) -> tuple[dict, bool]:
    """`me`, and whether it came from what Redis kept (the resident's kept answer or copies of back-office
    reads: no back office was asked). A new process: nothing of its own memory can answer."""
    before = source_calls(app)
    response = await graphql(client, ACCOUNTS, token)
    assert response.status_code == 200 and "errors" not in response.json()
    return response.json()["data"]["me"], source_calls(app) == before


async def payer(client, issuer, residents) -> tuple[str, dict]:
    """A resident with a Council Tax account: their token and `me`."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]
        if me["councilTaxAccounts"]:
            return token, me
    raise AssertionError("no sample resident pays Council Tax")


async def test_a_rebuilt_store_is_not_served_what_the_old_store_kept_in_redis(own_council, issuer, residents):
    redis = await redis_or_skip()
    try:
        async with running_app(cached(own_council)) as (app, client):
            old_id = app.state.runtime.store_id
            token, before = await payer(client, issuer, residents)
        async with running_app(cached(own_council)) as (app, client):
            assert await from_redis(app, client, token) == (before, True), "kept in Redis by the old store"
        moved = before["councilTaxAccounts"][0]["reference"]
        async with fresh_postgres_database() as database_url:
            # The council rebuilds its gateway store from the same back offices (same Redis, same data dir):
            # the same people are linked again, under the same customer ids.
            rebuilt = cached(own_council, database_url=database_url)
            engine = create_engine(database_url)
            try:
                await migrate(engine)
                await council.seed_demo(rebuilt, IdentityHub.on(engine), residents=TEST_RESIDENTS, seed=7, reset=True)
            finally:
                await engine.dispose()
            # Then the revenues team moves the account to someone else: what the old store kept is now wrong.
            accounts = revenues_sql.accounts
            someone_else = (
                select(accounts.c.party_id)
                .where(accounts.c.reference != moved)
                .order_by(accounts.c.reference)
                .limit(1)
                .scalar_subquery()
            )
            await on_revenues(
                own_council, update(accounts).where(accounts.c.reference == moved).values(party_id=someone_else)
            )
            async with running_app(rebuilt) as (app, client):
                assert app.state.runtime.store_id != old_id
                after, kept = await from_redis(app, client, token)
                assert after["id"] == before["id"], "the rebuilt store names the resident as the old one did"
                assert not kept, "nothing the old store kept is served"
                assert moved not in [account["reference"] for account in after["councilTaxAccounts"]]
    finally:
        await redis.aclose()


async def test_a_restarted_store_keeps_its_identity_and_its_kept_answers(own_council, issuer, residents):
    redis = await redis_or_skip()
    try:
        async with running_app(cached(own_council)) as (app, client):
            first_id = app.state.runtime.store_id
            token, before = await payer(client, issuer, residents)
        async with running_app(cached(own_council)) as (app, client):
            assert app.state.runtime.store_id == first_id
            assert await from_redis(app, client, token) == (before, True), "what Redis kept before the restart"
    finally:
        await redis.aclose()


async def test_a_renewed_identity_leaves_what_was_kept_under_the_old_one_unread(own_council, issuer, residents):
    """After a restore from a backup: `customer360 store renew-id`, then the gateways restart."""
    redis = await redis_or_skip()
    try:
        async with running_app(cached(own_council)) as (app, client):
            old_id = app.state.runtime.store_id
            token, before = await payer(client, issuer, residents)
        engine = create_engine(own_council.gateway_database_url)
        try:
            new_id = await StoreIdentity(engine).renew()
            assert new_id != old_id and await StoreIdentity(engine).store_id() == new_id
        finally:
            await engine.dispose()
        async with running_app(cached(own_council)) as (app, client):
            assert app.state.runtime.store_id == new_id
            assert await from_redis(app, client, token) == (before, False)
    finally:
        await redis.aclose()


async def test_two_gateways_on_one_postgresql_store_share_its_identity_and_its_cache(own_council, issuer, residents):
    redis = await redis_or_skip()
    try:
        async with fresh_postgres_database() as database_url:
            shared = cached(own_council, database_url=database_url)
            engine = create_engine(database_url)
            try:
                await migrate(engine)
                await council.seed_demo(shared, IdentityHub.on(engine), residents=TEST_RESIDENTS, seed=7, reset=True)
            finally:
                await engine.dispose()
            async with running_app(shared) as (first, first_client), running_app(shared) as (second, second_client):
                assert first.state.runtime.store_id == second.state.runtime.store_id
                token, before = await payer(first_client, issuer, residents)
                kept_by_the_other = await from_redis(second, second_client, token)
                assert kept_by_the_other == (before, True), "kept by one worker, served by the other"
    finally:
        await redis.aclose()


async def test_gateways_starting_together_on_an_empty_postgresql_store_agree_on_one_identity():
    async with fresh_postgres_database() as database_url:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                START,
                database_url,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(4)
        ]
        outcomes = await asyncio.gather(*(replica.communicate() for replica in replicas))
        engine = create_engine(database_url)
        try:
            kept = await StoreIdentity(engine).store_id()
        finally:
            await engine.dispose()
    failed = [
        stderr.decode()[-1500:] for replica, (_, stderr) in zip(replicas, outcomes, strict=True) if replica.returncode
    ]
    assert failed == [], failed[0] if failed else ""
    assert [stdout.decode().strip() for stdout, _ in outcomes] == [kept] * 4
    assert len(kept) == 32


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_first_reads_racing_on_a_migrated_store_agree_on_one_identity(tmp_path: Path, backend: str):
    async def race(url: str) -> None:
        engines = [create_engine(url) for _ in range(6)]
        try:
            await migrate(engines[0])
            ids = await asyncio.gather(*(StoreIdentity(engine).store_id() for engine in engines))
            assert len(set(ids)) == 1
            assert await StoreIdentity(engines[0]).store_id() == ids[0], "read again: the same"
        finally:
            for engine in engines:
                await engine.dispose()

    if backend == "sqlite":
        await race(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await race(url)


async def test_two_stores_on_one_redis_never_share_a_portal_session():
    redis = await redis_or_skip()
    one, other = RedisPortalSessions.from_url(REDIS_URL, "store-a"), RedisPortalSessions.from_url(REDIS_URL, "store-b")
    try:
        await one.put("session:abc", "resident of store a", 60)
        assert await other.get("session:abc") is None
        assert await other.take("session:abc") is None
        await other.delete("session:abc")
        assert await one.get("session:abc") == "resident of store a"
    finally:
        await one.close()
        await other.close()
        await redis.aclose()


async def test_the_renew_id_command_gives_the_store_a_new_identity(tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    engine = create_engine(Settings(data_dir=data_dir).gateway_database_url)
    try:
        await migrate(engine)
        before = await StoreIdentity(engine).store_id()
        result = await asyncio.to_thread(run, "store", "renew-id", env={"C360_DATA_DIR": str(data_dir)})
        assert result.returncode == 0, result.stderr
        assert "restart every gateway" in result.stderr
        after = await StoreIdentity(engine).store_id()
        assert after != before and len(after) == 32
    finally:
        await engine.dispose()
