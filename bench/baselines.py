"""The two baselines the benchmark measures customer360 against, served by uvicorn like the gateway.

    python bench/baselines.py starlette  --port P --document me.json
    python bench/baselines.py strawberry --port P --document me.json
    python bench/baselines.py starlette-bytes --port P --document me.json

`me.json` is a `{"data": {"me": {...}}}` answer captured from the gateway in the same run, so both
baselines answer with the same shape and the same bytes' worth of data:

- `starlette`: a bare Starlette route; it reads the request body and returns the captured document
  from memory (encoded per request, as any JSON endpoint does). The ceiling for "a Python ASGI
  endpoint answering this much JSON on this machine".
- `starlette-bytes`: the same route sending the document encoded once, at start: what the gateway's kept
  answers do (`http/kept_answers.py`), so the stricter ceiling for them (issue 25's target is against
  `starlette`).
- `strawberry`: a plain Strawberry schema (same types, same field names, same nesting as the
  gateway's `Customer`) whose `me` resolves from in-memory objects: no auth, no loaders, no sources,
  no cache. What GraphQL execution of this shape costs by itself.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

# --- the plain Strawberry schema: the gateway's Customer shape, resolved from memory ----------------


@strawberry.type
class Money:
    pence: int
    currency: str
    formatted: str


@strawberry.type
class Address:
    line1: str
    line2: str | None
    town: str | None
    postcode: str
    uprn: str | None


@strawberry.type
class LinkedRecord:
    system: str
    record_id: str
    confidence: float


@strawberry.type
class Instalment:
    due_date: date
    status: str
    amount: Money


@strawberry.type
class StatementLine:
    date: date
    description: str
    kind: str
    amount: Money


@strawberry.type
class Statement:
    issued_on: date
    period_start: date
    period_end: date
    closing_balance: Money
    lines: list[StatementLine]


@strawberry.type
class Discount:
    id: strawberry.ID
    kind: str
    status: str
    percent: int
    starts_on: date
    ends_on: date | None
    account_reference: str


@strawberry.type
class CouncilTaxAccount:
    id: strawberry.ID
    reference: str
    band: str
    property_address: Address
    annual_charge: Money
    balance: Money
    instalments: list[Instalment]
    next_instalment: Instalment | None
    latest_statement: Statement | None
    discounts: list[Discount]


@strawberry.type
class BenefitClaim:
    id: strawberry.ID
    reference: str
    kind: str
    status: str
    starts_on: date
    ends_on: date | None
    weekly_award: Money


@strawberry.type
class HousingApplication:
    id: strawberry.ID
    reference: str
    status: str
    submitted_on: date
    band: str | None
    bedrooms_needed: int
    household_size: int


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Location:
    latitude: float
    longitude: float
    address: str | None


@strawberry.type
class Delivery:
    state: str
    system: str | None
    back_office_reference: str | None
    attempts: int


@strawberry.type
class RequestEvent:
    at: datetime
    status: str | None
    description: str
    system: str | None


@strawberry.type
class ServiceRequest:
    id: strawberry.ID
    reference: str
    service_code: str
    service_name: str
    status: str
    status_notes: str | None
    submitted_at: datetime
    updated_at: datetime
    expected_by: datetime | None
    location: Location | None
    delivery: Delivery
    history: list[RequestEvent]


@strawberry.type
class ServiceRequestEdge:
    node: ServiceRequest


@strawberry.type
class ServiceRequestConnection:
    total_count: int
    page_info: PageInfo
    edges: list[ServiceRequestEdge]


@strawberry.type
class Complaint:
    id: strawberry.ID
    reference: str
    subject: str
    status: str
    stage: str
    received_at: datetime
    acknowledge_by: date
    respond_by: date
    acknowledged_at: datetime | None
    responded_at: datetime | None
    delivery: Delivery


@strawberry.type
class ComplaintEdge:
    node: Complaint


@strawberry.type
class ComplaintConnection:
    total_count: int
    edges: list[ComplaintEdge]


@strawberry.type
class Payment:
    id: strawberry.ID
    reference: str
    status: str
    purpose: str
    account_reference: str | None
    created_at: datetime
    amount: Money


@strawberry.type
class PaymentEdge:
    node: Payment


@strawberry.type
class PaymentConnection:
    total_count: int
    edges: list[PaymentEdge]


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    email: str | None
    phone: str | None
    date_of_birth: date | None
    address: Address | None
    linked_records: list[LinkedRecord]
    council_tax_accounts: list[CouncilTaxAccount]
    discounts: list[Discount]
    benefit_claims: list[BenefitClaim]
    housing_applications: list[HousingApplication]
    # connection fields take the same arguments as the gateway's, so the same document validates
    _requests: strawberry.Private[ServiceRequestConnection]
    _complaints: strawberry.Private[ComplaintConnection]
    _payments: strawberry.Private[PaymentConnection]

    @strawberry.field
    def requests(self, first: int | None = None, after: str | None = None) -> ServiceRequestConnection:
        return self._requests

    @strawberry.field
    def complaints(self, first: int | None = None, after: str | None = None) -> ComplaintConnection:
        return self._complaints

    @strawberry.field
    def payments(self, first: int | None = None, after: str | None = None) -> PaymentConnection:
        return self._payments


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _build(cls: Any, raw: dict[str, Any] | None) -> Any:
    """Instantiate the strawberry type `cls` from a JSON object with camelCase keys (recursively)."""
    if raw is None:
        return None
    hints = {f.python_name: f for f in cls.__strawberry_definition__.fields}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = _snake(key)
        if name in ("requests", "complaints", "payments") and cls is Customer:
            continue
        values[name] = _convert(hints[name].type, value)
    for name, definition in hints.items():  # fields the document does not select (never resolved)
        if name not in values and not definition.base_resolver:
            values[name] = None
    if cls is Customer:
        values["_requests"] = _build_connection(ServiceRequestConnection, ServiceRequestEdge, ServiceRequest, raw)
        values["_complaints"] = _build_connection(ComplaintConnection, ComplaintEdge, Complaint, raw)
        values["_payments"] = _build_connection(PaymentConnection, PaymentEdge, Payment, raw)
    return cls(**values)


def _build_connection(connection: Any, edge: Any, node: Any, customer: dict[str, Any]) -> Any:
    key = {ServiceRequestConnection: "requests", ComplaintConnection: "complaints", PaymentConnection: "payments"}[
        connection
    ]
    raw = customer[key]
    values: dict[str, Any] = {
        "total_count": raw["totalCount"],
        "edges": [edge(node=_build(node, item["node"])) for item in raw["edges"]],
    }
    if connection is ServiceRequestConnection:
        values["page_info"] = PageInfo(**{_snake(k): v for k, v in raw["pageInfo"].items()})
    return connection(**values)


def _convert(annotation: Any, value: Any) -> Any:
    from strawberry.types.base import StrawberryList, StrawberryOptional

    if value is None:
        return None
    if isinstance(annotation, StrawberryOptional):
        return _convert(annotation.of_type, value)
    if isinstance(annotation, StrawberryList):
        return [_convert(annotation.of_type, item) for item in value]
    if annotation is date:
        return date.fromisoformat(value)
    if annotation is datetime:
        return datetime.fromisoformat(value)
    if hasattr(annotation, "__strawberry_definition__"):
        return _build(annotation, value)
    return value


def plain_strawberry_app(document: dict[str, Any]) -> Starlette:
    me = _build(Customer, document["data"]["me"])

    @strawberry.type
    class Query:
        @strawberry.field
        def me(self) -> Customer | None:
            return me

    graphql = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
    return Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"]), Route("/healthz", healthz)])


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


# --- the bare Starlette endpoint ---------------------------------------------------------------------


def bare_starlette_app(document: dict[str, Any]) -> Starlette:
    async def endpoint(request: Request) -> Response:
        await request.body()
        return JSONResponse(document)

    return Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"]), Route("/healthz", healthz)])


def encoded_starlette_app(document: dict[str, Any]) -> Starlette:
    encoded = JSONResponse(document).body

    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(encoded, media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"]), Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["starlette", "strawberry", "starlette-bytes"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--document", type=Path, required=True, help="a captured `me` answer (JSON)")
    args = parser.parse_args()
    document = json.loads(args.document.read_text())
    apps = {"starlette": bare_starlette_app, "strawberry": plain_strawberry_app}
    app = apps.get(args.kind, encoded_starlette_app)(document)
    # The gateway's settings (customer360 serve): one worker, no access log, uvicorn[standard]'s uvloop and
    # httptools (which the gateway's `loop=auto, http=auto` picks, both being installed).
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")  # fmt: skip


if __name__ == "__main__":
    main()
