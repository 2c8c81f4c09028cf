"""CSRF: every portal form carries its session's token; every POST must bring it back.

SameSite=Lax cookies already keep cross-site POSTs out in current browsers; the token covers the
rest (older browsers, a same-site but hostile subdomain). Forms are parsed here too: the portal's
forms are `application/x-www-form-urlencoded`, but for the one that uploads a photo, which is
`multipart/form-data` (one file at most) and must bring the token back like any other.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from customer360.portal.sessions import Session

FIELD = "csrf_token"
MULTIPART = "multipart/form-data"
MAX_MULTIPART_FIELDS = 5


async def form_fields(request: Request) -> dict[str, str]:
    """The form's fields (first value of each); anything but a urlencoded body gives none."""
    return {name: values[0] for name, values in (await form_lists(request)).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of each field, for a group of checkboxes (Starlette keeps the body once read)."""
    mime = request.headers.get("content-type", "").split(";")[0].strip()
    if mime == MULTIPART:
        return {name: [value] for name, value in (await multipart_form(request)).items() if isinstance(value, str)}
    if mime != "application/x-www-form-urlencoded":
        return {}
    return parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)


async def multipart_form(request: Request) -> FormData:
    """A multipart form (the photo step's): one file and a few fields at most, else none at all. Starlette
    keeps it on the request once read, so the page reads the same form again for its file."""
    try:
        return await request.form(max_files=1, max_fields=MAX_MULTIPART_FIELDS)
    except (HTTPException, MultiPartException):
        return FormData()


def csrf_valid(session: Session | None, fields: dict[str, str]) -> bool:
    sent = fields.get(FIELD, "")
    return session is not None and bool(sent) and secrets.compare_digest(sent.encode(), session.csrf.encode())
