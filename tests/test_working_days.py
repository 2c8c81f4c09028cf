"""Working days in England: weekends and bank holidays (with substitute days) do not count.

Expected dates are hard-coded from the GOV.UK bank holidays list for England and Wales:
2026: 1 Jan, 3 Apr (Good Friday), 6 Apr (Easter Monday), 4 May, 25 May, 31 Aug, 25 Dec (Fri),
      28 Dec (Mon, substitute for Boxing Day which is Saturday 26 Dec).
2027: 1 Jan (Fri), 26 Mar (Good Friday), 29 Mar (Easter Monday), 3 May, 31 May, 30 Aug,
      27 Dec and 28 Dec (substitutes: 25 Dec is a Saturday, 26 Dec a Sunday).
"""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.working_days import is_working_day, working_days_after


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 6, 15), True, id="ordinary-monday"),
        pytest.param(date(2026, 6, 12), True, id="ordinary-friday"),
        pytest.param(date(2026, 6, 13), False, id="saturday"),
        pytest.param(date(2026, 6, 14), False, id="sunday"),
        pytest.param(date(2026, 1, 1), False, id="new-year-2026-thursday"),
        pytest.param(date(2026, 4, 3), False, id="good-friday-2026"),
        pytest.param(date(2026, 4, 6), False, id="easter-monday-2026"),
        pytest.param(date(2026, 5, 4), False, id="early-may-2026"),
        pytest.param(date(2026, 5, 25), False, id="spring-2026"),
        pytest.param(date(2026, 8, 31), False, id="summer-2026"),
        pytest.param(date(2026, 12, 25), False, id="christmas-2026-friday"),
        pytest.param(date(2026, 12, 28), False, id="boxing-day-substitute-monday-2026"),
        pytest.param(date(2026, 12, 29), True, id="tuesday-after-christmas-2026"),
        pytest.param(date(2026, 12, 31), True, id="new-years-eve-2026-is-working"),
        pytest.param(date(2027, 1, 1), False, id="new-year-2027-friday"),
        pytest.param(date(2027, 3, 26), False, id="good-friday-2027"),
        pytest.param(date(2027, 3, 29), False, id="easter-monday-2027"),
        pytest.param(date(2027, 12, 27), False, id="christmas-substitute-2027"),
        pytest.param(date(2027, 12, 28), False, id="boxing-day-substitute-2027"),
        pytest.param(date(2026, 12, 24), True, id="christmas-eve-is-working"),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Fri 12 Jun 2026 + 1 -> skip Sat 13, Sun 14 -> Mon 15 Jun.
        pytest.param(date(2026, 6, 12), 1, date(2026, 6, 15), id="friday-start-1"),
        # Fri 12 Jun + 5 -> Mon 15, Tue 16, Wed 17, Thu 18, Fri 19 Jun.
        pytest.param(date(2026, 6, 12), 5, date(2026, 6, 19), id="friday-start-5"),
        # Sat 13 Jun + 1 -> Mon 15 Jun (the weekend start itself never counts).
        pytest.param(date(2026, 6, 13), 1, date(2026, 6, 15), id="saturday-start-1"),
        # Sun 14 Jun + 5 -> Mon 15 .. Fri 19 Jun.
        pytest.param(date(2026, 6, 14), 5, date(2026, 6, 19), id="sunday-start-5"),
        # Mon 15 Jun + 10 -> 16,17,18,19 (4), 22..26 (9), Mon 29 Jun (10).
        pytest.param(date(2026, 6, 15), 10, date(2026, 6, 29), id="monday-start-10"),
        pytest.param(date(2026, 6, 15), 0, date(2026, 6, 15), id="zero-days-is-start"),
        # Thu 24 Dec 2026 + 1: Fri 25 (Christmas), Sat 26, Sun 27, Mon 28 (substitute) -> Tue 29 Dec.
        pytest.param(date(2026, 12, 24), 1, date(2026, 12, 29), id="christmas-2026-1"),
        # Thu 24 Dec 2026 + 5: Tue 29 (1), Wed 30 (2), Thu 31 (3), [Fri 1 Jan holiday, weekend],
        # Mon 4 Jan (4), Tue 5 Jan 2027 (5).
        pytest.param(date(2026, 12, 24), 5, date(2027, 1, 5), id="christmas-new-year-2026-5"),
        # Thu 31 Dec 2026 + 1: Fri 1 Jan 2027 holiday, weekend -> Mon 4 Jan 2027.
        pytest.param(date(2026, 12, 31), 1, date(2027, 1, 4), id="new-year-2027-1"),
        # Thu 2 Apr 2026 + 1: Good Fri 3, weekend, Easter Mon 6 -> Tue 7 Apr.
        pytest.param(date(2026, 4, 2), 1, date(2026, 4, 7), id="easter-2026-1"),
        # Thu 2 Apr 2026 + 5: Tue 7 (1), 8, 9, Fri 10 (4), Mon 13 Apr (5).
        pytest.param(date(2026, 4, 2), 5, date(2026, 4, 13), id="easter-2026-5"),
        # Thu 25 Mar 2027 + 1: Good Fri 26, weekend, Easter Mon 29 -> Tue 30 Mar 2027.
        pytest.param(date(2027, 3, 25), 1, date(2027, 3, 30), id="easter-2027-1"),
        # Fri 1 May 2026 + 1: weekend, Mon 4 May holiday -> Tue 5 May.
        pytest.param(date(2026, 5, 1), 1, date(2026, 5, 5), id="early-may-2026"),
        # Fri 22 May 2026 + 1: weekend, Mon 25 May holiday -> Tue 26 May.
        pytest.param(date(2026, 5, 22), 1, date(2026, 5, 26), id="spring-bank-holiday-2026"),
        # Fri 28 Aug 2026 + 1: weekend, Mon 31 Aug holiday -> Tue 1 Sep.
        pytest.param(date(2026, 8, 28), 1, date(2026, 9, 1), id="summer-bank-holiday-2026"),
        # Wed 29 Apr 2026 + 5: Thu 30 (1), Fri 1 May (2), [weekend, Mon 4 May], Tue 5 (3), Wed 6 (4), Thu 7 (5).
        pytest.param(date(2026, 4, 29), 5, date(2026, 5, 7), id="through-early-may-2026-5"),
        # Fri 24 Dec 2027 + 1: Sat 25, Sun 26, Mon 27 and Tue 28 substitutes -> Wed 29 Dec 2027.
        pytest.param(date(2027, 12, 24), 1, date(2027, 12, 29), id="christmas-2027-two-substitutes"),
    ],
)
def test_working_days_after(start: date, days: int, expected: date) -> None:
    assert working_days_after(start, days) == expected
