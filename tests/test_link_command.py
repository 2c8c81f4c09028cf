"""`customer360 link` end to end: a records.csv in, a clusters.csv out (CONTRACT.md)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

HEADER = "source,record_id,title,forenames,surname,date_of_birth,address_line1,address_line2,town,postcode,email,phone"


def people_rows() -> list[str]:
    """Forty people, each in revenues and in the CRM (the CRM with a nickname or a typo now and then)."""
    forenames = ["Robert", "Elizabeth", "William", "Margaret", "Thomas", "Susan", "Daniel", "Rebecca"]
    surnames = [
        "Ashdown",
        "Bramley",
        "Cotterill",
        "Dunmore",
        "Ellery",
        "Fenwick",
        "Garside",
        "Hollins",
        "Ingham",
        "Jessop",
    ]
    nick = {"Robert": "Bob", "Elizabeth": "Liz", "William": "Bill", "Thomas": "Tom"}
    rows = []
    for i in range(40):
        forename, surname = forenames[i % 8], surnames[i % 10] + ("" if i < 10 else "abcd"[i // 10 - 1] * 2)
        born = f"{1950 + i}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        address = f"{i + 1} Station Road,,Tamworth,B7{i % 10} {i % 9}AB"
        email = f"{forename}.{surname}@example.com".lower()
        rows.append(f"REVENUES,R{i},Mr,{forename},{surname},{born},{address},{email},07700 9{i:05d}")
        crm_forename = nick.get(forename, forename) if i % 2 else forename
        rows.append(
            f"CRM,C{i},,{crm_forename},{surname},{born if i % 3 else ''},{address},{email.upper() if i % 4 else ''},"
        )
    return rows


def run_link(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "records.csv"
    source.write_text(text, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "customer360",
            "link",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "clusters.csv"),
        ],
        capture_output=True,
        text=True,
        env={"C360_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_link_writes_every_row_once_and_clusters_each_person(tmp_path: Path) -> None:
    rows = people_rows()
    twins = [
        "HOUSING,H1,Miss,Chloe,Quarrie,1999-03-04,7 Mill Lane,,Tamworth,B77 2AB,,01827 700700",
        "HOUSING,H2,Mr,Daniel,Quarrie,1999-03-04,7 Mill Lane,,Tamworth,B77 2AB,,01827 700700",
    ]
    result = run_link(tmp_path, "\n".join([HEADER, *rows, *twins]) + "\n")
    assert result.returncode == 0, result.stderr
    assert "comparing" in result.stderr  # the progress bar
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == ["source", "record_id", "cluster_id", "confidence"]
        out = list(reader)
    keys = [(r["source"], r["record_id"]) for r in out]
    assert len(keys) == len(set(keys)) == len(rows) + len(twins)
    cluster_of = {key: r["cluster_id"] for key, r in zip(keys, out, strict=True)}
    for i in range(40):
        assert cluster_of[("REVENUES", f"R{i}")] == cluster_of[("CRM", f"C{i}")], i
    assert len(set(cluster_of.values())) == 42
    assert cluster_of[("HOUSING", "H1")] != cluster_of[("HOUSING", "H2")]
    assert all(0 <= float(r["confidence"]) <= 1 for r in out)


def test_missing_columns_exit_2_with_a_message(tmp_path: Path) -> None:
    result = run_link(tmp_path, "source,record_id,forenames\nCRM,1,Ann\n")
    assert result.returncode == 2
    assert "missing column" in result.stderr and "surname" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_date_exit_2_naming_the_line(tmp_path: Path) -> None:
    result = run_link(tmp_path, f"{HEADER}\nCRM,1,,Ann,Lee,1980-02-30,,,,,,\n")
    assert result.returncode == 2
    assert "line 2" in result.stderr and "1980-02-30" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_input_file_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "customer360",
            "link",
            "--input",
            str(tmp_path / "nope.csv"),
            "--output",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
        env={"C360_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr
