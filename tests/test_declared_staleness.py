"""Every portal service declares what its writes make stale (`commands/unit.py`), and the declarations are
honoured: a resident who has just read a page (so both the back offices' answers and their own whole
answer are kept) reads their own write on it at once, through the in-process cache and through Redis,
whether the write was delivered within their request or later by the relay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.commands import catalogue
from customer360.commands.delivery import Delivered
from customer360.commands.unit import Delivery
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.benefits import CLAIMS_BY_CLAIMANT
from customer360.sources.crm import COMPLAINTS_BY_CONTACT
from tests.services import REDIS_URL, redis_or_skip
from tests.support import graphql, running_app
from tests.test_moving_and_housing import mover, new_home
from tests.test_one_reference import APPLICATION, TOWN_CENTRE, _first_without_application
from tests.test_report_issue import litter_answers
from tests.test_single_person_discount import find_resident

COMPLAINTS = "{ me { complaints(first: 100) { edges { node { reference backOfficeReference } } } } }"
COMPLAIN = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference } userErrors { code } } }"""
REQUESTS = "{ me { requests(first: 100) { edges { node { reference backOfficeReference status } } } } }"
REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference } userErrors { code } } }"""
APPLICATIONS = "{ me { housingApplications { reference backOfficeReference } } }"
APPLY_FOR_HOUSING = """mutation($input: SubmitHousingApplicationInput!) { submitHousingApplication(input: $input) {
  application { reference } userErrors { code } } }"""
ACCOUNTS = "{ me { councilTaxAccounts { reference liableTo discounts { status startsOn } } } }"
APPLY_FOR_DISCOUNT = """mutation($input: ApplySinglePersonDiscountInput!) { applySinglePersonDiscount(input: $input) {
  discount { status } userErrors { code } } }"""
MOVE = """mutation($input: NotifyMoveInput!) { notifyMove(input: $input) {
  request { reference } userErrors { code } } }"""


@pytest.fixture(params=["in-process", "redis"])
async def layered(request, own_council: Settings) -> Settings:
    """The council with every cache on: the back offices' answers and residents' kept answers."""
    settings = replace(own_council, cache_enabled=True, cache_ttl_seconds=300.0)
    if request.param == "redis":
        client = await redis_or_skip()
        await client.aclose()
        settings = replace(settings, redis_url=REDIS_URL)
    return settings


@pytest.fixture(autouse=True)
def only_declared_staleness(caplog):
    """Each delivery below makes stale only what its service declares (`catalogue.as_declared` logs any other)."""
    yield
    assert not [r.getMessage() for r in caplog.records if "does not declare" in r.getMessage()]


async def test_a_delivery_making_undeclared_keys_stale_is_logged_and_they_are_still_forgotten(caplog):
    async def handler(_tools: Any, _item: Any) -> Delivered:
        return Delivered(
            "X-1", invalidate=[(COMPLAINTS_BY_CONTACT.namespace, "c1"), (CLAIMS_BY_CLAIMANT.namespace, "p1")]
        )

    watched = catalogue.as_declared(
        Delivery("crm.example", handler, frozenset({COMPLAINTS_BY_CONTACT.namespace})), handler
    )
    delivered = await watched(None, SimpleNamespace(operation="crm.example"))  # type: ignore[arg-type]
    assert list(delivered.invalidate) == [(COMPLAINTS_BY_CONTACT.namespace, "c1"), (CLAIMS_BY_CLAIMANT.namespace, "p1")]
    assert [r.getMessage() for r in caplog.records] == [
        f"delivery crm.example made stale what its service does not declare: ['{CLAIMS_BY_CLAIMANT.namespace}']"
    ]
    caplog.clear()  # seen: the autouse check is for the real deliveries


def test_every_declaration_is_wired():
    """Each unit's mutations exist, each kind it lists in My Requests is one it keeps, and each delivery
    has a handler once the composition root binds the agencies' one."""
    published = (Path(__file__).parent.parent / "schema.graphql").read_text()
    mutations = published[published.index("type Mutation {") :].split("\n}", 1)[0]
    for unit in catalogue.UNITS:
        assert set(unit.in_my_requests) <= set(unit.kinds), unit.name
        for journey in unit.journeys:
            assert f"  {journey.mutation}(" in mutations, journey.mutation
    unbound = [op for op, delivery in catalogue.DELIVERIES.items() if delivery.handler is None]
    assert set(catalogue.handlers(dict.fromkeys(unbound, _never))) == set(catalogue.DELIVERIES)
    with pytest.raises(ValueError):
        catalogue.handlers({})


async def _never(*_: Any) -> Any:
    raise AssertionError("not called")


async def reads_own_write(
    app: Any,
    client: Any,
    token: str,
    read: str,
    write: str,
    variables: dict[str, Any],
    shown: Callable[[dict[str, Any], dict[str, Any]], bool],
    *,
    later: SourceSystem | None = None,
) -> None:
    """`read` twice (kept), `write`, `read` again: the write shows, delivered. With `later`, that back office
    is down during the write, and the relay delivers it outside any request of the resident's."""
    first = (await graphql(client, read, token)).json()
    assert (await graphql(client, read, token)).json() == first, "the second read is the kept answer"
    if later is not None:
        app.state.runtime.faults.down.add(later)
    try:
        made = (await graphql(client, write, token, variables)).json()["data"]
    finally:
        app.state.runtime.faults.down.clear()
    answer = next(iter(made.values()))
    assert answer["userErrors"] == [], answer
    if later is not None:
        await graphql(client, read, token)  # kept again, while it is still on its way
        await app.state.runtime.services.writes.deliverer.run_due(now=datetime.now(UTC) + timedelta(hours=1))
    after = (await graphql(client, read, token)).json()
    assert "errors" not in after, after
    assert shown(answer, after["data"]["me"]), "the resident reads their own write"


def _complaint_delivered(answer: dict[str, Any], me: dict[str, Any]) -> bool:
    reference = answer["complaint"]["reference"]
    nodes = [e["node"] for e in me["complaints"]["edges"] if e["node"]["reference"] == reference]
    return len(nodes) == 1 and bool(nodes[0]["backOfficeReference"])


def _request_delivered(answer: dict[str, Any], me: dict[str, Any]) -> bool:
    reference = answer["request"]["reference"]
    nodes = [e["node"] for e in me["requests"]["edges"] if e["node"]["reference"] == reference]
    return len(nodes) == 1 and bool(nodes[0]["backOfficeReference"])


@pytest.mark.parametrize("later", [None, SourceSystem.CRM], ids=["delivered-at-once", "delivered-by-the-relay"])
async def test_complaint(layered, issuer, residents, later):
    token = issuer.resident_token(residents[0]["email"])
    complaint = {"input": {"subject": "Bins", "description": "Not collected on Tuesday."}}
    async with running_app(layered) as (app, client):
        await reads_own_write(app, client, token, COMPLAINTS, COMPLAIN, complaint, _complaint_delivered, later=later)


@pytest.mark.parametrize(
    "later", [None, SourceSystem.STREET_SCENE], ids=["delivered-at-once", "delivered-by-the-relay"]
)
async def test_report_an_issue(layered, issuer, residents, later):
    token = issuer.resident_token(residents[1]["email"])
    async with running_app(layered) as (app, client):
        report = {
            "input": {
                "serviceCode": "LITTER",
                "description": "Bags split by the bus shelter",
                "location": TOWN_CENTRE,
                "attributes": await litter_answers(client),
            }
        }
        await reads_own_write(app, client, token, REQUESTS, REPORT, report, _request_delivered, later=later)


async def test_housing_application(layered, issuer, residents):
    async with running_app(layered) as (app, client):
        token = await _first_without_application(client, issuer, residents)

        def shown(answer: dict[str, Any], me: dict[str, Any]) -> bool:
            reference = answer["application"]["reference"]
            mine = [a for a in me["housingApplications"] if a["reference"] == reference]
            return len(mine) == 1 and bool(mine[0]["backOfficeReference"])

        application = {"input": APPLICATION}
        await reads_own_write(app, client, token, APPLICATIONS, APPLY_FOR_HOUSING, application, shown)


async def test_single_person_discount(layered, issuer, residents):
    async with running_app(layered) as (app, client):
        token, account = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=20))
        application = {
            "input": {"accountReference": account["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
        }

        def shown(_answer: dict[str, Any], me: dict[str, Any]) -> bool:
            now = next(a for a in me["councilTaxAccounts"] if a["reference"] == account["reference"])
            return [d["startsOn"] for d in now["discounts"]] == [starts_on.isoformat()]

        await reads_own_write(app, client, token, ACCOUNTS, APPLY_FOR_DISCOUNT, application, shown)


async def test_moving_home(layered, issuer, residents):
    async with running_app(layered) as (app, client):
        token, _me, account = await mover(client, issuer, residents, systems={"REVENUES", "CRM"})
        moving_on = london_today() - timedelta(days=3)
        move = {
            "input": {
                "kind": "WITHIN",
                "moveDate": moving_on.isoformat(),
                "newUprn": new_home(account["propertyAddress"]["uprn"]),
            }
        }

        def shown(_answer: dict[str, Any], me: dict[str, Any]) -> bool:
            old = next(a for a in me["councilTaxAccounts"] if a["reference"] == account["reference"])
            return old["liableTo"] == (moving_on - timedelta(days=1)).isoformat()

        await reads_own_write(app, client, token, ACCOUNTS, MOVE, move, shown)


ANSWERED = "{ me { complaints(first: 100) { edges { node { id reference status respondedAt } } } } }"
RESPOND = """mutation($input: RespondToComplaintInput!) { respondToComplaint(input: $input) {
  complaint { reference } userErrors { code } } }"""


async def test_a_complaint_answered_by_staff(layered, issuer, residents, staff_token):
    """Staff casework declares what it makes stale too: the resident's kept answer shows the reply at once."""
    token = issuer.resident_token(residents[0]["email"])
    complaint = {"input": {"subject": "Bins", "description": "Not collected on Tuesday."}}
    async with running_app(layered) as (_, client):
        made = (await graphql(client, COMPLAIN, token, complaint)).json()["data"]["makeComplaint"]["complaint"]
        first = (await graphql(client, ANSWERED, token)).json()
        assert (await graphql(client, ANSWERED, token)).json() == first, "the second read is the kept answer"
        mine = next(
            e["node"] for e in first["data"]["me"]["complaints"]["edges"] if e["node"]["reference"] == made["reference"]
        )
        assert mine["respondedAt"] is None
        reply = {"complaintId": mine["id"], "outcome": "UPHELD", "response": "Collected today."}
        answer = (await graphql(client, RESPOND, staff_token(Role.CUSTOMER_SERVICES), {"input": reply})).json()
        assert answer["data"]["respondToComplaint"]["userErrors"] == []
        after = (await graphql(client, ANSWERED, token)).json()["data"]["me"]["complaints"]["edges"]
        shown = next(e["node"] for e in after if e["node"]["reference"] == made["reference"])
        assert shown["respondedAt"] is not None and shown["status"] == "RESPONDED"


DIRECT_DEBITS = """{ me { directDebits { reference status }
  councilTaxAccounts { reference instalments { dueDate } } tenancies { reference rentAccount { nextDue } } } }"""
SET_UP_DIRECT_DEBIT = """mutation($input: SetUpDirectDebitInput!) { setUpDirectDebit(input: $input) {
  directDebit { reference } userErrors { code } } }"""


@pytest.mark.parametrize("rent", [False, True], ids=["council-tax", "rent"])
async def test_direct_debit(layered, issuer, residents, rent):
    from tests.test_direct_debit import bank, council_tax_payers, tenants

    async with running_app(layered) as (app, client):
        if rent:
            ((token, account),) = await tenants(client, issuer, residents, 1)
        else:
            ((token, held),) = await council_tax_payers(client, issuer, residents, 1)
            account = held["reference"]
        before = (await graphql(client, DIRECT_DEBITS, token)).json()["data"]["me"]

        def shown(answer: dict[str, Any], me: dict[str, Any]) -> bool:
            reference = answer["directDebit"]["reference"]
            active = [d for d in me["directDebits"] if d["reference"] == reference and d["status"] == "ACTIVE"]
            # What the office changed shows too: the instalments (Council Tax) or the next due date (rent).
            changed = (
                me["tenancies"] != before["tenancies"]
                if rent
                else me["councilTaxAccounts"] != before["councilTaxAccounts"]
            )
            return len(active) == 1 and changed

        variables = {"input": bank(account, paymentDay=22)}
        await reads_own_write(app, client, token, DIRECT_DEBITS, SET_UP_DIRECT_DEBIT, variables, shown)
