"""Changes flowing in: each back office's change feed read by one worker at a time across replicas,
every change turned into a request event (kept once, shown in My Requests' history) and, when a
resident would care, a message (an outbox row, kept once per request and event). The people each feed
says were added or changed go to the golden record's incremental matching (`identity/arrivals.py`):
the feeds are how new back-office records arrive, instead of listing every person in every office.

Read at least once: the cursor is saved after the batch is taken, so a crash re-reads it, and each
change's key (history) and event key (outbox) make the replay a no-op. A feed read for the first
time starts now: the past is not news.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from customer360.cache.base import ReadThrough, Stale
from customer360.commands.delivery import Deliverer
from customer360.commands.receipts import notify_delivery
from customer360.domain.changes import RequestChange
from customer360.domain.notifications import MessageKind, event_key, kind_of_change
from customer360.domain.people import PersonRecord
from customer360.notifications.sending import tell
from customer360.sources.change_feeds import ChangeFeed
from customer360.sources.errors import SourceUnavailable
from customer360.store.changes import ChangeStore
from customer360.store.customers import CustomerStore
from customer360.store.leases import JobLeases
from customer360.store.locks import LockBusy
from customer360.store.outbox import OutboxStore

log = logging.getLogger("customer360.changes")


@dataclass
class ChangeIntake:
    feeds: Sequence[ChangeFeed]
    changes: ChangeStore
    outbox: OutboxStore
    customers: CustomerStore
    deliverer: Deliverer
    cache: ReadThrough
    leases: JobLeases
    interval_seconds: float
    # The golden record's arrivals: each feed's new and changed people, matched before its cursor moves on.
    arrivals: Callable[[Sequence[PersonRecord]], Awaitable[object]] | None = None

    async def run_once(self) -> int:
        """One pass over every feed this worker holds the lease of; how many changes were new."""
        taken = 0
        for feed in self.feeds:
            # Held for two intervals and renewed each pass: another replica takes over once this one stops.
            if not await self.leases.acquire(f"changes:{feed.system.value}", max(self.interval_seconds * 2, 10)):
                continue
            try:
                taken += await self.read(feed)
            except SourceUnavailable as error:
                log.info("change feed of %s not read: %s", feed.system.value, error.reason)
            except LockBusy:  # another worker is matching arrivals: this feed is read again (its cursor kept)
                log.info("change feed of %s: arrivals lock busy; read again next pass", feed.system.value)
        return taken

    async def release(self) -> None:
        """On the way out: the feeds this worker reads go to another replica at its next pass, not after
        the lease runs out (two intervals)."""
        for feed in self.feeds:
            await self.leases.release(f"changes:{feed.system.value}")

    async def read(self, feed: ChangeFeed) -> int:
        now = datetime.now(UTC)
        cursor = await self.changes.cursor(feed.system)
        if cursor is None:
            await self.changes.save_cursor(feed.system, now.isoformat(), now)
            return 0
        batch = await feed.changes_since(cursor)
        if batch.people and self.arrivals is not None:
            # First: a request made in the back office by a person it has just added is then told to them.
            await self.arrivals(batch.people)
        new, item_ids = 0, []
        for change in batch.changes:
            appended, item_id = await self.take(change)
            new += appended
            if item_id is not None:
                item_ids.append(item_id)
        await self.changes.save_cursor(feed.system, batch.cursor, datetime.now(UTC))
        if item_ids:
            await self.deliverer.deliver(item_ids)  # told now; the relay retries what this does not finish
        return new

    async def take(self, change: RequestChange) -> tuple[bool, int | None]:
        """Keep one change; (whether it was new, the id of the message row it made, if any)."""
        reference, customer_id = await self._shown_as(change)
        # Read before the change is kept: the status the resident was last told of (or shown).
        previous = None if change.is_new else await self.changes.status_before(reference, change.at)
        appended = await self.changes.append(change, reference)
        kind = MessageKind.RECEIVED if change.is_new else kind_of_change(change.status, change.is_reply, previous)
        item_id = None
        if kind is not None and customer_id is not None:
            # Enqueued even for a change kept before: a crash between the two would otherwise lose the message.
            key = event_key(kind) if kind is MessageKind.RECEIVED else event_key(kind, change.change_key)
            delivery = notify_delivery(key, kind, change.service_name, change.status, change.description)
            item_id = await tell(self.outbox, reference, customer_id, delivery)
        if appended and customer_id is not None:
            await self.cache.forget(Stale(customers=[customer_id]))  # My Requests shows it on the next read
        return appended, item_id

    async def _shown_as(self, change: RequestChange) -> tuple[str, str | None]:
        """The reference the resident knows the request by (ours, if it came through us) and whose it is."""
        if change.external_reference:
            found = await self.outbox.submissions_by_reference([change.external_reference])
            if submission := found.get(change.external_reference):
                return submission.reference, submission.customer_id
        owner = None
        if change.owner_record_id:
            owners = await self.customers.owners_of([(change.system, change.owner_record_id)])
            owner = owners.get((change.system, change.owner_record_id))
        return change.backoffice_reference, owner
