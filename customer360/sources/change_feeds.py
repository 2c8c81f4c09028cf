"""Each back office's change feed: the changes it made to requests since a point.

A feed is polled with the cursor it last returned (`changes_since`); a back office that pushes its
changes (a webhook, a message queue) fits the same port: its receiver keeps what arrives and
`changes_since` hands it over, so one loop turns every source's changes into request events.
Reads are at least once: a change may come again (an inclusive cursor, a replay after a crash), and
its `change_key` lets the gateway keep it once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.changes import ChangeBatch, RequestChange
from customer360.domain.people import PersonRecord
from customer360.domain.requests import OPEN311_STATUS, RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import SourceConfig
from customer360.sources.errors import SourceUnavailable


class ChangeFeed(Protocol):
    system: SourceSystem

    async def changes_since(self, cursor: str) -> ChangeBatch:
        """Changes at or after `cursor` (an opaque point the feed itself gave, or an ISO 8601 time)."""
        ...


class Open311ChangeFeed:
    """Open311 GeoReport v2 polled with `updated_after` on `GET requests.json`; each entry of a
    request's `history` at or after the cursor is one change. With the `reporters` extension, the
    reporters added or changed since come from `GET reporters.json?updated_after=`."""

    system = SourceSystem.STREET_SCENE

    def __init__(self, client: httpx.AsyncClient, base_url: str, api_key: str = "") -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key  # the council's key: without it the feed names no reporter and no reference
        self._has_reporters = bool(api_key)  # until the server answers 404: a plain server has no people feed

    async def changes_since(self, cursor: str) -> ChangeBatch:
        since = datetime.fromisoformat(cursor)
        try:
            response = await self._client.get(
                f"{self._base_url}/requests.json", params={"updated_after": cursor, "api_key": self._api_key}
            )
            response.raise_for_status()
            items: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET requests.json (changes): {type(exc).__name__}") from exc
        changes = []
        latest = since
        for item in items:
            latest = max(latest, datetime.fromisoformat(item["updated_datetime"]))
            for event in item.get("history", ()):
                at = datetime.fromisoformat(event["at"])
                if at < since:
                    continue
                is_new = event["at"] == item["requested_datetime"]
                changes.append(
                    RequestChange(
                        system=self.system,
                        change_key=f"{item['service_request_id']}:{event['at']}:{event.get('status', '')}",
                        backoffice_reference=item["service_request_id"],
                        external_reference=item.get("external_reference"),
                        owner_record_id=item.get("account_id"),
                        service_name=item.get("service_name") or item["service_code"],
                        # Open311 files a report `open` (our IN_PROGRESS); its filing is the receipt, so a
                        # crew sent later is a change of status, worth its message.
                        status=RequestStatus.SUBMITTED if is_new else OPEN311_STATUS.get(event.get("status", "")),
                        description=event["description"],
                        at=at,
                        is_new=is_new,
                    )
                )
        changes.sort(key=lambda change: change.at)
        # After the requests: a reporter saved with a report is seen by this read, whatever the requests moved
        # the cursor to.
        people = await self._reporters_since(cursor)
        # Inclusive: a change made in the same instant as the last one read is not missed (its key dedupes).
        return ChangeBatch(changes, latest.isoformat(), people)

    async def _reporters_since(self, cursor: str) -> list[PersonRecord]:
        if not self._has_reporters:
            return []
        try:
            response = await self._client.get(
                f"{self._base_url}/reporters.json", params={"updated_after": cursor, "api_key": self._api_key}
            )
            if response.status_code == 404:
                self._has_reporters = False
                return []
            response.raise_for_status()
            items: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET reporters.json (changes): {type(exc).__name__}") from exc
        return [
            PersonRecord(
                system=self.system,
                record_id=item["reporter_id"],
                forenames=item["first_name"],
                surname=item["last_name"],
                email=item.get("email"),
                phone=item.get("phone"),
            )
            for item in items
        ]


def change_feeds(
    configs: Mapping[SourceSystem, SourceConfig], client: httpx.AsyncClient, engines: Mapping[SourceSystem, AsyncEngine]
) -> list[ChangeFeed]:
    """A feed for each configured back office that offers one: Open311's `updated_after`, the SQL offices'
    audit tables, dated columns and people's `changed_at`. The payment provider has none: its payers
    arrive by the full reconciliation (`customer360 arrivals`), and payments made here are ours already."""
    from customer360.sources.benefits.changes import benefits_changes
    from customer360.sources.crm.changes import CrmChangeFeed
    from customer360.sources.housing.changes import housing_changes
    from customer360.sources.housing_management.changes import housing_management_changes
    from customer360.sources.revenues.changes import revenues_changes

    sql_feeds: dict[str, Callable[[AsyncEngine], ChangeFeed]] = {
        "revenues_sql": revenues_changes,
        "benefits_sql": benefits_changes,
        "housing_sql": housing_changes,
        "crm_sql": CrmChangeFeed,
        "housing_management_sql": housing_management_changes,
    }
    feeds: list[ChangeFeed] = []
    for system, config in configs.items():
        if config.kind == "open311_http":
            feeds.append(Open311ChangeFeed(client, config.url, config.api_key or ""))
        elif config.kind in sql_feeds and system in engines:
            feeds.append(sql_feeds[config.kind](engines[system]))
    return feeds
