"""Report a problem's photo step, as a browser without JavaScript sends it: a multipart form with the
session's CSRF token, the photo to the API's uploadAttachment, its id sent with the report once."""

from __future__ import annotations

import re

from customer360.settings import Settings
from tests.attachment_support import has_gps, pdf, photo
from tests.portal_support import REFERENCE, csrf_of, sign_in
from tests.support import running_app, settings_with
from tests.test_attachments import kept_bytes
from tests.test_portal_journeys import IN_BOROUGH, fill_report, intents_described, send_twice_and_again

PHOTO_PAGE = "/report-a-problem/photo"
CHECK = "/report-a-problem/check-answers"


def graffiti(description: str) -> dict[str, str]:
    return {**IN_BOROUGH, "attribute-0": "No", "attribute-1": "Brick", "description": description}


async def test_a_signed_in_resident_adds_a_photo_and_it_goes_with_the_report_cleaned(
    own_council: Settings, residents: list[dict[str, str]]
):
    description = "Tags on the underpass (with a photo)"
    async with running_app(own_council) as (_app, client):
        await sign_in(client, residents[20]["email"])
        answered = await fill_report(client, "GRAFFITI", graffiti(description))
        assert answered.headers["location"] == PHOTO_PAGE
        step = await client.get(PHOTO_PAGE)
        assert step.status_code == 200 and 'enctype="multipart/form-data"' in step.text
        token = csrf_of(step.text)

        # Without the session's CSRF token (a form on another site): refused, nothing uploaded.
        forged = await client.post(PHOTO_PAGE, data={"csrf_token": "forged"}, files={"photo": ("a.jpg", photo())})
        assert forged.status_code == 403

        # A PDF is not a photo: the step says so beside the field.
        refused = await client.post(PHOTO_PAGE, data={"csrf_token": token}, files={"photo": ("x.jpg", pdf())})
        assert refused.headers["location"] == PHOTO_PAGE
        again = (await client.get(PHOTO_PAGE)).text
        assert "govuk-error-summary" in again and 'href="#photo"' in again
        assert "The file must be a JPEG, PNG, WebP or HEIC photo" in again

        # Continue with nothing chosen: say so, unless they meant to go on without one.
        nothing = await client.post(PHOTO_PAGE, data={"csrf_token": token, "action": "upload"})
        assert nothing.headers["location"] == PHOTO_PAGE
        assert "Select a photo, or continue without one" in (await client.get(PHOTO_PAGE)).text

        with_gps = photo("PNG", size=(64, 48))
        added = await client.post(
            PHOTO_PAGE,
            data={"csrf_token": token, "action": "upload"},
            files={"photo": ("IMG.png", with_gps, "image/png")},
        )
        assert added.headers["location"] == CHECK
        check = (await client.get(CHECK)).text
        assert "PNG, 64 by 48 pixels" in check

        # Changing an answer keeps the photo.
        await fill_report(client, "GRAFFITI", graffiti(description))
        assert "PNG, 64 by 48 pixels" in (await client.get(CHECK)).text

        locations = await send_twice_and_again(client, CHECK)
        assert locations == ["/report-a-problem/confirmation"] * 3
        assert REFERENCE.search((await client.get("/report-a-problem/confirmation")).text)
    kept = await intents_described(own_council, description)
    assert len(kept) == 1 and len(kept[0]["attachment_ids"]) == 1
    stored = await kept_bytes(own_council, kept[0]["attachment_ids"][0])
    assert not has_gps(stored)


async def test_a_photo_can_be_removed_or_skipped_and_anonymous_visitors_are_not_asked(
    own_council: Settings, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        anonymous = await fill_report(client, "LITTER", {**IN_BOROUGH, "description": "Cans"})
        assert anonymous.headers["location"] != PHOTO_PAGE
        assert (await client.get(PHOTO_PAGE)).headers["location"] == CHECK
        assert "Photo" not in re.findall(r"<dt[^>]*>\s*([^<]+?)\s*</dt>", (await client.get(CHECK)).text)

    async with running_app(own_council) as (_app, client):
        await sign_in(client, residents[21]["email"])
        await fill_report(client, "GRAFFITI", graffiti("Tags on the bridge"))
        token = csrf_of((await client.get(PHOTO_PAGE)).text)
        await client.post(PHOTO_PAGE, data={"csrf_token": token}, files={"photo": ("a.jpg", photo())})
        assert "JPEG, 64 by 48 pixels" in (await client.get(CHECK)).text
        removed = await client.post(PHOTO_PAGE, data={"csrf_token": token, "action": "remove"})
        assert removed.headers["location"] == PHOTO_PAGE
        assert "No photo" in (await client.get(CHECK)).text
        skipped = await client.post(PHOTO_PAGE, data={"csrf_token": token, "action": "skip"})
        assert skipped.headers["location"] == CHECK


async def test_an_oversize_photo_is_refused_on_the_step(own_council: Settings, residents: list[dict[str, str]]):
    settings = settings_with(own_council, max_upload_bytes=1024 * 1024)
    async with running_app(settings) as (_app, client):
        await sign_in(client, residents[22]["email"])
        await fill_report(client, "GRAFFITI", graffiti("Tags on the wall"))
        token = csrf_of((await client.get(PHOTO_PAGE)).text)
        big = photo("PNG") + b"\0" * (1024 * 1024)
        await client.post(PHOTO_PAGE, data={"csrf_token": token}, files={"photo": ("big.png", big)})
        assert "The file must be 1 MB or smaller" in (await client.get(PHOTO_PAGE)).text
