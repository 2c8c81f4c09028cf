"""A Redis that hangs (SIGSTOP) or dies: the API keeps answering from the back offices without a
multi-second stall, and when Redis returns nothing it should have forgotten is served.

Each test runs its own redis-server on a free port (the machine's is shared and never stopped).
Latency is measured by the drills; here only a generous bound proves "no stall".
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
import redis

from customer360.cache.guard import RECOVERY_GRACE_SECONDS
from customer360.cache.redis import KEY_PREFIX, RedisCache
from customer360.settings import Settings
from tests.support import free_port, graphql, running_app

ME = "{ me { id name complaints(first: 50) { totalCount } councilTaxAccounts { reference } } }"
COMPLAIN = """mutation { makeComplaint(input: {subject: "Bins", description: "Not collected on Tuesday."}) {
  complaint { reference } userErrors { code } } }"""
RECOVERED_WITHIN = RECOVERY_GRACE_SECONDS + 10


class OwnRedis:
    """A redis-server of this test's own, to pause, kill and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def hang(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()  # SIGKILL: ends a stopped process too
            self._process.wait()
            self._process = None


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def with_redis(settings: Settings, server: OwnRedis, **changes: object) -> Settings:
    return replace(settings, cache_enabled=True, cache_ttl_seconds=300.0, redis_url=server.url, **changes)  # type: ignore[arg-type]


def source_calls(app) -> float:
    return sum(
        sample.value
        for metric in app.state.runtime.metrics.registry.collect()
        if metric.name == "customer360_source_calls"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def circuit_open(app) -> float | None:
    return app.state.runtime.metrics.registry.get_sample_value("customer360_redis_circuit_open")


async def me(client, token) -> dict:
    body = (await graphql(client, ME, token)).json()
    assert "errors" not in body, body
    return body["data"]["me"]


async def complain(client, token) -> None:
    made = (await graphql(client, COMPLAIN, token)).json()["data"]["makeComplaint"]
    assert made["userErrors"] == []


def redis_timeouts(app) -> float:
    return (
        app.state.runtime.metrics.registry.get_sample_value("customer360_redis_errors_total", {"reason": "timeout"})
        or 0.0
    )


async def ten_reads_without_a_stall(app, client, token, expected: dict) -> None:
    # Counted, not timed (a busy machine makes ten reads slow): a read stalls on Redis only by waiting
    # out a call's timeout, and once the circuit is open (or Redis refuses at once) none does.
    timeouts = redis_timeouts(app)
    answers = [await me(client, token) for _ in range(10)]
    assert all(answer == expected for answer in answers), "answered from the back offices, correctly"
    assert redis_timeouts(app) == timeouts, "a read waited on Redis: the API stalls on it"


async def until_kept_answers_are_served_again(app, client, token, complaints: int) -> None:
    """`me` until one is answered from a kept answer in Redis (no back-office call, Redis trusted again):
    every answer on the way, and that one, must show the resident's own write."""
    deadline = time.monotonic() + RECOVERED_WITHIN
    while True:
        calls = source_calls(app)
        answer = await me(client, token)
        assert answer["complaints"]["totalCount"] == complaints, "an answer from before the write was served"
        if source_calls(app) == calls and app.state.runtime.redis.reads_trusted():
            return  # served from Redis again (while it is away, a kept answer comes from memory)
        assert time.monotonic() < deadline, "the cache never came back into use"
        await asyncio.sleep(0.3)


async def test_a_hung_redis_neither_stalls_me_nor_serves_a_forgotten_answer_when_it_returns(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        async with running_app(with_redis(own_council, server)) as (app, client):
            before = await me(client, token)
            assert await me(client, token) == before  # kept in Redis
            server.hang()
            try:
                started = time.monotonic()
                together = await asyncio.gather(*(me(client, token) for _ in range(10)))
                assert all(answer == before for answer in together)
                assert time.monotonic() - started < 5, "concurrent reads stall on the hung Redis"
                await ten_reads_without_a_stall(app, client, token, before)
                assert circuit_open(app) == 1
                ready = await client.get("/readyz")
                assert ready.status_code == 200 and ready.json()["redis"] == "circuit_open"  # served, uncached
                await complain(client, token)  # the resident's own write, while Redis hangs
                during = await me(client, token)
                assert during["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
            finally:
                server.resume()
            await until_kept_answers_are_served_again(app, client, token, before["complaints"]["totalCount"] + 1)
            assert circuit_open(app) == 0
            assert (await client.get("/readyz")).json()["redis"] == "up"


async def test_workers_sharing_a_hung_redis_never_serve_an_answer_another_worker_forgot(own_council, issuer, residents):
    """The write goes through one worker while Redis hangs; the next read through the other, which
    had kept the answer from before: it must not serve it once Redis returns."""
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        settings = with_redis(own_council, server)
        async with running_app(settings) as (_a, writer), running_app(settings) as (reader_app, reader):
            before = await me(reader, token)
            assert await me(reader, token) == before  # kept in Redis by the reader
            server.hang()
            try:
                assert await me(reader, token) == before  # the reader sees the outage too
                await complain(writer, token)
            finally:
                server.resume()
            await until_kept_answers_are_served_again(reader_app, reader, token, before["complaints"]["totalCount"] + 1)


async def test_a_killed_redis_costs_no_stall_and_a_restarted_one_is_used_again(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        async with running_app(with_redis(own_council, server)) as (app, client):
            before = await me(client, token)
            server.kill()
            await ten_reads_without_a_stall(app, client, token, before)
            await complain(client, token)
            server.start()  # same port, empty (no persistence)
            await until_kept_answers_are_served_again(app, client, token, before["complaints"]["totalCount"] + 1)


@pytest.mark.parametrize("outage", ["hung", "killed"])
async def test_rate_limits_count_in_process_while_redis_is_away(demo_settings, issuer, residents, outage):
    """Limits still hold (per worker) while Redis is away, instead of letting everything through."""
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        settings = with_redis(demo_settings, server, rate_limit_per_principal=5)
        async with running_app(settings) as (_app, client):
            server.hang() if outage == "hung" else server.kill()
            try:
                statuses = [(await graphql(client, "{ me { id } }", token)).status_code for _ in range(6)]
            finally:
                if outage == "hung":
                    server.resume()
    assert statuses == [200] * 5 + [429]


async def test_a_delete_made_while_redis_hangs_reaches_it_when_it_returns_without_another_request():
    """Other workers count on it (cache/guard.py): the owed delete is sent from the background."""
    with own_redis() as server:
        cache = RedisCache.from_url(server.url, encryption_key=b"0" * 43 + b"=", store_id="s1")
        raw = redis.Redis.from_url(server.url)
        try:
            await cache.set_many({"views.generation:C1": "g1"}, 300)
            assert raw.exists(f"{KEY_PREFIX}s1:views.generation:C1")
            server.hang()
            try:
                for _ in range(3):  # the reads that open the circuit: the delete below is never sent
                    assert await cache.get_many(["views.generation:C1"]) == {}
                started = time.monotonic()
                await cache.delete_many(["views.generation:C1"])
                assert time.monotonic() - started < 1, "a delete must not wait on a hung Redis"
                assert cache.unsent_deletes == 1
            finally:
                server.resume()
            deadline = time.monotonic() + RECOVERED_WITHIN
            while raw.exists(f"{KEY_PREFIX}s1:views.generation:C1") or cache.unsent_deletes:
                assert time.monotonic() < deadline, "the owed delete never reached Redis"
                await asyncio.sleep(0.1)
        finally:
            raw.close()
            await cache.close()


async def test_while_redis_hangs_answers_are_kept_in_memory_and_forgotten_by_any_workers_write(
    own_council, issuer, residents
):
    """Kept answers survive a Redis outage (a worker keeps them in its own memory, so `me` costs no
    back-office call), and a write through another worker is seen by the next read all the same."""
    token = issuer.resident_token(residents[0]["email"])
    with own_redis() as server:
        settings = with_redis(own_council, server)
        async with running_app(settings) as (_w, writer), running_app(settings) as (reader_app, reader):
            before = await me(reader, token)
            server.hang()
            try:
                assert await me(reader, token) == before  # opens the circuit; computed afresh
                while circuit_open(reader_app) != 1:
                    await me(reader, token)
                assert await me(reader, token) == before  # kept in the reader's memory now
                calls = source_calls(reader_app)
                assert await me(reader, token) == before
                assert source_calls(reader_app) == calls, "a kept answer costs no back-office call"
                await complain(writer, token)  # through the other worker, Redis still hung
                after = await me(reader, token)
                assert after["complaints"]["totalCount"] == before["complaints"]["totalCount"] + 1
                calls = source_calls(reader_app)
                assert await me(reader, token) == after  # and that answer is kept in turn
                assert source_calls(reader_app) == calls
            finally:
                server.resume()
            await until_kept_answers_are_served_again(reader_app, reader, token, before["complaints"]["totalCount"] + 1)


async def test_while_redis_hangs_a_sign_in_kept_in_memory_follows_a_merge_made_through_another_worker(
    own_council, issuer, residents, staff_token
):
    """A worker keeps who a resident signs in as while Redis is away; a steward's merge through another
    worker renews the identity epoch in the store, so the next read signs the resident in to the survivor."""
    from customer360.auth.principal import Role
    from tests.test_stewardship import MERGE

    token = issuer.resident_token(residents[0]["email"])
    survivor, merged = residents[1]["customer_id"], residents[0]["customer_id"]
    with own_redis() as server:
        settings = with_redis(own_council, server)
        async with running_app(settings) as (_w, writer), running_app(settings) as (reader_app, reader):
            server.hang()
            try:
                while circuit_open(reader_app) != 1:
                    await me(reader, token)
                assert (await me(reader, token))["id"] == merged  # signed in from memory now
                variables = {"survivor": survivor, "merged": merged}
                answer = (await graphql(writer, MERGE, staff_token(Role.DATA_STEWARD), variables)).json()
                assert answer["data"]["mergeCustomers"]["userErrors"] == [], answer
                assert (await me(reader, token))["id"] == survivor
            finally:
                server.resume()
