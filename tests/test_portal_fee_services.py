"""The portal offers no service with a fee until it can take the payment: on main a fee-paying service
(bulky waste) was linked from Your account and listed under Report a problem, and its journey always
ended in RETURN_URL_REQUIRED (the portal sends no returnUrl and reads no payment)."""

from __future__ import annotations

from customer360.settings import Settings
from tests.portal_support import links_of, sign_in
from tests.support import running_app

FEE_SERVICE = "/report-a-problem/BULKY_WASTE"


async def test_a_service_with_a_fee_is_neither_linked_nor_listed_nor_reachable(
    own_council: Settings, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        await sign_in(client, residents[2]["email"])
        home, choose = await client.get("/"), await client.get("/report-a-problem")
        assert home.status_code == 200 and choose.status_code == 200
        assert FEE_SERVICE not in links_of(home.text).values(), "not linked from Your account"
        listed = links_of(choose.text).values()
        assert FEE_SERVICE not in listed and "/report-a-problem/LITTER" in listed, "the others still are"
        assert (await client.get(FEE_SERVICE)).status_code == 404, "no journey that can only end in an error"
