"""Working days in England and Wales: no weekends, no bank holidays (substitute days included).

Bank holidays come from the `holidays` package's UK calendar for England (which applies in
Wales too); it carries the substitute days the Banking and Financial Dealings Act 1971 sets
when a holiday falls on a weekend, and one-off days such as coronations.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(calendar.keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_after(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current
