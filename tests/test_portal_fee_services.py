"""A service with a fee (bulky waste) in the portal: listed like any other, its questions answered, and
after check your answers the provider's hosted payment page, which sends the resident back to a
confirmation with the request's reference. A double click makes one request and one payment."""

from __future__ import annotations

import asyncio

import httpx

from customer360.auth.tokens import DemoIssuer
from customer360.settings import Settings
from tests.portal_support import REFERENCE, csrf_of, links_of, sign_in
from tests.support import graphql, serving_app
from tests.test_portal_journeys import IN_BOROUGH, send_twice_and_again

FEE_SERVICE = "/report-a-problem/BULKY_WASTE"
MINE = """{ me { requests(first: 100) { edges { node { reference serviceCode } } }
  payments(first: 50) { edges { node { reference status amount { pence } } } } } }"""


async def test_a_service_with_a_fee_is_reported_then_paid_on_the_hosted_page_and_comes_back_confirmed(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[2]
    async with serving_app(own_council) as (_app, client):
        await sign_in(client, resident["email"])
        assert FEE_SERVICE in links_of((await client.get("/report-a-problem")).text).values()
        question = await client.get(FEE_SERVICE)
        assert "This costs £" in question.text
        answers = {"attribute-0": "Sofa", "attribute-1": "2", "description": "A sofa to collect", **IN_BOROUGH}
        sent = await client.post(FEE_SERVICE, data={**answers, "csrf_token": csrf_of(question.text)})
        # A signed-in resident is offered a photo of the problem next; it is optional.
        assert sent.headers["location"] == "/report-a-problem/photo", (await client.get(FEE_SERVICE)).text
        check = await client.get("/report-a-problem/check-answers")
        assert "Continue to payment" in check.text
        assert (
            await send_twice_and_again(client, "/report-a-problem/check-answers")
            == ["/report-a-problem/confirmation"] * 3
        )
        to_provider = await client.get("/report-a-problem/confirmation")
        next_url = links_of(to_provider.text)["Continue to the payment page"]
        async with httpx.AsyncClient() as browser:
            assert (await browser.get(next_url)).status_code == 200
            back = await browser.post(next_url, data={"outcome": "success"})
        assert back.headers["location"].endswith("/report-a-problem/paid")
        for _ in range(50):
            confirmation = await client.get("/report-a-problem/paid")
            if "Payment complete" in confirmation.text:
                break
            await asyncio.sleep(0.2)
        reference = REFERENCE.search(confirmation.text.split("govuk-panel__body", 1)[1])
        mine = (await graphql(client, MINE, issuer.resident_token(resident["email"]))).json()["data"]["me"]
    assert reference, confirmation.text
    requests = [e["node"] for e in mine["requests"]["edges"] if e["node"]["serviceCode"] == "BULKY_WASTE"]
    assert [r["reference"] for r in requests].count(reference.group(0)) == 1
    made_here = [e["node"] for e in mine["payments"]["edges"] if e["node"]["reference"].startswith("C360-")]
    assert [p["status"] for p in made_here] == ["SUCCESS"], "one payment however often the form was sent"
