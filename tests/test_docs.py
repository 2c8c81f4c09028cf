"""The documentation a user of the repository reads stays true to the code and inside the repository.

docs/api.md must list every setting the package reads, every command and every error code a client
can be answered with; README.md and docs/ must link only to files that exist in the repository.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from customer360.cli import _parser as build_parser
from customer360.commands.access import AccessCode
from customer360.domain.cases import CaseCode
from customer360.domain.casework import CaseworkCode
from customer360.domain.complaints import ComplaintCode
from customer360.domain.direct_debit import DirectDebitCode
from customer360.domain.discounts import DiscountCode
from customer360.domain.housing import HousingCode
from customer360.domain.moving import MoveCode
from customer360.domain.payments import PaymentCode
from customer360.domain.problems import CommonCode
from customer360.domain.reporting import ReportCode
from customer360.domain.services import ServiceDesignCode
from customer360.domain.stewardship import StewardCode
from customer360.schema.input_boundary import InputCode

ROOT = Path(__file__).resolve().parents[1]
API = (ROOT / "docs" / "api.md").read_text()
PUBLISHED = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md"]
CODE_ENUMS: list[type[StrEnum]] = [
    CommonCode,
    ComplaintCode,
    ReportCode,
    ServiceDesignCode,
    HousingCode,
    PaymentCode,
    CaseCode,
    MoveCode,
    DiscountCode,
    StewardCode,
    InputCode,
    AccessCode,
    CaseworkCode,
    DirectDebitCode,
]


def settings_read_by_the_package() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "customer360").rglob("*.py"):
        found.update(re.findall(r"\"(C360_[A-Z0-9_]+)\"", path.read_text()))
    # A name that only starts others (the identity providers' `C360_OIDC` + `_ISSUER` ...) is not one itself.
    return {name for name in found if not any(other.startswith(f"{name}_") for other in found)}


def test_every_setting_the_package_reads_is_in_the_reference() -> None:
    missing = sorted(name for name in settings_read_by_the_package() if f"`{name}`" not in API)
    assert missing == []


def test_every_command_is_in_the_reference() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    names = [f"customer360 {name}" for name in commands]
    names += [f"customer360 demo {name}" for name in commands["demo"]._subparsers._group_actions[0].choices]
    assert [name for name in names if f"`{name}" not in API] == []


@pytest.mark.parametrize("codes", CODE_ENUMS, ids=lambda enum: enum.__name__)
def test_every_user_error_code_is_in_the_reference(codes: type[StrEnum]) -> None:
    assert [code.value for code in codes if f"`{code.value}`" not in API] == []


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda path: str(path.relative_to(ROOT)))
def test_documents_point_only_inside_the_repository(path: Path) -> None:
    text = path.read_text()
    assert "../shared" not in text and "CONTRACT.md" not in text and "/work/" not in text
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or a heading of the same page
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{target} leaves the repository"
        assert resolved.exists(), f"{path.name} links to {target}, which is not in the repository"
