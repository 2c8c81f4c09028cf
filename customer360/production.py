"""Safe by default: what `C360_ENV=production` refuses to start with, and the data dir it marks.

A production gateway must know who people are (an identity provider), must serve the council's back
offices (`C360_SOURCES`: without it the demo council would be seeded and served as if real), and must
hold none of the demo's keys or secrets. Each refusal is one line naming the setting to change.

A data dir a production gateway has run on is marked (`PRODUCTION_MARK`), so the demo commands (seed,
residents, back offices, development tokens) refuse to run against it, whatever `C360_ENV` says then.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from customer360.settings import Settings

PRODUCTION_MARK = "PRODUCTION"
# What the demo leaves in a data dir: the development issuer's key, and the demo council (its back
# offices' databases, its payment provider's API key and webhook secret).
DEMO_LEFTOVERS = (Path("keys") / "demo-issuer.pem", Path("demo"))
SHORTEST_SECRET = 32  # characters: a secret shorter than this is a placeholder, not a secret


def production_refusal(settings: Settings) -> str | None:
    """Why this production configuration must not start (None: it may, or this is not production)."""
    if not settings.production:
        return None
    if not (settings.oidc_issuer or settings.staff_oidc_issuer):
        return (
            "C360_ENV=production needs an identity provider: set C360_OIDC_ISSUER (residents) "
            "and/or C360_STAFF_OIDC_ISSUER (staff)"
        )
    if settings.sources_file is None:
        return (
            "C360_ENV=production needs C360_SOURCES (the council's back offices); "
            "without it the demo council's residents would be served"
        )
    if not _public_https(settings.public_url):
        # It makes the sign-in redirect_uri, the payment return URL and every signed link sent to a back
        # office: on plain http or a loopback host, sign-in breaks and the links' signatures go in clear.
        return (
            f"C360_PUBLIC_URL ({settings.public_url}) must be the gateway's public https:// address, "
            "not plain http or a loopback host"
        )
    for name, issuer in (
        ("C360_OIDC_ISSUER", settings.oidc_issuer),
        ("C360_STAFF_OIDC_ISSUER", settings.staff_oidc_issuer),
    ):
        if issuer is not None and urlsplit(issuer).scheme != "https":
            return f"{name} ({issuer}) must be an https:// issuer: its keys and tokens are trusted"
    for leftover in DEMO_LEFTOVERS:
        if (settings.data_dir / leftover).exists():
            return (
                f"C360_DATA_DIR ({settings.data_dir}) holds the demo's {leftover}: "
                "production needs a data dir of its own, never one the demo has used"
            )
    for name, value in (
        ("C360_SESSION_SECRET", settings.session_secret),
        ("C360_PAYMENTS_WEBHOOK_SECRET", settings.payments_webhook_secret),
        ("C360_OIDC_CLIENT_SECRET", settings.oidc_client_secret),
        ("C360_STAFF_OIDC_CLIENT_SECRET", settings.staff_oidc_client_secret),
        ("C360_METRICS_TOKEN", settings.metrics_token),
        ("C360_SUBGRAPH_SECRET", settings.subgraph_secret),
    ):
        if value is not None and len(value) < SHORTEST_SECRET:
            return f"{name} is shorter than {SHORTEST_SECRET} characters: use a long random value"
    return None


def _public_https(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return True


def mark_production(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / PRODUCTION_MARK).write_text("A production customer360 gateway runs on this data dir.\n")


def demo_refusal(settings: Settings) -> str | None:
    """Why a demo command must not run here (None: it may)."""
    if settings.production:
        return "this is a demo command, and C360_ENV=production"
    if (settings.data_dir / PRODUCTION_MARK).exists():
        return f"this is a demo command, and {settings.data_dir} is a production data dir"
    return None
