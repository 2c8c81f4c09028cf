"""The start page, the demo sign-in, sign-out, and the resident's home page ("Your account")."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.auth.tokens import DemoIssuer
from customer360.portal.api import ApiUnavailable, NotSignedIn, call, call_allowing_gaps
from customer360.portal.csrf import csrf_valid, form_fields
from customer360.portal.rendering import page
from customer360.portal.report import offered_here
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import csrf_refused, resident_page, see_other, service_problem, sessions_for, signed_out

TITLE = "Sign in"


async def _start(request: Request, session: Session | None) -> Response:
    runtime = request.app.state.runtime
    available = runtime.signing_key is not None or runtime.settings.oidc_client_id is not None
    return page("start.html", session, title="My Tamworth", sign_in_available=available)


async def _home(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    # Council Tax apart: with the revenues system down the account page still shows the rest.
    token = session.token or ""
    home, council_tax, services, tenant = await asyncio.gather(
        call_allowing_gaps(request, "PortalHome", token=token),
        _council_tax_summary(request, token),
        call_allowing_gaps(request, "PortalServices", token=token),
        _tenant(request, token),
        return_exceptions=True,
    )
    if isinstance(home, BaseException):
        raise home
    if isinstance(council_tax, BaseException):
        raise council_tax
    if isinstance(services, BaseException):
        raise services
    if isinstance(tenant, BaseException):
        raise tenant
    data, complete = home
    if data["me"] is None:
        raise NotSignedIn()  # the golden record is gone (merged, or the email changed at the IdP)
    return page(
        "home.html",
        session,
        title="Your account",
        active="home",
        me=data["me"],
        requests_complete=complete,
        accounts=council_tax,
        tenant=tenant,
        # Each service staff defined is a journey of its own to the resident, under the name they gave it.
        defined_services=[s for s in services[0]["services"] if s["version"] is not None and offered_here(s)],
    )


start_or_home = resident_page(_home, otherwise=_start)


async def _council_tax_summary(request: Request, token: str) -> list[dict[str, Any]] | None:
    """The resident's Council Tax accounts, or None while the API cannot give them."""
    try:
        me = (await call(request, "PortalHomeCouncilTax", token=token))["me"]
    except ApiUnavailable:
        return None
    accounts: list[dict[str, Any]] = (me or {}).get("councilTaxAccounts", [])
    return accounts


async def _tenant(request: Request, token: str) -> bool:
    """Whether "Your home" is for this resident: a current council tenancy, or the housing system not
    answering (the page says so, and still offers to report a repair)."""
    try:
        data, complete = await call_allowing_gaps(request, "PortalHomeTenancies", token=token)
    except ApiUnavailable:
        return True
    tenancies = (data["me"] or {}).get("tenancies") or []
    return not complete or any(t["endDate"] is None for t in tenancies)


async def sign_in_page(request: Request) -> Response:
    sessions = sessions_for(request)
    session = await sessions.load_or_new(request)
    if session is not None and session.signed_in:
        return see_other("/")
    session = session or sessions.new()  # signed out: a session (not kept) only for the form's CSRF token
    response = page("sign_in.html", session, title=TITLE, back_link="/", email="", field_errors={})
    sessions.set_cookie(response, session)
    return response


async def sign_in(request: Request) -> Response:
    """Demo identity: any demo resident's email signs in as them, with a token of the demo issuer."""
    sessions = sessions_for(request)
    session = await sessions.load_or_new(request)
    fields = await form_fields(request)
    if not csrf_valid(session, fields):
        return csrf_refused(session)
    assert session is not None  # csrf_valid is never true without one
    email = fields.get("email", "").strip()
    problem = _email_problem(email)
    if problem is None:
        token = DemoIssuer(request.app.state.runtime.signing_key).resident_token(email)
        try:  # a back office being down does not keep anyone out: the golden record names them
            me = (await call_allowing_gaps(request, "PortalHome", token=token))[0]["me"]
        except NotSignedIn:
            me = None
        except ApiUnavailable:
            return service_problem(session)
        if me is not None:
            # A new session id at sign-in: an id planted before it (session fixation) is worth nothing.
            await sessions.end(session)
            signed_in = await sessions.start(token)
            home = see_other("/")
            sessions.set_cookie(home, signed_in)
            return home
        problem = "There is no demo resident with that email address"
    errors = [{"text": problem, "href": "#email"}]
    response = page(
        "sign_in.html", session, title=TITLE, back_link="/", email=email, errors=errors, field_errors={"email": problem}
    )
    sessions.set_cookie(response, session)
    return response


async def sign_out_page(request: Request) -> Response:
    """A page with the sign-out button (the header's, for a link followed or typed): a GET signs nobody
    out, so a cross-site link or image cannot."""
    session = await sessions_for(request).load(request)
    if session is None or not session.signed_in:
        return page("signed_out.html", None, title="You are signed out", message="You are not signed in.")
    return page("sign_out.html", session, title="Sign out")


async def sign_out(request: Request) -> Response:
    sessions = sessions_for(request)
    session = await sessions.load(request)
    if session is not None:
        if not csrf_valid(session, await form_fields(request)):
            return csrf_refused(session)
        await sessions.end(session)
    # No session (it had expired, or another tab ended it): the resident is signed out all the same.
    return signed_out(sessions, "You have signed out", "You have signed out of your council account.")


def _email_problem(email: str) -> str | None:
    if not email:
        return "Enter your email address"
    if "@" not in email.strip("@") or len(email) > 254:
        return "Enter an email address in the correct format, like name@example.com"
    return None
