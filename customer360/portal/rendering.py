"""Pages: Jinja templates on GOV.UK Frontend's macros (`govuk-frontend-jinja`), with their headers.

Every page gets a fresh CSP nonce for the one inline script GOV.UK's page template has (it marks the
body `js-enabled` before anything paints), `Cache-Control: no-store` (pages show personal data and
forms carry one-time tokens), and the session's CSRF token for its forms.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from customer360.domain.direct_debit import GUARANTEE
from customer360.portal.dates import date_of
from customer360.portal.sessions import Session

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# Stylesheet and script URLs carry a hash of the files: cached for a day, never stale after an upgrade.
ASSET_VERSION = hashlib.sha256(
    b"".join((STATIC / name).read_bytes() for name in ("govuk/govuk-frontend.min.css", "portal.css", "portal.js"))
).hexdigest()[:12]
LONDON = ZoneInfo("Europe/London")
CSP = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
REQUEST_STATUSES = {  # RequestStatus -> (words, GOV.UK tag colour)
    "SUBMITTED": ("Submitted", "govuk-tag--blue"),
    "IN_PROGRESS": ("In progress", "govuk-tag--light-blue"),
    "RESOLVED": ("Resolved", "govuk-tag--green"),
    "CLOSED": ("Closed", "govuk-tag--grey"),
    "REJECTED": ("Rejected", "govuk-tag--red"),
}
INSTALMENT_STATUSES = {"PAID": "Paid", "DUE": "Due", "OVERDUE": "Overdue", "PART_PAID": "Part paid"}


def long_date(value: str | None) -> str:
    """`2026-12-06` (or a timestamp) as GOV.UK writes dates: 6 December 2026 (London's day)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    day = moment.astimezone(LONDON).date() if moment.tzinfo else moment.date()
    return _day(day)


def date_and_time(value: str | None) -> str:
    """A timestamp as GOV.UK writes it: 6 December 2026 at 3:04pm (London time)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(LONDON)
    hour = moment.hour % 12 or 12
    return f"{_day(moment.date())} at {hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def choice_item(value: str, chosen: list[str]) -> dict[str, Any]:
    """One of a question's answers as a radio or checkbox item, ticked if the resident chose it."""
    return {"value": value, "text": value, "checked": value in chosen}


def account_item(account: dict[str, Any], chosen: str) -> dict[str, Any]:
    """A Council Tax account as a radio item: its property, and its reference as the hint."""
    where = account["propertyAddress"]
    return {
        "value": account["reference"],
        "text": f"{where['line1']}, {where['postcode']}",
        "hint": {"text": f"Account {account['reference']}"},
        "checked": account["reference"] == chosen,
    }


def number_hint(question: dict[str, Any]) -> str:
    """The range a number question declares, in words."""
    low, high = question.get("min"), question.get("max")
    if low is not None and high is not None:
        return f"A number from {low:g} to {high:g}"
    if low is not None:
        return f"A number, {low:g} or more"
    return f"A number, {high:g} or less" if high is not None else "A number, for example 3"


def answered_date(answers: dict[str, str], prefix: str) -> str:
    """A date input's answer (kept as its three boxes) as GOV.UK writes dates."""
    day = date_of(answers, prefix)
    return _day(day) if day else ""


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _environment() -> Environment:
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    environment.filters["long_date"] = long_date
    environment.filters["date_and_time"] = date_and_time
    environment.filters["choice_item"] = choice_item
    environment.filters["number_hint"] = number_hint
    environment.filters["account_item"] = account_item
    environment.filters["answered_date"] = answered_date
    environment.filters["status_words"] = lambda status: REQUEST_STATUSES[status][0].lower()
    environment.globals["asset_version"] = ASSET_VERSION
    environment.globals["REQUEST_STATUSES"] = REQUEST_STATUSES
    environment.globals["INSTALMENT_STATUSES"] = INSTALMENT_STATUSES
    environment.globals["DIRECT_DEBIT_GUARANTEE"] = GUARANTEE
    return environment


ENVIRONMENT = _environment()


def page(template: str, session: Session | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = ENVIRONMENT.get_template(template).render(
        cspNonce=nonce,
        csrf_token=session.csrf if session else "",
        signed_in=bool(session and session.signed_in),
        **context,
    )
    headers = {"Content-Security-Policy": CSP.format(nonce=nonce), "Cache-Control": "no-store"}
    return HTMLResponse(html, status_code=status_code, headers=headers)
