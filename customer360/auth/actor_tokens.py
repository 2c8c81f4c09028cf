"""Actor tokens: OAuth 2.0 Token Exchange (RFC 8693) semantics, issued by the gateway itself.

The token's subject is the resident (their golden record); its `act` claim names who really acts (an
officer on an assisted session, or a delegate under the resident's grant), and its `scope` is what
they may do (`view` or `act`). Every resident query and mutation then works for the actor unchanged,
while `Principal.actor` tells every record who acted, for whom, through which channel.

Signed with the gateway's own key (`actor-issuer.pem` in the data dir) and verified by the same
`TokenVerifier` as any other token, under the issuer `ACTOR_ISSUER`. A token is only half the check:
a delegate's grant is looked up on every request (`runtime.authenticate`), so a revoked or expired
grant stops a token issued before it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from customer360.auth.keys import DEMO_ALGORITHM, SigningKey
from customer360.auth.principal import Actor, ActorScope, Principal, PrincipalKind

ACTOR_ISSUER = "urn:customer360:actor-tokens"
ACTOR_AUDIENCE = "customer360"
# RFC 8693's token type for what the exchange returns.
ISSUED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# An assisted session lasts one call: short, and renewed by starting it again while the call lasts.
ASSISTED_SESSION_SECONDS = 15 * 60
# A delegate's token: as short; the grant behind it is checked on every request anyway.
DELEGATE_TOKEN_SECONDS = 15 * 60
_SUBJECT_PREFIX = "customer:"


class ActorTokenIssuer:
    def __init__(self, key: SigningKey) -> None:
        self._key = key

    def issue(self, customer_id: str, actor: Actor, lifetime_seconds: int) -> tuple[str, int]:
        """The token and its expiry (epoch seconds)."""
        now = int(time.time())
        expires = now + lifetime_seconds
        act: dict[str, Any] = {"sub": actor.subject, "team": actor.team, "channel": actor.channel}
        if actor.name:
            act["name"] = actor.name
        if actor.grant_id:
            act["grant"] = actor.grant_id
        if actor.purpose:
            act["purpose"] = actor.purpose
        claims = {
            "iss": ACTOR_ISSUER,
            "aud": ACTOR_AUDIENCE,
            "sub": _SUBJECT_PREFIX + customer_id,
            "act": act,
            "scope": actor.scope.value,
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key.private_key, algorithm=DEMO_ALGORITHM, headers={"kid": self._key.kid})
        return token, expires


def actor_principal(claims: dict[str, Any]) -> Principal:
    """The resident the token is for, with who acts; claims already verified (signature, issuer, expiry)."""
    subject = str(claims["sub"])
    act = claims.get("act")
    if not subject.startswith(_SUBJECT_PREFIX) or not isinstance(act, dict) or not isinstance(act.get("sub"), str):
        raise ValueError("not an actor token")
    actor = Actor(
        subject=act["sub"],
        name=_text(act.get("name")),
        team=_text(act.get("team")) or "someone you chose",
        channel=_text(act.get("channel")) or "assisted_digital",
        scope=ActorScope.ACT if claims.get("scope") == ActorScope.ACT.value else ActorScope.VIEW,
        grant_id=_text(act.get("grant")),
        purpose=_text(act.get("purpose")),
    )
    customer_id = subject.removeprefix(_SUBJECT_PREFIX)
    return Principal(PrincipalKind.RESIDENT, subject=subject, customer_id=customer_id or None, actor=actor)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
