"""`X-Access-Purpose`: a malformed one is a 400; a good one is kept on the scope for `auth.purpose`."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.auth.purpose import HEADER, SCOPE_KEY, InvalidPurpose, decode_header, parse_purpose
from customer360.http.responses import refusal


class AccessPurposes:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER.encode())
        try:
            purpose = parse_purpose(decode_header(raw) if raw is not None else None)
        except InvalidPurpose as error:
            await refusal(400, str(error), "BAD_ACCESS_PURPOSE")(scope, receive, send)
            return
        scope.setdefault("state", {})[SCOPE_KEY] = purpose
        await self._app(scope, receive, send)
