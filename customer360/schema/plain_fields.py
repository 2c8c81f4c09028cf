"""Plain leaf fields answered without graphql-core's per-field machinery (issue 25, goal 4).

Most of a large answer is plain leaves: `reference`, `status`, `pence` read straight off a payload's
attribute (Strawberry's "basic" fields: no resolver, no arguments, no permission or field extension).
For each of them graphql-core still builds a 16-member `GraphQLResolveInfo`, the field's node list,
checks for arguments, asks twice whether the value is awaitable and walks `complete_value`'s type
dispatch, although the resolver ignores `info` and the value is a plain attribute. On the 100-customer
staff page that is about 19,000 of its 20,000 fields.

`PlainLeafExecution` answers such a field with the same two steps that matter (Strawberry's own basic
resolver, then the leaf type's `coerce_output_value`) and hands anything else back to graphql-core:
a null on a non-null field, a value that does not serialise, an exception, and every field that has a
resolver, permission class, field extension, arguments or object type. Those take graphql-core's path in
full, so their errors, paths and null propagation are graphql-core's own. No authorization is done by a
basic field (there is no resolver to do it), so none is skipped: every check stays in the resolvers
that return the payloads. Per-field middleware (a schema extension's `resolve` hook) turns the shortcut off.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# What a field is, worked out at its first request: (its resolver, leaf type, may be null), or None when
# it must take graphql-core's full path. Kept on the field definition itself; the resolver is kept
# beside it so that a field given another resolver afterwards (a test's rewiring) is planned afresh.
_PLAN = "customer360_plain_leaf"
_NOT_PLAIN = object()  # a leaf to leave to graphql-core

Plan = tuple[Any, GraphQLLeafType | None, bool]  # (resolver, the leaf type or None if not plain, nullable)


def _plan(field: GraphQLField) -> Plan:
    plan: Plan | None = field.extensions.get(_PLAN)
    if plan is None or plan[0] is not field.resolve:
        plan = _planned(field)
        field.extensions = {**field.extensions, _PLAN: plan}
    return plan


def _planned(field: GraphQLField) -> Plan:
    # Only Strawberry's basic fields: no resolver, no permission classes, no field extensions. Its
    # `_is_default` mark is not enough: a field with no resolver but a permission or an extension has it
    # too, and those must run with the request's info, on graphql-core's path.
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    leaf_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    basic = isinstance(definition, StrawberryField) and definition.is_basic_field
    if field.args or not basic or not getattr(field.resolve, "_is_default", False) or not is_leaf_type(leaf_type):
        return field.resolve, None, False
    return field.resolve, leaf_type, not isinstance(field.type, GraphQLNonNull)


class PlainLeafExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with plain leaf fields answered directly (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry always passes a manager; it holds the extensions that implement `resolve`, if any.
        manager = self.middleware_manager
        self._shortcut = manager is None or not manager.middlewares

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field = self.schema.get_field(parent_type, node.name.value)
        if self._shortcut and field is not None and not node.arguments:
            _resolver, leaf_type, nullable = _plan(field)
            if leaf_type is not None:
                answer = self._plain_answer(field, leaf_type, nullable, source)
                if answer is not _NOT_PLAIN:
                    return answer
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _plain_answer(self, field: GraphQLField, leaf_type: GraphQLLeafType, nullable: bool, source: Any) -> Any:
        """The leaf's answer as graphql-core would give it, or `_NOT_PLAIN` for graphql-core to give."""
        try:
            value = field.resolve(source, None)  # type: ignore[misc]  # a basic field's resolver ignores info
        except Exception:  # graphql-core calls it again, then locates and reports the error
            return _NOT_PLAIN
        if value is None:
            return None if nullable else _NOT_PLAIN
        if isinstance(value, Exception) or self.is_awaitable(value):
            return _NOT_PLAIN
        try:
            coerced = leaf_type.coerce_output_value(value)
        except Exception:
            return _NOT_PLAIN
        return _NOT_PLAIN if coerced is Undefined or coerced is None else coerced
