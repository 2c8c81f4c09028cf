"""Back-office calls per pass: the old arrivals pass (every person in every back office listed) against
the change feeds that replace it, on the demo council.

    python bench/feed_calls.py                     # the demo council's default size (2,000 residents)
    python bench/feed_calls.py --residents 300

Seeds the demo council into a temporary data dir, then counts what one pass asks of the back offices:
each SQL statement sent to a back office's database and each HTTP request to the HTTP ones (Open311,
the payment provider), with the rows (people or changes) that came back. A pass of the feeds here
reads from a cursor one interval old, with nothing changed meanwhile: the cost a quiet council pays
every interval (from the cursors a first read kept). Printed as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import event

from customer360.demo import council
from customer360.identity.linking import IdentityHub
from customer360.metrics import Metrics
from customer360.settings import Settings
from customer360.sources.change_feeds import change_feeds
from customer360.sources.instrumented import circuit_breakers
from customer360.sources.registry import build_sources, needs_engine
from customer360.sources.sql_changes import PEOPLE_MARGIN
from customer360.store.database import create_engine, migrate


async def measure(residents: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), cache_enabled=False)
        gateway = create_engine(settings.gateway_database_url)
        await migrate(gateway)
        await council.seed_demo(settings, IdentityHub.on(gateway), residents=residents, reset=True)
        await gateway.dispose()
        calls: Counter[str] = Counter()
        engines = council.DemoEngines.open(settings)
        configs = council.source_configs(settings, "http://127.0.0.1")
        for system in (system for system, config in configs.items() if needs_engine(config)):
            # The SQL offices' databases only: the HTTP offices' are the demo servers' own, not our calls.
            engine = engines.engines[system]
            event.listen(engine.sync_engine, "before_cursor_execute", lambda *_, s=system.value: calls.update([s]))

        async def counted(request: httpx.Request) -> None:
            calls.update([request.url.path.split("/")[1] or "http"])

        try:
            async with (
                council.running_backoffices(settings, engines) as base_url,
                httpx.AsyncClient(timeout=60, event_hooks={"request": [counted]}) as client,
            ):
                configs = council.source_configs(settings, base_url)
                sources = build_sources(
                    configs,
                    engines=engines.engines,
                    http_client=client,
                    metrics=Metrics(),
                    breakers=circuit_breakers(),
                    timeout_seconds=60,
                )
                calls.clear()
                started = time.perf_counter()
                listed = 0
                for source in sources.by_system().values():  # what the arrivals pass did every interval
                    listed += len(await source.person_records())
                arrivals_seconds = time.perf_counter() - started
                arrivals_calls = sum(calls.values())
                arrivals_by = dict(calls)

                feeds = change_feeds(configs, client, engines.engines)
                await asyncio.sleep(PEOPLE_MARGIN.total_seconds() + 1)  # the seed's own writes are behind us
                since = datetime.now(UTC).isoformat()
                cursors = {feed.system: (await feed.changes_since(since)).cursor for feed in feeds}  # a first read
                calls.clear()
                started = time.perf_counter()
                rows = 0
                per_feed: dict[str, int] = {}
                for feed in feeds:  # a pass as every interval makes it, from the cursors the last one kept
                    before = sum(calls.values())
                    batch = await feed.changes_since(cursors[feed.system])
                    rows += len(batch.changes) + len(batch.people)
                    per_feed[feed.system.value] = sum(calls.values()) - before
                feeds_seconds = time.perf_counter() - started
                feeds_by = dict(calls)
        finally:
            await engines.dispose()
    return {
        "residents": residents,
        "arrivals_pass": {
            "calls": arrivals_calls,
            "by": arrivals_by,
            "people_listed": listed,
            "seconds": round(arrivals_seconds, 3),
        },
        "feeds_pass": {
            "calls": sum(per_feed.values()),
            "per_feed": per_feed,
            "by": feeds_by,
            "rows": rows,
            "seconds": round(feeds_seconds, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=council.DEFAULT_RESIDENTS)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.residents)), indent=2))


if __name__ == "__main__":
    main()
