""" "Report It" services as data: an admin defines, changes and retires them; residents use them at once."""

from __future__ import annotations

from dataclasses import replace

from customer360.auth.principal import Role
from tests.support import graphql, running_app, serving_app

SERVICES = (
    "{ services { code name group signInRequired fee { pence } expectedDays version retired attributes { code } } }"
)
DEFINE = """
mutation($input: DefineServiceInput!) { defineService(input: $input) {
  service { code name version fee { pence } } userErrors { field code message } } }
"""
UPDATE = """
mutation($input: UpdateServiceInput!) { updateService(input: $input) {
  service { code name version } userErrors { field code message } } }
"""
RETIRE = """
mutation($input: RetireServiceInput!) { retireService(input: $input) { service { code retired } userErrors { code } } }
"""
REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference serviceCode serviceName delivery { state system } }
  payment { amount { pence } purpose nextUrl } userErrors { field code message } } }
"""
PAY = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { amount { pence } purpose nextUrl } userErrors { field code } } }
"""
SKIP_LICENCE = {
    "code": "SKIP_PERMIT",
    "name": "Apply for a skip permit",
    "group": "Licensing",
    "description": "Put a skip on the road outside your home.",
    "attributes": [
        {"code": "REGISTRATION", "description": "Skip company's registration", "datatype": "string", "required": True},
        {"code": "WEEKS", "description": "How many weeks?", "datatype": "number", "required": True},
    ],
    "signInRequired": True,
    "feePence": 3500,
    "routeTo": "LICENSING",
    "expectedDays": 5,
}


async def codes(client) -> dict[str, dict]:
    return {s["code"]: s for s in (await graphql(client, SERVICES)).json()["data"]["services"]}


async def test_the_three_demo_services_are_offered(api):
    _, client = api
    offered = await codes(client)
    assert offered["TAXI_DRIVER_LICENCE"]["fee"] == {"pence": 21500}
    assert offered["BULKY_WASTE"]["fee"] == {"pence": 2500}
    assert offered["PREMISES_LICENCE"]["signInRequired"] is True


async def test_an_admin_defines_a_service_another_process_offers_it_and_a_resident_applies_and_pays(
    own_council, staff_token, issuer, residents
):
    admin = staff_token(Role.ADMIN)
    async with running_app(own_council) as (_, first_process):
        defined = (await graphql(first_process, DEFINE, admin, {"input": SKIP_LICENCE})).json()["data"]["defineService"]
        assert defined["userErrors"] == []
        assert defined["service"]["version"] == 1
    # A second gateway process on the same store offers it without a restart of anything.
    async with serving_app(replace(own_council, reconcile_interval_seconds=0)) as (_, second_process):
        assert "SKIP_PERMIT" in await codes(second_process)
        token = issuer.resident_token(residents[2]["email"])
        report = {
            "serviceCode": "SKIP_PERMIT",
            "description": "Skip for the kitchen refit",
            "attributes": [{"code": "REGISTRATION", "value": "CBDU12345"}, {"code": "WEEKS", "value": "2"}],
            "returnUrl": "https://my.tamworth.example/done",
        }
        made = (await graphql(second_process, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert made["userErrors"] == []
        assert made["request"]["serviceName"] == "Apply for a skip permit"
        # It has a fee: asked for with its payment, and sent to the CRM once that is paid.
        assert made["request"]["delivery"] == {"state": "HELD", "system": "CRM"}
        assert made["payment"]["amount"] == {"pence": 3500} and made["payment"]["nextUrl"]
        payment = {
            "purpose": "SERVICE",
            "serviceCode": "SKIP_PERMIT",
            "amountPence": 3500,
            "idempotencyKey": "skip-fee",
            "returnUrl": "https://my.tamworth.example/done",
        }
        paid = (await graphql(second_process, PAY, token, {"input": payment})).json()["data"]["makePayment"]
        assert paid["userErrors"] == [{"field": ["input", "serviceCode"], "code": "PAID_WITH_ITS_REQUEST"}]
        missing = {**report, "attributes": [{"code": "REGISTRATION", "value": "CBDU1"}]}
        refused = (await graphql(second_process, REPORT, token, {"input": missing})).json()["data"]["reportIssue"]
        assert refused["userErrors"][0]["code"] == "REQUIRED"


async def test_versions_and_retirement(own_council, staff_token):
    admin = staff_token(Role.ADMIN)
    async with running_app(own_council) as (_, client):
        await graphql(client, DEFINE, admin, {"input": SKIP_LICENCE})
        changed = {**SKIP_LICENCE, "name": "Skip permit (road)", "feePence": 4000}
        updated = (await graphql(client, UPDATE, admin, {"input": changed})).json()["data"]["updateService"]
        assert updated["service"] == {"code": "SKIP_PERMIT", "name": "Skip permit (road)", "version": 2}
        assert (await codes(client))["SKIP_PERMIT"]["fee"] == {"pence": 4000}
        retired = (await graphql(client, RETIRE, admin, {"input": {"code": "SKIP_PERMIT"}})).json()["data"]
        assert retired["retireService"]["service"] == {"code": "SKIP_PERMIT", "retired": True}
        assert "SKIP_PERMIT" not in await codes(client)
        again = (await graphql(client, RETIRE, admin, {"input": {"code": "SKIP_PERMIT"}})).json()["data"]
        assert again["retireService"]["userErrors"][0]["code"] == "RETIRED"


async def test_only_admins_define_services_and_bad_definitions_are_refused(own_council, staff_token, issuer, residents):
    async with running_app(own_council) as (_, client):
        for token in (issuer.resident_token(residents[0]["email"]), staff_token(Role.CUSTOMER_SERVICES), None):
            body = (await graphql(client, DEFINE, token, {"input": SKIP_LICENCE})).json()["data"]["defineService"]
            assert body["service"] is None and body["userErrors"][0]["code"] == "FORBIDDEN"
        admin = staff_token(Role.ADMIN)
        cases = [
            ({"code": "bad code"}, ["input", "code"], "INVALID_CODE"),
            ({"code": "LITTER"}, ["input", "code"], "DUPLICATE_CODE"),
            ({"routeTo": "NOWHERE"}, ["input", "routeTo"], "UNKNOWN_ROUTE"),
            ({"feePence": -5}, ["input", "feePence"], "INVALID_FEE"),
            (
                {
                    "attributes": [
                        {"code": "SIZE", "description": "Size", "datatype": "singlevaluelist", "required": True}
                    ]
                },
                ["input", "attributes", "0", "values"],
                "VALUES_REQUIRED",
            ),
            (
                {"attributes": [{"code": "SIZE", "description": "Size", "datatype": "colour", "required": True}]},
                ["input", "attributes", "0", "datatype"],
                "INVALID_DATATYPE",
            ),
        ]
        for change, field, code in cases:
            body = (await graphql(client, DEFINE, admin, {"input": {**SKIP_LICENCE, **change}})).json()
            errors = body["data"]["defineService"]["userErrors"]
            assert (errors[0]["field"], errors[0]["code"]) == (field, code), change
        assert "SKIP_PERMIT" not in await codes(client)
