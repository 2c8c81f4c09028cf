"""The schema, assembled from explicit lists: every type a client can reach is named here or by a field."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from customer360.schema.actor_scope import guard_every_mutation
from customer360.schema.casework import BenefitClaim, HousingApplication
from customer360.schema.council_tax import CouncilTaxAccount, Discount
from customer360.schema.customer import Customer
from customer360.schema.errors import error_shaping, log_errors
from customer360.schema.input_boundary import ReturnUrls, input_boundary
from customer360.schema.interactions import record_every_mutation
from customer360.schema.limits import Limits, document_limits
from customer360.schema.mutation import Mutation
from customer360.schema.payments import Payment
from customer360.schema.query import Query
from customer360.schema.requests import Complaint, ServiceRequest
from customer360.schema.stale import StaleAnswers
from customer360.schema.values import UserError

NODE_TYPES = [
    Customer,
    CouncilTaxAccount,
    Discount,
    Complaint,
    Payment,
    ServiceRequest,
    BenefitClaim,
    HousingApplication,
]


class Customer360Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Strawberry's logs each error with its message at ERROR, and a message can quote the input
        (a bad variable's whole value: names, NI numbers). Ours logs no message: `schema/errors.py`."""
        log_errors(errors)


def build_schema(
    *, production: bool = False, limits: Limits | None = None, return_urls: ReturnUrls | None = None
) -> strawberry.Schema:
    """The schema with its guards: document limits (`schema/limits.py`), every input normalised and
    bounded (`schema/input_boundary.py`), error shaping (`schema/errors.py`), and in production no
    introspection and no "Did you mean ...?" suggestions."""
    limits = limits or Limits()
    # Factories, not instances: Strawberry builds the extensions afresh for each request (the parse
    # and validation caches live at module level, shared by every request). `DocumentLimits` checks
    # the limits and then runs the cached validation itself.
    extensions: list[Any] = [
        partial(ParserCache, maxsize=512),
        document_limits(limits),
        input_boundary(return_urls or ReturnUrls()),
        error_shaping(production),
        StaleAnswers,
    ]
    if production:
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    record_every_mutation(Mutation)  # audit + analytics from each mutation's own payload
    guard_every_mutation(Mutation)  # inside the recording: a refused actor is audited too
    batching = {"max_operations": limits.max_batch_operations} if limits.max_batch_operations > 0 else None
    return Customer360Schema(
        query=Query,
        mutation=Mutation,
        types=[*NODE_TYPES, UserError],
        extensions=extensions,
        config=StrawberryConfig(batching_config=batching),  # type: ignore[arg-type]
    )
