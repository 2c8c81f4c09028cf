"""setUpDirectDebit: pay a Council Tax or rent account by Direct Debit on a chosen day of the month."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import direct_debit as command
from customer360.domain.direct_debit import DirectDebitRecord, OwnedAccount
from customer360.domain.problems import Problem
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import Submission
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.direct_debits import instructions_now, owned_account
from customer360.schema.direct_debit import DirectDebitInstruction
from customer360.schema.values import UserError, user_errors

log = logging.getLogger("customer360.writes")


@strawberry.input
class SetUpDirectDebitInput:
    account_reference: str = strawberry.field(description="Your Council Tax account or tenancy reference.")
    account_holder_name: str
    sort_code: str = strawberry.field(description='6 digits; "12-34-56" and "12 34 56" are taken too.')
    account_number: str = strawberry.field(description="8 digits (6 or 7 are taken, left-padded with zeros).")
    payment_day: int = strawberry.field(description="The day of the month to collect on, from those offered.")
    declaration: bool = strawberry.field(
        description="I am the account holder and the only person needed to authorise debits from this account."
    )


@strawberry.type
class SetUpDirectDebitPayload:
    direct_debit: DirectDebitInstruction | None
    user_errors: list[UserError]


async def set_up_direct_debit(info: Info[Context, Any], input: SetUpDirectDebitInput) -> SetUpDirectDebitPayload:
    context = info.context
    account = await owned_account(info, input.account_reference)
    if isinstance(account, Problem):
        return SetUpDirectDebitPayload(direct_debit=None, user_errors=user_errors([account]))
    outcome = await command.set_up_direct_debit(
        context.principal,
        await me(info),
        account,
        instructions_now(info, account),
        context.services.writes,
        command.SetUpDirectDebit(
            account_holder_name=input.account_holder_name,
            sort_code=input.sort_code,
            account_number=input.account_number,
            payment_day=input.payment_day,
            declaration=input.declaration,
            today=context.today,
        ),
    )
    if isinstance(outcome, list):
        return SetUpDirectDebitPayload(direct_debit=None, user_errors=user_errors(outcome))
    return SetUpDirectDebitPayload(
        direct_debit=DirectDebitInstruction.from_record(await instruction_after(info, account, outcome)),
        user_errors=[],
    )


async def instruction_after(
    info: Info[Context, Any], account: OwnedAccount, submission: Submission
) -> DirectDebitRecord:
    """The instruction as its office holds it now (ACTIVE or REJECTED); until it has it, as kept (PENDING)."""
    kept = command.instruction_as_kept(submission)
    if submission.delivery_state is not DeliveryState.DELIVERED:
        return kept
    try:
        held = await instructions_now(info, account)()
    except Exception as error:  # the instruction is kept already: a failed re-read must not answer an error
        log.warning("direct debit %s kept; reading it back failed (%s)", submission.reference, type(error).__name__)
        return kept
    found = [] if isinstance(held, Problem) else [i for i in held if i.reference == submission.reference]
    return found[0] if found else kept
