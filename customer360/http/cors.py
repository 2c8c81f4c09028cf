"""CORS: only the origins listed in `C360_CORS_ORIGINS` (none by default), no cookies.

The API authenticates with bearer tokens, never cookies, so credentials are not allowed cross-origin;
an origin not on the list gets no CORS headers and the browser keeps the answer from its page.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Access-Purpose",
    "X-Request-ID",
    "X-Requested-With",
    "Apollo-Require-Preflight",
    "Idempotency-Key",
]
PREFLIGHT_MAX_AGE_SECONDS = 600


def cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=["X-Request-ID", "Retry-After", "Idempotent-Replayed"],
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
