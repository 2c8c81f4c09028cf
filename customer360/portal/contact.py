"""How we contact you: e-mail, text, both or neither, and the last messages sent (one page, one form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import call
from customer360.portal.journeys import refusal
from customer360.portal.rendering import date_and_time, page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

PATH = "/contact-preferences"
TITLE = "How we contact you"
# The API's input field -> the id of its input on the page.
ELEMENTS = {"emailAddress": "email-address", "mobile": "mobile", "email": "channels", "sms": "channels"}


def _element(path: Sequence[str]) -> str | None:
    return ELEMENTS.get(path[-1])


@resident_page
async def preferences(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    me = (await call(request, "PortalContactPreferences", token=session.token or ""))["me"] or {}
    kept = me.get("contactPreferences") or {}
    return _page(session, kept, me, saved=request.query_params.get("saved") == "1")


@resident_page
async def save(request: Request, session: Session, _sessions: Sessions, fields: dict[str, str]) -> Response:
    answers = {
        "email": fields.get("email") == "yes",
        "sms": fields.get("sms") == "yes",
        "emailAddress": fields.get("email_address", "").strip() or None,
        "mobile": fields.get("mobile", "").strip() or None,
    }
    data = await call(request, "PortalUpdateContactPreferences", {"input": answers}, token=session.token or "")
    outcome = data["updateContactPreferences"]
    if outcome["userErrors"]:
        errors, field_errors = refusal(outcome["userErrors"], _element)
        return _page(session, answers, {}, errors=errors, field_errors=field_errors, status_code=400)
    return see_other(f"{PATH}?saved=1")


def _page(
    session: Session,
    kept: Mapping[str, object],
    me: Mapping[str, Any],
    *,
    saved: bool = False,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    notifications = me.get("notifications") or {"edges": []}
    return page(
        "contact_preferences.html",
        session,
        status_code=status_code,
        title=TITLE,
        back_link="/",
        preferences=kept,
        messages=bool(rows := [_row(edge["node"]) for edge in notifications["edges"]]),
        message_rows=rows,
        saved=saved,
        errors=errors or [],
        field_errors=field_errors or {},
    )


CHANNEL_NAMES = {"EMAIL": "Email", "SMS": "Text message"}
STATUS_NAMES = {
    "CREATED": "Sending",
    "SENDING": "Sending",
    "DELIVERED": "Delivered",
    "PERMANENT_FAILURE": "Could not be delivered",
    "TEMPORARY_FAILURE": "Could not be delivered",
    "TECHNICAL_FAILURE": "Could not be delivered",
}


def _row(message: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"text": date_and_time(message["sentAt"]) if message.get("sentAt") else "Not sent"},
        {"text": CHANNEL_NAMES.get(message["channel"], message["channel"])},
        {"text": message["subject"]},
        {"text": message["reference"]},
        {"text": STATUS_NAMES.get(message["status"], message["status"])},
    ]
