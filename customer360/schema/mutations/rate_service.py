"""rateService: how it went, 1 to 5 and a comment, once per finished request (the portal asks when it
closes); staff of customer services record a resident's rating from a call with `customerId`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.auth.principal import Role
from customer360.commands.feedback import rate_service as command
from customer360.domain.feedback import NOT_FOUND
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.my_requests import all_requests
from customer360.schema.node import key_of
from customer360.schema.values import UserError, user_errors

RECORDING_ROLES = frozenset({Role.CUSTOMER_SERVICES, Role.ADMIN})


@strawberry.input
class RateServiceInput:
    reference: str = strawberry.field(description="The request's reference (C360-..., or its back office's).")
    rating: int = strawberry.field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff recording a resident's rating from a call: whose request it is."
    )


@strawberry.type
class RateServicePayload:
    reference: str | None
    rating: int | None
    user_errors: list[UserError]


async def rate_service(info: Info[Context, Any], input: RateServiceInput) -> RateServicePayload:
    principal = info.context.principal
    store = info.context.feedback
    assert store is not None
    if input.customer_id is not None:
        if not (principal.is_staff and principal.roles & RECORDING_ROLES):
            raise NotAllowed("recording a resident's rating is for customer services")
        customer_id = key_of("Customer", input.customer_id)
    else:
        customer_id = principal.customer_id if principal.is_resident else None
    if customer_id is None:
        return RateServicePayload(reference=None, rating=None, user_errors=user_errors([NOT_FOUND]))
    # Only among the customer's own requests: any other reference is simply not there (NOT_FOUND).
    mine = await all_requests(info, customer_id)
    tracked = next((t for t in mine if input.reference in (t.reference, t.record.reference)), None)
    reference = tracked.reference if tracked else input.reference  # ours, when it came through us
    outcome = await command(
        store,
        customer_id,
        reference,
        tracked.record if tracked else None,
        input.rating,
        input.comment,
        by_staff=input.customer_id is not None,
    )
    if isinstance(outcome, list):
        return RateServicePayload(reference=None, rating=None, user_errors=user_errors(outcome))
    return RateServicePayload(reference=reference, rating=outcome, user_errors=[])
