"""A demo payment as GOV.UK Pay's API shows it: the one JSON shape the API, the page and the webhooks share."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from customer360.sources.sql_columns import as_utc

EXTERNAL_ID_ALPHABET = string.ascii_lowercase + string.digits
EXTERNAL_ID_LENGTH = 26
FINISHED_STATES = frozenset({"success", "failed", "cancelled", "error"})
# The states a paying user can still move on from (GOV.UK Pay's `finished: false`).
UNFINISHED_STATES = ("created", "started", "submitted")
# GOV.UK Pay's `state.message` for each `state.code` of a payment that did not succeed.
STATE_MESSAGES = {
    "P0010": "Payment method rejected",
    "P0020": "Payment expired",
    "P0030": "Payment was cancelled by the user",
}


def new_external_id() -> str:
    """An id like GOV.UK Pay's (`hu20sqlact5260q2nanm0q8u93`): 26 lower-case letters and digits."""
    return "".join(secrets.choice(EXTERNAL_ID_ALPHABET) for _ in range(EXTERNAL_ID_LENGTH))


def hosted_page_url(public_url: str, payment_id: str) -> str:
    return f"{public_url}/pay/{payment_id}"


def payment_json(row: Mapping[Any, Any], public_url: str) -> dict[str, Any]:
    """`GET /v1/payments/{id}`'s body for a `payments` row; `public_url` is where this provider is reached."""
    payment_id = row["payment_id"]
    finished = row["status"] in FINISHED_STATES
    links: dict[str, Any] = {"self": {"href": f"{public_url}/v1/payments/{payment_id}", "method": "GET"}}
    if not finished:
        links["next_url"] = {"href": hosted_page_url(public_url, payment_id), "method": "GET"}
    state: dict[str, Any] = {"status": row["status"], "finished": finished}
    if row.get("state_code") in STATE_MESSAGES:
        state |= {"code": row["state_code"], "message": STATE_MESSAGES[row["state_code"]]}
    body: dict[str, Any] = {
        "payment_id": payment_id,
        "amount": row["amount"],
        "reference": row["reference"],
        "description": row["description"],
        "return_url": row["return_url"],
        "language": "en",
        "state": state,
        "payment_provider": "sandbox",
        "created_date": pay_time(row["created_date"]),
        "delayed_capture": False,
        "moto": False,
        "_links": links,
    }
    # GOV.UK Pay leaves out what it was not given rather than answering nulls.
    if row["email"]:
        body["email"] = row["email"]
    if row["metadata"]:
        body["metadata"] = row["metadata"]
    if row["cardholder_name"]:
        body["card_details"] = {"cardholder_name": row["cardholder_name"]}
    return body


def pay_time(moment: datetime) -> str:
    """GOV.UK Pay's spelling: UTC to the millisecond, `2016-01-21T17:15:00.000Z`."""
    utc = as_utc(moment)
    assert utc is not None
    return utc.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
