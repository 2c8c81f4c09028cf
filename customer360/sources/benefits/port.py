"""What customer360 needs from the benefits back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.moving import MoveNotice
from customer360.sources.ports import PeopleSource


class BenefitsSource(PeopleSource, Protocol):
    async def claims_by_claimant(self, claimant_ids: Sequence[str]) -> Mapping[str, list[BenefitClaimRecord]]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    # A change of circumstances: the claimant's new address; answers the change's id.
    async def record_address_change(self, notice: MoveNotice) -> str: ...
