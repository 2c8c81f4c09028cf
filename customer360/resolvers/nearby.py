"""nearbyRequests: what is already reported near a place, so residents need not report it again."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.domain.reporting import resolve_location
from customer360.domain.requests import ServiceRequestRecord
from customer360.resolvers.context import Context, or_unavailable

MAX_RADIUS_METRES = 2000


class InvalidSearch(ValueError):
    """A nearby search we will not run; the message says why."""


async def nearby_requests(
    info: Info[Context, Any],
    latitude: float | None,
    longitude: float | None,
    uprn: str | None,
    radius_metres: int,
    service_code: str | None,
) -> list[ServiceRequestRecord]:
    if not 1 <= radius_metres <= MAX_RADIUS_METRES:
        raise InvalidSearch(f"radiusMetres must be between 1 and {MAX_RADIUS_METRES}")
    position, problems = resolve_location(latitude, longitude, uprn, info.context.services.locate_uprn)
    if position is None:
        raise InvalidSearch("; ".join(problem.message for problem in problems))
    street_scene = info.context.services.sources.street_scene
    found = await or_unavailable(
        info, street_scene.requests_near(position[0], position[1], radius_metres, service_code), []
    )
    # Public: another resident's report is shown without who made it.
    return [
        ServiceRequestRecord(
            system=request.system,
            reference=request.reference,
            owner_record_id=None,
            service_code=request.service_code,
            service_name=request.service_name,
            status=request.status,
            submitted_at=request.submitted_at,
            updated_at=request.updated_at,
            description=request.description,
            status_notes=request.status_notes,
            expected_by=request.expected_by,
            location=request.location,
            history=request.history,
            external_reference=request.external_reference,  # the reference its reporter was given
        )
        for request in found
    ]
