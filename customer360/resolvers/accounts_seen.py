"""Residents' accounts as their office last showed them (`store/accounts_seen.py`): remembered on each
live read of an office's accounts, and read back for a write kept while that office is down. One way for
every office that has them (tenancies from HOUSING_MANAGEMENT, Council Tax accounts from REVENUES)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.types import Info

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_from, records_in
from customer360.sources.backoffice import Lookup

R = TypeVar("R")


async def gather_remembering(
    info: Info[Context, Any],
    customer_id: str,
    lookup: Lookup[Any, list[R]],
    as_held: Callable[[R], AccountHeld],
) -> list[R]:
    """Everything the office holds for the customer (`gather_from`), each holder's accounts remembered."""
    loader = info.context.loaders.of(lookup)

    async def load_and_remember(keys: Iterable[str]) -> list[list[R]]:
        holder_ids = list(keys)
        found = await loader.load_many(holder_ids)
        await remember(info, lookup, holder_ids, found, as_held)
        return found

    return await gather_from(info, customer_id, lookup.office.system, load_and_remember)


async def remember(
    info: Info[Context, Any],
    lookup: Lookup[Any, list[R]],
    holder_ids: Sequence[str],
    found: Sequence[Sequence[R]],
    as_held: Callable[[R], AccountHeld],
) -> None:
    """What the office showed for these holders, kept as last seen — never an answer served from a last
    known copy, which is not what the office shows now."""
    if lookup.namespace in info.context.stale.ages:
        return
    shown = zip(holder_ids, found, strict=True)
    await info.context.services.accounts_seen.remember(
        lookup.office.system, {holder_id: [as_held(record) for record in held] for holder_id, held in shown}
    )


async def as_last_seen(
    info: Info[Context, Any], customer_id: str, system: SourceSystem
) -> Sequence[AccountHeld] | None:
    """The accounts `system` last showed for the customer's linked records; None: not every one of them
    was seen, or too long ago — "unknown", never to be read as "not yours"."""
    holder_ids = await records_in(info, customer_id, system)
    return await info.context.services.accounts_seen.last_seen(system, holder_ids)
