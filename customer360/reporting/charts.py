"""The report's charts: matplotlib figures rendered to inline SVG, text kept as text.

`matplotlib.figure.Figure` is used directly (not pyplot): no global state, no GUI backend, safe in
a server process. Colours are the Okabe-Ito palette, distinguishable with colour-blindness; every
chart has a title and a text alternative in the report, and suppressed groups and withheld counts
are simply absent (a gap, never a zero).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date

from matplotlib import rc_context
from matplotlib.figure import Figure

from customer360.domain.analytics import Channel, DemandFigures, EquityFigures

BLUE, ORANGE, GREEN, PURPLE, GREY = "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#999999"
CHANNEL_COLOURS = {
    Channel.WEB: BLUE,
    Channel.PHONE: ORANGE,
    Channel.FACE_TO_FACE: GREEN,
    Channel.ASSISTED_DIGITAL: PURPLE,
}
CHANNEL_NAMES = {
    Channel.WEB: "Online",
    Channel.PHONE: "Phone",
    Channel.FACE_TO_FACE: "Face to face",
    Channel.ASSISTED_DIGITAL: "Assisted digital",
}
_STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, read by screen readers
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 11,
}


def _styled() -> AbstractContextManager[None]:
    return rc_context(_STYLE)  # type: ignore[arg-type]  # matplotlib types the keys as a Literal of names


def _svg(figure: Figure) -> str:
    """Called inside the chart's `_styled()`, whose settings the SVG writer reads as it saves."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: it is inlined in HTML


def _figure(height: float) -> Figure:
    return Figure(figsize=(8, height), layout="constrained")


def demand_by_service(
    named: Callable[[str | None], str],
    now: Sequence[DemandFigures],
    before: Sequence[DemandFigures],
    now_label: str,
    before_label: str | None,
) -> str:
    """Journeys started per service; beside the previous period's when `before_label` is given (a period
    with too little data to compare has none). Withheld counts are left out, never drawn as zero."""
    previous = {row.key.service: row.measures.started for row in before if row.measures.started is not None}
    rows = sorted((r for r in now if r.measures.started is not None), key=lambda r: r.measures.started or 0)
    with _styled():
        figure = _figure(0.35 * len(rows) + 1.2)
        axes = figure.subplots()
        positions = range(len(rows))
        axes.barh(
            [p + 0.2 for p in positions],
            [r.measures.started or 0 for r in rows],
            0.4,
            color=BLUE,
            label=now_label,
        )
        if before_label is not None:
            axes.barh(
                [p - 0.2 for p in positions],
                [previous.get(r.key.service, float("nan")) for r in rows],
                0.4,
                color=GREY,
                label=before_label,
            )
        axes.set_yticks(list(positions), [named(r.key.service) for r in rows])
        axes.set_xlabel("Journeys started")
        axes.set_title("Demand by service")
        axes.legend(loc="lower right", frameon=False)
        return _svg(figure)


def weekly_demand_by_channel(rows: Sequence[DemandFigures]) -> str:
    series: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        if row.measures.started is not None and row.key.week and row.key.channel:
            series[row.key.channel][row.key.week] = row.measures.started
    weeks = sorted({week for points in series.values() for week in points})
    with _styled():
        figure = _figure(3.2)
        axes = figure.subplots()
        for channel in Channel:
            if channel.value in series:
                points = series[channel.value]
                axes.plot(
                    weeks,  # type: ignore[arg-type]  # matplotlib plots dates, its stubs do not say so
                    [points.get(week, float("nan")) for week in weeks],  # a withheld week is a gap
                    color=CHANNEL_COLOURS[channel],
                    label=CHANNEL_NAMES[channel],
                    linewidth=2,
                )
        axes.set_ylabel("Journeys started a week")
        axes.set_title("Weekly demand by channel")
        if series:
            axes.legend(frameon=False, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        figure.autofmt_xdate()
        return _svg(figure)


def demand_by_hour(rows: Sequence[DemandFigures]) -> str:
    # An hour with no journeys is a zero; an hour whose count is withheld draws no bar (NaN).
    counts = {row.key.hour: row.measures.started if row.measures.started is not None else float("nan") for row in rows}
    hours = list(range(24))
    with _styled():
        figure = _figure(2.8)
        axes = figure.subplots()
        colours = [BLUE if 9 <= hour < 17 else ORANGE for hour in hours]
        axes.bar(hours, [counts.get(hour, 0) for hour in hours], color=colours)
        axes.set_xticks(hours[::2], [f"{hour:02d}:00" for hour in hours[::2]])
        axes.set_ylabel("Journeys started")
        axes.set_title("When residents come: hour of the day (orange: outside office hours)")
        return _svg(figure)


def completion_by_service(named: Callable[[str | None], str], rows: Sequence[DemandFigures]) -> str:
    shown = sorted(
        (r for r in rows if r.measures.completion_rate is not None), key=lambda r: r.measures.completion_rate or 0
    )
    with _styled():
        figure = _figure(0.35 * len(shown) + 1.2)
        axes = figure.subplots()
        names = [named(r.key.service) for r in shown]
        completed = [100 * (r.measures.completion_rate or 0) for r in shown]
        # A withheld abandonment rate is a gap (NaN draws no bar), not a zero.
        abandoned = [
            100 * r.measures.abandonment_rate if r.measures.abandonment_rate is not None else float("nan")
            for r in shown
        ]
        axes.barh(names, completed, color=GREEN, label="Completed")
        axes.barh(names, abandoned, left=completed, color=ORANGE, label="Abandoned")
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of journeys started")
        axes.set_title("Completion and abandonment by service")
        axes.legend(frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        return _svg(figure)


def time_to_resolve(named: Callable[[str | None], str], rows: Sequence[DemandFigures]) -> str:
    shown = sorted(
        (r for r in rows if r.measures.median_days_to_resolve is not None),
        key=lambda r: r.measures.median_days_to_resolve or 0,
    )
    with _styled():
        figure = _figure(0.35 * len(shown) + 1.2)
        axes = figure.subplots()
        names = [named(r.key.service) for r in shown]
        axes.barh(names, [r.measures.median_days_to_resolve or 0 for r in shown], color=BLUE, label="Median days")
        promised = [(i, r.measures.expected_days) for i, r in enumerate(shown) if r.measures.expected_days]
        axes.scatter(
            [days for _, days in promised],
            [i for i, _ in promised],
            marker="|",
            s=300,
            color="black",
            label="Promise (working days)",
            zorder=3,
        )
        axes.set_xlabel("Days from asking to resolution")
        axes.set_title("Time to resolve against the service's promise")
        axes.legend(loc="lower right", frameon=False)
        return _svg(figure)


def vulnerable_access(row: EquityFigures) -> str:
    measures = (
        ("Self-served online", row.everyone.online_share, row.vulnerable.online_share),
        ("Completed online", row.everyone.online_completion_rate, row.vulnerable.online_completion_rate),
        ("Completed (any channel)", row.everyone.completion_rate, row.vulnerable.completion_rate),
        ("Assisted digital help", row.everyone.assisted_share, row.vulnerable.assisted_share),
    )
    shown = [(name, a, b) for name, a, b in measures if a is not None and b is not None]
    with _styled():
        figure = _figure(3.0)
        axes = figure.subplots()
        positions = range(len(shown))
        axes.bar(
            [p - 0.2 for p in positions], [100 * (a or 0) for _, a, _ in shown], 0.4, color=GREY, label="All residents"
        )
        axes.bar(
            [p + 0.2 for p in positions],
            [100 * (b or 0) for _, _, b in shown],
            0.4,
            color=PURPLE,
            label="Vulnerable residents",
        )
        axes.set_xticks(list(positions), [name for name, _, _ in shown])
        axes.set_ylim(0, 100)
        axes.set_ylabel("%")
        axes.set_title("Vulnerable residents' access beside all residents")
        axes.legend(frameon=False)
        return _svg(figure)
