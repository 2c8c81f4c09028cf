"""Make a payment: which Council Tax or rent account and how much, check your answers, then the payment
provider's hosted payment page (its `nextUrl`), which sends the resident back here to a confirmation.

The payment is made once: the draft carries its own key (the API's `idempotencyKey`), and the check
page's one-time token is the Idempotency-Key, as on every journey. The page after sending looks the
payment up by its reference and sends the browser on to the provider; coming back, the payment's
state as the provider has it says whether it was taken.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.domain.money import format_pence
from customer360.portal import journeys
from customer360.portal.api import call, call_allowing_gaps
from customer360.portal.forms import FormJourney
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other

START = "/make-a-payment"
PAY = START + "/pay"
RETURN = START + "/return"
RENT = "rent:"  # the account answer for a rent account: the tenancy reference after it
SETTLED = {"SUCCESS"}
REFUSED = {"FAILED", "CANCELLED", "ERROR"}


async def _accounts(request: Request, session: Session) -> dict[str, Any]:
    # The housing system down leaves rent out, never Council Tax (and the other way round).
    data, _complete = await call_allowing_gaps(request, "PortalPaymentAccounts", token=session.token)
    me = data["me"] or {}
    accounts = me.get("councilTaxAccounts") or []
    rents = [t for t in me.get("tenancies") or [] if t["endDate"] is None]
    labels = {
        a["reference"]: f"Council Tax, account {a['reference']} ({a['propertyAddress']['line1']})" for a in accounts
    }
    labels |= {RENT + t["reference"]: f"Rent, tenancy {t['reference']} ({t['address']})" for t in rents}
    return {
        "accounts": accounts,
        "rents": rents,
        "labels": labels,
        # "Pay rent" on Your home links here with the account chosen.
        "chosen_account": request.query_params.get("account", ""),
    }


def _pence(amount: str) -> int | None:
    """The amount typed, in pence; None when it is not pounds and pence (`12.3x`, `1.234`, `NaN`, or so
    many digits that it cannot be rounded to pence at all: `1e30`)."""
    try:
        pounds = Decimal(amount.replace("£", "").replace(",", "").strip())
        if not pounds.is_finite() or pounds != pounds.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:
        return None
    return int(pounds * 100)


def _problems(answers: dict[str, str]) -> list[dict[str, Any]]:
    problems = []
    if not answers["account"]:
        problems.append({"field": ["input", "accountReference"], "message": "Select the account you are paying"})
    pence = _pence(answers["amount"])
    most = int(answers["max_pence"])
    if not answers["amount"]:
        problems.append({"field": ["input", "amountPence"], "message": "Enter the amount you want to pay"})
    elif pence is None:
        problems.append(
            {"field": ["input", "amountPence"], "message": "Enter the amount in pounds and pence, like 25.50"}
        )
    elif not 0 < pence <= most:
        # The API's own limits (above £0, at most C360_MAX_PAYMENT_PENCE), told before check your answers.
        problems.append(
            {"field": ["input", "amountPence"], "message": f"Enter an amount between £0.01 and {format_pence(most)}"}
        )
    return problems


def _prepare(request: Request, answers: dict[str, str]) -> dict[str, str]:
    """The payment's own key, new for each set of answers (a second payment is a new payment), where the
    provider's page sends the resident back to (this portal, as the API requires), and the most the API
    takes in one payment."""
    settings = request.app.state.runtime.settings
    return answers | {
        "payment_key": secrets.token_urlsafe(24),
        "return_url": settings.public_url.rstrip("/") + RETURN,
        "max_pence": str(settings.max_payment_pence),
    }


def _variables(answers: dict[str, str]) -> dict[str, Any]:
    rent = answers["account"].startswith(RENT)
    return {
        "input": {
            "purpose": "RENT" if rent else "COUNCIL_TAX",
            "amountPence": _pence(answers["amount"]),
            "idempotencyKey": answers["payment_key"],
            "returnUrl": answers["return_url"],
            "accountReference": answers["account"].removeprefix(RENT),
        }
    }


FORM = FormJourney(
    journey=journeys.Journey(
        key="payment",
        check=START + "/check-answers",
        done=PAY,
        operation="PortalMakePayment",
        payload="makePayment",
    ),
    start=START,
    title="Make a payment",
    templates=("payment_question.html", "payment_check.html", "payment_confirmation.html"),
    fields=("account", "amount"),
    elements={"accountReference": "account", "amountPence": "amount"},
    variables=_variables,
    outcome=lambda made: str(made["payment"]["reference"]),
    done_title="Payment",
    extra=_accounts,
    check=_problems,
    prepare=_prepare,
)


async def _payment(request: Request, session: Session, reference: str) -> dict[str, Any] | None:
    me = (await call(request, "PortalMyPayments", token=session.token))["me"] or {}
    found = [e["node"] for e in me.get("payments", {}).get("edges", []) if e["node"]["reference"] == reference]
    return found[0] if found else None


async def to_provider(
    request: Request, session: Session, reference: str, request_reference: str | None = None
) -> Response:
    """A page whose button (a link) goes on to the provider's payment page while the payment is unfinished;
    once it is finished (or the provider does not have it yet: it was down when the payment was made),
    the outcome page. Not a redirect: the form sent from check your answers may lead only to this site
    (the pages' CSP `form-action 'self'` covers the redirects after it), so the resident follows a link."""
    payment = await _payment(request, session, reference)
    if payment and payment["nextUrl"] and payment["status"] not in SETTLED | REFUSED:
        return page("payment_start.html", session, title="Pay", payment=payment, request_reference=request_reference)
    return await outcome_page(request, session, reference, request_reference, payment)


async def outcome_page(
    request: Request,
    session: Session,
    reference: str,
    request_reference: str | None = None,
    payment: dict[str, Any] | None = None,
) -> Response:
    """The payment as the provider has it: taken (the confirmation), refused, or not finished yet."""
    payment = payment or await _payment(request, session, reference) or {"reference": reference, "status": "CREATED"}
    status = payment["status"]
    if status in SETTLED:
        title = "Payment complete"
    elif status in REFUSED:
        title = "Your payment was not taken"
    else:
        title = "We are waiting for your payment"
    return page(
        "payment_confirmation.html",
        session,
        title=title,
        payment=payment,
        reference=reference,
        request_reference=request_reference,
    )


@resident_page
async def pay(request: Request, session: Session, _sessions: Sessions, _f: dict[str, str]) -> Response:
    reference = session.references.get(FORM.journey.key)
    return await to_provider(request, session, reference) if reference else see_other(START)


@resident_page
async def came_back(request: Request, session: Session, _sessions: Sessions, _f: dict[str, str]) -> Response:
    reference = session.references.get(FORM.journey.key)
    return await outcome_page(request, session, reference) if reference else see_other(START)


ROUTES = [*FORM.routes()[:-1], (PAY, pay, "GET"), (RETURN, came_back, "GET")]
