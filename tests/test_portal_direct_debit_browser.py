"""Pay by Direct Debit in real Chromium, with JavaScript off and on: from the Council Tax page's link,
a refusal shown beside its fields, check your answers with the bank details masked, the confirmation
with its reference, and the Direct Debit Guarantee on each page; the Council Tax page then shows it, and
it is cancelled from there (a confirm page saying what happens next, a confirmation with its reference).
With JavaScript on, axe-core runs on every page at 320 px and 1280 px. Rent, from Your home without
JavaScript: set up, shown masked on Your home, and cancelled from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer360.auth.tokens import DemoIssuer
from customer360.settings import Settings
from tests.browser import chromium
from tests.portal_support import REFERENCE
from tests.support import serving_app
from tests.test_direct_debit import council_tax_payers, tenants
from tests.test_portal_browser import Audit, sign_in
from tests.test_portal_browser_journeys import NoAudit
from tests.test_staff_dashboard_browser import screenshots

GUARANTEE = "you are entitled to a full and immediate refund"


async def fill(page, *, sort_code: str, declaration: bool) -> None:
    await page.get_by_label("Name on the account").fill("A Resident")
    await page.get_by_label("Sort code").fill(sort_code)
    await page.get_by_label("Account number").fill("3192 6819")
    await page.get_by_label("Day of the month to pay on").fill("15")
    box = page.get_by_label("I am the account holder and the only person needed to authorise debits from this account")
    if declaration:
        await box.check()
    else:
        await box.uncheck()


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_pay_by_direct_debit_in_chromium(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], javascript: bool, tmp_path: Path
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        ((resident, account),) = await council_tax_payers(client, issuer, residents, 1, who=True)
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(
            java_script_enabled=javascript, bypass_csp=javascript, viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "portal-direct-debit") if javascript else NoAudit()
        await sign_in(page, base_url, resident["email"])
        await page.goto(f"{base_url}/council-tax")
        await page.get_by_role("link", name=f"Pay account {account['reference']} by Direct Debit").click()
        await page.get_by_role("heading", level=1, name="Pay by Direct Debit").wait_for()
        assert await page.locator(f"input[name=account][value='{account['reference']}']").is_checked()
        assert GUARANTEE in await page.locator("#direct-debit-guarantee").inner_text()
        await audit.check("question")

        # Refused by the API: each problem beside its field, and in the summary.
        await fill(page, sort_code="30-94-3", declaration=False)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Check your Direct Debit details").wait_for()
        await page.get_by_role("button", name="Set up Direct Debit").click()
        summary = page.locator(".govuk-error-summary")
        await summary.wait_for()
        text = await summary.inner_text()
        assert "Enter a valid sort code like 309430" in text and "Confirm you are the account holder" in text
        assert await page.locator("#sort-code-error").count() == 1
        await audit.check("question-refused")

        await fill(page, sort_code="30 94 30", declaration=True)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Check your Direct Debit details").wait_for()
        shown = await page.locator("main").inner_text()
        assert "••-••-30" in shown and "••••6819" in shown
        assert "31926819" not in shown and "3192 6819" not in shown and "30 94 30" not in shown
        assert GUARANTEE in shown
        await audit.check("check-answers")

        await page.get_by_role("button", name="Set up Direct Debit").click()
        panel = page.locator(".govuk-panel")
        await panel.wait_for()
        made = REFERENCE.search(await panel.inner_text())
        assert made, "the panel shows the reference"
        assert GUARANTEE in await page.locator("main").inner_text()
        await audit.check("confirmation")

        await page.goto(f"{base_url}/council-tax")
        listed = await page.locator("main").inner_text()
        assert "Direct Debit active: sort code ••-••-30, account ••••6819, collected on day 15 of each month" in listed
        assert await page.get_by_role("link", name=f"Pay account {account['reference']} by Direct Debit").count() == 0
        await audit.check("council-tax")

        # Cancelled from the Council Tax page: a confirm page with what happens next, then the reference.
        await page.get_by_role("link", name=f"Cancel this Direct Debit for account {account['reference']}").click()
        await page.get_by_role("heading", level=1, name="Cancel this Direct Debit").wait_for()
        shown = await page.locator("main").inner_text()
        assert "••-••-30" in shown and "••••6819" in shown and "31926819" not in shown
        assert "Your instalments stay on the dates they are now" in shown and made.group(0) in shown
        await audit.check("cancel")
        await page.get_by_role("button", name="Cancel Direct Debit").click()
        await panel.wait_for()
        assert "Direct Debit cancelled" in await panel.inner_text() and made.group(0) in await panel.inner_text()
        await audit.check("cancelled")
        await page.goto(f"{base_url}/council-tax")
        listed = await page.locator("main").inner_text()
        assert "Direct Debit cancelled: sort code ••-••-30" in listed
        assert await page.get_by_role("link", name=f"Pay account {account['reference']} by Direct Debit").count() == 1
        await context.close()
    audit.assert_clean()


async def test_rent_by_direct_debit_from_your_home_without_javascript(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        ((resident, tenancy),) = await tenants(client, issuer, residents, 1, who=True)
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in(page, base_url, resident["email"])
        await page.goto(f"{base_url}/your-home")
        await page.get_by_role("link", name="Pay by Direct Debit").first.click()
        await page.get_by_role("heading", level=1, name="Pay by Direct Debit").wait_for()
        assert await page.locator(f"input[name=account][value='{tenancy}']").is_checked()
        await fill(page, sort_code="309430", declaration=True)
        await page.get_by_label("Day of the month to pay on").fill("3")
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("button", name="Set up Direct Debit").click()
        made = REFERENCE.search(await page.locator(".govuk-panel").inner_text())
        assert made

        # Your home shows it, masked, and cancels it: rent is then due each Monday again.
        await page.goto(f"{base_url}/your-home")
        assert "sort code ••-••-30, account ••••6819, collected on day 3 of each month" in await page.inner_text("main")
        await page.get_by_role("link", name=f"Cancel this Direct Debit for tenancy {tenancy}").click()
        assert "Your rent will be due each Monday again" in await page.inner_text("main")
        await page.get_by_role("button", name="Cancel Direct Debit").click()
        panel = await page.locator(".govuk-panel").inner_text()
        assert "Direct Debit cancelled" in panel and made.group(0) in panel
        await page.get_by_role("link", name="Your home").click()
        assert "Direct Debit cancelled: sort code ••-••-30" in await page.inner_text("main")
        await context.close()
