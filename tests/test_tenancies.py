"""`Customer.tenancies` end to end: the demo council's tenants see their own tenancies and rent accounts
(HOUSING_MANAGEMENT), whose statements add up to the balance; who else may see them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.database import create_engine
from tests.support import graphql

TENANCIES = """
tenancies { id reference address startDate tenureType
  rentAccount { reference balance { pence } arrears { pence } credit { pence } nextDue
    weeklyRent { rent { pence } serviceCharges { pence } total { pence } }
    statement { postedOn kind description amount { pence } balance { pence } } }
  repairs(first: 10) { totalCount edges { node { reference status completedOn priority
    deadlines { kind awaabsLaw aboutToMiss missed } aboutToMiss } } } }
"""
ME = "{ me { linkedRecords { system recordId } " + TENANCIES + " } }"
CUSTOMER = "query($id: ID!) { customer(id: $id) { " + TENANCIES + " } }"


async def _held_by(demo_settings, tenant_ids: list[str]) -> set[str]:
    engine = create_engine(council.database_urls(demo_settings)[SourceSystem.HOUSING_MANAGEMENT])
    try:
        async with engine.connect() as conn:
            table = housing_management_sql.tenancies
            rows = (await conn.execute(select(table.c.tenancy_ref).where(table.c.tenant_id.in_(tenant_ids)))).all()
    finally:
        await engine.dispose()
    return {row.tenancy_ref for row in rows}


async def test_tenants_see_their_own_tenancies_with_statements_that_add_up(api, issuer, residents, demo_settings):
    _, client = api
    tenants = repairs = 0
    for resident in residents[:40]:
        body = (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()
        assert "errors" not in body, body["errors"]
        me = body["data"]["me"]
        tenant_ids = [
            link["recordId"] for link in me["linkedRecords"] if link["system"] == SourceSystem.HOUSING_MANAGEMENT.value
        ]
        # Exactly the tenancies the housing management system holds for this resident's own records.
        assert {t["reference"] for t in me["tenancies"]} == await _held_by(demo_settings, tenant_ids)
        for tenancy in me["tenancies"]:
            tenants += 1
            account = tenancy["rentAccount"]
            lines = account["statement"]
            assert lines[0]["kind"] == "BROUGHT_FORWARD"
            assert sum(line["amount"]["pence"] for line in lines) == account["balance"]["pence"]
            assert lines[-1]["balance"]["pence"] == account["balance"]["pence"]
            balance = account["balance"]["pence"]
            assert (account["arrears"]["pence"], account["credit"]["pence"]) == (max(balance, 0), max(-balance, 0))
            assert date.fromisoformat(account["nextDue"]).weekday() == 0  # rent is due on Mondays
            weekly = account["weeklyRent"]
            assert weekly["total"]["pence"] == weekly["rent"]["pence"] + weekly["serviceCharges"]["pence"] > 0
            assert account["reference"] == tenancy["reference"]
            for repair in (edge["node"] for edge in tenancy["repairs"]["edges"]):
                repairs += 1
                assert repair["deadlines"], repair  # every repair has at least its priority's deadline
                if repair["completedOn"]:  # a finished repair is never flagged
                    assert not repair["aboutToMiss"] and not any(d["missed"] for d in repair["deadlines"])
                assert repair["aboutToMiss"] == any(d["aboutToMiss"] for d in repair["deadlines"])
    assert tenants >= 3, "too few sample residents are council tenants to check"
    assert repairs >= 1, "no sample tenant has a repair to check"


async def test_the_housing_team_sees_a_tenancy_and_the_revenues_team_does_not(api, issuer, residents, staff_token):
    _, client = api
    tenant = None
    for resident in residents[:40]:
        me = (await graphql(client, ME, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        if me["tenancies"]:
            tenant, seen = resident, me["tenancies"]
            break
    assert tenant is not None
    variables = {"id": tenant["customer_id"]}
    housing = (await graphql(client, CUSTOMER, staff_token(Role.HOUSING), variables)).json()
    assert "errors" not in housing and housing["data"]["customer"]["tenancies"] == seen
    revenues = (await graphql(client, CUSTOMER, staff_token(Role.REVENUES), variables)).json()
    assert revenues["data"]["customer"]["tenancies"] == []
    assert [e["extensions"]["code"] for e in revenues["errors"]] == ["FORBIDDEN"]


async def test_a_resident_cannot_read_another_residents_tenancies(api, issuer, residents):
    _, client = api
    body = (
        await graphql(
            client, CUSTOMER, issuer.resident_token(residents[1]["email"]), {"id": residents[0]["customer_id"]}
        )
    ).json()
    assert body["data"] is None or body["data"]["customer"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
