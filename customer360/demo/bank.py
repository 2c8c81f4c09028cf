"""The demo council's payers' banks: the accounts they refuse Direct Debit instructions on.

A real bank answers a lodged instruction through Bacs (ADDACS codes: B account closed, 5 no account,
F invalid account type); the demo's back offices hold these answers as data (`bank_refusals`), so an
instruction on one of these accounts is REJECTED, as it would be by the bank.
"""

from __future__ import annotations

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
