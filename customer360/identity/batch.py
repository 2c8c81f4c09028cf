"""The golden-record batch: `customer360 link --input records.csv --output clusters.csv` (CONTRACT.md).

Reads the records a row at a time (only the normalised fields are kept), trains the model on the
file itself, scores the candidate pairs a chunk at a time, clusters, and writes one output row per
input row. A malformed file raises `BatchInputError` naming the line, which the command turns into
exit status 2 and a one-line message.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np
from tqdm import tqdm

from customer360.identity.blocking import candidate_pairs
from customer360.identity.clustering import one_to_one, two_deduplicated_files
from customer360.identity.features import IntArray, MatchRecord, build_features
from customer360.identity.matcher import (
    AUTO_LINK,
    REVIEW,
    clusters_from_arrays,
    compare,
    evidence,
    match_probabilities,
    relatives_apart,
    train_on,
)
from customer360.identity.model import Floats, MatchModel, Vectors

INPUT_COLUMNS = (
    "source", "record_id", "title", "forenames", "surname", "date_of_birth",
    "address_line1", "address_line2", "town", "postcode", "email", "phone",
)  # fmt: skip
OUTPUT_COLUMNS = ("source", "record_id", "cluster_id", "confidence")


class BatchInputError(ValueError):
    """The input file is not CONTRACT.md's records.csv."""


@dataclass(frozen=True, slots=True)
class LinkSummary:
    records: int
    clusters: int
    candidate_pairs: int
    review_pairs: int
    seconds: float
    two_files: bool = False  # linked as two deduplicated files, one to one (see `one_to_one`)


def read_records(file: TextIO, name: str = "input") -> Iterator[MatchRecord]:
    reader = csv.DictReader(file)
    missing = [column for column in INPUT_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise BatchInputError(
            f"{name}: missing column(s) {', '.join(missing)} (header needs {','.join(INPUT_COLUMNS)})"
        )
    seen: set[tuple[str, str]] = set()
    for row in reader:
        line = reader.line_num
        if None in row or any(value is None for value in row.values()):
            raise BatchInputError(f"{name} line {line}: expected {len(reader.fieldnames or [])} cells")
        key = (row["source"].strip(), row["record_id"].strip())
        if not all(key):
            raise BatchInputError(f"{name} line {line}: source and record_id are required")
        if key in seen:
            raise BatchInputError(f"{name} line {line}: {key[0]} record {key[1]} appears twice")
        seen.add(key)
        yield MatchRecord(
            source=key[0],
            record_id=key[1],
            title=row["title"],
            forenames=row["forenames"],
            surname=row["surname"],
            date_of_birth=_date(row["date_of_birth"], f"{name} line {line}"),
            address_line1=row["address_line1"],
            address_line2=row["address_line2"],
            town=row["town"],
            postcode=row["postcode"],
            email=row["email"],
            phone=row["phone"],
        )


def _date(text: str, where: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_date(text, where)
    except ValueError:
        return _bad_date(text, where)


def _bad_date(text: str, where: str) -> date:
    raise BatchInputError(f"{where}: date_of_birth {text!r} is not a date as YYYY-MM-DD")


def link_file(
    input_path: Path,
    output_path: Path,
    *,
    link_threshold: float = AUTO_LINK,
    relative_guards: bool = True,
    review_path: Path | None = None,
    model_path: Path | None = None,
    progress: bool = True,
) -> LinkSummary:
    started = time.perf_counter()
    try:
        with input_path.open(encoding="utf-8-sig", newline="") as file:
            records = list(
                tqdm(
                    read_records(file, input_path.name),
                    desc="reading",
                    unit=" rows",
                    disable=not progress,
                    file=sys.stderr,
                )
            )
    except UnicodeDecodeError as error:
        raise BatchInputError(f"{input_path.name}: not UTF-8 ({error.reason})") from error
    features = build_features(records)
    candidates = candidate_pairs(features)
    with tqdm(total=len(candidates), desc="comparing", unit=" pairs", disable=not progress, file=sys.stderr) as bar:
        vectors = compare(features, candidates, progress=bar.update)
    model = train_on(features, candidates, vectors, relative_guards=relative_guards)
    _, probability = match_probabilities(model, vectors)
    sources = np.array([record.source for record in records], dtype=object)
    linking_two_files = two_deduplicated_files(
        sources, candidates.left, candidates.right, probability >= link_threshold
    )
    if linking_two_files:
        probability = one_to_one(sources, candidates.left, candidates.right, probability, REVIEW)
    apart = relatives_apart(model, candidates, vectors)
    kept = probability >= REVIEW  # what is below review is no link and no question: drop it now
    left, right, probability, vectors = candidates.left[kept], candidates.right[kept], probability[kept], vectors[kept]
    clusters = clusters_from_arrays(records, left, right, probability, link_threshold, apart)
    with output_path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(OUTPUT_COLUMNS)
        rows = sorted(
            (index, cluster.cluster_id, confidence)
            for cluster in clusters
            for index, confidence in zip(cluster.members, cluster.confidence, strict=True)
        )
        for index, cluster_id, confidence in rows:
            writer.writerow((records[index].source, records[index].record_id, cluster_id, f"{confidence:.4f}"))
    review = np.flatnonzero(probability < link_threshold)
    if review_path:
        _write_review(review_path, records, left[review], right[review], probability[review], vectors[review], model)
    if model_path:
        model_path.write_text(model.to_json(), encoding="utf-8")
    return LinkSummary(
        len(records), len(clusters), len(candidates), len(review), time.perf_counter() - started, linking_two_files
    )


def _write_review(
    path: Path,
    records: list[MatchRecord],
    left: IntArray,
    right: IntArray,
    probability: Floats,
    vectors: Vectors,
    model: MatchModel,
) -> None:
    """The steward's queue: pairs between the thresholds, with each field's level and weight (JSON)."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ("left_source", "left_record_id", "right_source", "right_record_id", "match_probability", "evidence")
        )
        for k in np.argsort(-probability).tolist():
            a, b = records[int(left[k])], records[int(right[k])]
            writer.writerow(
                (
                    a.source,
                    a.record_id,
                    b.source,
                    b.record_id,
                    f"{probability[k]:.4f}",
                    json.dumps(evidence(model, vectors[k])),
                )
            )
