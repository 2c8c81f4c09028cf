"""What remembering accounts as last seen costs a live read, and what the fallback costs a write while
an office is down (store/accounts_seen.py).

    python bench/accounts_seen.py                                     # a temporary SQLite store
    python bench/accounts_seen.py --url postgresql+asyncpg://127.0.0.1:5432/some_empty_database

One holder per call, as a resident's `me { councilTaxAccounts }` read remembers their party's accounts:
the first read in an hour writes (delete then insert, one transaction); later unchanged reads are skipped
in memory; a write while REVENUES is down reads them back once. Printed as JSON, CPU time (this process:
the gateway's share) and wall time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.systems import SourceSystem
from customer360.store.accounts_seen import AccountsSeenStore
from customer360.store.database import create_engine, migrate

REVENUES = SourceSystem.REVENUES


async def per_call(calls: int, step: Callable[[int], Awaitable[object]]) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(calls):
        await step(i)
    return {
        "cpu_ms": round((time.process_time() - cpu) * 1000 / calls, 3),
        "wall_ms": round((time.perf_counter() - wall) * 1000 / calls, 3),
    }


async def measure(url: str, holders: int) -> dict[str, object]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        store = AccountsSeenStore(engine)

        def accounts(i: int) -> list[AccountHeld]:
            return [AccountHeld(f"CT{i:08d}", None), AccountHeld(f"CX{i:08d}", None)]

        return {
            "holders": holders,
            "first_read_in_the_hour_writes": await per_call(
                holders, lambda i: store.remember(REVENUES, {f"P{i}": accounts(i)})
            ),
            "unchanged_read_skipped": await per_call(
                holders, lambda i: store.remember(REVENUES, {f"P{i}": accounts(i)})
            ),
            "write_while_down_reads_back": await per_call(holders, lambda i: store.last_seen(REVENUES, [f"P{i}"])),
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an empty store (default: a temporary SQLite file)")
    parser.add_argument("--holders", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite+aiosqlite:///{Path(directory) / 'store.db'}"
        print(json.dumps(asyncio.run(measure(url, args.holders)), indent=2))


if __name__ == "__main__":
    main()
