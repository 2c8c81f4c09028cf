"""Street scene: an Open311 GeoReport v2 endpoint (JSON format), read with httpx.

Works against a plain GeoReport v2 server: services and their definitions, `POST requests` with the
council's `api_key`, and `GET requests` by `service_request_id` (which the spec lets a client ask for
many at once) or within the spec's default 90-day window. What the standard lacks comes from the
gateway's own records: which requests a resident filed through customer360 is in its submissions
(My Requests asks for them by id, `requests_by_id`), and a report whose answer was lost is found
again by the customer360 reference written into its description, within the window after it was
kept, instead of being filed twice. A plain request has no history: it gets "Report received" and
its status now.

Extensions are used only when the server says it has them: in its `discovery.json` (the endpoint's
`extensions` list; see `customer360.demo.open311_app`) or in the source's configuration
(`extensions = [...]` in `C360_SOURCES`, which skips discovery). They are `reporters` (the people
feed, `reporters.json`), `account_id` (each request's reporter, and a filter by many reporters in
one call), `external_reference` (a retried post files nothing twice), `history` (each request's
events) and `search` (`lat`, `long`, `radius` on `GET requests`).
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from customer360.domain.geography import distance_metres
from customer360.domain.people import PersonRecord
from customer360.domain.reporting import StreetReportReceipt, StreetReportSubmission
from customer360.domain.requests import (
    OPEN311_STATUS,
    Location,
    RequestEvent,
    RequestStatus,
    ServiceRequestRecord,
)
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.instrumented import GuardedAdapter, guarded

# Client errors that mean "not now" rather than "never": retried later like an outage.
_TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})
EXTENSIONS = frozenset({"reporters", "account_id", "external_reference", "history", "search"})
# The council's key on the extensions' reads: a header, so no access log or proxy keeps it. A report (POST)
# carries it in the form body, as GeoReport v2 says.
API_KEY_HEADER = "X-Api-Key"
# GeoReport v2: a date range "may not span more than 90 days".
_LONGEST_RANGE = timedelta(days=90)
# Between the gateway's clock and the back office's, when looking for a report filed before.
_CLOCK_SLACK = timedelta(minutes=10)


class Open311Http(GuardedAdapter):
    """Implements `StreetSceneSource` over HTTP; the client is injected so tests can hand it any transport."""

    system = SourceSystem.STREET_SCENE

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        api_key: str = "",
        extensions: Collection[str] | None = None,
    ) -> None:
        """`extensions`: those the server has, as configured; None asks its `discovery.json` (once)."""
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._extensions = frozenset(extensions) & EXTENSIONS if extensions is not None else None
        self._discovering = asyncio.Lock()

    @guarded
    async def ping(self) -> None:
        await self._get("services.json")

    @guarded
    async def extensions(self) -> frozenset[str]:
        """The extensions the server offers: configured, or read from its discovery document.

        A server without a discovery document (404), or whose document names none, is plain GeoReport v2.
        """
        return await self._known_extensions()

    async def _known_extensions(self) -> frozenset[str]:
        if self._extensions is None:
            async with self._discovering:
                if self._extensions is None:
                    self._extensions = await self._discover()
        return self._extensions

    async def _discover(self) -> frozenset[str]:
        try:
            response = await self._client.get(f"{self._base_url}/discovery.json")
        except httpx.HTTPError as exc:
            raise SourceUnavailable(self.system, f"GET discovery.json: {_without_key(exc)}") from exc
        if response.status_code == 404:
            return frozenset()
        try:
            response.raise_for_status()
            endpoints = response.json().get("endpoints") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SourceUnavailable(self.system, f"GET discovery.json: {_without_key(exc)}") from exc
        # The endpoint this adapter calls, else the first: a discovery document may list test and production.
        ours = next((e for e in endpoints if str(e.get("url", "")).rstrip("/") == self._base_url), None)
        chosen = ours or (endpoints[0] if endpoints else {})
        return frozenset(chosen.get("extensions") or ()) & EXTENSIONS

    @guarded
    async def person_records(self) -> Sequence[PersonRecord]:
        if "reporters" not in await self._known_extensions():
            return []  # a plain server has no people feed: residents are linked as they report
        return [
            PersonRecord(
                system=self.system,
                record_id=item["reporter_id"],
                forenames=item["first_name"],
                surname=item["last_name"],
                email=item.get("email"),
                phone=item.get("phone"),
            )
            for item in await self._get("reporters.json", keyed=True)
        ]

    @guarded
    async def services(self) -> Sequence[ServiceDefinitionRecord]:
        listed = await self._get("services.json")
        # GeoReport v2 has no batch definition call; services are few and `metadata` says which have attributes.
        definitions = await asyncio.gather(
            *(self._get(f"services/{item['service_code']}.json") for item in listed if _has_metadata(item))
        )
        attributes = {definition["service_code"]: _attributes(definition) for definition in definitions}
        return [_service(item, attributes.get(item["service_code"], ())) for item in listed]

    @guarded
    async def service(self, code: str) -> ServiceDefinitionRecord | None:
        """One service as the back office defines it now; None when it no longer offers it."""
        item = next((item for item in await self._get("services.json") if item["service_code"] == code), None)
        if item is None:
            return None
        # A service without `metadata` asks nothing, and the spec does not promise it a definition.
        definition = _attributes(await self._get(f"services/{code}.json")) if _has_metadata(item) else ()
        return _service(item, definition)

    @guarded
    async def requests_by_reporter(self, reporter_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]:
        by_reporter: dict[str, list[ServiceRequestRecord]] = defaultdict(list)
        # Without the extension the gateway finds a resident's requests by id, from its own records.
        if not reporter_ids or "account_id" not in await self._known_extensions():
            return by_reporter
        for item in await self._get("requests.json", {"account_id": ",".join(reporter_ids)}, keyed=True):
            by_reporter[item["account_id"]].append(self._request_record(item))
        return by_reporter

    @guarded
    async def requests_by_id(self, request_ids: Sequence[str]) -> Mapping[str, ServiceRequestRecord]:
        """The spec's own batch read: `service_request_id` takes a comma list and overrides every other filter."""
        if not request_ids:
            return {}
        params = {"service_request_id": ",".join(request_ids)}
        found = await self._get("requests.json", params, keyed=await self._council_reads())
        return {str(item["service_request_id"]): self._request_record(item) for item in found}

    @guarded
    async def requests_near(
        self, latitude: float, longitude: float, radius_metres: int, service_code: str | None
    ) -> list[ServiceRequestRecord]:
        params = {"service_code": service_code} if service_code else {}
        if "search" in await self._known_extensions():
            params |= {"lat": str(latitude), "long": str(longitude), "radius": str(radius_metres)}
            return [self._request_record(item) for item in await self._get("requests.json", params)]
        # A plain server answers its default window (the most recent 90 days); the distance is ours to judge.
        return [
            self._request_record(item)
            for item in await self._get("requests.json", params)
            if _within(item, latitude, longitude, radius_metres)
        ]

    @guarded
    async def submit_request(self, submission: StreetReportSubmission) -> StreetReportReceipt:
        """Files a report and answers its `service_request_id` and the reporter it was filed under.

        Raises `SourceRejected` when the back office refuses it for good, `SourceUnavailable` when it
        could not be reached. A retry is safe even if the first post got through: thanks to
        `external_reference` where the server has it, else by finding the earlier filing by the
        reference in its description.
        """
        with_reference = "external_reference" in await self._known_extensions()
        if not with_reference and (earlier := await self._filed_before(submission)):
            return earlier
        answer = await self._post("requests.json", _submission_form(submission, self._api_key, with_reference))
        try:
            receipt = answer[0]
            return StreetReportReceipt(str(receipt["service_request_id"]), receipt.get("account_id"))
        except (LookupError, TypeError) as exc:
            # Its shape, not its content: the answer may name the reporter (account_id), and this is logged.
            raise SourceUnavailable(
                self.system, f"POST requests.json answered no service_request_id: {_shape(answer)}"
            ) from exc

    async def _council_reads(self) -> bool:
        """Whether a read carries the council's key: where the server shows it more (each request's reporter)."""
        return bool(self._api_key) and "account_id" in await self._known_extensions()

    async def _filed_before(self, submission: StreetReportSubmission) -> StreetReportReceipt | None:
        """An earlier filing of this report (its answer lost on the way back), found by our reference."""
        if submission.kept_at is None:
            return None
        end = datetime.now(UTC) + _CLOCK_SLACK
        start = max(submission.kept_at - _CLOCK_SLACK, end - _LONGEST_RANGE)
        params = {"service_code": submission.service_code, "start_date": _w3c(start), "end_date": _w3c(end)}
        marker = reference_line(submission.external_reference)
        for item in await self._get("requests.json", params):
            if marker in (item.get("description") or ""):
                return StreetReportReceipt(str(item["service_request_id"]), item.get("account_id"))
        return None

    def _request_record(self, item: Mapping[str, Any]) -> ServiceRequestRecord:
        submitted_at = datetime.fromisoformat(item["requested_datetime"])
        updated_at = datetime.fromisoformat(item["updated_datetime"])
        status = OPEN311_STATUS[item["status"]]
        history = (
            tuple(
                RequestEvent(
                    at=datetime.fromisoformat(event["at"]),
                    description=event["description"],
                    status=OPEN311_STATUS.get(event.get("status", "")),
                    system=self.system,
                )
                for event in item["history"]
            )
            if "history" in item
            else _plain_history(submitted_at, updated_at, status, item.get("status_notes"))
        )
        description, external_reference = item.get("description"), item.get("external_reference")
        if "external_reference" not in item and description:
            description, external_reference = _split_reference_line(description)
        return ServiceRequestRecord(
            system=self.system,
            reference=str(item["service_request_id"]),
            owner_record_id=item.get("account_id"),
            service_code=item["service_code"],
            # `service_name` is optional in the spec; the code is the only name left then.
            service_name=item.get("service_name") or item["service_code"],
            status=status,
            status_notes=item.get("status_notes"),
            description=description,
            submitted_at=submitted_at,
            updated_at=updated_at,
            expected_by=_optional_time(item.get("expected_datetime")),
            location=_location(item),
            history=history,
            external_reference=external_reference,
        )

    async def _get(self, path: str, params: Mapping[str, str] | None = None, *, keyed: bool = False) -> Any:
        """The decoded JSON answer; whatever keeps us from it means the back office is unavailable.

        `keyed`: the council's key goes in the `X-Api-Key` header, never the URL (which access logs and
        proxies keep). Only the extensions' reads take it (reporters, account_id), and they take the header.
        """
        headers = {API_KEY_HEADER: self._api_key} if keyed else None
        try:
            response = await self._client.get(f"{self._base_url}/{path}", params=params, headers=headers)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET {path}: {_without_key(exc)}") from exc

    async def _post(self, path: str, form: Mapping[str, str | list[str]]) -> Any:
        """Form-encoded, as the spec says; a client error is a refusal, anything else an outage."""
        try:
            response = await self._client.post(f"{self._base_url}/{path}", data=form)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(self.system, f"POST {path}: {_without_key(exc)}") from exc
        if response.is_client_error and response.status_code not in _TRANSIENT_CLIENT_ERRORS:
            raise SourceRejected(self.system, _error_description(response))
        try:
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"POST {path}: {_without_key(exc)}") from exc


def reference_line(reference: str) -> str:
    """What a report's description ends with on a server without `external_reference`: our reference,
    which the contractor's staff can quote back, a retry finds, and a reader of the request gets back."""
    return f"(customer360 reference {reference})"


_REFERENCE_LINE = re.compile(r"\n*\(customer360 reference (C360-[A-Z0-9]+)\)\s*$")


def _split_reference_line(description: str) -> tuple[str | None, str | None]:
    """The resident's description and our reference, from a description that ends with `reference_line`."""
    match = _REFERENCE_LINE.search(description)
    if match is None:
        return description, None
    return description[: match.start()] or None, match[1]


def _has_metadata(item: Mapping[str, Any]) -> bool:
    # JSON servers answer a boolean; some answer the XML's text, "true" or "false".
    return item.get("metadata") in (True, "true")


def _plain_history(
    submitted_at: datetime, updated_at: datetime, status: RequestStatus, notes: str | None
) -> tuple[RequestEvent, ...]:
    """What a request without the history extension shows: its filing, and its status now if it moved on."""
    received = RequestEvent(submitted_at, "Report received", RequestStatus.SUBMITTED, SourceSystem.STREET_SCENE)
    if updated_at <= submitted_at:
        return (received,)
    return (received, RequestEvent(updated_at, notes or "Status updated", status, SourceSystem.STREET_SCENE))


def _within(item: Mapping[str, Any], latitude: float, longitude: float, radius_metres: int) -> bool:
    if item.get("lat") is None or item.get("long") is None:
        return False
    return distance_metres(latitude, longitude, float(item["lat"]), float(item["long"])) <= radius_metres


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without_key(exc: Exception) -> str:
    """An error's words without its URL's query (a key a server wants in the query, a reporter id): for
    every httpx error, whose message may quote the URL, not only an error status."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.response.status_code} from {exc.request.url.copy_with(query=None)}"
    words = repr(exc)
    try:
        url = exc.request.url if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:  # an error raised with no request attached
        url = None
    if url is not None and url.query:
        words = words.replace(str(url), str(url.copy_with(query=None)))
        words = words.replace(url.query.decode("ascii", "replace"), "[query left out]")
    return words


def _shape(answer: Any) -> str:
    """What an answer looked like, without its values."""
    if isinstance(answer, list):
        return f"a list of {len(answer)}" + (f", the first {_shape(answer[0])}" if answer else "")
    if isinstance(answer, dict):
        return f"an object with keys {sorted(str(key) for key in answer)}"
    return f"a {type(answer).__name__}"


def _submission_form(
    submission: StreetReportSubmission, api_key: str, with_reference: bool
) -> dict[str, str | list[str]]:
    optional = {
        "address_string": submission.address,
        "address_id": submission.uprn,
        "account_id": submission.account_id,
        "email": submission.email,
        "first_name": submission.first_name,
        "last_name": submission.last_name,
        "api_key": api_key,
        "media_url": submission.media_url,
    }
    description = submission.description
    if not with_reference:
        description = f"{description}\n\n{reference_line(submission.external_reference)}"
    form: dict[str, str | list[str]] = {
        "service_code": submission.service_code,
        "description": description,
        "lat": str(submission.latitude),
        "long": str(submission.longitude),
        **{name: value for name, value in optional.items() if value},
    }
    if with_reference:
        form["external_reference"] = submission.external_reference
    for answer in submission.attributes:
        if answer.is_list:  # the spec's form for a multivaluelist: one `attribute[CODE][]` per choice
            form[f"attribute[{answer.code}][]"] = list(answer.values)
        else:
            form[f"attribute[{answer.code}]"] = answer.values[0]
    return form


def _error_description(response: httpx.Response) -> str:
    """The spec's error list, `[{"code": 400, "description": ...}]`, as one line; else the raw text."""
    try:
        return "; ".join(str(error["description"]) for error in response.json())
    except (ValueError, LookupError, TypeError):
        return f"{response.status_code} {response.text[:200]}"


def _service(item: Mapping[str, Any], attributes: tuple[ServiceAttributeRecord, ...]) -> ServiceDefinitionRecord:
    return ServiceDefinitionRecord(
        code=item["service_code"],
        name=item["service_name"],
        group=item.get("group") or "",
        description=item.get("description"),
        attributes=attributes,
    )


def _attributes(definition: Mapping[str, Any]) -> tuple[ServiceAttributeRecord, ...]:
    ordered = sorted(definition.get("attributes", ()), key=lambda attribute: attribute.get("order", 0))
    return tuple(
        ServiceAttributeRecord(
            code=attribute["code"],
            description=attribute["description"],
            datatype=attribute["datatype"],
            required=bool(attribute["required"]),
            values=tuple(value["key"] for value in attribute["values"]) if attribute.get("values") else None,
        )
        for attribute in ordered
        if attribute.get("variable", True)  # variable=false is an informational note, not a question
    )


def _location(item: Mapping[str, Any]) -> Location | None:
    if item.get("lat") is None or item.get("long") is None:
        return None
    return Location(
        latitude=float(item["lat"]),
        longitude=float(item["long"]),
        address=item.get("address"),
        uprn=item.get("address_id"),
    )


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
