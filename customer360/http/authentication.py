"""/graphql: verify the bearer token before GraphQL sees the request (a bad token is a 401, not a
query), then count the request against the principal's rate limit."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.acting import ACTING, ActedBy
from customer360.auth.tokens import InvalidToken
from customer360.http.rate_limit import principal_allowed, too_many
from customer360.http.responses import refusal

log = logging.getLogger("customer360.auth")


class Authenticated:
    def __init__(self, app: ASGIApp, *, principal_limit: int = 0, window_seconds: float = 60.0) -> None:
        self._app = app
        self._limit = principal_limit
        self._window = window_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = scope["app"].state.runtime
        request = Request(scope)
        try:
            principal = await runtime.authenticate(request.headers.get("authorization"))
        except InvalidToken as error:
            log.info("refused a bearer token: %s", error)
            response = refusal(
                401, str(error), "UNAUTHENTICATED", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
            await response(scope, receive, send)
            return
        verdict = await principal_allowed(getattr(runtime, "rate_limits", None), principal, self._limit, self._window)
        if not verdict.allowed:
            await too_many(verdict, scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        actor = principal.actor
        acting = ACTING.set(ActedBy(actor.name or actor.subject, actor.team, actor.channel) if actor else None)
        try:
            await self._app(scope, receive, send)
        finally:
            ACTING.reset(acting)
