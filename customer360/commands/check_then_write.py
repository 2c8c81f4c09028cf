"""A "not done already" check and the write it guards, for one account or customer at a time.

`check_then_keep` holds the lock named for what it protects from reading to keeping, so of N
identical requests at once one is kept and the others see it. The check must see both the back
office (read afresh, not from the cache) and what we have kept but not yet delivered: the
back-office write happens later, through the outbox. Only the keeping runs under the lock; the
first delivery attempt runs after it is let go, so a check lock is never held while a delivery
waits for a first-record lock or a back office (locks come from one small pool of sessions).

So an earlier request's delivery may finish while a check runs: the check reads our own rows
FIRST and the back office second. A row still pending is seen as pending; one marked delivered
by then was written before the back-office read, which sees it. The other order misses both.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from customer360.commands.write_path import Kept, WritePath
from customer360.domain.problems import BUSY, Problem
from customer360.domain.submissions import Submission, SubmissionKind, kept_of_kind
from customer360.store.locks import LockBusy

log = logging.getLogger("customer360.writes")


def account_lock(reference: str) -> str:
    return f"account:{reference}"


def customer_lock(customer_id: str, what: str) -> str:
    return f"customer:{customer_id}:{what}"


async def check_then_keep(
    writes: WritePath, lock: str, check_and_keep: Callable[[], Awaitable[Kept | list[Problem]]]
) -> Submission | list[Problem]:
    """`check_and_keep` under the lock; then, the lock let go, the first delivery of what it kept.
    A lock still busy after the wait budget is the BUSY userError: nothing was kept, a retry is safe."""
    try:
        async with writes.locks.hold(lock):
            outcome = await check_and_keep()
    except LockBusy:
        log.info("a check-then-write found its lock busy: answered BUSY")  # the name carries ids: not logged
        return [BUSY]
    if isinstance(outcome, list):
        return outcome
    return await writes.deliver(outcome)


async def kept_not_delivered(writes: WritePath, kind: SubmissionKind, **payload: str) -> bool:
    """Whether a request of this kind carrying these payload items (an account, a complaint) is still
    on its way, whoever made it: two liable residents share one account and one lock."""
    return bool(kept_of_kind(await writes.outbox.submissions_carrying(kind, **payload), kind))
