"""The analytics rules: suppression of small groups, medians, rates, bands, periods, and what events may hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from customer360.domain.analytics import (
    SMALLEST_GROUP,
    Channel,
    DemandDimension,
    EventKind,
    InteractionEvent,
    InvalidEvent,
    InvalidPeriod,
    JourneyTally,
    Period,
    Resolution,
    age_band,
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
    done = [Resolution(f"{n:064x}", float(n), n < 8, 5) for n in range(12)]
    figures = measures(tally(20), done)
    assert figures.median_days_to_resolve == 5.5
    assert figures.expected_days == 5
    assert figures.resolved_within_expected_rate == pytest.approx(8 / 12)


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
