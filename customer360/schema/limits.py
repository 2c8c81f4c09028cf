"""What a GraphQL document may ask for, checked before the (costlier) standard validation runs.

Defaults follow GraphQL Armor's where our schema allows (aliases 15, directives 50, 15,000
characters); depth and tokens are wider because a Council Tax statement sits eight fields below
`searchCustomers` and a full `me` query is a few hundred tokens; the cost ceiling is ours (Armor's
model differs): see below.

- depth (`C360_MAX_QUERY_DEPTH`, 12): fields below the root field on the longest path
  (`{ me { name } }` is 1), fragments inlined; introspection fields (`__*`) do not count.
- aliases (`C360_MAX_ALIASES`, 15): aliased fields, each fragment counted once per spread (so
  fragments cannot multiply them unseen), and never fewer than are written in the document.
- directives (`C360_MAX_DIRECTIVES`, 50): directive uses (`@skip`, `@include`, unknown ones too),
  counted like aliases.
- tokens (`C360_MAX_TOKENS`, 2000): lexical tokens; the parser gives up past it (the parse option
  Strawberry's `MaxTokensLimiter` sets).
- document size (`C360_MAX_DOCUMENT_BYTES`, 15000): UTF-8 bytes of the query text, checked by the
  HTTP endpoint before parsing (`document_too_large`; 413).
- cost (`C360_MAX_QUERY_COST`, 25000): the estimate below.
- batching (`C360_MAX_BATCH_OPERATIONS`, 0): operations in one JSON-array request; 0 refuses arrays (400).
- page size (100): `first` on every connection, enforced by `resolvers/pagination.py`.

Cost model (an upper-bound estimate made from the document and its variables, before execution):
- a leaf field (scalar or enum) costs 1; introspection fields cost 0;
- a field with a selection costs 2 + multiplier x (the cost of its selection);
- the multiplier is the field's `first` argument (a literal, a variable, or the argument's default;
  20 when none) for paginated fields; 1 for `edges`/`nodes` of a `...Connection` (already counted
  by `first`); `ASSUMED_LIST_SIZE` (10) for other lists of objects (accounts, instalments, lines);
  1 for single objects;
- fragments are costed where they are spread.
So `me { requests(first: 100) { edges { node { reference history { at } } } } }` costs about 2,500;
the heaviest query our own clients send (a staff page of 100 customers with every back-office
field, `tests/test_api_operations.py`) about 21,700; and a connection nested in a connection at
`first: 100` each (`searchCustomers(first: 100) { ... requests(first: 100) { ... } }`) is over 50,000
and refused.

A document over any limit is refused with one GraphQL error per limit (`extensions.code =
QUERY_TOO_COMPLEX`, with `limit`, `max` and `found`) and is not validated further: the checks are
linear in the document, while standard validation (overlapping fields) is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from customer360.schema.known_documents import KnownDocuments

ASSUMED_LIST_SIZE = 10
DEFAULT_PAGE_SIZE = 20
OBJECT_COST = 2
LEAF_COST = 1
COST_CAP = 10**12  # estimates are clamped here so a fragment bomb stays a small number
CODE = "QUERY_TOO_COMPLEX"
VALIDATION_CACHE_SIZE = 512


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 2000
    max_document_bytes: int = 15_000
    max_cost: int = 25_000
    max_batch_operations: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
            max_tokens=settings.max_tokens,
            max_document_bytes=settings.max_document_bytes,
            max_cost=settings.max_query_cost,
            max_batch_operations=settings.max_batch_operations,
        )


@dataclass(frozen=True)
class Measures:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0


def document_too_large(query: str | None, limits: Limits) -> str | None:
    """Why a query text is refused before parsing (None when it is not)."""
    if query is None or limits.max_document_bytes <= 0:
        return None
    size = len(query.encode("utf-8", errors="replace"))
    if size > limits.max_document_bytes:
        return f"the GraphQL document is {size} bytes; the limit is {limits.max_document_bytes}"
    return None


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: Limits,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> list[GraphQLError]:
    """One error per limit the document goes over (an empty list when it is within all of them)."""
    measures = measure(schema, document, operation_name=operation_name, variables=variables)
    errors = []
    for limit, maximum, found in (
        ("depth", limits.max_depth, measures.depth),
        ("aliases", limits.max_aliases, measures.aliases),
        ("directives", limits.max_directives, measures.directives),
        ("cost", limits.max_cost, measures.cost),
    ):
        if maximum > 0 and found > maximum:
            errors.append(
                GraphQLError(
                    f"the query's {limit} is {found}; the limit is {maximum}",
                    extensions={"code": CODE, "limit": limit, "max": maximum, "found": found},
                )
            )
    return errors


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measures:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name is not None and op.name.value == operation_name]
    walker = _Walker(schema, document, variables or {})
    found = [walker.operation(op) for op in operations] or [Measures()]
    static = _static_counts(document)
    return Measures(
        depth=max(m.depth for m in found),
        aliases=max(max(m.aliases for m in found), static.aliases),
        directives=max(max(m.directives for m in found), static.directives),
        cost=max(m.cost for m in found),
    )


class _Walker:
    """Measures selection sets, inlining fragments where they are spread (memoized, cycle-safe)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self._schema = schema
        self._fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self._variables = variables
        self._defaults: dict[str, Any] = {}
        self._memo: dict[str, Measures] = {}
        self._in_progress: set[str] = set()

    def operation(self, op: OperationDefinitionNode) -> Measures:
        for definition in op.variable_definitions or ():
            if isinstance(definition.default_value, IntValueNode):
                self._defaults[definition.variable.name.value] = int(definition.default_value.value)
        root = {
            OperationType.QUERY: self._schema.query_type,
            OperationType.MUTATION: self._schema.mutation_type,
            OperationType.SUBSCRIPTION: self._schema.subscription_type,
        }.get(op.operation)
        inner = self._selection_set(op.selection_set, root)
        return Measures(
            depth=max(inner.depth - 1, 0),
            aliases=inner.aliases,
            directives=inner.directives + len(op.directives or ()),
            cost=inner.cost,
        )

    def _selection_set(self, selection_set: SelectionSetNode | None, parent: Any) -> Measures:
        depth = aliases = directives = cost = 0
        for selection in selection_set.selections if selection_set else ():
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                child = self._field(selection, parent)
                aliases += int(selection.alias is not None)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                child = self._selection_set(
                    selection.selection_set, self._type(condition.name.value) if condition else parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                child = self._spread(selection.name.value)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            depth = max(depth, child.depth)
            aliases += child.aliases
            directives += child.directives
            cost = min(cost + child.cost, COST_CAP)
        return Measures(depth, aliases, directives, cost)

    def _spread(self, name: str) -> Measures:
        if name in self._memo:
            return self._memo[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._in_progress:
            return Measures()  # unknown or circular: validation reports it
        self._in_progress.add(name)
        inner = self._selection_set(fragment.selection_set, self._type(fragment.type_condition.name.value))
        self._in_progress.discard(name)
        measures = Measures(inner.depth, inner.aliases, inner.directives + len(fragment.directives or ()), inner.cost)
        self._memo[name] = measures
        return measures

    def _field(self, node: FieldNode, parent: Any) -> Measures:
        name = node.name.value
        if name.startswith("__"):
            inner = self._selection_set(node.selection_set, None)
            return Measures(0, inner.aliases, inner.directives, 0)
        definition = getattr(parent, "fields", {}).get(name) if parent is not None else None
        if node.selection_set is None:
            return Measures(1, 0, 0, LEAF_COST)
        field_type = definition.type if definition is not None else None
        inner = self._selection_set(node.selection_set, get_named_type(field_type) if field_type else None)
        multiplier = self._multiplier(node, definition, parent, field_type)
        cost = min(OBJECT_COST + multiplier * inner.cost, COST_CAP)
        return Measures(inner.depth + 1, inner.aliases, inner.directives, cost)

    def _multiplier(self, node: FieldNode, definition: Any, parent: Any, field_type: Any) -> int:
        if definition is not None and "first" in definition.args:
            return max(self._first(node, definition), 1)
        if not _is_list(field_type):
            return 1
        parent_name = getattr(parent, "name", "") or ""
        if parent_name.endswith("Connection") and node.name.value in ("edges", "nodes"):
            return 1
        return ASSUMED_LIST_SIZE

    def _first(self, node: FieldNode, definition: Any) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _int(value.value)
            if isinstance(value, VariableNode):
                name = value.name.value
                supplied = self._variables.get(name, self._defaults.get(name))
                return supplied if isinstance(supplied, int) and not isinstance(supplied, bool) else DEFAULT_PAGE_SIZE
            return DEFAULT_PAGE_SIZE
        default = definition.args["first"].default_value
        return default if isinstance(default, int) and not isinstance(default, bool) else DEFAULT_PAGE_SIZE

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._schema.get_type(name)


def _is_list(field_type: Any) -> bool:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def _int(text: str) -> int:
    try:
        return min(int(text), COST_CAP)
    except ValueError:
        return DEFAULT_PAGE_SIZE


class _StaticCounter(Visitor):
    """Aliases and directives written anywhere in the document, used or not."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases = 0
        self.directives = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.aliases += int(node.alias is not None)

    def enter_directive(self, _node: DirectiveNode, *_: Any) -> None:
        self.directives += 1


def _static_counts(document: DocumentNode) -> Measures:
    counter = _StaticCounter()
    visit(document, counter)
    return Measures(aliases=counter.aliases, directives=counter.directives)


_cached_validate: Callable[..., list[GraphQLError]] = lru_cache(maxsize=VALIDATION_CACHE_SIZE)(validate_document)


class DocumentLimits(SchemaExtension):
    """Checks the limits, then runs (cached) standard validation only for documents within them.

    It replaces Strawberry's `ValidationCache`: its rules tuple is stable per schema, so the cache
    (keyed by schema, parsed document and rules) hits across requests.
    """

    limits = Limits()
    known = KnownDocuments()

    def on_operation(self) -> Iterator[None]:
        if self.limits.max_tokens > 0:
            self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None:
            if self.known.passed(document, context.operation_name):
                context.pre_execution_errors = []  # checked on an earlier request: `schema/known_documents.py`
                yield
                return
            errors = check(
                context.schema._schema,
                document,
                self.limits,
                operation_name=context.operation_name,
                variables=context.variables,
            )
            context.pre_execution_errors = errors or _cached_validate(
                context.schema._schema, document, context.validation_rules
            )
            if not context.pre_execution_errors:
                self.known.remember(document, context.operation_name)
        yield


def document_limits(limits: Limits) -> type[DocumentLimits]:
    """The extension for one schema: its limits, and its own memo of documents that passed (one schema's
    validation rules are fixed when it is built, so what passed for it passes again)."""
    return type("DocumentLimits", (DocumentLimits,), {"limits": limits, "known": KnownDocuments()})
