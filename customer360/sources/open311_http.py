"""Street scene: an Open311 GeoReport v2 endpoint (JSON format), read with httpx.

Uses two demo extensions of the spec (see `customer360.demo.open311_app`): `account_id` on
`requests.json`, which takes many reporter ids so one call answers for a whole batch, and
`reporters.json`, the people feed. Each request's `history` extension becomes its events.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from customer360.domain.people import PersonRecord
from customer360.domain.requests import (
    OPEN311_STATUS,
    Location,
    RequestEvent,
    ServiceRequestRecord,
)
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceUnavailable


class Open311Http:
    """Implements `StreetSceneSource` over HTTP; the client is injected so tests can hand it any transport."""

    system = SourceSystem.STREET_SCENE

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")

    async def ping(self) -> None:
        await self._get("services.json")

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

    async def services(self) -> Sequence[ServiceDefinitionRecord]:
        listed = await self._get("services.json")
        # GeoReport v2 has no batch definition call; services are few and `metadata` says which have attributes.
        definitions = await asyncio.gather(
            *(self._get(f"services/{item['service_code']}.json") for item in listed if item.get("metadata"))
        )
        attributes = {definition["service_code"]: _attributes(definition) for definition in definitions}
        return [
            ServiceDefinitionRecord(
                code=item["service_code"],
                name=item["service_name"],
                group=item.get("group") or "",
                description=item.get("description"),
                attributes=attributes.get(item["service_code"], ()),
            )
            for item in listed
        ]

    async def requests_by_reporter(self, reporter_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]:
        by_reporter: dict[str, list[ServiceRequestRecord]] = defaultdict(list)
        if not reporter_ids:
            return by_reporter
        for item in await self._get("requests.json", {"account_id": ",".join(reporter_ids)}):
            by_reporter[item["account_id"]].append(self._request_record(item))
        return by_reporter

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
        )

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON answer; whatever keeps us from it means the back office is unavailable."""
        try:
            response = await self._client.get(f"{self._base_url}/{path}", params=params)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET {path}: {exc!r}") from exc


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
