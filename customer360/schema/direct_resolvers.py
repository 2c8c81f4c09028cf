"""Resolvers of fields without arguments, called without Strawberry's per-call wrapping (issue 25, goal 4).

Strawberry's converter wraps every resolver (`GraphQLCoreConverter.from_resolver`); per call the wrapper
builds the `Info`, converts the arguments (`get_arguments`: `convert_arguments`, which asks the name
converter for every argument), chains the field extensions with `functools.reduce` and `partial`, and
around an async resolver adds a coroutine of its own that awaits the resolver's. For a field with no
arguments, no field extensions (permission classes are field extensions) and a schema without exception
handlers, all of that comes to one thing: build the `Info`, then call the field's `get_result` with the
source as `self` and `root`/`parent`, and the `Info`, as the resolver asks for them. `DirectResolver`
does exactly that and nothing else; on the 100-customer staff page it answers about 700 calls a page
(`Customer.linkedRecords`, `councilTaxAccounts`, `benefitClaims`, the accounts' `nextInstalment`...).

The resolver runs with the same arguments and the same `Info` as before, so every check it makes against
the principal is made as before; graphql-core awaits an async resolver's coroutine itself, with the same
result, error, path and null propagation. Fields with arguments keep Strawberry's wrapper (their values
are converted, and bounded by `schema/input_boundary.py`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Strawberry's wrapper around a resolver, sync and async (`GraphQLCoreConverter.from_resolver`).
STRAWBERRYS_WRAPPERS = frozenset(
    f"GraphQLCoreConverter.from_resolver.<locals>.{name}" for name in ("_resolver", "_async_resolver")
)


class DirectResolver:
    """Calls one field's resolver as Strawberry's wrapper would for a field without arguments."""

    __slots__ = ("_field", "_info_class", "_info_name", "_self", "_sources", "wrapped")

    def __init__(self, field: StrawberryField, info_class: type[Any], wrapped: Any) -> None:
        resolver = field.base_resolver
        assert resolver is not None
        self._field = field
        self._info_class = info_class
        self._self = resolver.self_parameter is not None
        # `root` and `parent` parameters receive the source too (strawberry.schema_converter.get_arguments).
        self._sources = tuple(p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None)
        self._info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
        self.wrapped = wrapped  # Strawberry's own resolver, kept so that a test can give it back

    def __call__(self, source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        field = self._field
        strawberry_info = self._info_class(_raw_info=info, _field=field)
        kwargs: dict[str, Any] = dict.fromkeys(self._sources, source)
        if self._info_name is not None:
            kwargs[self._info_name] = strawberry_info
        return field.get_result(source, info=strawberry_info, args=[source] if self._self else [], kwargs=kwargs)


def call_resolvers_directly(schema: strawberry.Schema) -> int:
    """Give every object type's resolver field that qualifies (see the module) a `DirectResolver`, once;
    the number of fields given one. None is given where the schema has exception handlers (Strawberry's
    wrapper is what applies them)."""
    if schema.exception_handlers:
        return 0
    graphql_schema = schema._schema
    subscription = graphql_schema.subscription_type
    given = 0
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type is subscription:
            continue
        for definition in graphql_type.fields.values():
            field = _direct_candidate(definition)
            if field is not None:
                definition.resolve = DirectResolver(field, schema.config.info_class, definition.resolve)
                given += 1
    return given


def _direct_candidate(definition: GraphQLField) -> StrawberryField | None:
    """The field's Strawberry definition if its resolver may be called directly, else None."""
    if definition.args or getattr(definition.resolve, "__qualname__", None) not in STRAWBERRYS_WRAPPERS:
        return None  # arguments to convert, or a resolver wrapped by something else (ours included)
    field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.base_resolver is None:
        return None  # a basic field: no wrapper to skip (schema/plain_fields.py reads those)
    if field.extensions or field.arguments:
        return None
    return field
