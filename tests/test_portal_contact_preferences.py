"""The portal's "How we contact you" page in Debian chromium, JavaScript off and on: refused answers
shown in the error summary and beside their fields, text messages chosen, the next request told by
text and listed on the page; axe-core clean at each step (with JavaScript on, so axe can run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer360.auth.tokens import DemoIssuer
from customer360.settings import Settings
from tests.browser import chromium
from tests.support import serving_app
from tests.test_notifications import report
from tests.test_portal_browser import Audit, sign_in
from tests.test_staff_dashboard_browser import screenshots


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_choosing_text_messages_in_the_portal(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path, javascript: bool
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=javascript, bypass_csp=True)
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "contact") if javascript else None

        async def check(name: str) -> None:
            if audit:
                await audit.check(name)

        await sign_in(page, base_url, residents[13]["email"])
        await page.get_by_role("link", name="How we contact you").click()
        await page.get_by_role("heading", level=1, name="How we contact you").wait_for()
        assert await page.get_by_label("Email", exact=True).is_checked()
        assert await page.get_by_label("Email address").input_value() == residents[13]["email"]
        await check("preferences")

        await page.get_by_label("Email", exact=True).uncheck()
        await page.get_by_label("Text message").check()
        await page.get_by_label("UK mobile number").fill("01827 709709")  # a landline
        await page.get_by_role("button", name="Save").click()
        summary = page.locator(".govuk-error-summary")
        await summary.wait_for()
        assert "Enter a UK mobile number" in await summary.inner_text()
        assert await page.locator("#mobile-error").is_visible()
        await check("preferences-errors")

        await page.get_by_label("UK mobile number").fill("07700 900 982")
        await page.get_by_role("button", name="Save").click()
        await page.locator(".govuk-notification-banner--success").wait_for()
        assert await page.get_by_label("UK mobile number").input_value() == "+447700900982"
        await check("preferences-saved")

        reference = await report(client, issuer.resident_token(residents[13]["email"]))  # a request, made by the API
        await page.goto(f"{base_url}/contact-preferences")
        row = page.locator("table tbody tr").first
        await row.wait_for()
        text = await row.inner_text()
        assert "Text message" in text and reference in text
        await check("preferences-messages")
        await context.close()
    if audit:
        audit.assert_clean()
