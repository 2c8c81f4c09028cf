"""The report as one self-contained HTML file: findings, charts (inline SVG) and the tables behind them.

One file, no external assets, so it can be emailed, attached to committee papers or printed as it
is. Every value is escaped; the only markup not written here is the SVG matplotlib makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from customer360.domain.analytics import SMALLEST_GROUP, Channel, Measures
from customer360.domain.feedback import SatisfactionFigures
from customer360.reporting import charts
from customer360.reporting.data import ReportData
from customer360.reporting.findings import findings, percent, previous_name

NONE = "\N{EN DASH}"  # a measure with nothing to measure (no journeys on the web, no promise)
WITHHELD = "withheld"  # a count from 1 to 9, or one that would give such a count away (and its rates)
_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 2rem; margin-bottom: 0.25rem; } h2 { margin-top: 2.5rem; border-top: 2px solid #b1b4b6;
     padding-top: 1rem; }
.lede { color: #505a5f; font-size: 1.1rem; }
.findings li { margin-bottom: 0.5rem; }
figure { margin: 1.5rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #505a5f; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 1rem 0; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #b1b4b6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.suppressed { color: #505a5f; }
@media print { h2 { page-break-before: always; } figure { page-break-inside: avoid; } }
"""


def render(data: ReportData, generated_at: datetime) -> str:
    title = f"Resident demand and access: {_day(data.period.first)} to {_day(data.period.last)}"
    overall = next((row for row in data.equity if row.service is None), None)
    sections = [
        _section(
            "What we found",
            "<ul class='findings'>" + "".join(f"<li>{escape(s)}</li>" for s in findings(data)) + "</ul>",
        ),
        _section(
            "Demand",
            _chart(
                charts.demand_by_service(
                    data.service_name,
                    data.by_service,
                    data.previous_by_service,
                    f"This {data.period.name()}",
                    f"Previous {data.previous.name()}" if data.comparable else None,
                ),
                f"Journeys started per service, this {data.period.name()}"
                + (
                    f" beside {previous_name(data)}." if data.comparable else " (too little data before it to compare)."
                ),
            )
            + _chart(
                charts.weekly_demand_by_channel(data.by_week_and_channel),
                "Journeys started each week, by the channel residents used.",
            )
            + _chart(charts.demand_by_hour(data.by_hour), "Journeys started by hour of the day, London time.")
            + _demand_table(data),
        ),
        _section(
            "Completion",
            _chart(
                charts.completion_by_service(data.service_name, data.by_service),
                "Share of journeys completed and abandoned part-way, per service.",
            ),
        ),
        _section(
            "Time to resolve",
            _chart(
                charts.time_to_resolve(data.service_name, data.by_service),
                "Median calendar days from asking to resolution, with each service's promise in working days.",
            ),
        ),
        _section(
            "Vulnerable residents' access",
            (
                _chart(
                    charts.vulnerable_access(overall),
                    "Residents flagged as vulnerable in a back office beside all residents, all services.",
                )
                if overall
                else ""
            )
            + _equity_table(data),
        ),
        _section("Demand by ward", _ward_table(data)),
        _section("Satisfaction", _satisfaction(data)),
        _section("How these figures are made", _method(data)),
    ]
    return (
        "<!doctype html>\n<html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class='lede'>Six-monthly report on what residents asked the council for, how, "
        f"and how easily vulnerable residents reached services. {_comparison(data)} "
        f"Generated {escape(generated_at.strftime('%d %B %Y %H:%M %Z'))}.</p>"
        + "".join(sections)
        + "</main></body></html>\n"
    )


def _comparison(data: ReportData) -> str:
    """Which period changes are measured against, or why none are."""
    before = f"{_day(data.previous.first)} to {_day(data.previous.last)}"
    if not data.has_journeys:
        return "No journeys were recorded in this period."
    if not data.comparable:
        return f"{previous_name(data).capitalize()} ({before}) has too little data to compare with."
    return f"Compared with {previous_name(data)}, {before}."


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def _chart(svg: str, caption: str) -> str:
    labelled = svg.replace("<svg ", f"<svg role='img' aria-label='{escape(caption, quote=True)}' ", 1)
    return f"<figure>{labelled}<figcaption>{escape(caption)}</figcaption></figure>"


def _rate(value: float | None, withheld: bool = False) -> str:
    if withheld:
        return WITHHELD
    return percent(value) if value is not None else NONE


def _number(value: int | float | None, digits: int = 0, withheld: bool = False) -> str:
    if withheld:
        return WITHHELD
    return NONE if value is None else f"{value:,.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(
        f"<th scope='col' class='{'n' if i >= numeric_from else ''}'>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<th scope='row'>{escape(cell)}</th>" if i == 0 else f"<td class='n'>{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _demand_table(data: ReportData) -> str:
    rows = [
        [
            data.service_name(row.key.service),
            *_demand_cells(row.measures),
        ]
        for row in sorted(data.by_service, key=lambda row: -(row.measures.started or 0))
    ]
    headers = ["Service", "People", "Started", "Completed", "Abandoned", "Median days", "Promise", "Within promise"]
    return _table(headers, rows)


def _demand_cells(m: Measures) -> list[str]:
    if m.suppressed:
        return [f"fewer than {SMALLEST_GROUP} people"] + [""] * 6
    return [
        _number(m.people),
        _number(m.started, withheld="started" in m.withheld),
        _rate(m.completion_rate, withheld="completion_rate" in m.withheld),
        _rate(m.abandonment_rate, withheld="abandonment_rate" in m.withheld),
        _number(m.median_days_to_resolve, 1),
        _number(m.expected_days),
        _rate(m.resolved_within_expected_rate),
    ]


def _equity_table(data: ReportData) -> str:
    body = []
    for row in data.equity:
        for who, m in (("all", row.everyone), ("vulnerable", row.vulnerable)):
            label = f"{data.service_name(row.service)} ({who})"
            if m.suppressed:
                body.append([label, f"fewer than {SMALLEST_GROUP} people", "", "", "", ""])
            else:
                body.append(
                    [
                        label,
                        _number(m.people),
                        _rate(m.online_share, withheld="online_share" in m.withheld),
                        _rate(m.online_completion_rate),
                        _rate(m.assisted_share, withheld="assisted_share" in m.withheld),
                        _number(m.median_days_to_resolve, 1),
                    ]
                )
    headers = ["Service (residents)", "People", "Online", "Completed online", "Assisted", "Median days"]
    return _table(headers, body)


def _satisfaction(data: ReportData) -> str:
    if not data.satisfaction_by_service and not data.satisfaction_by_channel:
        return f"<p>No resident rated a finished request in this {escape(data.period.name())}.</p>"
    by_service = [
        [data.service_name(row.service), *_satisfaction_cells(row)]
        for row in sorted(data.satisfaction_by_service, key=lambda row: data.service_name(row.service))
    ]
    by_channel = [[_channel_name(row.channel), *_satisfaction_cells(row)] for row in data.satisfaction_by_channel]
    headers = ["Ratings", "Average (1 to 5)", "Satisfied (4 or 5)"]
    return (
        "<p>Residents' ratings of their finished requests, given online or by phone to customer services.</p>"
        + _table(["Service", *headers], by_service)
        + _table(["Channel", *headers], by_channel)
    )


def _satisfaction_cells(row: SatisfactionFigures) -> list[str]:
    if row.suppressed:
        return [f"fewer than {SMALLEST_GROUP} people", "", ""]
    return [_number(row.ratings), _number(row.average_rating, 1), _rate(row.satisfied_share)]


def _channel_name(code: str | None) -> str:
    known = {channel.value: charts.CHANNEL_NAMES[channel] for channel in Channel}
    return known.get(code or "", code or "Unknown")


def _ward_table(data: ReportData) -> str:
    rows = [
        [row.key.ward or "Unknown", *(_demand_cells(row.measures)[:4])]
        for row in sorted(data.by_ward, key=lambda row: row.key.ward or "")
    ]
    return _table(["Ward", "People", "Started", "Completed", "Abandoned"], rows)


def _method(data: ReportData) -> str:
    return (
        "<ul>"
        "<li>A <strong>journey</strong> is one resident starting one service, on any channel; it is "
        "<strong>completed</strong> when submitted and <strong>abandoned</strong> when left part-way.</li>"
        f"<li>No figure describes fewer than {SMALLEST_GROUP} people: smaller groups are shown as "
        f"&ldquo;fewer than {SMALLEST_GROUP} people&rdquo; or left out of charts. "
        f"{data.suppressed_groups()} groups in this report were too small to show.</li>"
        f"<li>Within the groups shown, every count from 1 to {SMALLEST_GROUP - 1} is "
        f"&ldquo;{WITHHELD}&rdquo;, and so is the next smallest count beside it wherever it could otherwise be "
        "worked out from a total (a service's journeys from all services', say), with any rate computed from "
        "a withheld count.</li>"
        f"<li>Changes are measured against the period of the same length just before: {_comparison(data)}</li>"
        "<li><strong>Vulnerable</strong> residents are those a back office flags: a disability-related benefit, "
        "a housing medical need, or a safeguarding history. They are counted among all residents too.</li>"
        "<li><strong>Satisfied</strong> residents rated a finished request 4 or 5 out of 5. Satisfaction "
        f"follows the same rule: a group rated by fewer than {SMALLEST_GROUP} residents is not shown, and nor is the "
        "next smallest beside it when it alone would be.</li>"
        "<li>Time to resolve counts requests made in the period that have been resolved; requests still open "
        "are not in the median. Promises are in working days (England and Wales bank holidays excluded).</li>"
        "<li>Events hold no names, addresses, emails or free text: a service code, channel, ward, age band, "
        "flags and a pseudonymous key used only to count distinct people.</li>"
        "</ul>"
    )
