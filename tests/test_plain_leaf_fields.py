"""Plain fields answered from a plan without graphql-core's per-field machinery (`schema/plain_fields.py`):
the same answers, byte for byte, as Strawberry's own execution context gives, for every document the
portal ships, the full `me` and the 100-customer staff page the benchmark sends, as several residents
and as staff, with unusual documents (aliases, fragments, @include/@skip, `node(id:)`); and the same errors,
paths and null propagation where a field cannot be answered plainly, at every depth of a planned object.

The reference is a second app whose schemas are given back Strawberry's execution context.
"""

from __future__ import annotations

import collections
import enum
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench import queries
from customer360.schema.plain_fields import KEPT_PLANS, PlainFieldsExecution
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
    staff = await same_answers_for_every_document(
        now,
        before,
        issuer,
        residents,
        {"bench me": queries.ME, **UNUSUAL_DOCUMENTS},
        {"bench page": queries.STAFF_PAGE},
    )
    page = await answers(now, queries.STAFF_PAGE, staff, None)
    assert page.count(b'"reference":') > 200 and b'"errors"' not in page
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


# Plain objects and lists of them (`PlainObject`): answered from the plan when every selected field is
# plain, handed back to graphql-core whole (its errors, paths, null propagation) when anything is not.

READS: collections.Counter[str] = collections.Counter()


class Row:
    """A source object that counts each attribute read, so a test can tell a plain answer (read once)
    from one graphql-core answered again (read twice)."""

    def __init__(self, **values: Any) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        READS[name] += 1
        return self._values[name]


@strawberry.type
class Line:
    kind: str
    pence: int
    note: str | None


@strawberry.type
class Total:
    pence: int


@strawberry.type
class Statement:
    lines: list[Line]
    maybe_lines: list[Line | None] | None
    total: Total


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Account(Named):  # implements an interface: graphql-core checks it with `is_type_of`
    reference: str
    statement: Statement | None

    @strawberry.field
    def checked(self) -> str | None:
        if self.reference == "A2":
            raise ValueError("not yours")
        return f"checked {self.reference}"


Thing = Annotated[Account | Total, strawberry.union("Thing")]


@strawberry.type
class Holder2:
    """Holds an account as a plain field: its objects are checked by Strawberry's `is_type_of`."""

    account: Account | None
    accounts: list[Account] | None


def _statement(*lines: Row | None, total: int = 100, generated: bool = False) -> Row:
    kept = [line for line in lines if line is not None]
    return Row(
        lines=(line for line in kept) if generated else tuple(kept), maybe_lines=list(lines), total=Row(pence=total)
    )


def _accounts() -> list[Account]:
    good = Row(kind="charge", pence=100, note=None)
    return [
        Account(name="one", reference="A1", statement=_statement(good, None, Row(kind="credit", pence=-5, note="x"))),  # type: ignore[arg-type]
        Account(name="two", reference="A2", statement=_statement(good, Row(kind="charge", pence="many", note=None))),  # type: ignore[arg-type]
        Account(name="three", reference="A3", statement=_statement(Row(kind=None, pence=1, note="null kind"))),  # type: ignore[arg-type]
        Account(name="four", reference="A4", statement=_statement(good, generated=True)),  # type: ignore[arg-type]
        Account(name="five", reference="A5", statement=None),
    ]


@strawberry.type
class StatementQuery:
    @strawberry.field
    def accounts(self) -> list[Account]:
        return _accounts()

    @strawberry.field
    def named(self) -> list[Named]:
        return _accounts()  # type: ignore[return-value]

    @strawberry.field
    def holders(self) -> list[Holder2]:
        accounts = _accounts()
        not_an_account = Total(pence=1)
        return [
            Holder2(account=accounts[0], accounts=accounts[:2]),
            Holder2(account=not_an_account, accounts=accounts[2:4]),  # type: ignore[arg-type]
            Holder2(account=None, accounts=[accounts[4], not_an_account]),  # type: ignore[list-item]
        ]

    @strawberry.field
    def things(self) -> list[Thing]:
        return [*_accounts()[:2], Total(pence=7)]


PLANNED_DOCUMENTS = {
    "nested lists of plain objects, with bad leaves inside": (
        "{ accounts { reference statement { lines { kind pence note } total { pence } } } }",
        None,
    ),
    "nullable items": ("{ accounts { statement { maybeLines { kind pence } } } }", None),
    "aliases": (
        "{ accounts { ref: reference again: reference statement { a: lines { pence } b: lines { kind } } } }",
        None,
    ),
    "the same field twice, merged": ("{ accounts { statement { lines { pence } lines { kind note } } } }", None),
    "fragments on an interface": (
        "{ named { name ... on Account { reference statement { total { pence } lines { pence } } } } }",
        None,
    ),
    "fragments on a union": (
        "{ things { __typename ... on Account { reference } ... on Total { pence } ... T } }"
        " fragment T on Total { p: pence }",
        None,
    ),
    "__typename in plain objects": ("{ accounts { statement { __typename total { __typename pence } } } }", None),
    "@include and @skip": (
        "query($yes: Boolean!) { accounts { reference @include(if: $yes) statement @skip(if: $yes) { total { pence } }"
        " s: statement @include(if: $yes) { lines @skip(if: false) { pence } } } }",
        {"yes": True},
    ),
    "objects checked by is_type_of, one of another type": (
        "{ holders { account { name reference statement { total { pence } } } accounts { reference } } }",
        None,
    ),
    "a resolver that raises": ("{ accounts { reference checked statement { total { pence } } } }", None),
}


@pytest.mark.parametrize("name", PLANNED_DOCUMENTS)
async def test_planned_documents_answer_as_graphql_core_does(name):
    document, variables = PLANNED_DOCUMENTS[name]
    ours = strawberry.Schema(query=StatementQuery, execution_context_class=PlainFieldsExecution)
    reference = strawberry.Schema(query=StatementQuery)
    mine = await ours.execute(document, variable_values=variables)
    theirs = await reference.execute(document, variable_values=variables)
    assert mine.data == theirs.data and mine.data is not None
    assert [e.formatted for e in mine.errors or []] == [e.formatted for e in theirs.errors or []]


async def test_an_error_inside_a_planned_list_has_graphql_cores_path_and_nulls_the_nearest_nullable_parent():
    schema = strawberry.Schema(query=StatementQuery, execution_context_class=PlainFieldsExecution)
    result = await schema.execute("{ accounts { reference statement { lines { kind pence } } } }")
    statements = [account["statement"] for account in result.data["accounts"]]
    # A2's second line cannot serialise its pence, A3's line has no kind: both non-null up to `statement`.
    assert statements == [
        {"lines": [{"kind": "charge", "pence": 100}, {"kind": "credit", "pence": -5}]},
        None,
        None,
        {"lines": [{"kind": "charge", "pence": 100}]},  # a generator: graphql-core's iterable, same answer
        None,
    ]
    assert [e.path for e in result.errors or []] == [
        ["accounts", 1, "statement", "lines", 1, "pence"],
        ["accounts", 2, "statement", "lines", 0, "kind"],
    ]


async def test_plain_objects_are_read_once_and_a_response_key_with_a_bad_value_again_down_to_it():
    schema = strawberry.Schema(query=StatementQuery, execution_context_class=PlainFieldsExecution)
    READS.clear()
    await schema.execute("{ accounts { statement { total { pence } } } }")
    assert READS == {"total": 4, "pence": 4}  # a plain answer reads each attribute once
    READS.clear()
    await schema.execute("{ accounts { statement { total { pence } maybeLines { pence } } } }")
    # A2's second line cannot serialise its pence: graphql-core answers A2's `statement` again, and below
    # it each key on the way to the bad leaf (its other fields are still answered plainly, once more).
    assert READS["maybe_lines"] == 1 + 3 + 1 + 1  # A1, A2 (plain, then `statement`, then `maybeLines`), A3, A4
    assert READS["total"] == 4 + 1  # A2's again with its statement
    assert READS["pence"] == 3 + (3 + 3 + 3) + 2 + 2  # A2: plain, its statement again, its lines again (+1)
    READS.clear()
    await schema.execute("{ accounts { statement { lines { pence } } } }")
    # A4's lines are a generator, not a list: graphql-core answers that key (the plain read did not consume it).
    assert READS == {"lines": 1 + 3 + 1 + 3, "pence": 2 + (2 + 2 + 3) + 1 + 1}


class CountingPlans(PlainFieldsExecution):
    """Counts the response keys planned afresh."""

    planned = 0

    def _plain(self, parent_type: Any, field_details_list: Any) -> Any:
        CountingPlans.planned += 1
        return super()._plain(parent_type, field_details_list)


async def test_a_document_asked_again_is_answered_from_its_kept_plans_and_one_with_variables_is_planned_each_time():
    # As the app: the parser cache hands back the same document for the same text, so plans are shared.
    ours = strawberry.Schema(query=StatementQuery, execution_context_class=CountingPlans, extensions=[ParserCache])
    reference = strawberry.Schema(query=StatementQuery)
    document = "{ accounts { statement { total { pence } lines { kind pence } } } }"
    CountingPlans.planned = 0
    first = await ours.execute(document)
    assert CountingPlans.planned > 0
    CountingPlans.planned = 0
    again = await ours.execute(document)
    assert CountingPlans.planned == 0  # every field group's plan was kept from the first request
    expected = await reference.execute(document)
    for result in (first, again):
        assert result.data == expected.data
        assert [e.formatted for e in result.errors or []] == [e.formatted for e in expected.errors or []]
    # With variables, what is selected may differ between requests of the same text: never shared.
    with_variables = "query($yes: Boolean!) { accounts { statement { total { pence @include(if: $yes) } } } }"
    kept = len(KEPT_PLANS)
    for yes in (True, False, True):
        CountingPlans.planned = 0
        mine = await ours.execute(with_variables, variable_values={"yes": yes})
        assert mine.data == (await reference.execute(with_variables, variable_values={"yes": yes})).data
        assert CountingPlans.planned > 0
    assert len(KEPT_PLANS) == kept
