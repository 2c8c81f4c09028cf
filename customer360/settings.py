"""Settings from the environment (names in CONTRACT.md); read once, passed everywhere explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from customer360.domain.payments import DEFAULT_MAX_PAYMENT_PENCE
from customer360.domain.systems import SourceSystem


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
    cache_enabled: bool = True
    cache_ttl_seconds: float = 30.0
    demo_source_latency_ms: int = 0
    demo_sources_down: frozenset[SourceSystem] = field(default_factory=frozenset)
    source_timeout_seconds: float = 5.0
    public_url: str = "http://127.0.0.1:8000"
    outbox_interval_seconds: float = 5.0
    reconcile_interval_seconds: float = 60.0
    payments_webhook_secret: str | None = None
    demo_webhook_copies: int = 1
    max_payment_pence: int = DEFAULT_MAX_PAYMENT_PENCE

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def gateway_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'customer360.db'}"

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
        return cls(
            env=mode,
            data_dir=Path(env.get("C360_DATA_DIR", "var")),
            database_url=env.get("C360_DATABASE_URL") or None,
            redis_url=env.get("C360_REDIS_URL") or None,
            sources_file=Path(env["C360_SOURCES"]) if env.get("C360_SOURCES") else None,
            oidc_issuer=env.get("C360_OIDC_ISSUER") or None,
            oidc_audience=env.get("C360_OIDC_AUDIENCE") or None,
            oidc_jwks_url=env.get("C360_OIDC_JWKS_URL") or None,
            staff_oidc_issuer=env.get("C360_STAFF_OIDC_ISSUER") or None,
            staff_oidc_audience=env.get("C360_STAFF_OIDC_AUDIENCE") or None,
            staff_oidc_jwks_url=env.get("C360_STAFF_OIDC_JWKS_URL") or None,
            cache_enabled=cache == "on",
            cache_ttl_seconds=_number(env, "C360_CACHE_TTL_SECONDS", 30.0),
            demo_source_latency_ms=int(_number(env, "C360_DEMO_SOURCE_LATENCY_MS", 0)),
            demo_sources_down=_systems(env.get("C360_DEMO_SOURCE_DOWN", "")),
            source_timeout_seconds=_number(env, "C360_SOURCE_TIMEOUT_SECONDS", 5.0),
            public_url=env.get("C360_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            outbox_interval_seconds=_number(env, "C360_OUTBOX_INTERVAL_SECONDS", 5.0),
            reconcile_interval_seconds=_number(env, "C360_RECONCILE_INTERVAL_SECONDS", 60.0),
            payments_webhook_secret=env.get("C360_PAYMENTS_WEBHOOK_SECRET") or None,
            demo_webhook_copies=int(_number(env, "C360_DEMO_WEBHOOK_COPIES", 1)),
            max_payment_pence=int(_number(env, "C360_MAX_PAYMENT_PENCE", DEFAULT_MAX_PAYMENT_PENCE)),
        )


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


def _systems(raw: str) -> frozenset[SourceSystem]:
    names = [part.strip().upper() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name not in SourceSystem.__members__]
    if unknown:
        raise SettingsError(f"C360_DEMO_SOURCE_DOWN names unknown sources {unknown}; known: {', '.join(SourceSystem)}")
    return frozenset(SourceSystem(name) for name in names)
