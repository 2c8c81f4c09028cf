"""Report a problem with a photo, in Debian's chromium with JavaScript off and on: the file chosen in a
plain file input, sent as a multipart form, shown on check your answers, kept without its GPS position.
(axe-core checks the photo step with every other page: `test_portal_browser.py`.)"""

from __future__ import annotations

import pytest

from customer360.settings import Settings
from tests.attachment_support import has_gps, photo
from tests.browser import chromium
from tests.portal_support import REFERENCE
from tests.support import serving_app
from tests.test_attachments import kept_bytes
from tests.test_portal_browser import sign_in
from tests.test_portal_journeys import intents_described


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_a_resident_reports_graffiti_with_a_photo_in_chromium(
    own_council: Settings, residents: list[dict[str, str]], tmp_path, javascript: bool
):
    description = f"Tags on the library wall (JavaScript {'on' if javascript else 'off'})"
    picture = tmp_path / "IMG_2041.jpg"
    picture.write_bytes(photo("JPEG", size=(120, 90)))
    async with serving_app(own_council) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in(page, base_url, residents[23 + javascript]["email"])
        await page.goto(f"{base_url}/report-a-problem/GRAFFITI")
        await page.get_by_label("Latitude").fill("52.6339")
        await page.get_by_label("Longitude").fill("-1.6950")
        await page.get_by_label("No").check()
        await page.get_by_label("Describe the problem").fill(description)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Add a photo (optional)").wait_for()
        await page.get_by_label("Upload a photo").set_input_files(str(picture))
        await page.get_by_role("button", name="Continue", exact=True).click()
        await page.get_by_role("heading", level=1, name="Check your answers before sending your report").wait_for()
        assert "JPEG, 120 by 90 pixels" in await page.locator(".govuk-summary-list").inner_text()
        await page.get_by_role("button", name="Send report").click()
        panel = page.locator(".govuk-panel")
        await panel.wait_for()
        found = REFERENCE.search(await panel.inner_text())
        await context.close()
    assert found
    kept = await intents_described(own_council, description)
    assert [k["reference"] for k in kept] == [found.group(0)]
    assert not has_gps(await kept_bytes(own_council, kept[0]["attachment_ids"][0]))
