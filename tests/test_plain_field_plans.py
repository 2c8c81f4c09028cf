"""Plain objects and lists of them answered from a plan (`schema/plain_fields.py`, `PlainObject`,
`KeptPlans`): on a schema of its own, the same data and the same errors (message, path, locations) as
Strawberry's own execution for documents that reach what a plan does differently; every key read once
when plain, and read again, down to the bad value, when graphql-core must answer it; plans kept for a
document asked again, and never for one with variables.

The app-level comparison (every portal document, `me`, the staff page, `node(id:)`) is in
tests/test_plain_leaf_fields.py.
"""

from __future__ import annotations

import collections
import gc
import hashlib
import inspect
from typing import Annotated, Any

import pytest
import strawberry
from graphql.execution.executor import Executor
from graphql.pyutils import Undefined
from strawberry.extensions import ParserCache

from customer360.schema.plain_fields import KEPT_PLANS, PlainFieldsExecution

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
class AccountHolder:
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


class UnloadedLines(list[Row]):
    """A list that fails as it is iterated, as a lazy collection whose load fails would."""

    def __iter__(self) -> Any:
        raise RuntimeError("lines could not be loaded")


def _odd_statements() -> list[Row]:
    """Values a plan meets rarely: a list that raises as it is iterated, leaves holding graphql-core's
    `Undefined` (its null) on a nullable and on a non-null field."""
    total = Row(pence=1)
    return [
        Row(lines=UnloadedLines([Row(kind="charge", pence=1, note=None)]), maybe_lines=None, total=total),
        Row(lines=(), maybe_lines=[Row(kind="charge", pence=1, note=Undefined)], total=total),
        Row(lines=(), maybe_lines=[Row(kind=Undefined, pence=1, note="x")], total=total),
    ]


@strawberry.type
class StatementQuery:
    @strawberry.field
    def odd(self) -> list[Statement | None]:
        return _odd_statements()  # type: ignore[return-value]

    @strawberry.field
    def accounts(self) -> list[Account]:
        return _accounts()

    @strawberry.field
    def named(self) -> list[Named]:
        return _accounts()  # type: ignore[return-value]

    @strawberry.field
    def holders(self) -> list[AccountHolder]:
        accounts = _accounts()
        not_an_account = Total(pence=1)
        return [
            AccountHolder(account=accounts[0], accounts=accounts[:2]),
            AccountHolder(account=not_an_account, accounts=accounts[2:4]),  # type: ignore[arg-type]
            AccountHolder(account=None, accounts=[accounts[4], not_an_account]),  # type: ignore[list-item]
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
    "a list that raises as it is iterated": ("{ odd { total { pence } lines { kind pence } } }", None),
    "leaves holding Undefined": ("{ odd { maybeLines { kind note } } }", None),
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
    gc.collect()  # earlier tests' operations, and the plans kept for them, go first
    kept = len(KEPT_PLANS)
    for yes in (True, False, True):
        CountingPlans.planned = 0
        mine = await ours.execute(with_variables, variable_values={"yes": yes})
        assert mine.data == (await reference.execute(with_variables, variable_values={"yes": yes})).data
        assert CountingPlans.planned > 0
    assert len(KEPT_PLANS) == kept


async def test_kept_plans_go_with_their_document():
    # Without the parser cache every request parses afresh: its operation, and the plans kept for it, go
    # once the request is answered, so documents the cache has let go do not stay alive here.
    ours = strawberry.Schema(query=StatementQuery, execution_context_class=PlainFieldsExecution)
    gc.collect()
    kept = len(KEPT_PLANS)
    for _ in range(3):
        result = await ours.execute("{ accounts { statement { total { pence } } } }")
        assert result.data is not None
    gc.collect()
    assert len(KEPT_PLANS) == kept


def test_execute_fields_is_still_the_graphql_core_method_the_plan_follows():
    # `PlainFieldsExecution.execute_fields` follows graphql-core 3.3.2's `Executor.execute_fields` (and
    # `_awaited` its awaiting of an object's fields) step for step, with plain answers taken first. Read
    # the new method and bring the override in line before changing this digest: the byte-for-byte tests
    # would catch a different answer, not a new step (an abort check, a hook) the override leaves out.
    source = inspect.getsource(Executor.execute_fields)
    assert hashlib.sha256(source.encode()).hexdigest() == (
        "797f54fbd779b4e381b688bce8e249abffa2e057974676e5f5ef3cefc0ff654c"
    ), "graphql-core's Executor.execute_fields changed: re-read it against schema/plain_fields.py"
