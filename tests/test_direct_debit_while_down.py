"""Rent by Direct Debit, and rent paid by card, while HOUSING_MANAGEMENT is down: the tenancy is checked
against the tenancies the office last showed for the resident (store/accounts_seen.py, as reportRepair
is), the write is kept with its C360- reference and delivered once when the office is back, under the
same reference for ever. The office's own instructions are read again on delivery: a tenancy no longer
the resident's is refused, opens a case for the housing team, and the resident sees the instruction
REJECTED. Council Tax while REVENUES is down is kept the same way: tests/test_council_tax_while_down.py."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, update

from customer360.domain.requests import DeliveryState
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.tables import accounts_seen
from tests.support import graphql, running_app, serving_app
from tests.tenancy_support import on_housing_management
from tests.test_direct_debit import (
    CANCEL,
    SET_UP,
    bank,
    bank_details_in,
    instructions_in,
    kept_payloads,
    me,
    ours,
    post,
    tenants,
)
from tests.test_payment_reference import made_once
from tests.test_payments import RETURN_URL, settle_at_page, wait_for
from tests.test_rent_payments import MAKE, rent_postings
from tests.test_report_issue_while_open311_down import on_gateway, submission

HM_DOWN = frozenset({SourceSystem.HOUSING_MANAGEMENT})
RENT_INSTRUCTIONS = housing_management_sql.direct_debits.instructions


async def back(app: Any) -> None:
    """The office taken down is back: two relay passes at once (a second worker), then a later one."""
    app.state.runtime.faults.down.clear()
    later = datetime.now(UTC) + timedelta(hours=1)
    deliverer = app.state.runtime.services.writes.deliverer
    await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
    await deliverer.run_due(now=later + timedelta(hours=1))


def answer(response: Any, field: str = "setUpDirectDebit") -> dict[str, Any]:
    return response.json()["data"][field]


async def test_a_rent_direct_debit_set_up_while_down_is_kept_and_lodged_once_under_the_same_reference(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)  # read live: kept as last seen
        app.state.runtime.faults.down.add(SourceSystem.HOUSING_MANAGEMENT)
        first, duplicate = await asyncio.gather(
            post(client, SET_UP, token, {"input": bank(tenancy)}, "dd-down-1"),
            post(client, SET_UP, token, {"input": bank(tenancy)}, "dd-down-2"),
        )
        answers = [answer(first), answer(duplicate)]
        kept = [a["directDebit"] for a in answers if a["directDebit"]]
        assert len(kept) == 1 and [e["code"] for a in answers for e in a["userErrors"]] == ["ALREADY_SET_UP"]
        instruction = kept[0]
        reference = instruction["reference"]
        assert reference.startswith("C360-")
        assert (instruction["system"], instruction["status"], instruction["accountReference"]) == (
            "HOUSING_MANAGEMENT",
            "PENDING",
            tenancy,
        )
        assert instruction["accountNumber"].endswith("6819") and "31926819" not in str(instruction)
        key = "dd-down-1" if answers[0]["directDebit"] else "dd-down-2"
        retried = answer(await post(client, SET_UP, token, {"input": bank(tenancy)}, key))
        assert retried["directDebit"] == instruction
        assert (await submission(app, reference)).delivery_state is DeliveryState.PENDING
        assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, tenancy) == 0

        await back(app)
        assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
        assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, tenancy) == 1
        shown = ours(await me(client, token))
        assert [(d["reference"], d["status"]) for d in shown] == [(reference, "ACTIVE")]
        assert not bank_details_in(await kept_payloads(own_council, reference)), "masked once delivered"


async def test_while_down_another_residents_tenancy_is_refused_and_a_never_seen_one_is_a_clear_error(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        (mine, theirs) = await tenants(client, issuer, residents, 2)
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (app, client):
        token, _ = mine
        other = answer(await graphql(client, SET_UP, token, {"input": bank(theirs[1])}))
        assert other["directDebit"] is None
        assert [(e["field"], e["code"]) for e in other["userErrors"]] == [(["input", "accountReference"], "NOT_FOUND")]
        assert await app.state.runtime.outbox.pending_count() == 0
    await on_gateway(own_council, delete(accounts_seen))
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (app, client):
        token, tenancy = mine
        never = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy)}))
        assert never["directDebit"] is None
        assert [(e["field"], e["code"], e["message"]) for e in never["userErrors"]] == [
            (
                ["input", "accountReference"],
                "SOURCE_UNAVAILABLE",
                "We cannot check your tenancy right now; nothing was sent, please try again shortly",
            )
        ]
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_cancellation_while_down_is_kept_for_one_set_up_through_us_and_refused_for_one_unknown(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        (mine, other) = await tenants(client, issuer, residents, 2)
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (app, client):
        token, tenancy = mine
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy)}))["directDebit"]["reference"]
        cancel = {"input": {"accountReference": tenancy}}
        first, duplicate = await asyncio.gather(
            post(client, CANCEL, token, cancel, "cancel-1"), post(client, CANCEL, token, cancel, "cancel-2")
        )
        answers = [answer(first, "cancelDirectDebit"), answer(duplicate, "cancelDirectDebit")]
        done = [a["directDebit"] for a in answers if a["directDebit"]]
        assert done == [{"reference": reference, "accountReference": tenancy, "status": "CANCELLED"}]
        assert [e["code"] for a in answers for e in a["userErrors"]] == ["NO_DIRECT_DEBIT"]
        key = "cancel-1" if answers[0]["directDebit"] else "cancel-2"
        assert answer(await post(client, CANCEL, token, cancel, key), "cancelDirectDebit")["directDebit"] == done[0]

        # Nothing set up through us: what the office holds cannot be named while it is down.
        other_token, other_tenancy = other
        unknown = answer(
            await graphql(client, CANCEL, other_token, {"input": {"accountReference": other_tenancy}}),
            "cancelDirectDebit",
        )
        assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
            (["input", "accountReference"], "SOURCE_UNAVAILABLE")
        ]

    # The office back, in a new process (the old one's circuit breaker still counts the outage).
    async with running_app(own_council) as (app, client):
        await back(app)
        assert [(d["reference"], d["status"]) for d in ours(await me(client, token))] == [(reference, "CANCELLED")]
    assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, tenancy) == 1


async def test_a_tenancy_ended_meanwhile_is_refused_on_delivery_for_the_housing_team_and_shown_rejected(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (app, client):
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy)}))["directDebit"]["reference"]
        await on_housing_management(
            own_council,
            update(housing_management_sql.tenancies)
            .where(housing_management_sql.tenancies.c.tenancy_ref == tenancy)
            .values(ends_on=date.today() - timedelta(days=1)),
        )
    async with running_app(own_council) as (app, client):
        await back(app)
        (delivery,) = (await submission(app, reference)).deliveries
        assert delivery.state is DeliveryState.FAILED, "refused for good, not retried for ever, never lost"
        cases = await app.state.runtime.services.cases.cases(["housing"], open_only=True, first=10)
        assert [case.reference for case in cases] == [reference]
        shown = [d for d in (await me(client, token))["directDebits"] if d["reference"] == reference]
        assert [(d["status"], d["reason"] is not None) for d in shown] == [("REJECTED", True)]
    assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, tenancy) == 0


async def test_rent_paid_by_card_while_down_is_taken_and_credited_once_when_the_office_is_back(
    own_council, issuer, residents
):
    settings = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        app.state.runtime.faults.down.add(SourceSystem.HOUSING_MANAGEMENT)
        request = {
            "purpose": "RENT",
            "accountReference": tenancy,
            "amountPence": 2_345,
            "idempotencyKey": "rent-down-1",
            "returnUrl": RETURN_URL,
        }
        payment = await made_once(client, token, request)  # two at once and a retry: one payment
        assert payment["reference"].startswith("C360-") and payment["nextUrl"]
        assert (await settle_at_page(payment["nextUrl"], "success")).status_code == 303
        outbox = app.state.runtime.outbox

        async def posting_waits() -> bool:
            return await outbox.pending_count() == 1

        assert await wait_for(posting_waits), "the posting waits in the outbox for the office"
        assert await rent_postings(settings, payment["reference"]) == 0
        await back(app)
        assert await rent_postings(settings, payment["reference"]) == 1
        assert await outbox.pending_count() == 0


async def test_rent_for_another_residents_tenancy_is_not_found_while_down(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        (mine, theirs) = await tenants(client, issuer, residents, 2)
    async with serving_app(replace(own_council, demo_sources_down=HM_DOWN)) as (_, client):
        request = {
            "purpose": "RENT",
            "accountReference": theirs[1],
            "amountPence": 1_000,
            "idempotencyKey": "rent-theirs-down",
            "returnUrl": RETURN_URL,
        }
        theirs = (await graphql(client, MAKE, mine[0], {"input": request})).json()["data"]["makePayment"]
        assert theirs["payment"] is None
        assert [(e["field"], e["code"]) for e in theirs["userErrors"]] == [(["input", "accountReference"], "NOT_FOUND")]
        await on_gateway(own_council, delete(accounts_seen))
        never = (await graphql(client, MAKE, mine[0], {"input": request | {"accountReference": mine[1]}})).json()
        assert [e["code"] for e in never["data"]["makePayment"]["userErrors"]] == ["SOURCE_UNAVAILABLE"]


async def test_an_instruction_the_office_holds_from_elsewhere_refuses_one_kept_while_down(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (_, client):
        reference = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy)}))["directDebit"]["reference"]
    # Meanwhile the rent office took a paper mandate: an instruction in force customer360 never saw.
    await on_housing_management(
        own_council,
        insert(RENT_INSTRUCTIONS).values(
            external_reference="PAPER-1",
            account_reference=tenancy,
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
        cases = await app.state.runtime.services.cases.cases(["housing"], open_only=True, first=10)
        assert [case.reference for case in cases] == [reference]
        shown = [d["status"] for d in (await me(client, token))["directDebits"] if d["reference"] == reference]
        assert shown == ["REJECTED"]
    assert await instructions_in(own_council, SourceSystem.HOUSING_MANAGEMENT, RENT_INSTRUCTIONS, tenancy) == 1


async def test_one_lodged_through_us_stands_while_down_and_can_be_cancelled(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await tenants(client, issuer, residents, 1)
        lodged = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy)}))["directDebit"]
        assert lodged["status"] == "ACTIVE"
    async with running_app(replace(own_council, demo_sources_down=HM_DOWN)) as (_, client):
        again = answer(await graphql(client, SET_UP, token, {"input": bank(tenancy, paymentDay=3)}))
        assert [e["code"] for e in again["userErrors"]] == ["ALREADY_SET_UP"]
        cancel = {"input": {"accountReference": tenancy}}
        cancelled = answer(await graphql(client, CANCEL, token, cancel), "cancelDirectDebit")
        assert cancelled["directDebit"] == {
            "reference": lodged["reference"],
            "accountReference": tenancy,
            "status": "CANCELLED",
        }
    async with running_app(own_council) as (app, client):
        await back(app)
        shown = [(d["reference"], d["status"]) for d in ours(await me(client, token))]
        held = next(t for t in (await me(client, token))["tenancies"] if t["reference"] == tenancy)
    assert shown == [(lodged["reference"], "CANCELLED")]
    assert {"reference": lodged["reference"], "status": "CANCELLED", "paymentDay": 28} in held["rentAccount"][
        "directDebits"
    ]
