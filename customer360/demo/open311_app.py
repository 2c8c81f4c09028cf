"""The street-scene contractor's Open311 GeoReport v2 API (JSON format), over its own database.

Routes, relative to where the app is mounted (the demo back office mounts it at `/open311/v2`):

- `GET /services.json` and `GET /services/{service_code}.json`: the service list and definitions.
- `GET /requests.json`: filters `service_request_id` (comma list), `service_code` (comma list),
  `status` (`open`, `closed` or both), `start_date` and `end_date` (ISO 8601, on `requested_datetime`),
  and `lat`, `long` and `radius` (metres) together: the requests within that distance of the point.
- `GET /requests/{service_request_id}.json`: a one-element list, as the spec answers.
- `POST /requests.json`: form-encoded (`service_code`, `lat`, `long`, `address_string`, `address_id`,
  `email`, `first_name`, `last_name`, `phone`, `description`, `attribute[CODE]=value`,
  `attribute[CODE][]=value` for multivaluelist); answers 201 `[{service_request_id, service_notice, account_id}]`.
  A report that names no `account_id` is filed under the reporter with the same email (created if new),
  or anonymously when there is no email.

Demo extensions (additive, so a plain GeoReport v2 client is unaffected):

- `account_id` on `GET /requests.json`: comma-separated reporter ids, so a gateway fetches many
  reporters' requests in one call; on `POST /requests.json`: the reporter the report belongs to.
- `external_reference` on `POST /requests.json`: the submitting system's own reference (at most 40
  characters). A post naming one already filed files nothing and answers 200 with the first filing,
  so a client may retry a post whose answer it never saw. Every request carries it back.
- `lat`, `long` and `radius` on `GET /requests.json`: a search extension several cities' servers offer.
- `updated_after` on `GET /requests.json` (ISO 8601, inclusive, on `updated_datetime`): the change feed,
  as `updated_after`/`start_date` polling works on several cities' servers; bounded by the caller, so
  it answers all.
- every request carries `account_id` (its reporter) and `history` (`[{at, status, description}]`,
  oldest first): GeoReport v2 has no history.
- `GET /reporters.json`: `[{reporter_id, first_name, last_name, email, phone}]`, the people feed.

Without `service_request_id` or `account_id`, `requests.json` answers the most recent 1,000 requests
(the spec lets a server cap its answer); with them the set is bounded by the caller, so it answers all.
Times are ISO 8601 with an offset (UTC). Errors use the spec's format, `[{"code": 400, "description": ...}]`.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from math import cos, degrees, inf, radians
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from customer360.demo.street_scene_db import reporters, request_updates, requests, service_attributes, services
from customer360.domain.geography import EARTH_RADIUS_METRES, distance_metres
from customer360.domain.people import normalise_email
from customer360.sources.sql_columns import as_utc

MAX_REQUESTS = 1000
MAX_DESCRIPTION = 4000
MAX_EXTERNAL_REFERENCE = 40
OPEN311_STATUSES = frozenset({"open", "closed"})
SERVICE_NOTICE = "Thank you: your report has been passed to the Green & Clean team."

_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# How a single answer to a typed attribute is checked; the other datatypes take any text.
_ATTRIBUTE_PARSERS: dict[str, Callable[[str], object]] = {"number": float, "datetime": datetime.fromisoformat}


class Open311Error(Exception):
    """Answered as the spec's error list: `[{"code": status, "description": description}]`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def create_open311_app(engine: AsyncEngine) -> Starlette:
    api = _Open311Api(engine)
    return Starlette(
        routes=[
            Route("/services.json", api.list_services, methods=["GET"]),
            Route("/services/{service_code}.json", api.service_definition, methods=["GET"]),
            Route("/requests.json", api.list_requests, methods=["GET"]),
            Route("/requests.json", api.create_request, methods=["POST"]),
            Route("/requests/{service_request_id}.json", api.get_request, methods=["GET"]),
            Route("/reporters.json", api.list_reporters, methods=["GET"]),
        ],
        exception_handlers={Open311Error: _error_response},
    )


async def _error_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Open311Error)
    return JSONResponse([{"code": exc.status, "description": exc.description}], status_code=exc.status)


class _Open311Api:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_services(self, _request: Request) -> Response:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(services).order_by(services.c.service_code))).all()
            with_attributes = set((await conn.execute(select(service_attributes.c.service_code).distinct())).scalars())
        return JSONResponse([_service_json(row, row.service_code in with_attributes) for row in rows])

    async def service_definition(self, request: Request) -> Response:
        code = request.path_params["service_code"]
        async with self._engine.connect() as conn:
            if await _service_row(conn, code) is None:
                raise Open311Error(404, f"service_code {code} not found")
            attributes = await _attribute_rows(conn, code)
        return JSONResponse({"service_code": code, "attributes": [_attribute_json(row) for row in attributes]})

    async def list_requests(self, request: Request) -> Response:
        params = request.query_params
        clauses = _request_filters(params)
        near = _circle_param(params)
        if near is not None:
            clauses.extend(near.bounding_box())
        bounded_by_caller = bool(
            params.get("service_request_id") or params.get("account_id") or params.get("updated_after")
        )
        limit = None if bounded_by_caller else MAX_REQUESTS
        return JSONResponse(await self._requests(clauses, limit=limit, near=near))

    async def get_request(self, request: Request) -> Response:
        request_id = request.path_params["service_request_id"]
        found = await self._requests([requests.c.service_request_id == request_id], limit=None)
        if not found:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return JSONResponse(found)

    async def create_request(self, request: Request) -> Response:
        fields, answers = _split_form(await _form_pairs(request))
        external_reference = _external_reference(fields)
        if external_reference and (filed := await self._filed_as(external_reference)):
            return _receipt(*filed, status_code=200)
        try:
            request_id, account_id = await self._file(fields, answers, external_reference)
        except IntegrityError:
            # A concurrent retry of the same report was filed first (the column is unique): answer with it.
            if not external_reference or not (filed := await self._filed_as(external_reference)):
                raise
            return _receipt(*filed, status_code=200)
        return _receipt(request_id, account_id, status_code=201)

    async def _filed_as(self, external_reference: str) -> tuple[str, str | None] | None:
        """The request id and reporter of an earlier filing with this external reference, if any."""
        query = select(requests.c.service_request_id, requests.c.reporter_id).where(
            requests.c.external_reference == external_reference
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (row.service_request_id, row.reporter_id) if row else None

    async def _file(
        self, fields: Mapping[str, str], answers: Mapping[str, list[str]], external_reference: str | None
    ) -> tuple[str, str | None]:
        code = fields.get("service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        description = fields.get("description")
        if description and len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
        lat, long = _coordinates(fields)
        async with self._engine.begin() as conn:
            if await _service_row(conn, code) is None:
                raise Open311Error(400, f"service_code {code} not found")
            checked = _checked_answers(await _attribute_rows(conn, code), answers)
            account_id = await _reporter_for(conn, fields)
            request_id = f"SS-{secrets.token_hex(5).upper()}"
            now = datetime.now(UTC)
            await conn.execute(
                insert(requests).values(
                    service_request_id=request_id,
                    service_code=code,
                    reporter_id=account_id,
                    description=description,
                    lat=lat,
                    long=long,
                    address_string=fields.get("address_string"),
                    address_id=fields.get("address_id"),
                    status="open",
                    requested_datetime=now,
                    updated_datetime=now,
                    attributes=checked,
                    external_reference=external_reference,
                )
            )
            await conn.execute(
                insert(request_updates).values(
                    service_request_id=request_id, at=now, status="open", description="Report received"
                )
            )
        return request_id, account_id

    async def list_reporters(self, _request: Request) -> Response:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(reporters).order_by(reporters.c.reporter_id))).all()
        return JSONResponse(
            [
                {
                    "reporter_id": row.reporter_id,
                    "first_name": row.first_name,
                    "last_name": row.last_name,
                    "email": row.email,
                    "phone": row.phone,
                }
                for row in rows
            ]
        )

    async def _requests(
        self, clauses: list[Any], *, limit: int | None, near: _Circle | None = None
    ) -> list[dict[str, Any]]:
        query = (
            select(requests, services.c.service_name)
            .join_from(requests, services, requests.c.service_code == services.c.service_code, isouter=True)
            .where(*clauses)
            .order_by(requests.c.requested_datetime.desc(), requests.c.service_request_id)
            # The box holds the circle's corners too, so a search is capped only after the exact distance.
            .limit(None if near else limit)
        )
        async with self._engine.connect() as conn:
            rows = list((await conn.execute(query)).all())
            if near is not None:
                rows = [row for row in rows if near.holds(row.lat, row.long)][:limit]
            history = await _history(conn, [row.service_request_id for row in rows])
        return [_request_json(row, history[row.service_request_id]) for row in rows]


def _receipt(request_id: str, account_id: str | None, *, status_code: int) -> Response:
    answer = {"service_request_id": request_id, "service_notice": SERVICE_NOTICE, "account_id": account_id}
    return JSONResponse([answer], status_code=status_code)


def _external_reference(fields: Mapping[str, str]) -> str | None:
    reference = fields.get("external_reference")
    if reference and len(reference) > MAX_EXTERNAL_REFERENCE:
        raise Open311Error(400, f"external_reference is longer than {MAX_EXTERNAL_REFERENCE} characters")
    return reference


@dataclass(frozen=True, slots=True)
class _Circle:
    """A `lat`, `long`, `radius` search: a bounding box for SQL, then the exact distance."""

    latitude: float
    longitude: float
    radius_metres: float

    def bounding_box(self) -> list[Any]:
        # A degree of latitude is the same length everywhere; a degree of longitude shrinks with cos(latitude),
        # most at the circle's edge nearest the pole. Widened 1% so rounding never trims a request inside.
        half_lat = degrees(self.radius_metres / EARTH_RADIUS_METRES) * 1.01
        clauses = [requests.c.lat.between(self.latitude - half_lat, self.latitude + half_lat)]
        nearest_pole = abs(self.latitude) + half_lat
        half_long = half_lat / cos(radians(nearest_pole)) if nearest_pole < 89 else 180.0
        west, east = self.longitude - half_long, self.longitude + half_long
        # Near a pole, or across the antimeridian, a longitude range would wrap: leave those to the exact test.
        if west >= -180 and east <= 180:
            clauses.append(requests.c.long.between(west, east))
        return clauses

    def holds(self, latitude: float | None, longitude: float | None) -> bool:
        if latitude is None or longitude is None:
            return False
        return distance_metres(self.latitude, self.longitude, latitude, longitude) <= self.radius_metres


def _circle_param(params: Mapping[str, str]) -> _Circle | None:
    """`lat`, `long` and `radius` (metres) come together or not at all."""
    given = [params.get(name) for name in ("lat", "long", "radius")]
    if not any(given):
        return None
    try:
        latitude, longitude, radius = (float(value or "") for value in given)
    except ValueError:
        raise Open311Error(400, "lat, long and radius (in metres) must be given together as numbers") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and 0 < radius < inf):
        raise Open311Error(400, "lat and long must be in range and radius a positive number of metres")
    return _Circle(latitude, longitude, radius)


async def _service_row(conn: AsyncConnection, code: str) -> Any:
    return (await conn.execute(select(services).where(services.c.service_code == code))).first()


async def _attribute_rows(conn: AsyncConnection, code: str) -> list[Any]:
    query = (
        select(service_attributes)
        .where(service_attributes.c.service_code == code)
        .order_by(service_attributes.c.position, service_attributes.c.id)
    )
    return list((await conn.execute(query)).all())


async def _history(conn: AsyncConnection, request_ids: list[str]) -> Mapping[str, list[dict[str, Any]]]:
    query = (
        select(request_updates)
        .where(request_updates.c.service_request_id.in_(request_ids))
        .order_by(request_updates.c.at, request_updates.c.id)
    )
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        history[row.service_request_id].append(
            {"at": _iso(row.at), "status": row.status, "description": row.description}
        )
    return history


async def _reporter_for(conn: AsyncConnection, fields: Mapping[str, str]) -> str | None:
    """The reporter a new report is filed under: named by account_id, else found or created by email."""
    if account_id := fields.get("account_id"):
        found = await conn.scalar(select(reporters.c.reporter_id).where(reporters.c.reporter_id == account_id))
        if found is None:
            raise Open311Error(400, f"account_id {account_id} not found")
        return account_id
    raw_email = fields.get("email")
    if not raw_email:
        return None
    email = normalise_email(raw_email)
    if email is None:
        raise Open311Error(400, "email is not a valid address")
    found = await conn.scalar(select(reporters.c.reporter_id).where(func.lower(reporters.c.email) == email))
    if found is not None:
        return str(found)
    reporter_id = f"RP-{secrets.token_hex(4).upper()}"
    await conn.execute(
        insert(reporters).values(
            reporter_id=reporter_id,
            first_name=fields.get("first_name", ""),
            last_name=fields.get("last_name", ""),
            email=email,
            phone=fields.get("phone"),
            updated_on=datetime.now(UTC),
        )
    )
    return reporter_id


def _request_filters(params: Mapping[str, str]) -> list[Any]:
    clauses: list[Any] = []
    for name, column in (
        ("service_request_id", requests.c.service_request_id),
        ("service_code", requests.c.service_code),
        ("account_id", requests.c.reporter_id),
    ):
        if values := _comma_list(params.get(name)):
            clauses.append(column.in_(values))
    if statuses := _comma_list(params.get("status")):
        if not OPEN311_STATUSES.issuperset(statuses):
            raise Open311Error(400, "status must be open, closed or both")
        clauses.append(requests.c.status.in_(statuses))
    if start := _moment_param(params, "start_date"):
        clauses.append(requests.c.requested_datetime >= start)
    if end := _moment_param(params, "end_date"):
        clauses.append(requests.c.requested_datetime <= end)
    if updated := _moment_param(params, "updated_after"):
        clauses.append(requests.c.updated_datetime >= updated)
    return clauses


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment_param(params: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 parameter as an aware UTC time (SQLite stores UTC wall time, so binds must be UTC too)."""
    value = params.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    # The spec posts application/x-www-form-urlencoded; parsing it here spares a python-multipart dependency.
    try:
        return parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise Open311Error(400, "the request body must be UTF-8 form data") from None


def _split_form(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Plain fields (blank ones dropped) and `attribute[CODE]` / `attribute[CODE][]` answers by code."""
    fields: dict[str, str] = {}
    answers: dict[str, list[str]] = defaultdict(list)
    for key, raw in pairs:
        value = raw.strip()
        if not value:
            continue
        if match := _ATTRIBUTE_FIELD.match(key):
            answers[match[1]].append(value)
        else:
            fields[key] = value
    return fields, answers


def _coordinates(fields: Mapping[str, str]) -> tuple[float | None, float | None]:
    """The spec requires a location: lat and long together, or else address_string or address_id."""
    if "lat" in fields or "long" in fields:
        try:
            lat, long = float(fields["lat"]), float(fields["long"])
        except (KeyError, ValueError):
            raise Open311Error(400, "lat and long must both be given in decimal degrees") from None
        if not (-90 <= lat <= 90 and -180 <= long <= 180):
            raise Open311Error(400, "lat and long are out of range")
        return lat, long
    if not (fields.get("address_string") or fields.get("address_id")):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    return None, None


def _checked_answers(attributes: list[Any], answers: Mapping[str, list[str]]) -> dict[str, str | list[str]]:
    unknown = sorted(set(answers) - {row.code for row in attributes})
    if unknown:
        raise Open311Error(400, f"unknown attribute: {', '.join(unknown)}")
    checked: dict[str, str | list[str]] = {}
    for row in attributes:
        values = answers.get(row.code, [])
        if values:
            checked[row.code] = _checked_answer(row, values)
        elif row.required:
            raise Open311Error(400, f"attribute {row.code} is required")
    return checked


def _checked_answer(attribute: Any, values: list[str]) -> str | list[str]:
    if attribute.datatype in {"singlevaluelist", "multivaluelist"}:
        allowed = set(attribute.values or ())
        if not allowed.issuperset(values):
            raise Open311Error(400, f"attribute {attribute.code} must be one of {', '.join(attribute.values or ())}")
        if attribute.datatype == "multivaluelist":
            return values
    if len(values) > 1:
        raise Open311Error(400, f"attribute {attribute.code} takes one value")
    parse = _ATTRIBUTE_PARSERS.get(attribute.datatype)
    if parse is not None:
        try:
            parse(values[0])
        except ValueError:
            raise Open311Error(400, f"attribute {attribute.code} must be a {attribute.datatype}") from None
    return values[0]


def _service_json(row: Any, has_attributes: bool) -> dict[str, Any]:
    return {
        "service_code": row.service_code,
        "service_name": row.service_name,
        "description": row.description,
        # The spec's `metadata` says whether a definition with attributes is worth fetching.
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": row.keywords,
        "group": row.group_name,
    }


def _attribute_json(row: Any) -> dict[str, Any]:
    return {
        "variable": True,
        "code": row.code,
        "datatype": row.datatype,
        "required": row.required,
        "datatype_description": None,
        "order": row.position,
        "description": row.description,
        "values": [{"key": value, "name": value} for value in row.values or ()],
    }


def _request_json(row: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "service_request_id": row.service_request_id,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": None,
        "requested_datetime": _iso(row.requested_datetime),
        "updated_datetime": _iso(row.updated_datetime),
        "expected_datetime": _iso(row.expected_datetime),
        "address": row.address_string,
        "address_id": row.address_id,
        "zipcode": None,
        "lat": row.lat,
        "long": row.long,
        "media_url": None,
        "account_id": row.reporter_id,
        "external_reference": row.external_reference,
        "history": history,
    }


def _iso(moment: datetime | None) -> str | None:
    aware = as_utc(moment)
    return aware.isoformat() if aware is not None else None
