"""Before/after `gc.freeze()` in `customer360 serve`: cold and warm `me`, with every collection counted.

    .venv/bin/python bench/gc_freeze.py --before main --rounds 2 --duration 120 --warm-duration 45

Alternates two code versions (`--before REV`, exported with `git archive` and put first on PYTHONPATH as
bench/run.py --git-rev does, and the working tree), each on fresh copies of one seeded council with
bench/run.py's settings. Per round and version: cold `me` (C360_CACHE=off, 20 ms injected delay, rotating
residents) at -t1 -c1, then warm `me` (C360_CACHE=on, one resident) at -t1 -c16, for --duration and --warm-duration s.
Around each wrk run it reads the gateway's CPU seconds (/proc) and its garbage collections by
generation with their pause times (bench/gc_probe/sitecustomize.py, put on the server's PYTHONPATH).
Prints one JSON line per measurement and a table at the end.

    .venv/bin/python bench/gc_freeze.py --threshold 7000,10,10 --scenarios cold

alternates the working tree as it is ("after") with the same plus `gc.set_threshold(7000, 10, 10)`
("threshold", set by the probe before start-up): fewer young collections, fewer survivors promoted.

    .venv/bin/python bench/gc_freeze.py --thresholds 700,10,10/700,10,100/2000,10,100 --scenarios cold,page \
        --rounds 3 --duration 60 --page-duration 30

alternates the working tree under each of those thresholds (the order rotated each round). The "page"
scenario is the 100-customer staff page at -t1 -c1, run on the cold server right after its cold `me` (the
same process: VmRSS is read after each scenario, so the page's row shows the RSS after both).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import queries  # noqa: E402
from bench.run import (  # noqa: E402
    EXPECT_ME,
    EXPECT_PAGE,
    ROOT,
    Fixture,
    Server,
    cpu_seconds,
    graphql,
    log,
    prepare,
    rss_kib,
    serve_gateway,
    wrk,
)

PROBE = BENCH_DIR / "gc_probe"


def gc_snapshot(probe_dir: Path, pid: int) -> dict[str, Any]:
    time.sleep(0.6)  # the probe writes twice a second
    return dict(json.loads((probe_dir / f"{pid}.json").read_text()))


def measure(
    fx: Fixture, version: str, scenarios: list[str], durations: dict[str, int], probe_dir: Path
) -> list[dict[str, Any]]:
    """`scenarios`, in turn, on one `serve` (cold `me` and the page share a cache-off server)."""
    cold = scenarios[0] != "warm"
    with serve_gateway(fx, f"{version}-{'-'.join(scenarios)}", delay_ms=20, cache=not cold) as server:
        tokens = (fx.resident_tokens if cold else fx.one_resident_token).read_text().split()
        for token in tokens[:20]:
            graphql(server.graphql_url, queries.ME, token)  # warm-up: imports, pools (and the kept answer)
        if "page" in scenarios:
            graphql(server.graphql_url, queries.STAFF_PAGE, fx.staff_token)
        return [_measured(fx, server, version, scenario, durations[scenario], probe_dir) for scenario in scenarios]


def _measured(
    fx: Fixture, server: Server, version: str, scenario: str, duration: int, probe_dir: Path
) -> dict[str, Any]:
    page = scenario == "page"
    warm = scenario == "warm"
    tokens = fx.root / "staff_token.txt" if page else fx.one_resident_token if warm else fx.resident_tokens
    before, cpu_before = gc_snapshot(probe_dir, server.pid), cpu_seconds(server.pid)
    load = wrk(
        f"{version} {scenario}",
        server.graphql_url,
        fx.bodies["page" if page else "me"],
        tokens_file=tokens,
        expect=EXPECT_PAGE if page else EXPECT_ME,
        connections=16 if warm else 1,
        threads=1,
        duration=duration,
    )
    cpu_after, after = cpu_seconds(server.pid), gc_snapshot(probe_dir, server.pid)
    full = after["full_pauses_ms"][len(before["full_pauses_ms"]) :]
    return {
        "version": version,
        "scenario": scenario,
        "frozen": after["frozen"],
        "requests": load.requests,
        "rps": round(load.rps, 1),
        "p50_ms": round(load.p50_ms, 2),
        "p99_ms": round(load.p99_ms, 2),
        "errors": load.answer_errors + load.socket_errors,
        "cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / max(load.requests, 1), 3),
        "collections": [a - b for a, b in zip(after["counts"], before["counts"], strict=True)],
        "pause_ms": [round(a - b, 1) for a, b in zip(after["pause_ms"], before["pause_ms"], strict=True)],
        "gc_ms_per_request": round((sum(after["pause_ms"]) - sum(before["pause_ms"])) / max(load.requests, 1), 3),
        "full_pauses_ms": full,
        "threshold": after["threshold"],
        "rss_mib": round(rss_kib(server.pid) / 1024, 1),
        "load": [round(load.load_before, 2), round(load.load_after, 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main", help="the version without the change (a git revision)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=120, help="seconds per cold wrk run")
    parser.add_argument("--warm-duration", type=int, default=45, help="seconds per warm wrk run")
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument("--threshold", help="compare the working tree with these gc thresholds instead of --before")
    parser.add_argument("--thresholds", help="alternate the working tree under each, e.g. 700,10,10/2000,10,100")
    parser.add_argument("--scenarios", default="cold,warm", help="of cold, page (after cold, same server), warm")
    parser.add_argument("--page-duration", type=int, default=30, help="seconds per staff page wrk run")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="c360-gc-"))
    rows: list[dict[str, Any]] = []
    try:
        code = root / "before-code"
        code.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
        fx = prepare(root, args.residents)
        probe_dir = root / "gc"
        probe_dir.mkdir()
        os.environ["BENCH_GC_PROBE"] = str(probe_dir)
        plain = os.environ.get("PYTHONPATH")
        durations = {"cold": args.duration, "page": args.page_duration, "warm": args.warm_duration}
        scenarios = args.scenarios.split(",")
        # cold `me` and the page on one server, warm `me` on its own (cache on)
        servers = [s for s in ([x for x in scenarios if x != "warm"], ["warm"] if "warm" in scenarios else []) if s]
        pair = ["threshold" if args.threshold else "before", "after"]
        versions = args.thresholds.split("/") if args.thresholds else pair
        for round_ in range(args.rounds):
            shift = round_ % len(versions)  # each version first in turn (a pair: in the other order)
            in_turn = versions[shift:] + versions[:shift]
            for version in in_turn:
                paths = [str(PROBE), *([str(code)] if version == "before" else []), plain]
                os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
                setting = version if args.thresholds else args.threshold if version == "threshold" else ""
                os.environ["BENCH_GC_THRESHOLD"] = setting or ""
                for on_one_server in servers:
                    for row in measure(fx, version, on_one_server, durations, probe_dir):
                        print(json.dumps(row), flush=True)
                        rows.append(row)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    log("version scenario  rps  p50  p99  cpu ms/req  gc ms/req  collections g0/g1/g2  full pauses ms  rss MiB  load")
    for row in rows:
        log(
            f"{row['version']:<9} {row['scenario']} {row['rps']:8.1f} {row['p50_ms']:6.2f} {row['p99_ms']:7.2f} "
            f"{row['cpu_ms_per_request']:6.3f} {row['gc_ms_per_request']:6.3f} {row['collections']} "
            f"{row['full_pauses_ms']} {row['rss_mib']} {row['load']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
