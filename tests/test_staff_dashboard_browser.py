"""The staff dashboard in a real browser: Debian's chromium, driven by Playwright, against the app on a port.

Signs in with a staff token, finds a resident, opens their 360 view, looks at the analytics, and
decides pairs in the match review queue; each main screen is saved: to a temporary directory, or to
docs/screenshots/ (the published ones) with `C360_SCREENSHOTS=docs/screenshots pytest
tests/test_staff_dashboard_browser.py`, so an ordinary test run leaves the working tree alone.
Locally the test skips when chromium or Playwright is missing; under CI=true that is a failure (CI
installs both: see .ci/run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.routing import Mount

from customer360.app import create_app
from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.settings import Settings
from customer360.staff.routes import staff_routes
from customer360.store.database import create_engine, migrate
from customer360.store.feedback import FeedbackStore, NewRating
from tests.browser import axe_violations, chromium
from tests.history import council_with_history


@pytest.fixture(scope="module")
def council(demo_settings: Settings, issuer: DemoIssuer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """After `issuer`: the copy must hold the signing key the tokens are made with."""
    return council_with_history(demo_settings, tmp_path_factory.mktemp("dashboard") / "council")


@pytest.fixture
def stewards_council(demo_settings: Settings, issuer: DemoIssuer, tmp_path: Path) -> Settings:
    """A council of one test's own, for deciding pairs changes the store (after `issuer`, as above)."""
    copy = tmp_path / "council"
    shutil.copytree(demo_settings.data_dir, copy)
    return replace(demo_settings, data_dir=copy)


@asynccontextmanager
async def dashboard_on_a_port(settings: Settings) -> AsyncIterator[str]:
    """The gateway with the dashboard routes in front of it, on a loopback port; yields the base URL."""
    gateway = create_app(settings)
    async with LifespanManager(gateway, startup_timeout=60) as manager:
        app = Starlette(routes=[*staff_routes(settings), Mount("/", app=manager.app)])
        async with serve_on_loopback(app) as base_url:
            yield base_url


@asynccontextmanager
async def chromium_page(bypass_csp: bool = False) -> AsyncIterator[object]:
    """`bypass_csp` only so axe can be injected into the page (the shell's CSP is tested on its own)."""
    async with chromium() as browser:
        yield await browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)


async def test_dashboard_shell_is_csp_friendly(council: Settings):
    async with dashboard_on_a_port(council) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        page = await client.get("/staff")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and '<script src="/staff/static/staff.js?v=' in page.text
        script = await client.get(page.text.split('<script src="', 1)[1].split('"', 1)[0])
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert script.headers["x-content-type-options"] == "nosniff"


def screenshots(tmp_path: Path) -> Path:
    """Where this run saves its screenshots: `C360_SCREENSHOTS` (docs/screenshots to publish them) or tmp."""
    chosen = Path(os.environ.get("C360_SCREENSHOTS") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


async def expect_text(locator: object, text: str) -> None:
    from playwright.async_api import expect  # here, not at the top: the module must import without Playwright

    await expect(locator).to_contain_text(text)  # type: ignore[arg-type]  # retries until it does, or says what it saw


async def test_staff_sign_in_find_a_resident_and_open_their_360_view(
    council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path
):
    resident = residents[0]  # the best-connected demo resident: a record in every back office
    surname = resident["name"].split()[-1]
    shots = screenshots(tmp_path)
    async with dashboard_on_a_port(council) as base_url, chromium_page() as page:
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Sam Jones", [Role.CUSTOMER_SERVICES]))
        await page.screenshot(path=shots / "staff-sign-in.png")
        await page.get_by_role("button", name="Sign in").click()

        await page.get_by_role("heading", name="Find a customer").wait_for()
        assert await page.locator("#who-name").text_content() == "Sam Jones (customer_services)"
        assert not await page.get_by_role("link", name="Match review").is_visible(), "for data stewards only"
        await page.get_by_label("Name, email or postcode").fill(resident["email"])
        await page.keyboard.press("Enter")  # the search form works from the keyboard
        await expect_text(page.locator("#search-status"), "1 customer found")
        await page.get_by_label("Name, email or postcode").fill(surname)
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("button", name=resident["name"]).first.wait_for()
        await page.screenshot(path=shots / "staff-search-results.png", full_page=True)

        await page.get_by_role("button", name=resident["name"]).first.click()
        heading = page.get_by_role("heading", level=1, name=resident["name"])
        await heading.wait_for()
        await expect_text(page.locator("#customer-status"), "Record loaded")
        assert await page.evaluate("document.activeElement.id") == "customer-heading", "focus moves to the record"
        for section in ("Council Tax", "Requests", "Complaints", "Payments", "Linked records"):
            assert await page.get_by_role("heading", level=2, name=section).is_visible()
        linked = page.get_by_role("table", name="Back-office records linked to this customer")
        assert await linked.get_by_role("row").count() >= 6, "a header row and one row per back office"
        assert "%" in (await linked.get_by_role("cell").nth(1).text_content() or "")
        await page.get_by_role("table", name="Council Tax accounts").wait_for()
        await page.screenshot(path=shots / "staff-customer-360.png", full_page=True)


DASH = "\N{EN DASH}"

# (service, channel, rating, how many residents): two days ago, inside the page's default half-year.
# By service Fly-tipping's 2 residents are suppressed, and so is Graffiti (the smallest beside it); Litter's
# 22 are shown: 90 / 22 = 4.09, 12 of 22 satisfied (55%). By channel both are shown: online 104 / 23 = 4.52,
# all satisfied; by phone 32 / 12 = 2.67, none satisfied.
RATINGS = [("LITTER", "web", 5, 12), ("LITTER", "phone", 3, 10), ("GRAFFITI", "web", 4, 11),
           ("FLY_TIPPING", "phone", 1, 2)]  # fmt: skip


async def rate(settings: Settings) -> None:
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)
        store, when = FeedbackStore(engine), datetime.now(UTC) - timedelta(days=2)
        for service, channel, rating, residents in RATINGS:
            for number in range(residents):
                reference, who = f"C360-{service[:3]}{channel[:1]}{number:04d}", f"{service}-{channel}-{number}"
                await store.record(NewRating(reference, who, service, channel, rating, None, "resident", when))
    finally:
        await engine.dispose()


async def test_analyst_sees_the_analytics_charts(council: Settings, issuer: DemoIssuer, tmp_path: Path):
    shots = screenshots(tmp_path)
    await rate(council)
    async with dashboard_on_a_port(council) as base_url, chromium_page(bypass_csp=True) as page:
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Ada Analyst", [Role.ANALYST]))
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Analytics").click()
        await page.get_by_role("button", name="Show figures").click()
        await expect_text(page.locator("#analytics-status"), "loaded.")
        assert await page.locator("svg.chart").count() == 2
        assert await page.get_by_role("table", name="Demand").get_by_text("fewer than 10 people").count() >= 1
        # Journeys started: blank (a small group), a dash (withheld), zero, or at least ten.
        demand = page.get_by_role("table", name="Demand")
        started = await demand.locator("tbody tr td:nth-child(3)").all_text_contents()
        assert all(c in ("", DASH) or int(c.replace(",", "")) == 0 or int(c.replace(",", "")) >= 10 for c in started)
        assert await page.get_by_text(f"{DASH} withheld: a count from 1 to 9").count() == 2
        assert await page.get_by_role("table", name="Access by service").is_visible()
        assert await rows_of(page.get_by_role("table", name="Satisfaction by service")) == {
            "Fly-tipping": ["fewer than 10 people", "", ""],
            "Graffiti": ["fewer than 10 people", "", ""],
            "Litter": ["22", "4.1", "55%"],
        }
        assert await rows_of(page.get_by_role("table", name="Satisfaction by channel")) == {
            "Phone": ["12", "2.7", "0%"],
            "Online": ["23", "4.5", "100%"],
        }
        assert await axe_violations(page) == []
        await page.screenshot(path=shots / "staff-analytics.png", full_page=True)

        await page.get_by_role("link", name="Customers").click()
        await page.get_by_label("Name, email or postcode").fill("smith")
        await page.get_by_role("button", name="Search").click()
        await expect_text(page.locator("#search-status"), "Your roles do not allow this")  # no individuals


async def rows_of(table) -> dict[str, list[str]]:
    """A table's rows by their heading, each row's cells as shown."""
    rows = {}
    for row in await table.locator("tbody tr").all():
        rows[await row.locator("th").inner_text()] = [
            cell.strip() for cell in await row.locator("td").all_inner_texts()
        ]
    return rows


async def test_data_steward_decides_pairs_in_the_match_review_queue(
    stewards_council: Settings, issuer: DemoIssuer, tmp_path: Path
):
    shots = screenshots(tmp_path)
    async with dashboard_on_a_port(stewards_council) as base_url, chromium_page() as page:
        purposes: list[str | None] = []  # the X-Access-Purpose of each API request the page makes
        page.on("request", lambda r: "/graphql" in r.url and purposes.append(r.headers.get("x-access-purpose")))
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Dee Steward", [Role.DATA_STEWARD]))
        await page.get_by_role("button", name="Sign in").click()
        assert not await page.get_by_role("link", name="Analytics").is_visible()
        await page.get_by_role("link", name="Match review").click()

        await expect_text(page.locator("#review-status"), "most likely")
        assert await page.evaluate("document.activeElement.id") == "match-review-heading"
        pairs = page.locator("#review-list > li")
        assert 2 <= await pairs.count() <= 20, "the first page of 20"
        first = pairs.first
        assert "% likely the same person" in (await first.get_by_role("heading", level=2).text_content() or "")
        records = first.get_by_role("table", name="The two records")
        for field in ("System", "Record", "Name", "Date of birth", "Address", "Email", "Phone"):
            assert await records.get_by_role("rowheader", name=field, exact=True).count() == 1
        evidence = first.get_by_role("table", name="Evidence")
        assert await evidence.get_by_role("row").count() >= 3, "a header row and a row per comparison"
        assert await evidence.get_by_role("rowheader", name="Surname", exact=True).count() == 1
        box = await first.bounding_box()
        assert box is not None
        bottom = box["y"] + box["height"] + 16  # the page down to the end of the first pair, with its buttons
        clip = {"x": 0, "y": 0, "width": 1280, "height": bottom}
        await page.screenshot(path=shots / "staff-match-review.png", full_page=True, clip=clip)

        rejected = await first.get_attribute("data-id")
        await first.get_by_role("button", name="Different people").click()
        await expect_text(page.locator("#review-status"), "Marked as different people")
        assert await page.locator(f'#review-list > li[data-id="{rejected}"]').count() == 0, "the pair is gone"
        assert "pair-" in await page.evaluate("document.activeElement.id"), "focus moves to the next pair"

        merged = await pairs.first.get_attribute("data-id")
        await pairs.first.get_by_role("button", name="Same person").click()
        await expect_text(page.locator("#review-status"), "Merged into ")
        assert await page.locator(f'#review-list > li[data-id="{merged}"]').count() == 0
        assert await page.locator("#review-status").get_by_role("link").count() == 1, "a link to the merged record"

        assert purposes and all(p and "stewardship" in p for p in purposes), purposes


async def test_an_officer_acts_for_a_resident_by_phone_and_works_the_queue(
    stewards_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], tmp_path: Path
):
    """ "Act for this resident" on the 360 view makes a complaint the resident sees as made for them by
    phone; the work queue lists open cases soonest due first and moves one on."""
    resident = residents[0]
    shots = screenshots(tmp_path)
    async with dashboard_on_a_port(stewards_council) as base_url, chromium_page() as page:
        await page.goto(f"{base_url}/staff")
        await page.get_by_label("Staff token").fill(issuer.staff_token("Olive Officer", [Role.CUSTOMER_SERVICES]))
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Name, email or postcode").fill(resident["email"])
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("button", name=resident["name"]).first.click()
        await expect_text(page.locator("#customer-status"), "Record loaded")

        await page.get_by_role("heading", level=2, name="Act for this resident").wait_for()
        await page.get_by_label("By phone").check()
        await page.get_by_role("button", name="Act for this resident").click()
        await expect_text(page.locator("#acting-status"), f"Acting for {resident['name']} by phone until")
        await page.get_by_label("Subject").fill("Missed bin, reported by phone")
        await page.get_by_label("What went wrong, in the caller's words").fill("The bin was missed again this week.")
        await page.get_by_role("button", name="Make the complaint").click()
        await expect_text(page.locator("#acting-status"), "Complaint made for")
        status = await page.locator("#acting-status").text_content() or ""
        reference = status.split("reference ", 1)[1].split(".", 1)[0]
        await page.screenshot(path=shots / "staff-act-for-resident.png", full_page=True)

        await page.get_by_role("link", name="Work queue").click()
        await expect_text(page.locator("#queue-status"), "open case")
        queue = page.get_by_role("table", name="Cases, soonest due first")
        rows = await queue.locator("tbody tr").count()
        assert rows >= 1
        first = (await queue.locator("tbody tr th").first.text_content() or "").strip()
        await page.get_by_label("Case reference").fill(first)
        await page.get_by_label("New status").select_option("RESOLVED")
        await page.get_by_label("Note for the resident").fill("Collected today")
        await page.get_by_role("button", name="Move the case on").click()
        await expect_text(page.locator("#progress-status"), "is now resolved")
        await page.screenshot(path=shots / "staff-work-queue.png", full_page=True)

    async with dashboard_on_a_port(stewards_council) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        mine = await client.post(
            "/graphql",
            json={"query": "{ me { complaints(first: 50) { edges { node { reference channel } } } } }"},
            headers={"Authorization": f"Bearer {issuer.resident_token(resident['email'])}"},
        )
        complaints = [e["node"] for e in mine.json()["data"]["me"]["complaints"]["edges"]]
        assert {"reference": reference, "channel": "PHONE"} in complaints
