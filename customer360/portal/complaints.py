"""Make a complaint: question page, check your answers, confirmation with the reference.

The answers wait in the session until the resident sends them. The "Send complaint" form carries a
one-time token kept with the draft: it is taken atomically when the form is sent, and becomes the
request's `Idempotency-Key`, so a double click or a resent page makes one complaint, and the second
submission is shown the first one's confirmation.
"""

from __future__ import annotations

import asyncio
import hashlib

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import ApiUnavailable, NotSignedIn, call
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

JOURNEY = "complaint"
START, CHECK, DONE = "/make-a-complaint", "/make-a-complaint/check-answers", "/make-a-complaint/confirmation"
TITLE = "Make a complaint"
# The form's fields, the API input field each is sent as, and the id of its input on the question page.
FIELDS = {
    "subject": ("subject", "subject"),
    "description": ("description", "description"),
    "desired_outcome": ("desiredOutcome", "desired-outcome"),
}
DUPLICATE_WAIT_SECONDS = 10.0  # how long a second submission waits for the first one's outcome


@resident_page
async def question(_request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    """The questions, with the API's refusal of the last sending when there was one (shown once)."""
    refusal = session.refusals.pop(JOURNEY, None)
    if refusal is not None:
        await sessions.save(session)
    errors, field_errors = _errors(refusal or [])
    return page(
        "complaint_question.html",
        session,
        title=TITLE,
        back_link="/",
        answers=session.drafts.get(JOURNEY, {}),
        errors=errors,
        field_errors=field_errors,
    )


@resident_page
async def answer(_request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    session.drafts[JOURNEY] = {name: fields.get(name, "") for name in FIELDS}
    if JOURNEY not in session.form_tokens:
        await sessions.issue_form_token(session, JOURNEY)
    await sessions.save(session)
    return see_other(CHECK)


@resident_page
async def check_answers(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = session.drafts.get(JOURNEY)
    if answers is None or JOURNEY not in session.form_tokens:
        return see_other(START)
    return page(
        "complaint_check.html",
        session,
        title="Check your answers",
        back_link=START,
        answers=answers,
        form_token=session.form_tokens[JOURNEY],
    )


@resident_page
async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    token = fields.get("form_token", "")
    answers = session.drafts.get(JOURNEY)
    if not token or answers is None or not await sessions.take_form_token(session, token):
        return await _after_duplicate(sessions, token)
    # Required fields go as typed (blank is the API's to refuse, with its own message); optional ones as null.
    given: dict[str, str | None] = {api: answers.get(name, "") for name, (api, _) in FIELDS.items()}
    given["desiredOutcome"] = given["desiredOutcome"] or None
    variables = {"input": given}
    try:
        payload = (
            await call(
                request,
                "PortalMakeComplaint",
                variables,
                token=session.token or "",
                idempotency_key=hashlib.sha256(f"portal:{JOURNEY}:{token}".encode()).hexdigest(),
            )
        )["makeComplaint"]
    except (ApiUnavailable, NotSignedIn):
        await sessions.restore_form_token(session, token)  # the outcome is unknown: a retry sends the same key
        raise
    if payload["userErrors"]:
        # Post/redirect/get: the questions page shows the refusal, so reloading it sends nothing again.
        session.refusals[JOURNEY] = payload["userErrors"]
        await sessions.issue_form_token(session, JOURNEY)  # the taken one is spent; the corrected answers need one
        await sessions.save(session)
        await sessions.keep_result(token, "")
        return see_other(START)
    reference = payload["complaint"]["reference"]
    session.references[JOURNEY] = reference
    session.drafts.pop(JOURNEY, None)
    session.form_tokens.pop(JOURNEY, None)
    await sessions.save(session)
    await sessions.keep_result(token, reference)  # after the session: a duplicate finds both in place
    return see_other(DONE)


@resident_page
async def confirmation(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    reference = session.references.get(JOURNEY)
    if reference is None:
        return see_other(START)
    return page("complaint_confirmation.html", session, title="Complaint sent", reference=reference)


async def _after_duplicate(sessions: Sessions, token: str) -> Response:
    """A form sent again (double click, back button, retry): once the first sending has an outcome, its
    confirmation, or the questions if the API refused the answers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DUPLICATE_WAIT_SECONDS
    while token:
        outcome = await sessions.result(token)
        if outcome is not None:
            return see_other(DONE if outcome else START)
        if loop.time() >= deadline:
            break
        await asyncio.sleep(0.1)
    return see_other(CHECK)


def _errors(user_errors: list[dict[str, object]]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The API's userErrors as the error summary's items and each field's inline message."""
    by_api_name = {api: (name, element) for name, (api, element) in FIELDS.items()}
    summary: list[dict[str, str]] = []
    inline: dict[str, str] = {}
    for error in user_errors:
        path = error.get("field") or []
        message = str(error["message"])
        field = by_api_name.get(str(path[-1])) if isinstance(path, list) and path else None
        if field is None:
            summary.append({"text": message})
            continue
        name, element = field
        inline.setdefault(name, message)
        summary.append({"text": message, "href": f"#{element}"})
    return summary, inline
