"""addresses(search:): the council's gazetteer searched by postcode or street name, so a resident can say
where a problem is without a map (FixMyStreet's first question)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from strawberry.types import Info

from customer360.domain.moving import ADDRESS_SEARCH_LENGTH, FoundAddress
from customer360.resolvers.context import Context
from customer360.resolvers.nearby import InvalidSearch

MAX_ADDRESSES = 50


def addresses(info: Info[Context, Any], search: str) -> list[FoundAddress]:
    """The first `MAX_ADDRESSES` in the borough: filtered before the limit, so addresses outside it
    never crowd out those inside."""
    search = " ".join(search.split())
    if len(search) not in ADDRESS_SEARCH_LENGTH:
        raise InvalidSearch(
            f"search must be {ADDRESS_SEARCH_LENGTH.start} to {ADDRESS_SEARCH_LENGTH.stop - 1} characters"
        )
    in_borough = (found for found in info.context.services.addresses.matching(search) if found.in_borough)
    return list(islice(in_borough, MAX_ADDRESSES))
