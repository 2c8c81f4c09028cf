"""Reading golden customers: `me`, `customer(id)`, `searchCustomers`, and what hangs off a customer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.types import Info

from customer360.auth.policy import TEAMS, acting_role, can_search_customers, can_view_customer
from customer360.auth.purpose import require_purpose
from customer360.cache.base import Stale
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.directory import CustomerPageLike
from customer360.sources.errors import SourceUnavailable

T = TypeVar("T")

MAX_PAGE = 100


class NotAllowed(Exception):
    """The principal may not do this; answered as a GraphQL error with code FORBIDDEN."""

    def __init__(self, message: str = "not allowed") -> None:
        super().__init__(message)
        self.extensions = {"code": "FORBIDDEN"}


async def me(info: Info[Context, Any]) -> GoldenRecord | None:
    principal = info.context.principal
    if not principal.is_resident or principal.customer_id is None:
        return None
    return await info.context.loaders.customers.load(principal.customer_id)


async def customer(info: Info[Context, Any], customer_id: str) -> GoldenRecord | None:
    """Staff only; an id the principal may not see answers null, exactly like one that does not exist."""
    if not info.context.principal.is_staff:
        raise NotAllowed("customer(id) is for staff; residents use me")
    if not can_view_customer(info.context.principal, customer_id):
        return None
    found = await info.context.loaders.customers.load(customer_id)
    if found is not None:
        await audit_staff_reads(info, [customer_id], "customer.read")
    return found


async def search_customers(info: Info[Context, Any], query: str, first: int, after: str | None) -> CustomerPageLike:
    if not can_search_customers(info.context.principal):
        raise NotAllowed("searchCustomers needs a staff role that works with residents' records")
    require_purpose(info.context.request)
    page = await info.context.services.directory.search(query, min(max(first, 1), MAX_PAGE), after)
    await audit_staff_reads(info, [c.customer_id for c in page.customers], "customer.search")
    return page


async def audit_staff_reads(info: Info[Context, Any], customer_ids: list[str], action: str) -> None:
    """Every staff read of a person is in the audit log, with its purpose; residents see it."""
    principal = info.context.principal
    if not principal.is_staff:
        return
    purpose = require_purpose(info.context.request)
    role = acting_role(principal)
    await info.context.services.audit.append_reads(
        actor=principal.subject or principal.name or "staff",
        role=role.value if role else None,
        team=TEAMS.get(role) if role else None,
        customer_ids=customer_ids,
        purpose=purpose,
        action=action,
    )
    # The read is in each resident's access log now: a kept `me { accessLog }` answer must not hide it.
    await info.context.services.cache.forget(Stale(customers=customer_ids))


async def linked_records(info: Info[Context, Any], customer_id: str) -> list[RecordLink]:
    return await info.context.loaders.links.load(customer_id)


async def records_in(info: Info[Context, Any], customer_id: str, system: SourceSystem) -> list[str]:
    """The customer's record ids in one back office (most people have one; a merge can leave two)."""
    return _ids_in(await info.context.loaders.links.load(customer_id), system)


async def gather_from(
    info: Info[Context, Any],
    customer_id: str,
    system: SourceSystem,
    load_many: Callable[[Iterable[str]], Awaitable[list[list[T]]]],
) -> list[T]:
    """Everything one back office holds for the customer, flattened; [] plus an error if it is down."""
    (found,) = await gather_from_each(info, customer_id, [(system, load_many)])
    return found


# A back office's read of many records: a DataLoader's `load_many` (a future), or a coroutine function.
LoadMany = Callable[[Iterable[str]], Awaitable[list[list[Any]]]]


async def gather_from_each(
    info: Info[Context, Any], customer_id: str, reads: Sequence[tuple[SourceSystem, LoadMany]]
) -> list[list[Any]]:
    """What each back office in `reads` holds for the customer, each flattened (one list of records per
    read); [] plus an error (in the order of `reads`) for each that is down.

    A DataLoader's `load_many` is a future, started when called: every read starts here before any is
    awaited, so each batches with every other customer's as it did from a task of its own, and futures
    are gathered without a task each (`gather_from` in concurrent tasks cost about 900 tasks on the
    100-customer staff page). Every failure is retrieved; any but a back office being down is raised."""
    links = await info.context.loaders.links.load(customer_id)
    record_ids = [_ids_in(links, system) for system, _ in reads]
    started = [load_many(ids) for (_, load_many), ids in zip(reads, record_ids, strict=True) if ids]
    answers = iter(await asyncio.gather(*started, return_exceptions=True))
    found: list[list[Any]] = []
    for ids in record_ids:
        answer = next(answers) if ids else []
        if isinstance(answer, SourceUnavailable):
            info.context.report_unavailable(info, answer)
            answer = []
        elif isinstance(answer, BaseException):
            raise answer
        found.append([item for items in answer for item in items] if ids else [])
    return found


def _ids_in(links: list[RecordLink], system: SourceSystem) -> list[str]:
    return [link.record_id for link in links if link.system is system]


def started(read: asyncio.Future[T]) -> asyncio.Future[T]:
    """A loader's read, started now and awaited after another: whoever awaits it still gets its failure,
    and if nobody does (the other read raised first) asyncio does not log it as never retrieved, as it
    would not have under `asyncio.gather`."""
    read.add_done_callback(_retrieved)
    return read


def _retrieved(read: asyncio.Future[Any]) -> None:
    if not read.cancelled():
        read.exception()
