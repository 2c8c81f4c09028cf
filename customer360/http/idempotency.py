"""`Idempotency-Key` on mutations (IETF HTTPAPI draft "The Idempotency-Key HTTP Header Field").

A client that may send a mutation twice (a retry after a timeout, a double click) sends the same key
with it. Within `KEY_LIFETIME` of the first use, the same key with the same request (document,
variables, operation name) gets the first answer again, with `Idempotent-Replayed: true`, and
nothing runs a second time; a repeat that arrives while the first is still running waits for it
(bounded by the request timeout, then 409). The same key with a different request is refused: every
mutation payload answers `IDEMPOTENCY_CONFLICT` and nothing runs.

Keys are scoped to the principal: a resident's or a member of staff's token subject (kept only as a
hash), so two people never share a key. Anonymous callers (public reports) have no identity to
scope by, so they share one scope: a key must be unguessable (a UUID v4, as the draft recommends) or
another anonymous caller who sends the same key gets a conflict, or, with the very same request,
its answer (what they sent themselves, and its reference).

An answer is kept only when something was done: a mutation that raised before its write began, or
whose payloads are all "back office unavailable, try again", gives the key back so a retry runs afresh
(read from the commands' own outcome codes, never from the response the client shaped). One that
raised after its write began keeps its key, unanswered, until the lease ends: a retry meanwhile
waits or gets 409, never a second write (one stopped by a graceful shutdown has its lease ended
then: a retry takes it over at once and finds the write, as after a crash). A request the timeout cuts
short after its write began runs on to keep its answer: giving the key back then would let a retry
write a second time. Queries, GET
requests and documents that name no single operation ignore the header.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from http_sfv.item import Item
from starlette.requests import Request
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import HTTPException  # type: ignore[attr-defined]  # cross_web's, re-used
from strawberry.types import ExecutionResult

from customer360.attempts import ATTEMPT, Attempt
from customer360.auth.principal import Principal, scope_of
from customer360.cache.views import fingerprint
from customer360.domain.problems import CommonCode
from customer360.store.database import STORE_ERRORS
from customer360.store.idempotency import Claim, IdempotencyStore, KeyState

log = logging.getLogger("customer360.idempotency")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 255
CONFLICT = "IDEMPOTENCY_CONFLICT"
CONFLICT_MESSAGE = "This Idempotency-Key was used for a different request; send a new key with a new request"
# Payloads that say only "try again": a retry with the same key must run again, not replay them.
# A busy check lock (BUSY, store/locks.py) is one too: nothing was kept.
TRY_AGAIN_CODES = frozenset({CommonCode.SOURCE_UNAVAILABLE.value, CommonCode.BUSY.value})
FIRST_POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.5
KEEP_FIRST_RETRY_SECONDS = 0.25
KEEP_MAX_RETRY_SECONDS = 5.0
# At shutdown, how long a task that outlived its request is given to stop once cancelled.
STOP_SECONDS = 5.0
STORE_DOWN = "The service cannot check idempotency keys just now"
# Retry-After on the two refusals a retry with the same key gets past: the first request still running
# (it answers within the request timeout), and the key store down (a restart or failover takes longer).
IN_PROGRESS_RETRY_SECONDS = 1
STORE_DOWN_RETRY_SECONDS = 5

Run = Callable[[], Awaitable[ExecutionResult]]
Refuse = Callable[[str, str], Awaitable[ExecutionResult]]


class TryLater(HTTPException):
    """A refusal a retry with the same key gets past: answered with `Retry-After`."""

    def __init__(self, status_code: int, reason: str, retry_after_seconds: int) -> None:
        super().__init__(status_code, reason)
        self.retry_after_seconds = retry_after_seconds


class IdempotencyKeys:
    def __init__(self, store: IdempotencyStore, request_timeout_seconds: float) -> None:
        self._store = store
        # A running request cannot outlive the request timeout, so a claim older than twice that is a
        # dead worker's; a repeat waits for the first a little less than its own timeout, then 409s.
        timeout = request_timeout_seconds if request_timeout_seconds > 0 else 60.0
        self._timeout = timeout
        self._lease = timedelta(seconds=max(60.0, 2 * timeout))
        self._wait_seconds = max(1.0, timeout - 2.0)
        # Tasks that outlive their request: answers still being kept, mutations running on after a timeout,
        # each with the claim it holds (ended at shutdown if the task has to be stopped).
        self._keeping: dict[asyncio.Task[Any], tuple[str, str, Claim]] = {}

    async def answer(
        self,
        request: Request,
        sub_response: Any,
        principal: Principal,
        data: GraphQLRequestData,
        run: Run,
        refuse: Refuse,
    ) -> ExecutionResult:
        """`run()` once per key and request; repeats get its answer, conflicts `refuse(code, message)`."""
        if request.method != "POST" or data.query is None or not is_mutation(data.query, data.operation_name):
            return await run()
        key = idempotency_key(request)
        if key is None:
            return await run()
        scope = scope_of(principal)
        wanted = fingerprint(data.query, data.variables, data.operation_name)
        deadline = asyncio.get_running_loop().time() + self._wait_seconds
        pause = FIRST_POLL_SECONDS
        while True:
            try:
                found = await self._store.claim(scope, key, wanted, self._lease)
            except STORE_ERRORS as error:  # SQLAlchemy's, the driver's own (asyncpg's), or the network's
                log.warning("idempotency keys unavailable (%s)", type(error).__name__)
                raise TryLater(
                    503, f"{STORE_DOWN}; nothing was done, try again with the same {HEADER}", STORE_DOWN_RETRY_SECONDS
                ) from None
            if isinstance(found, Claim):
                return await self._run_holding(scope, key, found, run)
            # None: the holder gave the key back between our insert and our read; ask again shortly.
            if found is not None and found.fingerprint != wanted:
                return await refuse(CONFLICT, CONFLICT_MESSAGE)
            if found is not None and found.state is KeyState.DONE:
                sub_response.headers[REPLAYED] = "true"
                return replayed(found.answer or {})
            if asyncio.get_running_loop().time() + pause > deadline:
                raise TryLater(
                    409,
                    f"A request with this {HEADER} is still being processed; try again shortly",
                    IN_PROGRESS_RETRY_SECONDS,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_POLL_SECONDS)

    async def _run_holding(self, scope: str, key: str, claim: Claim, run: Run) -> ExecutionResult:
        """Run in a task of its own. Cut short (the request timeout, a client gone) before any write
        began, it stops and the key is given back. Cut short once a write began, it runs on and keeps
        its answer, so a retry with the key gets that write's answer (its reference), not a second write."""
        since = claim.since.isoformat() if claim.since else ""
        attempt = Attempt(key_digest=hashlib.sha256(f"{scope}\x00{key}\x00{since}".encode()).hexdigest())
        token = ATTEMPT.set(attempt)
        try:  # the task runs in a copy of this context: it sees `attempt`, and this request does too
            running = asyncio.create_task(self._settled(scope, key, claim, run, attempt))
        finally:
            ATTEMPT.reset(token)
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            if attempt.writing and not running.done():
                log.warning("a keyed mutation was cut short after its write began; it runs on to keep its answer")
                self._hold(running, scope, key, claim)
            else:
                running.cancel()
            raise

    async def _settled(self, scope: str, key: str, claim: Claim, run: Run, attempt: Attempt) -> ExecutionResult:
        try:
            result = await run()
        except BaseException:
            if attempt.writing:  # the write may stand: the lease, not a release, ends this claim
                log.warning("a keyed mutation failed after its write began; its key is held for its lease")
            else:
                await self._give_back(scope, key, claim)
            raise
        if not did_something(attempt):
            if attempt.writing and result.errors:  # raised after its write began: the write may stand
                log.warning("a keyed mutation failed after its write began; its key is held for its lease")
            else:
                await self._give_back(scope, key, claim)
            return result
        answer = kept_answer(result)
        try:
            await self._keep(scope, key, claim, answer)
        except Exception as error:  # the answer is the client's whatever happens to the copy we keep
            log.warning("could not keep an idempotent answer (%s); trying again meanwhile", type(error).__name__)
            self._hold(asyncio.create_task(self._keep_later(scope, key, claim, answer)), scope, key, claim)
        return result

    async def settle(self) -> None:
        """At shutdown: give the tasks that outlived their requests (a mutation running on after its
        timeout, an answer still being kept) up to a request's time to finish, so a write's answer is
        not lost to a restart. One still running then is stopped, and its claim's lease ended: nothing
        holds the key any more, so a retry (on another worker) takes it over now rather than after the
        lease, and finds the write it began (`WritePath.keep`: `AlreadyKept`), exactly as after a crash."""
        if not self._keeping:
            return
        _, running = await asyncio.wait(set(self._keeping), timeout=self._timeout)
        stopped = {task: self._keeping[task] for task in running}
        for task in stopped:
            task.cancel()
        if stopped:
            await asyncio.wait(stopped, timeout=STOP_SECONDS)
        for task, (scope, key, claim) in stopped.items():
            if not task.done():  # it would not stop: the lease, not this, ends its claim
                continue
            try:
                if await self._store.end_lease(scope, key, claim):
                    log.info("a keyed mutation was stopped at shutdown; its key may be retried at once")
            except Exception as error:  # the lease ends it later
                log.warning("could not end an idempotency key's lease (%s)", type(error).__name__)

    def _hold(self, task: asyncio.Task[Any], scope: str, key: str, claim: Claim) -> None:
        """Keep a task that outlives its request referenced until it ends (the loop holds tasks weakly)."""
        self._keeping[task] = (scope, key, claim)
        task.add_done_callback(self._forget)
        task.add_done_callback(_settle_quietly)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._keeping.pop(task, None)

    async def _keep(self, scope: str, key: str, claim: Claim, answer: dict[str, Any]) -> None:
        if not await self._store.finish(scope, key, claim, answer):
            log.warning("an idempotency claim ran past its lease and was taken over; this answer is not kept")

    async def _keep_later(self, scope: str, key: str, claim: Claim, answer: dict[str, Any]) -> None:
        """Keep trying while the claim's lease runs: until the answer is kept, repeats wait for it, and
        once the lease has run out a repeat would run the mutation again."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self._lease.total_seconds()
        pause = KEEP_FIRST_RETRY_SECONDS
        while loop.time() + pause < until:
            await asyncio.sleep(pause)
            try:
                await self._keep(scope, key, claim, answer)
            except Exception:
                pause = min(pause * 2, KEEP_MAX_RETRY_SECONDS)
                continue
            log.info("kept an idempotent answer after retrying")
            return
        log.warning("gave up keeping an idempotent answer: a repeat after the lease runs again")

    async def _give_back(self, scope: str, key: str, claim: Claim) -> None:
        try:
            await self._store.release(scope, key, claim)
        except Exception as error:  # the lease lets a retry take it over later
            log.warning("could not give back an idempotency key (%s)", type(error).__name__)


def idempotency_key(request: Request) -> str | None:
    """The request's key, or None without the header; a malformed one is a 400."""
    values = request.headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise HTTPException(400, f"Send one {HEADER} header, not {len(values)}")
    raw = values[0].strip()
    key: object = raw
    if raw.startswith('"'):  # the draft's form, a Structured Field string; a bare value is taken as it is
        item = Item()
        try:
            item.parse(raw.encode("latin-1"))
        except ValueError:
            raise HTTPException(400, f"{HEADER} is not a well-formed quoted string") from None
        key = item.value
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
        raise HTTPException(400, f"{HEADER} must be 1 to {MAX_KEY} characters (a UUID is a good key)")
    if not (key.isascii() and key.isprintable()):
        raise HTTPException(400, f"{HEADER} must be printable ASCII (a UUID is a good key)")
    return key


def refuse_batched_key(request: Request) -> None:
    """One key names one request: on a batch of operations it would name several."""
    if request.headers.get(HEADER) is not None:
        raise HTTPException(400, f"{HEADER} applies to one operation; send batched operations without it")


@lru_cache(maxsize=256)
def is_mutation(document: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(document), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationType.MUTATION


def did_something(attempt: Attempt) -> bool:
    """Some mutation field answered a payload that is not only "try again": it may have written. Read
    from the outcome codes the commands answered (`RecordOutcome`), never from the response, which the
    client shaped: `userErrors { message }`, an alias, or no `userErrors` at all must not hide a
    "try again" (kept and replayed for a day, the retry would never run)."""
    return any(code not in TRY_AGAIN_CODES for code in attempt.outcomes)


def _settle_quietly(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:  # retrieved here, logged where it happened
        log.debug("a task that outlived its request ended with %s", type(task.exception()).__name__)


def kept_answer(result: ExecutionResult) -> dict[str, Any]:
    return {"data": result.data, "errors": [error.formatted for error in result.errors or []]}


def replayed(answer: dict[str, Any]) -> ExecutionResult:
    errors = [
        GraphQLError(error["message"], path=error.get("path"), extensions=error.get("extensions"))
        for error in answer.get("errors") or []
    ]
    return ExecutionResult(data=answer.get("data"), errors=errors or None)
