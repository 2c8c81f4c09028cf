"""GraphiQL (demo mode's in-browser IDE at `GET /graphql`) with every asset served from the package.

Strawberry's own page loads React and GraphiQL from a CDN, and shows only "Loading..." on a network
without the internet, as many council networks are. This page loads the copies vendored in
`static/vendor/` (`refresh-graphiql.sh` refreshes them from the npm registry, with their licences);
asset URLs carry a digest of the assets, so they are cached and never stale after an upgrade.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from customer360.http.static_assets import CachedAssets

STATIC = Path(__file__).parent / "static"


def graphiql_page() -> str:
    assets = sorted(path for path in STATIC.rglob("*") if path.is_file() and path.name != "graphiql.html")
    version = hashlib.sha256(b"".join(path.read_bytes() for path in assets)).hexdigest()[:12]
    return (STATIC / "graphiql.html").read_text(encoding="utf-8").replace("{{version}}", version)


def graphiql_routes() -> list[BaseRoute]:
    return [Mount("/graphiql/static", app=CachedAssets(StaticFiles(directory=STATIC)), name="graphiql-static")]
