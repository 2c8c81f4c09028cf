"""addresses(search:): the gazetteer's addresses as the API shows them (resolvers/gazetteer.py finds them)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.resolvers import gazetteer
from customer360.resolvers.context import Context
from customer360.schema.values import Address


def addresses(info: Info[Context, Any], search: str) -> list[Address]:
    return [Address.from_record(found.address) for found in gazetteer.addresses(info, search)]
