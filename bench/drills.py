"""Reliability drills: real faults against a real `customer360 serve`, counted from the back offices' own rows.

    python bench/drills.py            # every drill (under 13 minutes); writes docs/reliability.md
    python bench/drills.py --quick    # the same drills, shorter loads (under 5 minutes)
    python bench/drills.py --label "..." # a sentence on what was measured, in the report

Each run writes docs/reliability.md and its numbers as docs/reliability.json. docs/reliability-before.json (main
at 53b0bf9, before the fixes of issue 14) is read by default: cells that changed since read "before -> after".

The harness starts its OWN PostgreSQL cluster (initdb into a temporary directory, trust auth, a free port) and
its OWN redis-server (no persistence), so it can restart, kill -9, stop and SIGSTOP them without touching any
shared service. It seeds a small demo council (`customer360 demo seed --residents 300`) into a temporary data
dir, mints resident tokens with `customer360 token`, and runs `customer360 serve` as a subprocess on a free
loopback port (rate limits lifted, the outbox relay every second, reconciliation left to the drills).

Every count is checked against the stores, never against what the API says about itself:
  - the gateway store (PostgreSQL): `intents` (every reference a client was given must be there), `outbox`;
  - the demo back offices (SQLite files in the data dir): CRM `complaints`, REVENUES `discounts` and
    `transactions`, the payment provider's `payments`. A back-office row carries the C360 reference as
    `external_reference`; each write a drill intends carries a unique marker in its text, so copies of one
    intended write are found however many references they were given.

lost        a client was given a reference (or its money was taken) and the store or back office does not have it
duplicated  one intended write made more than once in a back office
money       a payment taken by the provider and not credited to REVENUES exactly once
recovered   the service came back by itself (no operator step beyond restarting a killed process), and when

Numbers are from one run on one machine; the drills are not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import glob
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "reliability.md"
BEFORE = ROOT / "docs" / "reliability-before.json"  # the run on main before issue 14's fixes, kept for comparison
HOST = "127.0.0.1"
RESIDENTS_SEEDED = 300
SLOW_SECONDS = 1.0  # a `me` answer slower than this, during a fault, counts as a failure the resident sees
CLIENT_TIMEOUT = 20.0  # seconds a client waits for one answer (a hung dependency shows up as slow, not lost)

ME = """{ me { name councilTaxAccounts { reference balance { formatted } }
  complaints(first: 20) { edges { node { reference } } } } }"""
# What picking residents for a drill needs: their accounts, and whether anyone else is known to live with them.
PROFILE = """{ me { councilTaxAccounts { reference liableTo discounts { status } }
  linkedRecords { system recordId } benefitClaims { household { relationship } } } }"""
MY_COMPLAINTS = "{ me { complaints(first: 100) { edges { node { reference } } } } }"
MAKE_COMPLAINT = """mutation($input: MakeComplaintInput!) {
  makeComplaint(input: $input) { complaint { reference } userErrors { field code message } } }"""
APPLY_SPD = """mutation($input: ApplySinglePersonDiscountInput!) {
  applySinglePersonDiscount(input: $input) { discount { id status } userErrors { field code message } } }"""
MAKE_PAYMENT = """mutation($input: MakePaymentInput!) {
  makePayment(input: $input) { payment { id status nextUrl } userErrors { field code message } } }"""
REPORT_ISSUE = """mutation($input: ReportIssueInput!) {
  reportIssue(input: $input) { request { reference } userErrors { field code message } } }"""


# --- plumbing ------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[drills {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def venv_bin(name: str) -> str:
    """The console script beside this interpreter (the venv's), else whatever is on PATH."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"drills: `{name}` not found; install the package first (pip install -e .)")
    return found


def run(command: list[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise SystemExit(f"drills: `{' '.join(command)}` failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def marker(drill: str) -> str:
    """Text that identifies one intended write wherever it lands (its copies carry it too)."""
    return f"drill:{drill}:{uuid.uuid4().hex[:12]}"


# --- our own PostgreSQL and Redis ----------------------------------------------------------------------


class Postgres:
    """A throwaway cluster: trust auth, loopback only, its socket in our temporary directory."""

    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = found[-1] if found else shutil.which("initdb")
        if not initdb:
            raise SystemExit("drills: PostgreSQL's initdb not found (apt-get install postgresql)")
        self.bin = Path(initdb).parent
        self.dir = root / "pg"
        self.root = root
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@{HOST}:{self.port}/c360"
        self.dsn = f"postgresql://postgres@{HOST}:{self.port}/c360"

    def _as_owner(self, *args: str) -> list[str]:
        # initdb refuses to run as root: run the cluster as the `postgres` user when we are root.
        command = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        run(self._as_owner("initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres"))
        self.start()
        run(self._as_owner("psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE c360"))

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST}"
        run(
            self._as_owner(
                "pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.root / "pg.log"), "-w", action, *extra
            ),
            timeout=60,
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(SystemExit, subprocess.TimeoutExpired):
            self._ctl("stop", "-m", "immediate")


class Redis:
    """Our own redis-server on a free port, without persistence; started, stopped and frozen by the drills."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.log = root / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), timeout=0.5):
                return
            time.sleep(0.05)
        raise SystemExit("drills: redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def freeze(self) -> None:
        assert self.process
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process
        self.process.send_signal(signal.SIGCONT)


# --- the gateway under test ----------------------------------------------------------------------------


@dataclass
class Council:
    """The seeded data dir and how to reach everything the drills count from."""

    data_dir: Path
    env: dict[str, str]
    pg: Postgres
    redis: Redis

    def backoffice(self, name: str) -> sqlite3.Connection:
        # Read-only, short-lived: the back offices are SQLite files in WAL mode, written by the gateway.
        return sqlite3.connect(f"file:{self.data_dir / 'demo' / name}?mode=ro", uri=True, timeout=10)

    def rows(self, database: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.backoffice(database)) as conn:
            return list(conn.execute(sql, params).fetchall())

    async def store_rows(self, sql: str, *params: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.pg.dsn, timeout=10)
        try:
            return list(await conn.fetch(sql, *params))
        finally:
            await conn.close()


class Serve:
    """`customer360 serve` in a process group of its own (it starts the demo back offices as a child)."""

    def __init__(self, council: Council, root: Path, **overrides: str) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.env = {**council.env, "C360_PUBLIC_URL": self.url, **overrides}
        self.log = root / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []  # every process group we started, so teardown ends exactly those

    async def start(self, wait: float = 60) -> float:
        """Start it and wait for /healthz; returns the seconds it took."""
        started = time.monotonic()
        command = [venv_bin("customer360"), "serve", "--host", HOST, "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.groups.append(self.process.pid)
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() - started < wait:
                if self.process.poll() is not None:
                    raise SystemExit(f"drills: serve exited ({self.process.returncode}); see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return time.monotonic() - started
                await asyncio.sleep(0.1)
        raise SystemExit(f"drills: serve did not answer /healthz within {wait} s; see {self.log}")

    def kill9(self) -> None:
        """SIGKILL to serve alone, as the OOM killer would: its back-office child notices and exits by itself."""
        assert self.process
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        for group in self.groups:  # back-office children left behind by a kill -9
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self.groups.clear()


# --- the client: what a resident's browser sees ----------------------------------------------------------


@dataclass
class Answer:
    kind: str  # ok | transport | 503 | 5xx | 4xx | graphql:<code> | userError:<code>
    status: int
    data: dict[str, Any]
    seconds: float


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.url = ""

    async def post(
        self, body: Any, token: str | None = None, headers: dict[str, str] | None = None, *, alone: bool = False
    ) -> Answer:
        """One POST /graphql, classified the way a client would see it (never raises).

        `alone`: on a connection of its own, so an answer that closes its connection (a 500 does) cannot be
        mistaken for the next request finding no answer."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            if alone:
                async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as own:
                    response = await own.post(f"{self.url}/graphql", content=json.dumps(body), headers=sent)
            else:
                response = await self.http.post(f"{self.url}/graphql", content=json.dumps(body), headers=sent)
        except httpx.HTTPError:
            return Answer("transport", 0, {}, time.monotonic() - started)
        seconds = time.monotonic() - started
        if response.status_code == 503:  # "not now, try again": nothing was done, unlike a 500
            return Answer("503", response.status_code, {}, seconds)
        if response.status_code >= 500:
            return Answer("5xx", response.status_code, {}, seconds)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 400:
            return Answer("4xx", response.status_code, payload if isinstance(payload, dict) else {}, seconds)
        if payload.get("errors"):
            code = (payload["errors"][0].get("extensions") or {}).get("code", "ERROR")
            return Answer(f"graphql:{code}", response.status_code, payload, seconds)
        data = payload.get("data") or {}
        for value in data.values():
            if isinstance(value, dict) and value.get("userErrors"):
                return Answer(f"userError:{value['userErrors'][0]['code']}", response.status_code, data, seconds)
        return Answer("ok", response.status_code, data, seconds)

    async def graphql(
        self, token: str | None, query: str, variables: dict[str, Any] | None = None, key: str | None = None
    ) -> Answer:
        headers = {"Idempotency-Key": key} if key else None
        return await self.post({"query": query, "variables": variables or {}}, token, headers)


# --- results ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    drill: str
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by kind, as clients saw them
    lost: int = 0
    duplicated: int = 0
    money: int | None = None  # None: the drill moves no money
    recovered: str = "n/a"
    notes: list[str] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)  # answers that are the right answer here (e.g. ALREADY_APPLIED)
    slowdown: float | None = None  # `me` p50 during a fault / before it (the Redis drills)

    def saw(self, answer: Answer) -> None:
        self.requests += 1
        if answer.kind != "ok":
            self.failures[answer.kind] += 1

    def is_expected(self, kind: str) -> bool:
        return any(kind == e or (e.endswith(":") and kind.startswith(e)) for e in self.expected)

    def failure_text(self) -> str:
        counted = {kind: n for kind, n in self.failures.items() if not self.is_expected(kind)}
        if not counted:
            return "0"
        return ", ".join(f"{n} {kind}" for kind, n in sorted(counted.items(), key=lambda item: -item[1]))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = dict(self.failures)
        data["expected"] = sorted(self.expected)
        data["failure_text"] = self.failure_text()
        return data


# --- helpers the drills share ----------------------------------------------------------------------------


@dataclass
class Resident:
    email: str
    token: str
    accounts: list[dict[str, Any]] = field(default_factory=list)
    lives_alone: bool = False  # no benefit household and no joint tenant: a discount is granted at once (ACTIVE)


@dataclass
class Intent:
    """One write a resident means to make once, however many times the client has to send it."""

    mark: str
    resident: Resident
    references: set[str] = field(default_factory=set)  # every reference a client was given for it
    answered: bool = False


async def complain(client: Client, result: Result, intent: Intent, key: str | None) -> Answer:
    answer = await client.graphql(
        intent.resident.token,
        MAKE_COMPLAINT,
        {"input": {"subject": "Missed bin collection", "description": f"Not collected again. {intent.mark}"}},
        key=key,
    )
    result.saw(answer)
    complaint = (answer.data.get("makeComplaint") or {}).get("complaint") if answer.kind == "ok" else None
    if complaint:
        intent.references.add(complaint["reference"])
        intent.answered = True
    return answer


async def complain_until_answered(
    client: Client, result: Result, intent: Intent, *, give_up_after: float, failures_at: list[float]
) -> None:
    """What a careful client does: on no answer, a 5xx or an INTERNAL_ERROR, send the same request again
    (same Idempotency-Key) until it is answered; a userError is an answer."""
    key = intent.mark
    deadline = time.monotonic() + give_up_after
    attempt = 0
    while time.monotonic() < deadline:
        answer = await complain(client, result, intent, key)
        if answer.kind == "ok" or answer.kind.startswith("userError"):
            return
        failures_at.append(time.monotonic())
        await asyncio.sleep(min(2.0, 0.25 * 2**attempt))  # backing off, as a well-behaved client does
        attempt += 1


async def wait_for_outbox(council: Council, limit: float, references: set[str] | None = None) -> float | None:
    """Seconds until no delivery (of `references`, else of anyone) is PENDING, or None if not within `limit`.

    Scoped to a drill's own references where it can be, so a delivery another drill left claimed does not
    make this one wait."""
    started = time.monotonic()
    sql = "SELECT count(*) AS n FROM outbox WHERE state = 'PENDING'"
    args: list[Any] = []
    if references is not None:
        sql += " AND reference = ANY($1::text[])"
        args.append(sorted(references))
    while time.monotonic() - started < limit:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            if (await council.store_rows(sql, *args))[0]["n"] == 0:
                return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


def references_of(intents: list[Intent]) -> set[str]:
    return {ref for intent in intents for ref in intent.references}


async def count_complaints(council: Council, result: Result, intents: list[Intent]) -> None:
    """lost: a reference a client was given that the store or the CRM lacks; duplicated: copies beyond one."""
    marks = {intent.mark: intent for intent in intents}
    in_crm: Counter[str] = Counter()
    crm_refs: set[str] = set()
    for description, external in council.rows(
        "crm.db", "SELECT description, external_reference FROM complaints WHERE description LIKE '%drill:%'"
    ):
        found = description[description.index("drill:") :].split()[0].rstrip(".")
        if found in marks:
            in_crm[found] += 1
            crm_refs.add(external)
    given = {ref for intent in intents for ref in intent.references}
    kept = {
        row["reference"]
        for row in await council.store_rows(
            "SELECT reference FROM intents WHERE reference = ANY($1::text[])", list(given)
        )
    }
    pending = {
        row["reference"]
        for row in await council.store_rows(
            "SELECT reference FROM outbox WHERE state = 'PENDING' AND reference = ANY($1::text[])", list(given)
        )
    }
    # Not in the CRM yet but still queued is late, not lost: the relay will deliver it.
    late = {ref for ref in given if ref in kept and ref not in crm_refs and ref in pending}
    lost = {ref for ref in given if ref not in kept or (ref not in crm_refs and ref not in pending)}
    result.lost += len(lost)
    if late:
        result.notes.append(f"{len(late)} acknowledged writes not delivered yet (still queued in the outbox)")
    result.duplicated += sum(n - 1 for n in in_crm.values() if n > 1)
    unanswered = sum(1 for intent in intents if not intent.answered)
    if unanswered:  # sent again and again and never answered: the resident does not know if it was kept
        result.failures["never answered"] += unanswered
        result.notes.append(f"{unanswered} intended writes were never answered (the client gave up)")
    if lost:
        result.notes.append(f"lost references: {', '.join(sorted(lost)[:5])}")


class WriteLoad:
    """Residents complaining steadily (6 clients), each write sent until answered, until stopped.

    A client gives one write up after GIVE_UP seconds without an answer; stopping waits a short grace for
    the writes in flight, then abandons them, so a fault that blocks retries cannot stall the drill."""

    GIVE_UP = 20.0

    def __init__(self, ctx: Context, result: Result, drill: str, residents: list[Resident], workers: int = 6) -> None:
        self.intents: list[Intent] = []
        self.failures_at: list[float] = []  # when a client saw a failure (for "recovered after")
        self._stop = asyncio.Event()
        self._ctx, self._result, self._drill, self._residents = ctx, result, drill, residents
        self._task = asyncio.create_task(self._run(workers))
        ctx.loads.append(self._task)  # so a drill that times out leaves no load running behind it

    async def _run(self, workers: int) -> None:
        async def worker(n: int) -> None:
            i = n
            while not self._stop.is_set():
                intent = Intent(marker(self._drill), self._residents[i % len(self._residents)])
                self.intents.append(intent)
                await complain_until_answered(
                    self._ctx.client, self._result, intent, give_up_after=self.GIVE_UP, failures_at=self.failures_at
                )
                i += workers

        await asyncio.gather(*(worker(n) for n in range(workers)))

    async def stop(self, grace: float) -> None:
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, timeout=grace)
        except TimeoutError:
            unfinished = sum(1 for intent in self.intents if not intent.answered)
            self._result.notes.append(f"stopped the load with {unfinished} writes still unanswered after {grace:.0f} s")


def payment_id_of(next_url: str) -> str:
    return next_url.rstrip("/").rsplit("/", 1)[-1]


async def pay_on_hosted_page(http: httpx.AsyncClient, next_url: str) -> int:
    """The resident's browser on the provider's page: open it, choose "success", submit."""
    assert next_url.startswith(f"http://{HOST}:"), next_url  # loopback only
    await http.get(next_url)
    response = await http.post(next_url, data={"outcome": "success"}, follow_redirects=False)
    return response.status_code


def provider_payment(council: Council, payment_id: str) -> tuple[str, str | None]:
    """(status at the provider, the C360 reference it carries)."""
    rows = council.rows("payments.db", "SELECT status, metadata FROM payments WHERE payment_id = ?", payment_id)
    if not rows:
        return "missing", None
    metadata = json.loads(rows[0][1]) if isinstance(rows[0][1], str) else rows[0][1] or {}
    return rows[0][0], metadata.get("c360_reference")


def credits_for(council: Council, c360_reference: str) -> int:
    rows = council.rows("revenues.db", "SELECT count(*) FROM transactions WHERE external_reference = ?", c360_reference)
    return int(rows[0][0])


def new_payment_input(account_reference: str, return_url: str, amount: int = 1234) -> dict[str, Any]:
    return {
        "purpose": "COUNCIL_TAX",
        "amountPence": amount,
        "idempotencyKey": uuid.uuid4().hex,
        "returnUrl": return_url,
        "accountReference": account_reference,
    }


# --- the drills ----------------------------------------------------------------------------------------


async def drill_identical_writes(ctx: Context, with_key: bool) -> Result:
    """5 identical makeComplaint at once per resident (a double-clicking resident, a retrying proxy)."""
    name = "identical writes x5, same Idempotency-Key" if with_key else "identical writes x5, no key (contrast)"
    result = Result(name)
    residents = ctx.take(ctx.scale(3, 6))
    intents = [Intent(marker("identical"), resident) for resident in residents]

    async def five(intent: Intent) -> None:
        key = intent.mark if with_key else None
        await asyncio.gather(*(complain(ctx.client, result, intent, key) for _ in range(5)))

    await asyncio.gather(*(five(intent) for intent in intents))
    await wait_for_outbox(ctx.council, 30, references_of(intents))
    await count_complaints(ctx.council, result, intents)
    distinct = [len(intent.references) for intent in intents]
    result.notes.append(f"{len(intents)} residents x 5 requests; distinct references per intent: {distinct}")
    if not with_key:
        result.notes.append(
            "without a key five requests are five writes as far as any server can tell: "
            "duplicates here are expected and shown only for contrast"
        )
    return result


async def drill_stray_space(ctx: Context) -> Result:
    """makePayment with "REF " (a stray space), paid on the hosted page: is REVENUES credited exactly once?"""
    result = Result("makePayment with a stray space, paid")
    result.money = 0
    for resident, spaced in zip(ctx.take_with_account(2), ("{} ", " {}"), strict=False):
        account = resident.accounts[0]["reference"]
        answer = await ctx.client.graphql(
            resident.token, MAKE_PAYMENT, {"input": new_payment_input(spaced.format(account), ctx.return_url)}
        )
        result.saw(answer)
        payment = (answer.data.get("makePayment") or {}).get("payment") if answer.kind == "ok" else None
        if not payment or not payment.get("nextUrl"):
            result.notes.append(f"makePayment({spaced.format('REF')!r}) answered {answer.kind}: nothing was charged")
            continue
        status = await pay_on_hosted_page(ctx.client.http, payment["nextUrl"])
        payment_id = payment_id_of(payment["nextUrl"])
        credited, reference, taken = 0, None, "missing"
        deadline = time.monotonic() + 15  # the webhook, then the outbox relay (every second here)
        while time.monotonic() < deadline:
            taken, reference = provider_payment(ctx.council, payment_id)
            credited = credits_for(ctx.council, reference) if reference else 0
            if credited or (
                reference
                and await ctx.council.store_rows(
                    "SELECT 1 FROM outbox WHERE reference = $1 AND state = 'FAILED'", reference
                )
            ):
                break  # credited, or refused for good: waiting longer changes nothing
            await asyncio.sleep(0.5)
        if reference and not await ctx.council.store_rows("SELECT 1 FROM payments WHERE reference = $1", reference):
            result.lost += 1  # the provider holds a payment the gateway has no record of
        if taken == "success" and credited != 1:
            result.money += 1
        if credited > 1:
            result.duplicated += credited - 1
        outbox = await ctx.council.store_rows(
            "SELECT state, last_error FROM outbox WHERE reference = $1", reference or ""
        )
        states = (
            ", ".join(
                f"{row['state']}" + (f" ({row['last_error'][:60]})" if row["last_error"] else "") for row in outbox
            )
            or "none"
        )
        result.notes.append(
            f"account {spaced.format('REF')!r}: hosted page {status}, provider {taken}, "
            f"REVENUES credits {credited}, outbox {states}"
        )
    result.recovered = "yes" if result.money == 0 else "no (money taken, not credited)"
    return result


async def drill_spd(ctx: Context) -> Result:
    """applySinglePersonDiscount x5 at once for one account: one discount, four ALREADY_APPLIED."""
    result = Result("applySinglePersonDiscount x5 at once")
    result.expected = {"userError:ALREADY_APPLIED"}
    result.money = 0
    residents = [r for r in ctx.take_with_account(ctx.scale(2, 3), free_of_discounts=True)]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for resident in residents:
        account = resident.accounts[0]["reference"]
        credits_before = ctx.council.rows(
            "revenues.db",
            "SELECT count(*) FROM transactions WHERE account_reference = ? AND kind = 'DISCOUNT'",
            account,
        )[0][0]
        variables = {"input": {"accountReference": account, "startsOn": today, "declaration": True}}
        answers = await asyncio.gather(*(ctx.client.graphql(resident.token, APPLY_SPD, variables) for _ in range(5)))
        for answer in answers:
            result.saw(answer)
        await wait_for_outbox(ctx.council, 20)
        rows = ctx.council.rows(
            "revenues.db",
            "SELECT status FROM discounts WHERE account_reference = ? AND external_reference IS NOT NULL",
            account,
        )
        live = [status for (status,) in rows if status in ("ACTIVE", "PENDING")]
        credits = (
            ctx.council.rows(
                "revenues.db",
                "SELECT count(*) FROM transactions WHERE account_reference = ? AND kind = 'DISCOUNT'",
                account,
            )[0][0]
            - credits_before
        )
        by_status = ", ".join(f"{n} {status}" for status, n in Counter(live).items()) or "none"
        result.duplicated += max(0, len(live) - 1)
        result.money += max(0, credits - 1)  # each extra credit takes 25% off the bill again
        result.notes.append(
            f"account {account}: {sum(a.kind == 'ok' for a in answers)} granted, "
            f"{sum(a.kind == 'userError:ALREADY_APPLIED' for a in answers)} ALREADY_APPLIED; "
            f"REVENUES has {len(live)} live discounts ({by_status}), {credits} discount credits"
        )
    return result


async def drill_abandoned_payments(ctx: Context) -> Result:
    """250 payments started and abandoned, then one paid whose webhook is lost: does reconciliation find it?"""
    result = Result("250 abandoned payments, then a lost webhook")
    result.money = 0
    abandoned = 250
    await ctx.restart_serve(C360_DEMO_WEBHOOK_COPIES="0")  # the provider drops every webhook from now on
    payers = ctx.take_with_account(5)
    gate = asyncio.Semaphore(8)

    async def start_one(n: int) -> None:
        payer = payers[n % len(payers)]
        async with gate:
            answer = await ctx.client.graphql(
                payer.token,
                MAKE_PAYMENT,
                {"input": new_payment_input(payer.accounts[0]["reference"], ctx.return_url, 100)},
            )
        result.saw(answer)

    await asyncio.gather(*(start_one(n) for n in range(abandoned)))
    payer = payers[0]
    answer = await ctx.client.graphql(
        payer.token, MAKE_PAYMENT, {"input": new_payment_input(payer.accounts[0]["reference"], ctx.return_url)}
    )
    result.saw(answer)
    payment = (answer.data.get("makePayment") or {}).get("payment") if answer.kind == "ok" else None
    if not payment:
        result.notes.append(f"the paid payment could not be started ({answer.kind})")
        return result
    await pay_on_hosted_page(ctx.client.http, payment["nextUrl"])
    payment_id = payment_id_of(payment["nextUrl"])
    passes_allowed = ctx.scale(2, 4)
    credited_after = None
    reference = None
    for n in range(1, passes_allowed + 1):
        started = time.monotonic()
        await asyncio.to_thread(run, [venv_bin("customer360"), "payments", "reconcile"], env=ctx.serve.env)
        taken, reference = provider_payment(ctx.council, payment_id)
        await wait_for_outbox(ctx.council, 10)
        credited = credits_for(ctx.council, reference) if reference else 0
        result.notes.append(f"reconcile pass {n}: {time.monotonic() - started:.1f} s, REVENUES credits {credited}")
        if credited:
            credited_after = n
            break
    taken, reference = provider_payment(ctx.council, payment_id)
    credited = credits_for(ctx.council, reference) if reference else 0
    if taken == "success" and credited != 1:
        result.money += 1
    result.duplicated += max(0, credited - 1)
    if credited_after:
        result.recovered = f"yes, credited after {credited_after} reconcile pass(es)"
    else:
        result.recovered = f"no: not credited after {passes_allowed} reconcile passes"
    unsettled = await ctx.council.store_rows(
        "SELECT count(*) AS n FROM payments WHERE status NOT IN ('SUCCESS','FAILED','CANCELLED','ERROR')"
    )
    result.notes.append(f"{unsettled[0]['n']} payments still unsettled in the gateway's store at the end")
    await ctx.restart_serve()  # webhooks delivered again for the drills that follow
    return result


async def drill_kill9(ctx: Context) -> Result:
    """kill -9 of serve under write load, three times; restarted each time (as a supervisor would)."""
    result = Result("kill -9 of serve under write load, x3")
    intents: list[Intent] = []
    residents = ctx.take(8)
    load_seconds = ctx.scale(1.5, 4.0)
    for round_no in range(1, 4):
        load = WriteLoad(ctx, result, "kill9", residents)
        await asyncio.sleep(load_seconds)
        ctx.serve.kill9()
        killed = time.monotonic()
        # Deliveries the dead process had claimed: nobody delivers them until their claim is released.
        claimed = await ctx.council.store_rows(
            "SELECT count(*) AS n FROM outbox WHERE state = 'PENDING' AND claimed_until > now()"
        )
        await asyncio.sleep(1)
        await ctx.restart_serve(same_port=True)
        back = time.monotonic() - killed
        await asyncio.sleep(load_seconds)
        await load.stop(grace=ctx.scale(5, 10))
        intents += load.intents
        result.notes.append(
            f"round {round_no}: {claimed[0]['n']} deliveries held by claims of killed processes; "
            f"serve answering again {back:.1f} s after the kill"
        )
    last_restart = time.monotonic()
    drained = await wait_for_outbox(ctx.council, ctx.scale(15, 70))
    await count_complaints(ctx.council, result, intents)
    if drained is None:
        stuck = await ctx.council.store_rows("SELECT count(*) AS n FROM outbox WHERE state = 'PENDING'")
        result.recovered = f"no: {stuck[0]['n']} deliveries still pending {time.monotonic() - last_restart:.0f} s after"
    else:
        result.recovered = f"yes, outbox drained {drained:.0f} s after the last restart"
    result.notes.append(f"{len(intents)} intended writes, each sent until answered (same Idempotency-Key)")
    return result


async def drill_postgres_restart(ctx: Context) -> Result:
    """`pg_ctl restart -m fast` under write load: what clients see, and whether every kept write lands."""
    result = Result("PostgreSQL restart under write load")
    load = WriteLoad(ctx, result, "pgrestart", ctx.take(8))
    await asyncio.sleep(ctx.scale(2.0, 4.0))
    readyz: Counter[int] = Counter()
    probing = asyncio.Event()

    async def probe_readyz() -> None:  # /readyz while the store is away: 503 with JSON, never a 500
        while not probing.is_set():
            with contextlib.suppress(httpx.HTTPError):
                readyz[(await ctx.client.http.get(f"{ctx.serve.url}/readyz", timeout=5)).status_code] += 1
            await asyncio.sleep(0.1)

    prober = asyncio.create_task(probe_readyz())
    restarted_at = time.monotonic()
    await asyncio.to_thread(ctx.council.pg.restart)
    restart_took = time.monotonic() - restarted_at
    await asyncio.sleep(ctx.scale(5.0, 8.0))
    probing.set()
    await prober
    await load.stop(grace=ctx.scale(5, 10))
    intents = load.intents
    await wait_for_outbox(ctx.council, ctx.scale(15, 30), references_of(intents))
    await count_complaints(ctx.council, result, intents)
    after = [at - restarted_at for at in load.failures_at if at >= restarted_at]
    if not after:
        result.recovered = "yes, no client saw a failure"
    else:
        result.recovered = f"yes, last client failure {max(after):.1f} s after the restart began"
    result.notes.append(f"pg_ctl restart took {restart_took:.1f} s; /readyz answers during it: {dict(readyz)}")
    result.notes.append(f"{len(intents)} intended writes, each sent until answered (same Idempotency-Key)")
    if readyz.get(500):
        result.failures["readyz 500"] += readyz[500]
    return result


async def drill_replicas(ctx: Context) -> Result:
    """Two replicas behind HAProxy under mixed load: kill -9 one, restart it, rolling-restart both."""
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is on the path but the package is not
    from bench.replicas import run_replica_drill

    result = Result("two replicas behind HAProxy: kill -9 one, rolling restart")
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if haproxy is None:
        raise SystemExit("drills: haproxy not found (apt-get install haproxy)")
    logs = ctx.root / "replicas"
    logs.mkdir(exist_ok=True)
    env = {**ctx.council.env, "C360_DRAIN_SECONDS": "3"}
    tokens = [resident.token for resident in ctx.take(4)]
    figures = await run_replica_drill(
        env,
        ctx.council.data_dir,
        logs,
        tokens,
        haproxy,
        steady_seconds=ctx.scale(3.0, 10.0),
        until_key_claims_end=not ctx.quick,
    )
    result.requests = figures.requests
    result.failures.update(figures.other_failures)
    if figures.cut_by_kill:
        result.failures["cut by the kill"] += figures.cut_by_kill
    if figures.key_held:
        result.failures["409 while the killed replica's key claim lasted"] += figures.key_held
    result.lost, result.duplicated = figures.lost, figures.duplicated
    result.recovered = "yes" if not figures.other_failures else "no: failures the kill does not explain"
    result.notes.extend(figures.notes)
    result.notes.append(figures.summary())
    return result


async def me_latencies(ctx: Context, residents: list[Resident], seconds: float, result: Result) -> list[float]:
    """Residents reading `me` back to back (two at a time) for `seconds`; latencies of the answered ones."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def reader(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            answer = await ctx.client.graphql(residents[i % len(residents)].token, ME)
            result.saw(answer)
            if answer.kind == "ok":
                latencies.append(answer.seconds)
            i += 2

    await asyncio.gather(reader(0), reader(1))
    return latencies


def latency_note(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no answers"
    return (
        f"{label}: {len(values)} answers, p50 {percentile(values, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(values, 0.95) * 1000:.0f} ms"
    )


async def my_complaints(ctx: Context, resident: Resident, result: Result) -> set[str]:
    answer = await ctx.client.graphql(resident.token, MY_COMPLAINTS)
    result.saw(answer)
    edges = (((answer.data.get("me") or {}).get("complaints") or {}).get("edges")) or []
    return {edge["node"]["reference"] for edge in edges}


async def reads_own_write(ctx: Context, resident: Resident, result: Result) -> tuple[bool, str | None]:
    """A complaint made now must be in the resident's next `me` read (a kept answer must not hide it)."""
    intent = Intent(marker("readyourwrite"), resident)
    await complain(ctx.client, result, intent, key=intent.mark)
    if not intent.references:
        return False, None
    reference = next(iter(intent.references))
    return reference in await my_complaints(ctx, resident, result), reference


async def seconds_until_me_answers(ctx: Context, resident: Resident, result: Result, limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        answer = await ctx.client.graphql(resident.token, ME)
        result.saw(answer)
        if answer.kind == "ok":
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    return None


async def drill_redis(ctx: Context, hang: bool) -> Result:
    """Redis stopped (or hung with SIGSTOP) for ~10 s: `me` latency during vs before, errors, read-your-write."""
    result = Result("Redis hung (SIGSTOP ~10 s)" if hang else "Redis stopped (~10 s)")
    residents = ctx.take(6)
    writer = residents[0]
    before = await me_latencies(ctx, residents, ctx.scale(3.0, 5.0), result)
    await my_complaints(ctx, writer, result)  # from here an answer of the writer's is kept in Redis
    redis = ctx.council.redis
    outage_started = time.monotonic()
    redis.freeze() if hang else redis.stop()
    try:
        during_write = asyncio.create_task(reads_own_write(ctx, writer, result))
        during = await me_latencies(ctx, residents, ctx.scale(5.0, 10.0), result)
        seen_during, made_during = await asyncio.wait_for(during_write, timeout=CLIENT_TIMEOUT * 3)
    finally:
        redis.thaw() if hang else redis.start()
    outage = time.monotonic() - outage_started
    back_in = await seconds_until_me_answers(ctx, writer, result, 20)
    failures_so_far = sum(result.failures.values())
    # With Redis back, the answer kept from before the outage must not hide the write made during it:
    # its invalidation could not reach Redis then.
    hidden = made_during is not None and made_during not in await my_complaints(ctx, writer, result)
    seen_after, _ = await reads_own_write(ctx, writer, result)
    after = await me_latencies(ctx, residents, 2.0, result)
    errors_after = sum(result.failures.values()) - failures_so_far
    p50_before, p50_during = percentile(before, 0.5), percentile(during, 0.5)
    ratio = p50_during / p50_before if before and during else float("inf")
    result.notes += [
        latency_note("`me` before", before),
        latency_note("`me` during", during) + f" (p50 {ratio:.1f}x before; target within 2x)",
        latency_note("`me` after", after),
        f"outage lasted {outage:.1f} s (the last slow answers included)",
        "a resident's own write: made during the outage and read at once: "
        + ("seen" if seen_during else "MISSING")
        + "; the same write read after Redis returned: "
        + ("MISSING (a stale kept answer)" if hidden else "seen")
        + "; a write made after Redis returned: "
        + ("seen" if seen_after else "MISSING"),
    ]
    if back_in is not None and errors_after == 0:
        result.recovered = f"yes, `me` answered {back_in:.1f} s after Redis returned"
    else:
        result.recovered = f"no: {errors_after} client failures after Redis returned"
    missing = int(not seen_during) + int(hidden) + int(not seen_after)
    if missing:
        result.lost += missing
        result.notes.append("`lost` here counts a resident's own write missing from their next read")
    result.slowdown = ratio
    # An answer that takes seconds is a failure to the resident waiting for it, if not to the HTTP client.
    slow = sum(1 for seconds in during if seconds > SLOW_SECONDS)
    if slow:
        result.failures[f"slow (>{SLOW_SECONDS:.0f} s)"] += slow
    return result


async def drill_hostile_inputs(ctx: Context) -> Result:
    """Careless and hostile input: never a 5xx, never a traceback; invalid text refused with a userError."""
    result = Result("hostile inputs (0 5xx target)")
    result.expected = {"4xx", "userError:"}  # refusing bad input with a 400 or a userError is the right answer
    resident = ctx.take(1)[0]
    accepted: list[str] = []
    raw_bodies: dict[str, Any] = {'JSON body "x"': "x", "JSON body null": None, "JSON body 5": 5, "JSON body []": []}
    for label, body in raw_bodies.items():
        answer = await ctx.client.post(body, resident.token, alone=True)
        result.saw(answer)
        result.notes.append(f"{label}: HTTP {answer.status or 'no answer'} ({answer.kind})")
    nul = Intent(marker("hostile"), resident)
    answer = await ctx.client.graphql(
        resident.token, MAKE_COMPLAINT, {"input": {"subject": "bins\u0000", "description": f"NUL \u0000 {nul.mark}"}}
    )
    result.saw(answer)
    if answer.kind == "ok":
        accepted.append("a NUL in a complaint")
    answer = await ctx.client.graphql(resident.token, "query($id: ID!) { node(id: $id) { id } }", {"id": "\u0000"})
    result.saw(answer)
    result.notes.append(f"node(id: NUL): {answer.kind}")
    services = await ctx.client.graphql(None, "{ services { code } }")
    codes = [s["code"] for s in (services.data.get("services") or [])] if services.kind == "ok" else []
    if codes:
        long_email = "a" * (5000 - len("@example.com")) + "@example.com"
        answer = await ctx.client.graphql(
            resident.token,
            REPORT_ISSUE,
            {
                "input": {
                    "serviceCode": codes[0],
                    "description": "Broken street light",
                    "contactEmail": long_email,
                    "location": {"latitude": 52.6337, "longitude": -1.6951},
                }
            },
        )
        result.saw(answer)
        if answer.kind == "ok":
            accepted.append("a 5,000-character contactEmail")
        result.notes.append(f"reportIssue with a 5,000-character contactEmail: {answer.kind}")
    result.notes.append(f"accepted though invalid: {', '.join(accepted) or 'nothing'}")
    result.recovered = "n/a"
    return result


# --- the run -------------------------------------------------------------------------------------------


class Context:
    """What every drill needs: the council, the running serve, a client, and residents not used yet."""

    def __init__(self, council: Council, root: Path, residents: list[Resident], quick: bool) -> None:
        self.council = council
        self.root = root
        self.residents = residents
        self.quick = quick
        self.http = httpx.AsyncClient(timeout=CLIENT_TIMEOUT, limits=httpx.Limits(max_connections=64))
        self.client = Client(self.http)
        self.serve: Serve = Serve(council, root)
        self.loads: list[asyncio.Task[None]] = []

    def scale(self, quick: Any, full: Any) -> Any:
        return quick if self.quick else full

    @property
    def return_url(self) -> str:
        return f"{self.serve.url}/payments/done"  # the portal's own origin, as a real return URL would be

    def take(self, n: int) -> list[Resident]:
        """Residents no earlier drill used, so one drill's writes never confuse another's counts."""
        if len(self.residents) < n:
            raise SystemExit("drills: not enough residents left; mint more tokens")
        picked, self.residents = self.residents[:n], self.residents[n:]
        return picked

    def take_with_account(self, n: int, *, free_of_discounts: bool = False) -> list[Resident]:
        """Residents liable for an open account (for a discount: one without a discount, living alone first)."""

        def fits(resident: Resident) -> bool:
            if not resident.accounts or resident.accounts[0].get("liableTo"):
                return False
            live = [d for d in resident.accounts[0].get("discounts", []) if d["status"] in ("ACTIVE", "PENDING")]
            return not (free_of_discounts and live)

        fitting = [r for r in self.residents if fits(r)]
        if free_of_discounts:  # living alone, the discount is ACTIVE and credited: the costly duplicate
            fitting.sort(key=lambda r: not r.lives_alone)
        picked = fitting[:n]
        if len(picked) < n:
            raise SystemExit("drills: not enough residents with a Council Tax account; seed more")
        for resident in picked:
            self.residents.remove(resident)  # used: no other drill takes them
        return picked

    async def heal(self) -> None:
        """After a drill that broke off: no load left running, Redis running and not frozen, PostgreSQL up,
        a fresh serve."""
        for task in self.loads:
            task.cancel()
        redis = self.council.redis
        if redis.process and redis.process.poll() is None:
            redis.thaw()
        else:
            redis.start()
        with contextlib.suppress(SystemExit, subprocess.TimeoutExpired):
            self.council.pg.start()  # refused if it is running, which is what we want
        await self.restart_serve()

    async def restart_serve(self, same_port: bool = False, **overrides: str) -> None:
        """A fresh serve with `overrides` (a kill -9 drill keeps the port, as a supervisor restarting it would)."""
        old = self.serve
        if not same_port:
            old.stop()
            self.serve = Serve(self.council, self.root, **overrides)
        else:
            self.serve = Serve(self.council, self.root, **{**old.env, **overrides})
            self.serve.port, self.serve.url = old.port, old.url
            self.serve.groups = old.groups
        self.client.url = self.serve.url
        await self.serve.start()


def prepare(root: Path, quick: bool) -> Council:
    pg = Postgres(root)
    redis = Redis(root)
    log(f"starting our own PostgreSQL (port {pg.port}) and Redis (port {redis.port})")
    pg.init()
    redis.start()
    data_dir = root / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(
        C360_ENV="demo",
        C360_DATA_DIR=str(data_dir),
        C360_DATABASE_URL=pg.url,
        C360_REDIS_URL=redis.url,
        # One client address and a few tokens making many requests is the drill, not abuse.
        C360_RATE_LIMIT_PER_IP="0",
        C360_RATE_LIMIT_PER_PRINCIPAL="0",
        C360_OUTBOX_INTERVAL_SECONDS="1",  # the relay finishes quickly after a fault
        C360_RECONCILE_INTERVAL_SECONDS="0",  # reconciliation passes are counted by the drill itself
        C360_DEMO_BACKOFFICES="process",
        C360_LOG_LEVEL="WARNING",
    )
    log(f"seeding {RESIDENTS_SEEDED} residents (customer360 demo seed)")
    run([venv_bin("customer360"), "demo", "seed", "--residents", str(RESIDENTS_SEEDED)], env=env, timeout=300)
    return Council(data_dir, env, pg, redis)


def mint_tokens(council: Council, wanted: int) -> list[Resident]:
    """Tokens as `customer360 token --resident` makes them: the command once (it makes the data dir's signing
    key), then its own issuer in-process for the rest (a process per token is 0.5 s of CPU each)."""
    from customer360.auth.keys import load_or_create_signing_key
    from customer360.auth.tokens import DemoIssuer

    lines = run([venv_bin("customer360"), "demo", "residents", "--limit", str(wanted)], env=council.env)
    emails = [json.loads(line)["email"] for line in lines.splitlines() if line.startswith("{")]
    log(f"minting {len(emails)} resident tokens (customer360 token --resident)")
    first = run([venv_bin("customer360"), "token", "--resident", emails[0]], env=council.env).strip()
    issuer = DemoIssuer(load_or_create_signing_key(council.data_dir))
    tokens = [first] + [issuer.resident_token(email) for email in emails[1:]]
    return [Resident(email, token) for email, token in zip(emails, tokens, strict=True)]


async def load_profiles(ctx: Context) -> None:
    async def one(resident: Resident) -> None:
        answer = await ctx.client.graphql(resident.token, PROFILE)
        me = answer.data.get("me") or {} if answer.kind == "ok" else {}
        resident.accounts = me.get("councilTaxAccounts") or []
        applicants = [r["recordId"] for r in me.get("linkedRecords") or [] if r["system"] == "HOUSING"]
        joint = [
            applicant
            for applicant in applicants
            if ctx.council.rows(
                "housing.db",
                "SELECT 1 FROM tenancies WHERE applicant_id = ? AND joint_tenant_forenames IS NOT NULL",
                applicant,
            )
        ]
        household = [m for claim in me.get("benefitClaims") or [] for m in claim["household"]]
        resident.lives_alone = bool(me) and not joint and not household

    await asyncio.gather(*(one(r) for r in ctx.residents))


Drill = Callable[["Context"], Awaitable[Result]]


def drill_list() -> list[tuple[str, Drill, float]]:
    """(name, drill, time budget in seconds): a drill over its budget is recorded as such and the run goes on."""
    return [
        ("identical writes x5, same Idempotency-Key", lambda ctx: drill_identical_writes(ctx, True), 45),
        ("identical writes x5, no key (contrast)", lambda ctx: drill_identical_writes(ctx, False), 45),
        ("makePayment with a stray space, paid", drill_stray_space, 60),
        ("applySinglePersonDiscount x5 at once", drill_spd, 45),
        ("250 abandoned payments, then a lost webhook", drill_abandoned_payments, 100),
        ("kill -9 of serve under write load, x3", drill_kill9, 180),
        ("PostgreSQL restart under write load", drill_postgres_restart, 80),
        ("Redis stopped (~10 s)", lambda ctx: drill_redis(ctx, False), 60),
        ("Redis hung (SIGSTOP ~10 s)", lambda ctx: drill_redis(ctx, True), 90),
        ("hostile inputs (0 5xx target)", drill_hostile_inputs, 30),
        ("two replicas behind HAProxy: kill -9 one, rolling restart", drill_replicas, 200),
    ]


async def run_drills(ctx: Context, only: set[str] | None, deadline: float) -> list[Result]:
    """Each drill within its own budget and what is left of the run's (`deadline`, monotonic)."""
    results = []
    ctx.client.url = ctx.serve.url
    for name, drill, budget in drill_list():
        if only and not any(word in name for word in only):
            continue
        budget = min(budget, deadline - time.monotonic())
        if budget < 10:
            results.append(Result(name, recovered="skipped: the run's time budget was spent"))
            log(f"drill: {name}: skipped, the run's time budget was spent")
            continue
        log(f"drill: {name}")
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(drill(ctx), timeout=budget)
        except TimeoutError:
            result = Result(name, recovered=f"drill did not finish within {budget:.0f} s")
            result.notes.append("the drill itself timed out: the numbers for this row are missing")
            await ctx.heal()
        except (Exception, SystemExit) as error:  # a broken drill must not hide the others' numbers
            result = Result(name, recovered=f"drill failed: {type(error).__name__}: {str(error)[:200]}")
            await ctx.heal()
        result.notes.append(f"drill took {time.monotonic() - started:.0f} s")
        log(
            f"  {result.requests} requests, failures {result.failure_text()}, lost {result.lost}, "
            f"duplicated {result.duplicated}, money {result.money}, recovered {result.recovered}"
        )
        results.append(result)
    return results


def code_under_test() -> str:
    """The last commit that changed customer360/ (the harness itself may be newer)."""
    with contextlib.suppress(Exception):
        return run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", "customer360"]).strip()
    return "unknown"


def cell(after: Any, before: Any | None) -> str:
    text = "n/a" if after is None else str(after)
    if before is None:
        return text
    old = str(before)
    return text if old == text else f"{old} → {text}"


WHAT_EACH_DOES = [
    ("identical writes x5", "5 identical `makeComplaint` at once per resident, with one `Idempotency-Key` (and, for "
     "contrast, without one); CRM complaints per intent"),
    ("stray space", "`makePayment` for `\"REF \"` and `\" REF\"`, paid on the demo hosted page; is REVENUES credited "
     "exactly once?"),
    ("SPD x5", "5 concurrent `applySinglePersonDiscount` for one account of a resident living alone; live discounts "
     "and discount credits in REVENUES"),
    ("abandoned payments", "250 payments started and never paid, then one paid with its webhook dropped "
     "(`C360_DEMO_WEBHOOK_COPIES=0`); `customer360 payments reconcile` passes until REVENUES is credited"),
    ("kill -9", "write load (6 clients, each write re-sent until answered, with the same key), `kill -9` of serve, "
     "restart on the same port, x3; then the outbox relay is let finish"),
    ("PostgreSQL restart", "the same write load through `pg_ctl restart -m fast`; `/readyz` polled meanwhile"),
    ("Redis stopped / hung", "`me` read back to back before and during ~10 s of Redis stopped or frozen (SIGSTOP); "
     "a resident's own write read during, and after Redis returns"),
    ("replicas", "two `serve` behind HAProxy (`deploy/haproxy.cfg`) sharing PostgreSQL and Redis, reads and writes "
     "(each write re-sent until answered, same key) through HAProxy; `kill -9` of one, restarted; then SIGTERM and "
     "restart of each in turn (`bench/replicas.py`)"),
    ("hostile inputs", "JSON bodies `\"x\"`, `null`, `5`, `[]`; NUL in a field and in an id; a 5,000-character email"),
]  # fmt: skip


def targets(results: list[Result], before: dict[str, dict[str, Any]]) -> str:
    """The targets that are not a column of the table: 5xx from hostile input, `me` p50 with Redis away."""
    lines = []
    for r in results:
        if r.slowdown is not None:
            was = before.get(r.drill, {}).get("slowdown")
            earlier = f"{was:.1f}x → " if was is not None else ""
            lines.append(f"- {r.drill}: `me` p50 during / before: {earlier}{r.slowdown:.1f}x (target: within 2x)")
        if r.drill.startswith("hostile"):
            was = before.get(r.drill, {}).get("failures", {}).get("5xx") if r.drill in before else None
            earlier = f"{was or 0} → " if r.drill in before else ""
            lines.append(f"- {r.drill}: 5xx answers: {earlier}{r.failures.get('5xx', 0)} (target: 0)")
    return "Targets outside the table:\n\n" + "\n".join(lines) if lines else ""


def write_report(results: list[Result], args: argparse.Namespace, started: dt.datetime, seconds: float) -> None:
    """docs/reliability.md and this run's JSON (what a later run's `--before` reads)."""
    commit = code_under_test()
    before: dict[str, dict[str, Any]] = {}
    before_commit = ""
    if args.before and Path(args.before).exists():
        kept = json.loads(Path(args.before).read_text())
        if kept["commit"] != commit:  # the same code twice is not a before and after
            before = {row["drill"]: row for row in kept["results"]}
            before_commit = kept["commit"]
    data = {"commit": commit, "started": started.isoformat(), "quick": args.quick}
    data["results"] = [r.to_json() for r in results]
    json_path = Path(args.json) if args.json else Path(args.output).with_suffix(".json")
    json_path.write_text(json.dumps(data, indent=2) + "\n")

    def row(r: Result) -> str:
        was = before.get(r.drill)
        cells = [
            (r.requests, "requests"),
            (r.failure_text(), "failure_text"),
            (r.lost, "lost"),
            (r.duplicated, "duplicated"),
            (r.money, "money"),
            (r.recovered, "recovered"),
        ]
        return "| " + " | ".join([r.drill] + [cell(now, was[key] if was else None) for now, key in cells]) + " |"

    measured = (
        f"Before: customer360/ at {before_commit}; after: customer360/ at {commit}."
        if before
        else f"Measured on customer360/ at {commit}."
    )
    if args.label:
        measured += f" {args.label}"
    what = "\n".join(f"| {name} | {text} |" for name, text in WHAT_EACH_DOES)
    details = "\n".join(f"- **{r.drill}**" + "".join(f"\n  - {note}" for note in r.notes) for r in results)
    machine = (
        f"{platform.system()} {platform.release()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    text = f"""# Reliability drills

`python bench/drills.py` (under 13 minutes; `--quick`, shorter loads, under 5) runs each fault below against a
real `customer360 serve` subprocess, with its own PostgreSQL cluster and Redis server (so it can restart, kill
and freeze them), a demo council of {RESIDENTS_SEEDED} residents, and httpx clients on loopback. Every count comes
from the stores themselves: the gateway's `intents` and `outbox` tables in PostgreSQL, and the demo back
offices' SQLite databases (CRM complaints, REVENUES discounts and transactions, the payment provider's
payments), where each row carries the C360 reference as `external_reference` and each intended write a unique
marker in its text. `docs/reliability-before.json` keeps the numbers measured on main before the fixes of
issue 14; a run on other code reads it and shows each changed cell as "before → after".

| drill | what it does |
| --- | --- |
{what}

**lost**: a client was given a reference the store or back office does not have (and will not: a write still
queued in the outbox is counted as late, in the details); in the Redis rows, a resident's own write missing
from their next read. **duplicated**: one intended write made more than once in a back office. **money
discrepancies**: a payment taken and not credited exactly once, or a discount credited more than once.
**client failures**: answers a client could not use, by kind: `transport` (no answer: connection refused or
reset, or none within {CLIENT_TIMEOUT:.0f} s), `503` (try again), `5xx`, `4xx`, `graphql:<code>` (an `errors`
entry), `userError:<code>`, `slow (>1 s)` (a `me` answer during a Redis fault), and `never answered` (a write
sent again and again without an answer until its client gave up, after {WriteLoad.GIVE_UP:.0f} s or when the load
stopped). An answer that is right for the drill (`ALREADY_APPLIED` for the 2nd to 5th discount) is not
counted. Targets: 0 lost, 0 duplicated, 0 money discrepancies, 0 5xx from any input, and with a hung Redis
`me` p50 within 2x of normal.

## Results

{measured} Run {started:%Y-%m-%d %H:%M} UTC{", --quick" if args.quick else ""}, {seconds / 60:.1f} minutes, on
{machine}. The numbers are from one run: latencies and failure counts move from run to run; lost, duplicated
and money discrepancies should be 0 every time.

| drill | requests | client failures | lost | duplicated | money discrepancies | recovered by itself |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(row(r) for r in results)}

{targets(results, before)}

## Details

{details}
"""
    Path(args.output).write_text(text)
    log(f"wrote {args.output} and {json_path}")


async def main_async(args: argparse.Namespace) -> None:
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="c360-drills-"))
    council = await asyncio.to_thread(prepare, root, args.quick)
    ctx: Context | None = None
    try:
        residents = await asyncio.to_thread(mint_tokens, council, 60)
        ctx = Context(council, root, residents, args.quick)
        log("starting customer360 serve")
        await ctx.restart_serve()
        await load_profiles(ctx)
        # Whole run: under 13 minutes (5 with --quick), whatever the code under test does.
        deadline = clock + (295 if args.quick else 775) - 15  # the last 15 s: the report and teardown
        results = await run_drills(ctx, set(args.only) if args.only else None, deadline)
        write_report(results, args, started, time.monotonic() - clock)
    finally:
        if ctx:
            ctx.serve.stop()
            await ctx.http.aclose()
        council.redis.stop()
        council.pg.stop()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter loads (under 5 minutes)")
    parser.add_argument(
        "--before",
        default=str(BEFORE),
        help="a previous run's JSON: changed cells read 'before -> after' (default: %(default)s, if present and "
        "measured on other code)",
    )
    parser.add_argument("--output", default=str(REPORT), help="where the Markdown report goes")
    parser.add_argument("--json", help="where this run's JSON goes (default: beside the report)")
    parser.add_argument("--only", nargs="*", help="run only drills whose name contains one of these words")
    parser.add_argument("--label", help="a sentence saying what was measured, added to the report")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
