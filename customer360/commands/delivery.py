"""Delivering outbox rows to back offices: at once after a submission, and again by the relay.

Each operation has a handler that performs it against the sources and says what it changed. A
back office that is unavailable leaves the row pending with a later retry time (exponential
backoff, capped); one that refuses the request for good marks it FAILED and opens a case for the
staff team that owns the destination (`domain/cases.py`), so nothing refused is ever quiet: any
handler's SourceRejected does, whichever service it belongs to. Every write a handler makes carries
the customer360 reference, which the back office keeps, so a delivery retried after a crash between
"written" and "marked delivered" finds the first write instead of making another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from customer360 import tracing
from customer360.cache.base import ReadThrough, Stale
from customer360.domain.cases import case_reason, team_for
from customer360.domain.customers import RecordLink
from customer360.domain.people import PersonRecord
from customer360.domain.submissions import as_source_system
from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.registry import Sources
from customer360.store.cases import DeliveryCaseStore, NewDeliveryCase
from customer360.store.customers import CustomerStore, NewLink
from customer360.store.database import STORE_ERRORS
from customer360.store.locks import LockBusy, Locks
from customer360.store.outbox import OutboxItem, OutboxStore

log = logging.getLogger("customer360.outbox")

FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=15)
# A relay claims this many due deliveries at a time (see `Deliverer.run_due`).
CLAIM_BATCH = 5
CREATED_BY_US = "created_by_customer360"


@dataclass(frozen=True)
class Delivered:
    backoffice_reference: str
    invalidate: Sequence[tuple[str, str]] = ()  # cache (namespace, key) pairs the write changed
    # A person record the write created for the customer: linked to them, and kept in `person_records`, at once.
    created: PersonRecord | None = None
    # What the outbox row keeps once delivered, when it carried what must not be kept longer than it takes
    # to deliver (a Direct Debit's bank details); None: the payload as it was.
    payload_after: dict[str, Any] | None = None


@dataclass(frozen=True)
class DeliveryTools:
    """What a handler may use: the back offices, and the golden record's links (read-only)."""

    sources: Sources
    links_of: Callable[[str], Awaitable[list[RecordLink]]]

    async def record_in(self, customer_id: str | None, system: SourceSystem) -> str | None:
        """The customer's record in one back office, if it knows them (the first, if a merge left two)."""
        if customer_id is None:
            return None
        return next((link.record_id for link in await self.links_of(customer_id) if link.system is system), None)


Handler = Callable[[DeliveryTools, OutboxItem], Awaitable[Delivered]]


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 15 minutes, with jitter so a recovered back office is not stampeded."""
    doublings = min(max(attempts - 1, 0), 20)
    delay = min(FIRST_RETRY * (1 << doublings), MAX_RETRY)
    return delay * random.uniform(0.8, 1.2)


@dataclass
class Deliverer:
    outbox: OutboxStore
    customers: CustomerStore
    sources: Sources
    cache: ReadThrough
    cases: DeliveryCaseStore
    metrics: Metrics
    locks: Locks
    handlers: dict[str, Handler] = field(default_factory=dict)

    async def deliver(self, item_ids: Sequence[int]) -> None:
        now = datetime.now(UTC)
        items = await self.outbox.claim(item_ids, now)
        held = {item.id for item in items}  # claimed and not yet attempted or being attempted
        async with self._claims_renewed(held, items[0].claimed_by if items else ""):
            for item in items:
                try:
                    await self._attempt(item)
                except Exception as error:  # marking it or the cache failed: the rows behind it still go
                    log.error(
                        "outbox row %s (%s) not settled (%s): retried once its claim lapses",
                        item.id,
                        item.operation,
                        type(error).__name__,
                    )
                finally:
                    held.discard(item.id)

    @contextlib.asynccontextmanager
    async def _claims_renewed(self, held: set[int], claimed_by: str) -> AsyncIterator[None]:
        """Renews the lease on `held` while the block runs: a slow back office keeps its row, and
        once this deliverer dies (the heartbeat dies with it) another relay takes over within a lease."""
        if not held:
            yield
            return
        heartbeat = asyncio.create_task(self._renew_while_held(held, claimed_by))
        try:
            yield
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _renew_while_held(self, held: set[int], claimed_by: str) -> None:
        interval = self.outbox.claim_lease.total_seconds() / 3
        while held:
            await asyncio.sleep(interval)
            try:
                await self.outbox.renew_claims(sorted(held), datetime.now(UTC), claimed_by)
            except STORE_ERRORS as error:  # the lease may lapse: handlers carry the reference, a retry finds the write
                log.warning("outbox claims not renewed (%s)", type(error).__name__)

    async def run_due(self, now: datetime | None = None) -> int:
        """One relay pass: every delivery whose retry time has come. Returns how many were tried.

        Claimed a few at a time: the relays of other replicas, seeing the same backlog, claim the
        next few meanwhile and share it, instead of waiting while one relay holds it all."""
        due = await self.outbox.due(now or datetime.now(UTC))
        for start in range(0, len(due), CLAIM_BATCH):
            await self.deliver(due[start : start + CLAIM_BATCH])
        return len(due)

    async def _attempt(self, item: OutboxItem) -> None:
        attributes: tracing.Attributes = {
            "c360.outbox.operation": item.operation,
            "c360.outbox.destination": item.destination,
            "c360.outbox.attempt": item.attempts + 1,
        }
        with tracing.span(f"deliver {item.operation}", attributes) as span:
            delivered = await self._attempt_once(item)
            if span is not None:
                span.set_attribute("c360.outbox.delivered", delivered is not None)

    async def _attempt_once(self, item: OutboxItem) -> Delivered | None:
        delivered = None
        try:
            delivered = await self._deliver(item)
        finally:
            # What the write changed, as its service declares it; and, delivered or not, the attempt shows
            # in the resident's `delivery { state attempts }`. One forget per attempt.
            made_stale = delivered.invalidate if delivered else ()
            await self.cache.forget(Stale(keys=made_stale, customers=[item.customer_id]))
        return delivered

    async def _deliver(self, item: OutboxItem) -> Delivered | None:
        """The delivery made and marked, or None (deferred, refused, or its claim lost: nothing changed
        that we know of)."""
        # `agency.file_case:POLICE` is handled by `agency.file_case`: one handler, one row per destination.
        handler = self.handlers.get(item.operation) or self.handlers.get(item.operation.split(":", 1)[0])
        if handler is None:
            await self.outbox.mark_attempt_failed(item, f"no handler for {item.operation}", None)
            log.error("outbox row %s has unknown operation %s", item.id, item.operation)
            return None
        tools = DeliveryTools(self.sources, self._links_of)
        try:
            delivered = await self._first_per_customer(handler, tools, item)
        except SourceUnavailable as error:
            await self._defer(item, str(error))
            log.info("delivery %s of %s deferred: %s", item.operation, item.reference, error.reason)
            return None
        except LockBusy:  # another delivery is creating the customer's record there: after it, this one
            await self._defer(item, "first-record lock busy")
            log.info("delivery %s of %s deferred: first-record lock busy", item.operation, item.reference)
            return None
        except SourceRejected as error:
            # The case first: a crash between the two leaves the row pending, so the next attempt is
            # refused again and finds the case already open, instead of a FAILED row nobody sees.
            await self._open_case(item, error.code)
            await self.outbox.mark_attempt_failed(item, f"rejected: {error}", None)
            log.warning("delivery %s of %s rejected by %s", item.operation, item.reference, item.destination)
            return None
        except Exception as error:  # a handler's bug or bad row: backed off, so it never blocks the rows behind it
            await self._defer(item, f"unexpected {type(error).__name__}")
            log.error(
                "delivery %s of outbox row %s failed unexpectedly (%s)", item.operation, item.id, type(error).__name__
            )
            return None
        if not await self.outbox.mark_delivered(
            item, delivered.backoffice_reference, datetime.now(UTC), payload=delivered.payload_after
        ):
            # Our claim ran past its lease and was taken over: the taker records (and counts) the outcome.
            log.warning(
                "delivery %s of %s done, but its claim was lost: left to its new holder", item.operation, item.reference
            )
            return None
        self.metrics.outbox_delivered.labels(destination=item.destination).inc()
        return delivered

    async def _defer(self, item: OutboxItem, error: str) -> None:
        if not await self.outbox.mark_attempt_failed(item, error, datetime.now(UTC) + retry_delay(item.attempts + 1)):
            log.warning(
                "delivery %s of %s deferred, but its claim was lost: left to its new holder",
                item.operation,
                item.reference,
            )

    async def _first_per_customer(self, handler: Handler, tools: DeliveryTools, item: OutboxItem) -> Delivered:
        """A customer's first delivery to a back office may create their record there (a CRM contact,
        an Open311 reporter, a housing applicant). Those run one at a time per (customer, back office),
        and the new record is linked before the next one looks for it: five concurrent first writes
        find one record instead of making five. Once the customer is known there, no lock is needed."""
        system = as_source_system(item.destination)
        if item.customer_id is None or system is None or await tools.record_in(item.customer_id, system):
            return await self._handle_and_link(handler, tools, item)
        async with self.locks.hold(f"first-record:{system.value}:{item.customer_id}"):
            return await self._handle_and_link(handler, tools, item)

    async def _handle_and_link(self, handler: Handler, tools: DeliveryTools, item: OutboxItem) -> Delivered:
        delivered = await handler(tools, item)
        if delivered.created and item.customer_id:
            record = delivered.created
            await self.customers.add_link(
                NewLink(item.customer_id, record.system, record.record_id, 1.0, CREATED_BY_US),
                by="customer360",
                record=record,
            )
        return delivered

    async def _open_case(self, item: OutboxItem, code: str) -> None:
        team = team_for(item.destination)
        opened = await self.cases.open(
            NewDeliveryCase(
                reference=item.reference,
                customer_id=item.customer_id,
                destination=item.destination,
                operation=item.operation,
                reason_code=code[:40],
                reason=case_reason(item.destination, item.operation),
                team=team,
            ),
            datetime.now(UTC),
        )
        if opened is not None:
            self.metrics.delivery_cases.labels(team=team, destination=item.destination).inc()
            log.warning("case %s opened for %s: %s of %s refused", opened.id, team, item.operation, item.reference)

    async def _links_of(self, customer_id: str) -> list[RecordLink]:
        return (await self.customers.links_by_customer([customer_id])).get(customer_id, [])
