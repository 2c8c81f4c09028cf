"""STREET_SCENE: street cleansing, reached over Open311 GeoReport v2 (httpx).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.requests import ServiceRequestRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup, nothing
from customer360.sources.street_scene.open311_http import Open311Http
from customer360.sources.street_scene.port import StreetSceneSource

STREET_SCENE = BackOffice[StreetSceneSource](
    SourceSystem.STREET_SCENE,
    rank=50,
    adapters=(
        Adapter(
            "open311_http",
            lambda connection: Open311Http(
                connection.http_client,
                connection.config.url,
                api_key=connection.config.api_key,
                extensions=connection.config.extensions,
            ),
        ),
    ),
)

REQUESTS_BY_REPORTER = Lookup[StreetSceneSource, list[ServiceRequestRecord]](
    STREET_SCENE, "street_scene.requests_by_reporter", lambda source: source.requests_by_reporter, list
)

# The standard's read by id: a resident's reports as the gateway filed them, on a server without `account_id`.
REQUEST_BY_ID = Lookup[StreetSceneSource, ServiceRequestRecord | None](
    STREET_SCENE, "street_scene.requests_by_id", lambda source: source.requests_by_id, nothing
)

# The services street cleansing takes reports for; one key ("all"), read by resolvers/services.py.
SERVICES = "street_scene.services"
