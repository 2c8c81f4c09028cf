"""Report a safeguarding concern: anyone may, signed in or not. The first question is whether someone is
in immediate danger, and a yes is told to call 999 before anything else; then who it is about, what was
seen, where, check your answers, and a confirmation with the reference."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.forms import FormJourney
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import see_other, visitor_page

START = "/report-a-safeguarding-concern"
DETAILS = START + "/details"
CALL_999 = START + "/call-999"
TITLE = "Report a safeguarding concern"
DANGER = "safeguarding_danger"  # the session's key for the first question's refusal


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    return {
        "input": {
            "about": answers.get("about") or None,
            "description": answers.get("description", ""),
            "immediateDanger": answers.get("danger") == "yes",
            "location": {"address": answers["where"]} if answers.get("where") else None,
            "crimeSuspected": answers.get("crime") == "yes",
            "contactEmail": answers.get("contact_email") or None,
        }
    }


def _about_chosen(answers: dict[str, str]) -> list[dict[str, Any]]:
    # `about` is an enum: sent blank it would be a malformed request, not a userError, so it is asked here.
    if answers.get("about") in ("CHILD", "ADULT"):
        return []
    message = "Select whether it is about a child or an adult"
    return [{"field": ["input", "about"], "code": "REQUIRED", "message": message}]


FORM = FormJourney(
    journey=journeys.Journey(
        key="safeguarding",
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalReportSafeguardingConcern",
        payload="reportSafeguardingConcern",
    ),
    start=DETAILS,
    title=TITLE,
    templates=("safeguarding_question.html", "safeguarding_check.html", "safeguarding_confirmation.html"),
    fields=("about", "description", "where", "crime", "contact_email"),
    elements={"about": "about", "description": "description", "location": "where", "address": "where"}
    | {"contactEmail": "contact-email"},
    variables=_variables,
    outcome=lambda made: str(made["reference"]),
    done_title="Concern reported",
    back=START,
    check=_about_chosen,
    anyone=True,
)


@visitor_page
async def danger_question(_request: Request, session: Session, sessions: Sessions, _f: dict[str, str]) -> Response:
    refused = session.refusals.pop(DANGER, None)
    if refused is not None:
        await sessions.save(session)
    errors, field_errors = journeys.refusal(refused or [], lambda _path: "danger")
    return page(
        "safeguarding_danger.html",
        session,
        title=TITLE,
        back_link="/",
        answers=session.drafts.get(FORM.journey.key, {}),
        errors=errors,
        field_errors=field_errors,
    )


@visitor_page
async def danger_answer(_request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    danger = fields.get("danger", "")
    if danger not in ("yes", "no"):
        session.refusals[DANGER] = [
            {"field": ["danger"], "message": "Select yes if someone is in immediate danger right now"}
        ]
        await sessions.save(session)
        return see_other(START)
    session.drafts[FORM.journey.key] = session.drafts.get(FORM.journey.key, {}) | {"danger": danger}
    await sessions.save(session)
    return see_other(CALL_999 if danger == "yes" else DETAILS)


@visitor_page
async def call_999(_request: Request, session: Session, _sessions: Sessions, _f: dict[str, str]) -> Response:
    return page("safeguarding_999.html", session, title="Call 999 now", back_link=START)


@visitor_page
async def details(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    """The questions, once the first one is answered: nobody reaches them without the 999 question."""
    if "danger" not in session.drafts.get(FORM.journey.key, {}):
        return see_other(START)
    return await FORM.question(request, session, sessions, fields)


ROUTES = [
    (START, danger_question, "GET"),
    (START, danger_answer, "POST"),
    (CALL_999, call_999, "GET"),
    (DETAILS, details, "GET"),
    *FORM.routes()[1:],
]
