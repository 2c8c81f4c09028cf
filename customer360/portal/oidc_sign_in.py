"""Signing residents in through the council's identity provider (OpenID Connect, e.g. GOV.UK One Login).

`GET /sign-in` keeps a new session holding the flow's state, nonce and PKCE verifier, and sends the
browser to the provider. `GET /sign-in/callback` takes that session (once: a callback replayed finds
nothing), lets `auth/relying_party.py` check the state and verify the ID token (and read the userinfo),
then signs the portal's own bearer token with the claims verified (`auth.tokens.PortalIssuer`: the
provider's ID token may lack the email and lives minutes) and ties the resident to their golden record
exactly as the API does: the API is asked for `me` with that token, and only a verified email that
names a customer gives an answer. The signed-in session is new (an id planted before sign-in is worth
nothing) and holds the portal's token and the provider's tokens; the browser holds only its id.

Signing out ends the session here, then at the provider when it offers RP-initiated logout.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.oidc import resident_sign_in
from customer360.auth.relying_party import Pending, RelyingParty, SignInFailed
from customer360.auth.tokens import PORTAL_KEY, PortalIssuer
from customer360.portal.api import ApiUnavailable, NotSignedIn, call_allowing_gaps
from customer360.portal.csrf import csrf_valid, form_fields
from customer360.portal.rendering import page
from customer360.portal.web import csrf_refused, see_other, service_problem, sessions_for, signed_out

log = logging.getLogger("customer360.portal.sign_in")
CALLBACK = "/sign-in/callback"
SIGNED_OUT = "/signed-out"


def portal_issuer(request: Request) -> PortalIssuer:
    state: Any = request.app.state
    found: PortalIssuer | None = getattr(state, "portal_issuer", None)
    if found is None:
        key = load_or_create_signing_key(state.runtime.settings.data_dir, PORTAL_KEY)
        found = state.portal_issuer = PortalIssuer(key)
    return found


def relying_party(request: Request) -> RelyingParty:
    """One client per app: it keeps the provider's discovery document and keys between sign-ins."""
    state: Any = request.app.state
    found: RelyingParty | None = getattr(state, "resident_relying_party", None)
    if found is None:
        found = resident_sign_in(state.runtime.settings)
        assert found is not None, "the OIDC routes exist only when C360_OIDC_CLIENT_ID is set"
        state.resident_relying_party = found
    return found


async def sign_in(request: Request) -> Response:
    sessions = sessions_for(request)
    session = await sessions.load(request)
    if session is not None and session.signed_in:
        return see_other("/")
    try:
        url, pending = await relying_party(request).begin()
    except SignInFailed as error:
        log.warning("portal sign-in cannot start: %s", error)
        return service_problem(None)
    waiting = await sessions.start(sign_in=pending.as_dict())
    response = see_other(url)
    sessions.set_cookie(response, waiting)
    return response


async def callback(request: Request) -> Response:
    sessions = sessions_for(request)
    session = await sessions.load(request)
    if session is not None:
        await sessions.end(session)  # a sign-in's session serves one callback only
    try:
        signed = await relying_party(request).finish(
            dict(request.query_params), Pending.from_dict(session.sign_in if session else None)
        )
    except SignInFailed as error:
        log.info("portal sign-in refused: %s", error)
        return _could_not_sign_in(sessions, "Your sign-in could not be completed. It may have taken too long.")
    email = signed.claims.get("email")
    token = portal_issuer(request).resident_token(
        str(signed.claims["sub"]),
        email if isinstance(email, str) else None,
        signed.claims.get("email_verified") is True,  # only a boolean true counts, as for any token
    )
    try:  # a back office being down does not keep anyone out: the golden record names them
        me = (await call_allowing_gaps(request, "PortalHome", token=token))[0]["me"]
    except NotSignedIn:
        me = None
    except ApiUnavailable:
        return service_problem(None)
    if me is None:
        log.info("portal sign-in: the verified identity names no customer")
        return _could_not_sign_in(
            sessions,
            "We could not find a council account for the email address you signed in with. "
            "Contact the council to check the email address it has for you.",
        )
    tokens = {"id_token": signed.id_token}
    if signed.access_token:
        tokens["access_token"] = signed.access_token
    if signed.refresh_token:
        tokens["refresh_token"] = signed.refresh_token
    signed_in = await sessions.start(token, provider_tokens=tokens)
    home = see_other("/")
    sessions.set_cookie(home, signed_in)
    return home


async def sign_out(request: Request) -> Response:
    """Ends the session here, then at the provider (its `end_session_endpoint`, which comes back to
    `/signed-out`), so the next "Sign in" asks who the person is again. Without a session here there is
    no form token to check, so nothing goes to the provider: any site could otherwise post here and sign
    the resident out of their identity provider (a logout CSRF)."""
    sessions = sessions_for(request)
    session = await sessions.load(request)
    if session is None:
        return signed_out(sessions, "You have signed out", "You have signed out of your council account.")
    if not csrf_valid(session, await form_fields(request)):
        return csrf_refused(session)
    id_token = session.provider_tokens.get("id_token")
    await sessions.end(session)
    settings = request.app.state.runtime.settings
    away = await relying_party(request).logout_url(id_token, settings.public_url + SIGNED_OUT)
    if away is None:
        return signed_out(sessions, "You have signed out", "You have signed out of your council account.")
    response = see_other(away)
    sessions.clear_cookie(response)
    return response


async def signed_out_page(request: Request) -> Response:
    sessions = sessions_for(request)
    return signed_out(sessions, "You have signed out", "You have signed out of your council account.")


def _could_not_sign_in(sessions: Any, message: str) -> Response:
    response = page(
        "problem.html",
        None,
        400,
        title="You could not be signed in",
        paragraphs=[message, "Go to the start page and sign in again."],
    )
    sessions.clear_cookie(response)
    return response
