"""The Single Person Discount service (applySinglePersonDiscount and removeSinglePersonDiscount), declared
as one unit and delivered to REVENUES through the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.check_then_write import account_lock, check_then_keep, kept_not_delivered
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.before_delivery import as_request
from customer360.domain.benefits import BenefitClaimRecord, ClaimStatus
from customer360.domain.council_tax import CouncilTaxAccountRecord, DiscountStatus
from customer360.domain.discounts import (
    SERVICE_NAME,
    ApplicationPayload,
    DiscountApplication,
    DiscountEnding,
    KnownAdult,
    RemovalPayload,
    application_problems,
    other_adults,
    removal_problems,
    review_reason,
)
from customer360.domain.housing import TenancyRecord
from customer360.domain.people import normalise_postcode
from customer360.domain.problems import Problem
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE, ACCOUNTS_BY_PARTY
from customer360.store.outbox import NewDelivery, OutboxItem

APPLY = "revenues.apply_single_person_discount"
END = "revenues.end_single_person_discount"
SERVICE_CODE = "SINGLE_PERSON_DISCOUNT"
APPLICATION = SubmissionKind.SPD_APPLICATION
REMOVAL = SubmissionKind.SPD_REMOVAL


@dataclass(frozen=True)
class ApplyForDiscount:
    starts_on: date
    declaration: bool  # the resident declares they live alone
    today: date


@dataclass(frozen=True)
class EndDiscount:
    ends_on: date
    reason: str | None
    today: date


# The account as REVENUES holds it now (not a cached copy), or why it cannot be read.
AccountNow = Callable[[], Awaitable[CouncilTaxAccountRecord | Problem]]


def known_adults(
    account: CouncilTaxAccountRecord,
    claims: list[BenefitClaimRecord],
    tenancies: list[TenancyRecord],
    on: date,
) -> list[KnownAdult]:
    """Everyone the resident's other back offices record as living with them at the property."""
    adults = [
        KnownAdult(f"a {member.relationship.lower().replace('_', ' ')} on your benefit claim", member.date_of_birth)
        for claim in claims
        if claim.status in (ClaimStatus.ASSESSING, ClaimStatus.AWARDED)
        for member in claim.household
    ]
    home = account.property_address
    adults += [
        KnownAdult("a joint tenant on your housing tenancy", tenancy.joint_tenant_date_of_birth)
        for tenancy in tenancies
        if tenancy.has_joint_tenant
        and tenancy.current_on(on)
        and (
            (tenancy.uprn and tenancy.uprn == home.uprn)
            or normalise_postcode(tenancy.postcode) == normalise_postcode(home.postcode)
        )
    ]
    return adults


async def apply_single_person_discount(
    principal: Principal,
    checked: CouncilTaxAccountRecord,
    account_now: AccountNow,
    adults_known: list[KnownAdult],
    writes: WritePath,
    command: ApplyForDiscount,
) -> Submission | list[Problem]:
    """The caller has checked the account is the principal's own (they are the liable person).

    Checked again and kept under the account's lock, against REVENUES as it is now and against what we
    have kept for the account (from any of its liable residents) but not yet delivered: of N identical
    requests at once, one is kept.
    """

    starts_on, declaration, today = command.starts_on, command.declaration, command.today

    async def check_and_keep() -> Kept | list[Problem]:
        pending = await kept_not_delivered(writes, APPLICATION, account_reference=checked.reference)
        account = await account_now()  # after our own rows: see check_then_write
        if isinstance(account, Problem):
            return [account]
        problems = application_problems(account, starts_on, declaration, today, pending=pending)
        if problems:
            return problems
        return await _keep_application(principal, account, adults_known, writes, starts_on)

    return await check_then_keep(writes, account_lock(checked.reference), check_and_keep)


async def _keep_application(
    principal: Principal,
    account: CouncilTaxAccountRecord,
    adults_known: list[KnownAdult],
    writes: WritePath,
    starts_on: date,
) -> Kept:
    reason = review_reason(other_adults(adults_known, starts_on))
    payload = ApplicationPayload(
        account_reference=account.reference,
        party_id=account.party_id,
        starts_on=starts_on,
        status=DiscountStatus.PENDING if reason else DiscountStatus.ACTIVE,
        review_reason=reason,
    ).as_payload()
    return await writes.keep(
        kind=APPLICATION,
        customer_id=principal.customer_id,
        payload=payload,
        service_code=SERVICE_CODE,
        deliveries=[NewDelivery(SourceSystem.REVENUES, APPLY, payload)],
    )


async def remove_single_person_discount(
    principal: Principal,
    checked: CouncilTaxAccountRecord,
    account_now: AccountNow,
    writes: WritePath,
    command: EndDiscount,
) -> Submission | list[Problem]:
    """Under the account's lock, like an application: an ending already kept counts as done."""
    ends_on, reason, today = command.ends_on, command.reason, command.today

    async def check_and_keep() -> Kept | list[Problem]:
        pending = await kept_not_delivered(writes, REMOVAL, account_reference=checked.reference)
        account = await account_now()  # after our own rows: see check_then_write
        if isinstance(account, Problem):
            return [account]
        problems = removal_problems(account, ends_on, reason, today, pending=pending)
        if problems:
            return problems
        return await _keep_removal(principal, account, writes, ends_on, reason)

    return await check_then_keep(writes, account_lock(checked.reference), check_and_keep)


async def _keep_removal(
    principal: Principal, account: CouncilTaxAccountRecord, writes: WritePath, ends_on: date, reason: str | None
) -> Kept:
    payload = RemovalPayload(
        account_reference=account.reference,
        party_id=account.party_id,
        ends_on=ends_on,
        reason=reason.strip() if reason else None,
    ).as_payload()
    return await writes.keep(
        kind=REMOVAL,
        customer_id=principal.customer_id,
        payload=payload,
        service_code=SERVICE_CODE,
        deliveries=[NewDelivery(SourceSystem.REVENUES, END, payload)],
    )


async def deliver_application(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    application = ApplicationPayload.of(item.payload)
    discount_id = await tools.sources.revenues.apply_single_person_discount(
        DiscountApplication(
            external_reference=item.reference,
            account_reference=application.account_reference,
            starts_on=application.starts_on,
            status=application.status,
            review_reason=application.review_reason,
            posted_on=item.created_at.astimezone(LONDON).date(),
        )
    )
    return Delivered(discount_id, invalidate=_account_keys(application.party_id, application.account_reference))


async def deliver_ending(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    ending = RemovalPayload.of(item.payload)
    discount_id = await tools.sources.revenues.end_single_person_discount(
        DiscountEnding(
            external_reference=item.reference,
            account_reference=ending.account_reference,
            ends_on=ending.ends_on,
            reason=ending.reason,
            posted_on=item.created_at.astimezone(LONDON).date(),
        )
    )
    return Delivered(discount_id, invalidate=_account_keys(ending.party_id, ending.account_reference))


def _account_keys(party_id: str, account_reference: str) -> list[tuple[str, str]]:
    return [(ACCOUNTS_BY_PARTY.namespace, party_id), (ACCOUNT_BY_REFERENCE.namespace, account_reference)]


_ACCOUNTS = frozenset({ACCOUNTS_BY_PARTY.namespace, ACCOUNT_BY_REFERENCE.namespace})
UNIT = PortalService(
    name="single person discount",
    kinds=(APPLICATION, REMOVAL),
    journeys=(
        Journey("applySinglePersonDiscount", "SINGLE_PERSON_DISCOUNT"),
        Journey("removeSinglePersonDiscount", "SINGLE_PERSON_DISCOUNT_END"),
    ),
    deliveries=(Delivery(APPLY, deliver_application, _ACCOUNTS), Delivery(END, deliver_ending, _ACCOUNTS)),
    # A removal ends a discount that is listed already.
    in_my_requests={APPLICATION: as_request(SERVICE_NAME)},
)
