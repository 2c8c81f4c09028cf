"""Make a complaint: question page, check your answers, confirmation with the reference (the
machinery, one-time form token included, is `journeys`)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

START = "/make-a-complaint"
JOURNEY = journeys.Journey(
    key="complaint",
    check="/make-a-complaint/check-answers",
    done="/make-a-complaint/confirmation",
    operation="PortalMakeComplaint",
    payload="makeComplaint",
)
CHECK, DONE = JOURNEY.check, JOURNEY.done
TITLE = "Make a complaint"
# The form's fields, the API input field each is sent as, and the id of its input on the question page.
FIELDS = {
    "subject": ("subject", "subject"),
    "description": ("description", "description"),
    "desired_outcome": ("desiredOutcome", "desired-outcome"),
}
ELEMENTS = {api: element for api, element in FIELDS.values()}


def _element(path: Sequence[str]) -> str | None:
    return ELEMENTS.get(path[-1])


@resident_page
async def question(_request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    errors, field_errors = await journeys.take_refusal(session, sessions, JOURNEY, _element)
    return page(
        "complaint_question.html",
        session,
        title=TITLE,
        back_link="/",
        answers=session.drafts.get(JOURNEY.key, {}),
        errors=errors,
        field_errors=field_errors,
    )


@resident_page
async def answer(_request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    await journeys.keep_answers(session, sessions, JOURNEY, {name: fields.get(name, "") for name in FIELDS})
    return see_other(CHECK)


@resident_page
async def check_answers(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, JOURNEY)
    if answers is None:
        return see_other(START)
    return page(
        "complaint_check.html",
        session,
        title="Check your answers",
        back_link=START,
        answers=answers,
        form_token=session.form_tokens[JOURNEY.key],
    )


@resident_page
async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    return await journeys.send(
        request, session, sessions, fields, JOURNEY, START, _variables, lambda made: made["complaint"]["reference"]
    )


def _variables(answers: dict[str, str]) -> dict[str, object]:
    # Required fields go as typed (blank is the API's to refuse, with its own message); optional ones as null.
    given: dict[str, str | None] = {api: answers.get(name, "") for name, (api, _) in FIELDS.items()}
    given["desiredOutcome"] = given["desiredOutcome"] or None
    return {"input": given}


@resident_page
async def confirmation(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    reference = session.references.get(JOURNEY.key)
    if reference is None:
        return see_other(START)
    return page("complaint_confirmation.html", session, title="Complaint sent", reference=reference)
