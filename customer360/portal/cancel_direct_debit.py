"""Cancel a Direct Debit: a confirm page with the instruction (bank details masked) and what happens after,
sent with the portal's CSRF token and a one-time form token (its Idempotency-Key, as every portal form
sends, so a double click cancels once), then the confirmation with the reference.
`/direct-debit/cancel?account=REF`, linked from the Council Tax page and Your home."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.direct_debit import STANDING
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import not_found, resident_page, see_other

START = "/direct-debit/cancel"
DONE = START + "/confirmation"
RENT, COUNCIL_TAX = "rent", "council-tax"  # what the confirmation says happens next depends on it
ACCOUNT = re.compile(r"[A-Z0-9-]{1,20}")  # a Council Tax account or tenancy reference


def link(account_reference: str) -> str:
    return f"{START}?{urlencode({'account': account_reference})}"


def _journey(account: str) -> journeys.Journey:
    # One journey per account: its own draft, form token and outcome, so a confirm page left open for
    # one account can never cancel another's.
    return journeys.Journey(
        key=f"cancel_direct_debit:{account}",
        check=link(account),
        done=f"{DONE}?{urlencode({'account': account})}",
        operation="PortalCancelDirectDebit",
        payload="cancelDirectDebit",
    )


def _account(value: str) -> str | None:
    account = value.strip().upper()
    return account if ACCOUNT.fullmatch(account) else None


def _element(_path: object) -> None:
    return None  # the page has no inputs: a refusal is shown in the summary only


async def confirm(request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    account = _account(request.query_params.get("account", ""))
    if account is None:
        return not_found(session)
    journey = _journey(account)
    me = (await call(request, "PortalDirectDebitAccounts", token=session.token))["me"] or {}
    debit = next(
        (d for d in me.get("directDebits", []) if d["accountReference"] == account and d["status"] in STANDING), None
    )
    errors, _inline = await journeys.take_refusal(session, sessions, journey, _element)
    if debit is None:
        return page(
            "problem.html",
            session,
            404,
            title="There is no Direct Debit to cancel",
            paragraphs=[f"Account {account} has no Direct Debit set up, or it has already been cancelled."],
        )
    rent = any(t["reference"] == account for t in me.get("tenancies", []))
    await journeys.keep_answers(session, sessions, journey, {"account": account, "kind": RENT if rent else COUNCIL_TAX})
    return page(
        "direct_debit_cancel.html",
        session,
        title="Cancel this Direct Debit",
        back_link="/your-home" if rent else "/council-tax",
        debit=debit,
        rent=rent,
        errors=errors,
        form_token=session.form_tokens[journey.key],
    )


async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    account = _account(fields.get("account", ""))
    if account is None:
        return not_found(session)
    journey = _journey(account)
    kind = session.drafts.get(journey.key, {}).get("kind", COUNCIL_TAX)
    return await journeys.send(
        request,
        session,
        sessions,
        fields,
        journey,
        journey.check,
        lambda answers: {"input": {"accountReference": answers["account"]}},
        lambda made: str(made["directDebit"]["reference"]),
        also_made=lambda _made: kind,  # kept for the confirmation: the draft goes once it is sent
    )


async def confirmation(request: Request, session: Session, _s: Sessions, _f: dict[str, str]) -> Response:
    account = _account(request.query_params.get("account", ""))
    reference = session.references.get(_journey(account).key) if account else None
    if account is None or reference is None:
        return see_other(link(account)) if account else not_found(session)
    rent = session.references.get(_journey(account).key + journeys.ALSO) == RENT
    return page(
        "direct_debit_cancelled.html",
        session,
        title="Direct Debit cancelled",
        reference=reference,
        account=account,
        rent=rent,
    )


ROUTES = [
    (START, resident_page(confirm), "GET"),
    (START, resident_page(send), "POST"),
    (DONE, resident_page(confirmation), "GET"),
]
