"""addresses(search:): the gazetteer by postcode (however spelt) or street name, in the borough only,
and the portal's Report a problem finding the place with it and showing what is already reported there."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from customer360.domain.moving import FoundAddress
from customer360.domain.people import PostalAddress
from customer360.resolvers import gazetteer
from customer360.settings import Settings
from tests.portal_support import REFERENCE, csrf_of
from tests.support import graphql, running_app
from tests.test_portal_journeys import IN_BOROUGH, fill_report, send_twice_and_again

SEARCH = "query($s: String!) { addresses(search: $s) { line1 postcode uprn } }"


@pytest.mark.parametrize(
    ("search", "first", "count"),
    [
        ("B79 7QE", "1 Lichfield Street", 50),  # a postcode (its first 50 addresses)
        ("b797qe", "1 Lichfield Street", 50),  # however it is spelt
        ("lichfield street", "1 Lichfield Street", 50),  # a street name, case aside
        ("Lichfield", "1 Lichfield Street", 50),
        ("Beacon Street", None, 0),  # a street outside the borough (Lichfield): not for a report here
        ("WS13 7AA", None, 0),  # nor its postcode
        ("Nowhere Lane", None, 0),
    ],
)
async def test_addresses_by_postcode_or_street_name_in_the_borough(
    demo_settings: Settings, search: str, first: str | None, count: int
):
    async with running_app(demo_settings) as (_app, client):
        answer = (await graphql(client, SEARCH, variables={"s": search})).json()
    found = answer["data"]["addresses"]
    assert len(found) == count
    if first:
        assert found[0]["line1"] == first and found[0]["postcode"] == "B79 7QE" and found[0]["uprn"]


class BoundaryGazetteer:
    """A gazetteer whose best matches for a boundary street are the neighbour's houses (the demo's never
    are): 60 of them in Lichfield first, then 10 in the borough."""

    def matching(self, search: str) -> Iterator[FoundAddress]:
        for number in range(1, 71):
            address = PostalAddress(f"{number} Boundary Road", "B79 9ZZ", None, "Tamworth", f"9{number:05}")
            yield FoundAddress(address, in_borough=number > 60)


def test_addresses_in_the_borough_are_kept_before_the_limit_is_applied():
    info = SimpleNamespace(context=SimpleNamespace(services=SimpleNamespace(addresses=BoundaryGazetteer())))
    found = gazetteer.addresses(info, "  Boundary   Road ")  # type: ignore[arg-type]
    assert [f.address.line1 for f in found] == [f"{n} Boundary Road" for n in range(61, 71)]


@pytest.mark.parametrize("search", ["", "   ", "a", "x" * 101])
async def test_a_search_too_short_or_too_long_is_bad_user_input(demo_settings: Settings, search: str):
    async with running_app(demo_settings) as (_app, client):
        answer = await graphql(client, SEARCH, variables={"s": search})
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "search must be 2 to 100 characters"


async def test_report_a_problem_finds_the_place_by_street_and_shows_what_is_reported_near_it(own_council: Settings):
    async with running_app(own_council) as (_app, client):
        glass = {"attribute-0": "Yes", **IN_BOROUGH}
        first = await fill_report(client, "BROKEN_GLASS", {"description": "Glass by the bench", **glass})
        assert first.headers["location"] == "/report-a-problem/check-answers"
        await send_twice_and_again(client, "/report-a-problem/check-answers")
        reference = REFERENCE.search((await client.get("/report-a-problem/confirmation")).text)
        assert reference

        found = await client.get("/report-a-problem/BROKEN_GLASS", params={"where": "lichfield street"})
        assert "Addresses matching “lichfield street”" in found.text
        assert "1 Lichfield Street, B79 7QE" in found.text
        nowhere = await client.get("/report-a-problem/BROKEN_GLASS", params={"where": "Nowhere Lane"})
        assert "We found no address in Tamworth for “Nowhere Lane”" in nowhere.text

        again = {"description": "More glass", **glass, "csrf_token": csrf_of(found.text)}
        await client.post("/report-a-problem/BROKEN_GLASS", data=again)
        check = await client.get("/report-a-problem/check-answers")
    assert "Problems already reported near here" in check.text
    assert reference.group(0) in check.text, "the first report, by the reference its reporter was given"
