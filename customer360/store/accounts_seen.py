"""Residents' accounts as each back office last showed them live, kept in the gateway's own store: each
council tenant's tenancies (HOUSING_MANAGEMENT, by its tenant id) and each Council Tax payer's accounts
(REVENUES, by its party id).

A repair, a rent or Council Tax payment and a Direct Debit are only taken on the resident's own account.
While its office is down that cannot be asked, and the cache's copy may have expired, be turned off or
live in another worker's memory; so the accounts the office last showed for the resident's linked records
stand in for it, and the write is kept (the office checks the account again when it is delivered). Kept
here rather than in the cache because it must outlive a restart and be the same for every worker.

Refreshed whenever a holder's accounts are read live, but written at most once a `refresh_every` per
process while they are unchanged: reading "Your home" or "Council Tax" must not cost a database write each
time.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.systems import SourceSystem
from customer360.store.database import STORE_ERRORS
from customer360.store.tables import accounts_seen
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

log = logging.getLogger("customer360.store")
REFRESH_EVERY_SECONDS = 3_600.0
# How long an account as last seen stands in for its office: who holds an account changes rarely, and a
# write on one that has since ended is refused by the office on delivery and reaches its team, never lost.
KEEP = timedelta(days=28)
# Each holder shown gets this row beside its accounts ("seen, and this is all it held"): an answer is given
# only when every one of the resident's records was seen, holding none or some.
_SEEN_HOLDING_NONE = AccountHeld("", None)
REMEMBERED_IN_MEMORY = 10_000  # holders whose last write this process remembers (the oldest forgotten first)


@traced_methods("accounts_seen")
class AccountsSeenStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        keep: timedelta = KEEP,
        refresh_every_seconds: float = REFRESH_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._keep = keep
        self._refresh_every = refresh_every_seconds
        self._monotonic = monotonic
        self._written: OrderedDict[tuple[SourceSystem, str], tuple[frozenset[AccountHeld], float]] = OrderedDict()

    async def remember(self, system: SourceSystem, by_holder: Mapping[str, Sequence[AccountHeld]]) -> None:
        """The office has just shown these accounts for these holders (its own person ids; none too)."""
        due = {
            holder_id: frozenset(held)
            for holder_id, held in by_holder.items()
            if not self._written_lately((system, holder_id), frozenset(held))
        }
        if not due:
            return
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    delete(accounts_seen).where(
                        and_(accounts_seen.c.system == system.value, accounts_seen.c.holder_id.in_(list(due)))
                    )
                )
                rows = [
                    {
                        "system": system.value,
                        "holder_id": holder_id,
                        "reference": account.reference,
                        "ends_on": account.ends_on,
                        "vulnerable_household": account.vulnerable_household,
                        "seen_at": now,
                    }
                    for holder_id, held in due.items()
                    for account in [*held, _SEEN_HOLDING_NONE]
                ]
                await conn.execute(insert(accounts_seen), rows)
        except IntegrityError:
            return  # another worker wrote the same holders at the same moment: its rows are as good
        except STORE_ERRORS as error:
            # Remembering is a side effect of a read: the resident still sees their accounts, and the next
            # live read tries again. Counted by kind only: holder ids are personal data.
            log.warning("accounts as last seen not kept this time (%s)", type(error).__name__)
            return
        for holder_id, held in due.items():
            self._written[(system, holder_id)] = (held, self._monotonic())
            self._written.move_to_end((system, holder_id))
        while len(self._written) > REMEMBERED_IN_MEMORY:
            self._written.popitem(last=False)

    async def last_seen(self, system: SourceSystem, holder_ids: Sequence[str]) -> list[AccountHeld] | None:
        """The accounts the office last showed for these holders within the keeping window; None unless
        every one of them was seen in it (a record linked to the resident since the last live read may hold
        the very account asked about, which must not then be answered "not yours"), and None if they were
        shown holding none (unknown, which is not the same as "holds no account")."""
        if not holder_ids:
            return None
        since = datetime.now(UTC) - self._keep
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(accounts_seen).where(
                        and_(accounts_seen.c.system == system.value, accounts_seen.c.holder_id.in_(holder_ids))
                    )
                )
            ).all()
        fresh = [row for row in rows if as_utc(row.seen_at) >= since]
        if {row.holder_id for row in fresh} != set(holder_ids):
            return None
        held = [
            AccountHeld(row.reference, row.ends_on, row.vulnerable_household)
            for row in fresh
            if row.reference != _SEEN_HOLDING_NONE.reference
        ]
        return held or None  # shown holding none: still unknown (one may have been opened since)

    def _written_lately(self, key: tuple[SourceSystem, str], held: frozenset[AccountHeld]) -> bool:
        last = self._written.get(key)
        return last is not None and last[0] == held and self._monotonic() - last[1] < self._refresh_every
