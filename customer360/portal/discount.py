"""Apply for a single person discount: which account (if several), the start date, the declaration,
check your answers, confirmation (the machinery, one-time form token included, is `journeys`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.instalment_preview import instalments_after
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

START = "/single-person-discount"
TITLE = "Apply for a single person discount"
JOURNEY = journeys.Journey(
    key="single_person_discount",
    check="/single-person-discount/check-answers",
    done="/single-person-discount/confirmation",
    operation="PortalApplySinglePersonDiscount",
    payload="applySinglePersonDiscount",
)
FIELDS = ("account", "starts-on-day", "starts-on-month", "starts-on-year", "declaration")
ELEMENTS = {"accountReference": "account", "startsOn": "starts-on-day", "declaration": "declaration"}


def _element(path: Sequence[str]) -> str | None:
    return ELEMENTS.get(path[-1])


async def _accounts(request: Request, session: Session) -> list[dict[str, Any]]:
    """The accounts the resident is liable for now (a discount on a past home is not this journey's)."""
    me = (await call(request, "PortalDiscountAccounts", token=session.token))["me"] or {}
    return [account for account in me.get("councilTaxAccounts", []) if account["liableTo"] is None]


@resident_page
async def question(request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    accounts = await _accounts(request, session)
    errors, field_errors = await journeys.take_refusal(session, sessions, JOURNEY, _element)
    return page(
        "discount_question.html",
        session,
        title=TITLE,
        back_link="/",
        accounts=accounts,
        answers=session.drafts.get(JOURNEY.key, {}),
        errors=errors,
        field_errors=field_errors,
    )


@resident_page
async def answer(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    answers = {name: fields.get(name, "").strip() for name in FIELDS}
    if not answers["account"]:  # one account: the page names it, and asks nothing
        accounts = await _accounts(request, session)
        answers["account"] = accounts[0]["reference"] if len(accounts) == 1 else ""
    problems = _date_problems(answers)
    if problems:
        await journeys.refuse_answers(session, sessions, JOURNEY, answers, problems)
        return see_other(START)
    await journeys.keep_answers(session, sessions, JOURNEY, answers)
    return see_other(JOURNEY.check)


@resident_page
async def check_answers(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, JOURNEY)
    if answers is None:
        return see_other(START)
    accounts = {a["reference"]: a for a in await _accounts(request, session)}
    return page(
        "discount_check.html",
        session,
        title="Check your answers",
        back_link=START,
        answers=answers,
        account=accounts.get(answers["account"]),
        several=len(accounts) > 1,
        starts_on=str(_starts_on(answers) or ""),
        instalments=await instalments_after(request, session, answers["account"], starts_on=_starts_on(answers)),
        form_token=session.form_tokens[JOURNEY.key],
    )


@resident_page
async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    return await journeys.send(
        request, session, sessions, fields, JOURNEY, START, _variables, lambda made: made["discount"]["reference"]
    )


@resident_page
async def confirmation(_request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    reference = session.references.get(JOURNEY.key)
    if reference is None:
        return see_other(START)
    return page("discount_confirmation.html", session, title="Application sent", reference=reference)


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    starts_on = _starts_on(answers)
    assert starts_on is not None  # a draft is kept only with a real date
    return {
        "input": {
            "accountReference": answers["account"],
            "startsOn": starts_on.isoformat(),
            "declaration": answers["declaration"] == "yes",
        }
    }


def _starts_on(answers: dict[str, str]) -> date | None:
    try:
        return date(int(answers["starts-on-year"]), int(answers["starts-on-month"]), int(answers["starts-on-day"]))
    except ValueError:
        return None


def _date_problems(answers: dict[str, str]) -> list[dict[str, Any]]:
    """GOV.UK's date input messages: the API takes only a real date, so these are the portal's to say."""
    parts = [answers[f"starts-on-{part}"] for part in ("day", "month", "year")]
    if not any(parts):
        message = "Enter the date the discount should start from"
    elif not all(parts):
        missing = " and ".join(p for p, given in zip(("day", "month", "year"), parts, strict=True) if not given)
        message = f"The start date must include a {missing}"
    elif len(answers["starts-on-year"]) != 4 or _starts_on(answers) is None:
        message = "The start date must be a real date"
    else:
        return []
    return [{"field": ["input", "startsOn"], "code": "INVALID_DATE", "message": message}]
