"""Your home in real Chromium, JavaScript off and on (axe-core on every page with it on): a council tenant
sees the tenancy, the rent account and a statement whose last balance is the account's, pays rent through
the payment journey with RENT chosen, reports a repair (a refusal shown first, then check your answers and a
confirmation with the reference and Awaab's Law's deadlines) and finds it in Repairs in progress and in
My requests. A resident without a tenancy has no "Your home" link and a plain page saying so. Staff see
the tenancy, the arrears and the open repairs with their deadlines on the 360 view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.settings import Settings
from tests.browser import axe_violations, chromium
from tests.portal_support import REFERENCE
from tests.support import graphql, serving_app
from tests.tenancy_support import add_a_repair_about_to_miss, tenant_and_not
from tests.test_direct_debit import SET_UP, bank, post
from tests.test_portal_browser import Audit, sign_in
from tests.test_portal_browser_journeys import NoAudit, panel_reference
from tests.test_staff_dashboard_browser import (
    chromium_page,
    dashboard_on_a_port,
    expect_text,
    rows_of,
    screenshots,
)

REQUESTS = "{ me { requests(first: 100) { edges { node { reference serviceCode } } } } }"


async def your_home(page: Any, tenancy: dict[str, Any], audit: Any, direct_debit_served: bool) -> None:
    await page.get_by_role("link", name="Your home").click()
    await page.get_by_role("heading", level=1, name="Your home").wait_for()
    summary = await page.locator(".govuk-summary-list").first.inner_text()
    assert tenancy["reference"] in summary
    statement = page.get_by_role("table", name="Rent statement")
    balances = await statement.locator("tbody tr td:last-child").all_inner_texts()
    assert balances[-1].strip() == tenancy["rentAccount"]["balance"]["formatted"], "the statement adds up"
    account = tenancy["rentAccount"]
    if account["balance"]["pence"] > 0:
        assert f"{account['arrears']['formatted']} in arrears" in await page.locator("main").inner_text()
    direct_debit = page.get_by_role("link", name="Pay by Direct Debit")
    if direct_debit_served:  # the Direct Debit journey is its own module; no link where it is not served
        assert await direct_debit.get_attribute("href") == f"/direct-debit?account={tenancy['reference']}"
    else:
        assert not await direct_debit.count()
    await audit.check("your-home")


async def pay_rent_is_chosen(page: Any, base_url: str, tenancy: dict[str, Any], audit: Any) -> None:
    await page.goto(f"{base_url}/your-home")
    await page.get_by_role("button", name="Pay rent").click()
    await page.get_by_role("heading", level=1, name="Make a payment").wait_for()
    assert await page.locator(f'input[value="rent:{tenancy["reference"]}"]').is_checked()
    await audit.check("pay-rent-question")
    await page.get_by_label("How much do you want to pay?").fill("10.00")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your payment").wait_for()
    assert f"Rent, tenancy {tenancy['reference']}" in await page.locator(".govuk-summary-list").inner_text()


async def report_a_repair(page: Any, base_url: str, audit: Any) -> str:
    await page.goto(f"{base_url}/your-home")
    await page.get_by_role("link", name="Report a repair").first.click()
    await page.get_by_role("heading", level=1, name="Report a repair").wait_for()
    await audit.check("repair-question")
    await page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert "Select what needs repairing" in await summary.inner_text()
    await audit.check("repair-question-error")
    await page.get_by_label("Damp or mould", exact=True).check()
    await page.get_by_label("Which room is it in?").fill("Back bedroom")
    await page.get_by_label("What is wrong?").fill("Black mould spreading behind the wardrobe")
    await page.get_by_label("Yes, damp or mould").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before reporting the repair").wait_for()
    await audit.check("repair-check-answers")
    await page.get_by_role("button", name="Report repair").click()
    reference = await panel_reference(page)
    deadlines = await page.get_by_role("table", name="What we will do, and by when").inner_text()
    for step in ("Investigate the hazard", "Send you a written summary", "Start the work to make it safe"):
        assert step in deadlines, deadlines
    assert "Required by Awaab\u2019s Law" in deadlines
    await audit.check("repair-confirmation")
    return reference


async def repair_in_progress(page: Any, base_url: str, reference: str, audit: Any) -> None:
    await page.goto(f"{base_url}/your-home")
    card = page.locator(".govuk-summary-card", has_text=reference)
    await card.wait_for()
    text = await card.inner_text()
    assert "Back bedroom" in text and "Investigate the hazard" in text
    assert await card.get_by_role("link", name=reference).get_attribute("href") == f"/my-requests/{reference}"
    await audit.check("your-home-repairs")
    await page.goto(f"{base_url}/my-requests")
    assert reference in await page.locator("main").inner_text(), "a repair is in My requests too"


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_your_home_and_a_repair_in_chromium(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], javascript: bool, tmp_path: Path
):
    async with serving_app(own_council) as (app, client), chromium() as browser:
        tenant, tenancy, other = await tenant_and_not(client, issuer, residents)
        direct_debit_served = any(getattr(route, "path", None) == "/direct-debit" for route in app.routes)
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(
            java_script_enabled=javascript, bypass_csp=javascript, viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "portal") if javascript else NoAudit()

        await sign_in(page, base_url, tenant["email"])
        await your_home(page, tenancy, audit, direct_debit_served)
        await pay_rent_is_chosen(page, base_url, tenancy, audit)
        reference = await report_a_repair(page, base_url, audit)
        await repair_in_progress(page, base_url, reference, audit)
        await page.get_by_role("button", name="Sign out").click()

        await sign_in(page, base_url, other["email"])
        assert not await page.get_by_role("link", name="Your home").count(), "no tenancy: no Your home"
        await page.goto(f"{base_url}/your-home")
        await page.get_by_role("heading", level=1, name="You have no council tenancy").wait_for()
        await audit.check("your-home-none")
        await context.close()

        mine = (await graphql(client, REQUESTS, issuer.resident_token(tenant["email"]))).json()["data"]["me"]
    found = [e["node"] for e in mine["requests"]["edges"] if e["node"]["reference"] == reference]
    assert found == [{"reference": reference, "serviceCode": "REPAIR"}]
    assert REFERENCE.fullmatch(reference)
    audit.assert_clean()


async def test_staff_see_the_tenancy_arrears_and_open_repairs(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path
):
    shots = screenshots(tmp_path)
    async with serving_app(own_council) as (_app, client):
        tenant, tenancy, _ = await tenant_and_not(client, issuer, residents)
        report = {
            "tenancyReference": tenancy["reference"],
            "category": "DAMP_AND_MOULD",
            "room": "Hall",
            "description": "Damp patch by the front door",
        }
        mutation = "mutation($input: ReportRepairInput!) { reportRepair(input: $input) { repair { reference } } }"
        made = await graphql(client, mutation, issuer.resident_token(tenant["email"]), {"input": report})
        reference = made.json()["data"]["reportRepair"]["repair"]["reference"]
        resident = issuer.resident_token(tenant["email"])
        rent_input = {"input": bank(tenancy["reference"], paymentDay=3)}
        rent = (await post(client, SET_UP, resident, rent_input, "rent")).json()
        paying_rent = rent["data"]["setUpDirectDebit"]["directDebit"]["reference"]
        held = (await graphql(client, "{ me { councilTaxAccounts { reference liableTo } } }", resident)).json()
        accounts = [a for a in held["data"]["me"]["councilTaxAccounts"] if a["liableTo"] is None]
        council_tax = (await post(client, SET_UP, resident, {"input": bank(accounts[0]["reference"])}, "ct")).json()
        paying_council_tax = council_tax["data"]["setUpDirectDebit"]["directDebit"]["reference"]
    flagged = await add_a_repair_about_to_miss(own_council, tenancy["reference"])
    async with dashboard_on_a_port(own_council) as base_url, chromium_page(bypass_csp=True) as page:
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Hana Housing", [Role.HOUSING]))
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Name, email or postcode").fill(tenant["email"])
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("button", name=tenant["name"]).first.click()
        await expect_text(page.locator("#customer-status"), "Record loaded")
        await page.get_by_role("heading", level=2, name="Council home").wait_for()
        tenancies = page.get_by_role("table", name="Tenancies")
        row = await tenancies.locator("tbody tr").first.inner_text()
        assert tenancy["reference"] in row
        arrears = tenancy["rentAccount"]["arrears"]
        assert (arrears["formatted"] if arrears["pence"] > 0 else "None") in row
        repairs = await page.get_by_role("table", name="Open repairs").inner_text()
        assert reference in repairs and "Investigate" in repairs and "Awaab\u2019s Law" in repairs
        # The rent Direct Debit in the Council home section, the Council Tax one in its own: each masked.
        debits = await rows_of(page.get_by_role("table", name="Direct Debits on rent accounts"))
        assert debits[paying_rent][:4] == [tenancy["reference"], "••-••-30", "••••6819", "3"]
        assert debits[paying_rent][4] in ("Pending", "Active")
        on_council_tax = await rows_of(page.get_by_role("table", name="Direct Debits on Council Tax accounts"))
        assert list(on_council_tax[paying_council_tax][:2]) == [accounts[0]["reference"], "••-••-30"]
        assert paying_rent not in on_council_tax and paying_council_tax not in debits
        rows = await rows_of(page.get_by_role("table", name="Open repairs"))
        assert rows[flagged][-1] == "About to miss a deadline"
        assert rows[reference][-1] == "\N{EN DASH}", "a repair reported now is not flagged"
        await page.screenshot(path=shots / "staff-customer-tenancy.png", full_page=True)
        assert await axe_violations(page) == []

        # The revenues team may not see rent accounts: the section says so rather than "none".
        await page.evaluate("sessionStorage.clear()")
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Rae Revenues", [Role.REVENUES]))
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Name, email or postcode").fill(tenant["email"])
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("button", name=tenant["name"]).first.click()
        await expect_text(page.locator("#customer-status"), "Record loaded")
        await expect_text(page.locator("#customer-view"), "Council tenancy: not shown to your role.")
        shown = await page.locator("#customer-view").inner_text()
        assert tenancy["reference"] not in shown and "Direct Debits on rent accounts" not in shown
        debits = await rows_of(page.get_by_role("table", name="Direct Debits on Council Tax accounts"))
        assert debits[paying_council_tax][:4] == [accounts[0]["reference"], "••-••-30", "••••6819", "28"]
        assert paying_rent not in debits, "a rent account's Direct Debit is not the revenues team's"
