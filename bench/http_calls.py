"""The HTTP back offices' CPU per call on cold `me`, in process (issue 25, goal 3).

Cold `me` makes two HTTP back-office calls, `STREET_SCENE.requests_by_reporter` (Open311) and
`PAYMENTS.payments_by_payer` (GOV.UK Pay-shaped). This measures what one such call costs the gateway's
event loop: the adapters built as the gateway builds them (the runtime's HTTP client, each adapter's
`SourceGuard`), the demo's HTTP back offices in a process of their own (`customer360 demo backoffices`,
as `serve` runs them), so `time.thread_time` around N calls is the caller's CPU alone. One resident
per call, 50 residents taken in turn, one operation after another; then both operations for `--at-once`
residents together, as that many cold `me`s at once. Every person each back office knows is asked once
first, and the records answered are digested, so that checkouts are seen to answer the same. For one or
more checkouts alternated in one run:

    C360_ENV=demo C360_DATA_DIR=/tmp/council .venv/bin/customer360 demo seed
    .venv/bin/python bench/http_calls.py /tmp/council --tree /work/wt/base --tree . --rounds 3

Each checkout's measurement runs in a process of its own with its code first on `PYTHONPATH`; all share
one back-office process. It prints one JSON line per round and checkout, then the medians and ranges,
and checks that every checkout answered the same records (their `repr`s' digest).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


async def measure(data_dir: Path, backoffice_url: str, calls: int, at_once: int) -> dict[str, Any]:
    """CPU per call of each operation, here: the code this process imports (its `PYTHONPATH`)."""
    import customer360
    from customer360.demo import council
    from customer360.domain.systems import SourceSystem
    from customer360.metrics import Metrics
    from customer360.runtime import back_office_client
    from customer360.settings import Settings
    from customer360.sources.instrumented import circuit_breakers
    from customer360.sources.registry import build_sources

    settings = Settings.from_env({**os.environ, "C360_ENV": "demo", "C360_DATA_DIR": str(data_dir)})
    http_configs = {
        system: config
        for system, config in council.source_configs(settings, backoffice_url).items()
        if system in (SourceSystem.STREET_SCENE, SourceSystem.PAYMENTS)
    }
    async with back_office_client(settings, [config.url for config in http_configs.values()]) as client:
        sources = build_sources(
            http_configs,
            engines={},
            http_client=client,
            metrics=Metrics(),
            breakers=circuit_breakers(),
            timeout_seconds=settings.source_timeout_seconds,
        )
        street, payments = sources.street_scene, sources.payments
        reporters = [record.record_id for record in await street.person_records()]
        payers = [record.record_id for record in await payments.person_records()]
        operations = {
            "requests_by_reporter": (street.requests_by_reporter, reporters),
            "payments_by_payer": (payments.payments_by_payer, payers),
        }
        figures: dict[str, Any] = {"code": str(Path(customer360.__file__).parent.parent)}
        digest = hashlib.sha256()
        for name, (call, keys) in operations.items():
            for key in keys:  # every person's records, once: the digest; and warm (connections, discovery)
                digest.update(repr(sorted((await call([key])).items())).encode())
            figures[f"{name} keys"] = len(keys)
            timed = keys[:50]
            started = time.thread_time()
            for index in range(calls):
                await call([timed[index % len(timed)]])
            figures[name] = round((time.thread_time() - started) / calls * 1000, 4)
        # As cold `me`s at once: each resident's two calls together, `at_once` residents together.
        street_keys, payer_keys = reporters[:50], payers[:50]
        batches = max(1, calls // at_once)
        started = time.thread_time()
        for batch in range(batches):
            await asyncio.gather(
                *(street.requests_by_reporter([street_keys[(batch + i) % 50]]) for i in range(at_once)),
                *(payments.payments_by_payer([payer_keys[(batch + i) % 50]]) for i in range(at_once)),
            )
        figures[f"both, {at_once} at once"] = round((time.thread_time() - started) / (batches * 2 * at_once) * 1000, 4)
        figures["answers"] = digest.hexdigest()[:16]
        return figures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def backoffices(data_dir: Path):  # type: ignore[no-untyped-def]
    """The demo's HTTP back offices in a process of their own; yields their base URL."""
    port = free_port()
    env = {**os.environ, "C360_ENV": "demo", "C360_DATA_DIR": str(data_dir), "C360_LOG_LEVEL": "WARNING"}
    command = [str(VENV_BIN / "customer360"), "demo", "backoffices", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/open311/v2/services.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("bench: the demo back offices did not answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="a seeded demo council")
    parser.add_argument("--tree", action="append", type=Path, help="a checkout (default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1000, help="calls of each operation per round")
    parser.add_argument("--at-once", type=int, default=16, help="residents whose two calls run together")
    parser.add_argument("--one", metavar="URL", help=argparse.SUPPRESS)  # a single measurement, against URL
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(measure(args.data_dir, args.one, args.calls, args.at_once))), flush=True)
        return
    trees = [tree.resolve() for tree in args.tree or [BENCH_DIR.parent]]
    results: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
    with backoffices(args.data_dir) as url:
        for _ in range(args.rounds):
            for tree in trees:
                env = {**os.environ, "PYTHONPATH": str(tree)}
                one = [sys.executable, __file__, str(args.data_dir), "--one", url, "--calls", str(args.calls)]
                one += ["--at-once", str(args.at_once)]
                line = subprocess.run(one, env=env, check=True, capture_output=True, text=True).stdout
                figures = json.loads(line.strip().splitlines()[-1])
                figures["load"] = Path("/proc/loadavg").read_text().split()[0]
                print(json.dumps(figures), flush=True)
                results[tree].append(figures)
    for tree, rounds in results.items():
        summary = {
            name: f"{statistics.median(r[name] for r in rounds):.3f} ms "
            f"({min(r[name] for r in rounds):.3f}-{max(r[name] for r in rounds):.3f})"
            for name in rounds[0]
            if name not in ("code", "answers", "load") and not name.endswith("keys")
        }
        print(json.dumps({"tree": str(tree), **summary, "answers": sorted({r["answers"] for r in rounds})}))


if __name__ == "__main__":
    main()
