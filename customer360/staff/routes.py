"""Serving the staff dashboard: the page shell at `/staff`, its script and styles under `/staff/static/`.

The shell is read once when the routes are made, and its asset URLs carry a hash of the assets, so
browsers may cache them for a long time and still never run a stale script after an upgrade. The
page's Content-Security-Policy allows scripts, styles and API calls from this origin only: no inline
script, no third-party anything, and the token pasted into it can only be sent to `/graphql`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from customer360.http.static_assets import CachedAssets
from customer360.settings import Settings
from customer360.staff import sign_in

HERE = Path(__file__).parent
STATIC = HERE / "static"
SIGN_IN_FORM = ("<!-- sign-in form -->", "<!-- end sign-in form -->")
ASSETS = ("staff.js", "staff-analytics.js", "staff-review.js", "staff-casework.js", "staff.css")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # the shell is tiny; never serve a stale one pointing at old assets
}


def staff_routes(settings: Settings) -> list[BaseRoute]:
    """The dashboard: with the staff identity provider's sign-in (`C360_STAFF_OIDC_CLIENT_ID`), or in demo
    mode with a pasted token, as before; in production without staff sign-in, not served at all."""
    if settings.production and not settings.staff_oidc_client_id:
        return []
    version = hashlib.sha256(b"".join((STATIC / name).read_bytes() for name in ASSETS)).hexdigest()[:12]
    shell = (STATIC / "staff.html").read_text(encoding="utf-8").replace("{{version}}", version)
    signing_in = settings.staff_oidc_client_id is not None
    if signing_in:  # the provider's sign-in in place of the pasted token
        start, end = shell.index(SIGN_IN_FORM[0]), shell.index(SIGN_IN_FORM[1]) + len(SIGN_IN_FORM[1])
        shell = shell[:start] + (HERE / "sign_in.html").read_text(encoding="utf-8").rstrip() + shell[end:]

    async def dashboard(_request: Request) -> Response:
        return HTMLResponse(shell, headers=SECURITY_HEADERS)

    async def signed_in(request: Request) -> Response:
        return await sign_in.callback(request, shell, SECURITY_HEADERS)

    routes: list[BaseRoute] = [
        Route("/staff", dashboard, methods=["GET"]),
        Mount("/staff/static", app=CachedAssets(StaticFiles(directory=STATIC)), name="staff-static"),
    ]
    if signing_in:
        routes += [
            Route("/staff/sign-in", sign_in.ask_purpose, methods=["GET"]),
            Route("/staff/sign-in", sign_in.begin, methods=["POST"]),
            Route("/staff/sign-in/callback", signed_in, methods=["GET"]),
        ]
    return routes
