"""The embedded demo council: where its databases live, seeding them, and serving its HTTP back offices."""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from customer360 import tracing
from customer360.clock import london_today
from customer360.demo.backoffice_server import (
    OPEN311_PATH,
    PAYMENTS_PATH,
    create_demo_backoffice_app,
    listening_socket,
    serve_on_loopback,
)
from customer360.demo.gazetteer import GazetteerAddress, by_postcode, by_uprn, matching
from customer360.demo.interaction_history import seed_interaction_history
from customer360.demo.notify_app import create_notify_app, new_api_key
from customer360.demo.population import generate_population
from customer360.demo.seed import seed_back_offices
from customer360.domain.moving import FoundAddress
from customer360.domain.people import PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.http.tracing import TracedRequests
from customer360.identity.linking import IdentityHub, LinkSummary, link_everyone
from customer360.keyfiles import kept_secret
from customer360.metrics import Metrics
from customer360.settings import Settings
from customer360.sources.backoffice import SourceConfig
from customer360.sources.catalogue import BY_SYSTEM
from customer360.sources.instrumented import circuit_breakers
from customer360.sources.registry import build_sources, load_source_configs, needs_engine
from customer360.store.database import create_engine

DEFAULT_RESIDENTS = 2000
DEFAULT_SEED = 42
SEEDED_MARKER = "seeded.json"
# Where Linux says which ports it picks source ports from, and its default when it does not say.
EPHEMERAL_PORTS_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL_PORTS = (32768, 60999)
# Bump when the demo back offices' tables change: a data dir seeded by an older version is reseeded.
DEMO_DATA_VERSION = 12  # 10: Open311 requests.media_url, HOUSING applications.evidence_links; 11: HOUSING_MANAGEMENT
# 12: people changed_at, complaints.closed_at, the audit tables application_events, discount_events, repair_events;
#     Direct Debit instructions and the banks' refusals (REVENUES, HOUSING_MANAGEMENT)


@dataclass(frozen=True)
class DemoBackOffice:
    """How the demo council runs one back office: its own database, as in a real council, and, for one
    reached over HTTP, where the demo back-office app serves it (`backoffice_server.py`)."""

    database_file: str
    served_at: str = ""  # "" : read straight from its database with the office's SQL adapter
    api_key: bool = False  # the gateway calls it with the demo provider's API key


# The demo's part of each registered back office (sources/catalogue.py); a demo without one of them
# leaves it out, and the gateway answers it as not configured.
DEMO_BACK_OFFICES = {
    SourceSystem.REVENUES: DemoBackOffice("revenues.db"),
    SourceSystem.BENEFITS: DemoBackOffice("benefits.db"),
    SourceSystem.HOUSING: DemoBackOffice("housing.db"),
    SourceSystem.CRM: DemoBackOffice("crm.db"),
    SourceSystem.STREET_SCENE: DemoBackOffice("street_scene.db", served_at=OPEN311_PATH),
    SourceSystem.PAYMENTS: DemoBackOffice("payments.db", served_at=PAYMENTS_PATH, api_key=True),
    SourceSystem.HOUSING_MANAGEMENT: DemoBackOffice("housing_management.db"),
}


def database_urls(settings: Settings) -> dict[SourceSystem, str]:
    """SQLite files in the data dir, unless a `C360_SOURCES` file points the SQL back offices elsewhere."""
    urls = {
        system: f"sqlite+aiosqlite:///{settings.demo_dir / office.database_file}"
        for system, office in DEMO_BACK_OFFICES.items()
    }
    if settings.sources_file:
        for system, config in load_source_configs(settings.sources_file).items():
            if needs_engine(config):
                urls[system] = config.url
    return urls


def api_key(settings: Settings) -> str:
    """The demo payment provider's API key, made once per data dir."""
    return kept_secret(settings.demo_dir / "pay-api-key", lambda: secrets.token_urlsafe(32).encode()).decode().strip()


def open311_api_key(settings: Settings) -> str:
    """The council's key to the street-scene contractor's Open311 server, made once per data dir."""
    made = kept_secret(settings.demo_dir / "open311-api-key", lambda: secrets.token_urlsafe(24).encode())
    return made.decode().strip()


def webhook_secret(settings: Settings) -> bytes:
    """The secret the payment provider signs webhooks with: from settings, or made once per data dir."""
    if settings.payments_webhook_secret:
        return settings.payments_webhook_secret.encode()
    made = kept_secret(settings.demo_dir / "payments-webhook-secret", lambda: secrets.token_hex(32).encode())
    return made.strip()


def source_configs(settings: Settings, backoffice_url: str) -> dict[SourceSystem, SourceConfig]:
    urls = database_urls(settings)
    configs = {}
    for system, demo in DEMO_BACK_OFFICES.items():
        kind = BY_SYSTEM[system].adapters[0].kind  # the demo runs each office as its first adapter kind
        url = f"{backoffice_url}{demo.served_at}" if demo.served_at else urls[system]
        configs[system] = SourceConfig(system, kind, url, api_key(settings) if demo.api_key else "")
    # The council's key to the street-scene contractor's Open311 server (needed to post a report).
    street_scene = configs[SourceSystem.STREET_SCENE]
    configs[SourceSystem.STREET_SCENE] = replace(street_scene, api_key=open311_api_key(settings))
    return configs


def backoffice_urls(backoffice_url: str) -> dict[str, str]:
    """Where each demo HTTP back office answers (`/readyz` lists them, so a person trying the demo finds them)."""
    return {
        SourceSystem.STREET_SCENE.value: f"{backoffice_url}{OPEN311_PATH}",
        SourceSystem.PAYMENTS.value: f"{backoffice_url}{PAYMENTS_PATH}",
        "NOTIFY": backoffice_url,  # the official client joins /v2/... to its origin; /notify lists what was sent
    }


def is_seeded(settings: Settings) -> bool:
    """Seeded, and by this version of the demo (older tables lack columns the code now reads)."""
    return seeded_marker(settings).get("version") == DEMO_DATA_VERSION


def notify_api_key(settings: Settings) -> str:
    """The key the demo GOV.UK Notify accepts: `C360_NOTIFY_API_KEY`, or one made once per data dir."""
    if settings.notify_api_key:
        return settings.notify_api_key
    return kept_secret(settings.demo_dir / "notify-api-key", lambda: new_api_key().encode()).decode().strip()


def notify_callback_token(settings: Settings) -> str:
    """The bearer token Notify's delivery receipts carry: `C360_NOTIFY_CALLBACK_TOKEN`, or made once."""
    if settings.notify_callback_token:
        return settings.notify_callback_token
    made = kept_secret(settings.demo_dir / "notify-callback-token", lambda: secrets.token_urlsafe(32).encode())
    return made.decode().strip()


@dataclass
class DemoEngines:
    engines: dict[SourceSystem, AsyncEngine]
    notify: AsyncEngine | None = None  # the demo GOV.UK Notify's record of what it sent

    @classmethod
    def open(cls, settings: Settings) -> DemoEngines:
        engines = {system: create_engine(url) for system, url in database_urls(settings).items()}
        return cls(engines, create_engine(f"sqlite+aiosqlite:///{settings.demo_dir / 'notify.db'}"))

    async def dispose(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()
        if self.notify is not None:
            await self.notify.dispose()


def backoffice_app(settings: Settings, engines: DemoEngines, public_url: str) -> ASGIApp:
    """The Open311 and payments back offices as one app, reachable by a browser at `public_url`.

    The payment provider puts its own public URL into each payment's `next_url` (the hosted payment
    page a resident's browser opens) and sends its webhooks to the gateway's public URL.

    While tracing is on, each request the back offices serve has its span, continuing the trace whose
    `traceparent` the gateway sent: a council's own back offices, traced, would show the same.
    """
    app = create_demo_backoffice_app(
        engines.engines[SourceSystem.STREET_SCENE],
        engines.engines[SourceSystem.PAYMENTS],
        public_url=public_url,
        api_key=api_key(settings),
        open311_api_key=open311_api_key(settings),
        open311_extensions=settings.demo_open311 == "extended",
        webhook_url=f"{settings.public_url}/webhooks/payments",
        webhook_secret=webhook_secret(settings),
        webhook_copies=settings.demo_webhook_copies,
        notify_app=create_notify_app(
            engines.notify,
            api_key=notify_api_key(settings),
            public_url=public_url,
            callback_url=f"{settings.public_url}/webhooks/notify",
            callback_token=notify_callback_token(settings),
        )
        if engines.notify is not None
        else None,
    )
    return TracedRequests(app) if tracing.active() else app


@contextlib.asynccontextmanager
async def running_backoffices(settings: Settings, engines: DemoEngines, port: int = 0) -> AsyncIterator[str]:
    """The Open311 and payments back offices on a loopback port of this event loop; yields their base URL.

    The port is bound before the app is built: the app needs its public URL (`backoffice_app`), and a
    port only probed free could be taken meanwhile as an outgoing connection's source port.
    """
    listener = listening_socket("127.0.0.1", port)
    app = backoffice_app(settings, engines, f"http://127.0.0.1:{listener.getsockname()[1]}")
    async with serve_on_loopback(app, listener=listener) as base_url:
        yield base_url


async def seed_demo(
    settings: Settings,
    hub: IdentityHub,
    *,
    residents: int = DEFAULT_RESIDENTS,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LinkSummary:
    """Fill every demo back office, then link their people into golden records through the sources."""
    say = progress or (lambda _line: None)
    population = generate_population(residents, seed)
    engines = DemoEngines.open(settings)
    try:
        await seed_back_offices(
            engines.engines,
            population,
            today=london_today(),
            truth_path=settings.demo_dir / "truth.csv",
            reset=reset or not is_seeded(settings),
            progress=say,
        )
        async with running_backoffices(settings, engines) as base_url, httpx.AsyncClient(timeout=30) as client:
            sources = build_sources(
                source_configs(settings, base_url),
                engines=engines.engines,
                http_client=client,
                metrics=Metrics(),
                breakers=circuit_breakers(),
                timeout_seconds=60,
            )
            say("linking people across the back offices into golden records")
            summary = await link_everyone(
                sources.by_system(),
                hub,
                by="demo seed",
                model_path=settings.match_model_path,
                priority=settings.survivorship_priority,
            )
        say("writing a year of interaction history for analytics")
        gateway = create_engine(settings.gateway_database_url)
        try:
            await seed_interaction_history(gateway, population, london_today(), seed)
        finally:
            await gateway.dispose()
    finally:
        await engines.dispose()
    marker = {
        "version": DEMO_DATA_VERSION,
        "residents": residents,
        "seed": seed,
        "seeded_at": datetime.now(UTC).isoformat(),
        "customers": summary.customers,
        "records": summary.records,
    }
    (settings.demo_dir / SEEDED_MARKER).write_text(json.dumps(marker, indent=2))
    return summary


class DemoAddressBook:
    """The demo gazetteer as the council's address book (a council would use its LLPG)."""

    def by_uprn(self, uprn: str) -> FoundAddress | None:
        found = by_uprn(uprn)
        return _found(found) if found else None

    def at_postcode(self, postcode: str) -> list[FoundAddress]:
        return [_found(address) for address in by_postcode(postcode)]

    def matching(self, search: str) -> Iterator[FoundAddress]:
        return (_found(address) for address in matching(search))


def _found(address: GazetteerAddress) -> FoundAddress:
    postal = PostalAddress(address.line1, address.postcode, address.line2, address.town, address.uprn)
    return FoundAddress(postal, address.in_borough)


def locate_uprn(uprn: str) -> tuple[float, float] | None:
    """Where a UPRN is, from the demo gazetteer (a council would use its address gazetteer, the LLPG)."""
    found = by_uprn(uprn)
    return (found.latitude, found.longitude) if found else None


def free_port() -> int:
    """A loopback port free now, for a process that binds it later (the back offices' child process).

    Taken from outside the kernel's ephemeral range: a port probed free inside it can become the source
    port of any outgoing connection (of this process or another) before the child binds it. A server in
    this process binds port 0 itself instead (`listening_socket`)."""
    low, high = _ephemeral_ports()
    below, above = range(max(1024, low - 12000), low), range(high + 1, 65536)
    candidates = below if len(below) >= len(above) else above
    for port in random.sample(candidates, min(200, len(candidates))):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # another server has it
                continue
            return port
    raise OSError(f"no free loopback port in {candidates}")


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = EPHEMERAL_PORTS_FILE.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_PORTS


def seeded_marker(settings: Settings) -> dict[str, object]:
    path: Path = settings.demo_dir / SEEDED_MARKER
    return json.loads(path.read_text()) if path.exists() else {}
