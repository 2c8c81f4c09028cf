"""The app factory: the one place routes, middleware, lifespan, sources and caches are wired."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from customer360.auth.tokens import InvalidToken
from customer360.clock import london_today
from customer360.resolvers.context import Context
from customer360.resolvers.loaders import Loaders
from customer360.runtime import Runtime, start_runtime
from customer360.schema.schema import build_schema
from customer360.settings import Settings

log = logging.getLogger("customer360")


class GraphQLEndpoint(GraphQL[Context, None]):
    async def get_context(self, request: Any, response: Any = None) -> Context:
        runtime: Runtime = request.app.state.runtime
        return Context(
            request=request,
            principal=request.state.principal,
            loaders=Loaders.for_request(runtime.customers, runtime.outbox, runtime.sources, runtime.cache),
            directory=runtime.customers,
            submissions=runtime.outbox,
            writes=runtime.writes,
            payments=runtime.payments,
            sources=runtime.sources,
            cache=runtime.cache,
            today=london_today(),
            locate_uprn=runtime.locate_uprn,
        )


class Authenticated:
    """Verifies the bearer token before GraphQL sees the request: a bad token is a 401, not a query."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Runtime = scope["app"].state.runtime
        request = Request(scope)
        try:
            principal = await runtime.authenticate(request.headers.get("authorization"))
        except InvalidToken as error:
            response = JSONResponse(
                {"errors": [{"message": str(error), "extensions": {"code": "UNAUTHENTICATED"}}]},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self._app(scope, receive, send)


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.customers.count()
        store = "up"
    except SQLAlchemyError:
        store = "down"
    sources = await runtime.source_states()
    return JSONResponse(
        {"status": "ready" if store == "up" else "unavailable", "store": store, "sources": sources},
        status_code=200 if store == "up" else 503,
    )


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def payments_webhook(request: Request) -> Response:
    """GOV.UK Pay-shaped webhook: signed (`Pay-Signature`, hex HMAC-SHA256 of the raw body) or refused."""
    runtime: Runtime = request.app.state.runtime
    body = await request.body()
    if not runtime.payments.signature_valid(body, request.headers.get("pay-signature")):
        return JSONResponse({"error": "missing or invalid Pay-Signature"}, status_code=401)
    known = await runtime.payments.on_webhook(body)
    return JSONResponse({"received": True, "known": known})


async def jwks(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if runtime.signing_key is None:
        return JSONResponse({"error": "no development issuer in this mode"}, status_code=404)
    return JSONResponse(runtime.signing_key.jwks())


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    schema = build_schema(production=settings.production)
    graphql = GraphQLEndpoint(
        schema,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.runtime = await start_runtime(settings, stack)
            yield

    routes = [
        Route("/graphql", Authenticated(graphql), methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/webhooks/payments", payments_webhook, methods=["POST"]),
    ]
    if settings.demo_issuer_enabled:
        routes.append(Route("/.well-known/jwks.json", jwks))
    return Starlette(routes=routes, lifespan=lifespan, debug=False)


def create_app_from_env() -> Starlette:
    """For `uvicorn --factory` (each worker builds its own app from the environment)."""
    return create_app(Settings.from_env())
