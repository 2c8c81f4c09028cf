"""Everything a running gateway holds for its lifetime, built once at start-up from settings."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from customer360.auth.keys import SigningKey, load_or_create_signing_key
from customer360.auth.principal import ANONYMOUS, Principal
from customer360.auth.tokens import DemoIssuer, InvalidToken, TokenVerifier, TrustedIssuer
from customer360.cache.base import Cache, NoCache, ReadThrough
from customer360.cache.memory import MemoryCache
from customer360.cache.redis import RedisCache
from customer360.commands.delivery import Deliverer
from customer360.commands.handlers import HANDLERS
from customer360.commands.payments import Payments
from customer360.commands.relay import every, relay_forever
from customer360.commands.write_path import WritePath
from customer360.demo import council
from customer360.domain.people import normalise_email
from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.settings import Settings
from customer360.sources.errors import SourceUnavailable
from customer360.sources.instrumented import DemoFaults, circuit_breakers
from customer360.sources.registry import SQL_KINDS, Sources, build_sources, load_source_configs
from customer360.store.customers import CustomerStore
from customer360.store.database import create_engine, migrate
from customer360.store.outbox import OutboxStore
from customer360.store.payments import PaymentLedger

# A source that answers its ping slower than this is reported `degraded` by /readyz.
DEGRADED_AFTER_SECONDS = 1.0


@dataclass
class Runtime:
    settings: Settings
    metrics: Metrics
    customers: CustomerStore
    outbox: OutboxStore
    writes: WritePath
    payments: Payments
    sources: Sources
    cache: ReadThrough
    verifier: TokenVerifier
    signing_key: SigningKey | None
    locate_uprn: Callable[[str], tuple[float, float] | None]
    faults: DemoFaults | None  # the demo council's fault drills; None with real back offices

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an `Authorization` header; raises `InvalidToken` for a bad one."""
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("use the header `Authorization: Bearer <token>`")
        principal = self.verifier.verify(token.strip())
        email = normalise_email(principal.email)
        # A resident is tied to a golden record by a verified email only, never an unverified one.
        if principal.is_resident and principal.email_verified and email:
            principal = replace(principal, customer_id=await self.customers.customer_id_for_verified_email(email))
        return principal

    async def source_states(self) -> dict[str, str]:
        async def state(system: SourceSystem, source: object) -> tuple[str, str]:
            started = time.perf_counter()
            try:
                await source.ping()  # type: ignore[attr-defined]
            except SourceUnavailable:
                return system.value, "down"
            slow = time.perf_counter() - started > DEGRADED_AFTER_SECONDS
            return system.value, "degraded" if slow else "up"

        return dict(await asyncio.gather(*(state(system, source) for system, source in self.sources)))


async def start_runtime(settings: Settings, stack: contextlib.AsyncExitStack) -> Runtime:
    """Open the store (migrated), the sources (the demo council's if none are configured), cache, auth."""
    metrics = Metrics()
    store_engine = create_engine(settings.gateway_database_url)
    stack.push_async_callback(store_engine.dispose)
    await migrate(store_engine)

    http_client = await stack.enter_async_context(
        httpx.AsyncClient(timeout=settings.source_timeout_seconds, limits=httpx.Limits(max_connections=100))
    )
    faults = None
    locate_uprn: Callable[[str], tuple[float, float] | None] = _no_gazetteer
    if settings.sources_file:
        configs = load_source_configs(settings.sources_file)
        engines = {system: create_engine(c.url) for system, c in configs.items() if c.kind in SQL_KINDS}
        for engine in engines.values():
            stack.push_async_callback(engine.dispose)
    else:
        demo_engines = council.DemoEngines.open(settings)
        stack.push_async_callback(demo_engines.dispose)
        base_url = await stack.enter_async_context(council.running_backoffices(settings, demo_engines))
        configs = council.source_configs(settings, base_url)
        engines = demo_engines.engines
        faults = DemoFaults(settings.demo_source_latency_ms / 1000, set(settings.demo_sources_down))
        locate_uprn = council.locate_uprn

    sources = build_sources(
        configs,
        engines=engines,
        http_client=http_client,
        metrics=metrics,
        breakers=circuit_breakers(),
        timeout_seconds=settings.source_timeout_seconds,
        faults=faults,
    )
    cache = _cache(settings)
    stack.push_async_callback(cache.close)

    customers = CustomerStore(store_engine)
    outbox = OutboxStore(store_engine)
    read_through = ReadThrough(cache, metrics, settings.cache_ttl_seconds)
    deliverer = Deliverer(outbox, customers, sources, read_through, handlers=HANDLERS)
    payments = Payments(
        ledger=PaymentLedger(store_engine),
        outbox=outbox,
        deliverer=deliverer,
        sources=sources,
        webhook_secret=_webhook_secret(settings),
        max_pence=settings.max_payment_pence,
    )
    if settings.outbox_interval_seconds > 0:
        relay = asyncio.create_task(relay_forever(deliverer, settings.outbox_interval_seconds))
        stack.push_async_callback(_stop, relay)
    if settings.reconcile_interval_seconds > 0:
        reconciler = asyncio.create_task(
            every(settings.reconcile_interval_seconds, payments.reconcile, "payments reconciliation")
        )
        stack.push_async_callback(_stop, reconciler)

    issuers: list[TrustedIssuer] = []
    signing_key = None
    if settings.demo_issuer_enabled:
        signing_key = load_or_create_signing_key(settings.data_dir)
        issuers.extend(DemoIssuer(signing_key).trusted())
    return Runtime(
        settings=settings,
        metrics=metrics,
        customers=customers,
        outbox=outbox,
        writes=WritePath(outbox, deliverer),
        payments=payments,
        sources=sources,
        cache=read_through,
        verifier=TokenVerifier(issuers),
        signing_key=signing_key,
        locate_uprn=locate_uprn,
        faults=faults,
    )


def _webhook_secret(settings: Settings) -> bytes:
    """Configured, or (demo council only) made in the data dir. Without one, every webhook is refused."""
    if settings.payments_webhook_secret:
        return settings.payments_webhook_secret.encode()
    if settings.sources_file:
        return b""
    return council.webhook_secret(settings)


def _no_gazetteer(_uprn: str) -> None:
    """Without an address gazetteer configured, no UPRN can be placed: reports give coordinates."""
    return None


def _cache(settings: Settings) -> Cache:
    if not settings.cache_enabled:
        return NoCache()
    if settings.redis_url:
        return RedisCache.from_url(settings.redis_url, _cache_key(settings.data_dir))
    return MemoryCache()


def _cache_key(data_dir: Path) -> bytes:
    """The key that encrypts cached values in Redis; every worker sharing the data dir shares it."""
    path = data_dir / "keys" / "cache.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_bytes().strip()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
