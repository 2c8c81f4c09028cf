"""What customer360 needs from the housing back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.housing import HousingApplicationRecord, NewHousingApplication, TenancyRecord
from customer360.domain.moving import MoveNotice
from customer360.domain.people import NewContact
from customer360.sources.ports import PeopleSource


class HousingSource(PeopleSource, Protocol):
    async def applications_by_applicant(
        self, applicant_ids: Sequence[str]
    ) -> Mapping[str, list[HousingApplicationRecord]]: ...

    async def tenancies_by_applicant(self, applicant_ids: Sequence[str]) -> Mapping[str, list[TenancyRecord]]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def create_applicant(self, contact: NewContact) -> str: ...

    # Answers the housing register reference (SUBMITTED, not yet banded).
    async def create_application(self, application: NewHousingApplication) -> str: ...

    async def record_address_change(self, notice: MoveNotice) -> str: ...
