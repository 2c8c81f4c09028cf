"""The recalculated instalments a single person discount starting or ending would give, as the API
computes them with the council's rules, to show on the check-answers page before the resident confirms."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request

from customer360.portal.api import call
from customer360.portal.sessions import Session


async def instalments_after(
    request: Request, session: Session, account: str, *, starts_on: date | None = None, ends_on: date | None = None
) -> list[dict[str, Any]]:
    """Each instalment of `account` as it is now and as it would be (rows of due date, now, after); none
    when the API has nothing to preview."""
    variables = {
        "startsOn": starts_on.isoformat() if starts_on else None,
        "endsOn": ends_on.isoformat() if ends_on else None,
    }
    me = (await call(request, "PortalDiscountPreview", variables, token=session.token))["me"] or {}
    found = next((a for a in me.get("councilTaxAccounts", []) if a["reference"] == account), None)
    if found is None or found["instalmentsWithSinglePersonDiscount"] is None:
        return []
    now = {item["dueDate"]: item["amount"] for item in found["instalments"]}
    return [
        {"due": item["dueDate"], "now": now.get(item["dueDate"]), "after": item["amount"]}
        for item in found["instalmentsWithSinglePersonDiscount"]
    ]
