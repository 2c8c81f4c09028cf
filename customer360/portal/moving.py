"""Tell us you are moving: into, out of or within the borough, when, and the new address; check your
answers; confirmation with the reference. Told once, every back office that knows the resident hears."""

from __future__ import annotations

from typing import Any

from customer360.portal import journeys
from customer360.portal.dates import date_of, date_problems
from customer360.portal.forms import FormJourney

START = "/tell-us-you-are-moving"
KINDS = {"IN": "Into Tamworth", "WITHIN": "Within Tamworth", "OUT": "Out of Tamworth"}


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    move_date = date_of(answers, "move-date")
    assert move_date is not None  # a draft is kept only with a real date
    address = None
    if answers["kind"] != "OUT" and (answers["line1"] or answers["postcode"]):
        address = {"line1": answers["line1"], "postcode": answers["postcode"]}
    return {
        "input": {
            "kind": answers["kind"],
            "moveDate": move_date.isoformat(),
            "newAddress": address,
            "wholeHousehold": answers["whole"] != "no",
        }
    }


def _problems(answers: dict[str, str]) -> list[dict[str, Any]]:
    # `kind` is an enum: blank it would be a malformed request, not a userError, so it is asked here.
    problems = []
    if answers["kind"] not in KINDS:
        problems.append({"field": ["input", "kind"], "code": "REQUIRED", "message": "Select where you are moving"})
    return problems + date_problems(answers, "move-date", ["input", "moveDate"], "the date you move")


FORM = FormJourney(
    journey=journeys.Journey(
        key="moving",
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalNotifyMove",
        payload="notifyMove",
    ),
    start=START,
    title="Tell us you are moving",
    templates=("moving_question.html", "moving_check.html", "moving_confirmation.html"),
    fields=("kind", "move-date-day", "move-date-month", "move-date-year", "line1", "postcode", "whole"),
    elements={
        "kind": "kind",
        "moveDate": "move-date-day",
        "newAddress": "line1",
        "newUprn": "line1",
        "line1": "line1",
        "postcode": "postcode",
    },
    variables=_variables,
    outcome=lambda made: str(made["request"]["reference"]),
    done_title="Move received",
    check=_problems,
)
ROUTES = FORM.routes()
