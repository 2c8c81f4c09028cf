"""Plain-English findings, each computed from the report's figures (never from a suppressed group).

Each finder returns a sentence, or None when the data cannot support one (too little of it, or
nothing worth saying); the report lists what is found, most important first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from customer360.domain.analytics import Channel, DemandFigures, Measures
from customer360.reporting.data import ReportData

# A change is only called out on at least this many journeys in both periods: on fewer, a
# percentage swings with chance.
MIN_JOURNEYS_FOR_CHANGE = 30
OFFICE_HOURS = range(9, 17)


def findings(data: ReportData) -> list[str]:
    if not data.has_journeys:
        return [f"No journeys were recorded in this {data.period.name()}: there is nothing to report."]
    finders: Sequence[Callable[[ReportData], str | None]] = (
        _overall_demand,
        _too_little_to_compare,
        _biggest_rise,
        _biggest_fall,
        _most_used,
        _online_share,
        _online_abandonment,
        _out_of_hours,
        _slowest_against_promise,
        _vulnerable_online_completion,
        _vulnerable_online_share,
        _vulnerable_assisted,
        _vulnerable_resolution,
        _satisfaction,
    )
    return [sentence for finder in finders if (sentence := finder(data))]


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def change(now: int, before: int) -> str:
    """'rose by 12%' / 'fell by 8%' / 'was unchanged'."""
    if before == now:
        return "was unchanged"
    movement = (now - before) / before
    return f"{'rose' if movement > 0 else 'fell'} by {abs(movement) * 100:.0f}%"


def previous_name(data: ReportData) -> str:
    """'the previous half-year' (or year, or 40 days): the period of the same length just before."""
    return f"the previous {data.previous.name()}"


def _named(data: ReportData, code: str | None) -> str:
    """A service's name in quotes: several read as sentences ("Tell us you are moving")."""
    return f'"{data.service_name(code)}"'


def _shown(rows: Sequence[DemandFigures]) -> list[DemandFigures]:
    return [row for row in rows if not row.measures.suppressed]


def _single(rows: Sequence[DemandFigures]) -> Measures | None:
    return rows[0].measures if rows and not rows[0].measures.suppressed else None


def _overall_demand(data: ReportData) -> str | None:
    now, before = _single(data.total), _single(data.previous_total)
    if now is None or now.started is None or now.people is None:
        return None
    sentence = f"Residents started {now.started:,} service journeys ({now.people:,} people)"
    if now.completion_rate is not None:
        sentence += f" and completed {percent(now.completion_rate)} of them"
    if data.comparable and before is not None and before.started:
        sentence += f"; demand {change(now.started, before.started)} on {previous_name(data)}"
    return sentence + "."


def _too_little_to_compare(data: ReportData) -> str | None:
    if data.comparable:
        return None
    weeks = data.previous_weeks_with_journeys
    return (
        f"There is too little data for {previous_name(data)} ({_day(data.previous.first)} to "
        f"{_day(data.previous.last)}: journeys in {weeks} of its {data.previous.weeks()} weeks) to compare with, "
        "so no changes are given."
    )


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _service_changes(data: ReportData) -> list[tuple[float, str, int, int]]:
    if not data.comparable:
        return []
    before = {row.key.service: row.measures.started for row in _shown(data.previous_by_service)}
    changes = []
    for row in _shown(data.by_service):
        was, now = before.get(row.key.service), row.measures.started
        if was and now and min(was, now) >= MIN_JOURNEYS_FOR_CHANGE:
            changes.append(((now - was) / was, _named(data, row.key.service), now, was))
    return sorted(changes)


def _biggest_rise(data: ReportData) -> str | None:
    changes = _service_changes(data)
    if not changes or changes[-1][0] <= 0.05:
        return None
    _, name, now, was = changes[-1]
    return f"Demand for {name} {change(now, was)} on {previous_name(data)} (from {was:,} to {now:,} journeys)."


def _biggest_fall(data: ReportData) -> str | None:
    changes = _service_changes(data)
    if not changes or changes[0][0] >= -0.05:
        return None
    _, name, now, was = changes[0]
    return f"Demand for {name} {change(now, was)} on {previous_name(data)} (from {was:,} to {now:,} journeys)."


def _most_used(data: ReportData) -> str | None:
    total = _single(data.total)
    rows = [row for row in _shown(data.by_service) if row.measures.started]
    if total is None or not total.started or not rows:
        return None
    top = max(rows, key=lambda row: row.measures.started or 0)
    share = (top.measures.started or 0) / total.started
    return f"{_named(data, top.key.service)} was the most used service: {percent(share)} of all journeys."


def _channel(rows: Sequence[DemandFigures], channel: Channel) -> Measures | None:
    return next((row.measures for row in _shown(rows) if row.key.channel == channel.value), None)


def _web_share(rows: Sequence[DemandFigures]) -> float | None:
    web = _channel(rows, Channel.WEB)
    total = sum(row.measures.started or 0 for row in _shown(rows))
    return web.started / total if web and web.started is not None and total else None


def _online_share(data: ReportData) -> str | None:
    now, before = _web_share(data.by_channel), _web_share(data.previous_by_channel)
    if now is None:
        return None
    sentence = f"{percent(now)} of journeys were self-served online"
    if data.comparable and before is not None and round(now * 100) != round(before * 100):
        sentence += f", {'up' if now > before else 'down'} from {percent(before)} in {previous_name(data)}"
    return sentence + "."


def _online_abandonment(data: ReportData) -> str | None:
    now, before = _channel(data.by_channel, Channel.WEB), _channel(data.previous_by_channel, Channel.WEB)
    if now is None or now.abandonment_rate is None:
        return None
    sentence = f"Online forms were abandoned part-way {percent(now.abandonment_rate)} of the time"
    if data.comparable and before is not None and before.abandonment_rate is not None:
        sentence += f", against {percent(before.abandonment_rate)} in {previous_name(data)}"
    return sentence + "."


def _out_of_hours(data: ReportData) -> str | None:
    rows = _shown(data.by_hour)
    total = sum(row.measures.started or 0 for row in rows)
    if not total:
        return None
    outside = sum(row.measures.started or 0 for row in rows if row.key.hour not in OFFICE_HOURS)
    return (
        f"{percent(outside / total)} of journeys began outside office hours (before 9am or after 5pm), "
        "when only the online services are open."
    )


def _slowest_against_promise(data: ReportData) -> str | None:
    rows = [
        row
        for row in _shown(data.by_service)
        if row.measures.resolved_within_expected_rate is not None and row.measures.expected_days is not None
    ]
    if not rows:
        return None
    worst = min(rows, key=lambda row: row.measures.resolved_within_expected_rate or 0.0)
    m = worst.measures
    return (
        f"{_named(data, worst.key.service)} met its promise of {m.expected_days} working days for "
        f"{percent(m.resolved_within_expected_rate or 0.0)} of requests (median {m.median_days_to_resolve:.1f} days), "
        "the lowest of any service."
    )


def _overall_equity(data: ReportData) -> tuple[Measures, Measures] | None:
    overall = next((row for row in data.equity if row.service is None), None)
    if overall is None or overall.everyone.suppressed or overall.vulnerable.suppressed:
        return None
    return overall.everyone, overall.vulnerable


def _vulnerable_online_completion(data: ReportData) -> str | None:
    pair = _overall_equity(data)
    if pair is None or pair[0].online_completion_rate is None or pair[1].online_completion_rate is None:
        return None
    everyone, vulnerable = pair
    return (
        f"Vulnerable residents completed online at {percent(vulnerable.online_completion_rate or 0.0)} "
        f"vs {percent(everyone.online_completion_rate or 0.0)} for all residents."
    )


def _vulnerable_online_share(data: ReportData) -> str | None:
    pair = _overall_equity(data)
    if pair is None or pair[0].online_share is None or pair[1].online_share is None:
        return None
    everyone, vulnerable = pair
    return (
        f"{percent(vulnerable.online_share or 0.0)} of vulnerable residents' journeys were self-served online, "
        f"against {percent(everyone.online_share or 0.0)} for all residents: the phone and the counter still "
        "matter most to them."
    )


def _vulnerable_assisted(data: ReportData) -> str | None:
    pair = _overall_equity(data)
    if pair is None or pair[0].assisted_share is None or pair[1].assisted_share is None:
        return None
    everyone, vulnerable = pair
    return (
        f"Vulnerable residents had assisted digital help in {percent(vulnerable.assisted_share or 0.0)} of "
        f"journeys, against {percent(everyone.assisted_share or 0.0)} for all residents."
    )


def _vulnerable_resolution(data: ReportData) -> str | None:
    pair = _overall_equity(data)
    if pair is None or pair[0].median_days_to_resolve is None or pair[1].median_days_to_resolve is None:
        return None
    everyone, vulnerable = pair
    return (
        f"Requests from vulnerable residents were resolved in a median {vulnerable.median_days_to_resolve:.1f} "
        f"days, against {everyone.median_days_to_resolve:.1f} days for all residents."
    )


def _satisfaction(data: ReportData) -> str | None:
    overall = data.satisfaction[0] if data.satisfaction else None
    if overall is None or overall.suppressed or overall.ratings is None or overall.satisfied_share is None:
        return None
    return (
        f"Residents rated {overall.ratings:,} finished requests {overall.average_rating:.1f} out of 5 on average; "
        f"{percent(overall.satisfied_share)} were satisfied (a 4 or a 5)."
    )
