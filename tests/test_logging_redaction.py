"""No personal data in logs: the redaction filter, and a realistic session whose whole log is searched."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date

import pytest

from customer360.auth.principal import Role
from customer360.logging_config import HANDLER_NAME, REDACTED, configure_logging, redact_text
from tests.support import serving_app

LOGGERS = ("customer360", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "strawberry")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, through the handler `customer360 serve` installs."""
    stream = io.StringIO()
    root = logging.getLogger()
    previous = (root.level, {name: logging.getLogger(name).level for name in LOGGERS})
    configure_logging("DEBUG", format="json", stream=stream)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if handler.get_name() == HANDLER_NAME:
                root.removeHandler(handler)
        root.setLevel(previous[0])
        for name, level in previous[1].items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("resident jane.smith+council@example.co.uk signed in", "jane.smith+council@example.co.uk"),
        ("lives at B79 7BZ", "B79 7BZ"),
        ("postcode b797bz", "b797bz"),
        ("call 01827 709709", "01827 709709"),
        ("mobile +44 7700 900123", "7700 900123"),
        ("mobile 07700900123", "07700900123"),
        ("born 1984-03-07", "1984-03-07"),
        ("born 07/03/1984", "07/03/1984"),
        ("at 12 Lichfield Street", "12 Lichfield Street"),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "eyJzdWIiOiJ4In0"),
        ("GET /graphql?query=smith%20B79&x=1 HTTP/1.1", "smith%20B79"),
        ("sort code 30-94-30", "30-94-30"),
        ("sort code 30 94 30", "30 94 30"),
        ("sort code 309430 given", "309430"),
        ("account 31926819", "31926819"),
        ("account number 1234567", "1234567"),
    ],
)
def test_patterns_are_redacted(text, secret):
    assert secret not in redact_text(text)
    assert REDACTED in redact_text(text)


def test_timestamps_and_ids_are_kept():
    text = "delivery deferred until 2025-01-31T09:00:00+00:00 for row 42 (error id 3f9a1c2b7d4e)"
    assert redact_text(text) == text


def test_personal_keys_in_extras_and_tracebacks_are_redacted(captured):
    log = logging.getLogger("customer360.test")
    log.info(
        "matched %s",
        "someone",
        extra={"full_name": "Ada Lovelace", "detail": {"email": "ada@example.org", "surname": "Lovelace"}, "count": 3},
    )
    try:
        raise ValueError("no customer for ada@example.org born 1815-12-10")
    except ValueError:
        log.exception("lookup failed")
    text = captured.getvalue()
    assert "Ada Lovelace" not in text and "ada@example.org" not in text and "1815-12-10" not in text
    assert "Lovelace" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["count"] == 3 and lines[0]["full_name"] == REDACTED
    assert "ValueError" in lines[1]["exception"]


async def test_a_realistic_session_logs_no_personal_data(captured, own_council, issuer, residents, staff_token):
    resident = residents[0]
    token = issuer.resident_token(resident["email"])
    async with serving_app(own_council) as (_app, client):
        # serve_on_loopback's uvicorn configures its own loggers; put them back on ours, as `serve` does.
        configure_logging("DEBUG", format="json", stream=captured)
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        auth = {"Authorization": f"Bearer {token}"}

        me = await client.post(
            "/graphql",
            json={
                "query": "{ me { id name email phone dateOfBirth address { line1 line2 town postcode } "
                "councilTaxAccounts { reference balance { formatted } latestStatement { lines { description } } } "
                "requests(first: 5) { edges { node { reference description } } } } }"
            },
            headers=auth,
        )
        record = me.json()["data"]["me"]
        assert record["name"]
        complaint = await client.post(
            "/graphql",
            json={
                "query": "mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) "
                "{ complaint { reference } userErrors { code field } } }",
                "variables": {
                    "input": {
                        "subject": f"Missed bins at {record['address']['line1']}",
                        "description": f"I am {record['name']} ({record['email']}), born {record['dateOfBirth']}. "
                        f"Bins at {record['address']['line1']}, {record['address']['postcode']} were missed.",
                    }
                },
            },
            headers=auth,
        )
        assert complaint.json()["data"]["makeComplaint"]["complaint"]["reference"]
        bad = await client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token[:-6]}AAAAAA"}
        )
        assert bad.status_code == 401
        staff = {"Authorization": f"Bearer {staff_token(Role.CUSTOMER_SERVICES)}"}
        await client.get(
            "/graphql",
            params={
                "query": f'{{ searchCustomers(query: "{resident["email"]}") {{ edges {{ node {{ id name }} }} }} }}'
            },
            headers=staff,
        )
        invalid = await client.post(
            "/graphql",
            json={
                "query": "query($s: String!) { searchCustomers(query: $s) { edges { node { nmae } } } }",
                "variables": {"s": record["name"]},
            },
            headers=staff,
        )
        assert invalid.json()["errors"]

    text = captured.getvalue()
    assert text.strip(), "the session logged nothing: the capture is not wired"
    import os

    if os.environ.get("C360_SHOW_SESSION_LOG"):
        print(text)
    born = date.fromisoformat(record["dateOfBirth"]) if record["dateOfBirth"] else None
    personal = {
        "name": record["name"],
        "email": record["email"],
        "date of birth": record["dateOfBirth"],
        "date of birth (UK)": born.strftime("%d/%m/%Y") if born else None,
        "address line": record["address"]["line1"],
        "postcode": record["address"]["postcode"],
        "token": token,
    }
    leaks = {what: value for what, value in personal.items() if value and value.lower() in text.lower()}
    assert not leaks, f"personal data in the log: {sorted(leaks)}"


def test_access_lines_are_never_logged_however_uvicorn_was_started():
    """A GET /graphql URL carries the query's variables: uvicorn's access line for it must not reach the log,
    even from a worker whose own config would log access (`serve --workers N`)."""
    stream = io.StringIO()
    root = logging.getLogger()
    access = logging.getLogger("uvicorn.access")
    previous = (root.level, access.level)
    configure_logging("DEBUG", format="json", stream=stream)
    try:
        access.info('127.0.0.1 - "GET /graphql?variables={"email":"ada@example.org"} HTTP/1.1" 200')
    finally:
        root.setLevel(previous[0])
        access.setLevel(previous[1])
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
    assert "graphql" not in stream.getvalue()


async def test_direct_debit_bank_details_are_never_logged(captured, own_council, issuer, residents):
    """Set up (accepted, refused by the bank, malformed) and cancel: the bank details appear nowhere."""
    from tests.test_direct_debit import CANCEL, SET_UP, bank, council_tax_payers

    async with serving_app(own_council) as (_app, client):
        configure_logging("DEBUG", format="json", stream=captured)
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
        auth = {"Authorization": f"Bearer {token}"}
        reference = account["reference"]
        attempts = [
            bank(reference, sortCode="20-00-00", accountNumber="55779911"),  # the bank refuses it
            bank(reference, sortCode="30 94 3", accountNumber="3192681"),  # malformed sort code
            bank(reference, sortCode="30-94-30", accountNumber="31926819"),
        ]
        for details in attempts:
            answer = await client.post(
                "/graphql", json={"query": SET_UP, "variables": {"input": details}}, headers=auth
            )
            assert answer.json()["data"]["setUpDirectDebit"]
        cancelled = await client.post(
            "/graphql", json={"query": CANCEL, "variables": {"input": {"accountReference": reference}}}, headers=auth
        )
        assert cancelled.json()["data"]["cancelDirectDebit"]["directDebit"]["status"] == "CANCELLED"
    text = captured.getvalue()
    assert text.strip()
    for secret in ("55779911", "200000", "20-00-00", "30 94 3", "3192681", "31926819", "309430", "30-94-30"):
        assert secret not in text, secret
