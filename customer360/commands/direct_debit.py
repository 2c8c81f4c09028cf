"""Pay by Direct Debit (setUpDirectDebit, cancelDirectDebit), declared as one unit: an instruction on the
resident's own Council Tax account (REVENUES) or rent account (HOUSING_MANAGEMENT), lodged with the
office that owns the account through the outbox, where its instalments move to the payment day.

Bank details travel in full only in the delivery to the owning office; the kept request, the answer,
My Requests and every log carry them masked (`domain/direct_debit.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from customer360.auth.principal import Principal
from customer360.commands.check_then_write import account_lock, check_then_keep
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.before_delivery import as_request
from customer360.domain.customers import GoldenRecord
from customer360.domain.direct_debit import (
    PAYMENT_DAYS,
    BankDetails,
    DirectDebitCancellation,
    DirectDebitCode,
    DirectDebitRecord,
    DirectDebitStatus,
    NewDirectDebit,
    OwnedAccount,
    bank_details,
    first_collection,
    masked_sort_code,
    not_ended,
    setup_problems,
)
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import NOT_REFUSED, Submission, SubmissionKind, kept_of_kind
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected
from customer360.sources.housing_management import HOUSING_MANAGEMENT, TENANCIES_BY_TENANT
from customer360.sources.revenues import ACCOUNT_BY_REFERENCE, ACCOUNTS_BY_PARTY, REVENUES
from customer360.store.outbox import NewDelivery, OutboxItem

SET_UP = SubmissionKind.DIRECT_DEBIT
CANCEL = SubmissionKind.DIRECT_DEBIT_CANCELLATION
# One operation per owning office and step (the handler map is keyed by operation).
OPERATIONS = {
    (SourceSystem.REVENUES, SET_UP): "revenues.set_up_direct_debit",
    (SourceSystem.REVENUES, CANCEL): "revenues.cancel_direct_debit",
    (SourceSystem.HOUSING_MANAGEMENT, SET_UP): "housing_management.set_up_direct_debit",
    (SourceSystem.HOUSING_MANAGEMENT, CANCEL): "housing_management.cancel_direct_debit",
}
ACCOUNT_NAMES = {SourceSystem.REVENUES: "Council Tax account", SourceSystem.HOUSING_MANAGEMENT: "rent account"}
SIGN_IN = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to pay by Direct Debit")
RECORDS_NAMES = {SourceSystem.REVENUES: "Council Tax records", SourceSystem.HOUSING_MANAGEMENT: "rent records"}


def office_down_to_cancel(system: SourceSystem) -> Problem:
    return Problem(
        ("input", "accountReference"),
        CommonCode.SOURCE_UNAVAILABLE,
        f"We cannot reach {RECORDS_NAMES[system]} right now to find your Direct Debit; nothing was changed, "
        "please try again shortly",
    )


REFUSED_BY_THE_OFFICE = "Not taken on by the office that owns the account: our team will be in touch"
# On a set-up kept while its office was down: the office's own instructions are read again on delivery.
CHECK_ON_DELIVERY = "check_on_delivery"


@dataclass(frozen=True)
class SetUpDirectDebit:
    account_holder_name: str
    sort_code: str
    account_number: str
    payment_day: int
    declaration: bool
    today: date


@dataclass(frozen=True)
class InstructionPayload:
    """What a set-up request keeps (masked) and what its delivery carries (`bank`, in full)."""

    system: SourceSystem
    account_reference: str
    account_holder_name: str
    sort_code: str  # masked
    account_ending: str
    payment_day: int
    set_up_on: date
    first_collection_on: date

    def as_payload(self) -> dict[str, Any]:
        return {
            "system": self.system.value,
            "account_reference": self.account_reference,
            "account_holder_name": self.account_holder_name,
            "sort_code": self.sort_code,
            "account_ending": self.account_ending,
            "payment_day": self.payment_day,
            "set_up_on": self.set_up_on.isoformat(),
            "first_collection_on": self.first_collection_on.isoformat(),
            "service_name": "Direct Debit",
            "description": f"{ACCOUNT_NAMES[self.system].capitalize()} {self.account_reference}, "
            f"collected on day {self.payment_day} of each month",
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> InstructionPayload:
        return cls(
            system=SourceSystem(kept["system"]),
            account_reference=kept["account_reference"],
            account_holder_name=kept["account_holder_name"],
            sort_code=kept["sort_code"],
            account_ending=kept["account_ending"],
            payment_day=int(kept["payment_day"]),
            set_up_on=date.fromisoformat(kept["set_up_on"]),
            first_collection_on=date.fromisoformat(kept["first_collection_on"]),
        )

    def as_instruction(self, reference: str, status: DirectDebitStatus) -> DirectDebitRecord:
        return DirectDebitRecord(
            reference=reference,
            system=self.system,
            account_reference=self.account_reference,
            account_holder_name=self.account_holder_name,
            sort_code=self.sort_code,
            account_ending=self.account_ending,
            payment_day=self.payment_day,
            status=status,
            set_up_on=self.set_up_on,
            first_collection_on=self.first_collection_on,
        )


def _full(bank: BankDetails) -> dict[str, str]:
    return {"bank_sort_code": bank.sort_code, "bank_account_number": bank.account_number}


InstructionsNow = Callable[[], Awaitable[tuple[DirectDebitRecord, ...] | Problem]]


async def set_up_direct_debit(
    principal: Principal,
    customer: GoldenRecord | None,
    account: OwnedAccount,
    instructions_now: InstructionsNow,
    writes: WritePath,
    command: SetUpDirectDebit,
) -> Submission | list[Problem]:
    """One instruction standing on an account at a time: under the account's lock, one already set up
    (kept and on its way, or active in the office) is ALREADY_SET_UP, so of two sent at once one is kept."""
    if not principal.is_resident or customer is None:
        return [SIGN_IN]
    bank, problems = bank_details(command.account_holder_name, command.sort_code, command.account_number)
    problems += setup_problems(command.payment_day, command.declaration, PAYMENT_DAYS[account.system])
    if problems or bank is None:
        return problems
    payload = InstructionPayload(
        system=account.system,
        account_reference=account.reference,
        account_holder_name=bank.account_holder_name,
        sort_code=masked_sort_code(bank.sort_code),
        account_ending=bank.account_number[-4:],
        payment_day=command.payment_day,
        set_up_on=command.today,
        first_collection_on=first_collection(command.today),
    )
    customer_id = customer.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        standing = await _standing(writes, account, instructions_now)
        if isinstance(standing, Problem):
            return [standing]
        if standing:
            return [
                Problem(
                    None,
                    DirectDebitCode.ALREADY_SET_UP,
                    f"This account already has a Direct Debit ({standing[0].reference}): cancel it first to change it",
                )
            ]
        kept = payload.as_payload()
        return await writes.keep(
            kind=SET_UP,
            customer_id=customer_id,
            payload=kept,
            service_code="DIRECT_DEBIT",
            deliveries=[
                NewDelivery(
                    account.system,
                    OPERATIONS[(account.system, SET_UP)],
                    kept | _full(bank) | ({CHECK_ON_DELIVERY: True} if account.as_last_seen else {}),
                )
            ],
        )

    return await check_then_keep(writes, account_lock(account.reference), check_and_keep)


async def cancel_direct_debit(
    principal: Principal,
    customer: GoldenRecord | None,
    account: OwnedAccount,
    instructions_now: InstructionsNow,
    writes: WritePath,
    today: date,
) -> tuple[Submission, DirectDebitRecord] | list[Problem]:
    """Cancel the instruction standing on the account (NO_DIRECT_DEBIT if none): told to its office
    through the outbox, which cancels it even if the setting up has not reached it yet."""
    if not principal.is_resident or customer is None:
        return [SIGN_IN]
    customer_id = customer.customer_id
    cancelled: list[DirectDebitRecord] = []

    async def check_and_keep() -> Kept | list[Problem]:
        standing = await _standing(writes, account, instructions_now)
        if isinstance(standing, Problem):
            return [standing]
        if not standing and account.as_last_seen and not await _cancelling(writes, account):
            return [
                office_down_to_cancel(account.system)
            ]  # an instruction the office holds cannot be named while it is down
        if not standing:
            return [
                Problem(
                    ("input", "accountReference"),
                    DirectDebitCode.NO_DIRECT_DEBIT,
                    "There is no Direct Debit on this account to cancel",
                )
            ]
        instruction = standing[0]
        cancelled.append(instruction)
        kept = {
            "system": account.system.value,
            "account_reference": account.reference,
            "instruction_reference": instruction.reference,
            "cancelled_on": today.isoformat(),
            "service_name": "Cancel a Direct Debit",
            "description": f"{ACCOUNT_NAMES[account.system].capitalize()} {account.reference}",
        }
        return await writes.keep(
            kind=CANCEL,
            customer_id=customer_id,
            payload=kept,
            service_code="DIRECT_DEBIT",
            deliveries=[NewDelivery(account.system, OPERATIONS[(account.system, CANCEL)], kept)],
        )

    outcome = await check_then_keep(writes, account_lock(account.reference), check_and_keep)
    if isinstance(outcome, list):
        return outcome
    return outcome, cancelled[0]


async def _cancelling(writes: WritePath, account: OwnedAccount) -> bool:
    """A cancellation on the account is kept and on its way (a second is NO_DIRECT_DEBIT, as when live)."""
    cancels = await writes.outbox.submissions_carrying(CANCEL, account_reference=account.reference)
    return bool(kept_of_kind(cancels, CANCEL))


async def _standing(
    writes: WritePath, account: OwnedAccount, instructions_now: InstructionsNow
) -> list[DirectDebitRecord] | Problem:
    """Instructions that stand on the account or soon will: kept and on their way, or active in the
    office; less those a kept cancellation ends. Our rows first, the office second (check_then_write).
    Its office down (`as_last_seen`): only ours, and the office checks its own again on delivery."""
    set_ups = await writes.outbox.submissions_carrying(SET_UP, account_reference=account.reference)
    cancels = await writes.outbox.submissions_carrying(CANCEL, account_reference=account.reference)
    held = () if account.as_last_seen else await instructions_now()
    if isinstance(held, Problem):
        return held
    ended = {c.payload["instruction_reference"] for c in kept_of_kind(cancels, CANCEL, states=NOT_REFUSED)}
    in_office = {i.reference for i in held}
    # While the office is down, those it was given through us stand too (it cancels only an ACTIVE one).
    ours = kept_of_kind(set_ups, SET_UP, states=NOT_REFUSED) if account.as_last_seen else kept_of_kind(set_ups, SET_UP)
    on_the_way = [instruction_as_kept(s) for s in ours if s.reference not in in_office]
    return [i for i in [*on_the_way, *not_ended(held)] if i.reference not in ended]


def instruction_as_kept(submission: Submission) -> DirectDebitRecord:
    """An instruction as the resident gave it, PENDING until its office has it."""
    return InstructionPayload.of(submission.payload).as_instruction(submission.reference, DirectDebitStatus.PENDING)


def instructions_in_view(held: Sequence[DirectDebitRecord], kept: Sequence[Submission]) -> list[DirectDebitRecord]:
    """The instructions a resident sees: each office's, and those kept but not there yet (PENDING, or
    CANCELLED when a cancellation is on its way too, or REJECTED when its office refused it). Newest first."""
    in_office = {i.reference for i in held}
    ended = {s.payload["instruction_reference"] for s in kept if s.kind == CANCEL}
    pending = [
        instruction_as_kept(s)
        for s in kept_of_kind(list(kept), SET_UP, states=NOT_REFUSED)
        if s.reference not in in_office
    ] + [
        replace(instruction_as_kept(s), status=DirectDebitStatus.REJECTED, reason=REFUSED_BY_THE_OFFICE)
        for s in kept_of_kind(list(kept), SET_UP, states=frozenset({DeliveryState.FAILED}))
        if s.reference not in in_office
    ]
    shown = [
        replace(i, status=DirectDebitStatus.CANCELLED)
        if i.reference in ended and i.status is not DirectDebitStatus.REJECTED
        else i
        for i in [*pending, *held]
    ]
    return sorted(shown, key=lambda i: i.set_up_on, reverse=True)


async def _deliver_set_up(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    kept = InstructionPayload.of(item.payload)
    instruction = NewDirectDebit(
        external_reference=item.reference,
        account_reference=kept.account_reference,
        bank=BankDetails(kept.account_holder_name, item.payload["bank_sort_code"], item.payload["bank_account_number"]),
        payment_day=kept.payment_day,
        set_up_on=kept.set_up_on,
        first_collection_on=kept.first_collection_on,
    )
    if item.payload.get(CHECK_ON_DELIVERY):
        if kept.system is SourceSystem.REVENUES:
            await _still_the_payers_and_free(tools, item, kept)
        else:
            await _still_the_tenants_and_free(tools, item, kept.account_reference)
    if kept.system is SourceSystem.REVENUES:
        reference = await tools.sources.of(REVENUES).set_up_direct_debit(instruction)
    else:
        reference = await tools.sources.of(HOUSING_MANAGEMENT).set_up_direct_debit(instruction)
    # The office has the details now: the row keeps them masked, as the request does.
    return Delivered(
        reference,
        invalidate=await _made_stale(tools, item, kept.system, kept.account_reference),
        payload_after=kept.as_payload(),
    )


async def _still_the_tenants_and_free(tools: DeliveryTools, item: OutboxItem, tenancy_ref: str) -> None:
    """A set-up kept while HOUSING_MANAGEMENT was down took the tenancy as it last showed it: now it is
    back, the tenancy must still be the resident's and without an instruction in force, or it is refused
    (a case for the housing team; the resident sees it REJECTED), never lodged twice nor lost."""
    tenant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING_MANAGEMENT)
    held = (await tools.sources.of(HOUSING_MANAGEMENT).tenancies_by_tenant([tenant_id] if tenant_id else [])).get(
        tenant_id or "", []
    )
    tenancy = next((t for t in held if t.tenancy_ref == tenancy_ref and t.ends_on is None), None)
    if tenancy is None:
        raise SourceRejected(SourceSystem.HOUSING_MANAGEMENT, "not the resident's tenancy now", code="NO_ACCOUNT")
    if any(i.reference != item.reference for i in not_ended(tenancy.direct_debits)):
        raise SourceRejected(SourceSystem.HOUSING_MANAGEMENT, "an instruction stands already", code="ALREADY_SET_UP")


async def _still_the_payers_and_free(tools: DeliveryTools, item: OutboxItem, kept: InstructionPayload) -> None:
    """A set-up kept while REVENUES was down took the Council Tax account as it last showed it: now it is
    back, the resident must still be its liable party, still liable, and no instruction in force on it, or
    it is refused (a case for the revenues team; the resident sees it REJECTED), never lodged twice nor lost."""
    links = await tools.links_of(item.customer_id) if item.customer_id else []
    parties = {link.record_id for link in links if link.system is SourceSystem.REVENUES}
    reference = kept.account_reference
    account = (await tools.sources.of(REVENUES).accounts_by_reference([reference])).get(reference)
    if account is None or account.party_id not in parties:
        raise SourceRejected(SourceSystem.REVENUES, "not the resident's account now", code="NO_ACCOUNT")
    if account.liable_to is not None and account.liable_to < kept.set_up_on:
        raise SourceRejected(SourceSystem.REVENUES, "no longer liable on the account", code="NO_ACCOUNT")
    if any(i.reference != item.reference for i in not_ended(account.direct_debits)):
        raise SourceRejected(SourceSystem.REVENUES, "an instruction stands already", code="ALREADY_SET_UP")


async def _deliver_cancel(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    system = SourceSystem(item.payload["system"])
    cancellation = DirectDebitCancellation(
        external_reference=item.reference,
        instruction_reference=item.payload["instruction_reference"],
        account_reference=item.payload["account_reference"],
        cancelled_on=date.fromisoformat(item.payload["cancelled_on"]),
    )
    if system is SourceSystem.REVENUES:
        reference = await tools.sources.of(REVENUES).cancel_direct_debit(cancellation)
    else:
        reference = await tools.sources.of(HOUSING_MANAGEMENT).cancel_direct_debit(cancellation)
    return Delivered(reference, invalidate=await _made_stale(tools, item, system, cancellation.account_reference))


async def _made_stale(
    tools: DeliveryTools, item: OutboxItem, system: SourceSystem, account_reference: str
) -> list[tuple[str, str]]:
    if system is SourceSystem.HOUSING_MANAGEMENT:
        tenant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING_MANAGEMENT)
        return [(TENANCIES_BY_TENANT.namespace, tenant_id)] if tenant_id else []
    stale = [(ACCOUNT_BY_REFERENCE.namespace, account_reference)]
    account = (await tools.sources.of(REVENUES).accounts_by_reference([account_reference])).get(account_reference)
    if account is not None:
        stale.append((ACCOUNTS_BY_PARTY.namespace, account.party_id))
    return stale


_REVENUES_STALE = frozenset({ACCOUNT_BY_REFERENCE.namespace, ACCOUNTS_BY_PARTY.namespace})
_RENT_STALE = frozenset({TENANCIES_BY_TENANT.namespace})

UNIT = PortalService(
    name="direct_debit",
    kinds=(SET_UP, CANCEL),
    journeys=(Journey("setUpDirectDebit", "DIRECT_DEBIT"), Journey("cancelDirectDebit", "DIRECT_DEBIT_CANCEL")),
    deliveries=(
        Delivery(OPERATIONS[(SourceSystem.REVENUES, SET_UP)], _deliver_set_up, _REVENUES_STALE),
        Delivery(OPERATIONS[(SourceSystem.REVENUES, CANCEL)], _deliver_cancel, _REVENUES_STALE),
        Delivery(OPERATIONS[(SourceSystem.HOUSING_MANAGEMENT, SET_UP)], _deliver_set_up, _RENT_STALE),
        Delivery(OPERATIONS[(SourceSystem.HOUSING_MANAGEMENT, CANCEL)], _deliver_cancel, _RENT_STALE),
    ),
    # Shown in My Requests until every delivery is made (the office keeps an instruction, not a request).
    in_my_requests={
        SET_UP: as_request("Set up a Direct Debit", resolved_when_delivered=True),
        CANCEL: as_request("Cancel a Direct Debit", resolved_when_delivered=True),
    },
)
