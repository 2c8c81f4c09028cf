"""cancelDirectDebit: stop the Direct Debit on a Council Tax or rent account."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import direct_debit as command
from customer360.domain.direct_debit import DirectDebitStatus
from customer360.domain.problems import Problem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.direct_debits import instructions_now, owned_account
from customer360.schema.direct_debit import DirectDebitInstruction
from customer360.schema.values import UserError, user_errors


@strawberry.input
class CancelDirectDebitInput:
    account_reference: str = strawberry.field(description="The Council Tax account or tenancy it pays.")


@strawberry.type
class CancelDirectDebitPayload:
    direct_debit: DirectDebitInstruction | None = strawberry.field(description="The instruction, now CANCELLED.")
    user_errors: list[UserError]


async def cancel_direct_debit(info: Info[Context, Any], input: CancelDirectDebitInput) -> CancelDirectDebitPayload:
    context = info.context
    account = await owned_account(info, input.account_reference)
    if isinstance(account, Problem):
        return CancelDirectDebitPayload(direct_debit=None, user_errors=user_errors([account]))
    outcome = await command.cancel_direct_debit(
        context.principal,
        await me(info),
        account,
        instructions_now(info, account),
        context.services.writes,
        context.today,
    )
    if isinstance(outcome, list):
        return CancelDirectDebitPayload(direct_debit=None, user_errors=user_errors(outcome))
    _, instruction = outcome
    cancelled = replace(instruction, status=DirectDebitStatus.CANCELLED)
    return CancelDirectDebitPayload(direct_debit=DirectDebitInstruction.from_record(cancelled), user_errors=[])
