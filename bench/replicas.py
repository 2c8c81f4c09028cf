"""The replica drill: two `customer360 serve` behind HAProxy, one killed with `kill -9`, then a rolling restart.

The topology a council runs (docs/operations.md): one set of demo back offices (`customer360 demo
backoffices`), two replicas (`serve --backoffice-port P`) sharing PostgreSQL and Redis, and Debian's
haproxy with the shipped `deploy/haproxy.cfg`. Residents' clients send reads (`me`) and writes
(`makeComplaint`, each with an `Idempotency-Key`, sent again until answered, as a careful client does)
through HAProxy while the drill:

1. `kill -9` one replica (as the OOM killer would), waits for HAProxy to take it out, starts it again;
2. restarts both in turn with SIGTERM (a rolling restart: each drains, stops, starts, comes back).

What is counted, from the stores and not from what the API says: **lost** (a reference a client was
given that the gateway's `intents` lacks, or that neither reached the CRM nor waits in the outbox),
**duplicated** (one intended write, identified by a marker in its text, more than once in the CRM's
own table), and every failed request, split into those **cut by the kill** (in flight on the killed
replica when it died), **key held** (a retry of such a write while the dead replica's claim on its
`Idempotency-Key` lasts: the gateway cannot know whether the dead process kept the write, so it
answers 409 until the claim's lease ends) and **other** (target: none).

`bench/drills.py` runs it as one of its drills; `tests/test_replica_drill.py` runs a short version in CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from customer360.domain.requests import DeliveryState
from customer360.store.database import create_engine
from customer360.store.tables import intents, outbox

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
HOST = "127.0.0.1"
REPLICAS = ("replica1", "replica2")
READ = "{ me { councilTaxAccounts { reference } } }"
MAKE_COMPLAINT = """mutation($input: MakeComplaintInput!) {
  makeComplaint(input: $input) { complaint { reference } userErrors { field code message } } }"""
# A request in flight on the killed replica ends (reset, 502) within this of the kill.
CUT_WINDOW_SECONDS = 5.0


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Attempt:
    started: float
    ended: float
    kind: str  # ok | userError | transport | HTTP <status> | graphql:<code>
    key: str | None  # the write's Idempotency-Key; None for a read


@dataclass
class Intent:
    """One complaint a resident means to make once, however often the client sends it."""

    key: str
    mark: str
    references: set[str] = field(default_factory=set)
    answered: bool = False


@dataclass
class Figures:
    requests: int = 0
    reads: int = 0
    writes: int = 0  # intended writes (each sent until answered)
    cut_by_kill: int = 0
    key_held: int = 0
    other_failures: Counter[str] = field(default_factory=Counter)
    never_answered: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.cut_by_kill + self.key_held + sum(self.other_failures.values())

    def summary(self) -> str:
        other = ", ".join(f"{n} {kind}" for kind, n in self.other_failures.items()) or "0"
        return (
            f"{self.requests} requests ({self.reads} reads, {self.writes} intended writes), {self.failed} failed: "
            f"{self.cut_by_kill} cut by the kill, {self.key_held} retries while the killed replica's key claim "
            f"lasted, other {other}; {self.never_answered} writes never answered; "
            f"lost {self.lost}, duplicated {self.duplicated}"
        )


class Topology:
    """The processes, each in a session of its own, logging to `logs/<name>.log`."""

    def __init__(self, env: dict[str, str], logs: Path, haproxy: str) -> None:
        self.env = env
        self.logs = logs
        self.haproxy = haproxy
        self.lb, self.stats, self.backoffices = free_port(), free_port(), free_port()
        self.ports = {name: free_port() for name in REPLICAS}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.lb}"

    def _start(self, name: str, command: list[str], **env: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as out:
            self.processes[name] = subprocess.Popen(
                command, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    async def start(self) -> None:
        me = [sys.executable, "-m", "customer360"]
        self._start("backoffices", [*me, "demo", "backoffices", "--host", HOST, "--port", str(self.backoffices)])
        await self.until("the back offices answer", lambda: _status(f"http://{HOST}:{self.backoffices}/healthz") == 200)
        for name in REPLICAS:
            self.start_replica(name)
        self._start(
            "haproxy",
            [self.haproxy, "-db", "-f", str(HAPROXY_CFG)],
            C360_LB_BIND=f"{HOST}:{self.lb}",
            C360_LB_STATS=f"{HOST}:{self.stats}",
            C360_REPLICA_1=f"{HOST}:{self.ports['replica1']}",
            C360_REPLICA_2=f"{HOST}:{self.ports['replica2']}",
        )
        await self.until("both replicas in rotation", self.all_up, seconds=90)

    def start_replica(self, name: str) -> None:
        command = [sys.executable, "-m", "customer360", "serve", "--host", HOST, "--port", str(self.ports[name])]
        # Residents and payment webhooks reach the replicas through the load balancer.
        self._start(name, [*command, "--backoffice-port", str(self.backoffices)], C360_PUBLIC_URL=self.url)

    def states(self) -> dict[str, str]:
        """HAProxy's view of each replica (`UP`, `DOWN`, `UP 1/2` ...), from its status page."""
        with contextlib.suppress(httpx.HTTPError):
            page = httpx.get(f"http://{HOST}:{self.stats}/stats;csv", timeout=2, trust_env=False).text
            rows = csv.DictReader(io.StringIO(page.removeprefix("# ")))
            return {row["svname"]: row["status"] for row in rows if row["pxname"] == "replicas"}
        return {}

    def all_up(self) -> bool:
        return all(self.states().get(name) == "UP" for name in REPLICAS)

    async def until(self, what: str, check: Any, seconds: float = 60, *, allow_dead: str | None = None) -> float:
        """Seconds until `check()` holds; fails if it does not in time, or if a process died unexpectedly."""
        started = time.monotonic()
        while not check():
            for name, process in self.processes.items():
                if name != allow_dead and process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)}")
            if time.monotonic() - started > seconds:
                raise RuntimeError(f"not within {seconds} s: {what}; HAProxy says {self.states()}")
            await asyncio.sleep(0.1)
        return time.monotonic() - started

    def kill9(self, name: str) -> None:
        process = self.processes[name]
        process.kill()
        process.wait()

    async def sigterm(self, name: str, seconds: float = 45) -> None:
        """SIGTERM, then wait for the replica to drain and exit by itself."""
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        await self.until(f"{name} exits after SIGTERM", lambda: process.poll() is not None, seconds, allow_dead=name)

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


def _status(url: str) -> int | None:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2, trust_env=False).status_code
    return None


class MixedLoad:
    """`clients` residents' clients through the load balancer: two reads, then a write, over and over.

    A write is sent with one `Idempotency-Key` until answered (backing off up to 2 s), and given up
    after `give_up` seconds without an answer.
    """

    def __init__(self, url: str, tokens: list[str], *, clients: int = 4, give_up: float = 90) -> None:
        self.url, self.tokens, self.clients, self.give_up = url, tokens, clients, give_up
        self.attempts: list[Attempt] = []
        self.intents: list[Intent] = []
        self.stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, grace: float) -> None:
        self.stopping.set()
        assert self._task is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.clients * 2)
        async with httpx.AsyncClient(base_url=self.url, timeout=40, trust_env=False, limits=limits) as http:
            await asyncio.gather(*(self._client(http, n) for n in range(self.clients)))

    async def _client(self, http: httpx.AsyncClient, n: int) -> None:
        token = self.tokens[n % len(self.tokens)]
        sent = 0
        while not self.stopping.is_set():
            sent += 1
            if sent % 3:
                await self._send(http, token, {"query": READ}, None)
            else:
                await self._write(http, token)

    async def _write(self, http: httpx.AsyncClient, token: str) -> None:
        key = uuid.uuid4().hex
        intent = Intent(key, f"drill:replicas:{key[:12]}")
        self.intents.append(intent)
        complaint = {"subject": "Missed bin collection", "description": f"Not collected again. {intent.mark}"}
        body = {"query": MAKE_COMPLAINT, "variables": {"input": complaint}}
        deadline = time.monotonic() + self.give_up
        tries = 0
        while time.monotonic() < deadline:
            answer = await self._send(http, token, body, key)
            made = ((answer or {}).get("data") or {}).get("makeComplaint") or {}
            if made.get("complaint"):
                intent.references.add(made["complaint"]["reference"])
                intent.answered = True
                return
            if made.get("userErrors"):
                intent.answered = True
                return
            await asyncio.sleep(min(2.0, 0.25 * 2**tries))
            tries += 1

    async def _send(self, http: httpx.AsyncClient, token: str, body: dict[str, Any], key: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
        started = time.monotonic()
        try:
            response = await http.post("/graphql", json=body, headers=headers)
        except httpx.HTTPError:
            self.attempts.append(Attempt(started, time.monotonic(), "transport", key))
            return None
        ended = time.monotonic()
        if response.status_code != 200:
            self.attempts.append(Attempt(started, ended, f"HTTP {response.status_code}", key))
            return None
        answer = response.json()
        if answer.get("errors"):
            code = (answer["errors"][0].get("extensions") or {}).get("code", "ERROR")
            self.attempts.append(Attempt(started, ended, f"graphql:{code}", key))
            return None
        errors = ((answer.get("data") or {}).get("makeComplaint") or {}).get("userErrors")
        self.attempts.append(Attempt(started, ended, "userError" if errors else "ok", key))
        return answer


def judge(load: MixedLoad, kills: list[float], figures: Figures) -> None:
    """Every failed attempt, as cut by a kill, a retry while a killed replica's key claim lasts, or other."""
    cut_keys: set[str] = set()
    for attempt in sorted(load.attempts, key=lambda a: a.started):
        figures.requests += 1
        if attempt.key is None:
            figures.reads += 1
        if attempt.kind == "ok":
            continue
        in_flight = any(attempt.started <= at <= attempt.ended <= at + CUT_WINDOW_SECONDS for at in kills)
        if in_flight and attempt.kind in ("transport", "HTTP 502", "HTTP 503", "HTTP 504"):
            figures.cut_by_kill += 1
            if attempt.key:
                cut_keys.add(attempt.key)
        elif attempt.key in cut_keys and attempt.kind == "HTTP 409":
            figures.key_held += 1
        else:
            figures.other_failures[attempt.kind] += 1
    figures.writes = len(load.intents)
    figures.never_answered = sum(1 for intent in load.intents if not intent.answered)


async def count_writes(database_url: str, crm_db: Path, load: MixedLoad, figures: Figures) -> None:
    """lost and duplicated, from the gateway's store and the CRM's own table."""
    marks = {intent.mark for intent in load.intents}
    in_crm: Counter[str] = Counter()
    crm_references: set[str] = set()
    with contextlib.closing(sqlite3.connect(f"file:{crm_db}?mode=ro", uri=True, timeout=10)) as conn:
        query = "SELECT description, external_reference FROM complaints WHERE description LIKE '%drill:replicas:%'"
        for description, external in conn.execute(query):
            found = description[description.index("drill:replicas:") :].split()[0].rstrip(".")
            if found in marks:
                in_crm[found] += 1
                crm_references.add(external)
    given = {reference for intent in load.intents for reference in intent.references}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            kept = set(
                (await conn.execute(select(intents.c.reference).where(intents.c.reference.in_(given)))).scalars()
            )
            waiting = select(outbox.c.reference).where(
                outbox.c.state == DeliveryState.PENDING.value, outbox.c.reference.in_(given)
            )
            pending = set((await conn.execute(waiting)).scalars())
    finally:
        await engine.dispose()
    lost = {ref for ref in given if ref not in kept or (ref not in crm_references and ref not in pending)}
    figures.lost = len(lost)
    if lost:
        figures.notes.append(f"lost references: {', '.join(sorted(lost)[:5])}")
    if pending:
        figures.notes.append(f"{len(pending)} acknowledged writes still queued in the outbox (late, not lost)")
    figures.duplicated = sum(n - 1 for n in in_crm.values() if n > 1)


async def pending_deliveries(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.state == DeliveryState.PENDING.value)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def run_replica_drill(
    env: dict[str, str],
    data_dir: Path,
    logs: Path,
    tokens: list[str],
    haproxy: str,
    *,
    steady_seconds: float,
    until_key_claims_end: bool,
) -> Figures:
    """The drill against a seeded data dir; `env` points both replicas at the shared PostgreSQL and Redis.

    `until_key_claims_end`: keep the load on until the killed replica's claims on keys have lapsed (a
    minute after the kill), so every write cut by the kill is answered in the end; without it the load
    stops after the rolling restart and such writes are counted as never answered.
    """
    figures = Figures()
    topology = Topology(env, logs, haproxy)
    try:
        await topology.start()
        load = MixedLoad(topology.url, tokens)
        load.start()
        await asyncio.sleep(steady_seconds)

        killed_at = time.monotonic()
        topology.kill9("replica1")
        out = await topology.until(
            "HAProxy takes the killed replica out",
            lambda: topology.states().get("replica1", "").startswith("DOWN"),
            allow_dead="replica1",
        )
        topology.start_replica("replica1")
        back = await topology.until("the killed replica back in rotation", topology.all_up, seconds=90)
        figures.notes.append(f"kill -9: out of rotation {out:.1f} s after the kill, back {out + back:.1f} s after it")
        await asyncio.sleep(steady_seconds)

        rolling_started = time.monotonic()
        for name in REPLICAS:
            await topology.sigterm(name)
            topology.start_replica(name)
            await topology.until(f"{name} back in rotation", topology.all_up, seconds=90)
        figures.notes.append(f"rolling restart of both: {time.monotonic() - rolling_started:.1f} s")
        await asyncio.sleep(steady_seconds)
        if until_key_claims_end:
            await asyncio.sleep(max(0.0, killed_at + 65 - time.monotonic()))
        await load.stop(grace=10 if until_key_claims_end else 3)

        deadline = time.monotonic() + 30
        while await pending_deliveries(env["C360_DATABASE_URL"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
    finally:
        topology.stop_all()
    judge(load, [killed_at], figures)
    await count_writes(env["C360_DATABASE_URL"], data_dir / "demo" / "crm.db", load, figures)
    return figures
