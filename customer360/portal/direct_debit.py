"""Pay by Direct Debit: which account (a Council Tax account or a tenancy's rent account), the bank
details, the payment day and the declaration; check your answers (details masked); confirmation with
the reference. The Direct Debit Guarantee is on every page. `/direct-debit?account=REF` opens it on
one account (linked from the Council Tax page and the rent account)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from customer360.domain.direct_debit import (
    GUARANTEE,
    PAYMENT_DAYS,
    account_number_of,
    masked_account,
    masked_sort_code,
    sort_code_of,
)
from customer360.domain.systems import SourceSystem
from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.forms import FormJourney
from customer360.portal.sessions import Session

START = "/direct-debit"
FORM_KEY = "direct_debit"
STANDING = ("PENDING", "ACTIVE")


def _days(system: SourceSystem) -> str:
    days = PAYMENT_DAYS[system]
    return f"any day from {days[0]} to {days[-1]}" if len(days) > 10 else ", ".join(str(day) for day in days)


async def _accounts(request: Request, session: Session) -> dict[str, Any]:
    """The resident's current accounts (Council Tax and rent), each with the Direct Debit it has, if any."""
    me = (await call(request, "PortalDirectDebitAccounts", token=session.token))["me"] or {}
    standing = {d["accountReference"]: d for d in me.get("directDebits", []) if d["status"] in STANDING}
    accounts = [
        {
            "reference": a["reference"],
            "text": f"Council Tax: {a['propertyAddress']['line1']}, {a['propertyAddress']['postcode']}",
            "kind": "Council Tax",
            "days": _days(SourceSystem.REVENUES),
        }
        for a in me.get("councilTaxAccounts", [])
        if a["liableTo"] is None
    ] + [
        {
            "reference": t["reference"],
            "text": f"Rent: {t['address']}",  # the tenancy's address carries its postcode
            "kind": "Rent",
            "days": _days(SourceSystem.HOUSING_MANAGEMENT),
        }
        for t in me.get("tenancies", [])
        if t["endDate"] is None
    ]
    draft = session.drafts.get(FORM_KEY, {})
    asked = request.query_params.get("account", "").strip().upper()
    chosen = draft.get("account") or (asked if asked in {a["reference"] for a in accounts} else "")
    if not chosen and len(accounts) == 1:
        chosen = accounts[0]["reference"]
    return {
        "accounts": accounts,
        "chosen": chosen,
        "by_reference": {a["reference"]: a for a in accounts},
        "standing": standing,
        "guarantee": GUARANTEE,
        "masked": _masked(draft),
    }


def _masked(answers: dict[str, str]) -> dict[str, str]:
    """The bank details as the check page shows them: never in full."""
    sort_code = sort_code_of(answers.get("sort-code", ""))
    number = account_number_of(answers.get("account-number", ""))
    return {
        "sort_code": masked_sort_code(sort_code) if sort_code else "",
        "account_number": masked_account(number) if number else "",
    }


def _check(answers: dict[str, str]) -> list[dict[str, Any]]:
    """A payment day that is not a number cannot be sent: refused here, as the API would refuse it."""
    if answers.get("payment-day", "").isdigit():
        return []
    return [{"field": ["input", "paymentDay"], "code": "REQUIRED", "message": "Enter the day of the month to pay on"}]


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    return {
        "input": {
            "accountReference": answers["account"],
            "accountHolderName": answers["holder-name"],
            "sortCode": answers["sort-code"],
            "accountNumber": answers["account-number"],
            "paymentDay": int(answers["payment-day"]),
            "declaration": answers.get("declaration") == "yes",
        }
    }


def _outcome(made: dict[str, Any]) -> str:
    return str(made["directDebit"]["reference"])


FORM = FormJourney(
    journey=journeys.Journey(
        key=FORM_KEY,
        check=START + "/check-answers",
        done=START + "/confirmation",
        operation="PortalSetUpDirectDebit",
        payload="setUpDirectDebit",
    ),
    start=START,
    title="Pay by Direct Debit",
    templates=("direct_debit_question.html", "direct_debit_check.html", "direct_debit_confirmation.html"),
    fields=("account", "holder-name", "sort-code", "account-number", "payment-day", "declaration"),
    elements={
        "accountReference": "account",
        "accountHolderName": "holder-name",
        "sortCode": "sort-code",
        "accountNumber": "account-number",
        "paymentDay": "payment-day",
        "declaration": "declaration",
    },
    variables=_variables,
    outcome=_outcome,
    done_title="Direct Debit set up",
    back="/council-tax",
    extra=_accounts,
    check=_check,
)
ROUTES = FORM.routes()
