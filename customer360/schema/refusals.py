"""A mutation answered with its own payload carrying `userErrors`, without running its resolver.

Every mutation payload has `userErrors` and nullable object fields (the Shopify/Relay shape), so a
refusal decided before the resolver (bad input at the boundary; an idempotency conflict, which
refuses every mutation of a document) can be made for any mutation from the schema alone:
`userErrors` set, everything else empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from inspect import isawaitable
from typing import Any, cast

from graphql import GraphQLObjectType, GraphQLOutputType, GraphQLSchema, execute, get_named_type, parse, validate
from graphql.error import GraphQLError
from strawberry import Schema
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult
from strawberry.types.base import StrawberryList, StrawberryObjectDefinition, StrawberryOptional

from customer360.domain.problems import Problem
from customer360.schema.values import UserError, user_errors

USER_ERRORS = "user_errors"


class NotAPayload(TypeError):
    """The field's type has no `userErrors`: it cannot answer a refusal itself."""


def refused_payload(payload_type: GraphQLOutputType, problems: Sequence[Problem]) -> Any:
    """An instance of the payload's Strawberry class: `userErrors` from `problems`, every other field empty."""
    return payload_with_errors(payload_type, user_errors(problems))


def payload_with_errors(payload_type: GraphQLOutputType, errors: list[UserError]) -> Any:
    """The payload carrying `errors`; its other fields null, or empty lists and false where they may not be null."""
    named = get_named_type(payload_type)
    definition = named.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if named else None
    if not isinstance(named, GraphQLObjectType) or not isinstance(definition, StrawberryObjectDefinition):
        raise NotAPayload(f"{named} is not a Strawberry object type")
    fields = [field for field in definition.fields if field.base_resolver is None]
    if USER_ERRORS not in {field.python_name for field in fields}:
        raise NotAPayload(f"{named.name} has no userErrors")
    values: dict[str, Any] = {field.python_name: _empty(field.type) for field in fields}
    values[USER_ERRORS] = errors
    return definition.origin(**values)


def _empty(field_type: Any) -> Any:
    if isinstance(field_type, StrawberryOptional):
        return None
    if isinstance(field_type, StrawberryList):
        return []
    return False if field_type is bool else None


def is_payload(payload_type: GraphQLOutputType) -> bool:
    named = get_named_type(payload_type)
    return isinstance(named, GraphQLObjectType) and "userErrors" in named.fields


def refused_mutation(schema: GraphQLSchema, field_name: str, problems: Sequence[Problem]) -> Any:
    """The refused payload of the mutation `field_name` (its GraphQL name, e.g. `makePayment`)."""
    mutation = schema.mutation_type
    if mutation is None or field_name not in mutation.fields:
        raise NotAPayload(f"there is no mutation {field_name}")
    return refused_payload(mutation.fields[field_name].type, problems)


async def refused(
    schema: BaseSchema,
    document: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: object,
    *,
    code: str,
    message: str,
) -> ExecutionResult:
    """Every mutation in `document` answered with its own payload, shaped by the client's selection
    (aliases and fragments included), carrying one `userError` (`field: null`): graphql-core validates
    and executes the document with a middleware standing in for the mutation resolvers, so no
    command, no store and no schema extension (audit, analytics) runs."""
    graphql_schema = cast(Schema, schema)._schema
    try:
        parsed = parse(document)
    except GraphQLError as error:
        return ExecutionResult(data=None, errors=[error])
    invalid = validate(graphql_schema, parsed)
    if invalid:
        return ExecutionResult(data=None, errors=invalid)
    mutation_type = graphql_schema.mutation_type

    def refuse(next_: Any, root: Any, info: Any, **args: Any) -> Any:
        if info.parent_type is not mutation_type:
            return next_(root, info, **args)
        return payload_with_errors(info.return_type, [UserError(field=None, code=code, message=message)])

    result = execute(
        graphql_schema,
        parsed,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        middleware=[refuse],
    )
    if isawaitable(result):
        result = await result
    return ExecutionResult(data=result.data, errors=result.errors)
