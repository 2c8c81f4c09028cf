"""What customer360 needs from the street scene back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.reporting import StreetReportReceipt, StreetReportSubmission
from customer360.domain.requests import ServiceRequestRecord
from customer360.domain.services import ServiceDefinitionRecord
from customer360.sources.ports import PeopleSource


class StreetSceneSource(PeopleSource, Protocol):
    """An Open311 GeoReport v2 endpoint."""

    async def services(self) -> Sequence[ServiceDefinitionRecord]: ...

    # Read live, never cached: a delivery checks the report still fits what the back office asks now.
    async def service(self, code: str) -> ServiceDefinitionRecord | None: ...

    # Empty when the server has no `account_id` extension: the requests are then found by id.
    async def requests_by_reporter(self, reporter_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]: ...

    # The standard's batch read, by the back office's ids the gateway kept when it filed each report.
    async def requests_by_id(self, request_ids: Sequence[str]) -> Mapping[str, ServiceRequestRecord]: ...

    async def requests_near(
        self, latitude: float, longitude: float, radius_metres: int, service_code: str | None
    ) -> list[ServiceRequestRecord]: ...

    # Idempotent by the submission's external (customer360) reference (`external_reference`, or the reference
    # in its description on a plain server); answers the back office's request id.
    # Raises `SourceRejected` (refused for good: do not retry) or `SourceUnavailable` (retry later).
    async def submit_request(self, submission: StreetReportSubmission) -> StreetReportReceipt: ...
