"""The payment provider's GOV.UK Pay-shaped API, over its own database.

Routes, relative to where the app is mounted (the demo back office mounts it at `/pay`); every `/v1`
call needs `Authorization: Bearer <api_key>`, else 401 `{"code": "P0920", ...}`:

- `POST /v1/payments`: JSON `{amount, reference, description, return_url, email?, metadata?}`, validated
  as GOV.UK Pay does (400 `P0197` unparseable, 400 `P0101` missing, 422 `P0102` invalid, with `field`);
  answers 201 with the payment. With an `Idempotency-Key` header (1-255 letters, digits or hyphens, else
  422 `P0102`), as GOV.UK Pay has it: the same key with the same body answers 200 with the payment the
  first request made; the same key with another body answers 409 `P0191`.
- `GET /v1/payments/{payment_id}`: the payment, or 404 `P0200`. A finished payment that did not succeed
  has `state.code` and `state.message` as GOV.UK Pay's: P0010 declined, P0020 expired (an unfinished
  payment expires 90 minutes after creation, `payments_expiry.py`), P0030 cancelled by the payer.
- `GET /v1/payments`: search with GOV.UK Pay's filters `reference`, `email`, `state`, `from_date`,
  `to_date`, `page`, `display_size` (at most 500); 422 `P0401` for bad ones. Newest first, answered as
  `{total, count, page, results, _links: {self, first_page, last_page, prev_page?, next_page?}}`.
- `GET|POST /pay/{payment_id}`: the hosted payment page (`payments_page.py`), no API key: it is for the
  paying resident's browser. Settling a payment there sends the webhook (`payments_webhooks.py`).

`public_url` is where this app is reachable from outside: `_links.self` is `{public_url}/v1/payments/{id}`
and, while a payment is unfinished, `_links.next_url` (the hosted payment page) is `{public_url}/pay/{id}`.

Demo extensions (GOV.UK Pay has neither):

- `email` on the search may be repeated or comma-separated, and matches exactly (case-insensitive),
  so a gateway fetches many payers' payments in one call.
- `GET /v1/payers`: `{count, results: [{email, cardholder_name, latest_created_date}]}`, one per
  distinct payer email, the people feed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.demo.payments_db import payments
from customer360.demo.payments_expiry import expire_abandoned, has_expired
from customer360.demo.payments_page import HostedPaymentPage
from customer360.demo.payments_resource import new_external_id, pay_time, payment_json
from customer360.demo.payments_webhooks import WebhookSender
from customer360.domain.payments import PAY_STATE_TO_STATUS
from customer360.domain.people import normalise_email

MAX_AMOUNT = 10_000_000
MAX_DISPLAY_SIZE = 500
MAX_METADATA_KEYS = 10
# GOV.UK Pay's rule for the header: 1 to 255 characters, letters, digits and hyphens only.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9-]{1,255}")
IDEMPOTENCY_KEY_USED = "The `Idempotency-Key` you sent in the request header has already been used to create a payment."
# Text fields of a new payment and their longest allowed length, as GOV.UK Pay has them.
TEXT_LIMITS = {"reference": 255, "description": 255, "return_url": 2000}


class PayApiError(Exception):
    """Answered as GOV.UK Pay's error body: `{"code", "description"}` plus `field` when one is to blame."""

    def __init__(self, status: int, code: str, description: str, field: str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.field = field


def create_payments_app(
    engine: AsyncEngine,
    *,
    public_url: str,
    api_key: str,
    webhook_url: str | None = None,
    webhook_secret: bytes | None = None,
    webhook_copies: int = 1,
) -> Starlette:
    """The provider; with `webhook_url` (and the `webhook_secret` to sign with) it sends each settled
    payment's webhook `webhook_copies` times (0: never). `app.state.webhooks.drain()` waits for them."""
    public_url = public_url.rstrip("/")
    webhooks = WebhookSender(webhook_url, webhook_secret, webhook_copies)
    api = _PaymentsApi(engine, public_url)
    page = HostedPaymentPage(engine, public_url, webhooks)
    app = Starlette(
        routes=[
            Mount(
                "/v1",
                routes=[
                    Route("/payments", api.create_payment, methods=["POST"]),
                    Route("/payments", api.search_payments, methods=["GET"]),
                    Route("/payments/{payment_id}", api.get_payment, methods=["GET"]),
                    Route("/payers", api.list_payers, methods=["GET"]),
                ],
                middleware=[Middleware(_RequireApiKey, api_key=api_key)],
            ),
            Route("/pay/{payment_id}", page.show, methods=["GET"]),
            Route("/pay/{payment_id}", page.settle, methods=["POST"]),
        ],
        exception_handlers={PayApiError: _error_response},
        lifespan=_draining(webhooks),
    )
    app.state.webhooks = webhooks
    return app


def _draining(webhooks: WebhookSender) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Served on its own (with lifespan on), the app lets in-flight webhooks finish before it stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await webhooks.drain()

    return lifespan


async def _error_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PayApiError)
    return _error_json(exc)


def _error_json(error: PayApiError) -> JSONResponse:
    body = {"code": error.code, "description": error.description}
    if error.field is not None:
        body["field"] = error.field
    return JSONResponse(body, status_code=error.status)


class _RequireApiKey:
    """Only the `/v1` API is guarded: the hosted payment page is for the paying resident's browser."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self._app = app
        self._expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Headers(scope=scope).get("authorization", "").encode()
        if scope["type"] == "http" and not hmac.compare_digest(given, self._expected):
            refusal = _error_json(PayApiError(401, "P0920", "Credentials are required to access this resource"))
            refusal.headers["WWW-Authenticate"] = "Bearer"
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class _Search:
    clauses: list[Any]
    page: int
    display_size: int


class _PaymentsApi:
    def __init__(self, engine: AsyncEngine, public_url: str) -> None:
        self._engine = engine
        self._public_url = public_url

    async def create_payment(self, request: Request) -> Response:
        key = _idempotency_key(request.headers)
        try:
            body = await request.json()
        except ValueError:
            raise PayApiError(400, "P0197", "Unable to parse JSON") from None
        new = _validated_new_payment(body)
        if key is None:
            return JSONResponse(self._payment_json(await self._insert(new)), status_code=201)
        fingerprint = _fingerprint(new)
        earlier = await self._by_key(key)
        if earlier is None:
            try:
                created = await self._insert(new, idempotency_key=key, request_fingerprint=fingerprint)
                return JSONResponse(self._payment_json(created), status_code=201)
            except IntegrityError:
                # A concurrent request with this key inserted first: the unique key refused ours.
                earlier = await self._by_key(key)
                if earlier is None:
                    raise
        return self._replay(earlier, fingerprint)

    async def _insert(self, new: Mapping[str, Any], **idempotency: str) -> dict[str, Any]:
        row = {
            **new,
            **idempotency,
            "payment_id": new_external_id(),
            "status": "created",
            "created_date": datetime.now(UTC),
        }
        async with self._engine.begin() as conn:
            await conn.execute(insert(payments).values(**row))
        return row

    async def _by_key(self, key: str) -> Mapping[Any, Any] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(payments).where(payments.c.idempotency_key == key))).first()
        return row._mapping if row else None

    def _replay(self, earlier: Mapping[Any, Any], fingerprint: str) -> Response:
        """GOV.UK Pay answers a repeat with the payment it made (200, not 201); another body is a conflict."""
        if earlier["request_fingerprint"] != fingerprint:
            raise PayApiError(409, "P0191", IDEMPOTENCY_KEY_USED)
        return JSONResponse(self._payment_json(earlier), status_code=200)

    async def get_payment(self, request: Request) -> Response:
        payment_id = request.path_params["payment_id"]
        row = await self._row(payment_id)
        if row is not None and has_expired(row, datetime.now(UTC)):
            await expire_abandoned(self._engine, datetime.now(UTC), payment_id)
            row = await self._row(payment_id)
        if row is None:
            raise PayApiError(404, "P0200", "Not found")
        return JSONResponse(self._payment_json(row))

    async def _row(self, payment_id: str) -> Mapping[Any, Any] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(payments).where(payments.c.payment_id == payment_id))).first()
        return row._mapping if row else None

    async def search_payments(self, request: Request) -> Response:
        search = _parse_search(request.query_params)
        await expire_abandoned(self._engine, datetime.now(UTC))
        query = (
            select(payments)
            .where(*search.clauses)
            .order_by(payments.c.created_date.desc(), payments.c.payment_id)
            .offset((search.page - 1) * search.display_size)
            .limit(search.display_size)
        )
        async with self._engine.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(payments).where(*search.clauses)) or 0
            rows = (await conn.execute(query)).all()
        return JSONResponse(
            {
                "total": total,
                "count": len(rows),
                "page": search.page,
                "results": [self._payment_json(row._mapping) for row in rows],
                "_links": self._search_links(request.query_params, search, total),
            }
        )

    async def list_payers(self, _request: Request) -> Response:
        query = (
            select(payments.c.email, payments.c.cardholder_name, payments.c.created_date)
            .where(payments.c.email.is_not(None))
            .order_by(payments.c.created_date)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        # Oldest first, so each payer ends with their latest payment date and latest known name.
        payers: dict[str, dict[str, Any]] = {}
        for row in rows:
            known = payers.setdefault(row.email, {"email": row.email, "cardholder_name": None})
            known["cardholder_name"] = row.cardholder_name or known["cardholder_name"]
            known["latest_created_date"] = pay_time(row.created_date)
        return JSONResponse({"count": len(payers), "results": list(payers.values())})

    def _payment_json(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        return payment_json(row, self._public_url)

    def _search_links(self, params: QueryParams, search: _Search, total: int) -> dict[str, Any]:
        kept = [(key, value) for key, value in params.multi_items() if key != "page"]
        last_page = max(1, math.ceil(total / search.display_size))

        def page_link(page: int) -> dict[str, str]:
            return {"href": f"{self._public_url}/v1/payments?{urlencode([*kept, ('page', page)])}"}

        links = {"self": page_link(search.page), "first_page": page_link(1), "last_page": page_link(last_page)}
        if search.page > 1:
            links["prev_page"] = page_link(search.page - 1)
        if search.page < last_page:
            links["next_page"] = page_link(search.page + 1)
        return links


def _idempotency_key(headers: Headers) -> str | None:
    key = headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise PayApiError(
            422, "P0102", "Invalid header value: Idempotency-Key. Must be 1 to 255 letters, digits or hyphens"
        )
    return key


def _fingerprint(new: Mapping[str, Any]) -> str:
    """Two creates are "the same request" when their validated bodies are (so `Eve@` and `eve@` are)."""
    canonical = json.dumps(new, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validated_new_payment(body: Any) -> dict[str, Any]:
    """The columns of a new payment from its request body, or the first error GOV.UK Pay would answer."""
    if not isinstance(body, dict):
        raise PayApiError(400, "P0197", "Unable to parse JSON")
    for field in ("amount", *TEXT_LIMITS):
        if body.get(field) is None:
            raise PayApiError(400, "P0101", f"Missing mandatory attribute: {field}", field)
    amount = body["amount"]
    # bool is an int to Python, never to JSON's callers.
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
        raise _invalid("amount", f"Must be a whole number of pence from 1 to {MAX_AMOUNT}")
    for field, limit in TEXT_LIMITS.items():
        if not isinstance(body[field], str) or not 0 < len(body[field]) <= limit:
            raise _invalid(field, f"Must be text of 1 to {limit} characters")
    return_url = urlsplit(body["return_url"])
    if return_url.scheme not in {"http", "https"} or not return_url.netloc:
        raise _invalid("return_url", "Must be a valid URL format")
    return {
        "amount": amount,
        "reference": body["reference"],
        "description": body["description"],
        "return_url": body["return_url"],
        "email": _validated_email(body.get("email")),
        "metadata": _validated_metadata(body.get("metadata")),
        "cardholder_name": None,
    }


def _validated_email(email: Any) -> str | None:
    if email is None:
        return None
    normalised = normalise_email(email) if isinstance(email, str) and len(email) <= 254 else None
    if normalised is None:
        raise _invalid("email", "Must be a valid email address of at most 254 characters")
    return normalised


def _validated_metadata(metadata: Any) -> dict[str, Any] | None:
    """GOV.UK Pay's custom metadata: at most 10 keys of 1-30 characters; values text (<= 100), number or bool."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or len(metadata) > MAX_METADATA_KEYS:
        raise _invalid("metadata", f"Must be an object of at most {MAX_METADATA_KEYS} keys")
    for key, value in metadata.items():
        if not 1 <= len(key) <= 30:
            raise _invalid("metadata", "Keys must be 1 to 30 characters")
        if not (isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) <= 100)):
            raise _invalid("metadata", f"Value of {key} must be a number, a boolean or text of at most 100 characters")
    return metadata


def _invalid(field: str, reason: str) -> PayApiError:
    return PayApiError(422, "P0102", f"Invalid attribute value: {field}. {reason}", field)


def _parse_search(params: QueryParams) -> _Search:
    invalid: list[str] = []
    clauses: list[Any] = []
    if reference := params.get("reference"):
        clauses.append(payments.c.reference == reference)
    emails = [part.strip().lower() for raw in params.getlist("email") for part in raw.split(",") if part.strip()]
    if emails:
        clauses.append(payments.c.email.in_(emails))
    if state := params.get("state"):
        if state in PAY_STATE_TO_STATUS:
            clauses.append(payments.c.status == state)
        else:
            invalid.append("state")
    if from_date := _moment_param(params, "from_date", invalid):
        clauses.append(payments.c.created_date >= from_date)
    if to_date := _moment_param(params, "to_date", invalid):
        clauses.append(payments.c.created_date < to_date)
    page = _whole_number_param(params, "page", invalid, default=1)
    display_size = _whole_number_param(params, "display_size", invalid, default=MAX_DISPLAY_SIZE)
    if display_size > MAX_DISPLAY_SIZE:
        invalid.append("display_size")
    if invalid:
        raise PayApiError(
            422,
            "P0401",
            f"Invalid parameters: {', '.join(invalid)}. See Public API documentation for the correct data formats",
        )
    return _Search(clauses, page, display_size)


# The parameter parsers below note a bad parameter in `invalid`, so one answer can name every bad one.


def _whole_number_param(params: QueryParams, name: str, invalid: list[str], *, default: int) -> int:
    value = params.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        invalid.append(name)
        return default
    return int(value)


def _moment_param(params: QueryParams, name: str, invalid: list[str]) -> datetime | None:
    """An ISO 8601 parameter as an aware UTC time (SQLite stores UTC wall time, so binds must be UTC too)."""
    value = params.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        invalid.append(name)
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
