"""Complaint deadlines: 5 working days to acknowledge; 10 (stage 1) or 20 (stage 2) to respond.

Receipt dates count in Europe/London. Bank holidays used below (England, GOV.UK list): 25 Dec 2026
(Fri), 28 Dec 2026 (Mon, Boxing Day substitute), 1 Jan 2027 (Fri). June and July 2026 have none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from customer360.domain.complaints import ComplaintStage, deadlines, london_date

LONDON = ZoneInfo("Europe/London")
S1 = ComplaintStage.STAGE_1
S2 = ComplaintStage.STAGE_2


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 23:30 UTC on 30 June is 00:30 BST (UTC+1) on 1 July.
        pytest.param(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1), id="bst-late-evening-next-day"),
        # 22:59 UTC is 23:59 BST: still the same day.
        pytest.param(datetime(2026, 6, 30, 22, 59, tzinfo=UTC), date(2026, 6, 30), id="bst-before-midnight"),
        # In winter London is on GMT (UTC+0): 23:30 UTC stays on the same day.
        pytest.param(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 1), id="gmt-late-evening-same-day"),
        pytest.param(datetime(2026, 7, 1, 0, 30, tzinfo=LONDON), date(2026, 7, 1), id="already-london"),
    ],
)
def test_london_date(moment: datetime, expected: date) -> None:
    assert london_date(moment) == expected


@pytest.mark.parametrize(
    ("received", "acknowledged", "stage", "acknowledge_by", "respond_by"),
    [
        # Mon 15 Jun 2026: ack 16,17,18,19,22 -> Mon 22 Jun.
        # Not acknowledged: respond 10 w.d. after 22 Jun -> 23,24,25,26 (4), 29,30,1,2,3 (9), Mon 6 Jul (10).
        pytest.param(
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            None,
            S1,
            date(2026, 6, 22),
            date(2026, 7, 6),
            id="weekday-not-acknowledged",
        ),
        # Acknowledged early, Tue 16 Jun: respond 10 w.d. after 16 Jun ->
        # 17,18,19 (3), 22..26 (8), Mon 29 (9), Tue 30 Jun (10). The acknowledge_by date does not move.
        pytest.param(
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            datetime(2026, 6, 16, 9, 0, tzinfo=UTC),
            S1,
            date(2026, 6, 22),
            date(2026, 6, 30),
            id="weekday-acknowledged-early",
        ),
        # Acknowledged at 23:30 UTC on Tue 16 Jun = Wed 17 Jun in London: 18,19 (2), 22..26 (7),
        # 29, 30, Wed 1 Jul (10).
        pytest.param(
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            datetime(2026, 6, 16, 23, 30, tzinfo=UTC),
            S1,
            date(2026, 6, 22),
            date(2026, 7, 1),
            id="acknowledged-late-evening-utc-counts-london-day",
        ),
        # Received Sat 13 Jun: ack 15..19 -> Fri 19 Jun; respond 22..26 (5), 29 Jun..3 Jul (10) -> Fri 3 Jul.
        pytest.param(
            datetime(2026, 6, 13, 9, 0, tzinfo=UTC),
            None,
            S1,
            date(2026, 6, 19),
            date(2026, 7, 3),
            id="received-saturday",
        ),
        # 23:30 UTC Tue 30 Jun = 00:30 BST Wed 1 Jul: ack 2,3,6,7,8 -> Wed 8 Jul (not Tue 7 Jul, which a
        # UTC date would give); respond 9,10,13,14,15,16,17,20,21,22 -> Wed 22 Jul.
        pytest.param(
            datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
            None,
            S1,
            date(2026, 7, 8),
            date(2026, 7, 22),
            id="late-evening-utc-is-next-day-in-bst",
        ),
        # Wed 23 Dec 2026: ack Thu 24 (1), [Fri 25 hol, weekend, Mon 28 substitute], Tue 29 (2), Wed 30 (3),
        # Thu 31 (4), [Fri 1 Jan hol, weekend], Mon 4 Jan 2027 (5).
        # Respond 10 w.d. after 4 Jan: 5,6,7,8 (4), 11..15 (9), Mon 18 Jan 2027 (10).
        pytest.param(
            datetime(2026, 12, 23, 14, 0, tzinfo=UTC),
            None,
            S1,
            date(2027, 1, 4),
            date(2027, 1, 18),
            id="over-christmas-2026",
        ),
        # Stage 2, Mon 15 Jun, not acknowledged: ack Mon 22 Jun; respond 20 w.d. after 22 Jun ->
        # 23..26 (4), 29 Jun..3 Jul (9), 6..10 (14), 13..17 (19), Mon 20 Jul (20).
        pytest.param(
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            None,
            S2,
            date(2026, 6, 22),
            date(2026, 7, 20),
            id="stage-2-not-acknowledged",
        ),
        # Stage 2 acknowledged Tue 16 Jun: 17,18,19 (3), 22..26 (8), 29..3 (13), 6..10 (18), Mon 13, Tue 14 Jul (20).
        pytest.param(
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            datetime(2026, 6, 16, 9, 0, tzinfo=UTC),
            S2,
            date(2026, 6, 22),
            date(2026, 7, 14),
            id="stage-2-acknowledged",
        ),
    ],
)
def test_deadlines(
    received: datetime,
    acknowledged: datetime | None,
    stage: ComplaintStage,
    acknowledge_by: date,
    respond_by: date,
) -> None:
    result = deadlines(received, acknowledged, stage)
    assert (result.acknowledge_by, result.respond_by) == (acknowledge_by, respond_by)
