"""/subgraph: with `C360_SUBGRAPH_SECRET` set, only the council's gateway reaches customer360's subgraph.

The gateway sends the secret in `X-Subgraph-Secret` beside the resident's own bearer token (which it
forwards, and which is still checked as on /graphql). A request without it is a 401, one with a wrong
one a 403, both refused before the token or the document is looked at; the comparison takes the same
time however much of the secret a caller guessed. Unset, the subgraph answers anyone /graphql would.
"""

from __future__ import annotations

import logging
import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.http.responses import refusal

SUBGRAPH_SECRET_HEADER = "X-Subgraph-Secret"

log = logging.getLogger("customer360.auth")


class GatewaySecret:
    def __init__(self, app: ASGIApp, *, secret: str | None) -> None:
        self._app = app
        self._secret = secret.encode() if secret else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._secret is not None:
            sent = Headers(scope=scope).get(SUBGRAPH_SECRET_HEADER)
            if sent is None:
                refused = refusal(
                    401, f"the subgraph answers its gateway: send {SUBGRAPH_SECRET_HEADER}", "UNAUTHENTICATED"
                )
            elif not secrets.compare_digest(sent.encode("latin-1"), self._secret):  # the bytes as sent
                refused = refusal(403, f"wrong {SUBGRAPH_SECRET_HEADER}", "FORBIDDEN")
            else:
                refused = None
            if refused is not None:
                log.info("refused a subgraph request without its gateway's secret (%s)", refused.status_code)
                await refused(scope, receive, send)
                return
        await self._app(scope, receive, send)
