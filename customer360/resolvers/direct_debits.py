"""The account a Direct Debit is for (the resident's own Council Tax or rent account), and the
instructions each office holds: read for setUpDirectDebit, cancelDirectDebit and `Customer.directDebits`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from customer360.auth.policy import can_see_records_of
from customer360.domain.accounts_held import liable_on
from customer360.domain.direct_debit import DirectDebitRecord, OwnedAccount
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.systems import SourceSystem
from customer360.resolvers import afresh, council_tax, tenancies
from customer360.resolvers.context import Context
from customer360.resolvers.council_tax import liable_account
from customer360.resolvers.own_account import own_account_as_last_seen
from customer360.sources.catalogue import BY_SYSTEM
from customer360.sources.errors import SourceUnavailable

ACCOUNT = ("input", "accountReference")
NOT_YOURS = Problem(
    ACCOUNT, CommonCode.NOT_FOUND, "We could not find a Council Tax or rent account in your name with that reference"
)
REVENUES_DOWN = Problem(
    ACCOUNT,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot reach Council Tax records right now; nothing was changed, please try again shortly",
)


async def owned_account(info: Info[Context, Any], reference: str) -> OwnedAccount | Problem:
    """The resident's own account with this reference: a Council Tax account (REVENUES) or a tenancy's
    rent account (HOUSING_MANAGEMENT), whichever the reference is. Another's is not found (no probing)."""
    wanted = reference.strip().upper()
    revenues_down = False
    try:
        account = await liable_account(info, wanted)
    except SourceUnavailable:
        account, revenues_down = None, True
    if account is not None:
        return OwnedAccount(SourceSystem.REVENUES, account.reference, account.direct_debits)
    # REVENUES down: the Council Tax account as it last showed it (the instruction is kept, and checked
    # again on delivery), as HOUSING_MANAGEMENT's tenancies below. Unknown only if it never showed the
    # resident's accounts: once it has, a reference not among them is not theirs (or is a tenancy).
    revenues_unknown = False
    if revenues_down:
        seen_in_revenues = await own_account_as_last_seen(info, wanted)
        if not isinstance(seen_in_revenues, Problem):
            if not liable_on(seen_in_revenues, info.context.today):
                return REVENUES_DOWN  # a liability shown ended: whether REVENUES would take one is its to say
            return OwnedAccount(SourceSystem.REVENUES, seen_in_revenues.reference, (), as_last_seen=True)
        revenues_unknown = seen_in_revenues.code is CommonCode.SOURCE_UNAVAILABLE
    tenancy = await tenancies.own_tenancy(info, wanted)
    if not isinstance(tenancy, Problem):
        return OwnedAccount(SourceSystem.HOUSING_MANAGEMENT, tenancy.tenancy_ref, tenancy.direct_debits)
    if tenancy.code is CommonCode.SOURCE_UNAVAILABLE:
        # HOUSING_MANAGEMENT down: the tenancy as it last showed it (kept, and checked again on delivery).
        seen = await tenancies.own_tenancy_as_last_seen(info, wanted)
        if isinstance(seen, Problem):
            return (
                seen if seen.code is CommonCode.SOURCE_UNAVAILABLE else REVENUES_DOWN if revenues_unknown else NOT_YOURS
            )
        return OwnedAccount(SourceSystem.HOUSING_MANAGEMENT, seen.tenancy_ref, (), as_last_seen=True)
    return REVENUES_DOWN if revenues_unknown else NOT_YOURS


def instructions_now(
    info: Info[Context, Any], account: OwnedAccount
) -> Callable[[], Awaitable[tuple[DirectDebitRecord, ...] | Problem]]:
    """Reads the account's instructions afresh from its office (past the cache), for the check under its lock."""

    async def read() -> tuple[DirectDebitRecord, ...] | Problem:
        if account.system is SourceSystem.REVENUES:
            try:
                found = await afresh.council_tax_account(info, account.reference)
            except SourceUnavailable:
                return REVENUES_DOWN
            return found.direct_debits if found is not None else ()
        customer_id = info.context.principal.customer_id
        held = await afresh.tenancies(info, customer_id) if customer_id else []
        if isinstance(held, Problem):
            return Problem(ACCOUNT, held.code, held.message)
        return next((t.direct_debits for t in held if t.tenancy_ref == account.reference), ())

    return read


async def held(info: Info[Context, Any], customer_id: str) -> list[DirectDebitRecord]:
    """Every instruction the offices hold on the customer's accounts (an office down: its field error)."""
    on_council_tax = [i for a in await council_tax.accounts(info, customer_id) for i in a.direct_debits]
    on_rent = [i for t in await tenancies.tenancies(info, customer_id) for i in t.direct_debits]
    return [*on_council_tax, *on_rent]


def may_see(
    info: Info[Context, Any], customer_id: str, instructions: list[DirectDebitRecord]
) -> list[DirectDebitRecord]:
    """Only the instructions on accounts whose office lets the principal see them: one still on its way
    (kept here, not yet in its office) is held to the same rule as the office's own, so the revenues team
    never sees a pending rent instruction."""
    principal = info.context.principal
    return [i for i in instructions if can_see_records_of(principal, BY_SYSTEM[i.system], customer_id)]
