"""Plain fields answered from a plan without graphql-core's per-field machinery (`schema/plain_fields.py`):
the same answers, byte for byte, as Strawberry's own execution context gives, for every document the
portal ships, the full `me` and the 100-customer staff page the benchmark sends, as several residents
and as staff, with unusual documents (aliases, fragments, @include/@skip, `node(id:)`); and the same errors,
paths and null propagation where a leaf cannot be answered plainly (plain objects and lists of them:
tests/test_plain_field_plans.py).

The reference is a second app whose schemas are given back Strawberry's execution context.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench import queries
from customer360.schema.plain_fields import PlainFieldsExecution
from tests.support import running_app, schemas_of_their_own, settings_with
from tests.test_argument_boundary_wiring import answers, same_answers_for_every_document


def with_strawberrys_execution(app: Starlette) -> int:
    """Give `app`'s schemas Strawberry's own execution context back; the number of schemas changed."""
    changed = 0
    for route in app.routes:
        endpoint = getattr(getattr(getattr(route, "endpoint", None), "_app", None), "_app", None)
        schema = getattr(endpoint, "schema", None)
        if schema is not None and schema.execution_context_class is PlainFieldsExecution:
            schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
            changed += 1
    return changed


@pytest.fixture
async def both(own_council: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    # The benchmark's full staff page is over the production cost ceiling; its shape is what is compared.
    settings = settings_with(own_council, max_query_cost=10_000_000)
    async with running_app(settings) as (_app, now):
        with schemas_of_their_own():  # given Strawberry's execution below: the shared schema must keep ours
            async with running_app(settings) as (before_app, before):
                assert with_strawberrys_execution(before_app) >= 1
                yield now, before


# What a plan does differently, asked of the real schema: aliases, __typename, the same field twice,
# @include/@skip, fragments, and (as staff, below) fragments on the Node interface through `node(id:)`.
UNUSUAL_DOCUMENTS = {
    "aliases, __typename, a field twice": (
        "query { me { __typename id who: name councilTaxAccounts { __typename reference ref: reference"
        " balance { pence } balance { formatted } instalments { dueDate }"
        " due: instalments { status amount { pence } } } } }"
    ),
    "@include and @skip": (
        "query { me { name @skip(if: true) email @include(if: true) councilTaxAccounts {"
        " reference @include(if: false) band latestStatement @skip(if: false) {"
        " lines { kind amount { pence } } closingBalance @skip(if: true) { pence } } } } }"
    ),
    "fragments": (
        "query { me { ...Who councilTaxAccounts { ...Account } } }"
        " fragment Who on Customer { id name address { postcode } }"
        " fragment Account on CouncilTaxAccount {"
        " reference annualCharge { pence formatted } nextInstalment { dueDate } }"
    ),
}

NODE_DOCUMENT = """query { node(id: "%s") { __typename id
  ... on Customer { name address { postcode } councilTaxAccounts { reference balance { pence formatted } } }
  ... on CouncilTaxAccount { reference band instalments { amount { pence } } } } }"""


async def test_every_portal_document_and_the_staff_page_answer_the_same_bytes(both, issuer, residents):
    now, before = both
    await same_answers_for_every_document_the_page_and_its_nodes(now, before, issuer, residents)


async def same_answers_for_every_document_the_page_and_its_nodes(
    now: httpx.AsyncClient, before: httpx.AsyncClient, issuer: Any, residents: Any
) -> None:
    """Every portal document, the benchmark's `me` and unusual documents, the 100-customer page, and
    `node(id:)` for customers and accounts on it: the same bytes from `now` as from `before` (an app
    given back some of Strawberry's own machinery)."""
    staff = await same_answers_for_every_document(
        now,
        before,
        issuer,
        residents,
        {"bench me": queries.ME, **UNUSUAL_DOCUMENTS},
        {"bench page": queries.STAFF_PAGE},
    )
    page = await answers(now, queries.STAFF_PAGE, staff, None)
    assert page.count(b'"reference":') > 200 and page.count(b'"linkedRecords":[{') > 50 and b'"errors"' not in page
    edges = json.loads(page)["data"]["searchCustomers"]["edges"]
    with_accounts = [edge["node"] for edge in edges if edge["node"]["councilTaxAccounts"]]
    ids = [c["id"] for c in with_accounts[:3]] + [a["id"] for c in with_accounts for a in c["councilTaxAccounts"]][:3]
    assert len(ids) == 6
    for node_id in ids:
        ours = await answers(now, NODE_DOCUMENT % node_id, staff, None)
        assert ours == await answers(before, NODE_DOCUMENT % node_id, staff, None)
        assert b'"errors"' not in ours and b'"reference":' in ours


# What graphql-core itself must answer: a null on a non-null leaf, a value its type cannot serialise,
# an attribute that is missing, beside plain leaves that are answered directly.


class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Leaves:
    name: str
    nickname: str | None
    count: int
    colour: Colour


@strawberry.type
class Holder:
    leaves: Leaves | None


@strawberry.type
class LeafQuery:
    @strawberry.field
    def holders(self) -> list[Holder]:
        good = Leaves(name="a", nickname=None, count=1, colour=Colour.RED)
        null_name = Leaves(name=None, nickname="b", count=2, colour=Colour.RED)  # type: ignore[arg-type]
        not_an_int = Leaves(name="c", nickname="c", count="many", colour=Colour.RED)  # type: ignore[arg-type]
        not_a_colour = Leaves(name="d", nickname="d", count=4, colour="blue")  # type: ignore[arg-type]
        return [Holder(leaves=leaves) for leaves in (good, null_name, not_an_int, not_a_colour)] + [Holder(leaves=7)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "document", ["{ holders { leaves { name nickname count colour } } }", "{ holders { leaves { nickname } } }"]
)
async def test_leaves_that_cannot_be_answered_plainly_are_graphql_cores_errors(document):
    ours = strawberry.Schema(query=LeafQuery, execution_context_class=PlainFieldsExecution)
    strawberrys = strawberry.Schema(query=LeafQuery)
    mine, reference = await ours.execute(document), await strawberrys.execute(document)
    assert mine.data == reference.data
    assert [(e.message, e.path) for e in mine.errors or []] == [(e.message, e.path) for e in reference.errors or []]
    if " name " in document:
        assert mine.data == {
            "holders": [{"leaves": {"name": "a", "nickname": None, "count": 1, "colour": "RED"}}]
            + [{"leaves": None}] * 4
        }
        assert len(mine.errors or []) == 4
    else:  # a nullable leaf whose read fails is null with graphql-core's error, the others are answered
        assert [h["leaves"]["nickname"] for h in mine.data["holders"]] == [None, "b", "c", "d", None]
        assert [e.path for e in mine.errors or []] == [["holders", 4, "leaves", "nickname"]]


async def test_a_field_given_another_resolver_after_its_first_request_takes_it():
    schema = strawberry.Schema(query=LeafQuery, execution_context_class=PlainFieldsExecution)
    document = "{ holders { leaves { nickname } } }"
    assert (await schema.execute(document)).data["holders"][1] == {"leaves": {"nickname": "b"}}
    schema._schema.type_map["Leaves"].fields["nickname"].resolve = lambda leaves, info: "rewired"
    assert (await schema.execute(document)).data["holders"][1] == {"leaves": {"nickname": "rewired"}}


class CountingPermission(strawberry.BasePermission):
    """Lets `allowed` through, refuses the rest; counts each check and keeps the info it was given."""

    message = "not yours"
    checks: list[Any] = []

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        CountingPermission.checks.append(info)
        return bool(source.allowed)


@strawberry.type
class Guarded:
    allowed: bool
    secret: str = strawberry.field(permission_classes=[CountingPermission])  # no resolver, a permission


@strawberry.type
class GuardedQuery:
    @strawberry.field
    def guarded(self) -> list[Guarded]:
        return [Guarded(allowed=True, secret="mine"), Guarded(allowed=False, secret="theirs")]


async def test_a_leaf_with_a_permission_but_no_resolver_takes_graphql_cores_path_and_is_checked_once_each():
    # Strawberry marks such a field's resolver as its default one too: only its "basic field" flag says
    # that a permission (or a field extension) must run, with the request's info.
    schema = strawberry.Schema(query=GuardedQuery, execution_context_class=PlainFieldsExecution)
    reference = await strawberry.Schema(query=GuardedQuery).execute("{ guarded { secret } }")
    CountingPermission.checks.clear()
    result = await schema.execute("{ guarded { secret } }")
    assert result.data == reference.data
    assert [(e.message, e.path) for e in result.errors or []] == [("not yours", ["guarded", 1, "secret"])]
    assert len(CountingPermission.checks) == 2  # once per object, never run twice
    assert all(info is not None for info in CountingPermission.checks)
