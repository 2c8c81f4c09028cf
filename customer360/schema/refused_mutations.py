"""An answer that refuses every mutation in a document without running any of them.

Each mutation field answers its own payload type, shaped by the client's selection (aliases and
fragments included), with one `userError` (`field: null`) and everything else empty. The document
is validated and executed by graphql-core with a middleware standing in for the mutation
resolvers, so no command, no store and no schema extension (audit, analytics) runs.
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any, cast

from graphql import GraphQLObjectType, execute, get_named_type, parse, validate
from graphql.error import GraphQLError
from strawberry import Schema
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.base import StrawberryList, StrawberryOptional

from customer360.schema.values import UserError

DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL type's Python definition


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
        return _refused_payload(get_named_type(info.return_type), code, message)

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


def _refused_payload(payload_type: Any, code: str, message: str) -> Any:
    """The payload's Python object: `user_errors` set, lists empty, flags false, the rest null."""
    assert isinstance(payload_type, GraphQLObjectType)
    definition = payload_type.extensions[DEFINITION]
    values: dict[str, Any] = {}
    for field in definition.fields:
        if field.base_resolver is not None:
            continue
        if field.python_name == "user_errors":
            values[field.python_name] = [UserError(field=None, code=code, message=message)]
        elif isinstance(field.type, StrawberryOptional):
            values[field.python_name] = None
        elif isinstance(field.type, StrawberryList):
            values[field.python_name] = []
        elif field.type is bool:
            values[field.python_name] = False
        else:
            values[field.python_name] = None
    return definition.origin(**values)
