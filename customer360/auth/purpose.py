"""Why a member of staff is looking at a person's record: the `X-Access-Purpose` header.

Staff reads of a person must carry a purpose (it is written to the audit log and shown to the
resident in their access log). It is short free text: 3 to 200 characters after trimming, one line,
no control characters. A request with a malformed header is refused outright (400, by
`customer360.http.purpose.AccessPurposeMiddleware`); a well-formed one is kept on the request scope.

Resolvers (or `auth/policy.py`) call `require_purpose(request)` where a purpose is mandatory:
it answers the purpose or raises `PurposeRequired` (a GraphQL error with
`extensions.code = PURPOSE_REQUIRED`, shaped by `schema/errors.py`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

HEADER = "x-access-purpose"
SCOPE_KEY = "access_purpose"
MIN_LENGTH = 3
MAX_LENGTH = 200
CODE = "PURPOSE_REQUIRED"


class PurposeRequired(Exception):
    """A staff read of a person without a valid purpose; the message is safe to show the client."""

    extensions: Mapping[str, str] = {"code": CODE}

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or f"reading a person's record needs a purpose: send the header X-Access-Purpose "
            f"({MIN_LENGTH}-{MAX_LENGTH} characters)"
        )


class InvalidPurpose(ValueError):
    """The header is there but is not an acceptable purpose; the message says why."""


def parse_purpose(raw: str | None) -> str | None:
    """The purpose in a header value (None when absent or blank); raises `InvalidPurpose` when malformed."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text):
        raise InvalidPurpose("X-Access-Purpose must be one line of plain text")
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise InvalidPurpose(f"X-Access-Purpose must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    return " ".join(text.split())


def access_purpose(request: Any) -> str | None:
    """The purpose a request carries (a Starlette `Request` or an ASGI scope), or None."""
    scope = request.scope if hasattr(request, "scope") else request
    state = scope.get("state") or {}
    if SCOPE_KEY in state:
        return state[SCOPE_KEY]  # type: ignore[no-any-return]
    headers = dict(scope.get("headers") or [])
    raw = headers.get(HEADER.encode())
    try:
        return parse_purpose(decode_header(raw) if raw is not None else None)
    except InvalidPurpose:
        return None


def decode_header(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when they are (a purpose may well be), Latin-1 otherwise."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def require_purpose(request: Any) -> str:
    """The request's purpose; raises `PurposeRequired` without one."""
    purpose = access_purpose(request)
    if purpose is None:
        raise PurposeRequired
    return purpose
