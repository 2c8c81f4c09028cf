"""What customer360 needs from the housing management system (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.tenancies import CouncilTenancyRecord
from customer360.sources.ports import PeopleSource


class HousingManagementSource(PeopleSource, Protocol):
    async def tenancies_by_tenant(self, tenant_ids: Sequence[str]) -> Mapping[str, list[CouncilTenancyRecord]]: ...
