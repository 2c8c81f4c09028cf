"""Council Tax and My requests: pages that show what the API says, nothing written."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import housing
from customer360.portal.api import ApiUnavailable, call, call_allowing_gaps
from customer360.portal.rendering import REQUEST_STATUSES, page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import not_found, resident_page

REQUESTS_PER_PAGE = 20
SEARCH_PAGE_SIZE = 100  # the API's largest page
SEARCH_PAGES = 10  # a request page looks through a resident's 1,000 most recent requests


@resident_page
async def council_tax(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    me = (await call(request, "PortalCouncilTax", token=session.token or ""))["me"] or {}
    return page(
        "council_tax.html",
        session,
        title="Council Tax",
        back_link="/",
        accounts=me.get("councilTaxAccounts", []),
        direct_debits=me.get("directDebits", []),
    )


@resident_page
async def my_requests(request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    after = request.query_params.get("after") or None
    # Only the statuses there are: anything else in the address is ignored, not sent (a bad enum is a 400).
    statuses = [s for s in request.query_params.getlist("status") if s in REQUEST_STATUSES]
    variables = {"first": REQUESTS_PER_PAGE, "after": after, "status": statuses or None}
    connection, complete = await _requests(request, session, "PortalMyRequests", variables)
    saved = await housing.saved_application(request, session, sessions)
    return page(
        "my_requests.html",
        session,
        title="My requests",
        back_link="/",
        width="full",
        complete=complete,
        requests=[edge["node"] for edge in connection["edges"]],
        total=connection["totalCount"],
        next_page=connection["pageInfo"]["endCursor"] if connection["pageInfo"]["hasNextPage"] else None,
        statuses=statuses,
        saved_housing=saved,
        filter_query="".join(f"&status={s}" for s in statuses),
    )


@resident_page
async def one_request(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    """One of the resident's own requests, found among theirs: any other reference is simply not there."""
    reference = request.path_params["reference"]
    after, complete = None, True
    for _ in range(SEARCH_PAGES):
        variables = {"first": SEARCH_PAGE_SIZE, "after": after}
        connection, page_complete = await _requests(request, session, "PortalRequests", variables)
        complete = complete and page_complete
        for edge in connection["edges"]:
            if edge["node"]["reference"] == reference:
                rated = request.query_params.get("rated") == "1"
                shown = {"request": edge["node"], "rated": rated}
                return page("request.html", session, title=reference, back_link="/my-requests", **shown)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    if not complete:  # it may be in the back office that is down: not "not found"
        raise ApiUnavailable("PortalRequests")
    return not_found(session)


async def _requests(
    request: Request, session: Session, operation: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """A page of the resident's requests, and whether every back office answered."""
    data, complete = await call_allowing_gaps(request, operation, variables, token=session.token or "")
    connection: dict[str, Any] = (data["me"] or {}).get(
        "requests", {"edges": [], "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}}
    )
    return connection, complete
