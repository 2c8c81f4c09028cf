"""Everything a running gateway holds for its lifetime, built once at start-up from settings."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import ssl
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from customer360 import tracing
from customer360.analytics.figures import Analytics
from customer360.analytics.keys import PersonKeys, load_or_create_salt
from customer360.analytics.recorder import EventRecorder
from customer360.auth.actor_tokens import ACTOR_AUDIENCE, ACTOR_ISSUER, ActorTokenIssuer
from customer360.auth.grants import GrantChecks
from customer360.auth.jwks import StaticKeys
from customer360.auth.keys import SigningKey, load_or_create_signing_key
from customer360.auth.oidc import configured_issuers
from customer360.auth.principal import ANONYMOUS, Principal, PrincipalKind
from customer360.auth.tokens import (
    PORTAL_KEY,
    STAFF_DASHBOARD_KEY,
    DemoIssuer,
    InvalidToken,
    PortalIssuer,
    StaffDashboardIssuer,
    TokenVerifier,
    TrustedIssuer,
)
from customer360.cache.base import Cache, NoCache, ReadThrough
from customer360.cache.guard import RedisGuard
from customer360.cache.memory import MemoryCache
from customer360.cache.redis import RedisCache
from customer360.cache.views import AwayFallback
from customer360.clock import london_today
from customer360.commands import catalogue, safeguarding
from customer360.commands.attachments import Attachments, SignedLinks
from customer360.commands.delivery import Deliverer
from customer360.commands.payments import POST_TO_REVENUES, Payments
from customer360.commands.relay import every
from customer360.commands.stewardship import Stewardship
from customer360.commands.write_path import WritePath
from customer360.demo import council
from customer360.domain.moving import FoundAddress
from customer360.domain.notifications import NOTIFY_OPERATION
from customer360.domain.people import normalise_email
from customer360.domain.systems import SourceSystem
from customer360.http.persisted_queries import PersistedQueries
from customer360.http.rate_limit import MemoryRateLimits, RateLimitStore, RedisRateLimits
from customer360.identity.arrivals import match_records
from customer360.identity.linking import IdentityHub
from customer360.keyfiles import kept_secret
from customer360.metrics import Metrics
from customer360.notifications.changes import ChangeIntake
from customer360.notifications.sending import Messenger
from customer360.resolvers.context import Services
from customer360.resolvers.directory import AddressBook
from customer360.resolvers.loaders import Loaders
from customer360.settings import Settings
from customer360.sources.agencies.sql import AgencyQueuesSql
from customer360.sources.change_feeds import change_feeds
from customer360.sources.errors import SourceUnavailable
from customer360.sources.govuk_notify import NOTIFY_API_URL, GovukNotify, NotifyTemplates
from customer360.sources.http_pools import PoolPerBackOffice
from customer360.sources.instrumented import DemoFaults, circuit_breakers
from customer360.sources.ports import PeopleSource
from customer360.sources.registry import build_sources, load_source_configs, needs_engine
from customer360.store.access_grants import AccessGrantStore
from customer360.store.accounts_seen import AccountsSeenStore
from customer360.store.attachments import AttachmentStore
from customer360.store.audit import AuditLog
from customer360.store.cases import DeliveryCaseStore
from customer360.store.changes import ChangeStore
from customer360.store.customers import CustomerStore
from customer360.store.database import STORE_ERRORS, STORE_UNREACHABLE, create_engine, migrate
from customer360.store.feedback import FeedbackStore
from customer360.store.idempotency import IdempotencyStore
from customer360.store.identity import MatchReviewStore, PersonRecordStore
from customer360.store.leases import JobLeases
from customer360.store.listed_services import ListedServiceStore
from customer360.store.locks import locks_for
from customer360.store.notifications import NotificationStore
from customer360.store.outbox import OutboxStore
from customer360.store.payments import PaymentLedger
from customer360.store.portal_sessions import PortalSessionStore, RedisPortalSessions, SqlPortalSessions
from customer360.store.safeguarding_routes import SafeguardingRouteStore
from customer360.store.service_definitions import ServiceDefinitionStore
from customer360.store.store_identity import StoreIdentity
from customer360.store.view_generations import ViewGenerationStore

# A source that answers its ping slower than this is reported `degraded` by /readyz.
DEGRADED_AFTER_SECONDS = 1.0
# A store that is down at start-up is tried again after 0.5 s, 1 s, 2 s ... at most this long apart.
STORE_LONGEST_WAIT_SECONDS = 10.0
# Fetching an identity provider's keys (discovery document, JWKS) must not hold a sign-in for long.
JWKS_TIMEOUT_SECONDS = 5.0
# On the way out, a background pass under way (a relay delivering, a reconciliation) gets this long to end.
LAST_PASS_SECONDS = 10.0
# Attachments nobody used within a day are deleted by a pass this often (each worker runs it; it is idempotent).
UNUSED_ATTACHMENTS_SWEEP_SECONDS = 3600.0

log = logging.getLogger("customer360.runtime")


@dataclass
class Runtime:
    """The composition root's product: the process's own parts, and the `Services` every request shares."""

    settings: Settings
    metrics: Metrics
    customers: CustomerStore
    outbox: OutboxStore
    services: Services  # what resolvers and mutations use (resolvers/context.py), handed to each request as is
    identity: IdentityHub
    verifier: TokenVerifier
    signing_key: SigningKey | None
    faults: DemoFaults | None  # the demo council's fault drills; None with real back offices
    persisted_queries: PersistedQueries  # registered GraphQL documents (APQ), shared through Redis when configured
    idempotency: IdempotencyStore  # `Idempotency-Key` headers on mutations and their kept answers
    store_id: str  # the store's own identity: Redis keys naming its rows carry it (store/store_identity.py)
    rate_limits: RateLimitStore | None = None  # per-IP and per-principal counters (Redis when configured)
    redis: RedisGuard | None = None  # this process's view of Redis (its circuit), when Redis is configured
    portal_sessions: PortalSessionStore | None = None  # the resident portal's sessions (Redis when configured)
    messenger: Messenger | None = None  # residents' messages through GOV.UK Notify
    notify_callback_token: str | None = None  # what Notify's delivery receipts must carry
    changes: ChangeIntake | None = None  # the back offices' change feeds
    demo_backoffices: dict[str, str] | None = None  # the demo back offices' URLs, by system (and NOTIFY)

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an `Authorization` header; raises `InvalidToken` for a bad one."""
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("use the header `Authorization: Bearer <token>`")
        principal = await self.services.grants.checked(await self.verifier.verify(token.strip()), london_today())
        email = normalise_email(principal.email)
        # A resident is tied to a golden record by a verified email only, never an unverified one.
        if principal.is_resident and principal.email_verified and email:
            found = await self.services.cache.views.customer_for_email(
                email, self.customers.customer_id_for_verified_email
            )
            principal = replace(principal, customer_id=found)
        return principal

    async def source_states(self) -> dict[str, str]:
        async def state(system: SourceSystem, source: PeopleSource) -> tuple[str, str]:
            started = time.perf_counter()
            try:
                await source.ping()
            except SourceUnavailable:
                return system.value, "down"
            slow = time.perf_counter() - started > DEGRADED_AFTER_SECONDS
            return system.value, "degraded" if slow else "up"

        sources = self.services.sources
        states = dict(await asyncio.gather(*(state(system, source) for system, source in sources)))
        return states | {system.value: "not_configured" for system in sources.not_configured()}


async def start_runtime(
    settings: Settings, stack: contextlib.AsyncExitStack, *, wait_for_store: bool = True
) -> Runtime:
    """Open the store (migrated), the sources (the demo council's if none are configured), cache, auth.

    `wait_for_store`: a store that cannot be reached yet is waited for (`serve` started before its
    database, or during a database restart) instead of ending the process; one-shot commands fail."""
    metrics = Metrics()
    store_engine = create_engine(settings.gateway_database_url)
    stack.push_async_callback(store_engine.dispose)
    if wait_for_store:
        await migrate_when_reachable(store_engine)
    else:
        await migrate(store_engine)
    # Read once: Redis keys naming the store's rows carry it (store/store_identity.py).
    store_id = await StoreIdentity(store_engine).store_id()

    faults = None
    base_url: str | None = None  # the demo back offices', when they stand in for the council's
    locate_uprn: Callable[[str], tuple[float, float] | None] = _no_gazetteer
    addresses: AddressBook = NoAddressBook()
    if settings.sources_file:
        configs = load_source_configs(settings.sources_file)
        engines = {system: create_engine(c.url) for system, c in configs.items() if needs_engine(c)}
        for engine in engines.values():
            stack.push_async_callback(engine.dispose)
        faults = _faults_on_configured_sources(settings)
    else:
        demo_engines = council.DemoEngines.open(settings)
        stack.push_async_callback(demo_engines.dispose)
        if settings.demo_backoffice_url:  # `serve` runs them in a process of their own, shared by its workers
            base_url = settings.demo_backoffice_url
        else:
            base_url = await stack.enter_async_context(council.running_backoffices(settings, demo_engines))
        configs = council.source_configs(settings, base_url)
        engines = demo_engines.engines
        faults = _demo_faults(settings)
        locate_uprn = council.locate_uprn
        addresses = council.DemoAddressBook()

    http_urls = [config.url for config in configs.values() if not needs_engine(config)]
    http_client = await stack.enter_async_context(back_office_client(settings, http_urls))
    sources = build_sources(
        configs,
        engines=engines,
        http_client=http_client,
        metrics=metrics,
        breakers=circuit_breakers(),
        timeout_seconds=settings.source_timeout_seconds,
        faults=faults,
    )
    # One view of Redis per process: the cache and the rate limiter share its timeout and breaker.
    redis_guard = RedisGuard(metrics)
    stack.push_async_callback(redis_guard.close)
    cache = _cache(settings, redis_guard, store_id)
    stack.push_async_callback(cache.close)

    customers = CustomerStore(store_engine)
    outbox = OutboxStore(store_engine)
    read_through = ReadThrough(
        cache,
        metrics,
        settings.cache_ttl_seconds,
        stale_seconds=settings.cache_stale_seconds,
        unavailable=(SourceUnavailable,),  # down, timed out or circuit open: serve the last known answer
        views=settings.cache_views,
        key_secret=_cache_key(settings.data_dir) if settings.redis_url else None,
        views_away=_views_away(settings, store_engine, redis_guard),
    )
    agencies = AgencyQueuesSql(create_engine(settings.agencies_url))
    stack.push_async_callback(agencies.dispose)
    await agencies.create_tables()
    drill = faults  # the demo's fault drills can take the agencies' queues down too

    def agencies_down() -> bool:
        return drill is not None and safeguarding.AGENCIES in drill.down

    messenger = Messenger(NotificationStore(store_engine), customers, _notify(settings, base_url), settings.public_url)
    handlers = {
        **catalogue.handlers({safeguarding.FILE_CASE: safeguarding.deliver_to_agency(agencies, agencies_down)}),
        # Residents' messages are not a service's delivery: one handler for every `notify:<event>` row.
        NOTIFY_OPERATION: messenger.handler(),
    }
    cases = DeliveryCaseStore(store_engine)
    locks = locks_for(store_engine)
    stack.push_async_callback(locks.close)
    deliverer = Deliverer(outbox, customers, sources, read_through, cases, metrics, locks, handlers=handlers)
    payments = Payments(
        ledger=PaymentLedger(store_engine),
        outbox=outbox,
        deliverer=deliverer,
        sources=sources,
        webhook_secret=_webhook_secret(settings),
        max_pence=settings.max_payment_pence,
    )
    _every_in_background(stack, settings.outbox_interval_seconds, deliverer.run_due, "outbox relay")
    _every_in_background(stack, settings.reconcile_interval_seconds, payments.reconcile, "payments reconciliation")

    hub = IdentityHub(customers, PersonRecordStore(store_engine), MatchReviewStore(store_engine))
    leases = JobLeases(store_engine)
    changes = ChangeIntake(
        change_feeds(configs, http_client, engines),
        ChangeStore(store_engine),
        outbox,
        customers,
        deliverer,
        read_through,
        leases,
        settings.changes_interval_seconds,
        arrivals=functools.partial(
            match_records,
            hub=hub,
            model_path=settings.match_model_path,
            by="change feeds",
            priority=settings.survivorship_priority,
            cache=read_through,
            locks=locks,
        ),
    )
    stack.push_async_callback(_quietly(changes.release))  # runs after the loop below has stopped
    _every_in_background(stack, settings.changes_interval_seconds, changes.run_once, "change feeds")

    audit = AuditLog(store_engine)
    attachments = _attachments(settings, store_engine, audit)
    _every_in_background(stack, UNUSED_ATTACHMENTS_SWEEP_SECONDS, attachments.delete_unused, "unused attachments")
    issuers, signing_key = await _issuers(settings, stack)
    actor_key = load_or_create_signing_key(settings.data_dir, "actor-issuer")
    issuers.append(
        TrustedIssuer(
            ACTOR_ISSUER, ACTOR_AUDIENCE, PrincipalKind.RESIDENT, StaticKeys(actor_key.jwks()), actor_tokens=True
        )
    )
    rate_limits = _rate_limits(settings, redis_guard)
    stack.push_async_callback(rate_limits.close)
    portal_sessions = _portal_sessions(settings, store_engine, store_id)
    stack.push_async_callback(portal_sessions.close)
    services = Services(
        directory=customers,
        submissions=outbox,
        writes=WritePath(outbox, deliverer, locks),
        payments=payments,
        cases=cases,
        service_definitions=ServiceDefinitionStore(store_engine),
        listed_services=ListedServiceStore(store_engine, keep_seconds=settings.cache_stale_seconds),
        accounts_seen=AccountsSeenStore(store_engine),
        safeguarding=safeguarding.SafeguardingAccess(SafeguardingRouteStore(store_engine), agencies, audit),
        audit=audit,
        stewardship=Stewardship(
            hub.customers,
            hub.people,
            hub.review,
            audit,
            locks,
            settings.survivorship_priority,
            cache=read_through,
        ),
        analytics=Analytics(store_engine),
        events=EventRecorder(store_engine),
        person_keys=PersonKeys(load_or_create_salt(settings.data_dir)),
        sources=sources,
        cache=read_through,
        locate_uprn=locate_uprn,
        addresses=addresses,
        actor_tokens=ActorTokenIssuer(actor_key),
        grants=GrantChecks(AccessGrantStore(store_engine), read_through, customers.customer_id_for_verified_email),
        attachments=attachments,
        notifications=messenger.store,
        feedback=FeedbackStore(store_engine),
        loaders_for=functools.partial(
            Loaders.for_request,
            customers,
            outbox,
            sources,
            read_through,
            postings=functools.partial(cases.postings, operation=POST_TO_REVENUES),
            payments_made=payments.ledger.by_customers,
            request_changes=changes.changes.history,
        ),
    )
    return Runtime(
        settings=settings,
        metrics=metrics,
        customers=customers,
        outbox=outbox,
        services=services,
        identity=hub,
        verifier=TokenVerifier(issuers, clock_skew_seconds=settings.oidc_clock_skew_seconds),
        signing_key=signing_key,
        faults=faults,
        persisted_queries=PersistedQueries(cache if cache.layer == RedisCache.layer else None),
        idempotency=IdempotencyStore(store_engine),
        store_id=store_id,
        rate_limits=rate_limits,
        redis=redis_guard if settings.redis_url else None,
        portal_sessions=portal_sessions,
        messenger=messenger,
        notify_callback_token=settings.notify_callback_token
        or (council.notify_callback_token(settings) if not settings.sources_file else None),
        changes=changes,
        demo_backoffices=council.backoffice_urls(base_url) if base_url and not settings.sources_file else None,
    )


def _quietly(work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A step of shutting down that must not stop the others: a store already gone is only logged."""

    async def run() -> None:
        try:
            await work()
        except STORE_ERRORS as error:
            log.warning("a step of stopping was skipped: the store is not reachable (%s)", type(error).__name__)

    return run


def back_office_client(settings: Settings, base_urls: Iterable[str]) -> httpx.AsyncClient:
    """The one client every HTTP back office is called with (and the change feeds), a connection pool for
    each back office's base URL (sources/http_pools.py says why)."""
    limits = httpx.Limits(max_connections=100)
    # Where the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), httpx's own
    # transports: it honours those only when given no transport of ours, and every connection then goes
    # to the proxy anyway, so a pool per back office would save nothing.
    pools = (
        None
        if urllib.request.getproxies_environment()
        else PoolPerBackOffice(base_urls, verify=_certificates(), limits=limits)
    )
    return httpx.AsyncClient(
        timeout=settings.source_timeout_seconds,
        # One client calls for every resident: a cookie one back office set while answering for one
        # resident must never be sent with the next call, for another. The jar refuses them all.
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        transport=pools,
        verify=_certificates(),
        limits=limits,
        # W3C `traceparent` on every call to an HTTP back office while tracing is on (docs/tracing.md).
        event_hooks={"request": [tracing.inject_traceparent]} if tracing.active() else None,
    )


@functools.cache
def _certificates() -> ssl.SSLContext:
    """httpx's own default (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process: loading
    it takes some 40 ms, and each runtime makes two clients (the tests start one runtime per test)."""
    return httpx.create_ssl_context()


def _notify(settings: Settings, demo_backoffice_url: str | None) -> GovukNotify | None:
    """GOV.UK Notify as configured; in the demo, unset, the demo back offices' Notify-compatible API."""
    templates = NotifyTemplates(settings.notify_email_template_id, settings.notify_sms_template_id)
    if settings.notify_base_url and settings.notify_api_key:
        return GovukNotify(settings.notify_api_key, settings.notify_base_url, templates)
    if demo_backoffice_url and not settings.sources_file:
        base_url = settings.notify_base_url or demo_backoffice_url
        return GovukNotify(council.notify_api_key(settings), base_url, templates)
    if settings.notify_api_key:  # Notify's own API is the client's default base URL
        return GovukNotify(settings.notify_api_key, NOTIFY_API_URL, templates)
    return None


async def migrate_when_reachable(engine: AsyncEngine, longest_wait: float = STORE_LONGEST_WAIT_SECONDS) -> None:
    """Migrate the store, waiting for it while it cannot be reached (backoff with jitter, so workers
    started together do not knock together). Only an unreachable store is waited for: a migration
    that fails for any other reason ends the start-up at once, with its traceback."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(STORE_UNREACHABLE),
        wait=wait_exponential_jitter(multiplier=0.5, max=longest_wait, jitter=0.5),
        before_sleep=_log_store_wait,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await migrate(engine)


def _log_store_wait(state: RetryCallState) -> None:
    # One line per attempt and no traceback: a database that is still starting is not a bug. The
    # error's type only: a driver's message can carry the connection URL.
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "the store is not reachable yet (%s, attempt %d): waiting %.1f s before trying again",
        type(error).__name__,
        state.attempt_number,
        wait,
    )


def _portal_sessions(settings: Settings, store_engine: AsyncEngine, store_id: str) -> PortalSessionStore:
    if settings.redis_url:
        return RedisPortalSessions.from_url(settings.redis_url, store_id)
    return SqlPortalSessions(store_engine)


async def _issuers(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> tuple[list[TrustedIssuer], SigningKey | None]:
    """The configured identity providers, plus the development issuer in demo mode without a real one.

    `customer360 serve` refuses production without one (customer360/production.py); a runtime built
    otherwise (tests, an app made by hand) starts, serves public queries only, and says so in the log.
    """
    jwks_http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=JWKS_TIMEOUT_SECONDS, follow_redirects=False, verify=_certificates())
    )
    issuers = configured_issuers(settings, jwks_http)
    signing_key = None
    if settings.demo_issuer_enabled:
        signing_key = load_or_create_signing_key(settings.data_dir)
        issuers.extend(DemoIssuer(signing_key).trusted())
    if settings.oidc_client_id:  # the portal's tokens for residents its identity provider signed in
        issuers.append(PortalIssuer(load_or_create_signing_key(settings.data_dir, PORTAL_KEY)).trusted())
    if settings.staff_oidc_client_id:  # the staff dashboard's tokens for staff its identity provider signed in
        issuers.append(
            StaffDashboardIssuer(load_or_create_signing_key(settings.data_dir, STAFF_DASHBOARD_KEY)).trusted()
        )
    if settings.production and not issuers:
        log.warning(
            "production mode with no identity provider configured (C360_OIDC_ISSUER, C360_STAFF_OIDC_ISSUER): "
            "every bearer token will be refused; only public queries can be served"
        )
    return issuers, signing_key


def _faults_on_configured_sources(settings: Settings) -> DemoFaults | None:
    """The demo's injected delay and refusals on back offices a `C360_SOURCES` file names, when asked for
    and never in production: the bench (bench/run.py) points the demo council's SQL back offices at
    PostgreSQL through such a file, and its rows must wait the same delay as the embedded council's."""
    if settings.production or not (settings.demo_source_latency_ms or settings.demo_sources_down):
        return None
    return _demo_faults(settings)


def _demo_faults(settings: Settings) -> DemoFaults:
    """The delay and refusals `C360_DEMO_SOURCE_LATENCY_MS` and `C360_DEMO_SOURCE_DOWN` ask for."""
    return DemoFaults(settings.demo_source_latency_ms / 1000, set(settings.demo_sources_down))


def _rate_limits(settings: Settings, guard: RedisGuard) -> RateLimitStore:
    if settings.redis_url:
        return RedisRateLimits.from_url(settings.redis_url, guard)
    return MemoryRateLimits()


def _webhook_secret(settings: Settings) -> bytes:
    """Configured, or (demo council only) made in the data dir. Without one, every webhook is refused."""
    if settings.payments_webhook_secret:
        return settings.payments_webhook_secret.encode()
    if settings.sources_file:
        return b""
    return council.webhook_secret(settings)


class NoAddressBook:
    """Without a gazetteer configured, no address can be looked up: moves say where, in full."""

    def by_uprn(self, uprn: str) -> FoundAddress | None:
        return None

    def at_postcode(self, postcode: str) -> list[FoundAddress]:
        return []

    def matching(self, search: str) -> list[FoundAddress]:
        return []


def _no_gazetteer(_uprn: str) -> None:
    """Without an address gazetteer configured, no UPRN can be placed: reports give coordinates."""
    return None


def _cache(settings: Settings, guard: RedisGuard, store_id: str) -> Cache:
    if not settings.cache_enabled:
        return NoCache()
    if settings.redis_url:
        # The longest TTL of a key we ever delete: views generations (4 TTLs), last known copies.
        longest = max(settings.cache_ttl_seconds * 4, settings.cache_stale_seconds)
        return RedisCache.from_url(
            settings.redis_url, _cache_key(settings.data_dir), guard, store_id=store_id, longest_ttl_seconds=longest
        )
    return MemoryCache()


def _views_away(settings: Settings, store_engine: AsyncEngine, guard: RedisGuard) -> AwayFallback | None:
    """With Redis: keep residents' answers in this worker's memory while Redis is away (cache/views.py)."""
    if not (settings.redis_url and settings.cache_enabled):
        return None
    return AwayFallback(
        ViewGenerationStore(store_engine), lambda: not guard.reads_trusted(), settings.cache_ttl_seconds
    )


def _attachments(settings: Settings, store_engine: AsyncEngine, audit: AuditLog) -> Attachments:
    """Files under the data dir; links signed with a key every worker sharing the data dir shares."""
    key = kept_secret(settings.data_dir / "keys" / "attachments.key", lambda: secrets.token_bytes(32))
    return Attachments(
        store=AttachmentStore(store_engine, settings.data_dir / "attachments"),
        audit=audit,
        links=SignedLinks(key, settings.public_url),
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_upload_pixels,
        open311_media_seconds=int(settings.open311_media_days * 24 * 3600),
    )


def _cache_key(data_dir: Path) -> bytes:
    """The key that encrypts cached values in Redis; every worker sharing the data dir shares it."""
    return kept_secret(data_dir / "keys" / "cache.key", Fernet.generate_key).strip()


def _every_in_background(
    stack: contextlib.AsyncExitStack, interval_seconds: float, work: Callable[[], Awaitable[object]], name: str
) -> None:
    """`work` every `interval_seconds` for as long as the runtime lives (0: never)."""
    if interval_seconds > 0:
        stop = asyncio.Event()
        task = asyncio.create_task(every(interval_seconds, work, name, stop))
        stack.push_async_callback(_stop, task, stop)


async def _stop(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Let the pass under way finish (its claims released as it ends, not left to expire), then stop;
    a pass still running after `LAST_PASS_SECONDS` is cancelled: what it held is retried later."""
    stop.set()
    await asyncio.wait({task}, timeout=LAST_PASS_SECONDS)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
