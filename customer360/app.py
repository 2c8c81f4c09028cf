"""The app factory: the one place routes, middleware, lifespan, sources and caches are wired."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from typing import Any

import orjson
from httpx import URL
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import HTTPException  # type: ignore[attr-defined]  # cross_web's, re-used
from strawberry.types import ExecutionResult

from customer360 import tracing
from customer360.auth.principal import Principal
from customer360.cache.base import Stale, views_forgotten_at_end
from customer360.cache.views import fingerprint, is_own_read, may_write
from customer360.clock import london_today
from customer360.domain.attachments import ReceivedFile
from customer360.domain.cases import CASE_TEAMS
from customer360.graphiql import graphiql_page, graphiql_routes
from customer360.heap import frozen_once_started
from customer360.http.attachments import attachment
from customer360.http.authentication import Authenticated
from customer360.http.body_limit import MULTIPART_OVERHEAD, BodySizeLimit
from customer360.http.content_type import CsrfGuard
from customer360.http.cors import cors
from customer360.http.draining import Drain
from customer360.http.gateway_secret import GatewaySecret
from customer360.http.headers import SecurityHeaders
from customer360.http.idempotency import IdempotencyKeys, TryLater, refuse_batched_key
from customer360.http.kept_answers import KeptAnswers, note_kept_answer
from customer360.http.persisted_queries import (
    BadPersistedQuery,
    PersistedQueries,
    PersistedQueryNotFound,
    requested_hash,
)
from customer360.http.purpose import AccessPurposes
from customer360.http.rate_limit import ClientRateLimit
from customer360.http.request_id import RequestIds
from customer360.http.responses import refusal
from customer360.http.timeout import RequestTimeout
from customer360.http.tracing import TracedRequests
from customer360.http.trusted_documents import TrustedDocuments, UntrustedDocument
from customer360.logging_config import configure_logging, is_configured
from customer360.portal.report import PHOTO_STEP
from customer360.portal.routes import portal_routes
from customer360.production import production_refusal
from customer360.resolvers.context import Context
from customer360.runtime import Runtime, start_runtime
from customer360.schema.input_boundary import ReturnUrls
from customer360.schema.limits import Limits, document_too_large
from customer360.schema.refusals import refused
from customer360.schema.schema import build_schema
from customer360.settings import Settings
from customer360.staff.routes import staff_routes
from customer360.store.database import STORE_ERRORS

log = logging.getLogger("customer360")
HTTP_REFUSALS = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "IDEMPOTENCY_IN_PROGRESS",  # the first request with this Idempotency-Key is still running
    413: "PAYLOAD_TOO_LARGE",
    503: "SERVICE_UNAVAILABLE",  # the idempotency key store is down: nothing ran
}

# A store that takes longer than this to count its customers is not ready (a probe must answer in time).
READY_STORE_SECONDS = 2.0


class GraphQLEndpoint(GraphQL[Context, None]):
    limits = Limits()
    max_uploads = 3
    trusted: TrustedDocuments | None = None
    persisted_queries: PersistedQueries  # the runtime's, set when the app starts
    idempotency: IdempotencyKeys  # likewise
    graphiql_html = ""  # demo mode's GraphiQL page, on the assets shipped in the package

    async def render_graphql_ide(self, request: Any) -> Response:
        return HTMLResponse(self.graphiql_html)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's, with its refusals (a body that is not JSON or not an operation, a document over
        the size limit) answered as GraphQL-shaped JSON like every other refusal (`http/responses.py`)
        instead of plain text, plus the persisted-query answers (one of them a 200)."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            code = HTTP_REFUSALS.get(error.status_code, "BAD_REQUEST")
            later = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TryLater) else None
            response = refusal(error.status_code, error.reason, code, later)
        except (BadPersistedQuery, PersistedQueryNotFound) as answer:
            response = answer.response()
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming a persisted query by hash has no `query` parameter, yet is an operation, not a visit.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's parsing (JSON only; arrays refused unless batching is on), then the document each
        operation runs (trusted documents, persisted queries) and the document size limit, before
        anything is parsed as GraphQL. A persisted query is registered only once it passes the limit."""
        parsed = await super().parse_http_body(request)
        operations = parsed if isinstance(parsed, list) else [parsed]
        # Production with trusted documents: only they run, and no persisted query is registered.
        registering = self.trusted is None or not self.trusted.enforce
        unknown = False
        for data in operations:
            wanted = requested_hash(data.query, data.extensions)
            sent = data.query
            try:
                data.query = await self._document(sent, wanted)
            except PersistedQueryNotFound:
                unknown = True
                continue
            too_large = document_too_large(data.query, self.limits)
            if too_large:
                raise HTTPException(413, too_large)
            if registering and wanted and sent is not None:
                await self.persisted_queries.register(wanted, sent)
        if unknown:
            raise PersistedQueryNotFound(len(operations) if isinstance(parsed, list) else None)
        return parsed

    async def _document(self, query: str | None, wanted: str | None) -> str | None:
        """The text to run for an operation that sends `query` and/or names the sha256 `wanted`."""
        if self.trusted is not None and self.trusted.enforce:
            try:
                return self.trusted.resolve(query, wanted)
            except UntrustedDocument as error:
                raise HTTPException(400, str(error)) from None
        if wanted is None or query is not None:
            return query
        found = self.trusted.get(wanted) if self.trusted is not None else None
        found = found or await self.persisted_queries.get(wanted)
        if found is None:
            raise PersistedQueryNotFound()
        return found

    # orjson: a full `me` is ~15 KB of JSON, encoded on every request (several times faster than json).
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: a bad body is still a 400

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        if isinstance(request_data, list):
            refuse_batched_key(request)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def parse_multipart(self, request: Any) -> dict[str, Any]:
        """A GraphQL multipart request (uploads): its files read whole (the body limit bounds them) and
        handed to resolvers as `ReceivedFile`s, bytes only; at most `max_uploads` of them; a malformed
        `operations` or `map` is a 400, never a 500."""
        principal: Principal = request._request.state.principal
        if not (principal.is_resident or principal.is_staff):  # refused before a byte of a part is read
            raise HTTPException(401, "Sign in to upload a file")
        try:
            form = await request._request.form(  # the adapter's Starlette request: its limits
                max_files=self.max_uploads, max_fields=4
            )
        except (StarletteHTTPException, MultiPartException, ValueError):
            raise HTTPException(400, f"Unreadable multipart body, or more than {self.max_uploads} files") from None
        try:
            operations = self.parse_json(str(form.get("operations", "{}")))
            files_map = orjson.loads(str(form.get("map", "{}")))
            files = {key: ReceivedFile(await part.read()) for key, part in form.items() if isinstance(part, UploadFile)}
            return replace_placeholders_with_files(operations, files_map, files)
        except HTTPException:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise HTTPException(400, "The multipart body does not follow the GraphQL multipart request spec") from None
        finally:
            await form.close()

    def parse_json(self, data: str | bytes) -> Any:
        """Strawberry's, refusing JSON that is not an operation: `"x"`, `1` or `null` would reach
        `data.get(...)` and answer 500 with a traceback."""
        parsed = super().parse_json(data)
        operations = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(operation, dict) for operation in operations):
            raise HTTPException(400, "The request body must be a JSON object (or, when batching, an array of them)")
        return parsed

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Strawberry's, behind the mutation's `Idempotency-Key` (a repeat replays the first answer)."""

        async def conflict(code: str, message: str) -> ExecutionResult:
            query, variables, name = request_data.query, request_data.variables, request_data.operation_name
            assert query is not None  # only mutations with a document get here
            return await refused(self.schema, query, variables, name, context, code=code, message=message)

        return await self.idempotency.answer(
            request,
            sub_response,
            context.principal,
            request_data,
            run=lambda: self._answered(request, request_adapter, sub_response, context, request_data),
            refuse=conflict,
        )

    async def _answered(
        self, request: Any, request_adapter: Any, sub_response: Any, context: Context, request_data: GraphQLRequestData
    ) -> ExecutionResult:
        """A resident's repeated own reads answered from `CustomerViews`, and every mutation making the
        resident's kept answers unreachable."""
        views = context.services.cache.views
        principal = context.principal
        customer_id = principal.customer_id if principal.is_resident else None
        if not views.enabled or customer_id is None or request_data.query is None:
            return await self._executed(request, request_adapter, sub_response, context, request_data)
        if not is_own_read(request_data.query, request_data.operation_name):
            if not may_write(request_data.query, request_data.operation_name):
                return await self._executed(request, request_adapter, sub_response, context, request_data)
            # Whatever the write (and its first deliveries) made stale in residents' kept answers is forgotten
            # once, here, with the resident's own (every write may change what they see).
            with views_forgotten_at_end() as stale_views:
                result = await self._executed(request, request_adapter, sub_response, context, request_data)
            try:
                await context.services.cache.forget(Stale(customers=sorted({customer_id, *stale_views})))
            except Exception as error:  # the write is committed: its answer is the resident's regardless
                log.warning("could not forget a resident's kept answers after a write (%s)", type(error).__name__)
            return result
        if principal.is_acting:
            # Someone acting for the resident sees less than the resident (never their grants, never
            # safeguarding): the resident's kept answers are not theirs to be served.
            return await self._executed(request, request_adapter, sub_response, context, request_data)
        key = fingerprint(request_data.query, request_data.variables, request_data.operation_name)
        generation, kept = await views.lookup(customer_id, key)
        if kept is not None:
            note_kept_answer(request.scope, customer_id, generation, views.sign_in_epoch())
            return ExecutionResult(data=kept, errors=None)
        result = await self._executed(request, request_adapter, sub_response, context, request_data)
        if result.data is not None and not result.errors and not result.extensions:
            await views.keep(customer_id, generation, key, result.data)
            # Its encoded bytes are kept too, and answered before any of this next time (http/kept_answers.py).
            note_kept_answer(request.scope, customer_id, generation, views.sign_in_epoch())
        return result

    async def _executed(
        self, request: Any, request_adapter: Any, sub_response: Any, context: Context, data: GraphQLRequestData
    ) -> ExecutionResult:
        return await super().execute_single(request, request_adapter, sub_response, context, None, data)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        # Per request only what is the request's: the services are the runtime's, built once at start-up.
        runtime: Runtime = request.app.state.runtime
        return Context(
            request=request, principal=request.state.principal, services=runtime.services, today=london_today()
        )


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if request.app.state.drain.draining:  # stopping: the load balancer takes this replica out first
        return JSONResponse({"status": "draining"}, status_code=503)
    try:
        async with asyncio.timeout(READY_STORE_SECONDS):
            await runtime.customers.count()
        store = "up"
    except STORE_ERRORS as error:  # refused, reset, timed out, starting up: not ready, never a 500
        log.warning("readiness: the store is down (%s)", type(error).__name__)
        store = "down"
    sources = await runtime.source_states()
    answer: dict[str, object] = {"status": "ready" if store == "up" else "unavailable", "store": store}
    if runtime.redis is not None:  # informative only: without Redis the gateway serves, uncached
        answer["redis"] = "circuit_open" if runtime.redis.is_open else "up"
    answer["sources"] = sources
    if runtime.demo_backoffices:
        answer["demoBackoffices"] = {system: {"url": url} for system, url in runtime.demo_backoffices.items()}
    return JSONResponse(answer, status_code=200 if store == "up" else 503)


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    refused = _metrics_refused(runtime.settings, request.headers.get("authorization"))
    if refused is not None:
        return refused
    # The store down or hung: the gauge keeps its last values, and the scrape is answered in time
    # (a scraper that waits on a hung store times out and loses every other metric too).
    with contextlib.suppress(*STORE_ERRORS):  # TimeoutError is an OSError, so among them
        async with asyncio.timeout(READY_STORE_SECONDS):
            runtime.metrics.show_open_cases(await runtime.services.cases.open_counts(), CASE_TEAMS)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _metrics_refused(settings: Settings, authorization: str | None) -> Response | None:
    """/metrics names back offices, teams and failure counts: with `C360_METRICS_TOKEN` only a scraper
    sending it as a bearer token sees them; in production without one, nobody does (404)."""
    if settings.metrics_token is None:
        return JSONResponse({"error": "not found"}, status_code=404) if settings.production else None
    scheme, _, sent = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and secrets.compare_digest(sent.strip().encode(), settings.metrics_token.encode()):
        return None
    return JSONResponse(
        {"error": "send the metrics token as `Authorization: Bearer <C360_METRICS_TOKEN>`"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


async def payments_webhook(request: Request) -> Response:
    """GOV.UK Pay-shaped webhook: signed (`Pay-Signature`, hex HMAC-SHA256 of the raw body) or refused."""
    runtime: Runtime = request.app.state.runtime
    body = await request.body()
    if not runtime.services.payments.signature_valid(body, request.headers.get("pay-signature")):
        return JSONResponse({"error": "missing or invalid Pay-Signature"}, status_code=401)
    known = await runtime.services.payments.on_webhook(body)
    return JSONResponse({"received": True, "known": known})


async def notify_webhook(request: Request) -> Response:
    """GOV.UK Notify's delivery receipt (its callback): `Authorization: Bearer <callback token>`, or refused."""
    runtime: Runtime = request.app.state.runtime
    expected = runtime.notify_callback_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        return JSONResponse({"error": "missing or invalid bearer token"}, status_code=401)
    try:
        receipt = await request.json()
        notify_id, status = str(receipt["id"]), str(receipt["status"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "a receipt is a JSON object with id and status"}, status_code=400)
    assert runtime.messenger is not None
    known = await runtime.messenger.on_receipt(notify_id, status)
    return JSONResponse({"received": True, "known": known})


async def jwks(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if runtime.signing_key is None:
        return JSONResponse({"error": "no development issuer in this mode"}, status_code=404)
    return JSONResponse(runtime.signing_key.jwks())


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    traced = tracing.start()  # before the schema and the middleware: with tracing off they carry nothing of it
    limits = Limits.from_settings(settings)
    return_urls = ReturnUrls.of([settings.public_url, *settings.return_url_origins], https_only=settings.production)
    graphql = _endpoint(settings, build_schema(production=settings.production, limits=limits, return_urls=return_urls))
    # The same schema as an Apollo Federation v2 subgraph, for a council's gateway: the same guards, the
    # same trusted documents and limits, the same principal from the forwarded token.
    subgraph = _endpoint(
        settings, build_schema(production=settings.production, limits=limits, return_urls=return_urls, federation=True)
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.runtime = await start_runtime(settings, stack)
            app.state.drain = Drain(settings.drain_seconds)
            stack.enter_context(app.state.drain.on_sigterm())
            for endpoint in (graphql, subgraph):
                endpoint.persisted_queries = app.state.runtime.persisted_queries
                endpoint.idempotency = IdempotencyKeys(app.state.runtime.idempotency, settings.request_timeout_seconds)
            yield
            for endpoint in (graphql, subgraph):
                await endpoint.idempotency.settle()  # before the store closes: they still write to it
        if traced:
            await asyncio.to_thread(tracing.stop)  # the last spans exported (blocking: off the event loop)

    routes: list[BaseRoute] = [
        *(
            Route(
                path,
                GatewaySecret(
                    Authenticated(
                        endpoint,
                        principal_limit=settings.rate_limit_per_principal,
                        window_seconds=settings.rate_limit_window_seconds,
                    ),
                    secret=secret,
                ),
                methods=["GET", "POST"],
            )
            # The subgraph may answer the council's gateway only (`C360_SUBGRAPH_SECRET`); /graphql answers anyone.
            for path, endpoint, secret in (
                ("/graphql", graphql, None),
                ("/subgraph", subgraph, settings.subgraph_secret),
            )
        ),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/webhooks/payments", payments_webhook, methods=["POST"]),
        Route("/webhooks/notify", notify_webhook, methods=["POST"]),
        Route("/attachments/{attachment_id}", attachment, methods=["GET"]),
    ]
    if settings.demo_issuer_enabled:
        routes.append(Route("/.well-known/jwks.json", jwks))
    if not settings.production:
        routes.extend(graphiql_routes())
    routes.extend(staff_routes(settings))
    routes.extend(portal_routes(settings))
    return Starlette(routes=routes, middleware=_middleware(settings), lifespan=lifespan, debug=False)


def _endpoint(settings: Settings, schema: Any) -> GraphQLEndpoint:
    limits = Limits.from_settings(settings)
    graphql = GraphQLEndpoint(
        schema,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,  # queries only: Strawberry refuses mutations over GET (400)
        multipart_uploads_enabled=True,  # uploadAttachment; only with a preflight-forcing header (CsrfGuard)
    )
    graphql.limits = limits
    graphql.max_uploads = settings.max_uploads_per_request
    if not settings.production:
        graphql.graphiql_html = graphiql_page()
    if settings.trusted_documents is not None:
        graphql.trusted = TrustedDocuments.load(settings.trusted_documents, enforce=settings.production)
    return graphql


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first; `customer360/http/__init__.py` says what each one refuses and why."""
    return [
        *([Middleware(TracedRequests)] if tracing.active() else []),  # a kept answer is a request too
        Middleware(
            KeptAnswers,
            ip_limit=settings.rate_limit_per_ip,
            principal_limit=settings.rate_limit_per_principal,
            window_seconds=settings.rate_limit_window_seconds,
            ttl_seconds=settings.cache_ttl_seconds if settings.cache_enabled and settings.cache_views else 0.0,
        ),
        Middleware(RequestIds),
        Middleware(SecurityHeaders, production=settings.production, form_origins=_sign_in_origins(settings)),
        Middleware(cors, origins=settings.cors_origins),
        Middleware(RequestTimeout, seconds=settings.request_timeout_seconds),
        Middleware(
            BodySizeLimit,
            max_bytes=settings.max_body_bytes,
            # A multipart body carries files: its limit is theirs, plus room for the fields and part headers.
            max_multipart_bytes=settings.max_upload_bytes * settings.max_uploads_per_request + MULTIPART_OVERHEAD,
            upload_paths=frozenset({PHOTO_STEP}),
        ),
        Middleware(
            ClientRateLimit, limit=settings.rate_limit_per_ip, window_seconds=settings.rate_limit_window_seconds
        ),
        Middleware(CsrfGuard),
        Middleware(AccessPurposes),
    ]


def _sign_in_origins(settings: Settings) -> tuple[str, ...]:
    """The identity providers' origins: signing out posts a form that ends at theirs (RP-initiated logout)."""
    issuers = (
        settings.oidc_issuer if settings.oidc_client_id else None,
        settings.staff_oidc_issuer if settings.staff_oidc_client_id else None,
    )
    return tuple(dict.fromkeys(_origin(issuer) for issuer in issuers if issuer))


def create_app_from_env() -> Starlette:
    """For `uvicorn --factory` (each worker builds its own app from the environment, and its logging)."""
    settings = Settings.from_env()
    if not is_configured():
        configure_logging(settings.log_level, format=settings.log_format)
    refusal = production_refusal(settings)  # `customer360 serve` checked already; uvicorn started by hand did not
    if refusal:
        print(f"customer360: {refusal}", file=sys.stderr)
        raise SystemExit(2)
    return create_app(settings)


def create_served_app() -> Starlette:
    """For `customer360 serve`'s workers: the app whose heap is frozen once started (customer360/heap.py)."""
    return frozen_once_started(create_app_from_env())


def _origin(url: str) -> str:
    parsed = URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"
