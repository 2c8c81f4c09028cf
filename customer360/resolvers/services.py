"""The service catalogue: Open311 services from street scene plus the CRM's own services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from strawberry.types import Info

from customer360.domain.services import DefinedService, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.sources import crm, street_scene
from customer360.sources.errors import SourceUnavailable

# Back offices whose deliveries check the service definition again before sending (commands/report_issue.py),
# so a report validated against their list as last seen, while they are down, is never sent unchecked.
CHECKED_ON_DELIVERY = frozenset({SourceSystem.STREET_SCENE})


@dataclass(frozen=True)
class Catalogue:
    services: list[ServiceDefinitionRecord]
    unavailable: list[SourceUnavailable]  # back offices whose services could not be listed live
    defined: dict[str, DefinedService]  # the staff-defined ones among them, with fee, route, version


async def catalogue(context: Context, *, for_report: bool = False) -> Catalogue:
    """Every service, each tagged with the back office a report of it goes to; cached per source.

    `for_report`: a back office in `CHECKED_ON_DELIVERY` that cannot list its services is answered
    from its list as last seen (within `C360_CACHE_STALE_SECONDS`), so a report to it is kept while
    it is down instead of refused; it still counts as unavailable, so an unknown code is not called
    unknown on an old list."""

    async def one(
        namespace: str, fetch: Callable[[], Awaitable[Sequence[ServiceDefinitionRecord]]], system: SourceSystem
    ) -> list[ServiceDefinitionRecord] | SourceUnavailable:
        async def all_services(_keys: list[str]) -> Mapping[str, list[ServiceDefinitionRecord]]:
            listed = [replace(service, system=system) for service in await fetch()]
            # Every list is remembered (the report names services from these); only those checked again
            # on delivery stand in for a live list while their back office is down (`_last_seen`).
            await context.services.listed_services.remember(system, listed)
            return {"all": listed}

        try:
            # Shared: residents asking at once (a report each) cost the back office one catalogue read.
            (found,) = await context.services.cache.get_many(
                namespace, ["all"], all_services, list, context.loaders.stale, shared=True
            )
        except SourceUnavailable as error:
            return error
        return cast(list[ServiceDefinitionRecord], found)

    answers = await asyncio.gather(
        one(street_scene.SERVICES, context.services.sources.street_scene.services, SourceSystem.STREET_SCENE),
        one(crm.SERVICES, context.services.sources.crm.services, SourceSystem.CRM),
    )
    unavailable = [answer for answer in answers if isinstance(answer, SourceUnavailable)]
    last_seen = await _last_seen(context, unavailable) if for_report else {}
    defined = {service.definition.code: service for service in await context.services.service_definitions.live()}
    services = [service for answer in answers if isinstance(answer, list) for service in answer]
    services += [service for listed in last_seen.values() for service in listed]
    # A back office's own service wins over a defined one of the same code (defineService refuses those).
    known = {service.code for service in services}
    services += [service.definition for code, service in defined.items() if code not in known]
    return Catalogue(
        services=sorted(services, key=lambda s: (s.group, s.name)),
        unavailable=unavailable,
        defined={code: service for code, service in defined.items() if code not in known},
    )


async def _last_seen(
    context: Context, unavailable: Sequence[SourceUnavailable]
) -> Mapping[SourceSystem, list[ServiceDefinitionRecord]]:
    systems = [SourceSystem(error.system) for error in unavailable if error.system in CHECKED_ON_DELIVERY]
    return await context.services.listed_services.last_seen(systems)


async def services(info: Info[Context, Any]) -> Catalogue:
    found = await catalogue(info.context)
    for error in found.unavailable:
        info.context.report_unavailable(info, error)
    return found
