"""Two `customer360 serve` replicas behind HAProxy (deploy/haproxy.cfg), as a council would run them.

Real processes on loopback: PostgreSQL (a fresh database) and Redis shared by both replicas, one set
of demo back offices (`customer360 demo backoffices --port P`, both replicas `serve --backoffice-port P`),
Debian's haproxy with the shipped configuration (its addresses from the environment). Under mixed
read/write load through HAProxy each replica in turn is sent SIGTERM and started again: it must leave
the rotation before it stops listening (readiness 503 while it still serves), and no request may fail,
no write may be lost or made twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.tokens import DemoIssuer
from customer360.demo import council
from customer360.domain.requests import DeliveryState
from customer360.settings import Settings
from customer360.sources.crm.sql import complaints as crm_complaints
from customer360.sources.registry import SourceSystem
from customer360.store.database import create_engine
from customer360.store.tables import outbox
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip, unavailable
from tests.support import free_port

HAPROXY_CFG = Path(__file__).resolve().parents[1] / "deploy" / "haproxy.cfg"
# Longer than HAProxy's `inter 1s` x `fall 2`, shorter than the 5 s default to keep the test short.
DRAIN_SECONDS = 3
LOAD_CLIENTS = 4
READ = "{ me { councilTaxAccounts { reference } } }"
MAKE = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference } userErrors { field code message } } }
"""


@dataclass
class Load:
    """Clients sending reads and writes through HAProxy until stopped; every answer is judged."""

    url: str
    tokens: list[str]
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    reads: int = 0
    writes: int = 0
    failures: list[str] = field(default_factory=list)
    # Idempotency-Key -> the references its answers carried (a concurrent duplicate answers the same one).
    written: dict[str, set[str]] = field(default_factory=dict)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30, trust_env=False) as client:
            await asyncio.gather(*(self._client(client, n) for n in range(LOAD_CLIENTS)))

    async def _client(self, client: httpx.AsyncClient, n: int) -> None:
        token = self.tokens[n % len(self.tokens)]
        sent = 0
        while not self.stopping.is_set():
            sent += 1
            if sent % 3:
                await self._read(client, token)
            elif sent % 2:
                await self._write(client, token)
            else:  # a double click: the same write twice at once, through whichever replicas
                key = uuid.uuid4().hex
                await asyncio.gather(self._write(client, token, key), self._write(client, token, key))

    async def _read(self, client: httpx.AsyncClient, token: str) -> None:
        self.reads += 1
        answer = await self._post(client, token, {"query": READ})
        if answer is not None and answer.get("data", {}).get("me") is None:
            self.failures.append(f"read answered {answer}")

    async def _write(self, client: httpx.AsyncClient, token: str, key: str | None = None) -> None:
        self.writes += 1
        key = key or uuid.uuid4().hex
        complaint = {"subject": f"rolling {key}", "description": "The bins were missed again", "serviceArea": "waste"}
        answer = await self._post(
            client, token, {"query": MAKE, "variables": {"input": complaint}}, {"Idempotency-Key": key}
        )
        if answer is None:
            return
        made = answer.get("data", {}).get("makeComplaint") or {}
        if made.get("userErrors") or not made.get("complaint"):
            self.failures.append(f"write answered {answer}")
            return
        self.written.setdefault(key, set()).add(made["complaint"]["reference"])

    async def _post(
        self, client: httpx.AsyncClient, token: str, body: dict, headers: dict | None = None
    ) -> dict | None:
        try:
            response = await client.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
            )
        except httpx.HTTPError as error:
            self.failures.append(f"{type(error).__name__}: {error}")
            return None
        if response.status_code != 200:
            self.failures.append(f"HTTP {response.status_code}: {response.text[:200]}")
            return None
        answer: dict = response.json()
        if answer.get("errors"):
            self.failures.append(f"errors: {answer['errors']}")
            return None
        return answer


@dataclass
class Council:
    """The processes of the topology, each in its own session and logging to a file in `logs`."""

    env: dict[str, str]
    logs: Path
    haproxy_stats: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                command, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def states(self) -> dict[str, str]:
        """HAProxy's view of each replica (`UP`, `DOWN`, `UP 1/2` ...), from its status page."""
        with contextlib.suppress(httpx.TransportError):
            page = httpx.get(f"{self.haproxy_stats}/stats;csv", timeout=2, trust_env=False).text
            rows = csv.DictReader(io.StringIO(page.removeprefix("# ")))
            return {row["svname"]: row["status"] for row in rows if row["pxname"] == "replicas"}
        return {}

    async def until(self, what: str, check, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited with {process.returncode}:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"not within {seconds} s: {what}; HAProxy says {self.states()}"
            await asyncio.sleep(0.1)

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def running(council_: Council) -> Iterator[Council]:
    try:
        yield council_
    finally:
        council_.stop_all()


def _answers(url: str) -> int | None:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(url, timeout=2, trust_env=False).status_code
    return None


async def _pending_deliveries(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.state == DeliveryState.PENDING.value)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def _crm_subjects(settings: Settings) -> Counter[str]:
    engine = create_engine(council.database_urls(settings)[SourceSystem.CRM])
    try:
        async with engine.connect() as conn:
            query = select(crm_complaints.c.subject).where(crm_complaints.c.subject.like("rolling %"))
            return Counter(row.subject.removeprefix("rolling ") for row in await conn.execute(query))
    finally:
        await engine.dispose()


async def test_a_rolling_restart_of_both_replicas_under_load_fails_no_request_and_loses_or_repeats_no_write(
    tmp_path,
):
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if haproxy is None:
        unavailable("haproxy is not installed (Debian: apt-get install haproxy); CI installs it")
    await (await redis_or_skip()).aclose()
    data_dir = tmp_path / "council"
    lb, stats, backoffices = free_port(), free_port(), free_port()
    replicas = {"replica1": free_port(), "replica2": free_port()}
    async with fresh_postgres_database() as database_url:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "C360_DATA_DIR": str(data_dir),
            "C360_DATABASE_URL": database_url,
            "C360_REDIS_URL": REDIS_URL,
            "C360_PUBLIC_URL": f"http://127.0.0.1:{lb}",  # webhooks come back through the load balancer
            "C360_RATE_LIMIT_PER_IP": "0",
            "C360_RATE_LIMIT_PER_PRINCIPAL": "0",
            "C360_OUTBOX_INTERVAL_SECONDS": "1",  # both replicas' relays run
            "C360_DRAIN_SECONDS": str(DRAIN_SECONDS),
            "C360_LOG_LEVEL": "WARNING",
            "C360_LOG_FORMAT": "text",
        }
        seeded = subprocess.run(
            [sys.executable, "-m", "customer360", "demo", "seed", "--residents", "60"],
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr.decode()[-3000:]
        settings = Settings(data_dir=data_dir, database_url=database_url)
        listed = subprocess.run(
            [sys.executable, "-m", "customer360", "demo", "residents", "--limit", "4"],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        issuer = DemoIssuer(load_or_create_signing_key(data_dir))
        tokens = [issuer.resident_token(json.loads(line)["email"]) for line in listed.stdout.decode().splitlines()]

        topology = Council(env, tmp_path, f"http://127.0.0.1:{stats}")
        with running(topology):
            serve = [sys.executable, "-m", "customer360", "serve", "--backoffice-port", str(backoffices)]

            def start_replica(name: str) -> None:
                topology.start(name, [*serve, "--port", str(replicas[name])])

            topology.start(
                "backoffices", [sys.executable, "-m", "customer360", "demo", "backoffices", "--port", str(backoffices)]
            )
            await topology.until("the back offices answer", lambda: _answers(f"http://127.0.0.1:{backoffices}/healthz"))
            for name in replicas:
                start_replica(name)
            topology.start(
                "haproxy",
                [haproxy, "-db", "-f", str(HAPROXY_CFG)],
                C360_LB_BIND=f"127.0.0.1:{lb}",
                C360_LB_STATS=f"127.0.0.1:{stats}",
                C360_REPLICA_1=f"127.0.0.1:{replicas['replica1']}",
                C360_REPLICA_2=f"127.0.0.1:{replicas['replica2']}",
            )
            both_up = lambda: all(topology.states().get(name) == "UP" for name in replicas)  # noqa: E731
            # Past `rise`: a replica that has just started only counts once both its checks passed.
            await topology.until("both replicas in rotation", both_up, seconds=60)

            async def restart(name: str) -> None:
                replica, port = topology.processes[name], replicas[name]
                replica.send_signal(signal.SIGTERM)
                # Draining: out of HAProxy's rotation while it still answers requests sent to it directly.
                await topology.until(
                    f"{name} says it is draining", lambda: _answers(f"http://127.0.0.1:{port}/readyz") == 503
                )
                await topology.until(
                    f"HAProxy takes {name} out", lambda: topology.states().get(name, "").startswith("DOWN")
                )
                assert replica.poll() is None and _answers(f"http://127.0.0.1:{port}/healthz") == 200, (
                    f"{name} stopped listening before HAProxy took it out"
                )
                deadline = time.monotonic() + 30
                while replica.poll() is None:
                    assert time.monotonic() < deadline, f"{name} did not stop within 30 s of SIGTERM"
                    await asyncio.sleep(0.1)
                assert replica.returncode == -signal.SIGTERM, topology.log(name)
                start_replica(name)
                await topology.until(f"{name} back in rotation", both_up, seconds=60)

            load = Load(f"http://127.0.0.1:{lb}", tokens)
            sending = asyncio.create_task(load.run())
            await asyncio.sleep(1.0)
            restart_started = time.monotonic()
            for name in replicas:
                await restart(name)
            rolling_seconds = time.monotonic() - restart_started
            await asyncio.sleep(1.0)
            load.stopping.set()
            await sending

            deadline = time.monotonic() + 20
            while await _pending_deliveries(database_url):
                assert time.monotonic() < deadline, "writes still pending 20 s after the load stopped"
                await asyncio.sleep(0.5)

        figures = (
            f"{load.reads + load.writes} requests ({load.reads} reads, {load.writes} writes, "
            f"{len(load.written)} distinct), {len(load.failures)} failed, "
            f"rolling restart of both {rolling_seconds:.1f} s"
        )
        print(f"\nreplicas behind HAProxy: {figures}")
        assert load.failures == [], f"{figures}; first failures: {load.failures[:5]}"
        assert load.writes > len(load.written) > 20, figures
        for key, references in load.written.items():
            assert len(references) == 1, f"{key} answered with {references}: written twice"
        in_crm = await _crm_subjects(settings)
        lost = set(load.written) - set(in_crm)
        doubled = {key: count for key, count in in_crm.items() if count > 1}
        assert not lost and not doubled, f"lost {len(lost)}, duplicated {doubled}; {figures}"
        assert set(in_crm) == set(load.written), "the back office has writes nobody was told were made"
