"""Escalate a complaint: a complaint at stage 1 that has its reply can be asked to be looked at again
(stage 2). Which complaint, why, check your answers, confirmation with the complaint's reference."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.forms import FormJourney
from customer360.portal.sessions import Session

START = "/escalate-a-complaint"


async def _complaints(request: Request, session: Session) -> dict[str, Any]:
    """The resident's complaints that have their stage 1 reply and are not yet at stage 2."""
    me = (await call(request, "PortalMyComplaints", token=session.token))["me"] or {}
    edges = me.get("complaints", {}).get("edges", [])
    replied = [e["node"] for e in edges if e["node"]["stage"] == "STAGE_1" and e["node"]["respondedAt"]]
    return {"complaints": replied, "by_id": {c["id"]: c for c in replied}}


FORM = FormJourney(
    journey=journeys.Journey(
        key="escalation",
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalEscalateComplaint",
        payload="escalateComplaint",
    ),
    start=START,
    title="Escalate a complaint",
    templates=("escalation_question.html", "escalation_check.html", "escalation_confirmation.html"),
    fields=("complaint", "reason"),
    elements={"complaintId": "complaint", "reason": "reason"},
    variables=lambda answers: {"input": {"complaintId": answers["complaint"], "reason": answers["reason"]}},
    outcome=lambda made: str(made["complaint"]["reference"]),
    done_title="Complaint escalated",
    extra=_complaints,
)
ROUTES = FORM.routes()
