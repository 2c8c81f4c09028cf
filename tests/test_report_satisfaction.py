"""The six-monthly report's satisfaction, by service and by channel, from ratings made through `rateService`
and suppressed as the `satisfaction` query suppresses them (the same figures: `Analytics.satisfaction`)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from customer360.auth.principal import Role
from customer360.cache.base import Stale
from customer360.clock import london_today
from customer360.demo.progress import progress
from customer360.domain.requests import RequestStatus
from customer360.reporting.command import main_report
from tests.support import graphql, serving_app
from tests.test_notifications import report
from tests.test_rate_service import RATE

# Eleven residents rate online: 41 / 11, seven of them a 4 or a 5; customer services record a twelfth, a 2,
# from a call. Litter (every rating): 43 / 12 = 3.58, 7 / 12 = 58%. By channel the phone's one caller is
# suppressed, and so is the web, which would give the caller away beside the service's total.
ONLINE = [5, 5, 5, 4, 4, 4, 3, 3, 2, 1, 5]
BY_PHONE = 2


def rows_of(table: str) -> dict[str, list[str]]:
    return {
        label: re.findall(r"<td class='n'>(.*?)</td>", cells)
        for label, cells in re.findall(r"<tr><th scope='row'>(.*?)</th>(.*?)</tr>", table)
    }


async def test_the_report_shows_satisfaction_by_service_and_channel_with_small_groups_suppressed(
    own_council, issuer, residents, staff_token, tmp_path
):
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        online = [(resident, rating, False) for resident, rating in zip(residents[20:31], ONLINE, strict=True)]
        for resident, rating, by_phone in [*online, (residents[31], BY_PHONE, True)]:
            token = issuer.resident_token(resident["email"])
            reference = await report(client, token)
            await progress(own_council, reference, RequestStatus.RESOLVED, "Cleared")
            await runtime.services.cache.forget(Stale(customers=[resident["customer_id"]]))
            if by_phone:  # told to customer services, who record it
                rate = {"reference": reference, "rating": rating, "customerId": resident["customer_id"]}
                token = staff_token(Role.CUSTOMER_SERVICES)
            else:
                rate = {"reference": reference, "rating": rating}
            answer = (await graphql(client, RATE, token, {"input": rate})).json()["data"]["rateService"]
            assert answer["userErrors"] == [], answer
    today = london_today()
    output = tmp_path / "report.html"
    assert await asyncio.to_thread(main_report, own_council, today - timedelta(days=181), today, output) == 0
    html = output.read_text(encoding="utf-8")

    section = re.search(r"<h2>Satisfaction</h2>(.*?)</section>", html, re.S)
    assert section, "the report has a satisfaction section"
    by_service, by_channel = re.findall(r"<table>.*?</table>", section.group(1), re.S)
    assert list(rows_of(by_service).values()) == [["12", "3.6", "58%"]]
    assert rows_of(by_channel) == {
        "Online": ["fewer than 10 people", "", ""],
        "Phone": ["fewer than 10 people", "", ""],
    }
    assert "Residents rated 12 finished requests 3.6 out of 5 on average; 58% were satisfied (a 4 or a 5)." in html
