"""Resolvers of fields without arguments called without Strawberry's per-call wrapping
(`schema/direct_resolvers.py`): the same answers, byte for byte, as with Strawberry's wrapper, for every
document the portal ships, the full `me`, the 100-customer staff page and `node(id:)`, as residents and
staff; on a schema of its own, the same data and errors (message, path, locations) for every way a
resolver asks for its source and info, sync and async, raising, and null on a non-null field; and which
fields keep the wrapper (arguments, permission classes, field extensions, exception handlers).

The reference is a second app whose fields are given Strawberry's own wrapper back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLObjectType
from starlette.applications import Starlette
from strawberry.types import Info

from customer360.schema.direct_resolvers import DirectResolver, call_resolvers_directly
from customer360.schema.schema import build_schema
from tests.support import running_app, schemas_of_their_own, settings_with
from tests.test_plain_leaf_fields import same_answers_for_every_document_the_page_and_its_nodes


def with_strawberrys_wrappers(app: Starlette) -> int:
    """Give every field of `app`'s schemas that has a `DirectResolver` Strawberry's wrapper back; how many."""
    given_back = 0
    for route in app.routes:
        endpoint = getattr(getattr(getattr(route, "endpoint", None), "_app", None), "_app", None)
        schema = getattr(endpoint, "schema", None)
        if schema is None:
            continue
        given_back += _unwrapped(schema)
    return given_back


def _unwrapped(schema: strawberry.Schema) -> int:
    given_back = 0
    for graphql_type in schema._schema.type_map.values():
        if isinstance(graphql_type, GraphQLObjectType):
            for definition in graphql_type.fields.values():
                if isinstance(definition.resolve, DirectResolver):
                    definition.resolve = definition.resolve.wrapped
                    given_back += 1
    return given_back


@pytest.fixture
async def both(own_council: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    # The benchmark's full staff page is over the production cost ceiling; its shape is what is compared.
    settings = settings_with(own_council, max_query_cost=10_000_000)
    async with running_app(settings) as (_app, now):
        with schemas_of_their_own():  # given Strawberry's wrappers below: the shared schema must keep ours
            async with running_app(settings) as (before_app, before):
                assert with_strawberrys_wrappers(before_app) > 15
                yield now, before


async def test_every_portal_document_and_the_staff_page_answer_the_same_bytes(both, issuer, residents):
    now, before = both
    await same_answers_for_every_document_the_page_and_its_nodes(now, before, issuer, residents)


def test_the_customers_back_office_fields_are_called_directly_and_those_with_arguments_are_not():
    fields = build_schema()._schema.type_map["Customer"].fields  # type: ignore[union-attr]
    direct = {name for name, definition in fields.items() if isinstance(definition.resolve, DirectResolver)}
    assert {"linkedRecords", "councilTaxAccounts", "discounts", "benefitClaims", "housingApplications"} <= direct
    assert not direct & {"requests", "complaints", "payments", "accessLog", "notifications"}  # they take arguments
    assert not direct & {"id", "name", "address"}  # basic fields have no wrapper to skip


# Every way a resolver may ask for its source and info, sync and async, answering, raising, or null
# where the type says non-null: the same data and errors as through Strawberry's wrapper.


class Refused(strawberry.BasePermission):
    message = "not yours"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    label: str

    @strawberry.field
    def with_self_and_info(self, info: Info) -> str:
        return f"{self.label}:{info.field_name}:{'/'.join(map(str, info.path.as_list()))}"

    @strawberry.field
    def with_root(self, root: Item) -> str:
        return f"root {root.label}"

    @strawberry.field
    def with_parent(self, parent: strawberry.Parent[Item]) -> str:
        return f"parent {parent.label}"

    @strawberry.field
    @staticmethod
    def without_self() -> int:
        return 7

    @strawberry.field
    async def awaited(self, info: Info) -> str:
        return f"awaited {self.label} for {info.context['who']}"

    @strawberry.field
    def raising(self) -> str | None:
        raise ValueError(f"no {self.label}")

    @strawberry.field
    async def raising_later(self) -> str | None:
        raise ValueError(f"not now {self.label}")

    @strawberry.field
    def null_but_non_null(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def nested(self) -> list[Item]:
        return [Item(label=f"{self.label}.1"), Item(label=f"{self.label}.2")]

    @strawberry.field(permission_classes=[Refused])
    def guarded(self) -> str | None:
        return "never"

    @strawberry.field
    def with_argument(self, times: int = 1) -> str:
        return self.label * times


@strawberry.type
class ItemQuery:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(label="a"), Item(label="b")]


DOCUMENTS = [
    "{ items { label withSelfAndInfo withRoot withParent withoutSelf awaited } }",
    "{ items { raising raisingLater guarded withArgument(times: 2) } }",
    "{ items { label nullButNonNull } }",
    "{ items { nested { withSelfAndInfo awaited nested { raising withSelfAndInfo } } } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_answers_and_errors_are_strawberrys_own(document):
    ours = strawberry.Schema(query=ItemQuery)
    assert call_resolvers_directly(ours) >= 9
    mine = await ours.execute(document, context_value={"who": "me"})
    reference = await strawberry.Schema(query=ItemQuery).execute(document, context_value={"who": "me"})
    assert mine.data == reference.data
    assert [(e.message, e.path, e.locations) for e in mine.errors or []] == [
        (e.message, e.path, e.locations) for e in reference.errors or []
    ]
    assert mine.data is not None or mine.errors


@pytest.mark.parametrize(
    ("field", "direct"),
    [
        ("withSelfAndInfo", True),
        ("withRoot", True),
        ("withParent", True),
        ("withoutSelf", True),
        ("awaited", True),
        ("raising", True),
        ("nested", True),
        ("label", False),  # a basic field: no resolver
        ("guarded", False),  # a permission class is a field extension: Strawberry's wrapper runs it
        ("withArgument", False),  # arguments are converted (and bounded) on Strawberry's path
    ],
)
def test_which_fields_are_called_directly(field, direct):
    schema = strawberry.Schema(query=ItemQuery)
    call_resolvers_directly(schema)
    call_resolvers_directly(schema)  # once: a field already given one is left alone
    resolve = schema._schema.type_map["Item"].fields[field].resolve  # type: ignore[union-attr]
    assert isinstance(resolve, DirectResolver) is direct
    assert not isinstance(getattr(resolve, "wrapped", None), DirectResolver)


class NoLabel(Exception):
    pass


@strawberry.type
class LabelError:
    message: str


class NoLabelHandler(strawberry.ExceptionHandler[NoLabel, LabelError]):  # type: ignore[misc]
    def handle(self, exception: NoLabel, *, field: Any, info: Any) -> LabelError:
        return LabelError(message=str(exception))


def test_a_schema_with_exception_handlers_keeps_strawberrys_wrapper_everywhere():
    schema = strawberry.Schema(query=ItemQuery, exception_handlers=[NoLabelHandler()])
    assert call_resolvers_directly(schema) == 0
