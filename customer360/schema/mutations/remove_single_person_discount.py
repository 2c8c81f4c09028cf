"""removeSinglePersonDiscount: another adult moved in (or the resident is leaving): end it on a date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import discounts as command
from customer360.domain.council_tax import DiscountStatus
from customer360.domain.discounts import current_single_person_discount
from customer360.domain.problems import Problem
from customer360.resolvers.context import Context
from customer360.resolvers.own_account import account_now, discount_after, own_account
from customer360.schema.council_tax import Discount
from customer360.schema.values import UserError, user_errors


@strawberry.input
class RemoveSinglePersonDiscountInput:
    account_reference: str
    ends_on: date
    reason: str | None = None


@strawberry.type
class RemoveSinglePersonDiscountPayload:
    discount: Discount | None
    user_errors: list[UserError]


async def remove_single_person_discount(
    info: Info[Context, Any], input: RemoveSinglePersonDiscountInput
) -> RemoveSinglePersonDiscountPayload:
    context = info.context
    account = await own_account(info, input.account_reference)
    if isinstance(account, Problem):
        return RemoveSinglePersonDiscountPayload(discount=None, user_errors=user_errors([account]))
    current = current_single_person_discount(account)
    outcome = await command.remove_single_person_discount(
        context.principal,
        account,
        account_now(info, account.reference),
        context.services.writes,
        command.EndDiscount(input.ends_on, input.reason, context.today),
    )
    if isinstance(outcome, list):
        return RemoveSinglePersonDiscountPayload(discount=None, user_errors=user_errors(outcome))
    assert current is not None  # removal_problems refuses an account with nothing to end
    as_requested = replace(current, status=DiscountStatus.ENDED, ends_on=input.ends_on)
    discount = await discount_after(info, outcome, as_requested)
    return RemoveSinglePersonDiscountPayload(discount=Discount.from_record(discount), user_errors=[])
