"""Plain fields answered from a plan, without graphql-core's per-field machinery (issue 25, goal 4).

Most of a large answer is plain: leaves such as `reference`, `status`, `pence` read straight off a
payload's attribute, and small objects and lists of them (`amount { pence formatted }`, `address`,
`instalments`, a statement's `lines`) reached the same way. They are Strawberry's "basic" fields: no
resolver, no arguments, no permission class or field extension. For each of them graphql-core still
builds a `Path`, a 16-member `GraphQLResolveInfo` and the field's node list, checks for arguments, asks
twice whether the value is awaitable and walks `complete_value`'s type dispatch, although nothing reads
the info and the value is an attribute. On the 100-customer staff page that is about 19,000 of its
20,000 fields.

`PlainFieldsExecution` plans each object's field group once (graphql-core hands back the same grouped
field set for every item of a list, so a plan serves all 100 customers; `KeptPlans` keeps it for the
next request of the same parsed document when the operation has no variables): a response key is
a *plain leaf* (the attribute the basic resolver would read, then the leaf type's
`coerce_output_value`), a *plain object* or *list of plain objects* (the attribute, then the object's
own plan, every field of which is plain too), or anything else, which graphql-core's `execute_field`
answers with a real `Path` and info, as before. Every resolver therefore still runs once, with its
info, where it always did: no authorization is done by a basic field (there is nothing to run), so
none is skipped.

Whenever a plain answer meets anything unusual — an exception, a null on a non-null field, a value
that does not serialise, an awaitable, an object that is not of its type (Strawberry's own
`is_type_of`, asked without info; a type with a check of its own is left to graphql-core) or an
iterable that is not a list — the whole response key is handed back to graphql-core's `execute_field`,
so its errors, paths and null propagation are graphql-core's own (any exception inside a plain answer
does that, not only the checks above). Plain fields only read attributes, so reading them again is safe:
a basic field is assumed free of side effects, and a property that starts work each time it is read
(returns a fresh awaitable) must be a resolver field instead. A schema extension with a per-field
`resolve` hook (graphql-core middleware), `@defer`, and any directive on a field node (`@include`/`@skip`
too) turn the plan off for what they touch.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    is_leaf_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

Read = Callable[[Any], Any]  # a plain field's value from its source object


class _NotPlain(Exception):
    """Raised inside a plain answer when graphql-core must answer the response key instead (a new one
    each time: a kept instance would keep the last failure's traceback, and the request's objects). Any
    other exception raised inside a plain answer (a read, a coercion, a list that fails as it is
    iterated) hands the key back the same way."""


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    """A basic field of a leaf type: the attribute, coerced as graphql-core's `complete_leaf_value` would."""

    read: Read
    leaf_type: GraphQLLeafType
    nullable: bool

    def answer(self, source: Any, is_awaitable: Callable[[Any], bool]) -> Any:
        value = self.read(source)
        if value is None or value is Undefined:  # graphql-core's null, both of them
            if self.nullable:
                return None
            raise _NotPlain
        if isinstance(value, Exception) or is_awaitable(value):
            raise _NotPlain
        coerced = self.leaf_type.coerce_output_value(value)
        if coerced is Undefined or coerced is None:
            raise _NotPlain
        return coerced


@dataclass(frozen=True, slots=True)
class PlainObject:
    """A basic field of an object type (or a list of one) whose selected fields are all plain."""

    read: Read
    nullable: bool
    is_list: bool
    item_nullable: bool  # for a list: may an item be null
    is_type_of: Callable[[Any, Any], Any] | None  # Strawberry's own check, which ignores info
    fields: tuple[tuple[str, PlainLeaf | PlainObject], ...]

    def answer(self, source: Any, is_awaitable: Callable[[Any], bool]) -> Any:
        value = self.read(source)
        if value is None or value is Undefined:
            if self.nullable:
                return None
            raise _NotPlain
        if not self.is_list:
            return self._object(value, is_awaitable)
        if not isinstance(value, list | tuple):  # any other iterable (a generator, an async one): graphql-core's
            raise _NotPlain
        items: list[dict[str, Any] | None] = []
        for item in value:
            if item is None:
                if not self.item_nullable:
                    raise _NotPlain
                items.append(None)
            else:
                items.append(self._object(item, is_awaitable))
        return items

    def _object(self, value: Any, is_awaitable: Callable[[Any], bool]) -> dict[str, Any]:
        if isinstance(value, Exception) or is_awaitable(value):
            raise _NotPlain
        if self.is_type_of is not None and self.is_type_of(value, None) is not True:
            raise _NotPlain  # graphql-core reports the object that is not of its type
        return {name: field.answer(value, is_awaitable) for name, field in self.fields}


# A field group's plan: per response key, its field details and its plain answer (None: graphql-core's).
FieldGroupPlan = tuple[tuple[str, Any, PlainLeaf | PlainObject | None], ...]
Plains = tuple[PlainLeaf | PlainObject | None, ...]  # a field group's plain answers, in its keys' order
Resolvers = list[tuple[GraphQLField, Any]]  # the basic fields a plan relies on, with their resolvers then


def _is_basic(field: GraphQLField) -> bool:
    """Only Strawberry's basic fields: no resolver, no permission classes, no field extensions. Its
    `_is_default` mark alone is not enough: a field with no resolver but a permission or an extension
    has it too, and those must run with the request's info, on graphql-core's path."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return (
        isinstance(definition, StrawberryField)
        and definition.is_basic_field
        and getattr(field.resolve, "_is_default", False)
        and not field.args
    )


def _reader(field: GraphQLField) -> Read:
    """How a basic field reads its value: Strawberry's `get_result` for a field without a resolver is its
    default resolver (`getattr` unless configured) on the field's Python name; read that directly."""
    definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    name = definition.python_name
    if type(definition).get_result is StrawberryField.get_result and definition.default_resolver is getattr:
        return attrgetter(name)
    resolve = field.resolve
    return lambda source: resolve(source, None)  # type: ignore[misc]  # a basic field's resolver ignores info


def _checks_without_info(object_type: GraphQLObjectType) -> bool:
    """Whether graphql-core's `is_type_of` check of the type, if any, is Strawberry's own: the one it
    gives a type that implements an interface (an `isinstance` that ignores info). A type that defines
    its own `is_type_of` may read info, so graphql-core completes its objects."""
    if object_type.is_type_of is None:
        return True
    definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(definition, StrawberryObjectDefinition) and definition.is_type_of is None


def _nullable(graphql_type: GraphQLOutputType) -> tuple[bool, GraphQLOutputType]:
    if isinstance(graphql_type, GraphQLNonNull):
        return False, graphql_type.of_type
    return True, graphql_type


class PlainFieldsExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with plain fields answered from a plan (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry always passes a manager; it holds the extensions that implement `resolve`, if any.
        manager = self.middleware_manager
        self._planned = manager is None or not manager.middlewares
        # Keyed by the grouped field set's identity, which graphql-core memoises per (type, field group)
        # for the request; the set is kept beside its plan so that its id cannot be reused meanwhile.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, FieldGroupPlan]] = {}
        self._resolvers_seen: Resolvers = []

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if not self._planned or position_context is not None:  # per-field middleware, or inside a @defer
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plan = self._plan(parent_type, grouped_field_set)
        # From here as graphql-core's `execute_fields`, with plain answers taken first.
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, plain in plan:
                if plain is not None:
                    try:
                        results[response_name] = plain.answer(source_value, is_awaitable)
                        continue
                    except Exception:  # `_NotPlain`, or a list or an object that raised: graphql-core
                        pass  # answers it below, errors, paths and all
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(parent_type, source_value, field_details_list, field_path, position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _awaited(results, awaitable_fields)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> FieldGroupPlan:
        key = (parent_type, id(grouped_field_set))
        kept = self._plans.get(key)
        if kept is not None:
            return kept[1]
        shared_key = self._shared_key(parent_type, grouped_field_set)
        plains = KEPT_PLANS.get(self.operation, shared_key) if shared_key is not None else None
        if plains is None:
            self._resolvers_seen = []
            plains = tuple(self._plain(parent_type, details) for details in grouped_field_set.values())
            if shared_key is not None:
                KEPT_PLANS.keep(self.operation, shared_key, plains, self._resolvers_seen)
        plan = tuple(
            (name, details, plain) for (name, details), plain in zip(grouped_field_set.items(), plains, strict=True)
        )
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _shared_key(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[Any, ...] | None:
        """The field group as every request of the same parsed document selects it: its type and the
        identity of its field nodes (Strawberry's parser cache hands back the same nodes for the same
        text). None where another request could select otherwise: an operation with variables (an
        `@include(if: $x)` below may differ) or a group touched by `@defer` or fragment arguments."""
        if self.operation.variable_definitions:
            return None
        key: list[Any] = [parent_type]
        for name, field_details_list in grouped_field_set.items():
            key.append(name)
            for details in field_details_list:
                if details.defer_usage is not None or details.fragment_variable_values is not None:
                    return None
                key.append(id(details.node))
        return tuple(key)

    def _plain(self, parent_type: GraphQLObjectType, field_details_list: Any) -> PlainLeaf | PlainObject | None:
        """How a response key can be answered plainly, or None for graphql-core's `execute_field`."""
        if any(details.defer_usage is not None or details.node.directives for details in field_details_list):
            return None
        node = field_details_list[0].node
        field = self.schema.get_field(parent_type, node.name.value)
        if field is None or node.arguments or not _is_basic(field):
            return None
        self._resolvers_seen.append((field, field.resolve))
        nullable, inner = _nullable(field.type)
        if is_leaf_type(inner):
            return PlainLeaf(_reader(field), inner, nullable)
        is_list = isinstance(inner, GraphQLList)
        item_nullable, item = _nullable(inner.of_type) if isinstance(inner, GraphQLList) else (False, inner)
        if not isinstance(item, GraphQLObjectType) or not _checks_without_info(item):
            return None  # abstract types, lists of lists or of leaves, a type's own `is_type_of`
        grouped, new_defer_usages, forbidden = self.collect_subfields(item, field_details_list)
        if new_defer_usages or forbidden:
            return None
        fields = []
        for response_name, sub_details in grouped.items():
            plain = self._plain(item, sub_details)
            if plain is None:
                return None  # not every field plain: graphql-core completes it, and plans its fields
            fields.append((response_name, plain))
        return PlainObject(_reader(field), nullable, is_list, item_nullable, item.is_type_of, tuple(fields))


class KeptPlans:
    """Field groups' plain answers kept for as long as the parsed operation they were planned for lives:
    Strawberry's parser cache hands back the same nodes for the same text (the portal's documents, the
    staff page), so a repeat plans nothing; planning a cold `me`'s dozen field groups afresh cost about
    1 ms.

    Per operation, by identity (a node hashes its whole tree), then per field group: its type and its
    field nodes' identities, which no other node can take while their operation lives. An operation's
    plans go with it (`weakref.finalize`), so nothing here keeps a document, or an old schema's types,
    alive after the parser cache lets it go. A plan relies on its fields being basic: one given another
    resolver since (a test's rewiring) is planned afresh."""

    def __init__(self) -> None:
        self._by_operation: dict[int, dict[tuple[Any, ...], tuple[Plains, Resolvers]]] = {}

    def get(self, operation: OperationDefinitionNode, key: tuple[Any, ...]) -> Plains | None:
        kept = self._by_operation.get(id(operation), {}).get(key)
        if kept is None or any(field.resolve is not resolve for field, resolve in kept[1]):
            return None
        return kept[0]

    def keep(
        self, operation: OperationDefinitionNode, key: tuple[Any, ...], plains: Plains, resolvers: Resolvers
    ) -> None:
        groups = self._by_operation.get(id(operation))
        if groups is None:
            groups = self._by_operation[id(operation)] = {}
            weakref.finalize(operation, self._by_operation.pop, id(operation), None)
        groups[key] = (plains, resolvers)

    def __len__(self) -> int:
        """How many operations have plans kept."""
        return len(self._by_operation)


KEPT_PLANS = KeptPlans()


async def _awaited(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    """The object once its awaitable fields are in, as graphql-core's `execute_fields` awaits them: one
    field alone, several gathered with cancellation (each is a task, so the loaders of every object
    start before any batch runs)."""
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results
