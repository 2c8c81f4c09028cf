"""notifyMove: tell the council once that you are moving into, out of, or within the borough."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import moving as command
from customer360.domain.moving import MoveKind, chosen_address
from customer360.domain.people import PostalAddress, normalise_postcode
from customer360.resolvers.context import Context
from customer360.resolvers.customers import linked_records, me
from customer360.resolvers.my_requests import request_not_yet_delivered
from customer360.resolvers.tracking import Tracked
from customer360.schema.requests import ServiceRequest
from customer360.schema.values import UserError, user_errors

strawberry.enum(MoveKind)


@strawberry.input
class AddressInput:
    line1: str
    postcode: str
    line2: str | None = None
    town: str | None = None
    uprn: str | None = None


@strawberry.input
class NotifyMoveInput:
    kind: MoveKind
    move_date: date
    new_address: AddressInput | None = strawberry.field(
        default=None, description="Moving in or within: found in the gazetteer by postcode and first line."
    )
    new_uprn: str | None = strawberry.field(default=None, description="The new home's UPRN, if known.")
    whole_household: bool | None = strawberry.field(default=True, description="Is everyone at the address moving?")


@strawberry.type
class NotifyMovePayload:
    request: ServiceRequest | None
    user_errors: list[UserError]


async def notify_move(info: Info[Context, Any], input: NotifyMoveInput) -> NotifyMovePayload:
    context = info.context
    customer = await me(info)
    given = input.new_address
    given_address = (
        PostalAddress(given.line1, normalise_postcode(given.postcode) or given.postcode, given.line2, given.town)
        if given
        else None
    )
    uprn = input.new_uprn or (given.uprn if given else None)
    book = context.services.addresses
    address, address_problems = chosen_address(
        input.kind,
        uprn,
        given_address,
        book.by_uprn(uprn) if uprn else None,
        book.at_postcode(given.postcode) if given and not uprn else [],
    )
    outcome = await command.notify_move(
        context.principal,
        customer,
        await linked_records(info, customer.customer_id) if customer else [],
        context.services.writes,
        command.NotifyMove(
            kind=input.kind,
            move_date=input.move_date,
            new_address=address,
            whole_household=input.whole_household is not False,
            today=context.today,
        ),
        address_problems,
    )
    if isinstance(outcome, list):
        return NotifyMovePayload(request=None, user_errors=user_errors(outcome))
    tracked = Tracked(request_not_yet_delivered(outcome), outcome.reference, outcome)
    return NotifyMovePayload(request=ServiceRequest.from_record(tracked), user_errors=[])
