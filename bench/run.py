"""The customer360 benchmark: one command, real load (wrk), baselines in the same run.

    .venv/bin/python bench/run.py            # the full run (about 13 minutes); writes docs/performance.md
    .venv/bin/python bench/run.py --quick    # a short run (about 3 minutes), same report shape
    .venv/bin/python bench/run.py --workers 0   # skip the multi-worker row
    .venv/bin/python bench/run.py --warm-only --delays 20 --residents 2   # warm `me`, baselines, peer (~2 min)
    .venv/bin/python bench/run.py --sql-back-offices sqlite   # without the PostgreSQL cold rows

wrk runs at `-t1 -c16` (an independent harness's shape) and, for warm `me` and the baselines, also at `-t2 -c8`;
every row records the machine's 1-minute load average as wrk started and finished, and the report says whether
the machine was quiet. Every server runs under uvicorn[standard] (uvloop, httptools); the run stops without them.

It seeds one demo council in a temporary data dir, then starts `customer360 serve` (a subprocess on a free
loopback port, `C360_OUTBOX_INTERVAL_SECONDS=0`, the demo's HTTP back offices in a child process of their own:
`C360_DEMO_BACKOFFICES=process`) once per configuration, each on its own fresh copy of that data dir:

    for each injected source delay (`C360_DEMO_SOURCE_LATENCY_MS`, 20 and 50 ms):
      cold    C360_CACHE=off: the full `me` fan-out rotating over many residents, and a staff page of
              100 customers (searchCustomers(first: 100) with every per-customer field), each at 8 and at
              1 connection; /metrics read before and after one page request (calls per back-office operation)
      warm    C360_CACHE=on:  `me` for one resident; RSS of the server across 20,000 of those requests
      write   C360_CACHE=on:  makeComplaint (valid input, rotating residents) on its own copy
    baselines (uvicorn, 1 worker, same host): a bare Starlette JSON endpoint and a plain Strawberry schema
      answering the same `me` shape from memory (bench/baselines.py)
    peer (Node, 1 process, same host): GraphQL Yoga answering the same document from memory, cache off and
      with its response cache (bench/yoga_peer.py; `npm ci --prefix bench/yoga` when its packages are missing,
      the rows left out, and the report saying why, without node or npm; about a minute of the full run)
    --workers N: warm `me` against `customer360 serve --workers N` sharing Redis (C360_REDIS_URL) and the store
    --sql-back-offices postgresql|both (default both): the cold rows again with the SQL back offices on
      PostgreSQL (bench/pg_back_offices.py: databases of their own, copied from the seeded council, named in
      a C360_SOURCES file; the HTTP back offices in a `customer360 demo backoffices` process), so their engine
      work is not charged to the gateway's process

Load comes from wrk (https://github.com/wg/wrk; `apt-get install wrk`) driving bench/wrk_scripts/graphql.lua,
which checks every answer: a non-200, an `errors` entry or a missing result counts as an error and is
reported. Only loopback addresses are used. Each row also gives the server process's CPU per request (user +
system, from /proc, all its threads but not its children: not the back-office process, not PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench import pg_back_offices, queries, yoga_peer  # noqa: E402
from customer360.auth.keys import load_or_create_signing_key  # noqa: E402
from customer360.auth.principal import Role  # noqa: E402
from customer360.auth.tokens import DemoIssuer  # noqa: E402
from customer360.domain.systems import SourceSystem  # noqa: E402

LUA = BENCH_DIR / "wrk_scripts" / "graphql.lua"
ANALYSIS = BENCH_DIR / "analysis.md"  # the hand-written diagnosis, appended to the report; starts with ANALYSIS_HEADING
ANALYSIS_HEADING = "## Diagnosis"
HOST = "127.0.0.1"
STAFF_ROLE = "customer_services"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
EXPECT_ME = '"me":{"'
EXPECT_PAGE = '"searchCustomers":{"'
EXPECT_MUTATION = '"userErrors":[]'
ON_POSTGRES = "SQL back offices on PostgreSQL"  # how the report marks the rows of that configuration
BASELINE_LABELS = {
    "starlette": "bare Starlette JSON",
    "strawberry": "plain Strawberry, from memory",
    "starlette-bytes": "bare Starlette, bytes encoded once",
}


# --- plumbing ------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def venv_bin(name: str) -> str:
    """The console script beside this interpreter (the venv's), else whatever is on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"bench: `{name}` not found; install the package first (pip install -e .)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def http(method: str, url: str, body: bytes | None = None, token: str | None = None, timeout: float = 60) -> bytes:
    assert url.startswith(f"http://{HOST}:"), url  # loopback only
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Access-Purpose", "performance benchmark")  # staff reads of people need one
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def graphql(url: str, query: str, token: str | None, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, **({"variables": variables} if variables else {})}).encode()
    return dict(json.loads(http("POST", url, body, token)))


def cli(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        [venv_bin("customer360"), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: `customer360 {' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU of the process (every thread of it, none of its children), from /proc/PID/stat;
    with `thread`, that one thread's (/proc/PID/task/TID/stat)."""
    path = Path(f"/proc/{pid}/task/{thread}/stat") if thread else Path(f"/proc/{pid}/stat")
    fields = path.read_text().rsplit(")", 1)[1].split()  # fields 3.. (the name may hold spaces)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def settle(pid: int, *, window: float = 0.25, idle_share: float = 0.05, limit: float = 60.0) -> None:
    """Wait until the server has worked off what wrk left behind: when wrk stops, requests it abandoned
    (a 16-connection staff page's) are still being answered, and the next row would start on a busy
    server. Idle is under `idle_share` of one core over a `window`; at most `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < idle_share * window:
            return


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def serving(name: str, command: list[str], env: dict[str, str], port: int, log_dir: Path) -> Iterator[Server]:
    """Run `command` (a server on HOST:port) in its own process group until the block ends."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, f"http://{HOST}:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"bench: {name} exited ({process.returncode}):\n{_tail(log_path)}")
            with contextlib.suppress(OSError):
                if http("GET", f"{server.url}/healthz", timeout=2) is not None:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: {name} did not answer /healthz within 120 s:\n{_tail(log_path)}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # the process group is the one this harness created for the server (uvicorn workers included)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- wrk -----------------------------------------------------------------------------------------------


@dataclass
class Load:
    """One wrk run: latency percentiles (ms), throughput, and how many answers were wrong."""

    label: str
    connections: int
    threads: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    answer_errors: int
    socket_errors: int
    load_before: float = 0.0  # the machine's 1-minute load average as wrk started and as it finished
    load_after: float = 0.0
    cpu_seconds: float | None = None  # the server process's CPU during the run (None: not measured)

    @property
    def cpu_ms_per_request(self) -> float | None:
        return self.cpu_seconds * 1000 / self.requests if self.cpu_seconds is not None and self.requests else None

    @property
    def shape(self) -> str:
        return f"-t{self.threads} -c{self.connections}"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return self.answer_errors == 0 and self.socket_errors == 0 and self.requests > 0


@dataclass
class Options:
    duration: int
    rss_marks: tuple[int, ...]
    # The independent harness's shape (one wrk thread, 16 connections) is the primary one; warm `me` and the
    # baselines are also measured at -t2 -c8 (this harness's earlier shape), so the two can be compared.
    threads: int = 1
    connections: int = 16
    extra_shapes: tuple[tuple[int, int], ...] = ((2, 8),)
    wrk_cpus: str = ""  # taskset -c list for wrk ("" = not pinned: wrk may run on any core)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        return ((self.threads, self.connections), *self.extra_shapes)


def wrk(
    label: str,
    url: str,
    body_file: Path,
    *,
    tokens_file: Path | None,
    expect: str,
    connections: int,
    threads: int,
    duration: int,
    quiet: bool = False,
    cpus: str = "",
    pid: int | None = None,
) -> Load:
    """`pid`: the server's process, whose CPU during the run is recorded (one process: not `--workers N`)."""
    threads = min(threads, connections)
    cpus = cpus or os.environ.get("BENCH_WRK_CPUS", "")
    env = {
        **os.environ,
        "BENCH_BODY": str(body_file),
        "BENCH_TOKENS": str(tokens_file) if tokens_file else "",
        "BENCH_EXPECT": expect,
    }
    command = [
        *(["taskset", "-c", cpus] if cpus else []),
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
        "-s", str(LUA), url,
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(pid) if pid else 0.0
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False)
    cpu_used = cpu_seconds(pid) - cpu_before if pid else None
    load_after = os.getloadavg()[0]
    if pid:
        settle(pid)
    found = re.search(r"^BENCH_RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise SystemExit(f"bench: wrk failed for {label}:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(found.group(1))
    result = Load(
        label=label,
        connections=connections,
        threads=threads,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        answer_errors=raw["answer_errors"],
        socket_errors=raw["socket_errors"],
        load_before=load_before,
        load_after=load_after,
        cpu_seconds=cpu_used,
    )
    if quiet:
        return result
    log(
        f"  {label:<38} {result.shape:<9} {result.requests:>6} req  {result.rps:8.1f} rps  "
        f"p50 {result.p50_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms  "
        f"errors {result.answer_errors}/{result.socket_errors}  load {load_before:.2f}->{load_after:.2f}"
        + (f"  cpu {result.cpu_ms_per_request:.1f} ms/req" if result.cpu_ms_per_request is not None else "")
    )
    return result


# --- the gateway ---------------------------------------------------------------------------------------


def gateway_env(
    data_dir: Path, *, delay_ms: int, cache: bool, port: int, redis_url: str | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(
        C360_ENV="demo",
        C360_DATA_DIR=str(data_dir),
        C360_OUTBOX_INTERVAL_SECONDS="0",
        C360_DEMO_SOURCE_LATENCY_MS=str(delay_ms),
        C360_CACHE="on" if cache else "off",
        C360_PUBLIC_URL=f"http://{HOST}:{port}",
        # The demo's HTTP back offices (Open311, payments) in one process of their own, as a council's run
        # elsewhere: their CPU is not charged to the gateway, and --workers N shares that one process.
        C360_DEMO_BACKOFFICES="process",
        # Load from one address and one token is the point here, not abuse: the limits that guard
        # production (rate limits, the query cost ceiling the full staff page exceeds) are lifted.
        C360_RATE_LIMIT_PER_IP="0",
        C360_RATE_LIMIT_PER_PRINCIPAL="0",
        C360_MAX_QUERY_COST="10000000",
        C360_RECONCILE_INTERVAL_SECONDS="0",
    )
    if redis_url:
        env["C360_REDIS_URL"] = redis_url
    return env


def source_calls(server: Server) -> dict[str, float]:
    """`customer360_source_calls_total` by `SOURCE.operation`, from /metrics."""
    text = http("GET", f"{server.url}/metrics").decode()
    calls: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("customer360_source_calls_total{"):
            continue
        labels_text, value = line[len("customer360_source_calls_total{") :].rsplit("} ", 1)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', labels_text))
        calls[f"{labels['source']}.{labels['operation']}"] = float(value)
    return calls


@dataclass
class Fixture:
    """The seeded council and everything minted from it once, before the runs."""

    root: Path
    seed_dir: Path
    resident_tokens: Path  # one token a line, many residents (cold runs, the mutation)
    one_resident_token: Path  # one resident (warm runs)
    staff_token: str
    bodies: dict[str, Path]
    residents: int
    copies: int = 0

    def fresh_copy(self, name: str) -> Path:
        self.copies += 1
        target = self.root / f"{self.copies:02d}-{name}"
        shutil.copytree(self.seed_dir, target)
        return target


def prepare(root: Path, residents_wanted: int) -> Fixture:
    seed_dir = root / "seed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(C360_ENV="demo", C360_DATA_DIR=str(seed_dir))
    log(f"seeding the demo council into {seed_dir} (customer360 demo seed)")
    cli(["demo", "seed"], env)
    lines = cli(["demo", "residents", "--limit", str(residents_wanted)], env).splitlines()
    emails = [json.loads(line)["email"] for line in lines if line.startswith("{")]
    if not emails:
        raise SystemExit("bench: `customer360 demo residents` listed nobody")
    log(f"minting {len(emails)} resident tokens and a staff token (the development issuer `customer360 token` uses)")
    # In this process with the data dir's own signing key, as `customer360 token` mints them: one CLI
    # process per token took minutes of a run's set-up (`demo residents` lists only verified residents,
    # the check `token --resident` adds).
    issuer = DemoIssuer(load_or_create_signing_key(seed_dir))
    tokens = [issuer.resident_token(email) for email in emails]
    staff = issuer.staff_token("Bench Staff", [Role(STAFF_ROLE)])
    resident_tokens = root / "resident_tokens.txt"
    resident_tokens.write_text("\n".join(tokens) + "\n")
    one = root / "one_resident_token.txt"
    one.write_text(tokens[0] + "\n")
    staff_file = root / "staff_token.txt"
    staff_file.write_text(staff + "\n")
    bodies = {
        "me": _body(root / "me.json", queries.ME),
        "page": _body(root / "page.json", queries.STAFF_PAGE),
        "page_summary": _body(root / "page_summary.json", queries.STAFF_PAGE_SUMMARY),
        "mutation": _body(root / "mutation.json", queries.MAKE_COMPLAINT, {"input": queries.COMPLAINT_INPUT}),
    }
    return Fixture(root, seed_dir, resident_tokens, one, staff, bodies, len(tokens))


def _body(path: Path, query: str, variables: dict[str, Any] | None = None) -> Path:
    path.write_text(json.dumps({"query": query, **({"variables": variables} if variables else {})}))
    return path


# --- the runs ------------------------------------------------------------------------------------------


@dataclass
class DelayResults:
    delay_ms: int
    cold_me_c1: Load | None = None
    cold_me: Load | None = None
    page_c1: Load | None = None
    page: Load | None = None
    summary_c1: Load | None = None
    summary: Load | None = None
    summary_calls: dict[str, float] = field(default_factory=dict)
    warm_me: Load | None = None
    warm_me_c1: Load | None = None
    warm_me_extra: list[Load] = field(default_factory=list)  # warm `me` at Options.extra_shapes
    mutation: Load | None = None
    page_calls: dict[str, float] = field(default_factory=dict)
    page_customers: int = 0
    rss: list[tuple[int, int]] = field(default_factory=list)  # (requests so far, VmRSS KiB)
    postgres: DelayResults | None = None  # the cold rows again, the SQL back offices on PostgreSQL


@dataclass
class Results:
    started: dt.datetime
    command: str
    options: Options
    delays: list[DelayResults] = field(default_factory=list)
    starlette: Load | None = None
    starlette_c1: Load | None = None
    strawberry: Load | None = None
    strawberry_c1: Load | None = None
    starlette_extra: list[Load] = field(default_factory=list)
    strawberry_extra: list[Load] = field(default_factory=list)
    encoded: list[Load] = field(default_factory=list)  # the stricter baseline, at every shape then 1 connection
    # the GraphQL Yoga peer (bench/yoga_peer.py) by response cache (False: off), at every shape then 1 connection
    peer: dict[bool, list[Load]] = field(default_factory=dict)
    peer_versions: str = ""  # what the peer ran on, for the report
    peer_note: str = ""  # why the peer rows are missing, if they are
    workers: int = 0
    # warm `me` with Redis configured: (workers, its loads at every shape), 1 worker then --workers N
    redis_runs: list[tuple[int, list[Load]]] = field(default_factory=list)
    load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    wrk_cpus: str = ""
    workers_note: str = ""
    postgres_note: str = ""
    residents: int = 0
    me_bytes: int = 0
    code: str = ""


@contextlib.contextmanager
def serve_gateway(fx: Fixture, name: str, *, delay_ms: int, cache: bool, workers: int = 1,
                  redis_url: str | None = None, sql_offices: SqlOfficeUrls | None = None,
                  ) -> Iterator[Server]:  # fmt: skip
    """`customer360 serve` on a fresh copy of the council; with `sql_offices`, its SQL back offices are those
    (a `C360_SOURCES` file), its HTTP back offices a `customer360 demo backoffices` process."""
    data_dir = fx.fresh_copy(name)
    port = free_port()
    env = gateway_env(data_dir, delay_ms=delay_ms, cache=cache, port=port, redis_url=redis_url)
    command = [venv_bin("customer360"), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    with contextlib.ExitStack() as stack:
        if sql_offices is not None:
            env.update(stack.enter_context(_sources_file_env(fx, name, env, sql_offices)))
        log(
            f"starting {name}: customer360 serve --workers {workers} "
            f"(delay {delay_ms} ms, cache {'on' if cache else 'off'}{', C360_SOURCES' if sql_offices else ''})"
        )
        yield stack.enter_context(serving(name, command, env, port, fx.root))


@dataclass
class SqlOfficeUrls:
    """Where a gateway's `C360_SOURCES` file puts the SQL back offices: in this harness, the seeded council's
    copies in PostgreSQL databases of their own (bench/sql_offices_cpu.py also names the SQLite files)."""

    urls: dict[SourceSystem, str]


@contextlib.contextmanager
def _sources_file_env(
    fx: Fixture, name: str, env: dict[str, str], sql_offices: SqlOfficeUrls
) -> Iterator[dict[str, str]]:
    """The gateway's extra environment: a `C360_SOURCES` file naming `sql_offices` and the demo's HTTP back
    offices, served meanwhile by `customer360 demo backoffices` (as `serve` starts it for the demo council)."""
    from customer360.settings import Settings

    port = free_port()
    command = [venv_bin("customer360"), "demo", "backoffices", "--host", HOST, "--port", str(port)]
    log(f"starting {name}-backoffices: customer360 demo backoffices (Open311, payments)")
    with serving(f"{name}-backoffices", command, env, port, fx.root) as backoffices:
        settings = Settings.from_env(env)
        sources = settings.data_dir / "sources.toml"
        keys = pg_back_offices.write_sources_file(sources, settings, sql_offices.urls, backoffices.url)
        yield {"C360_SOURCES": str(sources), **keys}


def run_cold(fx: Fixture, out: DelayResults, opts: Options, capture: Path | None,
             sql_offices: SqlOfficeUrls | None = None) -> None:  # fmt: skip
    """`capture`: where the first resident's `me` is written (with `sql_offices`, once written, what it must equal)."""
    name = f"cold-{out.delay_ms}ms" + ("-postgresql" if sql_offices else "")
    with serve_gateway(fx, name, delay_ms=out.delay_ms, cache=False, sql_offices=sql_offices) as server:
        tokens = fx.resident_tokens.read_text().split()
        answer = graphql(server.graphql_url, queries.ME, tokens[0])
        if answer.get("errors") or not (answer.get("data") or {}).get("me"):
            raise SystemExit(f"bench: `me` did not answer cleanly: {json.dumps(answer)[:2000]}")
        if capture is not None and sql_offices is not None and capture.exists():  # captured on SQLite just before
            if answer != json.loads(capture.read_text()):
                raise SystemExit(f"bench: `me` with the {ON_POSTGRES} differs from its answer on SQLite")
        elif capture is not None:
            capture.write_text(json.dumps(answer))
        # one page request between two reads of /metrics: calls per back-office operation
        graphql(server.graphql_url, queries.STAFF_PAGE, fx.staff_token)  # warm-up (imports, pools)
        before = source_calls(server)
        page = graphql(server.graphql_url, queries.STAFF_PAGE, fx.staff_token)
        after = source_calls(server)
        if page.get("errors"):
            raise SystemExit(f"bench: the staff page answered errors: {json.dumps(page['errors'])[:2000]}")
        out.page_customers = len(page["data"]["searchCustomers"]["edges"])
        out.page_calls = {key: after[key] - before.get(key, 0.0) for key in sorted(after)}
        before = source_calls(server)
        graphql(server.graphql_url, queries.STAFF_PAGE_SUMMARY, fx.staff_token)
        after = source_calls(server)
        out.summary_calls = {key: after[key] - before.get(key, 0.0) for key in sorted(after)}
        me_body, page_body = fx.bodies["me"], fx.bodies["page"]
        load = dict(threads=opts.threads, duration=opts.duration, pid=server.pid)
        url = server.graphql_url
        out.cold_me_c1 = wrk("cold me (full fan-out)", url, me_body, tokens_file=fx.resident_tokens,
                             expect=EXPECT_ME, connections=1, **load)  # fmt: skip
        out.cold_me = wrk("cold me (full fan-out)", url, me_body, tokens_file=fx.resident_tokens,
                          expect=EXPECT_ME, connections=opts.connections, **load)  # fmt: skip
        staff_file = fx.root / "staff_token.txt"
        out.page_c1 = wrk("staff page of 100 customers", url, page_body, tokens_file=staff_file,
                          expect=EXPECT_PAGE, connections=1, **load)  # fmt: skip
        out.page = wrk("staff page of 100 customers", url, page_body, tokens_file=staff_file,
                       expect=EXPECT_PAGE, connections=opts.connections, **load)  # fmt: skip
        summary_body = fx.bodies["page_summary"]
        out.summary_c1 = wrk("staff page, summary fields", url, summary_body, tokens_file=staff_file,
                             expect=EXPECT_PAGE, connections=1, **load)  # fmt: skip
        out.summary = wrk("staff page, summary fields", url, summary_body, tokens_file=staff_file,
                          expect=EXPECT_PAGE, connections=opts.connections, **load)  # fmt: skip


@contextlib.contextmanager
def postgres_offices(fx: Fixture, admin_url: str) -> Iterator[SqlOfficeUrls | None]:
    """The seeded council's SQL back offices copied into PostgreSQL (None: no PostgreSQL there), dropped after."""
    from customer360.settings import Settings

    settings = Settings.from_env({"C360_ENV": "demo", "C360_DATA_DIR": str(fx.seed_dir)})
    log(f"copying the SQL back offices into PostgreSQL databases of their own ({admin_url.rsplit('@', 1)[-1]})")
    try:
        urls = asyncio.run(pg_back_offices.copy_to_postgres(settings, admin_url))
    except OSError as error:  # refused or unreachable: the run goes on without those rows
        log(f"no PostgreSQL at {admin_url}: {error}")
        yield None
        return
    try:
        yield SqlOfficeUrls(urls)
    finally:
        asyncio.run(pg_back_offices.drop_databases(admin_url))


def run_warm(fx: Fixture, out: DelayResults, opts: Options, *, rss: bool, capture: Path | None = None) -> None:
    with serve_gateway(fx, f"warm-{out.delay_ms}ms", delay_ms=out.delay_ms, cache=True) as server:
        token = fx.one_resident_token.read_text().strip()
        answer = graphql(server.graphql_url, queries.ME, token)  # fills the cache
        if capture is not None:
            capture.write_text(json.dumps(answer))
        url, body = server.graphql_url, fx.bodies["me"]
        if rss:
            out.rss = rss_run(server, fx, opts)
        out.warm_me = wrk("warm me", url, body, tokens_file=fx.one_resident_token, expect=EXPECT_ME,
                          connections=opts.connections, threads=opts.threads, duration=opts.duration,
                          pid=server.pid)  # fmt: skip
        out.warm_me_extra = [
            wrk(
                "warm me",
                url,
                body,
                tokens_file=fx.one_resident_token,
                expect=EXPECT_ME,
                connections=c,
                threads=t,
                duration=opts.duration,
                pid=server.pid,
            )
            for t, c in opts.extra_shapes
        ]
        out.warm_me_c1 = wrk("warm me", url, body, tokens_file=fx.one_resident_token, expect=EXPECT_ME,
                             connections=1, threads=1, duration=opts.duration, pid=server.pid)  # fmt: skip


def rss_run(server: Server, fx: Fixture, opts: Options) -> list[tuple[int, int]]:
    """VmRSS after 0 requests and at each mark of warm `me` requests (wrk in chunks sized to land on it).

    wrk runs for whole seconds, so each chunk's length comes from the rate just measured; a sample is
    taken when the count first reaches a mark (a few requests past it) and the real count is reported.
    """
    samples = [(0, rss_kib(server.pid))]
    done, rate = 0, 0.0
    url, body = server.graphql_url, fx.bodies["me"]
    deadline = time.monotonic() + 1800
    for mark in opts.rss_marks:
        while done < mark:
            if time.monotonic() > deadline:
                raise SystemExit("bench: the RSS run took over 30 minutes; giving up")
            seconds = 1 if rate == 0 else max(1, min(60, int((mark - done) / rate)))
            load = wrk(f"warm me, RSS run to {mark:,}", url, body, tokens_file=fx.one_resident_token,
                       expect=EXPECT_ME, connections=opts.connections, threads=opts.threads,
                       duration=seconds, quiet=True)  # fmt: skip
            if not load.clean:
                raise SystemExit(f"bench: errors during the RSS run: {load}")
            done += load.requests
            rate = load.rps
        samples.append((done, rss_kib(server.pid)))
        log(f"  RSS after {done:,} warm `me` requests: {samples[-1][1] / 1024:.1f} MiB")
    return samples


def run_mutation(fx: Fixture, out: DelayResults, opts: Options) -> None:
    with serve_gateway(fx, f"write-{out.delay_ms}ms", delay_ms=out.delay_ms, cache=True) as server:
        tokens = fx.resident_tokens.read_text().split()
        answer = graphql(server.graphql_url, queries.MAKE_COMPLAINT, tokens[0], {"input": queries.COMPLAINT_INPUT})
        if answer.get("errors") or answer["data"]["makeComplaint"]["userErrors"]:
            raise SystemExit(f"bench: makeComplaint did not answer cleanly: {json.dumps(answer)[:2000]}")
        out.mutation = wrk("makeComplaint", server.graphql_url, fx.bodies["mutation"], tokens_file=fx.resident_tokens,
                           expect=EXPECT_MUTATION, connections=opts.connections, threads=opts.threads,
                           duration=opts.duration, pid=server.pid)  # fmt: skip


def run_baselines(fx: Fixture, results: Results, opts: Options, document: Path) -> None:
    for kind in ("starlette", "strawberry", "starlette-bytes"):
        port = free_port()
        command = [sys.executable, str(BENCH_DIR / "baselines.py"), kind, "--host", HOST, "--port", str(port),
                   "--document", str(document)]  # fmt: skip
        log(f"starting baseline: {kind} (uvicorn, 1 worker)")
        with serving(f"baseline-{kind}", command, dict(os.environ), port, fx.root) as server:
            answer = graphql(server.graphql_url, queries.ME, None)
            if answer != json.loads(document.read_text()):
                raise SystemExit(f"bench: the {kind} baseline does not answer the captured document")
            primary, *extra, c1 = token_less_me_at_every_shape(BASELINE_LABELS[kind], server, fx, opts)
            if kind == "starlette":
                results.starlette, results.starlette_c1, results.starlette_extra = primary, c1, extra
            elif kind == "starlette-bytes":
                results.encoded = [primary, *extra, c1]
            else:
                results.strawberry, results.strawberry_c1, results.strawberry_extra = primary, c1, extra


def run_peer(fx: Fixture, results: Results, opts: Options, document: Path) -> None:
    """GraphQL Yoga answering the captured document, cache off then with its response cache; the rows are left
    out (and the report says why) where node or its packages are missing."""
    if not yoga_peer.INSTALLED_MARK.exists():
        log("installing the GraphQL Yoga peer's packages: npm ci --prefix bench/yoga")
    missing = yoga_peer.unavailable()
    if missing:
        results.peer_note = f"The GraphQL Yoga (Node) peer rows were not measured: {missing}."
        log(results.peer_note)
        return
    results.peer_versions = yoga_peer.versions()
    expected = json.loads(document.read_text())
    for response_cache, label in yoga_peer.CONFIGURATIONS.items():
        port = free_port()
        command = yoga_peer.command(host=HOST, port=port, document=document, response_cache=response_cache)
        log(f"starting peer: {label} (node, 1 process)")
        name = "peer-yoga" + ("-response-cache" if response_cache else "")
        with serving(name, command, yoga_peer.environment(), port, fx.root) as server:
            for _ in range(2):  # the second answer is, with the response cache, the kept one
                if graphql(server.graphql_url, queries.ME, None) != expected:
                    raise SystemExit(f"bench: {label} does not answer the captured document")
            results.peer[response_cache] = token_less_me_at_every_shape(label, server, fx, opts)


def token_less_me_at_every_shape(label: str, server: Server, fx: Fixture, opts: Options) -> list[Load]:
    """A baseline's or the peer's loads for the `me` document without a token: at every shape (the primary
    first), then at 1 connection, as the gateway's warm `me` is measured."""
    return [
        wrk(label, server.graphql_url, fx.bodies["me"], tokens_file=None, expect=EXPECT_ME, connections=c,
            threads=t, duration=opts.duration, pid=server.pid)
        for t, c in (*opts.shapes, (1, 1))
    ]  # fmt: skip


def run_workers(fx: Fixture, results: Results, opts: Options, workers: int, delay_ms: int, redis_url: str) -> None:
    name = f"warm-{workers}workers-redis"
    label = f"warm me, {workers} worker{'s' if workers > 1 else ''} + Redis"
    with serve_gateway(fx, name, delay_ms=delay_ms, cache=True, workers=workers, redis_url=redis_url) as server:
        token = fx.one_resident_token.read_text().strip()
        for _ in range(workers * 4):  # every worker answers once, so each has its connections and cache warm
            graphql(server.graphql_url, queries.ME, token)
        loads = [
            wrk(label, server.graphql_url, fx.bodies["me"], tokens_file=fx.one_resident_token, expect=EXPECT_ME,
                connections=c, threads=t, duration=opts.duration,
                pid=server.pid if workers == 1 else None)  # one process only: uvicorn runs one worker in it
            for t, c in opts.shapes
        ]  # fmt: skip
        results.redis_runs.append((workers, loads))


def redis_reachable(url: str) -> bool:
    match = re.match(r"redis://([^:/]+):(\d+)", url)
    if not match or match.group(1) not in ("127.0.0.1", "localhost", "::1"):
        return False
    with contextlib.suppress(OSError), socket.create_connection((match.group(1), int(match.group(2))), timeout=2):
        return True
    return False


def code_description(rev: str | None) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    if rev:
        return f"commit {git('rev-parse', '--short', rev)} ({git('log', '-1', '--format=%s', rev)[:80]}), via --git-rev"
    dirty = git("status", "--porcelain", "--", "customer360")
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"the working tree at {head}" + (" with uncommitted changes in customer360/" if dirty else "")


# --- the report ----------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.splitlines()
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "load tool": wrk_version[0].strip() if wrk_version else "wrk",
    }


QUIET_LOAD_PER_CORE = 0.25  # a 1-minute load average below this per core counts as a quiet machine


def is_quiet(load: tuple[float, float, float]) -> bool:
    return load[0] < QUIET_LOAD_PER_CORE * (os.cpu_count() or 1)


def _loadavg(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "MISSING"


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("**met**" if met else "**missed**")


def fmt_load(load: Load | None) -> tuple[str, str, str]:
    if load is None:
        return ("-", "-", "-")
    if not load.requests:  # wrk saw no answer complete within the run
        return ("-", "-", "0")
    return (f"{load.p50_ms:.1f}", f"{load.p95_ms:.1f}", f"{load.rps:.0f}")


def cold_rows(d: DelayResults, marked: str = "") -> list[tuple[str, Load | None]]:
    """The cold rows of one configuration, named for the report (`marked`: the configuration, if not SQLite's)."""
    return [
        (f"cold `me`, full fan-out (cache off{marked})", d.cold_me_c1),
        (f"cold `me`, full fan-out (cache off{marked})", d.cold_me),
        (f"staff page, 100 customers (cache off{marked})", d.page_c1),
        (f"staff page, 100 customers (cache off{marked})", d.page),
        (f"staff page, 100 customers, summary fields (cache off{marked})", d.summary_c1),
        (f"staff page, 100 customers, summary fields (cache off{marked})", d.summary),
    ]


def peer_rows(results: Results) -> list[tuple[str, Load]]:
    """The GraphQL Yoga peer's rows, each configuration's 1-connection row first as the baselines' are."""
    rows: list[tuple[str, Load]] = []
    for response_cache, label in yoga_peer.CONFIGURATIONS.items():
        loads = results.peer.get(response_cache, [])
        rows += [(f"peer: {label}", load) for load in loads[-1:] + loads[:-1]]
    return rows


def peer_targets(results: Results, d: DelayResults) -> list[tuple[str, str, str, bool | None]]:
    """Diagnostic ratios against the GraphQL Yoga peer at the same wrk shape (no verdict: not targets)."""

    def same_shape(load: Load, response_cache: bool) -> Load | None:
        return next((p for p in results.peer.get(response_cache, []) if p.shape == load.shape and p.rps), None)

    rows: list[tuple[str, str, str, bool | None]] = []
    pairs = [("(peer) cold `me` RPS vs GraphQL Yoga, cache off", d.cold_me, False)]
    pairs += [
        (f"(peer) warm `me` RPS vs GraphQL Yoga with its response cache (wrk {warm.shape})", warm, True)
        for warm in (d.warm_me, *d.warm_me_extra)
        if warm is not None
    ]
    for name, ours, response_cache in pairs:
        peer = same_shape(ours, response_cache) if ours is not None else None
        if ours is not None and peer is not None:
            rows.append((name, f"{ours.rps:.0f} vs {peer.rps:.0f} rps", f"{ours.rps / peer.rps:.2f}x", None))
    return rows


def all_targets(results: Results, d: DelayResults) -> list[tuple[str, str, str, bool | None]]:
    """The targets of one delay, then those of its cold rows with the SQL back offices on PostgreSQL, marked."""
    on_postgres = targets(results, d.postgres) if d.postgres else []
    return targets(results, d) + [
        (f"{name} ({ON_POSTGRES})", measured, ratio, met) for name, measured, ratio, met in on_postgres
    ]


def targets(results: Results, d: DelayResults) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, ratio, met) rows for one delay."""
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, load in (("`me` (full fan-out, cold)", d.cold_me_c1), ("100-customer page", d.page_c1),
                       ("(diagnostic) the same page with summary fields", d.summary_c1)):  # fmt: skip
        if load is not None and load.requests == 0:  # nothing answered within the run: no p50 to judge by
            rows.append((f"{name} p50 (1 connection)", f"no answer within {load.seconds:.0f} s", "-", False))
    if d.cold_me_c1 and d.cold_me_c1.requests:
        ratio = d.cold_me_c1.p50_ms / d.delay_ms
        rows.append((
            "`me` (full fan-out, cold) p50 <= 1.25x the delay (1 connection)",
            f"{d.cold_me_c1.p50_ms:.1f} ms vs {d.delay_ms} ms", f"{ratio:.2f}x", ratio <= 1.25,
        ))  # fmt: skip
    if d.page_calls:
        used = {op: n for op, n in d.page_calls.items() if n}
        exactly_one = bool(used) and all(n == 1 for n in used.values())
        worst = max(used.values()) if used else 0
        rows.append((
            "100-customer page: exactly one call per back-office operation",
            f"{len(used)} operations called, max {worst:g} calls each ({d.page_customers} customers)",
            f"{worst:g} per op", exactly_one and d.page_customers == 100,
        ))  # fmt: skip
    if d.page_c1 and d.page_c1.requests:
        ratio = d.page_c1.p50_ms / d.delay_ms
        rows.append((
            "100-customer page p50 <= 1.5x the delay (1 connection)",
            f"{d.page_c1.p50_ms:.1f} ms vs {d.delay_ms} ms", f"{ratio:.2f}x", ratio <= 1.5,
        ))  # fmt: skip
    if d.summary_c1 and d.summary_c1.requests:
        ratio = d.summary_c1.p50_ms / d.delay_ms
        used = {op: n for op, n in d.summary_calls.items() if n}
        calls = f", {len(used)} operations x {max(used.values()):g} call" if used else ""
        rows.append((
            "(diagnostic) the same page with summary fields: p50 <= 1.5x the delay",
            f"{d.summary_c1.p50_ms:.1f} ms vs {d.delay_ms} ms{calls}", f"{ratio:.2f}x", ratio <= 1.5,
        ))  # fmt: skip
    warm_pairs = [
        (d.warm_me, results.starlette, "in-process cache"),
        *(
            ((w, b, "in-process cache") for w, b in zip(d.warm_me_extra, results.starlette_extra, strict=True))
            if d.warm_me_extra  # none for the cold rows on PostgreSQL, which run no warm `me`
            else ()
        ),
    ]
    if d is results.delays[0]:
        bare_loads = [results.starlette, *results.starlette_extra]
        for workers, loads in results.redis_runs:
            how = f"{workers} worker{'s' if workers > 1 else ''} + Redis"
            warm_pairs += [(w, b, how) for w, b in zip(loads, bare_loads, strict=False)]
    for warm, bare, how in warm_pairs:
        if warm and bare:
            ratio = warm.rps / bare.rps
            rows.append((
                f"warm-cache `me` RPS >= 0.5x bare Starlette ({how}, wrk {warm.shape})",
                f"{warm.rps:.0f} vs {bare.rps:.0f} rps", f"{ratio:.2f}x", ratio >= 0.5,
            ))  # fmt: skip
    if results.encoded:  # against the stricter baseline: the same answer's bytes encoded once, at each shape
        for warm, bare, how in list(warm_pairs):
            strict = next((b for b in results.encoded if bare and b.shape == bare.shape), None)
            if warm and strict:
                ratio = warm.rps / strict.rps
                rows.append((
                    f"(diagnostic) warm `me` RPS vs Starlette sending bytes encoded once ({how}, wrk {warm.shape})",
                    f"{warm.rps:.0f} vs {strict.rps:.0f} rps", f"{ratio:.2f}x", ratio >= 0.5,
                ))  # fmt: skip
    if d.cold_me and results.strawberry:
        ratio = d.cold_me.rps / results.strawberry.rps
        rows.append((
            "cold `me` RPS >= plain Strawberry (same shape)",
            f"{d.cold_me.rps:.0f} vs {results.strawberry.rps:.0f} rps", f"{ratio:.2f}x", ratio >= 1.0,
        ))  # fmt: skip
    rows += peer_targets(results, d)
    if len(d.rss) >= 3:
        first_mark, last_mark = d.rss[1], d.rss[-1]  # d.rss[0] is before any load
        growth = (last_mark[1] - first_mark[1]) / first_mark[1]
        rows.append((
            f"RSS grows < 5% from {first_mark[0]:,} to {last_mark[0]:,} warm `me` requests",
            f"{first_mark[1] / 1024:.1f} MiB -> {last_mark[1] / 1024:.1f} MiB", f"{growth * 100:+.1f}%", growth < 0.05,
        ))  # fmt: skip
    return rows


def render(results: Results) -> str:
    o = results.options
    lines: list[str] = []
    add = lines.append
    add("# customer360 performance")
    add("")
    add("Written by `bench/run.py` (issue 9). Every number below comes from one run of the command shown, on the")
    add("machine shown; the ratios compare numbers measured in that same run. Do not edit by hand: re-run it.")
    add("")
    add("## How it was measured")
    add("")
    add("```sh")
    add(results.command)
    add("```")
    add("")
    add(f"- Date: {results.started.strftime('%Y-%m-%d %H:%M %Z').strip()}")
    add(f"- Code: {results.code}")
    for key, value in machine().items():
        add(f"- {key}: {value}")
    add(
        f"- Load: wrk `-t{o.threads} -c{o.connections}` (the independent harness's shape) for {o.duration} s per "
        "scenario; warm `me` and the baselines also at "
        + ", ".join(f"`-t{t} -c{c}`" for t, c in o.extra_shapes)
        + " (this harness's earlier shape), and 1 connection for the low-concurrency p50 rows. "
        + (
            f"wrk is pinned with `taskset -c {results.wrk_cpus}` ({len(results.wrk_cpus.split(','))} core(s)); "
            "the servers are not pinned, so they share that core with it."
            if results.wrk_cpus
            else f"wrk is not pinned: with {os.cpu_count()} cores it may take any of them (one per wrk thread "
            "at most), the same cores the server runs on, equally for the gateway and the baselines."
        )
    )
    add(
        f"- Machine load (1, 5, 15-minute load average): {_loadavg(results.load_start)} at the start, "
        f"{_loadavg(results.load_end)} at the end: "
        + (
            "**quiet** (nothing else running when it started; during the run the load column is the run's own "
            "servers and wrk, which keep both cores busy)."
            if is_quiet(results.load_start)
            else "**loaded**: the 1-minute load at the start was past the quiet mark (other processes on the "
            "same cores, or the tail of work that had just ended: the report cannot tell which), so absolute "
            "figures may be low and noisy; compare the ratios, whose two sides were measured minutes apart in "
            "this run under similar load (each row's load average at its start and end is in the *load* column)."
        )
    )
    add(
        "- Every server (the gateway, its back-office process and both baselines) runs under uvicorn[standard]: "
        f"uvloop {_version('uvloop')} and httptools {_version('httptools')} are installed, so uvicorn's "
        "`loop=auto, http=auto` picks them (the baselines ask for them explicitly)."
    )
    add(
        "- Server: `customer360 serve` (uvicorn, 1 worker unless stated) on 127.0.0.1, a fresh copy of one seeded "
        "demo council (2,000 residents) per configuration, `C360_OUTBOX_INTERVAL_SECONDS=0`; `C360_CACHE=off` for "
        "cold rows, `on` for warm rows. The demo's HTTP back offices (Open311 street scene, GOV.UK Pay-shaped "
        "payments) run in a process of their own that `serve` starts (`C360_DEMO_BACKOFFICES=process`, one shared "
        "by every worker), so their CPU and memory are not the gateway's (RSS rows are the gateway's alone), though "
        "they share the same 2 cores; the SQL back offices are SQLite files the gateway reads in its own process"
        + (f" (unless a row says *{ON_POSTGRES}*: below). " if any(d.postgres for d in results.delays) else ". ")
        + f"Cold `me` rotates over {results.residents} residents' tokens; warm `me` "
        "asks for one resident. The `me` document asks for every `Customer` field (accounts with instalments and "
        f"statement, discounts, benefit claims, housing applications, requests, complaints, payments): "
        f"{results.me_bytes:,} bytes of JSON for the benchmark resident."
    )
    add(
        '- Staff page: `searchCustomers(query: "", first: 100)` with the same per-customer fields, as a '
        f"`{STAFF_ROLE}` token (about 500 KB of JSON); the *summary fields* page asks for one or two fields per "
        "back office (every operation is still called once) to separate fan-out cost from output size. "
        "Mutation: `makeComplaint` (valid input, rotating residents) on its own copy."
    )
    add(
        "- Baselines (`bench/baselines.py`, uvicorn with the gateway's settings: 1 worker, same host): a bare "
        "Starlette endpoint returning the captured `me` answer (the same document the gateway answers, "
        f"{results.me_bytes:,} bytes) from memory, and a plain Strawberry schema with "
        "the same types resolving it from in-memory objects (no auth, loaders, sources or cache)."
    )
    add(
        "- Peer (`bench/yoga/server.mjs`, started by `bench/yoga_peer.py`): GraphQL Yoga in one Node process "
        "(`NODE_ENV=production`) on the same host, serving the gateway's published schema (`schema.graphql`) "
        "with `me` resolving to the captured answer and Yoga's default resolvers for every other field, so it "
        "parses and validates the same document against the same types; measured with the same wrk script, "
        "document and shapes as the baselines, cache off and with `@graphql-yoga/plugin-response-cache` (one "
        "cache for every caller: the token-less request is a kept answer from the second on). "
        + (f"{results.peer_versions}." if results.peer_versions else results.peer_note or "Not run.")
    )
    if any(d.postgres for d in results.delays):
        add(
            f"- Rows marked *{ON_POSTGRES}* run the same gateway, council and injected delay with its five SQL back "
            "offices (REVENUES, BENEFITS, HOUSING, CRM, HOUSING_MANAGEMENT) in PostgreSQL databases of their own "
            "(`c360_bench_<system>` on 127.0.0.1:5432, copied table by table from the seeded council: "
            "`bench/pg_back_offices.py`), named in a `C360_SOURCES` file with the HTTP back offices, which a "
            "`customer360 demo backoffices` process the harness starts serves (as `serve` does for the SQLite "
            "rows); PostgreSQL's server processes share the same 2 cores, but their CPU is not the gateway's. "
            "Before measuring, the benchmark resident's `me` is checked to be the same answer as on SQLite. "
            "Unmarked cold rows read the SQL back offices as SQLite files through aiosqlite in the gateway's own "
            "process, so their engine work is the gateway's CPU."
        )
    add(
        "- Every answer is checked by the wrk script: a non-200, an `errors` entry or a missing result counts "
        "as an error (column *err*). *CPU ms/req*: the server process's user + system CPU during the wrk run "
        "(`/proc/PID/stat`: every thread of it, none of its children, so neither the back-office process nor "
        "PostgreSQL) divided by the requests answered; not measured for `--workers 2` (several processes)."
    )
    add("")
    add("## Results")
    for d in results.delays:
        add("")
        add(f"### Injected source delay {d.delay_ms} ms")
        add("")
        add("| scenario | wrk | p50 ms | p95 ms | RPS | requests | err | load | CPU ms/req |")
        add("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        rows: list[tuple[str, Load | None]] = [
            *cold_rows(d),
            *(cold_rows(d.postgres, f", {ON_POSTGRES}") if d.postgres else []),
            ("warm-cache `me` (cache on)", d.warm_me_c1),
            ("warm-cache `me` (cache on)", d.warm_me),
            *(("warm-cache `me` (cache on)", load) for load in d.warm_me_extra),
            ("`makeComplaint` mutation", d.mutation),
            ("baseline: bare Starlette JSON", results.starlette_c1),
            ("baseline: bare Starlette JSON", results.starlette),
            *(("baseline: bare Starlette JSON", load) for load in results.starlette_extra),
            ("baseline: plain Strawberry from memory", results.strawberry_c1),
            ("baseline: plain Strawberry from memory", results.strawberry),
            *(("baseline: plain Strawberry from memory", load) for load in results.strawberry_extra),
            *(("baseline: bare Starlette, bytes encoded once", load) for load in results.encoded),
            *peer_rows(results),
        ]
        if d is results.delays[0]:
            for workers, loads in results.redis_runs:
                rows += [(f"warm `me`, `--workers {workers}` + shared Redis", load) for load in loads]
        for name, load in rows:
            if load is None:
                continue
            p50, p95, rps = fmt_load(load)
            errs = load.answer_errors + load.socket_errors
            cpu = f"{load.cpu_ms_per_request:.1f}" if load.cpu_ms_per_request is not None else "-"
            add(
                f"| {name} | `{load.shape}` | {p50} | {p95} | {rps} | {load.requests:,} | {errs} "
                f"| {load.load_before:.1f} -> {load.load_after:.1f} | {cpu} |"
            )
        add("")
        add("| target | measured | ratio | |")
        add("| --- | --- | ---: | --- |")
        for target, measured, ratio, met in all_targets(results, d):
            add(f"| {target} | {measured} | {ratio} | {verdict(met)} |")
        page_calls = {"calls": d.page_calls, f"calls, {ON_POSTGRES}": d.postgres.page_calls if d.postgres else {}}
        page_calls = {column: calls for column, calls in page_calls.items() if calls}
        if page_calls:
            add("")
            add("Back-office calls for one 100-customer page (`customer360_source_calls_total`, after minus before):")
            add("")
            add("| source.operation | " + " | ".join(page_calls) + " |")
            add("| --- |" + " ---: |" * len(page_calls))
            for op in sorted({op for calls in page_calls.values() for op in calls}):
                add(f"| {op} | " + " | ".join(f"{calls.get(op, 0):g}" for calls in page_calls.values()) + " |")
        if d.rss:
            add("")
            add("Server RSS (`VmRSS` of the `customer360 serve` process) across warm `me` requests:")
            add("")
            add("| requests so far | RSS MiB |")
            add("| ---: | ---: |")
            for done, kib in d.rss:
                add(f"| {done:,} | {kib / 1024:.1f} |")
    for note in (results.workers_note, results.postgres_note, results.peer_note):
        if note:
            add("")
            add(note)
    add("")
    add("## Targets at a glance")
    add("")
    add("| target | " + " | ".join(f"{d.delay_ms} ms" for d in results.delays) + " |")
    add("| --- |" + " --- |" * len(results.delays))
    per_delay = [all_targets(results, d) for d in results.delays]
    names = [row[0] for row in max(per_delay, key=len)] if per_delay else []
    for name in names:
        cells = []
        for rows_for_delay in per_delay:
            found = next((r for r in rows_for_delay if r[0] == name), None)
            cells.append(f"{found[2]} {verdict(found[3])}" if found else "-")
        add(f"| {name} | " + " | ".join(cells) + " |")
    if ANALYSIS.exists():
        add("")
        add(ANALYSIS.read_text().strip())
    add("")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s per scenario and RSS to 4,000 requests")
    parser.add_argument("--delays", default="20,50", help="injected source delays in ms (default 20,50)")
    parser.add_argument("--duration", type=int, help="seconds per wrk scenario (default 10, --quick 3)")
    parser.add_argument("--workers", type=int, default=2, help="the extra multi-worker row (0: skip; default 2)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--warm-only",
        action="store_true",
        help="only warm `me` (one worker, and --workers N with Redis), the baselines and the Yoga peer: the ratio rows",
    )
    parser.add_argument("--wrk-cpus", default="", help="pin wrk with `taskset -c LIST` (default: not pinned)")
    parser.add_argument("--residents", type=int, default=200, help="residents to rotate over in cold runs")
    parser.add_argument(
        "--sql-back-offices",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="where the cold rows' SQL back offices are: the demo's SQLite files in the gateway's process, "
        "PostgreSQL databases of their own (their cold rows are marked), or both (default)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", pg_back_offices.DEFAULT_ADMIN_URL),
        help="a PostgreSQL database to create and drop the bench's own databases from (c360_bench_<system>)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs and server logs")
    parser.add_argument(
        "--refresh-analysis",
        action="store_true",
        help=f"only replace the `{ANALYSIS_HEADING}` section of --output with bench/analysis.md (no measuring)",
    )
    parser.add_argument(
        "--git-rev",
        metavar="REV",
        help="benchmark this commit (exported with `git archive` and put first on PYTHONPATH) instead of the "
        "installed working tree, e.g. HEAD while the working tree is mid-change",
    )
    args = parser.parse_args(argv)

    if args.refresh_analysis:
        report = args.output.read_text()
        kept = report.split(f"\n{ANALYSIS_HEADING}\n", 1)[0].rstrip()
        args.output.write_text(kept + "\n\n" + ANALYSIS.read_text().strip() + "\n")
        log(f"refreshed the diagnosis in {args.output}")
        return 0
    if shutil.which("wrk") is None:
        print(
            "bench: wrk is needed (https://github.com/wg/wrk). Install it, e.g.\n"
            "  apt-get install -y wrk        (Debian/Ubuntu)\n  brew install wrk             (macOS)",
            file=sys.stderr,
        )
        return 2
    missing = [name for name in ("uvloop", "httptools") if _version(name) == "MISSING"]
    if missing:
        print(f"bench: uvicorn[standard] is needed ({', '.join(missing)} missing): pip install -e .", file=sys.stderr)
        return 2
    if args.wrk_cpus:
        os.environ["BENCH_WRK_CPUS"] = args.wrk_cpus
    delays = [int(part) for part in args.delays.split(",") if part.strip()]
    quick = args.quick
    opts = Options(
        duration=args.duration or (3 if quick else 10),
        rss_marks=(1000, 2000, 3000, 4000) if quick else (5000, 10000, 15000, 20000),
    )
    results = Results(
        started=dt.datetime.now(dt.UTC).astimezone(),
        command="python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        options=opts,
        workers=args.workers,
        load_start=os.getloadavg(),
        wrk_cpus=args.wrk_cpus,
    )
    root = Path(tempfile.mkdtemp(prefix="c360-bench-"))
    log(f"working in {root}")
    stack = contextlib.ExitStack()  # the bench's PostgreSQL databases, dropped however the run ends
    try:
        if args.git_rev:
            code = root / "code"
            code.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.git_rev], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
        results.code = code_description(args.git_rev)
        log(f"benchmarking {results.code}")
        fx = prepare(root, args.residents)
        results.residents = fx.residents
        on_sqlite = args.sql_back_offices != "postgresql"
        postgres = None
        if args.sql_back_offices != "sqlite" and not args.warm_only:
            postgres = stack.enter_context(postgres_offices(fx, args.postgres_url))
            if postgres is None:
                results.postgres_note = f"The rows with the {ON_POSTGRES} were skipped: none at {args.postgres_url}."
                log(results.postgres_note)
        document = root / "captured_me.json"
        for index, delay in enumerate(delays):
            out = DelayResults(delay)
            results.delays.append(out)
            capture = document if index == 0 else None
            if args.warm_only:
                run_warm(fx, out, opts, rss=False, capture=capture)
            else:
                if on_sqlite:
                    run_cold(fx, out, opts, capture=capture)
                if postgres is not None:
                    out.postgres = DelayResults(delay)
                    run_cold(fx, out.postgres, opts, capture=capture, sql_offices=postgres)
            if index == 0:
                results.me_bytes = len(json.dumps(json.loads(document.read_text()), separators=(",", ":")))
                run_baselines(fx, results, opts, document)
                run_peer(fx, results, opts, document)
            if not args.warm_only:
                run_warm(fx, out, opts, rss=index == 0)
                run_mutation(fx, out, opts)
        if args.workers > 1:
            if redis_reachable(args.redis_url):
                for workers in (1, args.workers):
                    run_workers(fx, results, opts, workers, delays[0], args.redis_url)
            else:
                results.workers_note = f"The `--workers {args.workers}` row was skipped: no Redis at {args.redis_url}."
                log(results.workers_note)
    finally:
        stack.close()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    results.load_end = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results))
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
