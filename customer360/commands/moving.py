"""The moving-home service (notifyMove), declared as one unit: tell the council once; every back
office that holds the person hears, through the outbox.

Each back office gets its own delivery (its own step in the request's history): a back office
that is down gets its step later, none is lost and none is made twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.before_delivery import as_request
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.moving import MoveKind, MoveNotice, MovePayload, already_told, move_date_problems
from customer360.domain.people import PostalAddress
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.domain.systems import SourceSystem
from customer360.sources.benefits import CLAIMS_BY_CLAIMANT
from customer360.sources.revenues import ACCOUNTS_BY_PARTY
from customer360.store.outbox import NewDelivery, OutboxItem

KIND = SubmissionKind.MOVE
SERVICE_CODE = "MOVING_HOME"
# The back offices that keep an address, and what each is asked to do.
OPERATIONS = {
    SourceSystem.REVENUES: "revenues.record_move",
    SourceSystem.BENEFITS: "benefits.record_address_change",
    SourceSystem.HOUSING: "housing.record_address_change",
    SourceSystem.CRM: "crm.record_address_change",
}
STEP_NAMES = {
    SourceSystem.REVENUES: "Council Tax",
    SourceSystem.BENEFITS: "Benefits (change of circumstances)",
    SourceSystem.HOUSING: "Housing",
    SourceSystem.CRM: "Contact details",
}


@dataclass(frozen=True)
class NotifyMove:
    kind: MoveKind
    move_date: date
    new_address: PostalAddress | None
    whole_household: bool
    today: date


async def notify_move(
    principal: Principal,
    customer: GoldenRecord | None,
    links: list[RecordLink],
    writes: WritePath,
    command: NotifyMove,
    address_problems: list[Problem],
) -> Submission | list[Problem]:
    kind, move_date, new_address, today = command.kind, command.move_date, command.new_address, command.today
    if not principal.is_resident or customer is None:
        return [Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to tell us you are moving")]
    problems = move_date_problems(move_date, today) + address_problems
    if problems:
        return problems
    holders = {link.system: link.record_id for link in links if link.system in OPERATIONS}
    move = MovePayload(kind, move_date, new_address, command.whole_household)
    # One move at a time per resident, checked against every move they have told us (kept or
    # delivered): the same move told twice at once is kept once.
    customer_id = customer.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        earlier = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
        told = already_told(earlier, kind, move_date, new_address)
        if told:
            return told
        return await writes.keep(
            kind=KIND,
            customer_id=customer_id,
            payload=move.as_payload(),
            service_code=SERVICE_CODE,
            deliveries=[
                NewDelivery(system, OPERATIONS[system], replace(move, record_id=record_id).as_payload())
                for system, record_id in sorted(holders.items())
            ],
        )

    return await check_then_keep(writes, customer_lock(customer_id, KIND), check_and_keep)


def _notice(item: OutboxItem) -> MoveNotice:
    move = MovePayload.of(item.payload)
    assert move.record_id is not None, "each back office's delivery names its record"
    return MoveNotice(
        external_reference=item.reference,
        record_id=move.record_id,
        kind=move.kind,
        move_date=move.move_date,
        new_address=move.new_address,
        posted_on=item.created_at.astimezone(LONDON).date(),
    )


async def deliver_to_revenues(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    notice = _notice(item)
    reference = await tools.sources.revenues.record_move(notice)
    return Delivered(reference or "no account", invalidate=[(ACCOUNTS_BY_PARTY.namespace, notice.record_id)])


async def deliver_to_benefits(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    notice = _notice(item)
    change = await tools.sources.benefits.record_address_change(notice)
    return Delivered(change, invalidate=[(CLAIMS_BY_CLAIMANT.namespace, notice.record_id)])


async def deliver_to_housing(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(await tools.sources.housing.record_address_change(_notice(item)))


async def deliver_to_crm(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(await tools.sources.crm.record_address_change(_notice(item)))


UNIT = PortalService(
    name="moving home",
    kinds=(KIND,),
    journeys=(Journey("notifyMove", "MOVE"),),
    deliveries=(
        Delivery(OPERATIONS[SourceSystem.REVENUES], deliver_to_revenues, frozenset({ACCOUNTS_BY_PARTY.namespace})),
        Delivery(OPERATIONS[SourceSystem.BENEFITS], deliver_to_benefits, frozenset({CLAIMS_BY_CLAIMANT.namespace})),
        Delivery(OPERATIONS[SourceSystem.HOUSING], deliver_to_housing),
        Delivery(OPERATIONS[SourceSystem.CRM], deliver_to_crm),
    ),
    # Only deliveries, so shown this way for good: resolved once every back office has been told.
    in_my_requests={KIND: as_request("Moving home", resolved_when_delivered=True)},
)
