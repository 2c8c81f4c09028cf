"""rateService once per finished request (resident, or customer services from a call), and
`satisfaction` by service and channel with small groups suppressed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from customer360.auth.principal import Role
from customer360.cache.base import Stale
from customer360.clock import london_today
from customer360.demo.progress import progress
from customer360.domain.feedback import RatingTally, SatisfactionFigures, satisfaction
from customer360.domain.requests import RequestStatus
from customer360.store.feedback import NewRating
from tests.support import graphql, serving_app
from tests.test_notifications import report

RATE = """
mutation($input: RateServiceInput!) { rateService(input: $input) {
  reference rating userErrors { field code message } } }
"""
SATISFACTION = """
query($from: Date!, $to: Date!, $by: [SatisfactionDimension!]!) { satisfaction(from: $from, to: $to, groupBy: $by) {
  service channel suppressed ratings averageRating satisfiedShare } }
"""


@pytest.mark.parametrize(
    ("tallies", "expected"),
    [
        # 10 residents: shown. (4+5+...)/ratings, pence-exact style: 10 ratings summing 42 -> 4.2; 7 of them 4 or 5.
        ([RatingTally("LITTER", None, 10, 10, 42, 7)], [SatisfactionFigures("LITTER", None, False, 10, 4.2, 0.7)]),
        # 9 residents: suppressed, whatever the figures.
        ([RatingTally("LITTER", None, 9, 12, 60, 12)], [SatisfactionFigures("LITTER", None, True)]),
        # One group suppressed beside others: the smallest shown one goes too, so it cannot be differenced out.
        (
            [
                RatingTally("LITTER", None, 30, 30, 90, 15),
                RatingTally("GRAFFITI", None, 12, 12, 36, 3),
                RatingTally("FLY_TIPPING", None, 3, 3, 15, 3),
            ],
            [
                SatisfactionFigures("LITTER", None, False, 30, 3.0, 0.5),
                SatisfactionFigures("GRAFFITI", None, True),
                SatisfactionFigures("FLY_TIPPING", None, True),
            ],
        ),
    ],
)
def test_satisfaction_figures_and_their_suppression(tallies, expected):
    assert satisfaction(tallies) == expected


async def test_a_resident_rates_a_finished_request_once(own_council, issuer, residents, staff_token):
    resident = residents[14]
    token = issuer.resident_token(resident["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        reference = await report(client, token)
        rate = {"reference": reference, "rating": 4, "comment": "Quick, thank you"}
        early = (await graphql(client, RATE, token, {"input": rate})).json()["data"]["rateService"]
        await progress(own_council, reference, RequestStatus.RESOLVED, "Cleared")
        await runtime.services.cache.forget(Stale(customers=[resident["customer_id"]]))
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "rate-1"}

        async def rated() -> dict:
            answer = await client.post("/graphql", json={"query": RATE, "variables": {"input": rate}}, headers=headers)
            return answer.json()["data"]["rateService"]

        answers = [*await asyncio.gather(rated(), rated()), await rated()]
        again = (await graphql(client, RATE, token, {"input": {**rate, "rating": 1}})).json()["data"]["rateService"]
        other = issuer.resident_token(residents[15]["email"])
        not_theirs = (await graphql(client, RATE, other, {"input": rate})).json()["data"]["rateService"]
        bad = (await graphql(client, RATE, token, {"input": {**rate, "rating": 6}})).json()["data"]["rateService"]
        kept = await runtime.services.feedback.rating_of(reference)
    assert [e["code"] for e in early["userErrors"]] == ["NOT_FINISHED"]
    assert all(a["userErrors"] == [] and a["rating"] == 4 for a in answers), answers
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_RATED"]
    assert [e["code"] for e in not_theirs["userErrors"]] == ["NOT_FOUND"]
    assert {e["code"] for e in bad["userErrors"]} >= {"INVALID_RATING"}
    assert kept == 4


async def test_customer_services_record_a_rating_from_a_call_and_analysts_see_satisfaction(
    own_council, issuer, residents, staff_token
):
    resident = residents[16]
    token = issuer.resident_token(resident["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        reference = await report(client, token)
        await progress(own_council, reference, RequestStatus.CLOSED, "Closed")
        await runtime.services.cache.forget(Stale(customers=[resident["customer_id"]]))
        call = {"reference": reference, "rating": 2, "customerId": resident["customer_id"]}
        refused = await graphql(client, RATE, staff_token(Role.ANALYST), {"input": call})
        recorded = (await graphql(client, RATE, staff_token(Role.CUSTOMER_SERVICES), {"input": call})).json()
        now = datetime.now(UTC)
        for number in range(10):  # ten more residents rated the same service on the web, ten on the phone
            await runtime.services.feedback.record(
                NewRating(f"C360-WEB{number:05d}", f"resident-{number}", "LITTER", "web", 5, None, "resident", now)
            )
            await runtime.services.feedback.record(
                NewRating(f"C360-TEL{number:05d}", f"caller-{number}", "LITTER", "phone", 3, None, "staff", now)
            )
        today = london_today().isoformat()
        week_ago = (london_today() - timedelta(days=7)).isoformat()
        variables = {"from": week_ago, "to": today, "by": ["SERVICE", "CHANNEL"]}
        analyst = (await graphql(client, SATISFACTION, staff_token(Role.ANALYST), variables)).json()
        resident_asks = (await graphql(client, SATISFACTION, token, variables)).json()
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert recorded["data"]["rateService"]["userErrors"] == []
    rows = {(row["service"], row["channel"]): row for row in analyst["data"]["satisfaction"]}
    assert rows[("LITTER", "web")] == {
        "service": "LITTER",
        "channel": "web",
        "suppressed": False,
        "ratings": 10,
        "averageRating": 5.0,
        "satisfiedShare": 1.0,
    }
    # 10 calls rated 3 and the one recorded by customer services, a 2: 32 / 11, none of them satisfied.
    assert (rows[("LITTER", "phone")]["ratings"], rows[("LITTER", "phone")]["averageRating"]) == (11, 2.91)
    assert rows[("LITTER", "phone")]["satisfiedShare"] == 0.0
    assert resident_asks["errors"][0]["extensions"]["code"] == "FORBIDDEN"
