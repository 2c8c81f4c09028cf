"""CSRF: every portal form carries its session's token; every POST must bring it back.

SameSite=Lax cookies already keep cross-site POSTs out in current browsers; the token covers the
rest (older browsers, a same-site but hostile subdomain). Forms are parsed here too: the portal's
forms are all `application/x-www-form-urlencoded`, so no multipart parser is needed.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.requests import Request

from customer360.portal.sessions import Session

FIELD = "csrf_token"


async def form_fields(request: Request) -> dict[str, str]:
    """The form's fields (first value of each); anything but a urlencoded body gives none."""
    return {name: values[0] for name, values in (await form_lists(request)).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of each field, for a group of checkboxes (Starlette keeps the body once read)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    return parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)


def csrf_valid(session: Session | None, fields: dict[str, str]) -> bool:
    sent = fields.get(FIELD, "")
    return session is not None and bool(sent) and secrets.compare_digest(sent.encode(), session.csrf.encode())
