"""Settings from the environment (names in CONTRACT.md); read once, passed everywhere explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from customer360.domain.payments import DEFAULT_MAX_PAYMENT_PENCE
from customer360.domain.systems import SourceSystem
from customer360.sources.catalogue import SOURCE_PRIORITY


class SettingsError(ValueError):
    """A setting has a value we cannot work with; the message names it."""


@dataclass(frozen=True)
class Settings:
    env: str = "demo"
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    sources_file: Path | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    staff_oidc_issuer: str | None = None
    staff_oidc_audience: str | None = None
    staff_oidc_jwks_url: str | None = None
    # Signing in through those providers (authorization code flow with PKCE): this service's client id,
    # and its secret or the private key of its `private_key_jwt` assertions (GOV.UK One Login's way).
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_private_key: Path | None = None
    oidc_scopes: str = "openid email"
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: str | None = field(default=None, repr=False)
    staff_oidc_private_key: Path | None = None
    # Production: /metrics answers only a scraper that sends `Authorization: Bearer <this>`.
    metrics_token: str | None = field(default=None, repr=False)
    # /subgraph answers only a gateway that sends this as `X-Subgraph-Secret` (http/gateway_secret.py).
    subgraph_secret: str | None = field(default=None, repr=False)
    cache_enabled: bool = True
    cache_ttl_seconds: float = 30.0
    # Whole answers to residents' own reads (cache/views.py); `serve --workers N` turns them off without Redis.
    cache_views: bool = True
    # Stale-if-error: how long a last known answer is kept to serve (marked stale) while its back
    # office is down. 0 turns it off; with the cache off there are no copies.
    cache_stale_seconds: float = 86_400.0
    demo_source_latency_ms: int = 0
    demo_sources_down: frozenset[SourceSystem] = field(default_factory=frozenset)
    source_timeout_seconds: float = 5.0
    public_url: str = "http://127.0.0.1:8000"
    # Derives the key that encrypts the portal's sessions; unset, a key file in the data dir (keys/session.key).
    session_secret: str | None = field(default=None, repr=False)
    outbox_interval_seconds: float = 5.0
    reconcile_interval_seconds: float = 60.0
    survivorship_priority: tuple[SourceSystem, ...] = SOURCE_PRIORITY
    payments_webhook_secret: str | None = None
    demo_webhook_copies: int = 1
    # How `customer360 serve` runs the demo council's HTTP back offices (Open311, payments): `process`,
    # one child process that every worker shares, or `inline`, inside each worker's own event loop.
    demo_backoffices: str = "process"
    # Where those back offices already answer (`serve` sets C360_DEMO_BACKOFFICE_URL for its workers);
    # unset, the runtime starts them inline, as the tests that build the app in-process need.
    demo_backoffice_url: str | None = None
    # The demo Open311 server: `extended` (its extensions on: reporters, account_id, history, ...) or
    # `standard` (plain GeoReport v2, as most contractors' servers are; the gateway works with either).
    demo_open311: str = "extended"
    max_payment_pence: int = DEFAULT_MAX_PAYMENT_PENCE
    agencies_database_url: str | None = None
    # GOV.UK Notify (residents' e-mails and texts). In demo mode, unset: the demo back offices' own
    # Notify-compatible API with a key made per data dir; in production, unset means nothing is sent.
    notify_api_key: str | None = field(default=None, repr=False)
    notify_base_url: str | None = None
    notify_callback_token: str | None = field(default=None, repr=False)  # delivery receipts' bearer token
    notify_email_template_id: str = "7a1f6c1e-4b7e-4d0a-9a8e-0c3f1d2b5e01"
    notify_sms_template_id: str = "7a1f6c1e-4b7e-4d0a-9a8e-0c3f1d2b5e02"
    # How often each back office's change feed is read (one worker at a time across replicas).
    changes_interval_seconds: float = 30.0
    # Identity providers (beyond issuer/audience/JWKS URL above).
    staff_oidc_roles_claim: str = "roles"
    jwks_cache_seconds: float = 300.0
    jwks_min_refetch_seconds: float = 30.0
    oidc_clock_skew_seconds: float = 30.0
    # HTTP limits and browser rules.
    cors_origins: tuple[str, ...] = ()
    # Where a payment page may send the payer back to, besides `public_url`'s own origin (an open
    # redirect otherwise): the portal's origins. Production accepts https ones only.
    return_url_origins: tuple[str, ...] = ()
    trusted_documents: Path | None = None
    max_body_bytes: int = 256 * 1024
    # Uploads (domain/attachments.py): a multipart body may be as large as its files allow, and no larger.
    max_upload_bytes: int = 10 * 1024 * 1024  # one file
    max_uploads_per_request: int = 3
    max_upload_pixels: int = 40_000_000  # a 40-megapixel photo; a decompression bomb claims far more
    # How long a street report's Open311 `media_url` works (docs/attachments.md: the contractor's copy).
    open311_media_days: float = 14.0
    request_timeout_seconds: float = 30.0
    # SIGTERM: how long /readyz answers 503 while requests are still served, so a load balancer's
    # health checks take the replica out before it stops listening (0: stop at once).
    drain_seconds: float = 5.0
    rate_limit_per_ip: int = 600  # requests per window per client address; 0 turns it off
    rate_limit_per_principal: int = 300  # requests per window per signed-in principal; 0 turns it off
    rate_limit_window_seconds: float = 60.0
    # GraphQL document limits (see customer360/schema/limits.py for what each one measures).
    max_query_depth: int = 12
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 2000
    max_document_bytes: int = 15_000
    max_query_cost: int = 25_000
    max_batch_operations: int = 0  # JSON-array (batched) requests: 0 refuses them
    # Logs: JSON lines (`json`) or plain text (`text`); personal data is redacted either way.
    log_format: str = "json"
    log_level: str = "INFO"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def gateway_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'customer360.db'}"

    @property
    def agencies_url(self) -> str:
        """The safeguarding agencies' queues: `C360_AGENCIES_URL`, or the demo's own database."""
        return self.agencies_database_url or f"sqlite+aiosqlite:///{self.demo_dir / 'agencies.db'}"

    @property
    def match_model_path(self) -> Path:
        """The matcher trained by the last full linking run, kept for matching arrivals."""
        return self.data_dir / "identity" / "match-model.json"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    @property
    def demo_issuer_enabled(self) -> bool:
        """The development token issuer exists only in demo mode without a real resident IdP."""
        return not self.production and self.oidc_issuer is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("C360_ENV", "demo")
        if mode not in ("demo", "production"):
            raise SettingsError(f"C360_ENV must be 'demo' or 'production', not {mode!r}")
        cache = env.get("C360_CACHE", "on")
        if cache not in ("on", "off"):
            raise SettingsError(f"C360_CACHE must be 'on' or 'off', not {cache!r}")
        for prefix in ("C360_OIDC", "C360_STAFF_OIDC"):
            _check_sign_in_client(env, prefix)
        return cls(
            env=mode,
            data_dir=Path(env.get("C360_DATA_DIR", "var")),
            database_url=env.get("C360_DATABASE_URL") or None,
            redis_url=env.get("C360_REDIS_URL") or None,
            sources_file=Path(env["C360_SOURCES"]) if env.get("C360_SOURCES") else None,
            oidc_issuer=env.get("C360_OIDC_ISSUER") or None,
            # The ID tokens the portal keeps are meant for its client id: that is the audience by default.
            oidc_audience=env.get("C360_OIDC_AUDIENCE") or env.get("C360_OIDC_CLIENT_ID") or None,
            oidc_jwks_url=env.get("C360_OIDC_JWKS_URL") or None,
            staff_oidc_issuer=env.get("C360_STAFF_OIDC_ISSUER") or None,
            staff_oidc_audience=env.get("C360_STAFF_OIDC_AUDIENCE") or env.get("C360_STAFF_OIDC_CLIENT_ID") or None,
            staff_oidc_jwks_url=env.get("C360_STAFF_OIDC_JWKS_URL") or None,
            oidc_client_id=env.get("C360_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("C360_OIDC_CLIENT_SECRET") or None,
            oidc_private_key=Path(env["C360_OIDC_PRIVATE_KEY"]) if env.get("C360_OIDC_PRIVATE_KEY") else None,
            oidc_scopes=env.get("C360_OIDC_SCOPES") or "openid email",
            staff_oidc_client_id=env.get("C360_STAFF_OIDC_CLIENT_ID") or None,
            staff_oidc_client_secret=env.get("C360_STAFF_OIDC_CLIENT_SECRET") or None,
            staff_oidc_private_key=(
                Path(env["C360_STAFF_OIDC_PRIVATE_KEY"]) if env.get("C360_STAFF_OIDC_PRIVATE_KEY") else None
            ),
            metrics_token=env.get("C360_METRICS_TOKEN") or None,
            subgraph_secret=env.get("C360_SUBGRAPH_SECRET") or None,
            cache_enabled=cache == "on",
            cache_views=_choice(env, "C360_CACHE_VIEWS", ("on", "off"), "on") == "on",
            cache_ttl_seconds=_number(env, "C360_CACHE_TTL_SECONDS", 30.0),
            cache_stale_seconds=_number(env, "C360_CACHE_STALE_SECONDS", 86_400.0),
            demo_source_latency_ms=int(_number(env, "C360_DEMO_SOURCE_LATENCY_MS", 0)),
            demo_sources_down=_systems(env.get("C360_DEMO_SOURCE_DOWN", "")),
            source_timeout_seconds=_number(env, "C360_SOURCE_TIMEOUT_SECONDS", 5.0),
            public_url=env.get("C360_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            session_secret=env.get("C360_SESSION_SECRET") or None,
            outbox_interval_seconds=_number(env, "C360_OUTBOX_INTERVAL_SECONDS", 5.0),
            reconcile_interval_seconds=_number(env, "C360_RECONCILE_INTERVAL_SECONDS", 60.0),
            survivorship_priority=_priority(env.get("C360_SURVIVORSHIP_PRIORITY", "")),
            payments_webhook_secret=env.get("C360_PAYMENTS_WEBHOOK_SECRET") or None,
            demo_webhook_copies=int(_number(env, "C360_DEMO_WEBHOOK_COPIES", 1)),
            demo_backoffices=_choice(env, "C360_DEMO_BACKOFFICES", ("process", "inline"), "process"),
            demo_backoffice_url=_http_url(env, "C360_DEMO_BACKOFFICE_URL"),
            demo_open311=_choice(env, "C360_DEMO_OPEN311", ("extended", "standard"), "extended"),
            agencies_database_url=env.get("C360_AGENCIES_URL") or None,
            notify_api_key=env.get("C360_NOTIFY_API_KEY") or None,
            notify_base_url=_http_url(env, "C360_NOTIFY_BASE_URL"),
            notify_callback_token=env.get("C360_NOTIFY_CALLBACK_TOKEN") or None,
            notify_email_template_id=env.get("C360_NOTIFY_EMAIL_TEMPLATE_ID") or Settings.notify_email_template_id,
            notify_sms_template_id=env.get("C360_NOTIFY_SMS_TEMPLATE_ID") or Settings.notify_sms_template_id,
            changes_interval_seconds=_number(env, "C360_CHANGES_INTERVAL_SECONDS", 30.0),
            max_payment_pence=int(_number(env, "C360_MAX_PAYMENT_PENCE", DEFAULT_MAX_PAYMENT_PENCE)),
            staff_oidc_roles_claim=env.get("C360_STAFF_OIDC_ROLES_CLAIM") or "roles",
            jwks_cache_seconds=_number(env, "C360_JWKS_CACHE_SECONDS", 300.0),
            jwks_min_refetch_seconds=_number(env, "C360_JWKS_MIN_REFETCH_SECONDS", 30.0),
            oidc_clock_skew_seconds=_number(env, "C360_OIDC_CLOCK_SKEW_SECONDS", 30.0),
            cors_origins=_origins(env.get("C360_CORS_ORIGINS", "")),
            return_url_origins=_origins(env.get("C360_RETURN_URL_ORIGINS", ""), "C360_RETURN_URL_ORIGINS"),
            trusted_documents=Path(env["C360_TRUSTED_DOCUMENTS"]) if env.get("C360_TRUSTED_DOCUMENTS") else None,
            max_body_bytes=int(_number(env, "C360_MAX_BODY_BYTES", 256 * 1024)),
            max_upload_bytes=int(_number(env, "C360_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
            max_uploads_per_request=int(_number(env, "C360_MAX_UPLOADS_PER_REQUEST", 3)),
            max_upload_pixels=int(_number(env, "C360_MAX_UPLOAD_PIXELS", 40_000_000)),
            open311_media_days=_number(env, "C360_OPEN311_MEDIA_DAYS", 14),
            request_timeout_seconds=_number(env, "C360_REQUEST_TIMEOUT_SECONDS", 30.0),
            drain_seconds=_number(env, "C360_DRAIN_SECONDS", 5.0),
            rate_limit_per_ip=int(_number(env, "C360_RATE_LIMIT_PER_IP", 600)),
            rate_limit_per_principal=int(_number(env, "C360_RATE_LIMIT_PER_PRINCIPAL", 300)),
            rate_limit_window_seconds=_number(env, "C360_RATE_LIMIT_WINDOW_SECONDS", 60.0),
            max_query_depth=int(_number(env, "C360_MAX_QUERY_DEPTH", 12)),
            max_aliases=int(_number(env, "C360_MAX_ALIASES", 15)),
            max_directives=int(_number(env, "C360_MAX_DIRECTIVES", 50)),
            max_tokens=int(_number(env, "C360_MAX_TOKENS", 2000)),
            max_document_bytes=int(_number(env, "C360_MAX_DOCUMENT_BYTES", 15_000)),
            max_query_cost=int(_number(env, "C360_MAX_QUERY_COST", 25_000)),
            max_batch_operations=int(_number(env, "C360_MAX_BATCH_OPERATIONS", 0)),
            log_format=_choice(env, "C360_LOG_FORMAT", ("json", "text"), "json"),
            log_level=_choice(env, "C360_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
        )


def _check_sign_in_client(env: Mapping[str, str], prefix: str) -> None:
    """A client id (sign-in through that provider) needs its issuer and a way to authenticate."""
    if not env.get(f"{prefix}_CLIENT_ID"):
        return
    if not env.get(f"{prefix}_ISSUER"):
        raise SettingsError(f"{prefix}_CLIENT_ID is set, so {prefix}_ISSUER must be too")
    key = env.get(f"{prefix}_PRIVATE_KEY")
    if not env.get(f"{prefix}_CLIENT_SECRET") and not key:
        raise SettingsError(f"{prefix}_CLIENT_ID needs {prefix}_CLIENT_SECRET or {prefix}_PRIVATE_KEY (a PEM file)")
    if key and not Path(key).is_file():
        raise SettingsError(f"{prefix}_PRIVATE_KEY names no file: {key}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name) or None
    if raw is not None and not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL, not {raw!r}")
    return raw.rstrip("/") if raw else None


def _origins(raw: str, name: str = "C360_CORS_ORIGINS") -> tuple[str, ...]:
    """Comma-separated origins (`https://portal.example.gov.uk`), exact matches only."""
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        if origin == "*" or not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise SettingsError(f"{name} takes origins like https://portal.example.gov.uk, not {origin!r}")
    return origins


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name) or default
    value = raw.upper() if allowed[0].isupper() else raw.lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return value


def _systems(raw: str) -> frozenset[SourceSystem]:
    return frozenset(_system_list(raw, "C360_DEMO_SOURCE_DOWN"))


def _priority(raw: str) -> tuple[SourceSystem, ...]:
    """Most trusted first; systems not named rank after those named, in the default order."""
    named = _system_list(raw, "C360_SURVIVORSHIP_PRIORITY")
    if len(set(named)) != len(named):
        raise SettingsError("C360_SURVIVORSHIP_PRIORITY names a source twice")
    return tuple(named) + tuple(s for s in SOURCE_PRIORITY if s not in named)


def _system_list(raw: str, setting: str) -> list[SourceSystem]:
    names = [part.strip().upper() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name not in SourceSystem.__members__]
    if unknown:
        raise SettingsError(f"{setting} names unknown sources {unknown}; known: {', '.join(SourceSystem)}")
    return [SourceSystem(name) for name in names]
