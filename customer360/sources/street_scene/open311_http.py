"""Street scene: an Open311 GeoReport v2 endpoint (JSON format), read with httpx.

Uses extensions of the spec (see `customer360.demo.open311_app`): `account_id` on `requests.json`,
which takes many reporter ids so one call answers for a whole batch; `reporters.json`, the people
feed; `external_reference` on a new request, so a retried post files nothing twice; and the `lat`,
`long`, `radius` search. Each request's `history` extension becomes its events.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from customer360.domain.people import PersonRecord
from customer360.domain.reporting import StreetReportReceipt, StreetReportSubmission
from customer360.domain.requests import (
    OPEN311_STATUS,
    Location,
    RequestEvent,
    ServiceRequestRecord,
)
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.instrumented import GuardedAdapter, guarded

# Client errors that mean "not now" rather than "never": retried later like an outage.
_TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})


class Open311Http(GuardedAdapter):
    """Implements `StreetSceneSource` over HTTP; the client is injected so tests can hand it any transport."""

    system = SourceSystem.STREET_SCENE

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")

    @guarded
    async def ping(self) -> None:
        await self._get("services.json")

    @guarded
    async def person_records(self) -> Sequence[PersonRecord]:
        return [
            PersonRecord(
                system=self.system,
                record_id=item["reporter_id"],
                forenames=item["first_name"],
                surname=item["last_name"],
                email=item.get("email"),
                phone=item.get("phone"),
            )
            for item in await self._get("reporters.json")
        ]

    @guarded
    async def services(self) -> Sequence[ServiceDefinitionRecord]:
        listed = await self._get("services.json")
        # GeoReport v2 has no batch definition call; services are few and `metadata` says which have attributes.
        definitions = await asyncio.gather(
            *(self._get(f"services/{item['service_code']}.json") for item in listed if item.get("metadata"))
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
        return _service(item, _attributes(await self._get(f"services/{code}.json")) if item.get("metadata") else ())

    @guarded
    async def requests_by_reporter(self, reporter_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]:
        by_reporter: dict[str, list[ServiceRequestRecord]] = defaultdict(list)
        if not reporter_ids:
            return by_reporter
        for item in await self._get("requests.json", {"account_id": ",".join(reporter_ids)}):
            by_reporter[item["account_id"]].append(self._request_record(item))
        return by_reporter

    @guarded
    async def requests_near(
        self, latitude: float, longitude: float, radius_metres: int, service_code: str | None
    ) -> list[ServiceRequestRecord]:
        params = {"lat": str(latitude), "long": str(longitude), "radius": str(radius_metres)}
        if service_code:
            params["service_code"] = service_code
        return [self._request_record(item) for item in await self._get("requests.json", params)]

    @guarded
    async def submit_request(self, submission: StreetReportSubmission) -> StreetReportReceipt:
        """Files a report and answers its `service_request_id` and the reporter it was filed under.

        Raises `SourceRejected` when the back office refuses it for good, `SourceUnavailable` when it
        could not be reached; a retry is safe even if the first post got through, thanks to
        `external_reference`.
        """
        answer = await self._post("requests.json", _submission_form(submission))
        try:
            receipt = answer[0]
            return StreetReportReceipt(str(receipt["service_request_id"]), receipt.get("account_id"))
        except (LookupError, TypeError) as exc:
            raise SourceUnavailable(
                self.system, f"POST requests.json answered no service_request_id: {answer!r}"
            ) from exc

    def _request_record(self, item: Mapping[str, Any]) -> ServiceRequestRecord:
        return ServiceRequestRecord(
            system=self.system,
            reference=item["service_request_id"],
            owner_record_id=item.get("account_id"),
            service_code=item["service_code"],
            # `service_name` is optional in the spec; the code is the only name left then.
            service_name=item.get("service_name") or item["service_code"],
            status=OPEN311_STATUS[item["status"]],
            status_notes=item.get("status_notes"),
            description=item.get("description"),
            submitted_at=datetime.fromisoformat(item["requested_datetime"]),
            updated_at=datetime.fromisoformat(item["updated_datetime"]),
            expected_by=_optional_time(item.get("expected_datetime")),
            location=_location(item),
            history=tuple(
                RequestEvent(
                    at=datetime.fromisoformat(event["at"]),
                    description=event["description"],
                    status=OPEN311_STATUS.get(event.get("status", "")),
                    system=self.system,
                )
                for event in item.get("history", ())
            ),
            external_reference=item.get("external_reference"),
        )

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON answer; whatever keeps us from it means the back office is unavailable."""
        try:
            response = await self._client.get(f"{self._base_url}/{path}", params=params)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET {path}: {exc!r}") from exc

    async def _post(self, path: str, form: Mapping[str, str | list[str]]) -> Any:
        """Form-encoded, as the spec says; a client error is a refusal, anything else an outage."""
        try:
            response = await self._client.post(f"{self._base_url}/{path}", data=form)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(self.system, f"POST {path}: {exc!r}") from exc
        if response.is_client_error and response.status_code not in _TRANSIENT_CLIENT_ERRORS:
            raise SourceRejected(self.system, _error_description(response))
        try:
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"POST {path}: {exc!r}") from exc


def _submission_form(submission: StreetReportSubmission) -> dict[str, str | list[str]]:
    optional = {
        "address_string": submission.address,
        "address_id": submission.uprn,
        "account_id": submission.account_id,
        "email": submission.email,
        "first_name": submission.first_name,
        "last_name": submission.last_name,
    }
    form: dict[str, str | list[str]] = {
        "service_code": submission.service_code,
        "description": submission.description,
        "lat": str(submission.latitude),
        "long": str(submission.longitude),
        "external_reference": submission.external_reference,
        **{name: value for name, value in optional.items() if value},
    }
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
