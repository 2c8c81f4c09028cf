"""Intents and their outbox deliveries: written together, delivered until acknowledged.

A delivery is claimed before it is attempted (a conditional UPDATE that only one process can win,
portable across SQLite and PostgreSQL), so two relays, or a relay racing the request that made
the intent, never deliver the same row at once.

A claim is a short lease (`CLAIM_LEASE`) that its deliverer renews while it lives (`renew_claims`,
from a heartbeat in `commands/delivery.py`): a delivery that takes longer than the lease keeps its
row, and a deliverer that crashed (killed, its task cancelled) stops renewing, so its rows are
picked up again by another relay within seconds rather than after a minute.

Each claim carries its own token (`claimed_by`): renewing and marking need it, so a deliverer whose
lease lapsed while another relay took the row over can neither renew that relay's claim nor mark
the row under it (the row is the new holder's to finish).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from customer360.acting import acted_by
from customer360.domain.notifications import NOTIFY
from customer360.domain.requests import DeliveryState
from customer360.domain.submissions import DeliveryRecord, Submission
from customer360.store.attachments import claim as claim_attachments
from customer360.store.tables import customers, intents, outbox
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

# Short, because a crashed deliverer holds its rows this long; a live one renews it every third of it.
CLAIM_LEASE = timedelta(seconds=10)


class AlreadyKept(Exception):
    """An intent was kept under this idempotency key before; `reference` is its reference."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


@dataclass(frozen=True, slots=True)
class NewDelivery:
    destination: str  # a SourceSystem, or another destination such as the safeguarding agencies
    operation: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    reference: str
    customer_id: str | None
    destination: str  # a SourceSystem, or another destination such as the safeguarding agencies
    operation: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    claimed_by: str  # the token of the claim that returned it: renew and mark with it


def _submissions_query(where: Any) -> Select[Any]:
    """The intents `where` picks, oldest first, each with its deliveries to back offices (a row per
    delivery, or one row for an intent with none) and whom its customer was merged into, if anyone: one
    statement, not the merges, the intents and their deliveries one after another."""
    return (
        select(
            intents,
            customers.c.merged_into,
            outbox.c.id.label("delivery_id"),
            outbox.c.destination,
            outbox.c.operation,
            outbox.c.state,
            outbox.c.attempts,
            outbox.c.backoffice_reference,
            outbox.c.last_error,
            outbox.c.delivered_at,
        )
        .select_from(
            intents.outerjoin(customers, customers.c.id == intents.c.customer_id)
            # A request's deliveries to back offices; its messages to the resident are not among them.
            .outerjoin(outbox, and_(outbox.c.reference == intents.c.reference, outbox.c.destination != NOTIFY))
        )
        .where(where)
        .order_by(intents.c.created_at, outbox.c.id)
    )


# The reads every cold `me` and request page make, built once with their keys bound at each call
# (`expanding`: an IN list of any length), as building them cost more CPU than running them (issue 25).
_KEYS: BindParameter[list[str]] = bindparam("keys", expanding=True)
_SUBMISSIONS_OF_CUSTOMERS = _submissions_query(
    # Made by these customers, or under a customer since merged into one of them.
    or_(
        intents.c.customer_id.in_(_KEYS),
        intents.c.customer_id.in_(select(customers.c.id).where(customers.c.merged_into.in_(_KEYS))),
    )
)
_SUBMISSIONS_BY_REFERENCE = _submissions_query(intents.c.reference.in_(_KEYS))


@traced_methods("outbox")
class OutboxStore:
    def __init__(self, engine: AsyncEngine, claim_lease: timedelta = CLAIM_LEASE) -> None:
        self._engine = engine
        self.claim_lease = claim_lease

    async def submit(
        self,
        submission: Submission,
        deliveries: Sequence[NewDelivery],
        *,
        held: bool = False,
        idempotency_key: str | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> list[int]:
        """The intent and every delivery it needs, in one transaction: all kept, or nothing. `held`:
        the deliveries wait (HELD) until `release` (a fee-paying request, until its fee is paid).

        Raises `AlreadyKept` when an intent was kept under `idempotency_key` before (by a request whose
        worker died before it could keep its answer): nothing new is kept. `attachment_ids` become the
        submission's in the same transaction (`AttachmentTaken` if one was taken by another submission
        first: then nothing is kept).
        """
        try:
            return await self._submit(submission, deliveries, held, idempotency_key, attachment_ids)
        except IntegrityError:
            if idempotency_key is None:
                raise
            query = select(intents.c.reference).where(intents.c.idempotency_key == idempotency_key)
            async with self._engine.connect() as conn:
                earlier = await conn.scalar(query)
            if earlier is None:
                raise
            raise AlreadyKept(str(earlier)) from None

    async def _submit(
        self,
        submission: Submission,
        deliveries: Sequence[NewDelivery],
        held: bool,
        idempotency_key: str | None,
        attachment_ids: Sequence[str],
    ) -> list[int]:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(intents).values(
                    reference=submission.reference,
                    customer_id=submission.customer_id,
                    kind=submission.kind,
                    service_code=submission.service_code,
                    payload=submission.payload,
                    created_at=submission.created_at,
                    **_acting_columns(),
                    idempotency_key=idempotency_key,
                )
            )
            # After the intent: a crashed worker's keyed retry must meet its own intent (AlreadyKept),
            # not its own claim on the files.
            await claim_attachments(conn, attachment_ids, submission.reference, submission.created_at)
            ids = []
            for delivery in deliveries:
                result = await conn.execute(
                    insert(outbox).values(
                        reference=submission.reference,
                        customer_id=submission.customer_id,
                        destination=str(delivery.destination),
                        operation=delivery.operation,
                        payload=delivery.payload,
                        state=(DeliveryState.HELD if held else DeliveryState.PENDING).value,
                        attempts=0,
                        next_attempt_at=submission.created_at,
                        created_at=submission.created_at,
                    )
                )
                ids.append(int(result.inserted_primary_key[0]))  # type: ignore[index]
        return ids

    async def enqueue(
        self, reference: str, customer_id: str | None, delivery: NewDelivery, now: datetime
    ) -> int | None:
        """One delivery for an existing reference, at most once: a second enqueue of the same
        (reference, destination, operation) finds the first and answers None."""
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    insert(outbox).values(
                        reference=reference,
                        customer_id=customer_id,
                        destination=str(delivery.destination),
                        operation=delivery.operation,
                        payload=delivery.payload,
                        state=DeliveryState.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return None
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def claim(self, item_ids: Sequence[int], now: datetime) -> list[OutboxItem]:
        """Claim these pending deliveries (those another deliverer holds are skipped), under a token
        of this claim's own that the items carry."""
        token = secrets.token_hex(16)
        claimed = []
        async with self._engine.begin() as conn:
            for item_id in item_ids:
                result = await conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.id == item_id,
                        outbox.c.state == DeliveryState.PENDING.value,
                        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
                    )
                    .values(claimed_until=now + self.claim_lease, claimed_by=token)
                )
                if result.rowcount == 1:
                    claimed.append(item_id)
            rows = (await conn.execute(select(outbox).where(outbox.c.id.in_(claimed)).order_by(outbox.c.id))).all()
        return [_item(row, token) for row in rows]

    async def renew_claims(self, item_ids: Sequence[int], now: datetime, claimed_by: str) -> int:
        """Extend the lease on deliveries this claim still holds and that are pending (a row already
        marked, and so released, or taken over by another relay, is left alone). Returns how many."""
        if not item_ids:
            return 0
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_(list(item_ids)),
                    outbox.c.state == DeliveryState.PENDING.value,
                    outbox.c.claimed_by == claimed_by,
                )
                .values(claimed_until=now + self.claim_lease)
            )
        return int(result.rowcount)

    async def due(self, now: datetime, limit: int = 100) -> list[int]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox.c.id)
                    .where(
                        outbox.c.state == DeliveryState.PENDING.value,
                        outbox.c.next_attempt_at <= now,
                        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
                    )
                    .order_by(outbox.c.next_attempt_at, outbox.c.id)
                    .limit(limit)
                )
            ).all()
        return [row.id for row in rows]

    async def release(self, reference: str, now: datetime) -> list[int]:
        """A held request's deliveries become due now (its fee was paid); the ids of those now pending.
        A conditional UPDATE: releasing twice, or at once, changes them once; a cancelled one stays so."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.reference == reference, outbox.c.state == DeliveryState.HELD.value)
                .values(state=DeliveryState.PENDING.value, next_attempt_at=now)
            )
            rows = (
                await conn.execute(
                    select(outbox.c.id).where(
                        outbox.c.reference == reference, outbox.c.state == DeliveryState.PENDING.value
                    )
                )
            ).all()
        return [row.id for row in rows]

    async def cancel(self, reference: str, now: datetime) -> bool:
        """A held request's deliveries will never be made (its fee was not paid); True if any were held."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.reference == reference, outbox.c.state == DeliveryState.HELD.value)
                .values(state=DeliveryState.CANCELLED.value, delivered_at=now)
            )
        return bool(result.rowcount)

    async def mark_delivered(
        self, item: OutboxItem, backoffice_reference: str, now: datetime, payload: dict[str, Any] | None = None
    ) -> bool:
        """False when the claim was lost (another relay holds the row now: it finishes it). `payload`:
        what the row keeps from now on, if not what it carried."""
        values: dict[str, Any] = {
            "state": DeliveryState.DELIVERED.value,
            "attempts": outbox.c.attempts + 1,
            "backoffice_reference": backoffice_reference,
            "delivered_at": now,
            "last_error": None,
        }
        if payload is not None:
            values["payload"] = payload
        return await self._mark(item, values)

    async def mark_attempt_failed(self, item: OutboxItem, error: str, retry_at: datetime | None) -> bool:
        """Count the attempt; `retry_at=None` means the back office refused it for good. False when
        the claim was lost."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:400]}
        if retry_at is None:
            values["state"] = DeliveryState.FAILED.value
        else:
            values["next_attempt_at"] = retry_at
        return await self._mark(item, values)

    async def _mark(self, item: OutboxItem, values: Mapping[str, Any]) -> bool:
        """Marking releases the claim; only the claim's holder may (its lease may have lapsed while
        nobody took the row over: it is still the holder then)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.id == item.id, outbox.c.claimed_by == item.claimed_by)
                .values(**values, claimed_until=None, claimed_by=None)
            )
        return result.rowcount == 1

    async def submissions_by_customer(self, customer_ids: Sequence[str]) -> Mapping[str, list[Submission]]:
        """Each customer's submissions, with those made under a customer merged into it (an unmerge
        gives them back, as the merged customer's id comes back)."""
        wanted = set(customer_ids)
        by_customer: dict[str, list[Submission]] = defaultdict(list)
        for submission, merged_into in await self._submissions(_SUBMISSIONS_OF_CUSTOMERS, list(customer_ids)):
            by_customer[merged_into if merged_into in wanted else submission.customer_id or ""].append(submission)
        return by_customer

    async def submissions_by_reference(self, references: Sequence[str]) -> Mapping[str, Submission]:
        found = await self._submissions(_SUBMISSIONS_BY_REFERENCE, list(references))
        return {submission.reference: submission for submission, _ in found}

    async def submissions_carrying(self, kind: str, **items: str) -> list[Submission]:
        """Submissions of one kind whose payload carries these items, whoever made them: an account's
        requests, from any of its liable residents."""
        carried = [intents.c.payload[name].as_string() == value for name, value in items.items()]
        return [
            submission
            for submission, _ in await self._submissions(_submissions_query(and_(intents.c.kind == kind, *carried)))
        ]

    async def _submissions(
        self, query: Select[Any], keys: list[str] | None = None
    ) -> list[tuple[Submission, str | None]]:
        """The submissions `query` (a `_submissions_query`) answers, each with whom its customer was merged into."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query, {"keys": keys} if keys is not None else None)).all()
        intent_rows = list({row.reference: row for row in rows}.values())  # in the order they came
        deliveries: dict[str, list[DeliveryRecord]] = defaultdict(list)
        for row in rows:
            if row.delivery_id is None:
                continue
            deliveries[row.reference].append(
                DeliveryRecord(
                    destination=row.destination,
                    operation=row.operation,
                    state=DeliveryState(row.state),
                    attempts=row.attempts,
                    backoffice_reference=row.backoffice_reference,
                    last_error=row.last_error,
                    delivered_at=as_utc(row.delivered_at),
                )
            )
        return [
            (
                Submission(
                    reference=row.reference,
                    customer_id=row.customer_id,
                    kind=row.kind,
                    service_code=row.service_code,
                    payload=row.payload,
                    created_at=as_utc(row.created_at),
                    deliveries=tuple(deliveries[row.reference]),
                    acted_by=row.acted_by,
                    acted_team=row.acted_team,
                    channel=row.channel,
                ),
                row.merged_into,
            )
            for row in intent_rows
        ]

    async def pending_count(self) -> int:
        async with self._engine.connect() as conn:
            count = select(func.count()).select_from(outbox).where(outbox.c.state == DeliveryState.PENDING.value)
            return int((await conn.execute(count)).scalar_one())


def _acting_columns() -> dict[str, str | None]:
    """Who made the intent for its resident, from the request that makes it (`customer360.acting`)."""
    acting = acted_by()
    if acting is None:
        return {}
    return {"acted_by": acting.actor, "acted_team": acting.team, "channel": acting.channel}


def _item(row: Any, claimed_by: str) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        reference=row.reference,
        customer_id=row.customer_id,
        destination=row.destination,
        operation=row.operation,
        payload=row.payload,
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
        claimed_by=claimed_by,
    )
