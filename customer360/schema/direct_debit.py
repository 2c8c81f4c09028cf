"""A Direct Debit instruction on a Council Tax or rent account, as a resident or staff may see it."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.commands.direct_debit import instructions_in_view
from customer360.domain.direct_debit import GUARANTEE, DirectDebitRecord, DirectDebitStatus, masked_account
from customer360.domain.systems import SourceSystem
from customer360.resolvers import direct_debits
from customer360.resolvers.context import Context

strawberry.enum(
    DirectDebitStatus,
    description="PENDING: taken, not yet lodged by the office. REJECTED: the payer's bank refused it (see `reason`).",
)


@strawberry.type(
    description="Bank details are never shown in full: the sort code's last 2 digits, the account's last 4."
)
class DirectDebitInstruction:
    reference: str = strawberry.field(description="customer360's reference, given when it was set up.")
    account_reference: str = strawberry.field(description="The Council Tax account or tenancy it pays.")
    system: SourceSystem = strawberry.field(description="REVENUES (Council Tax) or HOUSING_MANAGEMENT (rent).")
    account_holder_name: str
    sort_code: str = strawberry.field(description='Masked, e.g. "••-••-56".')
    account_number: str = strawberry.field(description='Masked, e.g. "••••5678".')
    payment_day: int = strawberry.field(description="The day of the month it collects on.")
    status: DirectDebitStatus
    reason: str | None = strawberry.field(description="Why the bank refused it (REJECTED only).")
    set_up_on: date
    first_collection_on: date | None = strawberry.field(
        description="The first collection on the new day (after the Guarantee's 10 working days' notice)."
    )
    guarantee: list[str] = strawberry.field(description="The Direct Debit Guarantee, paragraph by paragraph.")

    @classmethod
    def from_record(cls, record: DirectDebitRecord) -> Self:
        return cls(
            reference=record.reference,
            account_reference=record.account_reference,
            system=record.system,
            account_holder_name=record.account_holder_name,
            sort_code=record.sort_code,
            account_number=masked_account(record.account_ending) if record.account_ending else "",
            payment_day=record.payment_day,
            status=record.status,
            reason=record.reason,
            set_up_on=record.set_up_on,
            first_collection_on=record.first_collection_on,
            guarantee=list(GUARANTEE),
        )


async def direct_debits_of(info: Info[Context, Any], customer_id: str) -> list[DirectDebitInstruction]:
    """The customer's instructions: each office's, and those kept but not there yet. Newest first."""
    kept = await info.context.loaders.submissions.load(customer_id)
    shown = direct_debits.may_see(
        info, customer_id, instructions_in_view(await direct_debits.held(info, customer_id), kept)
    )
    return [DirectDebitInstruction.from_record(instruction) for instruction in shown]
