"""What tracing costs: `me` with tracing off and on, in one run, on the harness of bench/run.py.

    .venv/bin/python bench/tracing.py                       # about 5 minutes; prints a Markdown table
    .venv/bin/python bench/tracing.py --duration 10 --rounds 3
    .venv/bin/python bench/tracing.py --before-cli OTHER/.venv/bin/customer360   # and the code before, same run

Same plumbing as bench/run.py: one seeded demo council, `customer360 serve` subprocesses on loopback each on
a fresh copy of it, wrk driving bench/wrk_scripts/graphql.lua (every answer checked). Two scenarios, with no
injected back-office delay so that only the gateway's own work is timed:

    warm me   C360_CACHE=on, one resident, `-t1 -c16`: the hot path (a kept whole answer)
    cold me   C360_CACHE=off, residents rotating, `-t1 -c1`: the full fan-out, where most spans are made

"off" is the default (no `OTEL_*` variable); "on" sets `OTEL_EXPORTER_OTLP_ENDPOINT` to a sink in this
process (an OTLP/HTTP endpoint that answers 200 and discards), so the figure includes making, batching and
sending every span. With `--before-cli`, "before" is another checkout's `customer360` (the code without
tracing) on the same seeded council. The states alternate, `--rounds` times each, so the machine's noise
falls on all of them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.run import (  # noqa: E402
    EXPECT_ME,
    HOST,
    Fixture,
    Load,
    free_port,
    gateway_env,
    log,
    prepare,
    serving,
    venv_bin,
    wrk,
)


@contextlib.contextmanager
def otlp_sink() -> Iterator[str]:
    """An OTLP/HTTP endpoint that reads each export and answers 200; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer((HOST, free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(fx: Fixture, *, cache: bool, state: str, traced_to: str | None, duration: int, cli: str) -> Load:
    name = f"{'warm' if cache else 'cold'}-{state}"
    data_dir = fx.fresh_copy(name)
    port = free_port()
    env = gateway_env(data_dir, delay_ms=0, cache=cache, port=port)
    env = {key: value for key, value in env.items() if not key.startswith("OTEL_")}
    if traced_to:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = traced_to
    command = [cli, "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
    with serving(name, command, env, port, fx.root) as server:
        tokens = fx.one_resident_token if cache else fx.resident_tokens
        url, body = server.graphql_url, fx.bodies["me"]
        # A short first run fills the cache (warm) and the pools and imports (both); it is not counted.
        wrk(f"{name} (warm-up)", url, body, tokens_file=tokens, expect=EXPECT_ME, connections=2, threads=1,
            duration=2, quiet=True)  # fmt: skip
        label = f"{'warm' if cache else 'cold'} me, {state}"
        return wrk(label, url, body, tokens_file=tokens, expect=EXPECT_ME, connections=16 if cache else 1,
                   threads=1, duration=duration)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/tracing.py", description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs per scenario (default 2)")
    parser.add_argument("--residents", type=int, default=50, help="residents the cold runs rotate over")
    parser.add_argument("--before-cli", help="another checkout's customer360 (the code before tracing), measured too")
    args = parser.parse_args(argv)
    ours = venv_bin("customer360")
    states = [("off", None, ours), ("on", "sink", ours)]
    if args.before_cli:
        states.insert(0, ("before", None, args.before_cli))
    with tempfile.TemporaryDirectory(prefix="c360-bench-tracing-") as root, otlp_sink() as sink:
        # Servers start their demo back offices with `python -m customer360`, which takes the package in the
        # current directory first: from a checkout, `--before-cli`'s would run this one's code.
        os.chdir(root)
        fx = prepare(Path(root), args.residents)
        rows: list[tuple[str, str, list[Load]]] = []
        for cache, scenario in ((True, "warm me (-t1 -c16)"), (False, "cold me, full fan-out (-t1 -c1)")):
            runs: dict[str, list[Load]] = {state: [] for state, _, _ in states}
            for _ in range(args.rounds):
                for state, traced, cli in states:
                    traced_to = sink if traced else None
                    runs[state].append(
                        measure(fx, cache=cache, state=state, traced_to=traced_to, duration=args.duration, cli=cli)
                    )
            rows += [(scenario, state, loads) for state, loads in runs.items()]
    print("| scenario | tracing | requests/s (each round) | median req/s | median p50 ms | median p99 ms | errors |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for scenario, state, loads in rows:
        each = ", ".join(f"{load.rps:.0f}" for load in loads)
        errors = sum(load.answer_errors + load.socket_errors for load in loads)
        print(
            f"| {scenario} | {state} | {each} | {statistics.median(load.rps for load in loads):.0f} | "
            f"{statistics.median(load.p50_ms for load in loads):.2f} | "
            f"{statistics.median(load.p99_ms for load in loads):.2f} | {errors} |"
        )
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
