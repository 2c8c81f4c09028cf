"""GraphiQL works on a network without the internet: every asset it loads comes from the gateway
(customer360/graphiql), so Chromium, with every request to another host failing, still renders it and
runs a query."""

from __future__ import annotations

from urllib.parse import urlsplit

from customer360.settings import Settings
from tests.browser import chromium
from tests.support import serving_app


async def test_graphiql_loads_and_runs_a_query_with_no_request_leaving_the_gateway(demo_settings: Settings):
    async with serving_app(demo_settings) as (_app, client), chromium() as browser:
        base_url = str(client.base_url).rstrip("/")
        gateway = urlsplit(base_url).netloc
        context = await browser.new_context()
        elsewhere: list[str] = []

        async def only_the_gateway(route, request):  # a network cut off from the internet
            if urlsplit(request.url).netloc == gateway or request.url.startswith("data:"):
                await route.continue_()
            else:
                elsewhere.append(request.url)
                await route.abort()

        await context.route("**/*", only_the_gateway)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        await page.goto(f"{base_url}/graphql?q=%7B%20services%20%7B%20code%20%7D%20%7D")
        await page.locator(".graphiql-editors").first.wait_for()
        assert "Loading..." not in await page.locator("#graphiql").inner_text()
        await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
        await page.locator(".result-window").get_by_text('"code"').first.wait_for()
        assert elsewhere == [], f"requests left the gateway: {elsewhere}"
        assert problems == [], problems
        await context.close()
