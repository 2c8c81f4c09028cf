"""The service catalogue: Open311 services from street scene plus the CRM's own services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from strawberry.types import Info

from customer360.cache.namespaces import CRM_SERVICES, STREET_SCENE_SERVICES
from customer360.domain.services import DefinedService, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.sources.errors import SourceUnavailable


@dataclass(frozen=True)
class Catalogue:
    services: list[ServiceDefinitionRecord]
    unavailable: list[SourceUnavailable]  # back offices whose services could not be listed
    defined: dict[str, DefinedService]  # the staff-defined ones among them, with fee, route, version


async def catalogue(context: Context) -> Catalogue:
    """Every service, each tagged with the back office a report of it goes to; cached per source."""

    async def one(
        namespace: str, fetch: Callable[[], Awaitable[Sequence[ServiceDefinitionRecord]]], system: SourceSystem
    ) -> list[ServiceDefinitionRecord] | SourceUnavailable:
        async def all_services(_keys: list[str]) -> Mapping[str, list[ServiceDefinitionRecord]]:
            return {"all": [replace(service, system=system) for service in await fetch()]}

        try:
            (found,) = await context.cache.get_many(namespace, ["all"], all_services, list, context.loaders.stale)
        except SourceUnavailable as error:
            return error
        return cast(list[ServiceDefinitionRecord], found)

    answers = await asyncio.gather(
        one(STREET_SCENE_SERVICES, context.sources.street_scene.services, SourceSystem.STREET_SCENE),
        one(CRM_SERVICES, context.sources.crm.services, SourceSystem.CRM),
    )
    defined = {service.definition.code: service for service in await context.defined_services.live()}
    services = [service for answer in answers if isinstance(answer, list) for service in answer]
    # A back office's own service wins over a defined one of the same code (defineService refuses those).
    known = {service.code for service in services}
    services += [service.definition for code, service in defined.items() if code not in known]
    return Catalogue(
        services=sorted(services, key=lambda s: (s.group, s.name)),
        unavailable=[answer for answer in answers if isinstance(answer, SourceUnavailable)],
        defined={code: service for code, service in defined.items() if code not in known},
    )


async def services(info: Info[Context, Any]) -> Catalogue:
    found = await catalogue(info.context)
    for error in found.unavailable:
        info.context.report_unavailable(info, error)
    return found
