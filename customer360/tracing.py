"""OpenTelemetry traces: off unless an OTLP endpoint is configured by the standard `OTEL_*` variables.

`start()` (called by `create_app`) builds a tracer provider when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, exporting over OTLP/HTTP in batches; the SDK reads the rest
of its configuration itself (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and
`_ARG`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`). Without an endpoint nothing is built: `span()`
answers one shared empty context, no span, context or header is made, and the HTTP and GraphQL layers
add nothing (docs/tracing.md, and the figures in docs/performance.md).

The provider is this module's, not the API's global one (which can be set once per process): a test can
start and stop tracing around one app, and `stop()` flushes what is left before the process ends.

What a span may carry: names of systems, operations and tables of ours, counts, outcomes and hashes. Never
a variable, an argument's value, a URL's query, a message of an exception (a back office's words can
quote a resident's) or anything else a resident typed: `span()` records an error as its type alone.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import weakref
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

SERVICE_NAME = "customer360"
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_OFF: AbstractContextManager[None] = contextlib.nullcontext()

Attributes = Mapping[str, str | bool | int | float]
C = TypeVar("C", bound=type)

_tracer: Tracer | None = None
_provider: TracerProvider | None = None
_TRACED: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """An OTLP endpoint is configured, and neither the SDK nor the trace exporter is switched off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return any(environ.get(name, "").strip() for name in _ENDPOINTS)


def start(service_name: str = SERVICE_NAME) -> bool:
    """Trace this process from now on if `wanted()`; True when it does. `OTEL_SERVICE_NAME` wins over
    `service_name`. A second call while tracing is on keeps the first provider."""
    global _tracer, _provider
    if _provider is not None:
        return True
    if not wanted():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME as SERVICE_NAME_KEY
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    named = {} if os.environ.get("OTEL_SERVICE_NAME", "").strip() else {SERVICE_NAME_KEY: service_name}
    provider = TracerProvider(resource=Resource.create(named))  # the sampler from OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _provider, _tracer = provider, provider.get_tracer("customer360")
    return True


def stop() -> None:
    """Export what is left and stop tracing (the app's lifespan ends with this)."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def active() -> bool:
    return _tracer is not None


def provider() -> TracerProvider | None:
    """For instrumentations that take one (the ASGI middleware); None while tracing is off."""
    return _provider


def span(
    name: str, attributes: Attributes | None = None, kind: SpanKind = SpanKind.INTERNAL
) -> AbstractContextManager[Span | None]:
    """A span around the block, current inside it (its children and outgoing `traceparent` follow it);
    the shared empty context, yielding None, while tracing is off."""
    if _tracer is None:
        return _OFF
    return _span(_tracer, name, attributes, kind)


@contextlib.contextmanager
def _span(tracer: Tracer, name: str, attributes: Attributes | None, kind: SpanKind) -> Iterator[Span]:
    # The SDK's own exception recording writes the message and traceback: an error is recorded by type only.
    with tracer.start_as_current_span(
        name, kind=kind, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as current:
        try:
            yield current
        except BaseException as error:
            current.set_attribute("error.type", type(error).__name__)
            current.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise


def traced_methods(group: str) -> Callable[[C], C]:
    """Class decorator for a store: each public coroutine method runs in a span `store <group>.<method>`
    while tracing is on (one span per query group, however many statements it runs), and straight
    through while it is off."""

    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(member):
                setattr(cls, name, _traced(f"store {group}.{name}", group, member))
        return cls

    return decorate


def _traced(name: str, group: str, method: Callable[..., Any]) -> Callable[..., Any]:
    attributes = {"c360.store": group}

    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        if _tracer is None:
            return await method(*args, **kwargs)
        with _span(_tracer, name, attributes, SpanKind.INTERNAL):
            return await method(*args, **kwargs)

    _TRACED.add(call)
    return call


def is_traced(method: object) -> bool:
    """Made by `traced_methods` (tests/test_tracing.py checks every store class is)."""
    return method in _TRACED


def outgoing_headers() -> dict[str, str]:
    """The W3C `traceparent` (and `tracestate`) for a call made now; empty while tracing is off."""
    headers: dict[str, str] = {}
    if _tracer is not None:
        propagate.inject(headers)
    return headers


async def inject_traceparent(request: Any) -> None:
    """An httpx request hook: the current trace's `traceparent` on a call to a back office."""
    carrier: MutableMapping[str, str] = request.headers
    propagate.inject(carrier)


def trace_id() -> str | None:
    """The current trace's id (32 hex digits), for log lines; None outside a trace or while tracing is off."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
