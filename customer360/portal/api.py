"""The portal's GraphQL client: its own documents, sent through the gateway's HTTP app in-process.

The request goes through the whole app (authentication, limits, security headers) exactly as a
browser's or a mobile app's would, with the resident's bearer token and the resident's own client
address, so per-address rate limits still count each resident, not the portal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from starlette.requests import Request

from customer360.portal.documents import document

log = logging.getLogger("customer360.portal")
# The share of the request's time limit (`C360_REQUEST_TIMEOUT_SECONDS`) one API call may take: clearly
# less than all of it, so a slow call ends as a service-problem page (its form token given back) before
# the page's own limit cuts the page off mid-way.
API_SHARE_OF_REQUEST_TIME = 0.6


class NotSignedIn(Exception):
    """The API refused the resident's token (expired, or its issuer's key withdrawn)."""


class ApiRefused(Exception):
    """The API refused what the page asked as bad input (a tampered address, like an unknown cursor)."""


class ApiUnavailable(Exception):
    """The API answered with errors the resident cannot fix; the page says the service has a problem."""


async def call(
    request: Request,
    operation: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None,
    idempotency_key: str | None = None,
    files: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """The `data` of `operation` (a file in `graphql/`) run as the holder of `token` (None: as nobody,
    for what anyone may do, such as reporting a street problem), complete. `files`: variables that are
    uploads, sent as a GraphQL multipart request."""
    data, complete = await call_allowing_gaps(
        request, operation, variables, token=token, idempotency_key=idempotency_key, files=files
    )
    if not complete:
        raise ApiUnavailable(operation)
    return data


async def call_allowing_gaps(
    request: Request,
    operation: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None,
    idempotency_key: str | None = None,
    files: dict[str, bytes] | None = None,
) -> tuple[dict[str, Any], bool]:
    """The `data` of `operation`, and whether it is complete: with a back office down the API answers
    the rest, and that office's part as its fallback (an empty list), which the page must not show as
    "you have none"."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request_id = getattr(request.state, "request_id", None)
    if request_id:  # the API call logs under the page's request id
        headers["X-Request-ID"] = request_id
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    client_address = (request.client.host, request.client.port) if request.client else ("127.0.0.1", 0)
    transport = httpx.ASGITransport(app=request.app, client=client_address)
    body = {"query": document(operation), "operationName": operation, "variables": variables or {}}
    limit = time_limit(request)
    try:
        async with (
            asyncio.timeout(limit),
            httpx.AsyncClient(transport=transport, base_url="http://portal.internal") as api,
        ):
            response = await (
                _upload(api, body, files, headers) if files else api.post("/graphql", json=body, headers=headers)
            )
    except TimeoutError as late:
        log.warning("portal operation %s: no answer within %.1f s", operation, limit)
        raise ApiUnavailable(operation) from late
    if response.status_code == 401:
        raise NotSignedIn()
    answer = response.json() if response.headers.get("content-type", "").startswith("application/") else {}
    errors = answer.get("errors") or []
    codes = sorted({str(error.get("extensions", {}).get("code")) for error in errors})
    if "UNAUTHENTICATED" in codes:
        raise NotSignedIn()
    if codes == ["BAD_USER_INPUT"]:
        raise ApiRefused(operation)
    data = answer.get("data")
    if errors or response.status_code != 200:
        # Codes only: an error message may quote what the resident typed.
        log.warning("portal operation %s: HTTP %s, error codes %s", operation, response.status_code, codes)
    if response.status_code != 200 or not isinstance(data, dict) or codes not in ([], ["SOURCE_UNAVAILABLE"]):
        raise ApiUnavailable(operation)
    return data, not errors


def _upload(api: httpx.AsyncClient, body: dict[str, Any], files: dict[str, bytes], headers: dict[str, str]) -> Any:
    """The GraphQL multipart request spec: each file a part, mapped onto its variable (null in `operations`),
    with the header that tells the API this is no cross-site form (`http/content_type.py`)."""
    names = list(files)
    operations = {**body, "variables": {**body["variables"], **dict.fromkeys(names)}}
    mapping = {str(n): [f"variables.{name}"] for n, name in enumerate(names)}
    return api.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={str(n): (name, files[name]) for n, name in enumerate(names)},
        headers={**headers, "Apollo-Require-Preflight": "true"},
    )


def time_limit(request: Request) -> float | None:
    """How long one API call may take (None: as long as it takes, when requests have no time limit)."""
    request_seconds: float = request.app.state.runtime.settings.request_timeout_seconds
    return request_seconds * API_SHARE_OF_REQUEST_TIME if request_seconds > 0 else None
