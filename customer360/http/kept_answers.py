"""A resident's kept answer sent as the bytes it was first sent as, before any GraphQL machinery runs.

`cache/views.py` keeps a resident's own reads (`{ me { ... } }`) under their generation; answering one
through the middlewares, Strawberry, the per-request context and the encoder still cost most of a
request. This middleware, outermost, answers a repeat without any of them:

- A request it may answer: `POST /graphql` with a JSON body of a stated length (or a `GET` with its query
  string), a bearer token, and no `Origin` (CORS answers those), `Idempotency-Key` or GraphiQL visit.
- Its *question* is the sha256 of what decides the answer: method, `Accept`, `Content-Type`,
  `X-Access-Purpose` and the body (document or persisted/trusted document hash, variables, operation name)
  byte for byte. A different variable, or the same one written differently, is another question.
- The token is checked as on every request (`TokenVerifier.verify`: signature, issuer, audience, expiry,
  the key still published; it remembers a verified token for at most a minute and never past its expiry)
  and the grant check runs; only a resident acting for themselves with a verified email is answered here.
- Kept answers are per principal (issuer-scoped subject and email) and question, in this process's
  memory: the encoded body and the headers the full path sent, with the identity epoch the sign-in was
  read under, the customer it led to and that customer's generation. One cache read (`CustomerViews.
  current`: one `MGET` with Redis) fetches the epoch and generation now; both equal, the bytes are sent.
  Whatever makes a resident's answers stale forgets their generation (`ReadThrough.forget(Stale(...))`)
  and whatever changes who is who renews the epoch, in the cache every worker and replica shares, so a
  write through any worker is seen by the next read through any other. While Redis is away (or not yet
  trusted again: `cache/guard.py`) nothing is answered here and the full path's own rules apply.
- Rate limits apply to reads as to every request: an answer sent from here counts against the client
  address and the principal as the full path would (after the token check; a request passed on is counted
  there instead, once). Answers carry the full path's headers (`Cache-Control: no-store`, the security
  headers), a fresh `X-Request-ID`, and `customer360_kept_answers_total{result}` counts them.
- Anything else, a miss, or a doubt is passed on untouched (the body it read is replayed), and the full
  path's answer is kept when `GraphQLEndpoint` says it was a kept answer (`KeptNote`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer360.auth.purpose import InvalidPurpose, decode_header, parse_purpose
from customer360.auth.tokens import InvalidToken
from customer360.cache.memory import MemoryCache
from customer360.clock import london_today
from customer360.domain.people import normalise_email
from customer360.http.content_type import JSON_TYPES
from customer360.http.rate_limit import RATE_LIMITED, TOO_MANY, Verdict, principal_allowed
from customer360.http.request_id import _SANE, request_id_var

if TYPE_CHECKING:
    from customer360.runtime import Runtime

PATH = "/graphql"
NOTE = "kept_answer"  # where the full path notes, on the scope's state, that its answer was a kept one
MAX_BODY_BYTES = 64 * 1024  # a portal page's question is a few KB; bigger bodies take the full path
ENTRIES = 2_000  # a full `me` is ~10-20 KB: at most ~40 MB per worker; a miss falls back to the cache
# Headers the full path sends that belong to one request, not to the answer.
PER_REQUEST = frozenset({b"content-length", b"x-request-id", b"date", b"server"})


@dataclass
class KeptNote:
    """Filled by `GraphQLEndpoint` when it answers a resident's own read from (or into) `CustomerViews`."""

    customer_id: str | None = None
    generation: str | None = None
    epoch: str | None = None
    spoiled: bool = False  # more than one operation answered in this request (a batch): never kept

    def note(self, customer_id: str, generation: str, epoch: str | None) -> None:
        if self.customer_id is not None or epoch is None:
            self.spoiled = True
            return
        self.customer_id, self.generation, self.epoch = customer_id, generation, epoch


def note_kept_answer(scope: Scope, customer_id: str, generation: str, epoch: str | None) -> None:
    holder = scope.get("state", {}).get(NOTE)
    if isinstance(holder, KeptNote):
        holder.note(customer_id, generation, epoch)


@dataclass(frozen=True, slots=True)
class _Kept:
    epoch: str
    customer_id: str
    generation: str
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass
class _Question:
    token: str
    digest: str  # "" when the body read was not the length it said
    body: bytes | None  # read here (replayed to the full path), None for a GET
    request_id: str | None
    key: str = ""  # principal + digest, once the token is checked


class KeptAnswers:
    def __init__(
        self,
        app: ASGIApp,
        *,
        ip_limit: int,
        principal_limit: int,
        window_seconds: float,
        ttl_seconds: float,
    ) -> None:
        self._app = app
        self._ip_limit = ip_limit
        self._principal_limit = principal_limit
        self._window = window_seconds
        self._ttl = ttl_seconds
        self._kept = MemoryCache(max_entries=ENTRIES)
        self._results: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or self._ttl <= 0:
            await self._app(scope, receive, send)
            return
        runtime = scope["app"].state.runtime
        question = await self._question(scope, receive) if runtime.services.cache.views.enabled else None
        if question is None:
            await self._app(scope, receive, send)
            return
        if question.body is not None:
            receive = self._replay(question.body, receive)
        if not question.digest:  # a body shorter or longer than it said: the full path reads it and refuses
            await self._app(scope, receive, send)
            return
        # No timeout of its own: its one cache read is bounded by the Redis guard (`cache/guard.py`), and the
        # token check by the verifier's memo or, for a new key, the key source's own timeout.
        found = await self._lookup(scope, runtime, question)
        if found is None:
            self._counter(runtime, "missed").inc()
            await self._pass_on(scope, receive, send, question)
            return
        kept, verdict = found
        supplied = question.request_id
        request_id = supplied if supplied and _SANE.match(supplied) else uuid.uuid4().hex
        request_id_var.set(request_id)
        status, body, extra = 200, kept.body, [(b"x-request-id", request_id.encode())]
        if not verdict.allowed:  # the full path's 429, with the headers every /graphql answer carries
            status, body = 429, orjson.dumps({"errors": [{"message": TOO_MANY, "extensions": {"code": RATE_LIMITED}}]})
            extra.append((b"retry-after", str(verdict.retry_after).encode()))
        else:
            self._counter(runtime, "served").inc()
        headers = [*kept.headers, (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _question(self, scope: Scope, receive: Receive) -> _Question | None:
        """The request's question, or None when it is not one answered here (nothing read)."""
        method = scope["method"]
        if method not in ("GET", "POST"):
            return None
        token = accept = content_type = purpose = length = request_id = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"accept":
                accept = value
            elif name == b"x-access-purpose":
                purpose = value
            elif name == b"x-request-id":
                request_id = value
            elif name in (b"origin", b"idempotency-key"):
                return None
        if token is None or token[:7].lower() != b"bearer ":
            return None
        if purpose is not None:  # a malformed purpose is the full path's 400
            try:
                parse_purpose(decode_header(purpose))
            except InvalidPurpose:
                return None
        sent_id = request_id.decode("latin-1") if request_id is not None else None
        bearer = token[7:].decode("latin-1").strip()
        body: bytes | None = None
        if method == "GET":
            if not scope["query_string"]:
                return None
            material = scope["query_string"]
        else:
            mime = (content_type or b"").decode("latin-1").split(";")[0].strip().lower()
            if mime not in JSON_TYPES or length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
                return None
            body = material = await self._read(receive, int(length))
            if len(body) != int(length):
                return _Question(bearer, "", body, sent_id)
        digest = hashlib.sha256(b"\x00".join((method.encode(), accept or b"", content_type or b"", purpose or b"")))
        digest.update(b"\x00")
        digest.update(material)
        return _Question(bearer, digest.hexdigest(), body, sent_id)

    async def _lookup(self, scope: Scope, runtime: Runtime, question: _Question) -> tuple[_Kept, Verdict] | None:
        """The kept answer and the rate limits' verdict, or None to pass the request on."""
        try:
            principal = await runtime.verifier.verify(question.token)
        except InvalidToken:
            return None  # the full path refuses it, and says why
        if not principal.is_resident or principal.is_acting:  # staff and actors: their checks are the full path's
            return None
        principal = await runtime.services.grants.checked(principal, london_today())  # as `authenticate` does
        email = normalise_email(principal.email)
        if not principal.is_resident or principal.is_acting or not principal.email_verified or not email:
            return None
        question.key = f"{principal.subject}\x00{email}\x00{question.digest}"
        kept = (await self._kept.get_many([question.key])).get(question.key)
        if not isinstance(kept, _Kept):
            return None
        epoch, generation = await runtime.services.cache.views.current(kept.customer_id)
        if epoch != kept.epoch or generation != kept.generation:
            return None
        limits = runtime.rate_limits
        if limits is not None and self._ip_limit > 0:
            client = scope.get("client")
            verdict = await limits.hit(f"ip:{client[0] if client else 'unknown'}", self._ip_limit, self._window)
            if not verdict.allowed:
                return kept, verdict
        return kept, await principal_allowed(limits, principal, self._principal_limit, self._window)

    async def _pass_on(self, scope: Scope, receive: Receive, send: Send, question: _Question) -> None:
        """The full path, keeping its answer when it notes a kept one (and nothing else)."""
        if not question.key:
            await self._app(scope, receive, send)
            return
        note = KeptNote()
        scope.setdefault("state", {})[NOTE] = note
        started: Message | None = None
        chunks: list[bytes] = []

        async def capturing(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message
            elif message["type"] == "http.response.body" and started is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._keep(question, note, started, b"".join(chunks))
            await send(message)

        await self._app(scope, receive, capturing)

    async def _keep(self, question: _Question, note: KeptNote, started: Message, body: bytes) -> None:
        if note.spoiled or note.customer_id is None or note.generation is None or note.epoch is None:
            return
        headers = tuple((name, value) for name, value in started.get("headers", []) if name.lower() not in PER_REQUEST)
        types = [value for name, value in headers if name.lower() == b"content-type"]
        json_answer = len(types) == 1 and types[0].startswith(b"application/json")
        if started.get("status") != 200 or not json_answer or not body.startswith(b'{"data":'):
            return
        kept = _Kept(note.epoch, note.customer_id, note.generation, headers, body)
        await self._kept.set_many({question.key: kept}, self._ttl)

    @staticmethod
    async def _read(receive: Receive, length: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > length or not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        """The body already read, once, then whatever the client sends next (a disconnect)."""
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replayed

    def _counter(self, runtime: Runtime, result: str) -> Any:
        """The labelled counter, looked up once (this middleware serves one app, so one registry)."""
        found = self._results.get(result)
        if found is None:
            found = self._results[result] = runtime.metrics.kept_answers.labels(result)
        return found
