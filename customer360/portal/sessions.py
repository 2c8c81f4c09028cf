"""Portal sessions: an opaque random id in an HttpOnly cookie names a session kept on the server.

The browser holds only the id; the resident's bearer token, the CSRF token and the answers of an
unfinished form stay server-side (the gateway store, or Redis when configured), keyed by the id's
sha256 and encrypted (Fernet, a key of the portal's own), so a copy of the table or of Redis opens no
session and shows no draft. Sessions end after `IDLE_SECONDS` without a request.
One-time form tokens (`issue_form_token`/`take_form_token`) are separate keys taken atomically, so
of two submissions of the same form exactly one goes through.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import Response

from customer360.keyfiles import kept_secret

IDLE_SECONDS = 30 * 60  # GOV.UK services sign residents out after 30 minutes without activity
# A draft's token must outlive any session that holds the draft (a session lives on while it is used);
# a day is also how long the API remembers an Idempotency-Key.
FORM_TOKEN_SECONDS = 24 * 3600
# A long form saved to come back to later outlives the session (and signing out): it is the resident's,
# kept under their customer id (hashed), sealed like a session, for as long as a council keeps such drafts.
SAVED_DRAFT_SECONDS = 30 * 24 * 3600
RESULT_SECONDS = 10 * 60  # how long a submitted form's outcome is kept for a duplicate submission
COOKIE = "c360_portal_session"
# `__Host-` binds the cookie to this host and path `/`, and browsers accept it only when Secure.
SECURE_COOKIE = "__Host-" + COOKIE


class PortalSessionStore(Protocol):
    """Where sessions are kept, as the portal needs it: the runtime gives one (the gateway store's table,
    or Redis), and the portal names only what it calls, so it imports nothing from the store."""

    async def put(self, key: str, value: str, ttl_seconds: int) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def touch(self, key: str, ttl_seconds: int) -> None: ...
    async def take(self, key: str) -> str | None: ...
    async def delete(self, key: str) -> None: ...


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _saved_key(owner: str, journey: str) -> str:
    return "saved:" + _digest(f"{owner}:{journey}")


@functools.cache
def session_key(data_dir: Path, secret: str | None) -> bytes:
    """The key that encrypts session values: derived from `C360_SESSION_SECRET` when set (every replica
    given the same secret shares it), else kept in the data dir beside the cache's, but apart from it."""
    if secret:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"c360 portal sessions").derive(
            secret.encode()
        )
        return base64.urlsafe_b64encode(derived)
    return kept_secret(data_dir / "keys" / "session.key", Fernet.generate_key).strip()


@dataclass
class Session:
    id: str
    csrf: str
    token: str | None = None  # the resident's bearer token; None before sign-in
    # OpenID Connect: the state, nonce and PKCE verifier of a sign-in under way (auth/relying_party.py),
    # and once signed in the provider's other tokens (access, refresh), kept here and never in the browser.
    sign_in: dict[str, str] = field(default_factory=dict)
    provider_tokens: dict[str, str] = field(default_factory=dict)
    drafts: dict[str, dict[str, str]] = field(default_factory=dict)  # journey -> answers not yet sent
    form_tokens: dict[str, str] = field(default_factory=dict)  # journey -> the one-time token of its draft
    references: dict[str, str] = field(default_factory=dict)  # journey -> reference of the last one sent
    refusals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # journey -> the API's userErrors

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def _state(self) -> str:
        state = asdict(self)
        del state["id"]
        return json.dumps(state)


SESSION_FIELDS = tuple(f.name for f in fields(Session) if f.name != "id")


class Sessions:
    def __init__(self, store: PortalSessionStore, key: bytes, *, secure: bool) -> None:
        self._store = store
        self._key = Fernet(key)
        self._csrf_key = hmac.digest(key, b"c360 portal csrf", "sha256")
        self._secure = secure
        self.cookie = SECURE_COOKIE if secure else COOKIE

    async def load(self, request: Request) -> Session | None:
        session_id = request.cookies.get(self.cookie)
        return await self._kept(session_id) if session_id else None

    async def reload(self, session: Session) -> Session | None:
        """The session as it is kept now (another request of it may have changed it)."""
        return await self._kept(session.id)

    async def _kept(self, session_id: str) -> Session | None:
        kept = self._open(await self._store.get("session:" + _digest(session_id)))
        if kept is None:
            return None
        state: dict[str, Any] = json.loads(kept)
        # Only the fields this version knows: during a rolling upgrade a newer worker may have added some.
        return Session(id=session_id, **{name: state[name] for name in SESSION_FIELDS if name in state})

    async def load_or_new(self, request: Request) -> Session | None:
        """For a page anyone may use: the kept session, else an anonymous one under the cookie's id, not
        kept until a draft needs it (its CSRF token is derived from the id, so a form drawn before it was
        kept is checked all the same). None without a cookie."""
        session_id = request.cookies.get(self.cookie)
        if not session_id:
            return None
        return await self._kept(session_id) or self._anonymous(session_id)

    def new(self) -> Session:
        """An anonymous session, not kept yet: a visit writes nothing until a form's answers need keeping."""
        return self._anonymous(secrets.token_urlsafe(32))

    async def start(
        self,
        token: str | None = None,
        *,
        sign_in: dict[str, str] | None = None,
        provider_tokens: dict[str, str] | None = None,
    ) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            token=token,
            sign_in=sign_in or {},
            provider_tokens=provider_tokens or {},
        )
        await self.save(session)
        return session

    def _anonymous(self, session_id: str) -> Session:
        # Unguessable without the key, and bound to the id the HttpOnly cookie carries.
        return Session(id=session_id, csrf=hmac.new(self._csrf_key, session_id.encode(), "sha256").hexdigest())

    async def save(self, session: Session) -> None:
        """Keeps the session, and restarts its idle clock."""
        await self._store.put("session:" + _digest(session.id), self._seal(session._state()), IDLE_SECONDS)

    async def touch(self, session: Session) -> None:
        """Restarts the idle clock without rewriting the session (another request may be changing it)."""
        await self._store.touch("session:" + _digest(session.id), IDLE_SECONDS)

    async def end(self, session: Session) -> None:
        await self._store.delete("session:" + _digest(session.id))

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            self.cookie, session.id, max_age=IDLE_SECONDS, path="/", secure=self._secure, httponly=True, samesite="lax"
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path="/", secure=self._secure, httponly=True, samesite="lax")

    async def issue_form_token(self, session: Session, journey: str) -> str:
        """A one-time token for the draft of `journey` (kept with the draft: the same on every render)."""
        token = secrets.token_urlsafe(24)
        await self._store.put("form:" + _digest(token), self._seal(_digest(session.id)), FORM_TOKEN_SECONDS)
        session.form_tokens[journey] = token
        return token

    async def restore_form_token(self, session: Session, token: str) -> None:
        """Gives a taken token back when its submission's outcome is unknown (the API did not answer):
        the retry then sends the same idempotency key, and the API answers it as the first attempt."""
        await self._store.put("form:" + _digest(token), self._seal(_digest(session.id)), FORM_TOKEN_SECONDS)

    async def take_form_token(self, session: Session, token: str) -> bool:
        """True once only, and only for a token this session was given."""
        owner = self._open(await self._store.take("form:" + _digest(token)))
        return owner is not None and secrets.compare_digest(owner, _digest(session.id))

    async def keep_result(self, token: str, reference: str) -> None:
        """What the sending with `token` came to: a reference, or "" when the API refused the answers."""
        await self._store.put("result:" + _digest(token), self._seal(reference), RESULT_SECONDS)

    async def result(self, token: str) -> str | None:
        return self._open(await self._store.get("result:" + _digest(token)))

    async def save_for_later(self, owner: str, journey: str, answers: dict[str, str], saved_at: str) -> None:
        """The resident's answers to `journey`, kept apart from any session, to come back to after signing out."""
        state = json.dumps({"answers": answers, "saved_at": saved_at})
        await self._store.put(_saved_key(owner, journey), self._seal(state), SAVED_DRAFT_SECONDS)

    async def saved(self, owner: str, journey: str) -> dict[str, Any] | None:
        """`{"answers": ..., "saved_at": ...}` as last saved, or None."""
        kept = self._open(await self._store.get(_saved_key(owner, journey)))
        return json.loads(kept) if kept else None

    async def forget_saved(self, owner: str, journey: str) -> None:
        await self._store.delete(_saved_key(owner, journey))

    def _seal(self, value: str) -> str:
        return self._key.encrypt(value.encode()).decode()

    def _open(self, sealed: str | None) -> str | None:
        """The value, or None when there is none or it was not sealed with this key (a changed
        `C360_SESSION_SECRET`, a value written before sessions were encrypted): that session is over."""
        if sealed is None:
            return None
        try:
            return self._key.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
