"""rateService: how it went, 1 to 5 and a comment, once per finished request (the portal asks when it
closes); staff of customer services record a resident's rating from a call with `customerId`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands.feedback import rate_service as command
from customer360.domain.feedback import NOT_FOUND
from customer360.resolvers import feedback as resolve
from customer360.resolvers.context import Context
from customer360.schema.node import key_of
from customer360.schema.values import UserError, user_errors


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
    customer_id = key_of("Customer", input.customer_id) if input.customer_id is not None else None
    if input.customer_id is not None and customer_id is None:
        return RateServicePayload(reference=None, rating=None, user_errors=user_errors([NOT_FOUND]))
    whose, reference, found = await resolve.request_to_rate(info, input.reference, customer_id)
    store = info.context.services.feedback
    if whose is None or store is None:
        return RateServicePayload(reference=None, rating=None, user_errors=user_errors([NOT_FOUND]))
    outcome = await command(
        store, whose, reference, found, input.rating, input.comment, by_staff=input.customer_id is not None
    )
    if isinstance(outcome, list):
        return RateServicePayload(reference=None, rating=None, user_errors=user_errors(outcome))
    return RateServicePayload(reference=reference, rating=outcome, user_errors=[])
