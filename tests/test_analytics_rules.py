"""The analytics rules: suppression of small groups, medians, rates, bands, periods, and what events may hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from customer360.domain.analytics import (
    SMALLEST_GROUP,
    Channel,
    DemandDimension,
    DemandFigures,
    EquityFigures,
    EventKind,
    GroupKey,
    InteractionEvent,
    InvalidEvent,
    InvalidPeriod,
    JourneyTally,
    Measures,
    Period,
    Resolution,
    age_band,
    comparable,
    dimensions,
    is_suppressed,
    london_hour,
    london_week,
    measures,
    median,
    pseudonym,
    rate,
    resolution,
    service_label,
    suppress_demand,
    suppress_equity,
    withheld_cells,
)

KEY = "a" * 64


@pytest.mark.parametrize(
    ("people", "suppressed"),
    [(0, True), (1, True), (9, True), (10, False), (11, False), (5000, False)],
)
def test_fewer_than_ten_people_are_suppressed(people, suppressed):
    assert SMALLEST_GROUP == 10
    assert is_suppressed(people) is suppressed


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([3.0], 3.0), ([1.0, 9.0], 5.0), ([5.0, 1.0, 3.0], 3.0), ([1.0, 2.0, 3.0, 100.0], 2.5)],
)
def test_median(values, expected):
    assert median(values) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, None), (3, 0, None), (0, 4, 0.0), (1, 4, 0.25), (4, 4, 1.0)],
)
def test_rate(part, whole, expected):
    assert rate(part, whole) == expected


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(2011, 1, 1), date(2026, 12, 31), None),  # 15: a child
        (date(2010, 6, 2), date(2026, 6, 2), "16-24"),  # the 16th birthday itself
        (date(2001, 6, 3), date(2026, 6, 2), "16-24"),  # 24 until tomorrow
        (date(2001, 6, 2), date(2026, 6, 2), "25-34"),
        (date(1961, 1, 1), date(2026, 1, 1), "65-74"),
        (date(1951, 1, 1), date(2026, 1, 1), "75+"),
        (date(1920, 1, 1), date(2026, 1, 1), "75+"),
    ],
)
def test_age_bands(born, on, band):
    assert age_band(born, on) == band


def tally(people: int, *, web_people: int = 0, assisted_people: int = 0) -> JourneyTally:
    return JourneyTally(
        started=people * 2,
        submitted=people * 2 - 1,
        abandoned=1,
        people=people,
        web_started=web_people * 2,
        web_submitted=web_people * 2 - 1 if web_people else 0,
        web_people=web_people,
        assisted_started=assisted_people,
        assisted_people=assisted_people,
    )


def resolutions(people: int, days: float = 2.0, within: bool = True) -> list[Resolution]:
    return [Resolution(f"{n:064x}", days, within, 5) for n in range(people)]


@pytest.mark.parametrize(
    ("group", "web", "assisted", "resolved", "shown"),
    [
        # (people in the group, on the web, assisted, with a resolution) -> which measures are published
        (9, 9, 9, 9, set()),
        (10, 0, 0, 0, {"people", "completion"}),
        (10, 10, 0, 0, {"people", "completion", "online"}),
        (10, 9, 10, 0, {"people", "completion", "assisted"}),
        (20, 10, 10, 9, {"people", "completion", "online", "assisted"}),
        (20, 10, 10, 10, {"people", "completion", "online", "assisted", "resolution"}),
    ],
)
def test_each_measure_needs_ten_people_behind_it(group, web, assisted, resolved, shown):
    figures = measures(tally(group, web_people=web, assisted_people=assisted), resolutions(resolved))
    published = {
        "people": figures.people is not None,
        "completion": figures.completion_rate is not None,
        "online": figures.online_share is not None and figures.online_completion_rate is not None,
        "assisted": figures.assisted_share is not None,
        "resolution": figures.median_days_to_resolve is not None and figures.resolved is not None,
    }
    assert {name for name, present in published.items() if present} == shown
    assert figures.suppressed is (group < SMALLEST_GROUP)


def test_measures_of_a_published_group():
    figures = measures(
        JourneyTally(started=40, submitted=30, abandoned=8, people=25, web_started=20, web_submitted=10, web_people=12),
        [*resolutions(6, days=1.0), *resolutions(5, days=4.0, within=False)],
    )
    assert (figures.started, figures.submitted, figures.abandoned) == (40, 30, 8)
    assert (figures.completion_rate, figures.abandonment_rate) == (0.75, 0.2)
    assert (figures.online_share, figures.online_completion_rate) == (0.5, 0.5)
    # Eleven resolutions, but by only six distinct people: too few to publish the times.
    assert figures.median_days_to_resolve is None


def test_resolution_measures_once_ten_people_resolved():
    done = [Resolution(f"{n:064x}", float(n), n < 10, 5) for n in range(20)]
    figures = measures(tally(20), done)
    assert figures.median_days_to_resolve == 9.5
    assert figures.expected_days == 5
    assert figures.resolved_within_expected_rate == pytest.approx(10 / 20)


@pytest.mark.parametrize(("on_time", "late"), [(8, 4), (4, 8), (11, 1)])
def test_the_on_time_rate_is_withheld_when_it_would_give_a_small_count_away(on_time, late):
    done = [Resolution(f"{n:064x}", 1.0, n < on_time, 5) for n in range(on_time + late)]
    figures = measures(tally(20), done)
    assert figures.resolved == on_time + late and figures.median_days_to_resolve == 1.0
    assert figures.resolved_within_expected_rate is None


def grid_cells(grid):
    """A table's cells by (row, column) and its lines: each row and each column."""
    counts = {(r, c): count for r, row in enumerate(grid) for c, count in enumerate(row)}
    rows = [[(r, c) for c in range(len(grid[0]))] for r in range(len(grid))]
    columns = [[(r, c) for r in range(len(grid))] for c in range(len(grid[0]))]
    return counts, rows + columns


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        pytest.param([[20, 30], [40, 50]], ["..", ".."], id="nothing-small"),
        # 5 is withheld; its row then has one withheld cell, so the smallest other (12) goes too; each of
        # their columns then has one, so 40 and 60 go; every line now has two or none.
        pytest.param([[5, 30, 12], [40, 50, 60]], ["X.X", "X.X"], id="primary-then-secondary"),
        pytest.param([[3, 0, 15]], ["X.X"], id="a-non-zero-partner-before-a-zero"),
        pytest.param([[4, 0]], ["XX"], id="a-zero-when-nothing-else-is-left"),
        pytest.param([[None, 25, 30]], ["XX."], id="an-already-withheld-cell-needs-a-partner"),
        pytest.param([[2, 3, 50]], ["XX."], id="two-small-counts-protect-each-other"),
        pytest.param([[1, 20, 20]], ["XX."], id="ties-go-to-the-first-listed"),
        pytest.param([[0, 0, 50]], ["..."], id="zero-is-shown"),
        # Row 0: 5 and then 11; column 0 then has one (30 goes), column 1 has one with only a 0 left.
        pytest.param([[5, 11, 40], [30, 0, 60]], ["XX.", "XX."], id="cascade-until-stable"),
        pytest.param([[9, 10]], ["XX"], id="nine-is-small-ten-is-not-but-is-the-only-partner"),
    ],
)
def test_cells_withheld(grid, expected):
    counts, lines = grid_cells(grid)
    cells = withheld_cells(counts, lines)
    shown = ["".join("X" if (r, c) in cells else "." for c in range(len(row))) for r, row in enumerate(grid)]
    assert shown == expected


def group(started, submitted, abandoned, resolved, *, suppressed=False):
    if suppressed:
        return Measures(suppressed=True)
    return Measures(
        suppressed=False,
        people=started,
        started=started,
        submitted=submitted,
        abandoned=abandoned,
        completion_rate=submitted / started,
        abandonment_rate=abandoned / started,
        online_share=0.5,
        resolved=resolved,
        median_days_to_resolve=2.0,
    )


def test_demand_cells_withheld_by_hand():
    rows = [
        DemandFigures(GroupKey(service="A"), group(40, 32, 8, 20)),
        DemandFigures(GroupKey(service="B"), group(25, 20, 5, 12)),
        DemandFigures(GroupKey(service="C"), group(0, 0, 0, 0, suppressed=True)),
    ]
    a, b, c = (row.measures for row in suppress_demand(rows, [DemandDimension.SERVICE]))
    # A: abandoned 8 (primary), then submitted 32 (the smaller of its row's others).
    assert (a.started, a.submitted, a.abandoned, a.resolved) == (40, None, None, 20)
    assert a.completion_rate is None and a.abandonment_rate is None and a.online_share == 0.5
    # B: abandoned 5, submitted 20 (its row); started 25 and resolved 12 (the columns where C, a
    # suppressed group, was the only one withheld: the total less A and B would give C away).
    assert (b.started, b.submitted, b.abandoned, b.resolved) == (None, None, None, None)
    assert b.online_share is None and b.median_days_to_resolve == 2.0
    assert b.withheld >= {"started", "submitted", "abandoned", "resolved", "completion_rate"}
    assert c.suppressed and not a.suppressed


def test_demand_lines_follow_each_dimension():
    # WARD x CHANNEL: each ward's channels add up to the ward (another query), each channel's wards to it.
    rows = [
        DemandFigures(GroupKey(ward="North", channel="web"), group(50, 50, 0, 0)),
        DemandFigures(GroupKey(ward="North", channel="phone"), group(30, 30, 0, 0)),
        DemandFigures(GroupKey(ward="South", channel="web"), group(40, 40, 0, 0)),
        DemandFigures(GroupKey(ward="South", channel="phone"), group(20, 13, 7, 0)),
    ]
    figures = [row.measures for row in suppress_demand(rows, [DemandDimension.WARD, DemandDimension.CHANNEL])]
    # South phone: abandoned 7, then submitted 13 (its row). Phone's submitted (30, 13) and abandoned
    # (0, 7) each have one withheld: 30 and that 0 go; then North's (50, 30 / 0, 0) and South's
    # (40, 13 / 0, 7) have one each: 50, 40 and their zeros go. Started (no small count) stays.
    assert [(m.started, m.submitted, m.abandoned) for m in figures] == [
        (50, None, None),
        (30, None, None),
        (40, None, None),
        (20, None, None),
    ]


def test_equity_cells_withheld_by_hand():
    rows = [
        EquityFigures(None, group(100, 80, 20, 0), group(30, 22, 8, 0)),
        EquityFigures("S1", group(60, 50, 10, 0), group(18, 13, 5, 0)),
        EquityFigures("S2", group(40, 30, 10, 0), group(12, 9, 3, 0)),
    ]
    shown = suppress_equity(rows)
    assert [row.everyone for row in shown] == [row.everyone for row in rows], "nothing small among everyone"
    # Each vulnerable row's abandoned is small (8, 5, 3) and S2's submitted (9): each row then withholds
    # its submitted too, and a column with every cell withheld needs nothing more.
    assert [(m.started, m.submitted, m.abandoned) for m in (row.vulnerable for row in shown)] == [
        (30, None, None),
        (18, None, None),
        (12, None, None),
    ]


@pytest.mark.parametrize(
    ("submitted", "resolved", "expected_days", "days", "within"),
    [
        # Friday 10:00 to Tuesday 10:00 is 4 calendar days and 2 working days.
        (datetime(2026, 3, 6, 10, tzinfo=UTC), datetime(2026, 3, 10, 10, tzinfo=UTC), 2, 4.0, True),
        (datetime(2026, 3, 6, 10, tzinfo=UTC), datetime(2026, 3, 11, 10, tzinfo=UTC), 2, 5.0, False),
        # Over the Easter bank holidays (Good Friday 3 April, Easter Monday 6 April 2026).
        (datetime(2026, 4, 2, 9, tzinfo=UTC), datetime(2026, 4, 8, 16, tzinfo=UTC), 2, 6.2917, True),
        (datetime(2026, 4, 2, 9, tzinfo=UTC), datetime(2026, 4, 3, 9, tzinfo=UTC), None, 1.0, None),
    ],
)
def test_resolution_against_working_days_promised(submitted, resolved, expected_days, days, within):
    done = resolution(KEY, submitted, resolved, expected_days)
    assert done.days == pytest.approx(days, abs=1e-3)
    assert done.within_expected is within


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (date(2026, 1, 1), date(2026, 6, 30), None),
        (date(2026, 1, 1), date(2026, 1, 1), None),
        (date(2026, 1, 2), date(2026, 1, 1), "from must be on or before to"),
        (date(2020, 1, 1), date(2026, 1, 1), "at most"),
    ],
)
def test_periods(first, last, problem):
    if problem is None:
        assert Period(first, last).days == (last - first).days + 1
    else:
        with pytest.raises(InvalidPeriod, match=problem):
            Period(first, last)


def test_a_period_is_whole_london_days_and_has_a_previous_one():
    summer = Period(date(2026, 7, 1), date(2026, 7, 31))
    start, end = summer.bounds()
    assert (start, end) == (datetime(2026, 6, 30, 23, tzinfo=UTC), datetime(2026, 7, 31, 23, tzinfo=UTC))
    assert summer.previous() == Period(date(2026, 5, 31), date(2026, 6, 30))


@pytest.mark.parametrize(
    ("moment", "hour", "week"),
    [
        (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), 23, date(2026, 1, 12)),  # GMT
        (datetime(2026, 7, 19, 23, 30, tzinfo=UTC), 0, date(2026, 7, 20)),  # BST: already Monday in London
    ],
)
def test_hour_and_week_are_london_time(moment, hour, week):
    assert (london_hour(moment), london_week(moment)) == (hour, week)


def event(**changes: object) -> InteractionEvent:
    fields: dict[str, object] = {"kind": EventKind.SERVICE_STARTED, "channel": Channel.WEB, "at": datetime.now(UTC)}
    return InteractionEvent(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"outcome": "The resident said their name is Jane"},
        {"outcome": "jane@example.com"},
        {"service_code": "litter near 4 Church Street"},
        {"ward": "4 Church Street, B79 7DE"},
        {"age_band": "43"},
        {"person_key": "C-0001234"},
        {"duration_ms": -1},
        {"at": datetime(2026, 1, 1, 12)},
        {"submitted_at": datetime(2030, 1, 1, tzinfo=UTC)},
    ],
)
def test_events_refuse_anything_but_coarse_codes(changes):
    with pytest.raises(InvalidEvent):
        event(**changes)


def test_a_coarse_event_is_accepted():
    accepted = event(
        service_code="FLY_TIPPING", outcome="SOURCE_UNAVAILABLE", ward="Castle", age_band="75+", person_key=KEY
    )
    assert accepted.asked_at == accepted.at


def test_pseudonyms_are_stable_per_salt_and_unlinkable_across_salts():
    assert pseudonym(b"tamworth", "C1") == pseudonym(b"tamworth", "C1")
    assert pseudonym(b"tamworth", "C1") != pseudonym(b"lichfield", "C1")
    assert len(pseudonym(b"tamworth", "C1")) == 64


def test_dimensions_are_deduplicated_in_a_fixed_order():
    asked = [DemandDimension.WEEK, DemandDimension.SERVICE, DemandDimension.WEEK]
    assert dimensions(asked) == (DemandDimension.SERVICE, DemandDimension.WEEK)


@pytest.mark.parametrize(
    ("code", "label"),
    [(None, "All services"), ("COUNCIL_TAX_PAYMENT", "Pay Council Tax"), ("FLY_TIPPING", "Fly tipping")],
)
def test_service_labels(code, label):
    assert service_label(code) == label


@pytest.mark.parametrize(
    ("first", "last", "weeks", "name"),
    [
        (date(2026, 1, 5), date(2026, 1, 11), 1, "week"),  # Monday to Sunday
        (date(2026, 1, 4), date(2026, 1, 10), 2, "week"),  # Sunday to Saturday touches two weeks
        (date(2026, 2, 1), date(2026, 2, 28), 5, "month"),
        (date(2026, 1, 1), date(2026, 6, 30), 27, "half-year"),
        (date(2025, 1, 1), date(2025, 12, 31), 53, "year"),
        (date(2026, 1, 1), date(2026, 2, 9), 7, "40 days"),
    ],
)
def test_a_period_has_weeks_and_a_name_a_reader_knows(first, last, weeks, name):
    period = Period(first, last)
    assert (period.weeks(), period.name()) == (weeks, name)


HALF = Period(date(2026, 1, 1), date(2026, 6, 30))  # 27 weeks: three in four is 20.25


@pytest.mark.parametrize(
    ("weeks_with_journeys", "journeys", "fair"),
    [
        (27, 500, True),
        (21, 500, True),
        (20, 500, False),  # the store began part-way through the period
        (1, 500, False),
        (27, 29, False),  # too few journeys for a percentage to mean anything
        (27, 30, True),
        (27, None, False),  # withheld or suppressed: too few
    ],
)
def test_a_previous_period_is_compared_with_only_when_it_holds_enough(weeks_with_journeys, journeys, fair):
    assert comparable(HALF, weeks_with_journeys, journeys) is fair
