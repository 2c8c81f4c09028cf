"""The six-monthly report: an HTML file with charts and plain-English findings for the demo year."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from customer360.clock import london_today
from customer360.demo.population import generate_population
from customer360.reporting.command import main_report
from customer360.settings import Settings
from tests.conftest import TEST_RESIDENTS
from tests.history import DEMO_SEED, seed_history


@pytest.fixture(scope="module")
def demo_year(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A gateway store holding the demo council's year of interaction history (no back offices needed)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("report"))
    seed_history(settings)
    return settings


@pytest.fixture(scope="module")
def report(demo_year: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    today = london_today()
    output = tmp_path_factory.mktemp("out") / "nested" / "report.html"
    assert main_report(demo_year, today - timedelta(days=182), today - timedelta(days=1), output) == 0
    return output.read_text(encoding="utf-8")


def findings(html: str) -> list[str]:
    block = re.search(r"<ul class='findings'>(.*?)</ul>", html, re.S)
    assert block, "the report opens with its findings"
    return re.findall(r"<li>(.*?)</li>", block.group(1))


def test_report_has_a_chart_for_each_measure(report):
    for caption in ("Demand by service", "Weekly demand by channel", "hour of the day", "Completion and abandonment",
                    "Time to resolve against", "access beside all residents"):  # fmt: skip
        assert caption in report
    assert report.count("<svg") >= 6
    assert report.count("role='img'") >= 6, "every chart carries a text alternative"
    assert "<script" not in report and "http://" not in report.split("<svg", 1)[0], "self-contained, no assets"


def test_report_findings_are_plain_english_and_computed_from_the_data(report):
    found = findings(report)
    assert len(found) >= 8
    assert re.search(r"Residents started [\d,]+ service journeys \([\d,]+ people\)", found[0])
    assert any(
        re.fullmatch(r"Demand for &quot;.+&quot; (rose|fell) by \d+% on the previous half-year.*", f) for f in found
    )
    assert any(
        re.fullmatch(r"Vulnerable residents completed online at \d+% vs \d+% for all residents\.", f) for f in found
    )
    assert any("outside office hours" in f for f in found)


def test_report_suppresses_small_groups_and_names_nobody(report):
    assert "fewer than 10 people" in report
    population = generate_population(TEST_RESIDENTS, DEMO_SEED)
    for person in population.people:
        assert person.name not in report
        assert not person.email or person.email not in report


def test_a_backwards_period_is_refused(demo_year, tmp_path: Path, capsys):
    output = tmp_path / "report.html"
    assert main_report(demo_year, date(2026, 6, 30), date(2026, 1, 1), output) == 2
    assert "from must be on or before to" in capsys.readouterr().err
    assert not output.exists()


def test_a_store_with_no_events_still_gets_a_report(tmp_path: Path):
    output = tmp_path / "empty.html"
    assert main_report(Settings(data_dir=tmp_path), date(2026, 1, 1), date(2026, 6, 30), output) == 0
    assert "<h1>Resident demand and access" in output.read_text()


def table_rows(html: str, caption_start: str) -> list[list[str]]:
    """The body rows of the first table after `caption_start`, each as its cells' text."""
    table = re.search(re.escape(caption_start) + r".*?<tbody>(.*?)</tbody>", html, re.S)
    assert table, caption_start
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1))]


def test_report_tables_withhold_small_counts(report):
    rows = table_rows(report, "Journeys started per service")
    started = [row[2] for row in rows if row[1] != "fewer than 10 people"]
    assert started and "withheld" in report
    for cell in started:
        assert cell == "withheld" or int(cell.replace(",", "")) == 0 or int(cell.replace(",", "")) >= 10, cell
    assert "every count from 1 to 9" in report


def test_a_half_year_is_compared_with_the_half_year_before_it(report):
    assert "Compared with the previous half-year" in report
    assert "too little data" not in report


def test_a_year_against_an_almost_empty_year_says_it_cannot_compare(demo_year, tmp_path: Path):
    today = london_today()
    output = tmp_path / "year.html"
    assert main_report(demo_year, today - timedelta(days=365), today - timedelta(days=1), output) == 0
    html = output.read_text(encoding="utf-8")
    found = findings(html)
    assert re.search(
        r"There is too little data for the previous year \(.*: journeys in \d of its \d+ weeks\)", found[1]
    )
    assert not any(re.search(r"rose by|fell by|on the previous", f) for f in found), found
    assert "The previous year (" in html and "has too little data to compare with" in html


def test_a_period_of_another_length_is_compared_with_as_many_days_before_it(demo_year, tmp_path: Path):
    today = london_today()
    output = tmp_path / "forty.html"
    assert main_report(demo_year, today - timedelta(days=40), today - timedelta(days=1), output) == 0
    html = output.read_text(encoding="utf-8")
    assert "Compared with the previous 40 days" in html
    assert "half-year" not in html


def test_a_period_with_no_journeys_says_so(tmp_path: Path):
    output = tmp_path / "empty.html"
    assert main_report(Settings(data_dir=tmp_path), date(2026, 1, 1), date(2026, 6, 30), output) == 0
    html = output.read_text(encoding="utf-8")
    assert findings(html) == ["No journeys were recorded in this half-year: there is nothing to report."]
    assert "No journeys were recorded in this period." in html
