"""Security headers on every response.

- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`.
- A Content-Security-Policy: API answers get `default-src 'none'; frame-ancestors 'none'`; HTML pages
  get a policy that allows their own scripts and styles and nothing from elsewhere (GraphiQL's are
  served from the package: customer360/graphiql). `frame-ancestors 'none'` always: nothing of ours
  may be framed. A form may post only here, or (`form_origins`) to where signing out redirects: the
  identity providers' origins, added to the `form-action` of every page's policy, the portal's and
  the staff dashboard's own included (Chromium applies `form-action` to the redirect after a POST).
- `Cache-Control: no-store` on /graphql answers: they hold personal data; no shared cache may keep them.
- `Strict-Transport-Security` in production (behind TLS, as a production deployment must be).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; {form_action}"
)
FORM_ACTION = "form-action 'self'"
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool, form_origins: tuple[str, ...] = ()) -> None:
        self._app = app
        self._production = production
        self._form_action = FORM_ACTION + "".join(" " + origin for origin in form_origins)
        self._page_csp = PAGE_CSP.format(form_action=self._form_action)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        graphql = scope["path"].rstrip("/") == "/graphql"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", self._page_csp if html else API_CSP)
                if html and self._form_action != FORM_ACTION:
                    policy = headers["Content-Security-Policy"]
                    headers["Content-Security-Policy"] = policy.replace(FORM_ACTION, self._form_action)
                if graphql:
                    headers["Cache-Control"] = "no-store"
                if self._production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self._app(scope, receive, send_with_headers)
