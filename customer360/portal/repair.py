"""Report a repair: which home, what and where, whether it puts anyone at risk (damp and mould first, as
Awaab's Law does); check your answers; a confirmation with the reference and the deadlines that apply.

The tenancies come from the API; while the housing system cannot list them the tenant types the
reference from their tenancy agreement (or follows "Report a repair" from Your home, which carries it),
and the API checks it against the tenancies it last saw for them.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.api import call_allowing_gaps
from customer360.portal.forms import FormJourney
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import see_other
from customer360.portal.your_home import CATEGORIES, PATH, WORDS

START = PATH + "/report-a-repair"
# The hazard questions, in the tenant's words; the API's `hazard` values.
HAZARDS = {
    "DAMP_AND_MOULD": "Yes, damp or mould",
    "EMERGENCY": "Yes, a danger right now",
    "OTHER_SIGNIFICANT": "Yes, another serious risk to health or safety",
    "NONE": "No",
}
HAZARD_HINTS = {
    "EMERGENCY": "For example a smell of gas, exposed wiring, flooding, no heating or hot water in cold weather, "
    "or a door or window that will not lock",
    "OTHER_SIGNIFICANT": "For example a broken stair, a ceiling that may fall, or cold from a broken window",
}


async def _tenancies(request: Request, session: Session) -> dict[str, Any]:
    data, complete = await call_allowing_gaps(request, "PortalHomeTenancies", token=session.token or "")
    tenancies = [t for t in (data["me"] or {}).get("tenancies") or [] if t["endDate"] is None]
    return {
        "tenancies": tenancies,
        "tenancies_known": complete,
        "chosen_tenancy": request.query_params.get("tenancy", ""),
        "categories": CATEGORIES,
        "hazards": HAZARDS,
        "hazard_hints": HAZARD_HINTS,
    }


def _problems(answers: dict[str, str]) -> list[dict[str, Any]]:
    # Enums blank would be a malformed request, not a userError, so they are asked here.
    problems = []
    if not answers["tenancy"]:
        problems.append(
            {"field": ["input", "tenancyReference"], "code": "REQUIRED", "message": "Select the home that needs repair"}
        )
    if answers["category"] not in CATEGORIES:
        problems.append({"field": ["input", "category"], "code": "REQUIRED", "message": "Select what needs repairing"})
    if answers["hazard"] not in HAZARDS:
        problems.append(
            {"field": ["input", "hazard"], "code": "REQUIRED", "message": "Select whether it puts anyone at risk"}
        )
    return problems


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    return {
        "input": {
            "tenancyReference": answers["tenancy"],
            "category": answers["category"],
            "room": answers["room"],
            "description": answers["description"],
            "hazard": answers["hazard"],
        }
    }


class RepairJourney(FormJourney):
    """The form journey, whose confirmation also shows the deadlines the API gave the repair."""

    async def send(self, request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
        return await journeys.send(
            request,
            session,
            sessions,
            fields,
            self.journey,
            self.start,
            self.variables,
            self.outcome,
            also_made=lambda made: json.dumps(
                {"priority": made["repair"]["priority"], "deadlines": made["repair"]["deadlines"]}
            ),
        )

    async def confirmation(self, _request: Request, session: Session, _s: Sessions, _f: dict[str, str]) -> Response:
        reference = session.references.get(self.journey.key)
        if reference is None:
            return see_other(START)
        made = json.loads(session.references.get(self.journey.key + journeys.ALSO) or "{}")
        return page(
            self.templates[2],
            session,
            title=self.done_title,
            reference=reference,
            priority=made.get("priority"),
            deadlines=made.get("deadlines", []),
            **WORDS,
        )


FORM = RepairJourney(
    journey=journeys.Journey(
        key="repair",
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalReportRepair",
        payload="reportRepair",
    ),
    start=START,
    title="Report a repair",
    templates=("repair_question.html", "repair_check.html", "repair_confirmation.html"),
    fields=("tenancy", "category", "room", "description", "hazard"),
    elements={
        "tenancyReference": "tenancy",
        "category": "category",
        "room": "room",
        "description": "description",
        "hazard": "hazard",
    },
    variables=_variables,
    outcome=lambda made: str(made["repair"]["reference"]),
    done_title="Repair reported",
    back=PATH,
    extra=_tenancies,
    check=_problems,
)
ROUTES = FORM.routes()
