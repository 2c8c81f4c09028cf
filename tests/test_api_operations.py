"""Operational behaviour: batching (one call per back-office operation), a source down, health, metrics."""

from __future__ import annotations

from customer360.auth.principal import Role
from customer360.domain.systems import SourceSystem
from tests.support import graphql, running_app, settings_with

# Every per-customer field that reaches a back office.
PAGE_OF_CUSTOMERS = """
query($q: String!) { searchCustomers(query: $q, first: 100) { edges { node {
  id name linkedRecords { system recordId }
  councilTaxAccounts { reference balance { pence } latestStatement { closingBalance { pence } } }
  discounts { status } benefitClaims { reference } housingApplications { reference }
  requests(first: 5) { totalCount } complaints(first: 5) { edges { node { reference } } }
  payments(first: 5) { edges { node { reference } } } } } } }
"""
OPERATIONS = {
    (SourceSystem.REVENUES, "accounts_by_party"),
    (SourceSystem.BENEFITS, "claims_by_claimant"),
    (SourceSystem.HOUSING, "applications_by_applicant"),
    (SourceSystem.CRM, "complaints_by_contact"),
    (SourceSystem.CRM, "cases_by_contact"),
    (SourceSystem.STREET_SCENE, "requests_by_reporter"),
    (SourceSystem.PAYMENTS, "payments_by_payer"),
}


async def test_a_page_of_100_customers_makes_one_call_per_back_office_operation(demo_settings, staff_token):
    async with running_app(demo_settings) as (app, client):
        metrics = app.state.runtime.metrics
        body = (await graphql(client, PAGE_OF_CUSTOMERS, staff_token(Role.CUSTOMER_SERVICES), {"q": ""})).json()
        assert "errors" not in body
        customers = body["data"]["searchCustomers"]["edges"]
        assert len(customers) == 100
        systems_seen = {link["system"] for edge in customers for link in edge["node"]["linkedRecords"]}
        assert systems_seen == {s.value for s in SourceSystem}
        for system, operation in OPERATIONS:
            assert metrics.source_call_count(system.value, operation) == 1, (system, operation)


async def test_with_housing_down_the_rest_of_me_is_answered(demo_settings, issuer, residents):
    settings = settings_with(demo_settings, demo_sources_down=frozenset({SourceSystem.HOUSING}))
    everywhere = None
    async with running_app(settings) as (_, client):
        for resident in residents[:20]:
            token = issuer.resident_token(resident["email"])
            body = (
                await graphql(
                    client,
                    "{ me { name linkedRecords { system } housingApplications { reference } "
                    "councilTaxAccounts { reference } benefitClaims { reference } } }",
                    token,
                )
            ).json()
            if "HOUSING" in {link["system"] for link in body["data"]["me"]["linkedRecords"]}:
                everywhere = body
                break
    assert everywhere is not None, "no sample resident is known to HOUSING"
    me = everywhere["data"]["me"]
    assert me["name"]
    assert me["councilTaxAccounts"], "REVENUES is up and should answer"
    assert me["housingApplications"] == []
    (error,) = everywhere["errors"]
    assert error["path"] == ["me", "housingApplications"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "HOUSING"}


async def test_healthz_readyz_and_metrics(demo_settings):
    settings = settings_with(demo_settings, demo_sources_down=frozenset({SourceSystem.CRM}))
    async with running_app(settings) as (_, client):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        sources = ready.json()["sources"]
        assert sources["CRM"] == "down"
        assert sources["REVENUES"] == "up" and sources["STREET_SCENE"] == "up" and sources["PAYMENTS"] == "up"
        text = (await client.get("/metrics")).text
        assert 'customer360_source_calls_total{operation="ping",source="REVENUES"}' in text
        assert "customer360_source_call_seconds_bucket" in text
        assert "customer360_cache_requests_total" in text or "customer360_cache_requests" in text


async def test_graphiql_and_jwks_are_served_in_demo_mode(api):
    _, client = api
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]
