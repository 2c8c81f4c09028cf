"""A GOV.UK Notify-compatible API for the demo council, and a page listing what it "sent".

Shaped as Notify's REST API v2 (docs.notifications.service.gov.uk/rest-api.html), so the official
`notifications-python-client` talks to it unchanged:

- Authentication: `Authorization: Bearer <JWT>`, HS256-signed with the API key's secret (its last 36
  characters), `iss` = the service id (the 36 characters before), `iat` within 30 seconds. A bad token
  answers 403 `{"status_code": 403, "errors": [{"error": "AuthError", "message": ...}]}`.
- `POST /v2/notifications/email` `{email_address, template_id, personalisation, reference}` and
  `POST /v2/notifications/sms` `{phone_number, ...}`: 201 with `{id, reference, content, uri, template}`.
  A missing placeholder or a bad address answers 400 `ValidationError` / `BadRequestError`, as Notify does.
- `GET /v2/notifications?reference=&status=&template_type=&older_than=` (newest first, pages of 250,
  `links.next`) and `GET /v2/notifications/{id}`.
- Delivery receipts: once "delivered" (at once in the demo), a callback POSTs `{id, reference, to, status,
  created_at, completed_at, sent_at, notification_type}` to the service's callback URL with
  `Authorization: Bearer <callback token>`. Notify's simulated addresses fail as in its test mode:
  `perm-fail@simulator.notify` and 07700900002 end `permanent-failure`, `temp-fail@simulator.notify`
  and 07700900003 `temporary-failure`.

`GET /notify` is the demo's page of every message sent, newest first, for a person trying the demo.
Messages are kept in the demo's own database (`notify.db`), so they outlive a restart of the process.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger("customer360.demo.notify")

# The two templates the demo service has, by Notify's fixed-format ids (customer360's defaults).
EMAIL_TEMPLATE_ID = "7a1f6c1e-4b7e-4d0a-9a8e-0c3f1d2b5e01"
SMS_TEMPLATE_ID = "7a1f6c1e-4b7e-4d0a-9a8e-0c3f1d2b5e02"
TEMPLATES: dict[str, dict[str, str]] = {
    EMAIL_TEMPLATE_ID: {
        "type": "email",
        "subject": "((subject))",
        "body": "((body))\n\nYour reference is ((reference)).\n\nSee your request: ((link))",
    },
    SMS_TEMPLATE_ID: {"type": "sms", "body": "Tamworth Council: ((body)) Ref ((reference)). ((link))"},
}
PAGE_SIZE = 250
SIMULATED = {
    "perm-fail@simulator.notify": "permanent-failure",
    "temp-fail@simulator.notify": "temporary-failure",
    "+447700900002": "permanent-failure",
    "+447700900003": "temporary-failure",
}
FROM_EMAIL = "tamworth.council@notifications.service.gov.uk"
_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")

metadata = MetaData()
sent = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(5), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("reference", String(100), index=True),
    Column("template_id", String(36), nullable=False),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("personalisation", JSON),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("completed_at", DateTime(timezone=True)),
)


def new_api_key(name: str = "customer360_demo") -> str:
    """A key in Notify's format: `{name}-{service id}-{secret}`."""
    return f"{name}-{uuid.uuid4()}-{uuid.uuid4()}"


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def create_notify_app(
    engine: AsyncEngine,
    *,
    api_key: str,
    public_url: str,
    callback_url: str | None = None,
    callback_token: str | None = None,
) -> Starlette:
    api = _NotifyApi(engine, api_key, public_url, callback_url, callback_token)
    return Starlette(
        routes=[
            Route("/v2/notifications/email", api.send_email, methods=["POST"]),
            Route("/v2/notifications/sms", api.send_sms, methods=["POST"]),
            Route("/v2/notifications", api.list_notifications, methods=["GET"]),
            Route("/v2/notifications/{notification_id}", api.get_notification, methods=["GET"]),
            Route("/notify", api.page, methods=["GET"]),
        ],
        exception_handlers={NotifyError: _error_response},  # type: ignore[dict-item]
    )


async def _error_response(_request: Request, exc: NotifyError) -> Response:
    return JSONResponse(
        {"status_code": exc.status, "errors": [{"error": exc.error, "message": exc.message}]}, status_code=exc.status
    )


class _NotifyApi:
    def __init__(
        self, engine: AsyncEngine, api_key: str, public_url: str, callback_url: str | None, token: str | None
    ) -> None:
        self._engine = engine
        self._service_id = api_key[-73:-37]
        self._secret = api_key[-36:]
        self._public_url = public_url.rstrip("/")
        self._callback_url = callback_url
        self._callback_token = token
        self._tables_made = asyncio.Lock()
        self._ready = False
        # Strong references: the loop keeps only weak ones, and a collected task is a lost receipt.
        self._in_flight: set[asyncio.Task[None]] = set()

    async def send_email(self, request: Request) -> Response:
        return await self._send(request, "email", "email_address")

    async def send_sms(self, request: Request) -> Response:
        return await self._send(request, "sms", "phone_number")

    async def _send(self, request: Request, kind: str, address_field: str) -> Response:
        self._authenticate(request)
        data = await _json_object(request)
        template_id = str(data.get("template_id") or "")
        template = TEMPLATES.get(template_id)
        if template is None or template["type"] != kind:
            raise NotifyError(400, "BadRequestError", "Template not found")
        recipient = _recipient(kind, str(data.get(address_field) or ""))
        personalisation = data.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise NotifyError(400, "ValidationError", "personalisation is not of type object")
        body = _fill(template["body"], personalisation)
        subject = _fill(template["subject"], personalisation) if "subject" in template else None
        reference = data.get("reference")
        notification_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        await self._ensure_tables()
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(sent).values(
                    id=notification_id,
                    type=kind,
                    recipient=recipient,
                    reference=reference,
                    template_id=template_id,
                    subject=subject,
                    body=body,
                    personalisation=personalisation,
                    status="sending",
                    created_at=now,
                )
            )
        self._settle_later(notification_id, SIMULATED.get(recipient.lower(), "delivered"))
        content: dict[str, Any] = {"body": body}
        if kind == "email":
            content |= {"subject": subject, "from_email": FROM_EMAIL}
        else:
            content["from_number"] = "TAMWORTH"
        answer = {
            "id": notification_id,
            "reference": reference,
            "content": content,
            "uri": f"{self._public_url}/v2/notifications/{notification_id}",
            "template": {"id": template_id, "version": 1, "uri": f"{self._public_url}/v2/template/{template_id}"},
            "scheduled_for": None,
        }
        return JSONResponse(answer, status_code=201)

    async def list_notifications(self, request: Request) -> Response:
        self._authenticate(request)
        params = request.query_params
        query = select(sent).order_by(sent.c.created_at.desc(), sent.c.id.desc()).limit(PAGE_SIZE)
        if reference := params.get("reference"):
            query = query.where(sent.c.reference == reference)
        if status := params.get("status"):
            query = query.where(sent.c.status == status)
        if template_type := params.get("template_type"):
            query = query.where(sent.c.type == template_type)
        await self._ensure_tables()
        async with self._engine.connect() as conn:
            if older_than := params.get("older_than"):
                pivot = (await conn.execute(select(sent.c.created_at).where(sent.c.id == older_than))).scalar()
                if pivot is not None:
                    query = query.where(sent.c.created_at < pivot)
            rows = (await conn.execute(query)).all()
        found = [self._notification(row) for row in rows]
        links = {"current": f"{self._public_url}/v2/notifications"}
        if len(found) == PAGE_SIZE:
            links["next"] = f"{self._public_url}/v2/notifications?older_than={found[-1]['id']}"
        return JSONResponse({"notifications": found, "links": links})

    async def get_notification(self, request: Request) -> Response:
        self._authenticate(request)
        await self._ensure_tables()
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(sent).where(sent.c.id == request.path_params["notification_id"]))).first()
        if row is None:
            raise NotifyError(404, "NoResultFound", "No result found")
        return JSONResponse(self._notification(row))

    async def page(self, _request: Request) -> Response:
        await self._ensure_tables()
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(sent).order_by(sent.c.created_at.desc()).limit(500))).all()
        lines = "".join(
            "<tr class='govuk-table__row'>"
            + "".join(
                f"<td class='govuk-table__cell'>{html.escape(str(value or ''))}</td>"
                for value in (
                    _iso(row.created_at),
                    row.type,
                    row.recipient,
                    row.reference,
                    row.subject,
                    row.body,
                    row.status,
                )
            )
            + "</tr>"
            for row in rows
        )
        headings = "".join(
            f"<th scope='col' class='govuk-table__header'>{name}</th>"
            for name in ("Sent", "Type", "To", "Reference", "Subject", "Message", "Status")
        )
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Messages sent - demo GOV.UK Notify"
            "</title></head><body><main><h1>Messages sent by the demo GOV.UK Notify</h1>"
            f"<table class='govuk-table'><thead><tr>{headings}</tr></thead><tbody>{lines}</tbody></table>"
            "</main></body></html>"
        )
        return HTMLResponse(page)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotifyError(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            if get_token_issuer(token) != self._service_id:  # type: ignore[no-untyped-call]
                raise NotifyError(403, "AuthError", "Invalid token: service not found")
            decode_jwt_token(token, self._secret)  # type: ignore[no-untyped-call]
        except TokenError as error:
            raise NotifyError(403, "AuthError", error.message) from None

    def _notification(self, row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "reference": row.reference,
            "email_address": row.recipient if row.type == "email" else None,
            "phone_number": row.recipient if row.type == "sms" else None,
            "line_1": None,
            "postcode": None,
            "type": row.type,
            "status": row.status,
            "template": {
                "id": row.template_id,
                "version": 1,
                "uri": f"{self._public_url}/v2/template/{row.template_id}",
            },
            "body": row.body,
            "subject": row.subject,
            "created_at": _iso(row.created_at),
            "created_by_name": None,
            "sent_at": _iso(row.created_at),
            "completed_at": _iso(row.completed_at) if row.completed_at else None,
        }

    async def _ensure_tables(self) -> None:
        if self._ready:
            return
        async with self._tables_made:
            if not self._ready:
                async with self._engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
                self._ready = True

    def _settle_later(self, notification_id: str, status: str) -> None:
        task = asyncio.create_task(self._settle(notification_id, status))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _settle(self, notification_id: str, status: str) -> None:
        """The delivery receipt: the status is kept, then sent to the callback URL (a lost callback is
        logged and dropped, as Notify's are after its retries: the status can still be read)."""
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(sent).where(sent.c.id == notification_id).values(status=status, completed_at=now)
                )
                row = (await conn.execute(select(sent).where(sent.c.id == notification_id))).one()
            if not (self._callback_url and self._callback_token):
                return
            receipt = {
                "id": row.id,
                "reference": row.reference,
                "to": row.recipient,
                "status": status,
                "created_at": _iso(row.created_at),
                "completed_at": _iso(now),
                "sent_at": _iso(row.created_at),
                "notification_type": row.type,
                "template_id": row.template_id,
                "template_version": 1,
            }
            headers = {"Authorization": f"Bearer {self._callback_token}"}
            async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
                response = await client.post(self._callback_url, json=receipt, headers=headers)
            if not response.is_success:
                log.warning("notify callback for %s refused with HTTP %d", notification_id, response.status_code)
        except Exception as error:  # nobody awaits this task: logged here or never seen
            log.warning("notify callback for %s not delivered (%s)", notification_id, type(error).__name__)

    async def drain(self) -> None:
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)


async def _json_object(request: Request) -> Mapping[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data") from None
    if not isinstance(data, dict):
        raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data")
    return data


def _recipient(kind: str, value: str) -> str:
    if kind == "email":
        if "@" not in value or " " in value.strip() or not value.strip():
            raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
        return value.strip()
    digits = re.sub(r"[\s()\-]", "", value)
    if digits.startswith("07") and len(digits) == 11:
        digits = "+44" + digits[1:]
    if not re.fullmatch(r"\+447\d{9}", digits):
        raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
    return digits


def _fill(text: str, personalisation: Mapping[str, Any]) -> str:
    wanted = {name.strip() for name in _PLACEHOLDER.findall(text)}
    missing = sorted(name for name in wanted if name not in personalisation)
    if missing:
        raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: str(personalisation[match.group(1).strip()]), text)


def _iso(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")
