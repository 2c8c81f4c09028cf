"""applySinglePersonDiscount: the liable resident says they live alone; 25% off from a start date."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import discounts as command
from customer360.domain.discounts import KnownAdult
from customer360.domain.problems import Problem
from customer360.resolvers.context import Context
from customer360.resolvers.council_tax import discount_not_yet_in_revenues, people_at_home
from customer360.resolvers.own_account import account_now, discount_after, own_account
from customer360.schema.council_tax import Discount
from customer360.schema.values import UserError, user_errors


@strawberry.input
class ApplySinglePersonDiscountInput:
    account_reference: str
    starts_on: date
    declaration: bool = strawberry.field(description="I am the only adult (18 or over) living at the property.")


@strawberry.type
class ApplySinglePersonDiscountPayload:
    discount: Discount | None
    user_errors: list[UserError]


async def apply_single_person_discount(
    info: Info[Context, Any], input: ApplySinglePersonDiscountInput
) -> ApplySinglePersonDiscountPayload:
    context = info.context
    account = await own_account(info, input.account_reference)
    if isinstance(account, Problem):
        return ApplySinglePersonDiscountPayload(discount=None, user_errors=user_errors([account]))
    assert context.principal.customer_id is not None  # own_account answered an account
    claims, tenancies, unchecked = await people_at_home(info, context.principal.customer_id)
    adults = command.known_adults(account, claims, tenancies, input.starts_on)
    # A system we could not ask might know of another adult: the council checks before granting.
    adults += [
        KnownAdult(f"{system.value.lower()} records could not be checked just now", None) for system in unchecked
    ]
    outcome = await command.apply_single_person_discount(
        context.principal,
        account,
        account_now(info, account.reference),
        adults,
        context.services.writes,
        command.ApplyForDiscount(input.starts_on, input.declaration, context.today),
    )
    if isinstance(outcome, list):
        return ApplySinglePersonDiscountPayload(discount=None, user_errors=user_errors(outcome))
    as_requested = discount_not_yet_in_revenues(outcome)
    discount = await discount_after(info, outcome, as_requested)
    return ApplySinglePersonDiscountPayload(discount=Discount.from_record(discount), user_errors=[])
