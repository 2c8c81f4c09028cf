"""Check-then-write locks under pressure.

A lock held elsewhere past the wait budget is the BUSY userError, in well under the request timeout
(never INTERNAL_ERROR, nothing kept, a retry goes through). And check locks are never held while
a delivery waits for its first-record lock: many residents' first writes at once on one worker,
with a lock pool smaller than their number, are all kept and delivered at once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import create_async_engine

from customer360.clock import london_today
from customer360.demo import council
from customer360.identity.linking import IdentityHub
from customer360.store.database import create_engine, migrate
from customer360.store.locks import WAIT_SECONDS, AdvisoryLocks, LeaseLocks
from tests.conftest import TEST_RESIDENTS
from tests.services import fresh_postgres_database
from tests.support import graphql, running_app, settings_with
from tests.test_concurrent_requests import LINKS
from tests.test_moving_and_housing import MOVE, mover, new_home
from tests.test_report_issue import HERE, REPORT, litter_answers


async def test_a_lock_held_elsewhere_past_the_budget_is_busy_then_a_retry_is_kept(own_council, issuer, residents):
    async with running_app(own_council) as (app, client):
        token, _me, account = await mover(client, issuer, residents, systems={"REVENUES"})
        principal = await app.state.runtime.authenticate(f"Bearer {token}")
        move = {
            "input": {
                "kind": "WITHIN",
                "moveDate": (london_today() - timedelta(days=1)).isoformat(),
                "newUprn": new_home(account["propertyAddress"]["uprn"]),
            }
        }
        engine = create_engine(own_council.gateway_database_url)
        elsewhere = LeaseLocks(engine, holder="another-worker")  # a worker busy with this resident's move
        try:
            async with elsewhere.hold(f"customer:{principal.customer_id}:move"):
                started = time.monotonic()
                answers = await asyncio.gather(*(graphql(client, MOVE, token, move) for _ in range(2)))
                waited = time.monotonic() - started
            assert [answer.status_code for answer in answers] == [200, 200]
            for answer in answers:
                body = answer.json()
                assert "errors" not in body, "a busy lock is not INTERNAL_ERROR"
                assert body["data"]["notifyMove"]["request"] is None
                assert [(e["field"], e["code"]) for e in body["data"]["notifyMove"]["userErrors"]] == [(None, "BUSY")]
            assert waited < WAIT_SECONDS + 3 < own_council.request_timeout_seconds
            kept = (await app.state.runtime.outbox.submissions_by_customer([principal.customer_id])).get(
                principal.customer_id, []
            )
            assert [s for s in kept if s.kind == "move"] == [], "nothing kept: a retry is safe"
        finally:
            await engine.dispose()

        retries = await asyncio.gather(*(graphql(client, MOVE, token, move) for _ in range(2)))
        payloads = [answer.json()["data"]["notifyMove"] for answer in retries]
        assert sorted(e["code"] for p in payloads for e in p["userErrors"]) == ["ALREADY_TOLD"]
        assert len([p for p in payloads if not p["userErrors"]]) == 1


async def test_first_writes_by_more_residents_than_lock_sessions_are_all_kept_and_delivered(
    own_council, issuer, residents
):
    async with fresh_postgres_database() as url:
        settings = settings_with(own_council, database_url=url)
        engine = create_engine(url)
        try:
            await migrate(engine)
            await council.seed_demo(settings, IdentityHub.on(engine), residents=TEST_RESIDENTS, seed=7, reset=True)
        finally:
            await engine.dispose()
        async with running_app(settings) as (app, client):
            await first_reports_through_a_small_lock_pool(app, client, url, issuer, residents)


async def first_reports_through_a_small_lock_pool(app, client, url, issuer, residents) -> None:
    runtime = app.state.runtime
    # One worker with a lock pool of 3 sessions (the real one has 20); a 15 s wait budget, ample once
    # nothing nests: before, every check lock held a session while its delivery waited for another.
    pool = create_async_engine(url, pool_size=1, max_overflow=2, pool_timeout=15, hide_parameters=True)
    locks = AdvisoryLocks(pool, wait_seconds=15.0)
    runtime.services.writes.locks = locks
    runtime.services.writes.deliverer.locks = locks
    try:
        tokens = []
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, LINKS, token)).json()["data"]["me"]
            if me and "STREET_SCENE" not in {link["system"] for link in me["linkedRecords"]}:
                tokens.append(token)
        # Eight residents (16 requests at once) are well past 3 lock sessions, which is all this shows. With
        # 25, one first delivery was now and then left to the relay: their reports each read the street-scene
        # catalogue, its reads timed out and opened its circuit (now they share one: tests/test_shared_reads.py).
        # 25 still is not kept: the work through 3 sessions grows with the residents, and on a machine loaded
        # past 8 it outlasts the 15 s lock budget (BUSY, as it should be), which is time, not locks.
        tokens = tokens[:8]
        assert len(tokens) > 3, "more residents than lock sessions"
        attributes = await litter_answers(client)

        def report(i: int) -> dict:
            # A grid of places 200 m apart: distinct reports, all inside the borough however many residents.
            where = {
                **HERE,
                "latitude": HERE["latitude"] + 0.002 * (i % 5),
                "longitude": HERE["longitude"] + 0.003 * (i // 5),
            }
            return {
                "input": {
                    "serviceCode": "LITTER",
                    "description": "Bags split",
                    "location": where,
                    "attributes": attributes,
                }
            }

        # Each resident's first report to STREET_SCENE, sent twice at once (a double click).
        started = time.monotonic()
        answers = await asyncio.gather(
            *(graphql(client, REPORT, token, report(i)) for i, token in enumerate(tokens) for _ in range(2))
        )
        took = time.monotonic() - started
        bodies = [answer.json() for answer in answers]
        assert [b.get("errors") for b in bodies] == [None] * len(bodies), "no INTERNAL_ERROR"
        payloads = [b["data"]["reportIssue"] for b in bodies]
        for i in range(len(tokens)):
            pair = payloads[2 * i : 2 * i + 2]
            kept = [p for p in pair if not p["userErrors"]]
            assert len(kept) == 1, pair
            assert kept[0]["request"]["delivery"]["state"] == "DELIVERED", "delivered at once, not left to the relay"
            assert [p["userErrors"][0]["code"] for p in pair if p["userErrors"]] != ["BUSY"]
        print(f"{len(tokens)} residents x2 through 3 lock sessions in {took:.2f}s")

        retry = (await graphql(client, REPORT, tokens[0], report(0))).json()["data"]["reportIssue"]
        assert retry["userErrors"] and retry["userErrors"][0]["code"] != "BUSY"
    finally:
        await pool.dispose()
