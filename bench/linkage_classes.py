"""Which kind of real-world variation each true pair of the demo council shows, and how much of each
kind a matcher put together (recall by variation class): what moved recall, and by how much."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from customer360.demo.population import Population, SystemPerson

Key = tuple[str, str]
_TITLES = {"Mr", "Mrs", "Ms", "Miss", "Dr"}

CLASSES = (
    "nickname or diminutive",
    "second name as first",
    "initial",
    "title typed into the forenames",
    "transliteration",
    "maiden or married name",
    "Mc/Mac, apostrophe, double-barrelled",
    "date of birth: swapped or one slip",
    "date of birth: 1900-01-01",
    "moved: old address in one office",
    "flat or house name written differently",
    "postcode slip",
    "name only (no address, date, e-mail or phone)",
    "none of these",
)


def pair_classes(population: Population) -> dict[tuple[Key, Key], list[str]]:
    """Every true pair (two records of one person) with the variation classes it shows."""
    from customer360.demo.spellings import NICKNAMES, PLACEHOLDER_BIRTH_DATE, TRANSLITERATIONS
    from customer360.domain.people import normalise_postcode

    by_person: dict[str, list[SystemPerson]] = {}
    for record in population.records:
        by_person.setdefault(record.person_id, []).append(record)
    found: dict[tuple[Key, Key], list[str]] = {}
    for person_id, records in by_person.items():
        person = population.person(person_id)
        homes = {a.postcode for a in (person.address, person.previous_address) if a}
        for i, a in enumerate(records):
            for b in records[i + 1 :]:
                both = (a, b)
                firsts = [(r.forenames.split() or [""])[0] for r in both]
                classes = []
                if firsts[0] != firsts[1] and any(f in NICKNAMES.get(person.forenames, ()) for f in firsts):
                    classes.append("nickname or diminutive")
                if person.middle_name and any(r.forenames == person.middle_name for r in both):
                    classes.append("second name as first")
                if any(len(f.rstrip(".")) == 1 for f in firsts):
                    classes.append("initial")
                if any(f in _TITLES for f in firsts):
                    classes.append("title typed into the forenames")
                if any(f in TRANSLITERATIONS.get(person.forenames, ()) for f in firsts) or any(
                    r.surname in TRANSLITERATIONS.get(person.surname, ()) for r in both
                ):
                    classes.append("transliteration")
                surnames = [r.surname.split()[0] for r in both]
                if person.previous_surname and surnames[0] != surnames[1] and person.previous_surname in surnames:
                    classes.append("maiden or married name")
                elif a.surname != b.surname and any(m in person.surname for m in ("Mc", "Mac", "'", "-")):
                    classes.append("Mc/Mac, apostrophe, double-barrelled")
                dobs = [r.date_of_birth for r in both]
                if PLACEHOLDER_BIRTH_DATE in dobs and None not in dobs and dobs[0] != dobs[1]:
                    classes.append("date of birth: 1900-01-01")
                elif None not in dobs and dobs[0] != dobs[1]:
                    classes.append("date of birth: swapped or one slip")
                if a.address and b.address:
                    codes = [normalise_postcode(r.address.postcode) for r in both]
                    if not set(codes) <= homes:
                        classes.append("postcode slip")
                    elif codes[0] != codes[1]:
                        classes.append("moved: old address in one office")
                    elif a.address.line1 != b.address.line1:
                        classes.append("flat or house name written differently")
                if any(not (r.address or r.date_of_birth or r.email or r.phone) for r in both):
                    classes.append("name only (no address, date, e-mail or phone)")
                key_a, key_b = (a.system.value, a.record_id), (b.system.value, b.record_id)
                found[(key_a, key_b)] = classes or ["none of these"]
    return found


def recall_by_class(classes: dict[tuple[Key, Key], list[str]], predicted: dict[Key, str]) -> dict[str, tuple[int, int]]:
    """class -> (true pairs put together, true pairs)."""
    together: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for (a, b), names in classes.items():
        joined = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
        for name in names:
            total[name] += 1
            together[name] += joined
    return {name: (together[name], total[name]) for name in CLASSES if total[name]}


def recall_table(rows: Iterable[tuple[str, dict[str, tuple[int, int]]]]) -> str:
    """Markdown: one row per class, one column per matcher (recall, and the pairs behind it)."""
    rows = list(rows)
    header = "| variation class | true pairs | " + " | ".join(label for label, _ in rows) + " |"
    lines = [header, "| --- | ---: |" + " ---: |" * len(rows)]
    for name in CLASSES:
        totals = [recall.get(name, (0, 0)) for _, recall in rows]
        if not totals or not totals[0][1]:
            continue
        cells = " | ".join(f"{hit / total:.3f}" for hit, total in totals)
        lines.append(f"| {name} | {totals[0][1]:,} | {cells} |")
    return "\n".join(lines)
