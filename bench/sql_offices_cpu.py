"""The gateway's CPU per cold `me` with its SQL back offices on SQLite and on PostgreSQL, alternated (issue 25).

Starts `customer360 serve` (cache off, one worker) three times on one seeded council: the demo as
`bench/run.py` serves it (the SQL back offices SQLite files read in the gateway's process), the same
offices named in a `C360_SOURCES` file (still SQLite: a control, so a difference is the engine's and not
the configured gateway's), and that file pointing at PostgreSQL databases of their own
(`bench/pg_back_offices.py`). Then, round after round, the same wrk load on each in turn, reading the
server process's CPU from /proc before and after (every thread of it, none of its children: not the
back-office process, not PostgreSQL), and its event-loop thread's own (the main thread: GraphQL, SQLAlchemy,
asyncpg's protocol; the rest is aiosqlite's threads, where SQLite itself runs):

    .venv/bin/python bench/sql_offices_cpu.py --rounds 3 --seconds 10 --delay 20

It prints one line per measurement and a table: per configuration, the median and range over the rounds
of CPU ms per request, requests per second and p50, with the machine's 1-minute load at start and end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import pg_back_offices, queries  # noqa: E402
from bench.run import (  # noqa: E402
    EXPECT_ME,
    Load,
    SqlOfficeUrls,
    cpu_seconds,
    graphql,
    log,
    postgres_offices,
    prepare,
    serve_gateway,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration per measurement")
    parser.add_argument("--delay", type=int, default=20, help="injected source delay, ms")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--residents", type=int, default=40, help="residents' tokens to rotate over")
    parser.add_argument("--postgres-url", default=pg_back_offices.DEFAULT_ADMIN_URL)
    args = parser.parse_args()

    from customer360.demo import council
    from customer360.settings import Settings

    with tempfile.TemporaryDirectory(prefix="c360-sql-offices-") as tmp, contextlib.ExitStack() as stack:
        fx = prepare(Path(tmp), args.residents)
        on_postgres = stack.enter_context(postgres_offices(fx, args.postgres_url))
        if on_postgres is None:
            raise SystemExit(f"no PostgreSQL at {args.postgres_url}")
        seeded = Settings.from_env({"C360_ENV": "demo", "C360_DATA_DIR": str(fx.seed_dir)})
        sql_offices = set(on_postgres.urls)
        on_sqlite_files = SqlOfficeUrls(
            {system: url for system, url in council.database_urls(seeded).items() if system in sql_offices}
        )
        configurations = {
            "demo (SQLite in process)": None,
            "C360_SOURCES, SQLite files (control)": on_sqlite_files,
            "C360_SOURCES, PostgreSQL": on_postgres,
        }
        servers = {
            label: stack.enter_context(
                serve_gateway(fx, f"cpu-{index}", delay_ms=args.delay, cache=False, sql_offices=offices)
            )
            for index, (label, offices) in enumerate(configurations.items())
        }
        tokens = fx.resident_tokens.read_text().split()
        answers = {label: graphql(server.graphql_url, queries.ME, tokens[0]) for label, server in servers.items()}
        if any(answer != answers["demo (SQLite in process)"] for answer in answers.values()):
            raise SystemExit("bench: the configurations answer `me` differently")
        for server in servers.values():  # warm-up: imports, pools, prepared statements
            wrk("warm-up", server.graphql_url, fx.bodies["me"], tokens_file=fx.resident_tokens, expect=EXPECT_ME,
                connections=args.connections, threads=1, duration=2, quiet=True)  # fmt: skip
        loads: dict[str, list[Load]] = {label: [] for label in servers}
        loop_ms: dict[str, list[float]] = {label: [] for label in servers}
        start_load = os.getloadavg()
        for round_number in range(1, args.rounds + 1):
            for label, server in servers.items():
                loop_before = _main_thread_cpu_seconds(server.pid)
                load = wrk(f"round {round_number}: {label}", server.graphql_url, fx.bodies["me"],
                           tokens_file=fx.resident_tokens, expect=EXPECT_ME, connections=args.connections,
                           threads=1, duration=args.seconds, pid=server.pid)  # fmt: skip
                if not load.clean:
                    raise SystemExit(f"bench: errors in {label}: {load}")
                loads[label].append(load)
                loop_ms[label].append((_main_thread_cpu_seconds(server.pid) - loop_before) * 1000 / load.requests)
                print(json.dumps({"round": round_number, "configuration": label, "cpu_ms": load.cpu_ms_per_request,
                                  "loop_ms": loop_ms[label][-1], "rps": load.rps, "p50_ms": load.p50_ms,
                                  "load": load.load_before}))  # fmt: skip
        end_load = os.getloadavg()
    print(
        f"\ncold `me`, delay {args.delay} ms, wrk -t1 -c{args.connections} {args.seconds} s x {args.rounds} rounds, "
        f"1-minute load {start_load[0]:.2f} -> {end_load[0]:.2f}\n"
    )
    print("| configuration | gateway CPU ms per request | of which the event-loop thread | RPS | p50 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, runs in loads.items():
        cpu = [run.cpu_ms_per_request or 0.0 for run in runs]
        print(
            f"| {label} | {_spread(cpu)} | {_spread(loop_ms[label])} | {_spread([run.rps for run in runs], 0)} | "
            f"{_spread([run.p50_ms for run in runs])} |"
        )
    log("done")


def _main_thread_cpu_seconds(pid: int) -> float:
    """The main thread's CPU (uvicorn runs the event loop there); the process's thread ids start with it."""
    return cpu_seconds(pid, thread=pid)


def _spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


if __name__ == "__main__":
    main()
