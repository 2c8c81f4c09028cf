"""Rating a finished request from its page in the portal (Debian chromium, JavaScript off and on):
nothing chosen is refused in the error summary, a rating is thanked for and kept once; axe-core clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer360.auth.tokens import DemoIssuer
from customer360.cache.base import Stale
from customer360.demo.progress import progress
from customer360.domain.requests import RequestStatus
from customer360.settings import Settings
from tests.browser import chromium
from tests.support import serving_app
from tests.test_notifications import report
from tests.test_portal_browser import Audit, sign_in
from tests.test_staff_dashboard_browser import screenshots


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_rating_a_finished_request_in_the_portal(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path, javascript: bool
):
    resident = residents[18]
    async with serving_app(own_council) as (app, client), chromium() as browser:
        runtime = app.state.runtime
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=javascript, bypass_csp=True)
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "rating") if javascript else None

        async def check(name: str) -> None:
            if audit:
                await audit.check(name)

        await sign_in(page, base_url, resident["email"])
        reference = await report(client, issuer.resident_token(resident["email"]))  # a request, made by the API
        await progress(own_council, reference, RequestStatus.RESOLVED, "Swept up")
        await runtime.services.cache.forget(Stale(customers=[resident["customer_id"]]))
        await page.goto(f"{base_url}/my-requests/{reference}")
        await page.get_by_role("heading", level=2, name="Tell us how we did").wait_for()
        await check("request-finished")
        await page.get_by_role("button", name="Send feedback").click()
        await page.locator(".govuk-error-summary").wait_for()
        await check("rating-errors")
        await page.get_by_label("Satisfied", exact=True).check()
        await page.get_by_label("How could we improve? (optional)").fill("Quicker next time")
        await page.get_by_role("button", name="Send feedback").click()
        await page.locator(".govuk-notification-banner--success").wait_for()
        await check("rated")
        await context.close()
        kept = await runtime.services.feedback.rating_of(reference)
    assert kept == 4
    if audit:
        audit.assert_clean()
