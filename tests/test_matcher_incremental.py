"""A day's arrivals against a linked store give what a full run on store and arrivals together gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import numpy as np

from customer360.demo.population import generate_population
from customer360.identity.blocking import candidate_pairs_touching
from customer360.identity.features import MatchRecord, build_features
from customer360.identity.incremental import Linked, arrival_pairs, link_arrivals, link_population
from customer360.identity.matcher import AUTO_LINK, REVIEW, train
from customer360.identity.model import MatchModel


@cache
def council() -> tuple[list[MatchRecord], MatchModel]:
    """A realistic demo council (nicknames, maiden names, moves, households), shuffled so that the
    arrivals are any office's records, and the model trained on all of it."""
    records = [MatchRecord.from_person(r) for r in generate_population(400, seed=11).records]
    order = np.random.default_rng(4).permutation(len(records))
    shuffled = [records[i] for i in order.tolist()]
    return shuffled, train(shuffled)


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for record, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(record)
    return {frozenset(group) for group in groups.values()}


def test_arrivals_are_blocked_exactly_as_a_full_run_blocks_them() -> None:
    records, model = council()
    store = link_population(records[:-80], model)
    grown, day = link_arrivals(store, model, records[-80:])
    new = np.zeros(len(records), dtype=np.bool_)
    new[-80:] = True
    touching = candidate_pairs_touching(build_features(records), new)
    assert list(zip(day.candidates.left.tolist(), day.candidates.right.tolist(), strict=True)) == list(
        zip(touching.left.tolist(), touching.right.tolist(), strict=True)
    )
    assert len(day.candidates) > 80
    assert day.first == len(records) - 80 and len(grown) == len(records)


def test_one_day_of_arrivals_clusters_as_the_full_run_does() -> None:
    records, model = council()
    full = link_population(records, model)
    store = link_population(records[:-80], model)
    grown, day = link_arrivals(store, model, records[-80:])
    assert partition(grown.labels) == partition(full.labels)
    assert day.links > 0
    assert len(partition(full.labels)) < len(records)  # people were linked at all


def test_three_days_running_cluster_as_the_full_run_does() -> None:
    """The blocking index grows with each day's records: the third day still finds the first's."""
    records, model = council()
    linked: Linked = link_population(records[:-90], model)
    for start in (-90, -60, -30):
        linked, _ = link_arrivals(linked, model, records[start : start + 30 or None])
    assert partition(linked.labels) == partition(link_population(records, model).labels)


def test_review_pairs_are_between_the_thresholds_and_in_two_clusters() -> None:
    records, model = council()
    grown, day = link_arrivals(link_population(records[:-80], model), model, records[-80:])
    review = day.review
    assert review.any()
    assert np.all((day.probability[review] >= REVIEW) & (day.probability[review] < AUTO_LINK))
    assert np.all(grown.labels[day.candidates.left[review]] != grown.labels[day.candidates.right[review]])


def test_a_known_person_joins_their_customer_and_a_stranger_starts_one() -> None:
    records, model = council()
    store = link_population(records, model)
    known = next(r for r in records if r.date_of_birth and r.email and r.postcode and r.forenames)
    again = replace(known, source="CRM", record_id="new-1")  # the same person, a new contact today
    stranger = MatchRecord(
        source="CRM",
        record_id="new-2",
        forenames="Zebedee",
        surname="Quarrington-Vask",
        date_of_birth=date(1931, 2, 27),
        address_line1="1 Nowhere Lane",
        postcode="ZZ9 9ZZ",
    )
    grown, day = link_arrivals(store, model, [again, stranger])
    first = records.index(known)
    assert grown.labels[day.first] == grown.labels[first]
    assert np.sum(grown.labels == grown.labels[day.first + 1]) == 1  # alone
    assert partition(grown.labels[: len(records)]) == partition(store.labels)  # nobody else moved


def test_a_block_an_arrival_takes_past_the_cap_is_skipped_as_a_full_run_skips_it() -> None:
    """With blocks capped at 4 records, a stored block of 4 that an arrival makes 5 gives no pairs by
    that rule (other rules still reach them), exactly as a full run over store and arrivals does."""
    records, model = council()
    store = link_population(records[:-80], model, max_block=4)
    _, day = link_arrivals(store, model, records[-80:])
    new = np.zeros(len(records), dtype=np.bool_)
    new[-80:] = True
    touching = candidate_pairs_touching(build_features(records), new, max_block=4)
    assert set(zip(day.candidates.left.tolist(), day.candidates.right.tolist(), strict=True)) == set(
        zip(touching.left.tolist(), touching.right.tolist(), strict=True)
    )
    assert day.candidates.skipped_blocks == touching.skipped_blocks
    assert sum(day.candidates.skipped_blocks.values()) > 0  # the cap was met


def test_an_arrival_from_a_change_feed_is_scored_as_a_day_of_arrivals_scores_it() -> None:
    """The service's one arrival against the stored records its keys reach (`arrival_pairs`) and the
    batch's day of arrivals (`link_arrivals`) are one implementation: the same pairs, the same scores."""
    records, model = council()
    stored, arrival = records[:-1], records[-1]
    _, day = link_arrivals(link_population(stored, model), model, [arrival])
    scored = arrival_pairs(model, arrival, stored)
    assert {(pair.left, round(pair.match_probability, 12)) for pair in scored} == {
        (left, round(probability, 12))
        for left, probability in zip(day.candidates.left.tolist(), day.probability.tolist(), strict=True)
    }
    assert all(pair.right == len(stored) for pair in scored)
    assert [pair.match_probability for pair in scored] == sorted((p.match_probability for p in scored), reverse=True)
    assert scored[0].match_probability >= AUTO_LINK and scored[0].evidence  # the arrival's other records
    # Only pairs that touch the arrival: none between two stored records, though they block together.
    assert len(scored) == len(day.candidates) < len(stored)
