"""The schema, assembled from explicit lists: every type a client can reach is named here or by a field."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from functools import partial
from typing import Any

import strawberry
import strawberry.federation
from graphql import GraphQLError, GraphQLNamedType, GraphQLObjectType, GraphQLSchema
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import FederationDirective
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext, Info
from strawberry.types.base import StrawberryObjectDefinition

from customer360 import tracing
from customer360.schema.actor_scope import guard_every_mutation
from customer360.schema.casework import BenefitClaim, HousingApplication
from customer360.schema.council_tax import CouncilTaxAccount, Discount
from customer360.schema.customer import Customer
from customer360.schema.direct_resolvers import call_resolvers_directly
from customer360.schema.errors import InvalidRepresentation, error_shaping, log_errors
from customer360.schema.input_boundary import ReturnUrls, bound_every_argument
from customer360.schema.interactions import record_every_mutation
from customer360.schema.limits import Limits, document_limits
from customer360.schema.mutation import Mutation
from customer360.schema.node import is_entity
from customer360.schema.payments import Payment
from customer360.schema.plain_fields import PlainFieldsExecution
from customer360.schema.query import Query
from customer360.schema.requests import Complaint, ServiceRequest
from customer360.schema.stale import StaleAnswers
from customer360.schema.tenancies import Tenancy
from customer360.schema.traced_operation import TracedOperation
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
    Tenancy,
]


class Customer360Schema(strawberry.Schema):
    """The client schema (`/graphql`, `schema.graphql`): the same types without Apollo Federation's keys.
    Clients do not compose graphs, so neither the `@key` definition nor its `_FieldSet` is served, and no
    type prints a key; the subgraph (`Customer360Subgraph`) keeps them all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        without_federation_keys(self._schema)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Strawberry's logs each error with its message at ERROR, and a message can quote the input
        (a bad variable's whole value: names, NI numbers). Ours logs no message: `schema/errors.py`."""
        log_errors(errors)

    def _collect_schema_directives(
        self, explicit: Iterable[type], types: Iterable[GraphQLNamedType | None]
    ) -> list[type]:
        # The directive definitions GraphQL-core builds the schema with (Strawberry's hook, as federation's
        # own `_prepare_schema_directives`): @key left out, and with it the `_FieldSet` scalar graphql-core
        # would reach only through @key's arguments.
        found = super()._collect_schema_directives(explicit, types)
        return [directive for directive in found if not issubclass(directive, FederationDirective)]

    def _warn_for_federation_directives(self) -> None:
        """Strawberry warns that the keys need a federation schema: here they are deliberately left out."""


def without_federation_keys(schema: GraphQLSchema) -> None:
    """Strawberry's SDL printer reads a type's directives from the definition its GraphQL-core type points
    back to: in this schema's types (built for it alone) that becomes a copy without the federation
    directives. The definition itself, which the subgraph is built from, is untouched."""
    for graphql_type in schema.type_map.values():
        definition = graphql_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if isinstance(graphql_type, GraphQLObjectType) and isinstance(definition, StrawberryObjectDefinition):
            kept = [d for d in definition.directives or () if not isinstance(d, FederationDirective)]
            if len(kept) != len(definition.directives or ()):
                copy = dataclasses.replace(definition, directives=kept)
                graphql_type.extensions = {**graphql_type.extensions, GraphQLCoreConverter.DEFINITION_BACKREF: copy}


# Entities a channel app may extend: the Relay nodes that carry a key.
ENTITY_TYPES = frozenset(t.__strawberry_definition__.name for t in NODE_TYPES if is_entity(t))  # type: ignore[attr-defined]


class Customer360Subgraph(strawberry.federation.Schema):
    """The same schema as an Apollo Federation v2 subgraph: `_service { sdl }` and `_entities`, whose
    representations each type resolves through `node(id:)`'s own loaders and checks."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """Strawberry's, once every representation is one a gateway sends: `{__typename, id}` of an entity.
        Anything else would fail inside Strawberry as a bug (a traceback); it is the caller's bad input."""
        for representation in representations:
            if not (
                isinstance(representation, dict)
                and representation.keys() == {"__typename", "id"}
                and representation["__typename"] in ENTITY_TYPES
                and isinstance(representation["id"], str)
            ):
                raise InvalidRepresentation("each representation must be {__typename, id} of an entity type")
        return super().entities_resolver(info, representations)


def build_schema(
    *,
    production: bool = False,
    limits: Limits | None = None,
    return_urls: ReturnUrls | None = None,
    federation: bool = False,
) -> strawberry.Schema:
    """The schema with its guards: document limits (`schema/limits.py`), every input normalised and
    bounded (`schema/input_boundary.py`), error shaping (`schema/errors.py`), and in production no
    introspection and no "Did you mean ...?" suggestions. With `federation`, the Apollo Federation v2
    subgraph of the same schema, under the same guards.

    Built once per process for each set of arguments and shared by every app that asks (a worker makes
    one app; the tests make one per test, and building both schemas was most of an app's start)."""
    return _built(production, limits or Limits(), return_urls or ReturnUrls(), federation, tracing.active())


@functools.cache
def _built(
    production: bool, limits: Limits, return_urls: ReturnUrls, federation: bool, traced: bool
) -> strawberry.Schema:
    # Factories, not instances: Strawberry builds the extensions afresh for each request (the parse
    # and validation caches live at module level, shared by every request). `DocumentLimits` checks
    # the limits and then runs the cached validation itself.
    extensions: list[Any] = [
        partial(ParserCache, maxsize=512),
        document_limits(limits),
        error_shaping(production),
        StaleAnswers,
    ]
    if production:
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    if traced:  # first, so the operation's span holds the parsing and checks too
        extensions.insert(0, TracedOperation)
    record_every_mutation(Mutation)  # audit + analytics from each mutation's own payload
    guard_every_mutation(Mutation)  # inside the recording: a refused actor is audited too
    batching = {"max_operations": limits.max_batch_operations} if limits.max_batch_operations > 0 else None
    config = StrawberryConfig(batching_config=batching)  # type: ignore[arg-type]
    settings: dict[str, Any] = {
        "query": Query,
        "mutation": Mutation,
        "types": [*NODE_TYPES, UserError],
        "extensions": extensions,
        "config": config,
        "execution_context_class": PlainFieldsExecution,  # plain fields from a plan, without per-field machinery
    }
    schema: strawberry.Schema = (
        Customer360Subgraph(**settings, federation_version="2.5") if federation else Customer360Schema(**settings)
    )
    # On the fields that take arguments only, not as a per-field middleware (`schema/input_boundary.py`).
    bound_every_argument(schema._schema, return_urls)
    call_resolvers_directly(schema)  # the others without Strawberry's per-call wrapping (`schema/direct_resolvers.py`)
    return schema
