"""People who can act for you, and people you can act for: the resident's grants, as the API gives them.
Read-only pages; granting and revoking are the API's (`grantAccess`, `revokeAccess`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import call
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page

WHO_CAN_ACT = "/people-who-can-act-for-you"
WHO_YOU_ACT_FOR = "/people-you-can-act-for"
RELATIONSHIPS = {
    "CARER": "Carer",
    "FAMILY": "Family member",
    "VOLUNTARY_AGENCY": "Voluntary agency",
    "COUNCILLOR": "Councillor",
}
SCOPES = {"VIEW": "See your requests and accounts", "ACT": "See and act for you"}


async def _grants(request: Request, session: Session) -> dict[str, list[dict[str, object]]]:
    me = (await call(request, "PortalAccessGrants", token=session.token or ""))["me"] or {}
    return {"given": me.get("accessGrants", []), "held": me.get("actingFor", [])}


@resident_page
async def who_can_act(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    grants = await _grants(request, session)
    return page(
        "access_given.html",
        session,
        title="People who can act for you",
        back_link="/",
        grants=[g for g in grants["given"] if g["active"]],
        relationships=RELATIONSHIPS,
        scopes=SCOPES,
    )


@resident_page
async def who_you_act_for(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    grants = await _grants(request, session)
    return page(
        "access_held.html",
        session,
        title="People you can act for",
        back_link="/",
        grants=grants["held"],
        relationships=RELATIONSHIPS,
        scopes=SCOPES,
    )
