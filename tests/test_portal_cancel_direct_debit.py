"""Cancel a Direct Debit over plain HTTP (no JavaScript): the Council Tax page links to the confirm page,
which shows the instruction masked; a form without its CSRF token is refused; a double click and a resent
page cancel once, each shown the one confirmation with the reference; then there is nothing to cancel."""

from __future__ import annotations

import asyncio

from customer360.auth.tokens import DemoIssuer
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from tests.portal_support import csrf_of, form_token_of, links_of, sign_in
from tests.support import graphql, running_app
from tests.test_direct_debit import ACCOUNT_NUMBER, SET_UP, bank, council_tax_payers, me, post, tenants
from tests.test_portal import h1

REQUESTS = "{ me { requests(first: 100) { edges { node { reference serviceName } } } } }"


def cancellations(requests: dict) -> list[str]:
    return [e["node"]["reference"] for e in requests["edges"] if e["node"]["serviceName"] == "Cancel a Direct Debit"]


async def test_a_double_click_cancels_a_direct_debit_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        ((resident, account),) = await council_tax_payers(client, issuer, residents, 1, who=True)
        reference, token = account["reference"], issuer.resident_token(resident["email"])
        made = (await post(client, SET_UP, token, {"input": bank(reference, paymentDay=15)}, "dd-1")).json()
        instruction = made["data"]["setUpDirectDebit"]["directDebit"]["reference"]
        await sign_in(client, resident["email"])

        council_tax = await client.get("/council-tax")
        href = links_of(council_tax.text)[f"Cancel this Direct Debit for account {reference}"]
        assert href == f"/direct-debit/cancel?account={reference}"
        confirm = await client.get(href)
        assert confirm.status_code == 200 and h1(confirm.text) == "Cancel this Direct Debit"
        assert "••-••-30" in confirm.text and "••••6819" in confirm.text and ACCOUNT_NUMBER not in confirm.text
        assert "Day 15 of each month" in confirm.text and instruction in confirm.text
        assert "Your instalments stay on the dates they are now" in confirm.text

        form = {"csrf_token": csrf_of(confirm.text), "form_token": form_token_of(confirm.text), "account": reference}
        refused = await client.post("/direct-debit/cancel", data={k: v for k, v in form.items() if k != "csrf_token"})
        assert refused.status_code == 403
        double = await asyncio.gather(*(client.post("/direct-debit/cancel", data=form) for _ in range(2)))
        retried = await client.post("/direct-debit/cancel", data=form)
        done = f"/direct-debit/cancel/confirmation?account={reference}"
        assert [answer.headers["location"] for answer in (*double, retried)] == [done] * 3
        confirmation = await client.get(done)
        assert h1(confirmation.text).startswith("Direct Debit cancelled") and instruction in confirmation.text

        mine = await me(client, token)
        assert [d["status"] for d in mine["directDebits"] if d["reference"] == instruction] == ["CANCELLED"]
        requests = (await graphql(client, REQUESTS, token)).json()["data"]["me"]["requests"]
        assert len(cancellations(requests)) == 1, "one cancellation for three sendings"
        again = await client.get(href)
        assert again.status_code == 404 and h1(again.text) == "There is no Direct Debit to cancel"
        assert "Cancel this Direct Debit" not in (await client.get("/council-tax")).text


async def test_your_home_shows_the_rent_direct_debit_and_cancels_it(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (app, client):
        ((resident, tenancy),) = await tenants(client, issuer, residents, 1, who=True)
        token = issuer.resident_token(resident["email"])
        made = (await post(client, SET_UP, token, {"input": bank(tenancy, paymentDay=3)}, "dd-rent")).json()
        assert made["data"]["setUpDirectDebit"]["userErrors"] == []
        await sign_in(client, resident["email"])
        home = await client.get("/your-home")
        assert "sort code ••-••-30, account ••••6819, collected on day 3 of each month" in home.text
        assert "Pay by Direct Debit" not in links_of(home.text), "one Direct Debit on an account at a time"
        app.state.runtime.faults.down.add(SourceSystem.REVENUES)  # Council Tax's office: not the tenancy's
        home = await client.get("/your-home")
        assert "We cannot show your tenancy" not in home.text and "collected on day 3 of each month" in home.text
        app.state.runtime.faults.down.discard(SourceSystem.REVENUES)
        confirm = await client.get(links_of(home.text)[f"Cancel this Direct Debit for tenancy {tenancy}"])
        assert "Your rent will be due each Monday again" in confirm.text
        form = {"csrf_token": csrf_of(confirm.text), "form_token": form_token_of(confirm.text), "account": tenancy}
        sent = await client.post("/direct-debit/cancel", data=form)
        confirmation = await client.get(sent.headers["location"])
        assert "Your rent is due each Monday again" in confirmation.text
        home = await client.get("/your-home")
        assert "Direct Debit cancelled" in home.text and "Pay by Direct Debit" in links_of(home.text)
        # Another resident's, or made up: nothing to cancel, the same answer.
        assert (await client.get("/direct-debit/cancel?account=60000000")).status_code == 404
        assert (await client.get("/direct-debit/cancel?account=<script>")).status_code == 404
