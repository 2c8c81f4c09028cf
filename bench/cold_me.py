"""Cold `me` against a real server, one connection: p50 and the server's CPU per request (issue 25, goal 3).

The same pieces as `bench/run.py`'s cold rows (a seeded council, `customer360 serve` with the demo's
HTTP back offices in their own process, wrk `-t1 -c1` rotating over residents' tokens, cache off), for
one or more checkouts alternated in one run, so a change is measured beside what it changes:

    .venv/bin/python bench/cold_me.py --tree /work/wt/base --tree . --delay 20 --rounds 3

Each checkout's server imports its own code (`PYTHONPATH`); every run gets a fresh copy of the council.
The server's CPU is read from `/proc/PID/stat` (the gateway process and its threads, not the back-office
child) before and after wrk, so it is the gateway's own CPU per request whatever else loads the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import queries  # noqa: E402
from bench.run import (  # noqa: E402
    EXPECT_ME,
    Fixture,
    free_port,
    gateway_env,
    graphql,
    prepare,
    serving,
    venv_bin,
    wrk,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure(fx: Fixture, tree: Path, name: str, *, delay_ms: int, seconds: int) -> dict[str, float]:
    data_dir = fx.fresh_copy(name)
    port = free_port()
    env = {**gateway_env(data_dir, delay_ms=delay_ms, cache=False, port=port), "PYTHONPATH": str(tree)}
    command = [venv_bin("customer360"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with serving(name, command, env, port, fx.root) as server:
        for token in fx.resident_tokens.read_text().split():  # imports, pools, each resident's first read
            answer = graphql(server.graphql_url, queries.ME, token)
            if answer.get("errors") or not (answer.get("data") or {}).get("me"):
                raise SystemExit(f"bench: `me` did not answer cleanly: {json.dumps(answer)[:2000]}")
        before = cpu_seconds(server.pid)
        load = wrk("cold me", server.graphql_url, fx.bodies["me"], tokens_file=fx.resident_tokens,
                   expect=EXPECT_ME, connections=1, threads=1, duration=seconds)  # fmt: skip
        cpu = cpu_seconds(server.pid) - before
    if not load.clean:
        raise SystemExit(f"bench: wrong answers or socket errors: {load}")
    return {
        "p50_ms": load.p50_ms,
        "p95_ms": load.p95_ms,
        "rps": load.rps,
        "cpu_ms": cpu * 1000 / load.requests,
        "load": load.load_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", required=True, help="a checkout (repeatable)")
    parser.add_argument("--delay", type=int, default=20, help="injected back-office delay, ms")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=20)
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.tree]
    runs: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    with tempfile.TemporaryDirectory(prefix="c360-cold-me-") as root:
        fx = prepare(Path(root), args.residents)
        for round_ in range(args.rounds):
            for index, tree in enumerate(trees):
                figures = measure(fx, tree, f"r{round_}-t{index}", delay_ms=args.delay, seconds=args.seconds)
                runs[tree].append(figures)
                print(json.dumps({"tree": str(tree), "round": round_, **figures}), flush=True)
    for tree, figures in runs.items():
        summary = {
            key: f"{statistics.median(f[key] for f in figures):.1f} "
            f"({min(f[key] for f in figures):.1f}-{max(f[key] for f in figures):.1f})"
            for key in ("p50_ms", "p95_ms", "rps", "cpu_ms", "load")
        }
        print(json.dumps({"tree": str(tree), "delay_ms": args.delay, **summary}))


if __name__ == "__main__":
    main()
