"""GET /attachments/<id>?expires=...&for=...&signature=...: an attachment, to whoever holds a link still valid.

Who may see an attachment was decided when the link was made (`commands/attachments.py`), and for
whom it was made is signed into it; here the signature and its time are checked, then the record again
(`may_serve`): a photo hidden since is refused to every link but its uploader's and staff's. Evidence,
and anything opened from a back office's case, is sent `no-store`.

What is served cannot run as a page: images are ones Pillow wrote; a PDF is served as it came, so
always as a download. Both carry `nosniff` and a CSP that sandboxes them, should a browser render them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from customer360.domain.attachments import PDF, may_serve, never_cached
from customer360.http.responses import refusal

if TYPE_CHECKING:
    from customer360.runtime import Runtime

SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}


async def attachment(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    attachments = runtime.services.attachments
    attachment_id = request.path_params["attachment_id"]
    query = request.query_params
    link = attachments.links.valid(
        attachment_id, query.get("expires"), query.get("for"), query.get("signature"), query.get("issued")
    )
    if link is None:
        return refusal(403, "This link is not valid or has expired: reload the page it came from", "FORBIDDEN")
    record = (await attachments.store.by_ids([attachment_id])).get(attachment_id)
    data = await attachments.store.read(record) if record is not None else None
    if record is None or data is None:  # deleted since (never used within a day)
        return refusal(404, "This file is no longer kept", "NOT_FOUND")
    # Hidden (or not yet published) since the link was made, or its links revoked since.
    if not may_serve(record, link.audience) or link.revoked(record):
        return refusal(403, "This file is not shown", "FORBIDDEN")
    name = f"{record.id}.{EXTENSIONS.get(record.content_type, 'bin')}"
    disposition = "attachment" if record.content_type == PDF else "inline"
    remaining = max(0, link.expires - int(time.time()))
    caching = "no-store" if never_cached(record, link.audience) else f"private, max-age={remaining}"
    return Response(
        data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cache-Control": caching,
        },
    )
