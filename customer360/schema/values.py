"""Small value types shared by every domain's types: Money, Address, UserError, PageInfo, Location."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import strawberry

from customer360.domain.money import CURRENCY, format_pence
from customer360.domain.people import PostalAddress
from customer360.domain.problems import Problem
from customer360.domain.requests import Location as LocationRecord


@strawberry.type(description="An amount of money in integer pence.")
class Money:
    pence: int
    currency: str
    formatted: str

    @classmethod
    def of(cls, pence: int) -> Self:
        return cls(pence=pence, currency=CURRENCY, formatted=format_pence(pence))


@strawberry.type
class Address:
    line1: str
    line2: str | None
    town: str | None
    postcode: str
    uprn: str | None

    @classmethod
    def from_record(cls, record: PostalAddress) -> Self:
        return cls(line1=record.line1, line2=record.line2, town=record.town, postcode=record.postcode, uprn=record.uprn)


@strawberry.type(description="Why a mutation's input was refused: the input path, a stable code, a message.")
class UserError:
    field: list[str] | None
    code: str
    message: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="Where something is: a point, and the address or UPRN if known.")
class Location:
    latitude: float
    longitude: float
    address: str | None
    uprn: str | None

    @classmethod
    def from_record(cls, record: LocationRecord) -> Self:
        return cls(latitude=record.latitude, longitude=record.longitude, address=record.address, uprn=record.uprn)


def user_errors(problems: Sequence[Problem]) -> list[UserError]:
    """The one mapping from domain `Problem`s to the API's `userErrors`."""
    return [
        UserError(
            field=list(problem.field) if problem.field else None, code=problem.code.value, message=problem.message
        )
        for problem in problems
    ]
