"""What customer360 needs from the housing management system (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.direct_debit import DirectDebitCancellation, NewDirectDebit
from customer360.domain.payments import PaymentPosting
from customer360.domain.repairs import NewRepair
from customer360.domain.tenancies import CouncilTenancyRecord
from customer360.sources.ports import PeopleSource


class HousingManagementSource(PeopleSource, Protocol):
    async def tenancies_by_tenant(self, tenant_ids: Sequence[str]) -> Mapping[str, list[CouncilTenancyRecord]]: ...

    # Whose each tenancy is (tenancy reference -> tenant id): a tenancy found by its reference is checked
    # against its tenant's golden record before anything of it is read.
    async def tenants_of(self, tenancy_refs: Sequence[str]) -> Mapping[str, str]: ...

    # Which tenancy each repair is on (the housing team's reference or the C360- one it was reported
    # under -> tenancy reference): a repair found by its reference is checked as its tenancy is.
    async def tenancies_of_repairs(self, references: Sequence[str]) -> Mapping[str, str]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    # Answers the repair's own reference.
    async def record_repair(self, repair: NewRepair) -> str: ...

    # A payment credited to the rent account once; answers the transaction's reference.
    async def post_rent_payment(self, posting: PaymentPosting) -> str: ...

    # A Direct Debit instruction on a rent account (collected monthly on its payment day), and cancelled;
    # each answers the instruction's reference in HOUSING_MANAGEMENT.
    async def set_up_direct_debit(self, instruction: NewDirectDebit) -> str: ...

    async def cancel_direct_debit(self, cancellation: DirectDebitCancellation) -> str: ...
