"""The street-scene contractor's Open311 GeoReport v2 API over its own database: standard unless told otherwise.

Routes, relative to where the app is mounted (the demo back office mounts it at `/open311/v2`); every
one answers JSON or the spec's XML by its extension (`.json`, `.xml`):

- `GET /discovery.json`: the spec's service discovery document; its endpoint lists the extensions
  this server has (`"extensions": [...]`, empty when standard), which is how a client learns them.
- `GET /services.json` and `GET /services/{service_code}.json`: the service list and definitions.
- `GET /requests.json`: `service_request_id` (comma list; overrides every other filter, as the spec
  says), else `service_code` (comma list), `status` (`open`, `closed` or both), `start_date` and
  `end_date` (W3C date and time, on `requested_datetime`). Without dates it answers the most recent
  90 days; one date alone spans 90 days from it; a range of more than 90 days is refused (400).
  At most 1,000 requests, newest first (the spec lets a server cap its answer).
- `GET /requests/{service_request_id}.json`: a one-element list, as the spec answers.
- `POST /requests.json`: form-encoded, with the council's `api_key` (403 without it): `service_code`,
  `lat`, `long`, `address_string`, `address_id`, `email`, `first_name`, `last_name`, `phone`,
  `account_id`, `description`, `attribute[CODE]=value` and `attribute[CODE][]=value` for a
  multivaluelist; answers 201 `[{service_request_id, service_notice, account_id}]`. A report that
  names no `account_id` is filed under the reporter with the same email (created if new), or
  anonymously when there is no email. A refusal names every invalid field at once.

Extensions, only with `extensions=True` (`customer360 demo backoffices --open311-extensions`; the
demo council that `serve` runs has them on); a plain GeoReport v2 client is unaffected either way.
On a read the council's key may come in the `X-Api-Key` header (the gateway sends it there, so no access
log keeps it) or as the `api_key` query parameter:

- `account_id`: asked with the council's `api_key`, each request carries its reporter, and
  `GET /requests.json?account_id=` (comma list) answers every request of those reporters, whatever
  their age (the caller bounds the set). Without the key a request names no reporter, and the filter
  is refused (403): the public feed never says who reported what.
- `external_reference` on `POST /requests.json` (at most 40 characters): a post naming one already
  filed files nothing and answers 200 with the first filing, so a client may retry a post whose
  answer it never saw. Every request carries it back.
- `history`: each request carries `[{at, status, description}]`, oldest first.
- `search`: `lat`, `long` and `radius` (metres) together on `GET /requests.json`: the requests within
  that distance of the point (not limited to 90 days).
- `reporters`: `GET /reporters.json` with the key, the people feed `[{reporter_id, first_name, last_name,
  email, phone, updated_datetime}]`, `updated_after` (inclusive) for those added or changed since.
  Personal data: never answered without the council's key.
- `updated_after` on `GET /requests.json` (ISO 8601, inclusive, on `updated_datetime`): the change feed,
  as `updated_after`/`start_date` polling works on several cities' servers; bounded by the caller, so
  it answers all.

Without extensions none of that is answered or stored: `account_id` is not in the public feed, an
`external_reference` is ignored, and `/reporters.json` does not exist. Times are ISO 8601 with an
offset (UTC). Errors use the spec's format, `[{"code": 400, "description": ...}, ...]`.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import cos, degrees, inf, radians
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from customer360.demo.open311_formats import FORMATS, render
from customer360.demo.open311_reports import Checked, check_report, split_form
from customer360.demo.street_scene_db import reporters, request_updates, requests, service_attributes, services
from customer360.domain.geography import EARTH_RADIUS_METRES, distance_metres
from customer360.sources.sql_columns import as_utc
from customer360.sources.street_scene.open311_http import API_KEY_HEADER

MAX_REQUESTS = 1000
# GeoReport v2: "the range defaults to most recent 90 days ... may not span more than 90 days".
DEFAULT_WINDOW = timedelta(days=90)
OPEN311_STATUSES = frozenset({"open", "closed"})
SERVICE_NOTICE = "Thank you: your report has been passed to the Green & Clean team."
GEOREPORT_V2 = "http://wiki.open311.org/GeoReport_v2"
EXTENSIONS = ("account_id", "external_reference", "history", "search", "reporters")


class Open311Error(Exception):
    """Answered as the spec's error list: `[{"code": status, "description": description}, ...]`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def create_open311_app(
    engine: AsyncEngine,
    *,
    api_key: str,
    extensions: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    """`api_key` is the council's key, needed to post a report (and to read reporters, an extension)."""
    api = _Open311Api(engine, api_key=api_key, extensions=extensions, clock=clock)
    routes = [
        Route("/discovery.{fmt}", api.discovery, methods=["GET"]),
        Route("/services.{fmt}", api.list_services, methods=["GET"]),
        Route("/services/{service_code}.{fmt}", api.service_definition, methods=["GET"]),
        Route("/requests.{fmt}", api.list_requests, methods=["GET"]),
        Route("/requests.{fmt}", api.create_request, methods=["POST"]),
        Route("/requests/{service_request_id}.{fmt}", api.get_request, methods=["GET"]),
    ]
    if extensions:
        routes.append(Route("/reporters.{fmt}", api.list_reporters, methods=["GET"]))
    return Starlette(routes=routes, exception_handlers={Open311Error: _error_response})


def _format(request: Request) -> str:
    fmt = str(request.path_params.get("fmt", "json"))
    if fmt not in FORMATS:
        raise HTTPException(404)
    return fmt


async def _error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Open311Error)
    fmt = request.path_params.get("fmt")
    errors = [{"code": exc.status, "description": description} for description in exc.descriptions]
    return render(fmt if fmt in FORMATS else "json", "errors", errors, status_code=exc.status)


class _Open311Api:
    def __init__(self, engine: AsyncEngine, *, api_key: str, extensions: bool, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._api_key = api_key
        self._extensions = extensions
        self._clock = clock

    async def discovery(self, request: Request) -> Response:
        fmt = _format(request)
        endpoint_url = str(request.url.replace(query="")).rsplit("/", 1)[0]
        changeset = "2025-01-01T00:00:00+00:00"
        endpoint = {
            "specification": GEOREPORT_V2,
            "url": endpoint_url,
            "changeset": changeset,
            "type": "production",
            "formats": ["application/json", "text/xml"],
            # Not in the spec: how a client learns which of this server's additions it may use.
            "extensions": list(EXTENSIONS) if self._extensions else [],
        }
        document = {
            "changeset": changeset,
            "contact": "Green & Clean contractor's service desk",
            "key_service": "Ask the council's street-scene contract manager for an api_key",
            "endpoints": [endpoint],
        }
        return render(fmt, "discovery", document)

    async def list_services(self, request: Request) -> Response:
        fmt = _format(request)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(services).order_by(services.c.service_code))).all()
            with_attributes = set((await conn.execute(select(service_attributes.c.service_code).distinct())).scalars())
        return render(fmt, "services", [_service_json(row, row.service_code in with_attributes) for row in rows])

    async def service_definition(self, request: Request) -> Response:
        fmt = _format(request)
        code = request.path_params["service_code"]
        async with self._engine.connect() as conn:
            if await _service_row(conn, code) is None:
                raise Open311Error(404, f"service_code {code} not found")
            attributes = await _attribute_rows(conn, code)
        document = {"service_code": code, "attributes": [_attribute_json(row) for row in attributes]}
        return render(fmt, "service_definition", document)

    async def list_requests(self, request: Request) -> Response:
        fmt = _format(request)
        params = request.query_params
        private = self._is_council(_read_key(request))
        if ids := _comma_list(params.get("service_request_id")):
            found = await self._requests([requests.c.service_request_id.in_(ids)], limit=None, private=private)
            return render(fmt, "service_requests", found)
        clauses = _request_filters(params)
        near = _circle_param(params) if self._extensions else None
        reporter_ids = _comma_list(params.get("account_id")) if self._extensions else []
        if reporter_ids:
            self._require_key(_read_key(request))  # who reported what is not for anyone to search
        if reporter_ids:
            clauses.append(requests.c.reporter_id.in_(reporter_ids))
        if near is not None:
            clauses.extend(near.bounding_box())
        if not (near or reporter_ids or params.get("updated_after")):  # the change feed: bounded by the caller
            clauses.extend(_window(params, self._clock()))
        limit = None if reporter_ids else MAX_REQUESTS
        found = await self._requests(clauses, limit=limit, near=near, private=private)
        return render(fmt, "service_requests", found)

    async def get_request(self, request: Request) -> Response:
        fmt = _format(request)
        request_id = request.path_params["service_request_id"]
        private = self._is_council(_read_key(request))
        found = await self._requests([requests.c.service_request_id == request_id], limit=None, private=private)
        if not found:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return render(fmt, "service_requests", found)

    async def create_request(self, request: Request) -> Response:
        fmt = _format(request)
        fields, answers = split_form(await _form_pairs(request))
        self._require_key(fields.get("api_key"))
        external_reference = fields.get("external_reference") if self._extensions else None
        if external_reference and (filed := await self._filed_as(external_reference)):
            return _receipt(fmt, *filed, status_code=200)
        try:
            request_id, account_id = await self._file(fields, answers, external_reference)
        except IntegrityError:
            # A concurrent retry of the same report was filed first (the column is unique): answer with it.
            if not external_reference or not (filed := await self._filed_as(external_reference)):
                raise
            return _receipt(fmt, *filed, status_code=200)
        return _receipt(fmt, request_id, account_id, status_code=201)

    async def list_reporters(self, request: Request) -> Response:
        fmt = _format(request)
        self._require_key(_read_key(request))
        problems: list[str] = []
        updated = _moment_param(request.query_params, "updated_after", problems)
        if problems:
            raise Open311Error(400, *problems)
        query = select(reporters).order_by(reporters.c.reporter_id)
        if updated is not None:  # the people feed: those added or changed since (inclusive)
            query = query.where(reporters.c.updated_on >= updated)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        people = [
            {
                "reporter_id": row.reporter_id,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "email": row.email,
                "phone": row.phone,
                "updated_datetime": _iso(row.updated_on),
            }
            for row in rows
        ]
        return render(fmt, "reporters", people)

    def _is_council(self, given: str | None) -> bool:
        return bool(given) and secrets.compare_digest(str(given).encode(), self._api_key.encode())

    def _require_key(self, given: str | None) -> None:
        # The spec's answer to a missing or wrong key is 403.
        if not self._is_council(given):
            raise Open311Error(403, "api_key is missing or not valid")

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
        code = fields.get("service_code") or ""
        async with self._engine.begin() as conn:
            service = await _service_row(conn, code) if code else None
            checked = check_report(fields, answers, service, await _attribute_rows(conn, code) if service else [])
            account_id = await _reporter_for(conn, fields, checked)
            if checked.problems:
                raise Open311Error(400, *checked.problems)
            request_id = f"SS-{secrets.token_hex(5).upper()}"
            now = self._clock()
            await conn.execute(
                insert(requests).values(
                    service_request_id=request_id,
                    service_code=code,
                    reporter_id=account_id,
                    description=fields.get("description"),
                    lat=checked.lat,
                    long=checked.long,
                    address_string=fields.get("address_string"),
                    address_id=fields.get("address_id"),
                    status="open",
                    requested_datetime=now,
                    updated_datetime=now,
                    attributes=checked.answers,
                    external_reference=external_reference,
                    media_url=fields.get("media_url"),
                )
            )
            await conn.execute(
                insert(request_updates).values(
                    service_request_id=request_id, at=now, status="open", description="Report received"
                )
            )
        return request_id, account_id

    async def _requests(
        self, clauses: list[Any], *, limit: int | None, near: _Circle | None = None, private: bool = False
    ) -> list[dict[str, Any]]:
        """`private`: the council asks (its api_key given), so each request may name its reporter."""
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
            history = await _history(conn, [row.service_request_id for row in rows]) if self._extensions else {}
        return [self._request_json(row, history.get(row.service_request_id, []), private) for row in rows]

    def _request_json(self, row: Any, history: list[dict[str, Any]], private: bool) -> dict[str, Any]:
        document = {
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
            "media_url": row.media_url,
        }
        if self._extensions:
            document |= {"external_reference": row.external_reference, "history": history}
            if private:
                document["account_id"] = row.reporter_id
        return document


def _receipt(fmt: str, request_id: str, account_id: str | None, *, status_code: int) -> Response:
    answer = {"service_request_id": request_id, "service_notice": SERVICE_NOTICE, "account_id": account_id}
    return render(fmt, "service_requests", [answer], status_code=status_code)


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


async def _reporter_for(conn: AsyncConnection, fields: Mapping[str, str], checked: Checked) -> str | None:
    """The reporter a new report is filed under: named by account_id, else found or created by email.

    A problem found here joins the report's others; nothing is created for a report that will be refused.
    """
    if account_id := fields.get("account_id"):
        found = await conn.scalar(select(reporters.c.reporter_id).where(reporters.c.reporter_id == account_id))
        if found is None:
            checked.problems.append(f"account_id {account_id} not found")
        return account_id
    email = checked.email
    if not email or checked.problems:
        return None
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
    if codes := _comma_list(params.get("service_code")):
        clauses.append(requests.c.service_code.in_(codes))
    if statuses := _comma_list(params.get("status")):
        if not OPEN311_STATUSES.issuperset(statuses):
            raise Open311Error(400, "status must be open, closed or both")
        clauses.append(requests.c.status.in_(statuses))
    problems: list[str] = []
    if (updated := _moment_param(params, "updated_after", problems)) is not None:
        clauses.append(requests.c.updated_datetime >= updated)  # the change feed, whatever the requests' age
    if problems:
        raise Open311Error(400, *problems)
    return clauses


def _window(params: Mapping[str, str], now: datetime) -> list[Any]:
    """`start_date` and `end_date` as the spec bounds them: 90 days by default, never more."""
    problems: list[str] = []
    start, end = (_moment_param(params, name, problems) for name in ("start_date", "end_date"))
    if problems:
        raise Open311Error(400, *problems)
    if start is None and end is None:
        start = now - DEFAULT_WINDOW
    elif start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    if end is not None and end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end is not None and end - start > DEFAULT_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    clauses = [requests.c.requested_datetime >= start]
    if end is not None:
        clauses.append(requests.c.requested_datetime <= end)
    return clauses


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment_param(params: Mapping[str, str], name: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 parameter as an aware UTC time (SQLite stores UTC wall time, so binds must be UTC too)."""
    value = params.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} must be a W3C date and time, such as 2010-01-01T00:00:00Z")
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    # The spec posts application/x-www-form-urlencoded; parsing it here spares a python-multipart dependency.
    try:
        return parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise Open311Error(400, "the request body must be UTF-8 form data") from None


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


def _iso(moment: datetime | None) -> str | None:
    aware = as_utc(moment)
    return aware.isoformat() if aware is not None else None


def _read_key(request: Request) -> str | None:
    """The council's key on a read: the `X-Api-Key` header (the gateway sends it there, out of access
    logs), or the `api_key` query parameter other clients of GeoReport servers use."""
    return request.headers.get(API_KEY_HEADER) or request.query_params.get("api_key")
