"""End a single person discount (another adult moved in, or the resident is leaving): which account,
from when, why; check your answers; confirmation."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.dates import date_of, date_problems
from customer360.portal.forms import FormJourney
from customer360.portal.instalment_preview import instalments_after
from customer360.portal.sessions import Session

START = "/single-person-discount/end"
FORM_KEY = "end_discount"


async def _accounts(request: Request, session: Session) -> dict[str, Any]:
    """The resident's current accounts with a single person discount that has not ended."""
    me = (await call(request, "PortalDiscountsToEnd", token=session.token))["me"] or {}
    accounts = [
        account
        for account in me.get("councilTaxAccounts", [])
        if account["liableTo"] is None
        and any(d["kind"] == "SINGLE_PERSON" and d["status"] in ("ACTIVE", "PENDING") for d in account["discounts"])
    ]
    draft = session.drafts.get(FORM_KEY, {})
    ends_on = date_of(draft, "ends-on")
    chosen = draft.get("account") or (accounts[0]["reference"] if len(accounts) == 1 else "")
    rows = await instalments_after(request, session, chosen, ends_on=ends_on) if ends_on and chosen else []
    return {"accounts": accounts, "by_reference": {a["reference"]: a for a in accounts}, "instalments": rows}


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    ends_on = date_of(answers, "ends-on")
    assert ends_on is not None  # a draft is kept only with a real date
    return {
        "input": {
            "accountReference": answers["account"],
            "endsOn": ends_on.isoformat(),
            "reason": answers["reason"] or None,
        }
    }


def _outcome(made: dict[str, Any]) -> str:
    discount = made["discount"]
    return str(discount["reference"] or discount["accountReference"])


FORM = FormJourney(
    journey=journeys.Journey(
        key=FORM_KEY,
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalEndSinglePersonDiscount",
        payload="removeSinglePersonDiscount",
    ),
    start=START,
    title="End your single person discount",
    templates=("end_discount_question.html", "end_discount_check.html", "end_discount_confirmation.html"),
    fields=("account", "ends-on-day", "ends-on-month", "ends-on-year", "reason"),
    elements={"accountReference": "account", "endsOn": "ends-on-day", "reason": "reason"},
    variables=_variables,
    outcome=_outcome,
    done_title="Discount ended",
    back="/council-tax",
    extra=_accounts,
    check=lambda answers: date_problems(answers, "ends-on", ["input", "endsOn"], "the date the discount ends"),
)
ROUTES = FORM.routes()
