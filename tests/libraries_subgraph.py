"""A second team's subgraph, as a council's libraries service would run it beside customer360: it extends
`Customer` (by customer360's global id) with the resident's library loans. Strawberry's own federation
support, served for real by the gateway tests; its SDL is what the composition tests compose.

It remembers the `Authorization` header of every request, so a test can see the gateway forwarded the
resident's token to it as well."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.types import Info


@strawberry.type
class LibraryLoan:
    title: str
    due_on: str


@strawberry.federation.type(keys=["id"])
class Customer:
    id: strawberry.ID

    @strawberry.field
    def library_loans(self, info: Info) -> list[LibraryLoan]:
        held: Mapping[str, Sequence[tuple[str, str]]] = info.context["loans"]
        return [LibraryLoan(title=title, due_on=due_on) for title, due_on in held.get(self.id, ())]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field(description="A libraries subgraph has queries of its own; this one keeps the type valid.")
    def library_branches(self) -> list[str]:
        return ["Tamworth Library"]


schema = strawberry.federation.Schema(query=Query, types=[Customer], federation_version="2.5")


class _Libraries(GraphQL):  # type: ignore[type-arg]
    def __init__(self, loans: Mapping[str, Sequence[tuple[str, str]]], seen: list[str | None]) -> None:
        super().__init__(schema, graphql_ide=None)
        self._loans = loans
        self._seen = seen

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        self._seen.append(request.headers.get("authorization"))
        return {"loans": self._loans}


def create_libraries_app(
    loans: Mapping[str, Sequence[tuple[str, str]]], seen_authorizations: list[str | None]
) -> Starlette:
    """`loans`: customer360's global Customer id -> (title, due on) pairs. Each request's `Authorization`
    header is appended to `seen_authorizations`."""
    return Starlette(routes=[Route("/graphql", _Libraries(loans, seen_authorizations), methods=["GET", "POST"])])


if __name__ == "__main__":  # by hand (docs/federation.md): python -m tests.libraries_subgraph PORT CUSTOMER_ID
    import sys

    import uvicorn

    port, customer_id = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(create_libraries_app({customer_id: [("Small Island", "2026-12-20")]}, []), port=port)
