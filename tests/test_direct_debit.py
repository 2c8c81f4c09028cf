"""setUpDirectDebit and cancelDirectDebit end to end, against the demo council's own back offices.

An instruction reaches the office that owns the account once (two sent at once: one is kept, the other
is ALREADY_SET_UP; a retry with the same Idempotency-Key replays the answer); a Council Tax plan's
instalments still to collect move to the payment day; a rent account's next due date becomes the next
collection; a bank's refusal comes back as REJECTED; an office failing at delivery gets the instruction
later, once; another resident's account and malformed bank details are userErrors. Bank details never
come back in full.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.demo import council
from customer360.domain.direct_debit import first_collection, next_collection
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.sources.revenues import sql as revenues_sql
from customer360.store.database import create_engine
from customer360.store.tables import intents, outbox
from tests.support import graphql, running_app

SET_UP = """
mutation($input: SetUpDirectDebitInput!) { setUpDirectDebit(input: $input) {
  directDebit { reference accountReference system accountHolderName sortCode accountNumber paymentDay status
    reason firstCollectionOn guarantee }
  userErrors { field code message } } }
"""
CANCEL = """
mutation($input: CancelDirectDebitInput!) { cancelDirectDebit(input: $input) {
  directDebit { reference accountReference status }
  userErrors { field code message } } }
"""
ME = """{ me {
  directDebits { reference accountReference system sortCode accountNumber paymentDay status reason }
  councilTaxAccounts { reference instalments { dueDate amount { pence } status } directDebits { reference status } }
  tenancies { reference rentAccount { nextDue directDebits { reference status paymentDay } } }
  requests(first: 50) { edges { node { reference serviceCode status } } } } }"""
SORT_CODE, ACCOUNT_NUMBER = "30-94-30", "31926819"
RENT_INSTRUCTIONS = housing_management_sql.direct_debits.instructions.name


def bank(account: str, **changes: object) -> dict[str, object]:
    details: dict[str, object] = {
        "accountReference": account,
        "accountHolderName": "A Resident",
        "sortCode": SORT_CODE,
        "accountNumber": ACCOUNT_NUMBER,
        "paymentDay": 28,
        "declaration": True,
    }
    return details | changes


def post(client, query, token, variables, key):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def me(client, token):
    return (await graphql(client, ME, token)).json()["data"]["me"]


def ours(record) -> list[dict]:
    """The instructions given in the test (the demo council's history has some cancelled ones)."""
    return [d for d in record["directDebits"] if d["reference"].startswith("C360-")]


def still_to_collect(account, first: date) -> list[dict]:
    return [i for i in account["instalments"] if i["status"] != "PAID" and date.fromisoformat(i["dueDate"]) >= first]


async def council_tax_payers(client, issuer, residents, count, *, who: bool = False):
    """Residents with a Council Tax instalment still to collect after the Guarantee's notice: (token,
    account) each, or (resident, account) with `who`."""
    first = first_collection(london_today())
    found = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        for account in (await me(client, token))["councilTaxAccounts"]:
            if still_to_collect(account, first):
                found.append((resident if who else token, account))
                break
        if len(found) == count:
            return found
    raise AssertionError("too few sample residents have instalments still to pay")


async def tenants(client, issuer, residents, count, *, who: bool = False):
    found = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        held = (await me(client, token))["tenancies"]
        if held:
            found.append((resident if who else token, held[0]["reference"]))
        if len(found) == count:
            return found
    raise AssertionError("too few sample residents are council tenants")


async def instructions_in(settings, system: SourceSystem, table, account: str) -> int:
    engine = create_engine(council.database_urls(settings)[system])
    try:
        async with engine.connect() as conn:
            return int(
                await conn.scalar(select(func.count()).select_from(table).where(table.c.account_reference == account))
            )
    finally:
        await engine.dispose()


async def kept_payloads(settings, reference: str) -> list[dict]:
    """What the gateway's own store keeps of a request: the request and its outbox rows' payloads."""
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.payload).where(outbox.c.reference == reference))).all()
            kept = (await conn.execute(select(intents.c.payload).where(intents.c.reference == reference))).all()
    finally:
        await engine.dispose()
    return [row.payload for row in [*rows, *kept]]


def bank_details_in(payloads: list[dict]) -> bool:
    return any(ACCOUNT_NUMBER in str(p) or "309430" in str(p) for p in payloads)


async def test_council_tax_instalments_move_to_the_payment_day_once(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
        reference = account["reference"]
        sent = {"dd-1": bank(reference), "dd-2": bank(reference, sortCode="30 94 30")}
        first, duplicate = await asyncio.gather(
            *(post(client, SET_UP, token, {"input": given}, key) for key, given in sent.items())
        )
        answers = [first.json()["data"]["setUpDirectDebit"], duplicate.json()["data"]["setUpDirectDebit"]]
        kept = [a["directDebit"] for a in answers if a["directDebit"]]
        refused = [a["userErrors"] for a in answers if not a["directDebit"]]
        # The second sees the first (ALREADY_SET_UP, naming it) or, on a machine slow enough that the account's
        # lock outlasts its wait budget, is told BUSY having kept nothing: either way one instruction.
        assert len(kept) == 1 and [[e["code"] for e in errors] for errors in refused] in (
            [["ALREADY_SET_UP"]],
            [["BUSY"]],
        )
        instruction = kept[0]
        assert refused[0][0]["code"] == "BUSY" or instruction["reference"] in refused[0][0]["message"]
        assert instruction | {"reference": None, "guarantee": None} == {
            "reference": None,
            "accountReference": reference,
            "system": "REVENUES",
            "accountHolderName": "A Resident",
            "sortCode": "••-••-30",
            "accountNumber": "••••6819",
            "paymentDay": 28,
            "status": "ACTIVE",
            "reason": None,
            "firstCollectionOn": first_collection(london_today()).isoformat(),
            "guarantee": None,
        }
        assert any("full and immediate refund" in paragraph for paragraph in instruction["guarantee"])

        key = "dd-1" if first.json()["data"]["setUpDirectDebit"]["directDebit"] else "dd-2"
        retried = (await post(client, SET_UP, token, {"input": sent[key]}, key)).json()  # the same request again
        assert retried["data"]["setUpDirectDebit"]["directDebit"]["reference"] == instruction["reference"]
        assert (
            await instructions_in(
                own_council, SourceSystem.REVENUES, revenues_sql.direct_debits.instructions, reference
            )
            == 1
        )

        after = await me(client, token)
        moved = next(a for a in after["councilTaxAccounts"] if a["reference"] == reference)
        collection = first_collection(london_today())
        moved_any = False
        assert [i["amount"] for i in moved["instalments"]] == [i["amount"] for i in account["instalments"]]
        for before, now in zip(account["instalments"], moved["instalments"], strict=True):
            if before in still_to_collect(account, collection):
                due = date.fromisoformat(now["dueDate"])
                assert due.day == 28 or due == collection, (before, now)
                was = date.fromisoformat(before["dueDate"])
                assert (due.year, due.month) == (was.year, was.month)
                moved_any = True
            else:  # paid, or due before the first collection: as it was
                assert now["dueDate"] == before["dueDate"]
        assert moved_any
        shown = [d for d in after["directDebits"] if d["reference"] == instruction["reference"]]
        assert shown == [
            {
                "reference": instruction["reference"],
                "accountReference": reference,
                "system": "REVENUES",
                "sortCode": "••-••-30",
                "accountNumber": "••••6819",
                "paymentDay": 28,
                "status": "ACTIVE",
                "reason": None,
            }
        ]
        assert {"reference": instruction["reference"], "status": "ACTIVE"} in moved["directDebits"]
        requests = {(e["node"]["reference"], e["node"]["serviceCode"]) for e in after["requests"]["edges"]}
        assert (instruction["reference"], "DIRECT_DEBIT") in requests
        for body in (first.text, duplicate.text, str(after)):
            assert "31926819" not in body and "309430" not in body
        # Delivered: the gateway's store keeps the instruction masked, as the request shows it.
        assert not bank_details_in(await kept_payloads(own_council, instruction["reference"]))


async def test_a_bank_that_refuses_it_leaves_it_rejected_and_the_plan_as_it_was(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
        closed = bank(account["reference"], sortCode="20-00-00", accountNumber="55779911", paymentDay=15)
        answer = (await graphql(client, SET_UP, token, {"input": closed})).json()["data"]["setUpDirectDebit"]
        assert (answer["directDebit"]["status"], answer["directDebit"]["reason"]) == ("REJECTED", "Account closed")
        after = await me(client, token)
        unchanged = next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])
        assert unchanged["instalments"] == account["instalments"]
        assert [d["status"] for d in ours(after)] == ["REJECTED"]
        # A refused instruction does not stand: the resident can give other details.
        again = (await graphql(client, SET_UP, token, {"input": bank(account["reference"])})).json()
        assert again["data"]["setUpDirectDebit"]["directDebit"]["status"] == "ACTIVE"


async def test_rent_by_direct_debit_and_cancelled(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        today = london_today()
        answer = (await graphql(client, SET_UP, token, {"input": bank(tenancy.lower(), paymentDay=3)})).json()["data"][
            "setUpDirectDebit"
        ]
        assert answer["userErrors"] == []
        assert (answer["directDebit"]["system"], answer["directDebit"]["status"]) == ("HOUSING_MANAGEMENT", "ACTIVE")
        assert answer["directDebit"]["accountReference"] == tenancy
        due = next_collection(today, 3, first_collection(today))
        held = next(t for t in (await me(client, token))["tenancies"] if t["reference"] == tenancy)
        assert held["rentAccount"]["nextDue"] == due.isoformat()
        on_rent = {"reference": answer["directDebit"]["reference"], "status": "ACTIVE", "paymentDay": 3}
        assert on_rent in held["rentAccount"]["directDebits"]

        first, duplicate = await asyncio.gather(
            post(client, CANCEL, token, {"input": {"accountReference": tenancy}}, "cancel-1"),
            post(client, CANCEL, token, {"input": {"accountReference": tenancy}}, "cancel-2"),
        )
        answers = [first.json()["data"]["cancelDirectDebit"], duplicate.json()["data"]["cancelDirectDebit"]]
        done = [a["directDebit"] for a in answers if a["directDebit"]]
        assert done == [
            {"reference": answer["directDebit"]["reference"], "accountReference": tenancy, "status": "CANCELLED"}
        ]
        assert [e["code"] for a in answers for e in a["userErrors"]] == ["NO_DIRECT_DEBIT"]
        key = "cancel-1" if answers[0]["directDebit"] else "cancel-2"
        retried = (await post(client, CANCEL, token, {"input": {"accountReference": tenancy}}, key)).json()
        assert retried["data"]["cancelDirectDebit"]["directDebit"] == done[0]

        after = await me(client, token)
        assert [d["status"] for d in ours(after)] == ["CANCELLED"]
        weekly = next(t for t in after["tenancies"] if t["reference"] == tenancy)["rentAccount"]["nextDue"]
        assert date.fromisoformat(weekly).weekday() == 0, "rent is due on Mondays again"


async def fail_inserts(settings, system: SourceSystem, table: str, on: bool) -> None:
    """The office's database refuses every new row in `table` (a trigger), as an office that is down would."""
    engine = create_engine(council.database_urls(settings)[system])
    try:
        async with engine.begin() as conn:
            if on:
                await conn.execute(
                    text(
                        f"CREATE TRIGGER office_down BEFORE INSERT ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'office down'); END"
                    )
                )
            else:
                await conn.execute(text("DROP TRIGGER office_down"))
    finally:
        await engine.dispose()


async def test_an_office_failing_at_delivery_gets_it_later_and_once(own_council, issuer, residents):
    async with running_app(own_council) as (app, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        await fail_inserts(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, on=True)
        answer = (await post(client, SET_UP, token, {"input": bank(tenancy)}, "down-1")).json()
        instruction = answer["data"]["setUpDirectDebit"]["directDebit"]
        assert instruction["status"] == "PENDING", answer
        assert [d["status"] for d in ours(await me(client, token))] == ["PENDING"]
        # Asked again meanwhile: the kept one stands, so a second is not made.
        again = (await post(client, SET_UP, token, {"input": bank(tenancy)}, "down-2")).json()
        assert [e["code"] for e in again["data"]["setUpDirectDebit"]["userErrors"]] == ["ALREADY_SET_UP"]
        assert bank_details_in(await kept_payloads(own_council, instruction["reference"])), "kept for the relay"

        await fail_inserts(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, on=False)
        deliverer = app.state.runtime.services.writes.deliverer
        later = datetime.now(UTC) + timedelta(hours=1)
        await deliverer.run_due(now=later)
        await deliverer.run_due(now=later)
        table = housing_management_sql.direct_debits.instructions
        assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, table, tenancy) == 1
        shown = ours(await me(client, token))
        assert [(d["reference"], d["status"]) for d in shown] == [(instruction["reference"], "ACTIVE")]
        assert not bank_details_in(await kept_payloads(own_council, instruction["reference"]))


async def test_another_residents_account_is_not_found(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        (mine, _), (_, theirs) = await council_tax_payers(client, issuer, residents, 2)
        my_tenancies = {t["reference"] for t in (await me(client, mine))["tenancies"]}
        their_tenancy = next(ref for _, ref in await tenants(client, issuer, residents, 3) if ref not in my_tenancies)
        answers = [
            (await graphql(client, SET_UP, mine, {"input": bank(reference)})).json()["data"]["setUpDirectDebit"]
            for reference in (theirs["reference"], their_tenancy, "99999999")
        ]
        # Theirs reads exactly as one that does not exist: nothing to probe.
        assert all(a == answers[-1] for a in answers), answers
        assert answers[-1] == {
            "directDebit": None,
            "userErrors": [
                {
                    "field": ["input", "accountReference"],
                    "code": "NOT_FOUND",
                    "message": "We could not find a Council Tax or rent account in your name with that reference",
                }
            ],
        }
        cancelled = (await graphql(client, CANCEL, mine, {"input": {"accountReference": theirs["reference"]}})).json()
        assert cancelled["data"]["cancelDirectDebit"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_malformed_details_are_user_errors_with_their_field(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
        bad = bank(account["reference"], sortCode="12-34-5", accountNumber="12345", paymentDay=2, declaration=False)
        answer = (await graphql(client, SET_UP, token, {"input": bad})).json()["data"]["setUpDirectDebit"]
        assert answer["directDebit"] is None
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
            (["input", "sortCode"], "INVALID_SORT_CODE"),
            (["input", "accountNumber"], "INVALID_ACCOUNT_NUMBER"),
            (["input", "paymentDay"], "PAYMENT_DAY_NOT_OFFERED"),
            (["input", "declaration"], "DECLARATION_REQUIRED"),
        ]
        assert "12-34-5" not in str(answer) and "12345" not in str(answer)
        nothing = (await graphql(client, CANCEL, token, {"input": {"accountReference": account["reference"]}})).json()
        assert nothing["data"]["cancelDirectDebit"]["userErrors"] == [
            {
                "field": ["input", "accountReference"],
                "code": "NO_DIRECT_DEBIT",
                "message": "There is no Direct Debit on this account to cancel",
            }
        ]


async def test_a_pending_rent_instruction_is_shown_only_to_teams_that_see_rent(
    own_council, issuer, residents, staff_token
):
    """An instruction still on its way (the office refusing new rows) is held to its office's rule: the
    housing team sees it on the customer, the revenues team does not (as it does not see the tenancy)."""
    customer = "query($id: ID!) { customer(id: $id) { directDebits { reference system status } } }"
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        customer_id = (await graphql(client, "{ me { id } }", token)).json()["data"]["me"]["id"]
        await fail_inserts(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, on=True)
        try:
            answer = (await post(client, SET_UP, token, {"input": bank(tenancy)}, "pending-1")).json()
        finally:
            await fail_inserts(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, on=False)
        reference = answer["data"]["setUpDirectDebit"]["directDebit"]["reference"]
        seen = {}
        for role in (Role.HOUSING, Role.REVENUES):
            found = (await graphql(client, customer, staff_token(role), {"id": customer_id})).json()
            seen[role] = [(d["reference"], d["status"]) for d in found["data"]["customer"]["directDebits"]]
        assert (reference, "PENDING") in seen[Role.HOUSING]
        assert all(ref != reference for ref, _ in seen[Role.REVENUES]), seen[Role.REVENUES]
