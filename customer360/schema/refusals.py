"""A mutation answered with its own payload carrying `userErrors`, without running its resolver.

Every mutation payload has `userErrors` and nullable object fields (the Shopify/Relay shape), so a
refusal decided before the resolver (bad input at the boundary, an idempotency conflict) can be
made for any mutation from the schema alone: `userErrors` set, everything else null.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLObjectType, GraphQLOutputType, GraphQLSchema, get_named_type
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition

from customer360.domain.problems import Problem
from customer360.schema.values import user_errors

USER_ERRORS = "user_errors"


class NotAPayload(TypeError):
    """The field's type has no `userErrors`: it cannot answer a refusal itself."""


def refused_payload(payload_type: GraphQLOutputType, problems: Sequence[Problem]) -> Any:
    """An instance of the payload's Strawberry class: `userErrors` from `problems`, every other field None."""
    named = get_named_type(payload_type)
    definition = named.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if named else None
    if not isinstance(named, GraphQLObjectType) or not isinstance(definition, StrawberryObjectDefinition):
        raise NotAPayload(f"{named} is not a Strawberry object type")
    names = {field.python_name for field in definition.fields if field.base_resolver is None}
    if USER_ERRORS not in names:
        raise NotAPayload(f"{named.name} has no userErrors")
    values: dict[str, Any] = dict.fromkeys(names - {USER_ERRORS})
    values[USER_ERRORS] = user_errors(problems)
    return definition.origin(**values)


def is_payload(payload_type: GraphQLOutputType) -> bool:
    named = get_named_type(payload_type)
    return isinstance(named, GraphQLObjectType) and "userErrors" in named.fields


def refused_mutation(schema: GraphQLSchema, field_name: str, problems: Sequence[Problem]) -> Any:
    """The refused payload of the mutation `field_name` (its GraphQL name, e.g. `makePayment`)."""
    mutation = schema.mutation_type
    if mutation is None or field_name not in mutation.fields:
        raise NotAPayload(f"there is no mutation {field_name}")
    return refused_payload(mutation.fields[field_name].type, problems)
