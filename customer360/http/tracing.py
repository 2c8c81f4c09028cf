"""The HTTP request's span, continuing a trace that an upstream gateway started (W3C `traceparent`).

Outermost of the middleware, and only while tracing is on (`customer360/tracing.py`): with tracing off
the app is wired without it. Written here rather than taken from `opentelemetry-instrumentation-asgi`,
whose span records the full URL with its query string (a GET /graphql carries its variables there),
the client's address, and an escaping exception's message and traceback: this span records the method,
the route's template (`/attachments/{attachment_id}`, never the id), the status code and nothing else.
"""

from __future__ import annotations

from opentelemetry import context, propagate
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer360 import tracing

_PROPAGATED = (b"traceparent", b"tracestate")


class TracedRequests:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not tracing.active():
            await self._app(scope, receive, send)
            return
        carrier = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"] if key in _PROPAGATED
        }
        # Without a header the current context stays: a request the portal makes in-process is its page's child.
        token = context.attach(propagate.extract(carrier, context=context.get_current()))
        method = scope["method"]
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            with tracing.span(method, {"http.request.method": method}, kind=SpanKind.SERVER) as span:
                try:
                    await self._app(scope, receive, send_status)
                finally:
                    if span is not None:
                        route = getattr(scope.get("route"), "path", None)
                        if route:
                            span.update_name(f"{method} {route}")
                            span.set_attribute("http.route", route)
                        if status:
                            span.set_attribute("http.response.status_code", status)
                        if status >= 500:  # a server's failure; a 4xx is the client's, and the request went well
                            span.set_status(Status(StatusCode.ERROR))
        finally:
            context.detach(token)
