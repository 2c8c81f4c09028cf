"""The schema, assembled from explicit lists: every type a client can reach is named here or by a field."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache

from customer360.schema.casework import BenefitClaim, HousingApplication
from customer360.schema.council_tax import CouncilTaxAccount, Discount
from customer360.schema.customer import Customer
from customer360.schema.errors import error_shaping
from customer360.schema.mutation import Mutation
from customer360.schema.payments import Payment
from customer360.schema.query import Query
from customer360.schema.requests import Complaint, ServiceRequest
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

MAX_DEPTH = 12
MAX_TOKENS = 4000


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Factories, not instances: Strawberry builds the extensions afresh for each request (the parse
    # and validation caches live at module level, shared by every request).
    extensions: list[Any] = [
        partial(ParserCache, maxsize=512),
        partial(ValidationCache, maxsize=512),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        error_shaping(production),
    ]
    if production:
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, mutation=Mutation, types=[*NODE_TYPES, UserError], extensions=extensions)
