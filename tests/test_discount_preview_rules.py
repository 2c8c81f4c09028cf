"""The instalments shown before a resident confirms a single person discount starting or ending: the
hand-worked accounts of test_discount_rules, previewed, pence-exact, and what cannot be previewed."""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.discount_preview import previewed_schedule
from tests.test_discount_rules import BILLED_APR_TO_NOV, DEC, FULL_YEAR_ACCOUNT, JAN, START_ACCOUNT, TODAY, _amounts

NOV_23, NOV_22 = date(2026, 11, 23), date(2026, 11, 22)


@pytest.mark.parametrize(
    ("account", "starts_on", "ends_on", "expected"),
    [
        # Net charge with a discount from 23 November: 218_431 - 431 - 19_300 = 198_700; billed to November
        # 174_745; left 23_955 over December and January: 11_978 (the odd penny first) and 11_977.
        (START_ACCOUNT, NOV_23, None, [*BILLED_APR_TO_NOV, (DEC, 11_978), (JAN, 11_977)]),
        # Ending a full-year discount on 22 November gives back 19_300: net 163_823 + 19_300 = 183_123;
        # billed to November 131_059; left 52_064 over December and January: 26_032 each.
        (FULL_YEAR_ACCOUNT, None, NOV_22, "ends"),
        (START_ACCOUNT, None, NOV_22, None),  # nothing to end
        (FULL_YEAR_ACCOUNT, NOV_23, None, None),  # one is there already
        (START_ACCOUNT, NOV_23, NOV_22, None),  # one change at a time
        (START_ACCOUNT, None, None, None),
    ],
)
def test_previewed_schedule(
    account: CouncilTaxAccountRecord, starts_on: date | None, ends_on: date | None, expected: object
) -> None:
    previewed = previewed_schedule(account, TODAY, starts_on=starts_on, ends_on=ends_on)
    if expected is None:
        assert previewed is None
    elif expected == "ends":
        assert previewed is not None
        amounts = _amounts(previewed)
        assert amounts[-2:] == [(DEC, 26_032), (JAN, 26_032)]
        assert sum(amount for _, amount in amounts) == 183_123
    else:
        assert previewed is not None and _amounts(previewed) == expected
