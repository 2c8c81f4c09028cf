"""Rating a finished request from its page: 1 to 5 and a comment, sent once (the API refuses a second)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import call
from customer360.portal.journeys import refusal
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

PATH = "/my-requests/{reference}/rating"
ELEMENTS = {"rating": "rating", "comment": "comment", "reference": "rating"}


def _element(path: Sequence[str]) -> str | None:
    return ELEMENTS.get(path[-1])


@resident_page
async def rate(request: Request, session: Session, _sessions: Sessions, fields: dict[str, str]) -> Response:
    reference = request.path_params["reference"]
    back = f"/my-requests/{quote(reference)}"
    chosen = fields.get("rating", "")
    if not chosen.isdigit():
        errors = [{"text": "Choose how satisfied you are", "href": "#rating"}]
        return _refused(session, reference, back, errors, {"rating": "Choose how satisfied you are"}, fields)
    answers = {"reference": reference, "rating": int(chosen), "comment": fields.get("comment", "").strip() or None}
    outcome = (await call(request, "PortalRateService", {"input": answers}, token=session.token or ""))["rateService"]
    if outcome["userErrors"]:
        errors, field_errors = refusal(outcome["userErrors"], _element)
        return _refused(session, reference, back, errors, field_errors, fields)
    return see_other(f"{back}?rated=1")


def _refused(
    session: Session,
    reference: str,
    back: str,
    errors: list[dict[str, str]],
    field_errors: dict[str, str],
    fields: dict[str, str],
) -> Response:
    return page(
        "rating.html",
        session,
        status_code=400,
        title=f"Rate {reference}",
        back_link=back,
        reference=reference,
        errors=errors,
        field_errors=field_errors,
        answers=fields,
    )
