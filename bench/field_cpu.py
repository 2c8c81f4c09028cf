"""Event-loop CPU per request of the staff page and cold `me`, in process (issue 25, goal 4).

The app is driven over ASGI (no server, no wrk) so that the figure is the gateway's own CPU for one
request, `time.process_time` around N requests after a warm-up, the cache off so every `me` is cold.
Run it on a council seeded once (`customer360 demo seed`), e.g. against two checkouts in turn:

    C360_ENV=demo C360_DATA_DIR=/tmp/council .venv/bin/customer360 demo seed
    .venv/bin/python bench/field_cpu.py /tmp/council --pages 4 --mes 40

It prints one JSON line: CPU ms per page and per cold `me` (the process's, and the event-loop thread's
own), and the bodies' sizes (a cheap check that both checkouts answered the same shape). Run it under
`py-spy record --gil` for a profile of the same loop.

`--served` freezes the heap once the app has started, as `customer360 serve` does (customer360/heap.py):
without it a full collection walks the whole start-up heap about every second page (some 190 ms each),
which a served worker does not pay and which lands in the rounds at random. `--gc-threshold 2000,10,100`
sets the collector's thresholds once the app has started (after the freeze with `--served`): a candidate
setting, measured against the default in alternated processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import queries  # noqa: E402
from bench.run import gateway_env  # noqa: E402  (the server runs' settings: limits lifted, back offices apart)


async def measure(
    data_dir: Path, pages: int, mes: int, rounds: int, *, served: bool, gc_threshold: tuple[int, ...] | None
) -> dict[str, object]:
    import gc

    import httpx
    from asgi_lifespan import LifespanManager

    from customer360.app import create_app
    from customer360.auth.keys import load_or_create_signing_key
    from customer360.auth.principal import Role
    from customer360.auth.tokens import DemoIssuer
    from customer360.cli import _residents
    from customer360.heap import frozen_once_started
    from customer360.settings import Settings

    settings = Settings.from_env({**os.environ, **gateway_env(data_dir, delay_ms=0, cache=False, port=8000)})
    issuer = DemoIssuer(load_or_create_signing_key(data_dir))
    emails = [json.loads(line)["email"] for line in await _residents(settings, 20)]
    residents = [issuer.resident_token(email) for email in emails]
    staff = issuer.staff_token("Bench Staff", [Role.CUSTOMER_SERVICES])
    app = frozen_once_started(create_app(settings)) if served else create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=60) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway.test") as client,
    ):
        if gc_threshold:
            gc.set_threshold(*gc_threshold)

        async def ask(query: str, token: str) -> bytes:
            headers = {"Authorization": f"Bearer {token}", "X-Access-Purpose": "bench"}
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            assert response.status_code == 200 and b'"errors"' not in response.content, response.content[:300]
            return response.content

        sizes = {"page": len(await ask(queries.STAFF_PAGE, staff)), "me": len(await ask(queries.ME, residents[0]))}
        figures: dict[str, list[float]] = {
            f"{name}_{figure}": [] for name in ("page", "me") for figure in ("cpu_ms", "loop_ms", "gc_ms", "full_gcs")
        }
        pauses = _CollectorPauses()
        gc.callbacks.append(pauses.callback)
        for _ in range(rounds):
            for name, query, count in (("page", queries.STAFF_PAGE, pages), ("me", queries.ME, mes)):
                # The process's CPU (with the SQLite threads of the demo's back offices) and the
                # event-loop thread's own, where GraphQL execution runs.
                process, loop, paused, full = time.process_time(), time.thread_time(), pauses.ms, pauses.full
                for i in range(count):
                    await ask(query, staff if name == "page" else residents[i % len(residents)])
                figures[f"{name}_cpu_ms"].append((time.process_time() - process) * 1000 / max(count, 1))
                figures[f"{name}_loop_ms"].append((time.thread_time() - loop) * 1000 / max(count, 1))
                figures[f"{name}_gc_ms"].append((pauses.ms - paused) / max(count, 1))
                figures[f"{name}_full_gcs"].append((pauses.full - full) / max(count, 1))
        gc.callbacks.remove(pauses.callback)
    return {**figures, "bytes": sizes, "load": os.getloadavg()[0], "served": served, "gc_threshold": gc.get_threshold()}


class _CollectorPauses:
    """Every collection's pause (ms, all generations) and the number of full ones, from `gc.callbacks`."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.full = 0
        self._started = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.ms += (time.perf_counter() - self._started) * 1000
        self.full += info["generation"] == 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--mes", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--served", action="store_true", help="freeze the heap once started, as `serve` does")
    parser.add_argument("--gc-threshold", help="the collector's thresholds once started, e.g. 2000,10,100")
    args = parser.parse_args()
    threshold = tuple(int(n) for n in args.gc_threshold.split(",")) if args.gc_threshold else None
    figures = measure(args.data_dir, args.pages, args.mes, args.rounds, served=args.served, gc_threshold=threshold)
    print(json.dumps(asyncio.run(figures)))


if __name__ == "__main__":
    main()
