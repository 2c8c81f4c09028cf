"""Every portal journey in real Chromium (Debian's, through Playwright), with JavaScript off and on: report
a safeguarding concern (the 999 advice first), report a problem found by street name with what is already
reported near it, a fee-paying service paid on the hosted payment page, apply for and end a single person
discount (the recalculated instalments shown before confirming), pay Council Tax, tell us you are moving
(double-clicked: one request), apply for housing (saved, signed out, resumed, sent), escalate a complaint,
My requests filtered by status. With JavaScript on, axe-core runs on every page at 320 px and 1280 px and
each page is saved as docs/screenshots/portal-<journey>-<page>.png (with `C360_SCREENSHOTS`). One journey
is then completed by keyboard alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.settings import Settings
from tests.browser import chromium
from tests.portal_support import REFERENCE
from tests.support import graphql, serving_app
from tests.test_portal_browser import Audit, sign_in
from tests.test_portal_journeys import resident_living_alone
from tests.test_staff_dashboard_browser import screenshots

COMPLAINTS = "{ me { complaints(first: 50) { edges { node { id reference stage respondedAt } } } } }"
HOUSING = "{ me { housingApplications { reference } } }"
MOVES = "{ me { requests(first: 100) { edges { node { reference serviceCode } } } } }"


class NoAudit:
    """With JavaScript off axe cannot run in the page: the journey is driven, nothing audited."""

    async def check(self, name: str) -> None:
        return None

    def assert_clean(self) -> None:
        return None


async def resident_with_a_replied_complaint(
    client: httpx.AsyncClient, issuer: DemoIssuer, residents: list[dict[str, str]]
) -> tuple[dict[str, str], dict[str, Any]]:
    for resident in residents:
        me = (await graphql(client, COMPLAINTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        for edge in me["complaints"]["edges"]:
            if edge["node"]["stage"] == "STAGE_1" and edge["node"]["respondedAt"]:
                return resident, edge["node"]
    raise AssertionError("no demo resident with a replied complaint")


async def resident_without_housing_application(
    client: httpx.AsyncClient, issuer: DemoIssuer, residents: list[dict[str, str]], *, besides: set[str]
) -> dict[str, str]:
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        found = (await graphql(client, HOUSING, token)).json()["data"]["me"]["housingApplications"]
        if not found and resident["email"] not in besides:
            return resident
    raise AssertionError("no demo resident without a housing application")


async def panel_reference(page: Any) -> str:
    panel = page.locator(".govuk-panel")
    await panel.wait_for()
    found = REFERENCE.search(await panel.inner_text())
    assert found, await panel.inner_text()
    return found.group(0)


async def fill_date(page: Any, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    await group.get_by_label("Day").fill(str(day.day))
    await group.get_by_label("Month").fill(str(day.month))
    await group.get_by_label("Year").fill(str(day.year))


async def report_a_safeguarding_concern(page: Any, base_url: str, audit: Any) -> str:
    await page.goto(f"{base_url}/")
    await page.get_by_role("link", name="Report a safeguarding concern").click()
    await audit.check("safeguarding-danger")
    await page.get_by_role("button", name="Continue").click()
    await page.locator(".govuk-error-summary").wait_for()
    await audit.check("safeguarding-danger-error")
    await page.get_by_label("Yes").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Call 999 now").wait_for()
    await audit.check("safeguarding-call-999")
    await page.get_by_role("link", name="Tell us about your concern").click()
    await audit.check("safeguarding-question")
    await page.get_by_label("A child (under 18)").check()
    await page.get_by_label("What have you seen or heard?").fill("A young child left alone at night")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before sending your concern").wait_for()
    await audit.check("safeguarding-check-answers")
    await page.go_back()  # the back button, then forward again: check your answers is drawn from the draft
    await page.go_forward()
    await page.get_by_role("button", name="Send concern").click()
    reference = await panel_reference(page)
    await audit.check("safeguarding-confirmation")
    return reference


async def report_a_problem_found_by_street(page: Any, base_url: str, audit: Any) -> str:
    await page.goto(f"{base_url}/report-a-problem/BROKEN_GLASS")
    await page.get_by_label("Where is it?").fill("Lichfield Street")
    await page.get_by_role("button", name="Find addresses").click()
    await audit.check("report-find-address")
    await page.get_by_label("Addresses matching “Lichfield Street”").select_option(index=3)
    await page.get_by_label("Yes").check()
    await page.get_by_label("Describe the problem").fill("Broken bottle on the pavement")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before sending your report").wait_for()
    await page.get_by_role("button", name="Send report").click()
    first = await panel_reference(page)

    await page.goto(f"{base_url}/report-a-problem/BROKEN_GLASS?where=B79+7QE")  # the same place, again
    await page.get_by_label("Addresses matching “B79 7QE”").select_option(index=3)
    await page.get_by_label("No").check()
    await page.get_by_label("Describe the problem").fill("Still glass there")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=2, name="Problems already reported near here").wait_for()
    assert first in await page.locator("table").inner_text(), "the first report, before sending a second"
    await audit.check("report-nearby")
    return first


async def apply_for_and_end_a_discount(page: Any, account: dict[str, Any], audit: Any) -> None:
    await page.get_by_role("link", name="Apply for a single person discount").click()
    starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=3))
    await fill_date(page, "When did you start living alone?", starts_on)
    await page.get_by_label("I am the only adult (18 or over) living at the property").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("table", name="Your instalments with the discount").wait_for()
    await audit.check("discount-check-answers-instalments")
    await page.get_by_role("button", name="Send application").click()
    await panel_reference(page)

    await page.goto(page.url.split("/single-person-discount")[0] + "/council-tax")
    await page.get_by_role("link", name="End your single person discount").click()
    await audit.check("end-discount-question")
    await fill_date(page, "From what date should the discount end?", london_today() + timedelta(days=2))
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("table", name="Your instalments without the discount").wait_for()
    await audit.check("end-discount-check-answers")
    await page.get_by_role("button", name="End discount").click()
    await page.locator(".govuk-panel").wait_for()
    await audit.check("end-discount-confirmation")


async def pay_council_tax(page: Any, base_url: str, audit: Any) -> str:
    await page.goto(f"{base_url}/")
    await page.get_by_role("link", name="Make a payment").click()
    await audit.check("payment-question")
    await page.get_by_label("How much do you want to pay?").fill("25.50")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your payment").wait_for()
    await audit.check("payment-check")
    await page.get_by_role("button", name="Continue to payment").click()
    await audit.check("payment-to-provider")
    await page.get_by_role("button", name="Continue to the payment page").click()
    await page.get_by_role("heading", level=1, name="Pay £25.50").wait_for()  # the provider's hosted page
    await page.get_by_label("The card is accepted and the payment succeeds").check()
    await page.get_by_role("button", name="Continue").click()
    return await wait_for_payment(page, audit, "payment-confirmation")


async def wait_for_payment(page: Any, audit: Any, name: str) -> str:
    for _ in range(30):  # the provider's webhook may land a moment after the resident does
        if await page.locator(".govuk-panel").count():
            break
        await page.wait_for_timeout(300)
        await page.reload()
    reference = await panel_reference(page)
    await audit.check(name)
    return reference


async def pay_for_bulky_waste(page: Any, base_url: str, audit: Any) -> str:
    await page.goto(f"{base_url}/report-a-problem")
    await page.get_by_role("link", name="Bulky waste collection").click()
    await audit.check("fee-question")
    await page.get_by_label("Latitude").fill("52.6339")
    await page.get_by_label("Longitude").fill("-1.6950")
    await page.get_by_label("Sofa").check()
    await page.get_by_label("How many items").fill("2")
    await page.get_by_label("Describe the problem").fill("A sofa and a chair")
    await page.get_by_role("button", name="Continue").click()
    # Signed in, a photo of the problem is offered next; it is optional.
    await page.get_by_role("button", name="Continue without a photo").click()
    await audit.check("fee-check-answers")
    await page.get_by_role("button", name="Continue to payment").click()
    await page.get_by_role("button", name="Continue to the payment page").click()
    await page.get_by_label("The card is accepted and the payment succeeds").check()
    await page.get_by_role("button", name="Continue").click()
    return await wait_for_payment(page, audit, "fee-confirmation")


async def tell_us_you_are_moving(page: Any, base_url: str, audit: Any, *, double_click: bool) -> str:
    await page.goto(f"{base_url}/")
    await page.get_by_role("link", name="Tell us you are moving").click()
    await audit.check("moving-question")
    await page.get_by_role("button", name="Continue").click()
    await page.locator(".govuk-error-summary").wait_for()
    await audit.check("moving-errors")
    await page.get_by_label("Out of Tamworth").check()
    await fill_date(page, "When do you move?", london_today() + timedelta(days=20))
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before telling us you are moving").wait_for()
    await audit.check("moving-check-answers")
    send = page.get_by_role("button", name="Send")
    await (send.dblclick() if double_click else send.click())
    reference = await panel_reference(page)
    await audit.check("moving-confirmation")
    return reference


async def apply_for_housing_saving_first(page: Any, base_url: str, email: str, audit: Any) -> str:
    await page.goto(f"{base_url}/")
    await page.get_by_role("link", name="Apply for housing").click()
    await audit.check("housing-question")
    await fill_date(page, "What is your date of birth?", date(1990, 5, 17))
    await page.get_by_role("button", name="Save and come back later").click()
    await page.get_by_role("heading", level=1, name="Your application has been saved").wait_for()
    await audit.check("housing-saved")
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, base_url, email)
    await page.get_by_role("link", name="My requests").click()
    await page.get_by_role("heading", level=2, name="Saved, not sent yet").wait_for()
    await audit.check("housing-draft-in-my-requests")
    await page.locator("table").get_by_role("link", name="Apply for housing").click()
    assert await page.get_by_role("group", name="What is your date of birth?").get_by_label("Year").input_value() == (
        "1990"
    )
    await page.get_by_label("Who is person 1 to you?").select_option("CHILD")
    await fill_date(page, "Person 1's date of birth", date(2017, 2, 3))
    await page.get_by_label("Renting from a private landlord").check()
    await page.get_by_label("Why do you need to move?").fill("Our flat has one bedroom")
    await page.get_by_label("Under £15,000").check()
    await page.get_by_label("I have lived or worked in Tamworth for 2 years or more").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", level=1, name="Check your answers before applying").wait_for()
    await audit.check("housing-check-answers")
    await page.get_by_role("button", name="Send application").click()
    reference = await panel_reference(page)
    await audit.check("housing-confirmation")
    return reference


async def escalate_a_complaint(page: Any, complaint: dict[str, Any], audit: Any) -> None:
    await page.get_by_role("link", name="Escalate a complaint").click()
    await audit.check("escalation-question")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Escalate complaint").click()
    await page.locator(".govuk-error-summary").wait_for()
    await audit.check("escalation-errors")
    await page.locator(f"input[value='{complaint['id']}']").check()
    await page.get_by_label("Why are you not happy with our reply?").fill("The fence is still broken")
    await page.get_by_role("button", name="Continue").click()
    await audit.check("escalation-check-answers")
    await page.get_by_role("button", name="Escalate complaint").click()
    await page.locator(".govuk-panel").wait_for()
    assert complaint["reference"] in await page.locator(".govuk-panel").inner_text()
    await audit.check("escalation-confirmation")


async def my_requests_by_status(page: Any, base_url: str, audit: Any) -> None:
    await page.goto(f"{base_url}/my-requests")
    await page.get_by_label("Submitted").check()
    await page.get_by_role("button", name="Filter").click()
    await page.get_by_role("heading", level=1, name="My requests").wait_for()
    assert "status=SUBMITTED" in page.url
    for status in await page.locator("tbody .govuk-tag").all_inner_texts():
        assert status in ("Submitted", "Draft"), status
    await audit.check("my-requests-filtered")


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_every_journey_in_chromium(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], javascript: bool, tmp_path: Path
):
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        alone, account = await resident_living_alone(client, issuer, residents)
        complainant, complaint = await resident_with_a_replied_complaint(client, issuer, residents)
        applicant = await resident_without_housing_application(
            client, issuer, residents, besides={alone["email"], complainant["email"]}
        )
        base_url = str(client.base_url).rstrip("/")
        # bypass_csp only so axe can be injected into the page (with JavaScript on)
        context = await browser.new_context(
            java_script_enabled=javascript, bypass_csp=javascript, viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        audit = Audit(page, screenshots(tmp_path), "portal") if javascript else NoAudit()

        assert (await report_a_safeguarding_concern(page, base_url, audit)).startswith("C360-")
        await report_a_problem_found_by_street(page, base_url, audit)

        await sign_in(page, base_url, alone["email"])
        await apply_for_and_end_a_discount(page, account, audit)
        await pay_council_tax(page, base_url, audit)
        moved = await tell_us_you_are_moving(page, base_url, audit, double_click=not javascript)
        await my_requests_by_status(page, base_url, audit)
        await page.get_by_role("button", name="Sign out").click()

        await sign_in(page, base_url, applicant["email"])
        await apply_for_housing_saving_first(page, base_url, applicant["email"], audit)
        await page.get_by_role("button", name="Sign out").click()

        await sign_in(page, base_url, complainant["email"])
        await escalate_a_complaint(page, complaint, audit)
        await pay_for_bulky_waste(page, base_url, audit)
        await context.close()

        token = issuer.resident_token(alone["email"])
        mine = (await graphql(client, MOVES, token)).json()["data"]["me"]["requests"]["edges"]
    assert [e["node"]["reference"] for e in mine].count(moved) == 1, "a double click made one request"
    audit.assert_clean()


async def tab_to(page: Any, predicate: str, limit: int = 80) -> None:
    """Presses Tab until the focused element satisfies `predicate` (a JavaScript expression on `el`)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(() => {{ const el = document.activeElement; return !!({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached {predicate}")


async def test_tell_us_you_are_moving_by_keyboard_alone(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    """From Your account to the confirmation with Tab, arrows, typing and Enter: no click anywhere."""
    resident = residents[6]
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await sign_in(page, base_url, resident["email"])
        await tab_to(page, "el.textContent.trim() === 'Tell us you are moving'")
        await page.keyboard.press("Enter")
        await page.get_by_role("heading", level=1, name="Tell us you are moving").wait_for()
        await tab_to(page, "el.name === 'kind'")  # the first radio; the arrows choose within the group
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        assert await page.evaluate("document.activeElement.value") == "OUT"
        moves_on = london_today() + timedelta(days=30)
        for part, value in (("day", moves_on.day), ("month", moves_on.month), ("year", moves_on.year)):
            await tab_to(page, f"el.name === 'move-date-{part}'")
            await page.keyboard.type(str(value))
        await tab_to(page, "el.textContent.trim() === 'Continue'")
        await page.keyboard.press("Enter")
        await page.get_by_role(
            "heading", level=1, name="Check your answers before telling us you are moving"
        ).wait_for()
        await tab_to(page, "el.textContent.trim() === 'Send'")
        await page.keyboard.press("Enter")
        reference = await panel_reference(page)
    assert reference.startswith("C360-")
