"""What every signed-in portal page does first: load the session, check CSRF on a POST, and turn the
API's refusals into pages (an expired sign-in signs the resident out; an API failure is a 503 page)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from customer360.portal.api import ApiRefused, ApiUnavailable, NotSignedIn
from customer360.portal.csrf import csrf_valid, form_fields
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions, session_key

log = logging.getLogger("customer360.portal")
ResidentPage = Callable[[Request, Session, Sessions, dict[str, str]], Awaitable[Response]]


def sessions_for(request: Request) -> Sessions:
    runtime: Any = request.app.state.runtime
    settings = runtime.settings
    key = session_key(settings.data_dir, settings.session_secret)
    return Sessions(runtime.portal_sessions, key, secure=settings.production)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def csrf_refused(session: Session | None) -> Response:
    return page(
        "problem.html",
        session,
        403,
        title="Your form could not be sent",
        paragraphs=[
            "The page you sent it from had expired or was not from this site. Go back, reload the page and try again."
        ],
    )


def signed_out(sessions: Sessions, title: str, message: str) -> Response:
    response = page("signed_out.html", None, title=title, message=message)
    sessions.clear_cookie(response)
    return response


def not_found(session: Session | None) -> Response:
    return page(
        "problem.html",
        session,
        404,
        title="Page not found",
        paragraphs=[
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
    )


def service_problem(session: Session | None) -> Response:
    return page(
        "problem.html",
        session,
        503,
        title="Sorry, there is a problem with the service",
        paragraphs=["Try again later. If you sent a form, check My requests before sending it again."],
    )


def guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A portal endpoint whose session store (the database, or Redis) failing is a service-problem page,
    not a bare 500: the resident is told to try again, and the log names only the kind of failure."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (RedisError, SQLAlchemyError, OSError) as error:
            log.warning("portal session store unavailable: %s", type(error).__name__)
            return service_problem(None)

    return answer


def resident_page(
    handler: ResidentPage, otherwise: Callable[[Request, Session | None], Awaitable[Response]] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A page for a signed-in resident: others are answered by `otherwise`, or sent to sign in."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        sessions = sessions_for(request)
        session = await sessions.load(request)
        if session is None or not session.signed_in:
            return await otherwise(request, session) if otherwise else see_other("/sign-in")
        return await _answer(request, session, sessions, handler)

    return endpoint


def visitor_page(handler: ResidentPage) -> Callable[[Request], Awaitable[Response]]:
    """A page anyone may use, signed in or not (a street problem may be reported anonymously): a visitor
    without a session is given one, for the form's CSRF token and the answers, kept only once it holds
    answers (a visit alone writes nothing)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        sessions = sessions_for(request)
        session = await sessions.load_or_new(request)
        if session is None:
            if request.method == "POST":  # a form needs the session it was drawn for
                return csrf_refused(None)
            session = sessions.new()
        return await _answer(request, session, sessions, handler)

    return endpoint


async def _answer(request: Request, session: Session, sessions: Sessions, handler: ResidentPage) -> Response:
    """The page, once the form's CSRF token is checked; the API's refusals as pages."""
    fields: dict[str, str] = {}
    if request.method == "POST":
        fields = await form_fields(request)
        if not csrf_valid(session, fields):
            return csrf_refused(session)
    try:
        response = await handler(request, session, sessions, fields)
    except NotSignedIn:
        await sessions.end(session)
        return signed_out(sessions, "Your sign-in has expired", "For your security, sign in again to carry on.")
    except ApiRefused:
        return not_found(session)
    except ApiUnavailable:
        return service_problem(session)
    await sessions.touch(session)
    sessions.set_cookie(response, session)
    return response
