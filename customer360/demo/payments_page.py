"""The demo payment provider's hosted payment page: where a payment's `next_url` takes the paying resident.

`GET /pay/{payment_id}` shows the amount, description and reference and a form to choose the outcome (no
card is asked for: this is a test double); opening it moves a `created` payment to `started`, as GOV.UK
Pay's card details page does. `POST /pay/{payment_id}` with the url-encoded field `outcome`
(`success`, `declined` or `cancelled`) and optionally `cardholder_name` settles it (`success`, `failed`,
`cancelled`), schedules the webhook, and answers 303 See Other to the payment's `return_url`. A payment
left unfinished for 90 minutes has expired (`payments_expiry.py`): the page shows it finished.

A payment is settled at most once: the change is one conditional UPDATE, so a second (or concurrent)
POST finds it finished, changes nothing, sends nothing and is shown the "finished" page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from customer360.demo.payments_db import payments
from customer360.demo.payments_expiry import EXPIRED_CODE, expire_abandoned
from customer360.demo.payments_resource import FINISHED_STATES, UNFINISHED_STATES, payment_json
from customer360.demo.payments_webhooks import WebhookSender
from customer360.domain.money import format_pence


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # the GOV.UK Pay state it settles the payment in
    label: str  # what the radio button says
    code: str | None = None  # GOV.UK Pay's state.code for it


OUTCOMES = {
    "success": Outcome("success", "The card is accepted and the payment succeeds"),
    "declined": Outcome("failed", "The card is declined", "P0010"),
    "cancelled": Outcome("cancelled", "The payer cancels the payment", "P0030"),
}
FINISHED_WORDS = {"success": "was paid", "failed": "was declined", "cancelled": "was cancelled", "error": "failed"}
EXPIRED_WORDS = "expired: it was not paid within 90 minutes"
# An error about the outcome links to its first radio button, as GOV.UK's error summary pattern does.
OUTCOME_FIELD_ID = "outcome-success"
MAX_FORM_BYTES = 4096
MAX_CARDHOLDER_NAME = 100  # the `cardholder_name` column
# The page needs nothing from anywhere: no scripts, no images, no framing. `form-action` is left out on
# purpose, as some browsers apply it to the 303 that follows a POST, and `return_url` is another site.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STYLE = """
body { font-family: Arial, sans-serif; font-size: 1.1875rem; line-height: 1.4; margin: 0; color: #0b0c0c; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1.5rem; }
dt { font-weight: bold; }
dd { margin: 0; }
fieldset { border: 0; padding: 0; margin: 1.5rem 0; }
legend { font-weight: bold; font-size: 1.3rem; margin-bottom: .5rem; }
.choice { margin: .5rem 0; }
.choice input { width: 1.5rem; height: 1.5rem; vertical-align: middle; margin-right: .5rem; }
input[type=text] { font-size: inherit; padding: .3rem; border: 2px solid #0b0c0c; width: 100%; max-width: 20rem; }
button { font-size: inherit; padding: .5rem 1rem; background: #00703c; color: #fff; border: 0;
  box-shadow: 0 2px 0 #002d18; cursor: pointer; }
a:focus, input:focus, button:focus, .error-summary:focus { outline: 3px solid #ffdd00; outline-offset: 0;
  box-shadow: inset 0 0 0 2px #0b0c0c; }
.error-summary { border: 5px solid #d4351c; padding: 1rem; margin-bottom: 1.5rem; }
.error-message { color: #d4351c; font-weight: bold; }
.hint { color: #505a5f; }
"""


class HostedPaymentPage:
    """The two routes of the page; `public_url` is where this provider is reached, as in the API."""

    def __init__(self, engine: AsyncEngine, public_url: str, webhooks: WebhookSender) -> None:
        self._engine = engine
        self._public_url = public_url
        self._webhooks = webhooks

    async def show(self, request: Request) -> Response:
        payment_id = request.path_params["payment_id"]
        await expire_abandoned(self._engine, datetime.now(UTC), payment_id)
        async with self._engine.begin() as conn:
            # Opening the page is what "starts" a payment at GOV.UK Pay; only a `created` one moves.
            await conn.execute(
                update(payments)
                .where(payments.c.payment_id == payment_id, payments.c.status == "created")
                .values(status="started")
            )
            row = await _payment_row(conn, payment_id)
        if row is None:
            return _not_found()
        if row.status in FINISHED_STATES:
            return _finished(row._mapping)
        return _form(row._mapping)

    async def settle(self, request: Request) -> Response:
        payment_id = request.path_params["payment_id"]
        await expire_abandoned(self._engine, datetime.now(UTC), payment_id)
        async with self._engine.connect() as conn:
            row = await _payment_row(conn, payment_id)
        if row is None:
            return _not_found()
        if row.status in FINISHED_STATES:
            return _finished(row._mapping, status_code=409)
        form = await _read_form(request)
        errors = _form_errors(form)
        if errors:
            return _form(row._mapping, form=form, errors=errors, status_code=400)
        settled = await self._settle(payment_id, OUTCOMES[form["outcome"]], form.get("cardholder_name"))
        if settled is None:  # a concurrent POST settled it between our read and our update
            async with self._engine.connect() as conn:
                row = await _payment_row(conn, payment_id)
            assert row is not None
            return _finished(row._mapping, status_code=409)
        self._webhooks.payment_settled(payment_json(settled, self._public_url), datetime.now(UTC))
        return RedirectResponse(settled["return_url"], status_code=303)

    async def _settle(self, payment_id: str, outcome: Outcome, cardholder_name: str | None) -> Mapping[Any, Any] | None:
        """Move an unfinished payment to the outcome's state; None when it was already finished (nothing changed)."""
        values: dict[str, Any] = {"status": outcome.status, "state_code": outcome.code}
        if cardholder_name:
            values["cardholder_name"] = cardholder_name
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(payments)
                .where(payments.c.payment_id == payment_id, payments.c.status.in_(UNFINISHED_STATES))
                .values(**values)
            )
            if changed.rowcount != 1:
                return None
            row = await _payment_row(conn, payment_id)
        assert row is not None
        return row._mapping


async def _payment_row(conn: AsyncConnection, payment_id: str) -> Row[Any] | None:
    return (await conn.execute(select(payments).where(payments.c.payment_id == payment_id))).first()


async def _read_form(request: Request) -> dict[str, str]:
    """The url-encoded form's first value per field (python-multipart is not installed, nor needed)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0].strip() for name, values in fields.items()}


def _form_errors(form: Mapping[str, str]) -> dict[str, str]:
    """Field id -> message, in page order, for the error summary and the fields themselves."""
    errors: dict[str, str] = {}
    if len(form.get("cardholder_name", "")) > MAX_CARDHOLDER_NAME:
        errors["cardholder_name"] = f"The name on the card must be {MAX_CARDHOLDER_NAME} characters or fewer"
    if form.get("outcome") not in OUTCOMES:
        errors[OUTCOME_FIELD_ID] = "Choose what happens to this payment"
    return errors


# --- HTML ---------------------------------------------------------------------------------------------


def _html(title: str, main: str, status_code: int = 200) -> HTMLResponse:
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} &ndash; Demo payment provider</title>
<style>{STYLE}</style>
</head>
<body>
<main id="main">
<p class="hint">Demo payment provider: no card is charged.</p>
{main}
</main>
</body>
</html>
"""
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


def _summary(payment: Mapping[Any, Any]) -> str:
    return f"""<dl>
<dt>Amount</dt><dd>{escape(format_pence(payment["amount"]))}</dd>
<dt>Description</dt><dd>{escape(payment["description"])}</dd>
<dt>Reference</dt><dd>{escape(payment["reference"])}</dd>
</dl>"""


def _form(
    payment: Mapping[Any, Any],
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = form or {}
    errors = errors or {}
    main = f"""<h1>Pay {escape(format_pence(payment["amount"]))}</h1>
{_error_summary(errors)}{_summary(payment)}
<form method="post" novalidate>
{_cardholder_field(form.get("cardholder_name", ""), errors.get("cardholder_name"))}
{_outcome_fieldset(form.get("outcome"), errors.get(OUTCOME_FIELD_ID))}
<button type="submit">Continue</button>
</form>"""
    title = f"Pay for {payment['description']}"
    return _html(f"Error: {title}" if errors else title, main, status_code)


def _error_summary(errors: Mapping[str, str]) -> str:
    """GOV.UK's pattern: focused on load, each message a link to its field."""
    if not errors:
        return ""
    items = "".join(f'<li><a href="#{field}">{escape(message)}</a></li>' for field, message in errors.items())
    return f"""<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">There is a problem</h2>
<ul>{items}</ul>
</div>
"""


def _cardholder_field(value: str, error: str | None) -> str:
    described = "cardholder_name-hint" + (" cardholder_name-error" if error else "")
    message = f'<p id="cardholder_name-error" class="error-message">Error: {escape(error)}</p>' if error else ""
    return f"""<div class="field">
<label for="cardholder_name">Name on card (optional)</label>
<p id="cardholder_name-hint" class="hint">As it would appear on the card.</p>
{message}<input id="cardholder_name" name="cardholder_name" type="text" autocomplete="cc-name" spellcheck="false"
 value="{escape(value)}" aria-describedby="{described}"{' aria-invalid="true"' if error else ""}>
</div>"""


def _outcome_fieldset(chosen: str | None, error: str | None) -> str:
    message = f'<p id="outcome-error" class="error-message">Error: {escape(error)}</p>' if error else ""
    choices = "".join(
        f"""<div class="choice">
<input type="radio" id="outcome-{name}" name="outcome" value="{name}"{" checked" if name == chosen else ""}>
<label for="outcome-{name}">{escape(outcome.label)}</label>
</div>
"""
        for name, outcome in OUTCOMES.items()
    )
    described = ' aria-describedby="outcome-error"' if error else ""
    return f"""<fieldset{described}>
<legend>What should happen to this payment?</legend>
{message}{choices}</fieldset>"""


def _finished(payment: Mapping[Any, Any], status_code: int = 200) -> HTMLResponse:
    """A finished payment cannot be changed here; the way on is back to the service that asked for it."""
    words = (
        EXPIRED_WORDS
        if payment.get("state_code") == EXPIRED_CODE
        else FINISHED_WORDS.get(payment["status"], "is finished")
    )
    main = f"""<h1>This payment is finished</h1>
<p>This payment {escape(words)}. Nothing more can be done with it here.</p>
{_summary(payment)}
<p><a href="{escape(payment["return_url"])}">Continue to the service</a></p>"""
    return _html("This payment is finished", main, status_code)


def _not_found() -> HTMLResponse:
    main = """<h1>Payment not found</h1>
<p>There is no payment at this address. Check the link you were given by the service you are paying.</p>"""
    return _html("Payment not found", main, 404)
