"""Your home: a council tenant's tenancy, rent account and statement, and repairs in progress, with the
ways to pay rent and report a repair. Nothing is written here."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import call_allowing_gaps
from customer360.portal.cancel_direct_debit import link as cancel_link
from customer360.portal.direct_debit import STANDING
from customer360.portal.rendering import date_and_time, long_date, page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page

PATH = "/your-home"
# The Direct Debit journey's page (its own module), for a Council Tax or rent account reference.
DIRECT_DEBIT = "/direct-debit"

TENURES = {
    "SECURE": "Secure tenancy",
    "INTRODUCTORY": "Introductory tenancy (your first year)",
    "FLEXIBLE": "Fixed-term (flexible) tenancy",
}
CATEGORIES = {
    "PLUMBING": "Plumbing, taps or toilets",
    "HEATING": "Heating or hot water",
    "ELECTRICAL": "Electrics",
    "DAMP_AND_MOULD": "Damp or mould",
    "DOORS_AND_WINDOWS": "Doors or windows",
    "ROOF": "Roof, gutters or leaks from above",
    "OTHER": "Something else",
}
PRIORITIES = {
    "EMERGENCY": ("Emergency", "govuk-tag--red"),
    "URGENT": ("Urgent", "govuk-tag--orange"),
    "ROUTINE": ("Routine", "govuk-tag--blue"),
}
# What each deadline promises, in the tenant's words; Awaab's Law's are legal duties.
STEPS = {
    "MAKE_SAFE": "Make your home safe",
    "COMPLETE": "Finish the repair",
    "INVESTIGATE": "Investigate the hazard",
    "WRITTEN_SUMMARY": "Send you a written summary of what we found",
    "BEGIN_SAFETY_WORK": "Start the work to make it safe",
}
REPAIR_STATUSES = {
    "REPORTED": "Reported",
    "INSPECTION_BOOKED": "Inspection booked",
    "WORK_BOOKED": "Work booked",
    "COMPLETED": "Completed",
}
WORDS: dict[str, Any] = {
    "tenures": TENURES,
    "categories": CATEGORIES,
    "priorities": PRIORITIES,
    "steps": STEPS,
    "repair_statuses": REPAIR_STATUSES,
    "deadline_when": lambda deadline: deadline_when(deadline),
}


def direct_debit_link(request: Request, account_reference: str) -> str | None:
    """Where to set up a Direct Debit for the account; None where this portal has no such page (a council
    that does not collect rent by Direct Debit online): no link to a page that is not there."""
    served = any(getattr(route, "path", None) == DIRECT_DEBIT for route in request.app.routes)
    return f"{DIRECT_DEBIT}?{urlencode({'account': account_reference})}" if served else None


@resident_page
async def your_home(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    # The Direct Debits in a call of their own: Council Tax's office being down leaves the rent ones there,
    # and must not make the tenancy read as incomplete.
    (data, complete), (debits, _) = await asyncio.gather(
        call_allowing_gaps(request, "PortalYourHome", token=session.token or ""),
        call_allowing_gaps(request, "PortalMyDirectDebits", token=session.token or ""),
    )
    tenancies = [t for t in (data["me"] or {}).get("tenancies") or [] if t["endDate"] is None]
    if not tenancies and complete:
        return page("your_home_none.html", session, title="You have no council tenancy", back_link="/")
    for tenancy in tenancies:
        repairs = [edge["node"] for edge in tenancy["repairs"]["edges"]]
        tenancy["in_progress"] = [r for r in repairs if r["completedOn"] is None]
        reference = tenancy["rentAccount"]["reference"]
        tenancy["debits"] = [
            d for d in (debits["me"] or {}).get("directDebits") or [] if d["accountReference"] == reference
        ]
        paying = any(d["status"] in STANDING for d in tenancy["debits"])
        tenancy["direct_debit"] = None if paying else direct_debit_link(request, reference)
        tenancy["cancel_direct_debit"] = cancel_link(reference) if paying else None
    return page(
        "your_home.html",
        session,
        title="Your home",
        back_link="/",
        width="full",
        tenancies=tenancies,
        complete=complete,
        **WORDS,
    )


def deadline_when(deadline: dict[str, Any]) -> str:
    """When a deadline falls, as the tenant reads it: a time for one in hours, else the last day."""
    return f"by {date_and_time(deadline['dueAt'])}" if deadline.get("dueAt") else f"by {long_date(deadline['due'])}"
