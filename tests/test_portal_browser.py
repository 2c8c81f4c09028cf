"""The resident portal in a real browser (Debian's chromium through Playwright): the complaint journey
with JavaScript off and on, and axe-core on every page at 320 px and 1280 px wide.

axe-core is vendored in tests/vendor/axe-core (no network at test time). Pages are saved as
screenshots to a temporary directory, or to docs/screenshots/ with `C360_SCREENSHOTS=docs/screenshots`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.settings import Settings
from tests.browser import axe_violations, chromium
from tests.portal_support import REFERENCE
from tests.support import serving_app
from tests.test_portal_journeys import resident_living_alone
from tests.test_staff_dashboard_browser import screenshots

WIDTHS = (320, 1280)


class Audit:
    """Runs axe on each page visited, at every width, and remembers what it found per page."""

    def __init__(self, page: Any, shots: Path, prefix: str) -> None:
        self.page, self.shots, self.prefix = page, shots, prefix
        self.found: dict[str, list[dict[str, Any]]] = {}

    async def check(self, name: str) -> None:
        for width in WIDTHS:
            await self.page.set_viewport_size({"width": width, "height": 900})
            self.found[f"{name} @{width}px"] = await axe_violations(self.page)
        await self.page.screenshot(path=self.shots / f"{self.prefix}-{name}.png", full_page=True)

    def assert_clean(self) -> None:
        dirty = {page: found for page, found in self.found.items() if found}
        assert not dirty, json.dumps(dirty, indent=1)


async def sign_in(page: Any, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/")
    await page.get_by_role("button", name="Sign in").click()  # the start button: a link styled and named as a button
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", level=1, name="Your account").wait_for()


async def make_a_complaint(page: Any, subject: str) -> str:
    """From the home page through question, check your answers and confirmation, sending each form with
    the keyboard; the reference."""
    await page.get_by_role("link", name="Make a complaint").click()
    await page.get_by_label("What is your complaint about?").fill(subject)
    await page.get_by_label("What went wrong?").fill("The bins were left in the road.")
    await page.keyboard.press("Tab")  # from the last answer to Continue, by keyboard alone
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent.trim()") == "Continue"
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", level=1, name="Check your answers before sending your complaint").wait_for()
    await page.get_by_role("button", name="Send complaint").focus()
    await page.keyboard.press("Enter")
    panel = page.locator(".govuk-panel")
    await panel.wait_for()
    found = REFERENCE.search(await panel.inner_text())
    assert found, "the confirmation panel shows the C360- reference"
    return found.group(0)


async def report_broken_glass(page: Any, description: str) -> str:
    """From "Report a problem" through the Broken glass questions (a radio, a place by latitude and
    longitude), check your answers and confirmation; the reference."""
    await page.get_by_role("link", name="Report a problem").first.click()
    await page.get_by_role("heading", level=1, name="Report a problem").wait_for()
    await page.get_by_role("link", name="Broken glass").click()
    await page.get_by_label("Latitude").fill("52.6339")
    await page.get_by_label("Longitude").fill("-1.6950")
    await page.get_by_label("Yes").check()
    await page.get_by_label("Describe the problem").fill(description)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before sending your report").wait_for()
    await page.get_by_role("button", name="Send report").click()
    panel = page.locator(".govuk-panel")
    await panel.wait_for()
    found = REFERENCE.search(await panel.inner_text())
    assert found, "the confirmation panel shows the C360- reference"
    return found.group(0)


async def apply_for_single_person_discount(page: Any, starts_on: date, audit: Audit | None = None) -> None:
    """From Your account through the date and the declaration, check your answers and confirmation."""
    await page.get_by_role("link", name="Apply for a single person discount").click()
    await page.get_by_label("Day").fill(str(starts_on.day))
    await page.get_by_label("Month").fill(str(starts_on.month))
    await page.get_by_label("Year").fill(str(starts_on.year))
    await page.get_by_label("I am the only adult (18 or over) living at the property").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before applying").wait_for()
    if audit:
        await audit.check("discount-check-answers")
    await page.get_by_role("button", name="Send application").click()
    await page.locator(".govuk-panel").wait_for()


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_anonymous_report_a_problem_journey_in_chromium(own_council: Settings, javascript: bool):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(f"{base_url}/")  # not signed in: a street problem needs no account
        await page.get_by_role("link", name="Report a problem").click()
        await page.get_by_role("link", name="Litter").click()
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("button", name="Send report").click()
        summary = page.locator(".govuk-error-summary")
        await summary.wait_for()
        assert await page.title() == "Error: Litter - My Tamworth - Tamworth Borough Council"
        await page.goto(f"{base_url}/")
        reference = await report_broken_glass(page, f"Glass by the swings (JavaScript {'on' if javascript else 'off'})")
        await context.close()
    assert reference.startswith("C360-")


async def test_single_person_discount_journey_in_chromium_without_javascript(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        resident, account = await resident_living_alone(client, issuer, residents)
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in(page, base_url, resident["email"])
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=3))
        await apply_for_single_person_discount(page, starts_on)
        assert REFERENCE.search(await page.locator(".govuk-panel").inner_text()), "the panel shows the reference"
        await context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_complaint_journey_in_chromium(
    own_council: Settings, residents: list[dict[str, str]], javascript: bool, tmp_path: Path
):
    resident = residents[4]
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in(page, base_url, resident["email"])

        # Refused first: the API's userErrors come back as the error summary, linked to each field.
        await page.get_by_role("link", name="Make a complaint").click()
        initialised = await page.locator("button[data-govuk-button-init]").count()
        assert initialised == (1 if javascript else 0), "GOV.UK Frontend's module runs under the CSP, when it may"
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("button", name="Send complaint").click()
        summary = page.locator(".govuk-error-summary")
        await summary.wait_for()
        assert await page.title() == "Error: Make a complaint - My Tamworth - Tamworth Borough Council"
        await summary.get_by_role("link", name="Enter a subject").click()
        if javascript:  # GOV.UK Frontend moves focus to the field the summary links to
            assert await page.evaluate("document.activeElement.id") == "subject"
        await page.get_by_role("link", name="Back").click()

        reference = await make_a_complaint(page, f"Bins (JavaScript {'on' if javascript else 'off'})")
        await page.get_by_role("link", name="My requests").click()
        await page.get_by_role("heading", level=1, name="My requests").wait_for()
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("heading", level=1, name="You have signed out").wait_for()
        await context.close()
    assert reference.startswith("C360-")


async def test_every_portal_page_has_no_axe_violations(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        resident, account = await resident_living_alone(client, issuer, residents)
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(bypass_csp=True)  # only so axe can be injected into the page
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "portal")

        await page.goto(f"{base_url}/")
        await audit.check("start")
        await page.get_by_role("button", name="Sign in").click()
        await audit.check("sign-in")
        await page.get_by_role("button", name="Sign in").click()
        await page.locator(".govuk-error-summary").wait_for()
        await audit.check("sign-in-error")
        await page.get_by_label("Email address").fill(resident["email"])
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", level=1, name="Your account").wait_for()
        await audit.check("home")

        await page.get_by_role("link", name="Council Tax").click()
        await page.get_by_role("heading", level=1, name="Council Tax").wait_for()
        await audit.check("council-tax")
        await page.goto(f"{base_url}/my-requests")
        await audit.check("my-requests")
        await page.locator("table a.govuk-link").first.click()
        await page.get_by_role("heading", level=2, name="History").wait_for()
        await audit.check("request")
        await page.goto(f"{base_url}/my-requests/C360-NOTAREAL")
        await audit.check("not-found")

        await page.goto(f"{base_url}/make-a-complaint")
        await audit.check("complaint-question")
        await page.get_by_role("button", name="Continue").click()
        await audit.check("complaint-check-answers")
        await page.get_by_role("button", name="Send complaint").click()
        await page.locator(".govuk-error-summary").wait_for()
        await audit.check("complaint-errors")
        await page.get_by_label("What is your complaint about?").fill("Noise")
        await page.get_by_label("What went wrong?").fill("Every night after midnight.")
        await page.get_by_label("What would you like us to do? (optional)").fill("Ask them to stop.")
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("button", name="Send complaint").click()
        await page.locator(".govuk-panel").wait_for()
        await audit.check("complaint-confirmation")

        await page.goto(f"{base_url}/report-a-problem")
        await audit.check("report-choose")
        await page.get_by_role("link", name="Fly-tipping").click()  # every datatype but a single-value list
        await audit.check("report-question-fly-tipping")
        await page.goto(f"{base_url}/report-a-problem/GRAFFITI")  # radios, and the addresses near home
        await audit.check("report-question")
        await page.get_by_label("Latitude").fill("north")
        await page.get_by_role("button", name="Continue").click()
        await page.locator(".govuk-error-summary").wait_for()
        await audit.check("report-errors")
        await page.get_by_label("Latitude").fill("")
        await page.get_by_label("An address near your home").select_option(index=1)
        await page.get_by_label("No").check()
        await page.get_by_label("Describe the problem").fill("Tags on the garage doors")
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Add a photo (optional)").wait_for()
        await audit.check("report-photo")
        await page.get_by_role("button", name="Continue without a photo").click()
        await audit.check("report-check-answers")
        await page.get_by_role("button", name="Send report").click()
        await page.locator(".govuk-panel").wait_for()
        await audit.check("report-confirmation")

        await page.goto(f"{base_url}/single-person-discount")
        await audit.check("discount-question")
        await page.get_by_role("button", name="Continue").click()
        await page.locator(".govuk-error-summary").wait_for()
        await audit.check("discount-errors")
        await page.goto(f"{base_url}/")
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=3))
        await apply_for_single_person_discount(page, starts_on, audit)
        await audit.check("discount-confirmation")
        await page.goto(f"{base_url}/single-person-discount/check-answers")  # sent: back to the questions
        await page.get_by_role("button", name="Sign out").click()
        await audit.check("signed-out")
        await context.close()
    audit.assert_clean()
