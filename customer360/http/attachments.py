"""GET /attachments/<id>?expires=...&signature=...: an attachment, to whoever holds a link still valid.

Who may see an attachment was decided when the link was made (`commands/attachments.py`); here only
the signature and its time are checked. What is served cannot run as a page: images are ones Pillow
wrote; a PDF is served as it came, so always as a download. Both carry `nosniff` and a CSP that
sandboxes them, should a browser render them anyway.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from customer360.domain.attachments import PDF
from customer360.http.responses import refusal

if TYPE_CHECKING:
    from customer360.runtime import Runtime

SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}


async def attachment(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    attachments = runtime.attachments
    attachment_id = request.path_params["attachment_id"]
    expires, signature = request.query_params.get("expires"), request.query_params.get("signature")
    until = attachments.links.valid(attachment_id, expires, signature)
    if until is None:
        return refusal(403, "This link is not valid or has expired: reload the page it came from", "FORBIDDEN")
    record = (await attachments.store.by_ids([attachment_id])).get(attachment_id)
    data = await attachments.store.read(record) if record is not None else None
    if record is None or data is None:  # deleted since (never used within a day)
        return refusal(404, "This file is no longer kept", "NOT_FOUND")
    name = f"{record.id}.{EXTENSIONS.get(record.content_type, 'bin')}"
    disposition = "attachment" if record.content_type == PDF else "inline"
    remaining = max(0, until - int(time.time()))
    return Response(
        data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cache-Control": f"private, max-age={remaining}",
        },
    )
