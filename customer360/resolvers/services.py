"""The service catalogue: Open311 services from street scene plus the CRM's own services."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from strawberry.types import Info

from customer360.cache.namespaces import CRM_SERVICES, STREET_SCENE_SERVICES
from customer360.domain.services import ServiceDefinitionRecord
from customer360.resolvers.context import Context, or_unavailable


async def services(info: Info[Context, Any]) -> list[ServiceDefinitionRecord]:
    context = info.context

    async def catalogue(namespace: str, fetch: Any) -> list[ServiceDefinitionRecord]:
        async def all_services(_keys: list[str]) -> Mapping[str, list[ServiceDefinitionRecord]]:
            return {"all": list(await fetch())}

        (found,) = await context.cache.get_many(namespace, ["all"], all_services, list)
        return cast(list[ServiceDefinitionRecord], found)

    street, crm = await asyncio.gather(
        or_unavailable(info, catalogue(STREET_SCENE_SERVICES, context.sources.street_scene.services), []),
        or_unavailable(info, catalogue(CRM_SERVICES, context.sources.crm.services), []),
    )
    return sorted([*street, *crm], key=lambda s: (s.group, s.name))
