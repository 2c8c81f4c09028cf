"""The normalisations every matcher compares on: email, postcode, UK phone, name."""

from __future__ import annotations

import pytest

from customer360.domain.people import normalise_email, normalise_name, normalise_phone, normalise_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("jo.bloggs@example.com", "jo.bloggs@example.com", id="already-normal"),
        pytest.param("Jo.Bloggs@Example.COM", "jo.bloggs@example.com", id="case-folded"),
        pytest.param("  jo.bloggs@example.com \t", "jo.bloggs@example.com", id="surrounding-whitespace-trimmed"),
        pytest.param("JO@TAMWORTH.GOV.UK", "jo@tamworth.gov.uk", id="upper-case-gov-uk"),
        pytest.param("no-at-sign.example.com", None, id="no-at-sign"),
        pytest.param("jo@localhost", None, id="domain-without-dot"),
        pytest.param("jo@example", None, id="bare-domain"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(None, None, id="none"),
    ],
)
def test_normalise_email(raw: str | None, expected: str | None) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("@example.com", id="empty-local-part"),
        pytest.param("jo bloggs@example.com", id="space-inside"),
    ],
)
def test_normalise_email_rejects_malformed_addresses(raw: str) -> None:
    assert normalise_email(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("b797bz", "B79 7BZ", id="compact-lower-case"),
        pytest.param("B79 7BZ", "B79 7BZ", id="already-normal"),
        pytest.param("  b79   7bz ", "B79 7BZ", id="extra-spaces"),
        pytest.param("b7 97bz", "B79 7BZ", id="space-in-wrong-place"),
        pytest.param("sw1a1aa", "SW1A 1AA", id="seven-characters"),
        pytest.param("m11ae", "M1 1AE", id="five-characters-shortest"),
        pytest.param("M1 1A", None, id="four-characters-too-short"),
        pytest.param("B79", None, id="outward-code-only"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_normalise_postcode(raw: str | None, expected: str | None) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("01827 709709", "+441827709709", id="national-landline"),
        pytest.param("+44 1827 709709", "+441827709709", id="international-landline"),
        pytest.param("(01827) 709 709", "+441827709709", id="brackets-and-spaces"),
        pytest.param("0044 1827 709709", "+441827709709", id="00-international-prefix"),
        pytest.param("07700900123", "+447700900123", id="mobile-compact"),
        pytest.param("07700 900 123", "+447700900123", id="mobile-spaced"),
        pytest.param("+447700900123", "+447700900123", id="already-e164"),
        pytest.param("not a phone", None, id="words"),
        pytest.param("123", None, id="too-short"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_normalise_phone(raw: str | None, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Smith", "SMITH", id="upper-cased"),
        pytest.param("smith", "SMITH", id="lower-case-input"),
        pytest.param("Smith-Jones", "SMITH JONES", id="hyphen-becomes-space"),
        pytest.param("Mary-Jane", "MARY JANE", id="hyphenated-forename"),
        pytest.param("O'Brien", "OBRIEN", id="apostrophe-dropped"),
        pytest.param("O\u2019Brien", "OBRIEN", id="curly-apostrophe-dropped"),
        pytest.param("  de  la   Cruz ", "DE LA CRUZ", id="spaces-collapsed-and-trimmed"),
        pytest.param("St. John", "ST JOHN", id="full-stop-dropped"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_normalise_name_equates_office_spellings() -> None:
    assert normalise_name("SMITH-JONES") == normalise_name("smith jones") == normalise_name(" Smith - Jones ")
    assert normalise_name("O'Brien") == normalise_name("OBRIEN")


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        pytest.param("Zoë", "Zoe", id="diaeresis"),
        pytest.param("Siân", "Sian", id="circumflex"),
        pytest.param("Muñoz", "Munoz", id="tilde"),
    ],
)
def test_normalise_name_folds_accents(accented: str, plain: str) -> None:
    assert normalise_name(accented) == normalise_name(plain)
