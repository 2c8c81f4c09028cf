"""The demo council's payers' banks: the accounts they refuse Direct Debit instructions on.

A real bank answers a lodged instruction through Bacs (ADDACS codes: B account closed, 5 no account,
F invalid account type); the demo's back offices hold these answers as data (`bank_refusals`), so an
instruction on one of these accounts is REJECTED, as it would be by the bank.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

# (sort code, account number, the bank's reason): published in docs/direct-debit.md for trying it out.
REFUSED_ACCOUNTS = (
    ("200000", "55779911", "Account closed"),
    ("404784", "70872490", "No account with that number"),
    ("608371", "12345670", "The account does not take Direct Debits"),
)


def bank_refusal_rows() -> list[dict[str, Any]]:
    return [
        {"sort_code": sort_code, "account_number": number, "reason": reason}
        for sort_code, number, reason in REFUSED_ACCOUNTS
    ]


def cancelled_instructions(account_references: Sequence[str], today: date, rng: random.Random) -> list[dict[str, Any]]:
    """Instructions some payers gave and later cancelled (every 20th account): an office's history, kept."""
    rows = []
    for number, reference in enumerate(account_references[::20], start=1):
        set_up_on = today - timedelta(days=rng.randint(200, 700))
        rows.append(
            {
                "external_reference": f"DEMO-DD-{number:05d}-{reference}",
                "account_reference": reference,
                "account_holder_name": "Account holder",
                "sort_code": f"{rng.randint(100000, 999999)}",
                "account_number": f"{rng.randint(10000000, 99999999)}",
                "payment_day": rng.choice((1, 15, 28)),
                "status": "CANCELLED",
                "set_up_on": set_up_on,
                "first_collection_on": set_up_on + timedelta(days=14),
                "cancelled_on": set_up_on + timedelta(days=rng.randint(60, 180)),
            }
        )
    return rows
