"""The account a discount mutation acts on: the signed-in resident's own, or a userError saying why not."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from customer360.domain.accounts_held import AccountHeld, shown
from customer360.domain.council_tax import CouncilTaxAccountRecord, DiscountRecord, as_of
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import Submission
from customer360.resolvers import afresh, council_tax
from customer360.resolvers.context import Context
from customer360.resolvers.council_tax import liable_account
from customer360.sources.errors import SourceUnavailable

log = logging.getLogger("customer360.writes")

NOT_YOURS = Problem(
    ("input", "accountReference"),
    CommonCode.NOT_FOUND,
    "We could not find a Council Tax account in your name with that reference",
)
REVENUES_DOWN = Problem(
    ("input", "accountReference"),
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot reach Council Tax records right now; nothing was changed, please try again shortly",
)


async def own_account(info: Info[Context, Any], reference: str) -> CouncilTaxAccountRecord | Problem:
    try:
        account = await liable_account(info, reference)
    except SourceUnavailable:
        return REVENUES_DOWN
    return account if account is not None else NOT_YOURS


async def own_account_as_last_seen(info: Info[Context, Any], reference: str) -> AccountHeld | Problem:
    """The resident's own Council Tax account while REVENUES is down (the caller has just failed to ask it),
    as it last showed it for the resident's linked records (liable still or not, as live: arrears on an
    ended liability are paid too): a payment on it is taken and posted when REVENUES is back; a Direct
    Debit is kept and checked again on delivery (commands/direct_debit.py). Never seen, or too long ago:
    REVENUES_DOWN, whatever the reference (nothing to probe); seen, and this one not among them: NOT_YOURS.

    Not for a Single Person Discount: its check under the account's lock must see the discounts REVENUES
    holds now (one in force or on its way), which no copy can stand in for."""
    seen = await council_tax.as_last_seen(info)
    if seen is None:
        return REVENUES_DOWN
    held = shown(seen, reference.strip().upper())
    return held if held is not None else NOT_YOURS


def account_now(info: Info[Context, Any], reference: str) -> Callable[[], Awaitable[CouncilTaxAccountRecord | Problem]]:
    """Reads the account afresh from REVENUES (past the cache): what a check under its lock must see."""

    async def read() -> CouncilTaxAccountRecord | Problem:
        try:
            account = await afresh.council_tax_account(info, reference)
        except SourceUnavailable:
            return REVENUES_DOWN
        return account if account is not None else NOT_YOURS

    return read


async def discount_after(info: Info[Context, Any], submission: Submission, fallback: DiscountRecord) -> DiscountRecord:
    """The discount as REVENUES now holds it; until it is delivered, as we took the request."""
    try:
        account = await afresh.council_tax_account(info, fallback.account_reference)
    except SourceUnavailable:
        return fallback
    except Exception as error:  # the request is kept already: a failed re-read must not answer an error
        log.warning("discount %s kept; reading it back failed (%s)", submission.reference, type(error).__name__)
        return fallback
    wanted = {submission.reference, *(d.backoffice_reference for d in submission.deliveries)}
    found = [d for d in (account.discounts if account else ()) if wanted & {d.external_reference, d.discount_id}]
    return as_of(found[0], info.context.today) if found else fallback
