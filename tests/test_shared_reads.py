"""Shared reads: residents asking for the same catalogue at once cost its back office one read.

Before, fifty residents' first reports at once (tests/test_lock_budget.py) each read the street-scene
catalogue (services.json and one definition per service), so the back office had some 300 requests to
answer at once; on a busy machine five catalogue reads in a row ran past the source timeout, the
circuit opened, and the reports' own deliveries found it open and were left to the relay."""

from __future__ import annotations

import asyncio

import pytest

from customer360.cache.base import NoCache, ReadThrough, Stale
from customer360.cache.memory import MemoryCache
from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.errors import SourceUnavailable
from tests.support import graphql, running_app, settings_with

SERVICES = "{ services { code name } }"


class Source:
    """A back office whose answers wait until `answer` is set: every read under way meanwhile is seen."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.answer = asyncio.Event()
        self.fails = False

    async def fetch(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(keys)
        call = len(self.calls)
        await self.answer.wait()
        if self.fails:
            raise SourceUnavailable(SourceSystem.STREET_SCENE, "down")
        return {key: f"{key} #{call}" for key in keys}


def catalogue_read(read_through: ReadThrough, source: Source) -> asyncio.Task[list[str]]:
    return asyncio.create_task(read_through.get_many("street_scene.services", ["all"], source.fetch, str, shared=True))


@pytest.mark.parametrize("cache", [NoCache, MemoryCache], ids=["cache off", "cold cache"])
async def test_concurrent_shared_reads_of_the_same_keys_make_one_call_and_each_gets_its_answer(cache):
    read_through = ReadThrough(cache(), Metrics(), 60.0)
    source = Source()
    readers = [catalogue_read(read_through, source) for _ in range(20)]
    await asyncio.sleep(0.05)
    source.answer.set()
    assert await asyncio.gather(*readers) == [["all #1"]] * 20
    assert source.calls == [["all"]]


class CountedWrites(MemoryCache):
    """The in-process cache, counting the writes it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def set_many(self, items, ttl_seconds):  # type: ignore[no-untyped-def]
        self.writes += 1
        await super().set_many(items, ttl_seconds)


async def test_a_shared_reads_answers_are_kept_once_not_by_every_caller_waiting_on_it():
    cache = CountedWrites()
    read_through = ReadThrough(cache, Metrics(), 60.0)
    source = Source()
    readers = [catalogue_read(read_through, source) for _ in range(20)]
    await asyncio.sleep(0.05)
    source.answer.set()
    await asyncio.gather(*readers)
    assert cache.writes == 1
    assert await read_through.get_many("street_scene.services", ["all"], source.fetch, str) == ["all #1"]


async def test_reads_not_shared_each_call_the_source():
    read_through = ReadThrough(NoCache(), Metrics(), 60.0)
    source = Source()
    source.answer.set()
    await asyncio.gather(*(read_through.get_many("crm.contacts", ["c1"], source.fetch, str) for _ in range(3)))
    assert source.calls == [["c1"]] * 3


async def test_a_shared_read_that_fails_fails_each_caller_and_the_next_read_asks_again():
    read_through = ReadThrough(NoCache(), Metrics(), 60.0)
    source = Source()
    source.fails = True
    readers = [catalogue_read(read_through, source) for _ in range(3)]
    await asyncio.sleep(0.05)
    source.answer.set()
    outcomes = await asyncio.gather(*readers, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [SourceUnavailable] * 3
    source.fails = False
    assert await read_through.get_many("street_scene.services", ["all"], source.fetch, str, shared=True) == ["all #2"]


async def test_a_caller_cut_short_leaves_the_read_to_the_others():
    read_through = ReadThrough(NoCache(), Metrics(), 60.0)
    source = Source()
    first, second = catalogue_read(read_through, source), catalogue_read(read_through, source)
    await asyncio.sleep(0.05)
    first.cancel()  # its request timed out
    await asyncio.sleep(0)
    source.answer.set()
    assert await second == ["all #1"]
    assert first.cancelled() and source.calls == [["all"]]


async def test_a_read_after_a_change_does_not_join_one_that_started_before_it():
    read_through = ReadThrough(NoCache(), Metrics(), 60.0)
    source = Source()
    before = catalogue_read(read_through, source)
    await asyncio.sleep(0.05)
    await read_through.forget(Stale(keys=[("street_scene.services", "all")]))
    after = catalogue_read(read_through, source)
    await asyncio.sleep(0.05)
    source.answer.set()
    assert await before == ["all #1"]
    assert await after == ["all #2"], "the read after the change asked the back office itself"
    assert source.calls == [["all"], ["all"]]


async def test_residents_asking_for_the_catalogue_at_once_cost_each_back_office_one_read(demo_settings):
    # Each back-office call waits 300 ms first (the demo's injected latency): the requests overlap.
    settings = settings_with(demo_settings, demo_source_latency_ms=300)
    async with running_app(settings) as (app, client):
        metrics = app.state.runtime.metrics
        before = metrics.source_call_count(SourceSystem.STREET_SCENE.value, "services")
        answers = await asyncio.gather(*(graphql(client, SERVICES) for _ in range(10)))
        calls = metrics.source_call_count(SourceSystem.STREET_SCENE.value, "services") - before
    bodies = [answer.json() for answer in answers]
    assert all("errors" not in body for body in bodies)
    assert all(body == bodies[0] for body in bodies) and "LITTER" in {s["code"] for s in bodies[0]["data"]["services"]}
    assert calls == 1, "ten residents at once, one catalogue read"
