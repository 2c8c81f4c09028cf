"""addresses(search:): the council's gazetteer searched by postcode or street name, so a resident can say
where a problem is without a map (FixMyStreet's first question)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.resolvers.context import Context
from customer360.schema.values import Address

MAX_ADDRESSES = 50


def addresses(info: Info[Context, Any], search: str) -> list[Address]:
    found = info.context.addresses.matching(search, MAX_ADDRESSES)
    return [Address.from_record(f.address) for f in found if f.in_borough]
