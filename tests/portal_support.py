"""Helpers for the portal tests: reading its pages as a browser would, and signing in through them."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
REFERENCE = re.compile(r"\bC360-[A-Z0-9]{8}\b")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "every portal form carries a CSRF token"
    return found.group(1)


def form_token_of(html: str) -> str:
    found = FORM_TOKEN.search(html)
    assert found
    return found.group(1)


class Links(HTMLParser):
    """Every link's text and href, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._text).split()), self._href))
            self._href = None


def links_of(html: str) -> dict[str, str]:
    parser = Links()
    parser.feed(html)
    return dict(parser.links)


async def sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/sign-in")
    assert form.status_code == 200
    return await client.post("/sign-in", data={"email": email, "csrf_token": csrf_of(form.text)})
