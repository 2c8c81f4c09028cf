"""Apply for housing: a long form (your household, where you live now and why you need to move, income
and needs), check your answers, confirmation with the reference.

"Save and come back later" keeps the answers for the resident, not for the session: under their
customer id (as the API gives it), sealed, for 30 days (`Sessions.save_for_later`), so they survive
signing out; My requests lists the saved application, and opening the form again resumes it. Sending
the application forgets the saved copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.api import NotSignedIn, call
from customer360.portal.dates import date_of, date_problems, parts
from customer360.portal.forms import FormJourney
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

START = "/apply-for-housing"
SAVED = START + "/saved"
EVIDENCE = START + "/evidence"  # the form's next page (`housing_evidence.py`), then check your answers
OTHER_PEOPLE = 4  # rows for the others who would move with the resident (no script adds rows)
RELATIONSHIPS = {"PARTNER": "Partner", "CHILD": "Child (under 18)", "OTHER_ADULT": "Another adult"}
TENURES = {
    "PRIVATE_RENTED": "Renting from a private landlord",
    "COUNCIL_OR_HOUSING_ASSOCIATION": "Renting from the council or a housing association",
    "LIVING_WITH_FAMILY_OR_FRIENDS": "Living with family or friends",
    "TEMPORARY_ACCOMMODATION": "In temporary accommodation",
    "NO_FIXED_ABODE": "No fixed address",
    "OWNER_OCCUPIER": "Own your home",
}
INCOMES = {
    "UNDER_15K": "Under £15,000",
    "FROM_15K_TO_30K": "£15,000 to £30,000",
    "FROM_30K_TO_50K": "£30,000 to £50,000",
    "OVER_50K": "Over £50,000",
}
MEMBER_FIELDS = tuple(
    name for n in range(1, OTHER_PEOPLE + 1) for name in (f"member-{n}-relationship", *parts(f"member-{n}-dob"))
)
FIELDS = (*parts("dob"), *MEMBER_FIELDS, "tenure", "reason", "income", "medical", "mobility", "local")


def evidence_of(answers: dict[str, str]) -> list[tuple[str, str]]:
    """The documents uploaded so far, in order: (attachment id, how the resident sees it)."""
    found, n = [], 1
    while answers.get(f"evidence-{n}-id"):
        found.append((answers[f"evidence-{n}-id"], answers.get(f"evidence-{n}", "")))
        n += 1
    return found


def with_evidence(answers: dict[str, str], evidence: list[tuple[str, str]]) -> dict[str, str]:
    """The answers with exactly these documents, numbered from 1 (a removal closes the gap)."""
    kept = {name: value for name, value in answers.items() if not name.startswith("evidence-")}
    for n, (attachment_id, seen_as) in enumerate(evidence, start=1):
        kept |= {f"evidence-{n}-id": attachment_id, f"evidence-{n}": seen_as}
    return kept


def _members(answers: dict[str, str]) -> list[int]:
    """The rows of other people the resident filled in (a relationship or any part of a date of birth)."""
    return [
        n
        for n in range(1, OTHER_PEOPLE + 1)
        if answers.get(f"member-{n}-relationship") or any(answers.get(p) for p in parts(f"member-{n}-dob"))
    ]


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    household = [{"relationship": "APPLICANT", "dateOfBirth": str(date_of(answers, "dob"))}]
    household += [
        {"relationship": answers[f"member-{n}-relationship"], "dateOfBirth": str(date_of(answers, f"member-{n}-dob"))}
        for n in _members(answers)
    ]
    return {
        "input": {
            "household": household,
            "currentTenure": answers["tenure"],
            "reason": answers["reason"],
            "incomeBand": answers["income"],
            "medicalNeeds": answers.get("medical") == "yes",
            "mobilityNeeds": answers.get("mobility") == "yes",
            "localConnection": answers.get("local") == "yes",
            "attachmentIds": [attachment_id for attachment_id, _ in evidence_of(answers)] or None,
        }
    }


def _problems(answers: dict[str, str]) -> list[dict[str, Any]]:
    """What the API could not even be sent: dates that are not dates, and unanswered choices (enums)."""
    problems = date_problems(answers, "dob", ["input", "household", "0", "dateOfBirth"], "your date of birth")
    for index, n in enumerate(_members(answers), start=1):
        path = ["input", "household", str(index)]
        if answers.get(f"member-{n}-relationship") not in RELATIONSHIPS:
            problems.append({"field": [*path, "relationship"], "message": f"Select who person {n} is to you"})
        problems += date_problems(answers, f"member-{n}-dob", [*path, "dateOfBirth"], f"person {n}'s date of birth")
    if answers.get("tenure") not in TENURES:
        problems.append({"field": ["input", "currentTenure"], "message": "Select where you live now"})
    if answers.get("income") not in INCOMES:
        problems.append({"field": ["input", "incomeBand"], "message": "Select your household's income"})
    return problems


def _locate(path: Sequence[str]) -> str | None:
    """`household.0` is the resident; `household.k` the k-th other person the form sends (the filled rows
    in order, which are rows 1..k when filled from the top, as the page asks)."""
    if len(path) >= 4 and path[1] == "household" and path[2].isdigit():
        k = int(path[2])
        if k == 0:
            return "dob-day"
        return f"member-{k}-relationship" if path[-1] == "relationship" else f"member-{k}-dob-day"
    return None


async def _lists(_request: Request, _session: Session) -> dict[str, Any]:
    return {
        "relationships": RELATIONSHIPS,
        "tenures": TENURES,
        "incomes": INCOMES,
        "rows": range(1, OTHER_PEOPLE + 1),
        "evidence_of": evidence_of,
    }


FORM = FormJourney(
    journey=journeys.Journey(
        key="housing",
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalSubmitHousingApplication",
        payload="submitHousingApplication",
    ),
    start=START,
    title="Apply for housing",
    templates=("housing_question.html", "housing_check.html", "housing_confirmation.html"),
    fields=FIELDS,
    # An `attachmentIds` refusal (a document gone after a day unused) has no input here: the summary says it.
    elements={"currentTenure": "tenure", "incomeBand": "income", "reason": "reason", "household": "dob-day"},
    variables=_variables,
    outcome=lambda made: str(made["application"]["reference"]),
    done_title="Application sent",
    extra=_lists,
    check=_problems,
    locate=_locate,
)


async def owner_of(request: Request, session: Session) -> str:
    """Whose saved application it is: the resident's customer id as the API gives it."""
    me = (await call(request, "PortalMyId", token=session.token))["me"] or {}
    return str(me.get("id") or "")


async def saved_application(request: Request, session: Session, sessions: Sessions) -> dict[str, Any] | None:
    owner = await owner_of(request, session)
    return await sessions.saved(owner, FORM.journey.key) if owner else None


@resident_page
async def question(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    """The form, with the answers of this session, else those the resident saved to come back to."""
    if FORM.journey.key not in session.drafts:
        saved = await saved_application(request, session, sessions)
        if saved:
            session.drafts[FORM.journey.key] = saved["answers"]
            await sessions.save(session)
    return await FORM.question(request, session, sessions, fields)


@resident_page
async def answer(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    if fields.get("action") != "save":
        response = await FORM.answer(request, session, sessions, fields)
        answered = response.headers.get("location") == FORM.journey.check
        return see_other(EVIDENCE) if answered else response
    answers = session.drafts.get(FORM.journey.key, {}) | {name: fields.get(name, "").strip() for name in FIELDS}
    return await save_for_later(request, session, sessions, answers)


async def save_for_later(request: Request, session: Session, sessions: Sessions, answers: dict[str, str]) -> Response:
    """Keep the answers (and the evidence uploaded so far) for the resident, and the session's draft too."""
    owner = await owner_of(request, session)
    if not owner:
        # No longer linked to a customer (or a read gap): saved under "" it would share one slot with
        # every such resident's household details. Refused, as a sign-in that no longer holds.
        raise NotSignedIn
    await sessions.save_for_later(owner, FORM.journey.key, answers, datetime.now(UTC).isoformat())
    session.drafts[FORM.journey.key] = answers
    await sessions.save(session)
    return see_other(SAVED)


@resident_page
async def saved(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    return page("housing_saved.html", session, title="Your application has been saved", back_link=START)


@resident_page
async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    response = await FORM.send(request, session, sessions, fields)
    if response.headers.get("location") == FORM.journey.done:  # sent (now or by the first click)
        owner = await owner_of(request, session)
        if owner:  # without one there is no slot of theirs to clear
            await sessions.forget_saved(owner, FORM.journey.key)
    return response


ROUTES = [
    (START, question, "GET"),
    (START, answer, "POST"),
    (SAVED, saved, "GET"),
    (FORM.journey.check, resident_page(FORM.check_answers), "GET"),
    (FORM.journey.check, send, "POST"),
    (FORM.journey.done, resident_page(FORM.confirmation), "GET"),
]
