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
