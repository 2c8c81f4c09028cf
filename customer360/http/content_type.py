"""CSRF safety for /graphql: no request a web page could send cross-site without a CORS preflight.

- POST must carry `Content-Type: application/json` (a browser can only send `text/plain`, form and
  multipart bodies cross-site without asking first), or one of the headers that force a preflight
  (`X-Requested-With`, `Apollo-Require-Preflight`), as Apollo Server's CSRF prevention does: that is how
  a GraphQL multipart request (`uploadAttachment`) gets in. Anything else is a 415.
- GET runs queries only (Strawberry refuses a mutation over GET with a 400), so a cross-site GET
  cannot change anything; and the API takes bearer tokens, never cookies, so it carries no identity.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.http.responses import refusal

JSON_TYPES = frozenset({"application/json", "application/graphql-response+json"})
PREFLIGHT_HEADERS = (b"x-requested-with", b"apollo-require-preflight")


class CsrfGuard:
    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...] = ("/graphql",)) -> None:
        self._app = app
        self._paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") in self._paths:
            headers = dict(scope["headers"])
            mime = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            if mime not in JSON_TYPES and not any(headers.get(name) for name in PREFLIGHT_HEADERS):
                response = refusal(415, "POST /graphql takes Content-Type: application/json", "UNSUPPORTED_MEDIA_TYPE")
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
