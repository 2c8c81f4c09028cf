"""Council Tax by Direct Debit, and Council Tax paid by card, while REVENUES is down: the account is
checked against the Council Tax accounts REVENUES last showed for the resident's linked records
(store/accounts_seen.py, as rent's tenancies are), the write is kept with its C360- reference and
delivered once when the office is back, under the same reference for ever. REVENUES checks the account
again on delivery: one no longer the resident's, or with an instruction in force, is refused, opens a case
for the revenues team, and the resident sees the instruction REJECTED. An account never seen is still
SOURCE_UNAVAILABLE whatever the reference (nothing to probe); another resident's is NOT_FOUND. A Single
Person Discount still refuses while REVENUES is down."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from customer360.clock import london_today
from customer360.demo import council
from customer360.domain.requests import DeliveryState
from customer360.domain.systems import SourceSystem
from customer360.sources.revenues import sql as revenues_sql
from customer360.store.database import create_engine
from customer360.store.tables import accounts_seen
from tests.support import graphql, running_app, serving_app
from tests.test_direct_debit import CANCEL, SET_UP, bank, bank_details_in, council_tax_payers, kept_payloads, me, post
from tests.test_direct_debit_while_down import answer, back
from tests.test_payment_reference import made_once
from tests.test_payments import MAKE, RETURN_URL, postings, settle_at_page, wait_for
from tests.test_report_issue_while_open311_down import on_gateway, submission
from tests.test_single_person_discount import APPLY

REVENUES_DOWN = frozenset({SourceSystem.REVENUES})
INSTRUCTIONS = revenues_sql.direct_debits.instructions
NEVER_SEEN = "We cannot reach Council Tax records right now; nothing was changed, please try again shortly"


async def on_revenues(settings: Any, statement: Any) -> Any:
    engine = create_engine(council.database_urls(settings)[SourceSystem.REVENUES])
    try:
        async with engine.begin() as conn:
            return (await conn.execute(statement)) if statement is not None else None
    finally:
        await engine.dispose()


async def lodged(settings: Any, reference: str) -> int:
    """Instructions REVENUES holds under this C360- reference."""
    engine = create_engine(council.database_urls(settings)[SourceSystem.REVENUES])
    try:
        async with engine.connect() as conn:
            query = select(func.count()).select_from(INSTRUCTIONS).where(INSTRUCTIONS.c.external_reference == reference)
            return int(await conn.scalar(query) or 0)
    finally:
        await engine.dispose()


def codes(answered: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in answered["userErrors"]]


def shown(record: dict[str, Any], reference: str) -> list[str]:
    return [d["status"] for d in record["directDebits"] if d["reference"] == reference]


async def test_a_council_tax_direct_debit_set_up_while_down_is_kept_and_lodged_once_under_the_same_reference(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)  # read live: kept as seen
        reference_of_account = account["reference"]
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        first, duplicate = await asyncio.gather(
            post(client, SET_UP, token, {"input": bank(reference_of_account)}, "ct-down-1"),
            post(client, SET_UP, token, {"input": bank(reference_of_account)}, "ct-down-2"),
        )
        answers = [answer(first), answer(duplicate)]
        kept = [a["directDebit"] for a in answers if a["directDebit"]]
        assert len(kept) == 1 and [e["code"] for a in answers for e in a["userErrors"]] == ["ALREADY_SET_UP"]
        instruction = kept[0]
        reference = instruction["reference"]
        assert reference.startswith("C360-")
        assert (instruction["system"], instruction["status"], instruction["accountReference"]) == (
            "REVENUES",
            "PENDING",
            reference_of_account,
        )
        assert instruction["accountNumber"].endswith("6819") and "31926819" not in str(instruction)
        key = "ct-down-1" if answers[0]["directDebit"] else "ct-down-2"
        retried = answer(await post(client, SET_UP, token, {"input": bank(reference_of_account)}, key))
        assert retried["directDebit"] == instruction
        assert (await submission(app, reference)).delivery_state is DeliveryState.PENDING
        assert await lodged(own_council, reference) == 0

        await back(app)
        assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
        assert await lodged(own_council, reference) == 1
        assert shown(await me(client, token), reference) == ["ACTIVE"]
        assert not bank_details_in(await kept_payloads(own_council, reference)), "masked once delivered"


async def test_while_down_another_residents_account_is_not_found_and_a_never_seen_one_is_unavailable(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        (mine, theirs) = await council_tax_payers(client, issuer, residents, 2)
    token, my_account = mine[0], mine[1]["reference"]
    their_account = theirs[1]["reference"]
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (app, client):
        other = answer(await graphql(client, SET_UP, token, {"input": bank(their_account)}))
        assert other["directDebit"] is None
        assert codes(other) == [(["input", "accountReference"], "NOT_FOUND")]
        assert await app.state.runtime.outbox.pending_count() == 0
    await on_gateway(own_council, delete(accounts_seen).where(accounts_seen.c.system == SourceSystem.REVENUES.value))
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (app, client):
        # Never seen: the same answer for one's own account and another's, so references cannot be probed.
        for account in (my_account, their_account):
            never = answer(await graphql(client, SET_UP, token, {"input": bank(account)}))
            assert never["directDebit"] is None
            assert [(e["field"], e["code"], e["message"]) for e in never["userErrors"]] == [
                (["input", "accountReference"], "SOURCE_UNAVAILABLE", NEVER_SEEN)
            ]
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_an_account_no_longer_the_residents_is_refused_on_delivery_for_the_revenues_team_and_shown_rejected(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
    accounts = revenues_sql.accounts
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (app, client):
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(account["reference"])}))["directDebit"][
            "reference"
        ]
        assert shown(await me(client, token), reference) == ["PENDING"], "shown as kept while REVENUES is down"
        # Meanwhile the revenues team moved the liability to someone else.
        someone_else = (
            select(accounts.c.party_id)
            .where(accounts.c.reference != account["reference"])
            .order_by(accounts.c.reference)
            .limit(1)
            .scalar_subquery()
        )
        await on_revenues(
            own_council,
            update(accounts).where(accounts.c.reference == account["reference"]).values(party_id=someone_else),
        )
    async with running_app(own_council) as (app, client):
        await back(app)
        (delivery,) = (await submission(app, reference)).deliveries
        assert delivery.state is DeliveryState.FAILED, "refused for good, not retried for ever, never lost"
        cases = await app.state.runtime.services.cases.cases(["revenues"], open_only=True, first=10)
        assert reference in [case.reference for case in cases]
        rejected = [d for d in (await me(client, token))["directDebits"] if d["reference"] == reference]
        assert [(d["status"], d["reason"] is not None) for d in rejected] == [("REJECTED", True)]
    assert await lodged(own_council, reference) == 0


async def test_an_instruction_revenues_holds_from_elsewhere_refuses_one_kept_while_down(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (_, client):
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(account["reference"])}))["directDebit"][
            "reference"
        ]
    # Meanwhile the revenues team took a paper mandate: an instruction in force customer360 never saw.
    await on_revenues(
        own_council,
        insert(INSTRUCTIONS).values(
            external_reference="PAPER-CT-1",
            account_reference=account["reference"],
            account_holder_name="A Resident",
            sort_code="309430",
            account_number="12345678",
            payment_day=1,
            status="ACTIVE",
            set_up_on=date.today() - timedelta(days=1),
            first_collection_on=date.today() + timedelta(days=14),
        ),
    )
    async with running_app(own_council) as (app, client):
        await back(app)
        (delivery,) = (await submission(app, reference)).deliveries
        assert delivery.state is DeliveryState.FAILED, "not lodged twice: it would collect twice"
        assert shown(await me(client, token), reference) == ["REJECTED"]
    assert await lodged(own_council, reference) == 0


async def test_a_cancellation_while_down_is_kept_for_one_set_up_through_us_and_refused_for_one_unknown(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        (mine, other) = await council_tax_payers(client, issuer, residents, 2)
    token, account = mine[0], mine[1]["reference"]
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (_, client):
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(account)}))["directDebit"]["reference"]
        cancel = {"input": {"accountReference": account}}
        first, duplicate = await asyncio.gather(
            post(client, CANCEL, token, cancel, "ct-cancel-1"), post(client, CANCEL, token, cancel, "ct-cancel-2")
        )
        answers = [answer(first, "cancelDirectDebit"), answer(duplicate, "cancelDirectDebit")]
        done = [a["directDebit"] for a in answers if a["directDebit"]]
        assert done == [{"reference": reference, "accountReference": account, "status": "CANCELLED"}]
        assert [e["code"] for a in answers for e in a["userErrors"]] == ["NO_DIRECT_DEBIT"]

        # Nothing set up through us: what REVENUES holds cannot be named while it is down.
        unknown = answer(
            await graphql(client, CANCEL, other[0], {"input": {"accountReference": other[1]["reference"]}}),
            "cancelDirectDebit",
        )
        assert [(e["code"], "Council Tax records" in e["message"]) for e in unknown["userErrors"]] == [
            ("SOURCE_UNAVAILABLE", True)
        ]
    async with running_app(own_council) as (app, client):
        await back(app)
        assert shown(await me(client, token), reference) == ["CANCELLED"]
    assert await lodged(own_council, reference) == 1


async def test_council_tax_paid_by_card_while_down_is_taken_and_credited_once_when_revenues_is_back(
    own_council, issuer, residents
):
    settings = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 2_345,
            "idempotencyKey": "ct-down-1",
            "returnUrl": RETURN_URL,
        }
        payment = await made_once(client, token, request)  # two at once and a retry: one payment
        assert payment["reference"].startswith("C360-") and payment["nextUrl"]
        assert (await settle_at_page(payment["nextUrl"], "success")).status_code == 303
        outbox = app.state.runtime.outbox

        async def posting_waits() -> bool:
            return await outbox.pending_count() == 1

        assert await wait_for(posting_waits), "the posting waits in the outbox for REVENUES"
        assert await postings(settings, payment["reference"]) == 0
        await back(app)
        assert await postings(settings, payment["reference"]) == 1
        assert await outbox.pending_count() == 0


async def test_a_single_person_discount_still_refuses_while_down_though_the_account_was_seen(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
    async with running_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (app, client):
        request = {
            "accountReference": account["reference"],
            "startsOn": london_today().isoformat(),
            "declaration": True,
        }
        refused = answer(await graphql(client, APPLY, token, {"input": request}), "applySinglePersonDiscount")
        assert refused["discount"] is None
        assert codes(refused) == [(["input", "accountReference"], "SOURCE_UNAVAILABLE")]
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_liability_shown_ended_takes_a_payment_but_not_a_direct_debit_while_down(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, account),) = await council_tax_payers(client, issuer, residents, 1)
    yesterday = london_today() - timedelta(days=1)
    await on_gateway(
        own_council,
        update(accounts_seen).where(accounts_seen.c.reference == account["reference"]).values(ends_on=yesterday),
    )
    async with serving_app(replace(own_council, demo_sources_down=REVENUES_DOWN)) as (app, client):
        refused = answer(await graphql(client, SET_UP, token, {"input": bank(account["reference"])}))
        assert refused["directDebit"] is None
        assert codes(refused) == [(["input", "accountReference"], "SOURCE_UNAVAILABLE")]
        assert await app.state.runtime.outbox.pending_count() == 0
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 1_000,
            "idempotencyKey": "ct-arrears-down",
            "returnUrl": RETURN_URL,
        }
        arrears = (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]
        assert arrears["userErrors"] == [] and arrears["payment"]["nextUrl"], "arrears are paid as when live"
