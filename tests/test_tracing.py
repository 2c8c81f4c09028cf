"""OpenTelemetry traces, received as an OTLP back end receives them.

A small OTLP/HTTP receiver runs in the test (a thread on a loopback port), decoding each export with the
protocol's own messages (`opentelemetry-proto`). The gateway is started with `OTEL_EXPORTER_OTLP_ENDPOINT`
pointing at it, as an operator would; the demo Open311 back office it calls is the real demo app, traced
too, so the span it records for the call it served says which `traceparent` it was sent.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib
import inspect
import io
import json
import logging
import pkgutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

from customer360 import store, tracing
from customer360.auth.principal import Role
from customer360.logging_config import HANDLER_NAME, configure_logging
from tests.support import graphql, running_app, settings_with

ME = """
query MyAccount { me { name councilTaxAccounts { balance { formatted } } benefitClaims { reference }
  requests(first: 5) { totalCount edges { node { reference status } } } } }
"""
UPSTREAM_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
UPSTREAM_SPAN = "00f067aa0ba902b7"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, Any]


@dataclass
class OtlpReceiver:
    """What an OTLP/HTTP collector would be sent: `POST /v1/traces`, protobuf `ExportTraceServiceRequest`."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    exports: int = 0

    def take(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.exports += 1
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            service=str(resource.get("service.name")),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.trace_id == trace_id]


def _value(value: Any) -> Any:
    return getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    received = OtlpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                received.take(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    try:
        yield received
    finally:
        tracing.stop()
        server.shutdown()
        server.server_close()


def _one(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, (name, sorted(span.name for span in spans))
    return found[0]


async def test_a_residents_me_is_one_trace_down_to_each_back_office_call_and_the_open311_server(
    receiver, demo_settings, issuer, residents
):
    resident = residents[0]
    async with running_app(demo_settings) as (_, client):
        response = await graphql(client, ME, issuer.resident_token(resident["email"]))
        assert "errors" not in response.json(), response.json()
    # The app's lifespan has ended: the provider was shut down, so every span has been exported.

    [http] = [span for span in receiver.spans if span.name == "POST /graphql"]
    spans = receiver.trace(http.trace_id)
    assert http.parent_id == "" and http.kind == SpanMessage.SPAN_KIND_SERVER
    assert http.attributes["http.response.status_code"] == 200
    assert http.service == "customer360"

    operation = _one(spans, "query MyAccount")
    assert operation.parent_id == http.span_id
    assert operation.attributes["graphql.operation.name"] == "MyAccount"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert len(operation.attributes["graphql.document.hash"]) == 64
    assert operation.attributes["graphql.errors"] == 0

    # A span per back-office call (the cache is off in these tests: every read is a miss), each under a read
    # through the cache, under the operation.
    by_id = {span.span_id: span for span in spans}

    def under_operation(span: ReceivedSpan) -> bool:
        while span.parent_id in by_id:
            span = by_id[span.parent_id]
            if span is operation:
                return True
        return False

    calls = [span for span in spans if "c360.source.system" in span.attributes]
    systems = {call.attributes["c360.source.system"] for call in calls}
    assert {"REVENUES", "BENEFITS", "STREET_SCENE"} <= systems, systems
    assert all(call.kind == SpanMessage.SPAN_KIND_CLIENT and under_operation(call) for call in calls)
    reads = [span for span in spans if span.name.startswith("read ")]
    assert reads and all(read.attributes["c360.cache.misses"] == read.attributes["c360.keys"] for read in reads)
    batched = [call for call in calls if "c360.source.keys" in call.attributes]
    assert batched and all(call.attributes["c360.source.keys"] >= 1 for call in batched)
    # The store's query groups are there too (the resident's golden record, their links).
    assert any(span.name.startswith("store customers.") for span in spans)

    # The Open311 back office continued the trace from the `traceparent` it was sent: its server span is in
    # the same trace, a child of the gateway's call to it.
    open311_calls = {call.span_id for call in calls if call.attributes["c360.source.system"] == "STREET_SCENE"}
    served = [span for span in spans if span.kind == SpanMessage.SPAN_KIND_SERVER and span is not http]
    assert served, sorted(span.name for span in spans)
    assert any(span.parent_id in open311_calls and span.name.startswith("GET /requests") for span in served), [
        (span.name, span.parent_id) for span in served
    ]
    # And the payments provider (GOV.UK Pay-shaped) likewise.
    payments_calls = {call.span_id for call in calls if call.attributes["c360.source.system"] == "PAYMENTS"}
    assert any(span.parent_id in payments_calls for span in served)


async def test_a_trace_started_by_an_upstream_gateway_is_continued(receiver, demo_settings, issuer, residents):
    traceparent = f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01"
    async with running_app(demo_settings) as (_, client):
        response = await client.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={
                "Authorization": f"Bearer {issuer.resident_token(residents[1]['email'])}",
                "traceparent": traceparent,
            },
        )
        assert response.status_code == 200 and "errors" not in response.json()

    spans = receiver.trace(UPSTREAM_TRACE)
    http = _one(spans, "POST /graphql")
    assert http.parent_id == UPSTREAM_SPAN
    assert _one(spans, "query").parent_id == http.span_id


async def test_no_span_carries_a_variable_a_value_or_the_query_string(
    receiver, demo_settings, issuer, residents, staff_token
):
    resident = residents[2]
    searched = resident["name"].split()[-1]
    staff = {"Authorization": f"Bearer {staff_token(Role.CUSTOMER_SERVICES)}", "X-Access-Purpose": "automated test"}
    search = "query Find($q: String!) { searchCustomers(query: $q, first: 3) { edges { node { name email } } } }"
    literal = f'{{ searchCustomers(query: "{searched}", first: 3) {{ edges {{ node {{ name }} }} }} }}'
    async with running_app(demo_settings) as (_, client):
        assert (
            await client.post("/graphql", json={"query": search, "variables": {"q": searched}}, headers=staff)
        ).status_code == 200
        assert (
            await client.get("/graphql", params={"query": search, "variables": f'{{"q": "{searched}"}}'}, headers=staff)
        ).status_code == 200
        assert (await client.post("/graphql", json={"query": literal}, headers=staff)).status_code == 200
        assert "errors" not in (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()

    assert len({span.trace_id for span in receiver.spans if span.name in ("POST /graphql", "GET /graphql")}) == 4
    recorded = [str(value) for span in receiver.spans for value in (span.name, *span.attributes.values())]
    for secret in (searched, resident["email"], resident["name"], "variables", "query="):
        assert not [value for value in recorded if secret.lower() in value.lower()], secret


def test_tracing_is_off_without_an_otlp_endpoint():
    assert not tracing.wanted({})
    assert not tracing.wanted({"OTEL_SERVICE_NAME": "customer360", "OTEL_TRACES_SAMPLER": "always_on"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"})
    # Off, a span is the one shared empty context, and no traceparent goes out.
    assert not tracing.active()
    with tracing.span("anything") as span:
        assert span is None
        assert tracing.outgoing_headers() == {}


def test_every_log_line_carries_the_trace_id_while_tracing_is_on(receiver):
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    log = logging.getLogger("customer360.test_tracing")
    try:
        log.info("before tracing starts")
        assert tracing.start()
        with tracing.span("a unit of work") as span:
            assert span is not None
            log.info("inside a span")
            expected = format(span.get_span_context().trace_id, "032x")
        log.info("after it")
    finally:
        logging.getLogger().removeHandler(next(h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME))
    before, inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "trace_id" not in before and "trace_id" not in after
    assert inside["trace_id"] == expected


MAKE = """mutation Complain($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference delivery { state } } userErrors { code } } }"""
COMPLAINT = {"subject": "Bin crew Zebedee", "description": "Zebedee left the bins open.", "serviceArea": "waste"}


async def test_a_write_shows_its_outbox_delivery_and_the_relay_its_passes(receiver, own_council, issuer, residents):
    settings = settings_with(own_council, outbox_interval_seconds=0.2)
    async with running_app(settings) as (_, client):
        made = (await graphql(client, MAKE, issuer.resident_token(residents[3]["email"]), {"input": COMPLAINT})).json()
        assert made["data"]["makeComplaint"]["userErrors"] == []
        assert made["data"]["makeComplaint"]["complaint"]["delivery"]["state"] == "DELIVERED"
        await asyncio.sleep(0.5)  # a pass or two of the relay

    operation = _one(receiver.spans, "mutation Complain")
    spans = receiver.trace(operation.trace_id)
    deliveries = [span for span in spans if span.name.startswith("deliver ")]
    [delivery] = [span for span in deliveries if span.attributes["c360.outbox.destination"] == "CRM"]
    assert delivery.attributes["c360.outbox.attempt"] == 1 and delivery.attributes["c360.outbox.delivered"] is True
    assert any(
        span.parent_id == delivery.span_id and span.attributes.get("c360.source.system") == "CRM" for span in spans
    ), sorted(span.name for span in spans)

    # GOV.UK Notify (its official client, on `requests`) is sent the traceparent too: the demo Notify's span.
    notify_calls = {span.span_id for span in receiver.spans if span.name == "NOTIFY send"}
    assert notify_calls, sorted({span.name for span in receiver.spans})
    assert any(
        span.kind == SpanMessage.SPAN_KIND_SERVER and span.parent_id in notify_calls for span in receiver.spans
    ), sorted({span.name for span in receiver.spans})

    passes = [span for span in receiver.spans if span.name == "pass outbox relay"]
    assert passes and all(span.parent_id == "" and span.attributes["c360.pass"] == "outbox relay" for span in passes)
    assert any(span.name.startswith("store outbox.") for span in receiver.trace(passes[0].trace_id))
    recorded = [str(value) for span in receiver.spans for value in (span.name, *span.attributes.values())]
    assert not [value for value in recorded if "Zebedee" in value]


def test_every_store_class_on_the_database_has_a_span_per_query_group():
    # Not the locks (held across other work: their own span would hide it) nor Redis's portal sessions.
    exempt = {"Locks", "AdvisoryLocks", "LeaseLocks", "PortalSessionStore", "RedisPortalSessions"}
    untraced = []
    for module in pkgutil.iter_modules(store.__path__):
        found = importlib.import_module(f"{store.__name__}.{module.name}")
        for name, cls in vars(found).items():
            if not inspect.isclass(cls) or cls.__module__ != found.__name__ or name in exempt:
                continue
            for method_name, method in vars(cls).items():
                if (
                    not method_name.startswith("_")
                    and inspect.iscoroutinefunction(method)
                    and not tracing.is_traced(method)
                ):
                    untraced.append(f"{module.name}.{name}.{method_name}")
    assert untraced == [], "mark the class @traced_methods(...) (customer360/tracing.py)"
