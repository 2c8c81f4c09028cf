"""notifyMove: tell the council once; every back office that holds the person hears, through the outbox.

Each back office gets its own delivery (its own step in the request's history): a back office
that is down gets its step later, none is lost and none is made twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.moving import MOVE_KIND, MoveKind, MoveNotice, already_told, move_date_problems
from customer360.domain.people import PostalAddress
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.sources.benefits import CLAIMS_BY_CLAIMANT
from customer360.sources.revenues import ACCOUNTS_BY_PARTY
from customer360.store.outbox import NewDelivery, OutboxItem

KIND = MOVE_KIND
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


async def notify_move(
    principal: Principal,
    customer: GoldenRecord | None,
    links: list[RecordLink],
    writes: WritePath,
    *,
    kind: MoveKind,
    move_date: date,
    new_address: PostalAddress | None,
    address_problems: list[Problem],
    whole_household: bool,
    today: date,
) -> Submission | list[Problem]:
    if not principal.is_resident or customer is None:
        return [Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to tell us you are moving")]
    problems = move_date_problems(move_date, today) + address_problems
    if problems:
        return problems
    holders = {link.system: link.record_id for link in links if link.system in OPERATIONS}
    address = (
        {
            "line1": new_address.line1,
            "line2": new_address.line2,
            "town": new_address.town,
            "postcode": new_address.postcode,
            "uprn": new_address.uprn,
        }
        if new_address
        else None
    )
    payload: dict[str, Any] = {
        "kind": kind.value,
        "move_date": move_date.isoformat(),
        "new_address": address,
        "whole_household": whole_household,
        "service_name": "Moving home",
        "description": f"Moving {kind.value.lower()} on {move_date.isoformat()}",
    }
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
            payload=payload,
            service_code=SERVICE_CODE,
            deliveries=[
                NewDelivery(system, OPERATIONS[system], {**payload, "record_id": record_id})
                for system, record_id in sorted(holders.items())
            ],
        )

    return await check_then_keep(writes, customer_lock(customer_id, KIND), check_and_keep)


def _notice(item: OutboxItem) -> MoveNotice:
    payload = item.payload
    address = payload.get("new_address")
    return MoveNotice(
        external_reference=item.reference,
        record_id=payload["record_id"],
        kind=MoveKind(payload["kind"]),
        move_date=date.fromisoformat(payload["move_date"]),
        new_address=PostalAddress(**address) if address else None,
        posted_on=item.created_at.astimezone(LONDON).date(),
    )


async def deliver_to_revenues(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    reference = await tools.sources.revenues.record_move(_notice(item))
    return Delivered(reference or "no account", invalidate=[(ACCOUNTS_BY_PARTY.namespace, item.payload["record_id"])])


async def deliver_to_benefits(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    change = await tools.sources.benefits.record_address_change(_notice(item))
    return Delivered(change, invalidate=[(CLAIMS_BY_CLAIMANT.namespace, item.payload["record_id"])])


async def deliver_to_housing(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(await tools.sources.housing.record_address_change(_notice(item)))


async def deliver_to_crm(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    return Delivered(await tools.sources.crm.record_address_change(_notice(item)))


HANDLERS = {
    OPERATIONS[SourceSystem.REVENUES]: deliver_to_revenues,
    OPERATIONS[SourceSystem.BENEFITS]: deliver_to_benefits,
    OPERATIONS[SourceSystem.HOUSING]: deliver_to_housing,
    OPERATIONS[SourceSystem.CRM]: deliver_to_crm,
}
