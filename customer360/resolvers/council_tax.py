"""Council Tax accounts, instalments, statements and discounts for a customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from strawberry.types import Info

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountKind,
    DiscountRecord,
    Instalment,
    Statement,
    as_of,
    instalments_with_status,
    latest_statement,
    paid_towards_instalments,
)
from customer360.domain.discounts import SINGLE_PERSON_PERCENT, ApplicationPayload
from customer360.domain.housing import TenancyRecord
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.resolvers import accounts_seen
from customer360.resolvers.context import Context
from customer360.resolvers.customers import records_in
from customer360.sources.benefits import CLAIMS_BY_CLAIMANT
from customer360.sources.errors import SourceUnavailable
from customer360.sources.housing import TENANCIES_BY_APPLICANT
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE, ACCOUNTS_BY_PARTY


async def accounts(info: Info[Context, Any], customer_id: str) -> list[CouncilTaxAccountRecord]:
    return await accounts_seen.gather_remembering(
        info, customer_id, ACCOUNTS_BY_PARTY, lambda account: AccountHeld(account.reference, account.liable_to)
    )


async def as_last_seen(info: Info[Context, Any]) -> Sequence[AccountHeld] | None:
    """The signed-in resident's Council Tax accounts as REVENUES last showed them (resolvers/accounts_seen.py),
    for writes kept while it is down; None (or not a resident): unknown, never "not yours"."""
    principal = info.context.principal
    if not principal.is_resident or principal.customer_id is None:
        return None
    return await accounts_seen.as_last_seen(info, principal.customer_id, SourceSystem.REVENUES)


async def discounts(info: Info[Context, Any], customer_id: str) -> list[DiscountRecord]:
    today = info.context.today
    return [as_of(discount, today) for account in await accounts(info, customer_id) for discount in account.discounts]


def discount_not_yet_in_revenues(submission: Submission) -> DiscountRecord:
    """A single person discount as the resident applied for it, until REVENUES holds it."""
    application = ApplicationPayload.of(submission.payload)
    return DiscountRecord(
        discount_id=submission.reference,
        account_reference=application.account_reference,
        kind=DiscountKind.SINGLE_PERSON,
        status=application.status,
        percent=SINGLE_PERSON_PERCENT,
        starts_on=application.starts_on,
        review_reason=application.review_reason,
        external_reference=submission.reference,
    )


def instalments(account: CouncilTaxAccountRecord, today: date) -> list[Instalment]:
    return instalments_with_status(account.schedule, paid_towards_instalments(account.transactions), today)


def statement(account: CouncilTaxAccountRecord, today: date) -> Statement | None:
    return latest_statement(account, today)


async def liable_account(info: Info[Context, Any], reference: str) -> CouncilTaxAccountRecord | None:
    """The account, if the signed-in resident is its liable person; None otherwise (or if unknown).

    Raises `SourceUnavailable` when REVENUES cannot be asked.
    """
    principal = info.context.principal
    if not principal.is_resident or principal.customer_id is None:
        return None
    account = await info.context.loaders.of(ACCOUNT_BY_REFERENCE).load(reference)
    if account is None:
        return None
    parties = await records_in(info, principal.customer_id, SourceSystem.REVENUES)
    return account if account.party_id in parties else None


async def people_at_home(
    info: Info[Context, Any], customer_id: str
) -> tuple[list[BenefitClaimRecord], list[TenancyRecord], list[SourceSystem]]:
    """Benefit claims and tenancies that may name other adults; and which systems could not be asked."""
    loaders = info.context.loaders
    unchecked = []
    claims: list[BenefitClaimRecord] = []
    tenancies: list[TenancyRecord] = []
    claimant_ids = await records_in(info, customer_id, SourceSystem.BENEFITS)
    applicant_ids = await records_in(info, customer_id, SourceSystem.HOUSING)
    try:
        claims = [c for found in await loaders.of(CLAIMS_BY_CLAIMANT).load_many(claimant_ids) for c in found]
    except SourceUnavailable:
        unchecked.append(SourceSystem.BENEFITS)
    try:
        tenancies = [t for found in await loaders.of(TENANCIES_BY_APPLICANT).load_many(applicant_ids) for t in found]
    except SourceUnavailable:
        unchecked.append(SourceSystem.HOUSING)
    return claims, tenancies, unchecked
