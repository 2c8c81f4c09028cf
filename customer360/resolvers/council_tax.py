"""Council Tax accounts, instalments, statements and discounts for a customer."""

from __future__ import annotations

from datetime import date
from typing import Any

from strawberry.types import Info

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountRecord,
    Instalment,
    Statement,
    instalments_with_status,
    latest_statement,
    paid_towards_instalments,
)
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_from


async def accounts(info: Info[Context, Any], customer_id: str) -> list[CouncilTaxAccountRecord]:
    return await gather_from(
        info, customer_id, SourceSystem.REVENUES, info.context.loaders.council_tax_accounts_by_party.load_many
    )


async def discounts(info: Info[Context, Any], customer_id: str) -> list[DiscountRecord]:
    return [discount for account in await accounts(info, customer_id) for discount in account.discounts]


def instalments(account: CouncilTaxAccountRecord, today: date) -> list[Instalment]:
    return instalments_with_status(account.schedule, paid_towards_instalments(account.transactions), today)


def statement(account: CouncilTaxAccountRecord, today: date) -> Statement | None:
    return latest_statement(account, today)
