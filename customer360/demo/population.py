"""The demo council's residents: who they truly are, and how each back office has them on file.

Pure and deterministic: `generate_population(residents, seed)` draws from `random.Random(seed)`
only. Each back office spells a person its own way (nicknames, typos, an old address, a phone
written differently), and some different people look alike (twins, a father and son of one name):
that is what the golden record has to untangle, and `truth_rows()` is its answer key.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from math import ceil

from customer360.demo import spellings
from customer360.demo.gazetteer import GazetteerAddress, demo_gazetteer
from customer360.demo.spellings import NICKNAMES
from customer360.domain.people import PostalAddress, normalise_email
from customer360.domain.systems import SourceSystem

# The demo is set in financial year 2026/27: ages and recent moves count from this day.
POPULATION_AS_OF = date(2026, 11, 23)
_RECENT_MOVES = (date(2026, 4, 15), date(2026, 11, 9))

MALE_FORENAMES = (
    "Robert", "William", "James", "Michael", "Thomas", "Richard", "Christopher", "Anthony", "Edward",
    "Daniel", "Matthew", "Andrew", "Joseph", "David", "Stephen", "Alexander", "Benjamin", "Nicholas",
    "Jonathan", "Peter", "Paul", "Mark", "Gary", "Ian", "Kevin", "Liam", "Oliver", "Harry", "George",
    "Jack", "Connor", "Mohammed", "Arjun", "Piotr", "Darren", "Craig", "Lee", "Graham", "Keith", "Brian",
    "John", "Henry", "Yusuf",
)  # fmt: skip
FEMALE_FORENAMES = (
    "Elizabeth", "Margaret", "Katherine", "Catherine", "Jennifer", "Susan", "Patricia", "Deborah",
    "Rebecca", "Samantha", "Victoria", "Christine", "Jacqueline", "Alexandra", "Sarah", "Emma", "Claire",
    "Helen", "Karen", "Julie", "Nicola", "Lisa", "Amy", "Chloe", "Sophie", "Olivia", "Emily", "Jessica",
    "Hannah", "Lauren", "Priya", "Aisha", "Agnieszka", "Joanne", "Tracey", "Dawn", "Janet", "Pauline",
    "Fatima", "Zainab",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
    "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly",
    "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
    "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "O'Brien", "Kowalski", "Nowak", "Fletcher", "Hodgkinson", "Bate", "Twigg", "McDonald", "MacKenzie",
    "McLeod", "O'Neill", "D'Souza", "Chaudhry", "McCarthy",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example", "post.example")
_STREET_ABBREVIATIONS = {"Street": "St", "Road": "Rd", "Lane": "Ln", "Avenue": "Ave", "Drive": "Dr", "Close": "Cl"}


class HouseholdKind(StrEnum):
    SINGLE = "SINGLE"
    COUPLE = "COUPLE"
    FAMILY = "FAMILY"  # a couple with children under 18
    SINGLE_PARENT = "SINGLE_PARENT"
    ADULT_CHILDREN = "ADULT_CHILDREN"  # a couple with grown-up children still at home
    SHARERS = "SHARERS"  # unrelated adults on a joint tenancy
    TWINS = "TWINS"  # a parent or two with adult twins at home
    FATHER_SON = "FATHER_SON"  # father, mother and a son of the father's name


_KIND_WEIGHTS = {
    HouseholdKind.SINGLE: 30,
    HouseholdKind.COUPLE: 27,
    HouseholdKind.FAMILY: 17,
    HouseholdKind.SINGLE_PARENT: 8,
    HouseholdKind.ADULT_CHILDREN: 11,
    HouseholdKind.SHARERS: 5,
}
# Look-alikes are what a matcher gets wrong, so every 30 households has one of each.
_LOOKALIKE_SLOTS = {5: HouseholdKind.TWINS, 20: HouseholdKind.FATHER_SON}


@dataclass(frozen=True, slots=True)
class Child:
    forenames: str
    surname: str
    date_of_birth: date


@dataclass(frozen=True, slots=True)
class TruePerson:
    person_id: str
    title: str
    forenames: str
    middle_name: str | None
    surname: str
    date_of_birth: date
    sex: str  # "F" or "M"
    email: str | None  # canonical: lower case, unique
    phone: str | None  # canonical: national format, "07700 900123"
    address: GazetteerAddress
    previous_address: GazetteerAddress | None
    household_id: str
    junior: bool = False  # a son who shares his father's name; some offices add "Jr"
    senior: bool = False  # that son's father; some offices add "Sr"
    previous_surname: str | None = None  # a maiden or married name some offices still hold
    goes_by_middle: bool = False  # "James Robert" whom everyone but the formal offices calls Robert
    household_email: str | None = None  # a couple's joint mailbox, given to the offices that do not verify
    partner_phone: str | None = None  # the partner's mobile, given as the contact number here and there

    @property
    def name(self) -> str:
        return f"{self.forenames} {self.surname}"


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    kind: HouseholdKind
    address: GazetteerAddress
    adult_ids: tuple[str, ...]  # the first is the householder, named on the Council Tax bill
    liable_ids: tuple[str, ...]  # jointly liable for Council Tax (LGFA 1992 ss.6 and 9)
    partner_id: str | None = None
    children: tuple[Child, ...] = ()
    previous_address: GazetteerAddress | None = None
    moved_in_on: date | None = None

    @property
    def householder_id(self) -> str:
        return self.adult_ids[0]


@dataclass(frozen=True, slots=True)
class SystemPerson:
    """One back office's record of a person, spelt as that office has it."""

    system: SourceSystem
    record_id: str
    person_id: str
    title: str | None
    forenames: str
    surname: str
    date_of_birth: date | None
    address: PostalAddress | None
    email: str | None
    email_verified: bool
    phone: str | None


@dataclass(frozen=True)
class Population:
    seed: int
    people: tuple[TruePerson, ...]
    households: tuple[Household, ...]
    records: tuple[SystemPerson, ...]

    @cached_property
    def _people_by_id(self) -> dict[str, TruePerson]:
        return {person.person_id: person for person in self.people}

    @cached_property
    def _systems_by_person(self) -> dict[str, frozenset[SourceSystem]]:
        found: dict[str, set[SourceSystem]] = {}
        for record in self.records:
            found.setdefault(record.person_id, set()).add(record.system)
        return {person_id: frozenset(systems) for person_id, systems in found.items()}

    def person(self, person_id: str) -> TruePerson:
        return self._people_by_id[person_id]

    def systems_of(self, person_id: str) -> frozenset[SourceSystem]:
        return self._systems_by_person.get(person_id, frozenset())

    def records_in(self, system: SourceSystem) -> list[SystemPerson]:
        return [record for record in self.records if record.system is system]

    def residents(self) -> list[TruePerson]:
        """People who can sign in and see a Council Tax account: best connected first, then by id."""
        eligible = [p for p in self.people if p.email and SourceSystem.REVENUES in self.systems_of(p.person_id)]
        return sorted(eligible, key=lambda p: (-len(self.systems_of(p.person_id)), p.person_id))

    def truth_rows(self) -> list[tuple[str, str, str]]:
        """`(source, record_id, person_id)` for every back-office record: the golden record's answer key."""
        return [(record.system.value, record.record_id, record.person_id) for record in self.records]


def generate_population(residents: int, seed: int) -> Population:
    """`residents` adults in households across the demo borough, and their back-office records."""
    if residents < 1:
        raise ValueError("residents must be at least 1")
    rng = random.Random(seed)
    town = _Town(rng)
    households = _households(town, residents)
    memberships = _memberships(rng, households, town.people, residents)
    # Council tenants are drawn with a random stream of their own, so adding the seventh back office
    # left every other office's records as they were.
    _add_council_tenants(random.Random(f"{seed}/tenants"), households, memberships)
    records = _render_records(rng, households, town.people, memberships)
    return Population(seed, tuple(town.people.values()), tuple(households), tuple(records))


# --- people and households -------------------------------------------------------------------


class _Town:
    """What generation has handed out so far: person ids, emails, mobiles, addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: dict[str, TruePerson] = {}
        self._emails: set[str] = set()
        # 07700 900000-900999 is Ofcom's drama range; the demo needs more, so it runs on in 07700 9xxxxx.
        self._mobile_serial = rng.randrange(100_000)
        homes = [a for a in demo_gazetteer() if a.in_borough]
        rng.shuffle(homes)
        self._homes = homes
        self.elsewhere = [a for a in demo_gazetteer() if not a.in_borough]

    def next_home(self) -> GazetteerAddress:
        if not self._homes:
            raise ValueError("the demo gazetteer has no homes left for more residents")
        return self._homes.pop()

    def add_person(
        self,
        household_id: str,
        address: GazetteerAddress,
        sex: str,
        date_of_birth: date,
        surname: str,
        *,
        forenames: str | None,
        landline: str | None,
        partnered: bool,
        junior: bool,
    ) -> TruePerson:
        rng = self.rng
        age = _age(date_of_birth)
        forenames = forenames or rng.choice(MALE_FORENAMES if sex == "M" else FEMALE_FORENAMES)
        middle = rng.choice(MALE_FORENAMES if sex == "M" else FEMALE_FORENAMES) if rng.random() < 0.6 else None
        person = TruePerson(
            person_id=f"P{len(self.people) + 1:06d}",
            title=_title(rng, sex, age, partnered),
            forenames=forenames,
            middle_name=middle if middle != forenames else None,
            surname=surname,
            date_of_birth=date_of_birth,
            sex=sex,
            email=self._email(forenames, surname) if rng.random() < (0.55 if age >= 75 else 0.9) else None,
            phone=self._mobile() if rng.random() < (0.5 if age >= 75 else 0.85) else landline,
            address=address,
            previous_address=None,
            household_id=household_id,
            junior=junior,
            goes_by_middle=middle is not None and middle != forenames and rng.random() < 0.06,
        )
        self.people[person.person_id] = person
        return person

    def _email(self, forenames: str, surname: str) -> str:
        first, last = _email_word(forenames), _email_word(surname)
        local = self.rng.choice((f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}", f"{last}.{first}"))
        domain = self.rng.choice(EMAIL_DOMAINS)
        email, n = f"{local}@{domain}", 1
        while email in self._emails:  # emails identify a signed-in resident, so never share one
            n += 1
            email = f"{local}{n}@{domain}"
        self._emails.add(email)
        return email

    def joint_email(self, first: TruePerson, second: TruePerson) -> str:
        """`smithfamily@...` or `bobandsue@...`: one mailbox for two, never anyone's sign-in."""
        local = self.rng.choice(
            (f"{_email_word(first.surname)}family", f"{_email_word(first.forenames)}and{_email_word(second.forenames)}")
        )
        email, n = f"{local}@{self.rng.choice(EMAIL_DOMAINS)}", 1
        while email in self._emails:
            n += 1
            email = f"{local}{n}@{email.split('@')[1]}"
        self._emails.add(email)
        return email

    def _mobile(self) -> str:
        self._mobile_serial = (self._mobile_serial + 7919) % 100_000  # 7919 is prime: no repeats
        return f"07700 9{self._mobile_serial:05d}"


@dataclass(frozen=True, slots=True)
class _Home:
    """A household being formed: where it lives, its family name and its landline."""

    town: _Town
    household_id: str
    address: GazetteerAddress
    surname: str
    landline: str | None

    def add(
        self,
        sex: str,
        born: date,
        surname: str | None = None,
        *,
        forenames: str | None = None,
        partnered: bool = False,
        junior: bool = False,
    ) -> TruePerson:
        return self.town.add_person(
            self.household_id,
            self.address,
            sex,
            born,
            surname or self.surname,
            forenames=forenames,
            landline=self.landline,
            partnered=partnered,
            junior=junior,
        )


# The most adults each kind of household can take, so the last household fits the head count.
_MOST_ADULTS = {
    HouseholdKind.SINGLE: 1,
    HouseholdKind.SINGLE_PARENT: 1,
    HouseholdKind.COUPLE: 2,
    HouseholdKind.FAMILY: 2,
    HouseholdKind.SHARERS: 3,
    HouseholdKind.FATHER_SON: 3,
    HouseholdKind.ADULT_CHILDREN: 4,
    HouseholdKind.TWINS: 4,
}


def _households(town: _Town, residents: int) -> list[Household]:
    households: list[Household] = []
    remaining = residents
    kinds, weights = zip(*_KIND_WEIGHTS.items(), strict=True)
    while remaining > 0:
        index = len(households)
        kind = _LOOKALIKE_SLOTS.get(index % 30) or town.rng.choices(kinds, weights)[0]
        if _MOST_ADULTS[kind] > remaining:
            kind = HouseholdKind.SINGLE if remaining == 1 else HouseholdKind.COUPLE
        household = _household(town, kind, f"H{index + 1:06d}")
        households.append(household)
        remaining -= len(household.adult_ids)
    return [_maybe_moved_in(town, household) for household in households]


def _household(town: _Town, kind: HouseholdKind, household_id: str) -> Household:
    rng = town.rng
    landline = f"01827 {rng.randint(200_000, 899_999)}" if rng.random() < 0.35 else None
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.04:  # a double-barrelled family name
        surname = f"{surname}-{rng.choice([s for s in SURNAMES if s != surname and '-' not in s])}"
    home = _Home(town, household_id, town.next_home(), surname, landline)
    if kind is HouseholdKind.SINGLE:
        lead = home.add(rng.choice("FM"), _aged(rng, 19, 92))
        if lead.sex == "F" and _age(lead.date_of_birth) >= 35 and rng.random() < 0.15:
            _took_name(town, lead, _other_surname(rng, lead.surname))  # divorced: the married name lingers
        return Household(household_id, kind, home.address, (lead.person_id,), (lead.person_id,))
    if kind is HouseholdKind.SINGLE_PARENT:
        lead = home.add(rng.choices("FM", (5, 1))[0], _aged(rng, 20, 50))
        children = _children(rng, lead, rng.randint(1, 3))
        return Household(household_id, kind, home.address, (lead.person_id,), (lead.person_id,), children=children)
    if kind is HouseholdKind.SHARERS:
        sharers = [
            home.add(rng.choice("FM"), _aged(rng, 19, 35), rng.choice(SURNAMES)) for _ in range(rng.randint(2, 3))
        ]
        ids = tuple(p.person_id for p in sharers)
        return Household(household_id, kind, home.address, ids, ids)
    if kind is HouseholdKind.FATHER_SON:
        return _father_and_son(home)
    return _couple_household(home, kind)


def _couple_household(home: _Home, kind: HouseholdKind) -> Household:
    """A couple, jointly liable, with young children, grown-up children or adult twins at home."""
    rng = home.town.rng
    lead_ages = {HouseholdKind.COUPLE: (22, 88), HouseholdKind.FAMILY: (25, 50)}.get(kind, (45, 75))
    lead_sex = rng.choice("FM")
    lead = home.add(lead_sex, _aged(rng, *lead_ages), partnered=True)
    partner_age = max(20, _age(lead.date_of_birth) + rng.randint(-6, 6))
    partner_surname = home.surname if rng.random() < 0.75 else rng.choice(SURNAMES)
    partner = home.add("F" if lead_sex == "M" else "M", _aged(rng, partner_age), partner_surname, partnered=True)
    _married(home.town, lead, partner)
    couple = (lead.person_id, partner.person_id)
    younger = max(lead, partner, key=lambda p: p.date_of_birth)
    children: tuple[Child, ...] = ()
    grown: list[TruePerson] = []
    if kind is HouseholdKind.FAMILY:
        children = _children(rng, younger, rng.randint(1, 3))
    elif kind is HouseholdKind.TWINS:
        twins_born = _aged(rng, 18, min(35, _age(younger.date_of_birth) - 20))
        first = home.add(rng.choice("FM"), twins_born)
        second_sex = rng.choice("FM")
        grown = [first, home.add(second_sex, twins_born, forenames=_sibling_name(rng, first, second_sex))]
    elif kind is HouseholdKind.ADULT_CHILDREN:
        oldest_child = min(32, _age(younger.date_of_birth) - 20)
        grown = [home.add(rng.choice("FM"), _aged(rng, 18, oldest_child)) for _ in range(rng.randint(1, 2))]
    adults = couple + tuple(p.person_id for p in grown)
    return Household(home.household_id, kind, home.address, adults, couple, partner.person_id, children)


def _father_and_son(home: _Home) -> Household:
    """Same forename, surname and address: only the date of birth (and sometimes "Jr") tells them apart."""
    rng = home.town.rng
    name = rng.choice(("John", "David", "Michael", "Robert", "James", "Peter", "Paul", "William"))
    father_born = date(rng.randint(1950, 1968), rng.randint(1, 12), rng.randint(1, 28))
    son_born = date(father_born.year + rng.randint(22, 35), rng.randint(1, 12), rng.randint(1, 28))
    father = home.add("M", father_born, forenames=name, partnered=True)
    mother = home.add("F", _aged(rng, _age(father_born) - rng.randint(0, 4)), partnered=True)
    son = home.add("M", son_born, forenames=name, junior=True)
    home.town.people[father.person_id] = replace(father, senior=True)
    _married(home.town, father, mother)
    couple = (father.person_id, mother.person_id)
    return Household(
        home.household_id, HouseholdKind.FATHER_SON, home.address, (*couple, son.person_id), couple, mother.person_id
    )


def _married(town: _Town, first: TruePerson, second: TruePerson) -> None:
    """A couple of one surname: the wife mostly took it, and an office that knew her before still has her
    maiden name. Some couples share a mailbox, or give one mobile for both."""
    rng = town.rng
    wife = first if first.sex == "F" else second if second.sex == "F" else None
    if wife and first.surname == second.surname and rng.random() < 0.85:
        _took_name(town, wife, _other_surname(rng, wife.surname))
    if rng.random() < 0.15:
        joint = town.joint_email(first, second)
        for person in (first, second):
            town.people[person.person_id] = replace(town.people[person.person_id], household_email=joint)
    if rng.random() < 0.12 and first.phone and first.phone.startswith("07"):
        town.people[second.person_id] = replace(town.people[second.person_id], partner_phone=first.phone)


def _took_name(town: _Town, person: TruePerson, previous: str) -> None:
    town.people[person.person_id] = replace(town.people[person.person_id], previous_surname=previous)


def _other_surname(rng: random.Random, surname: str) -> str:
    return rng.choice([s for s in SURNAMES if s != surname])


def _maybe_moved_in(town: _Town, household: Household) -> Household:
    """About one household in twelve moved in this year: from a home in the borough (now empty) or from outside."""
    rng = town.rng
    if rng.random() >= 0.12:
        return household
    previous = town.next_home() if rng.random() < 0.6 else rng.choice(town.elsewhere)
    moved_in_on = _RECENT_MOVES[0] + timedelta(days=rng.randint(0, (_RECENT_MOVES[1] - _RECENT_MOVES[0]).days))
    for person_id in household.adult_ids:
        town.people[person_id] = replace(town.people[person_id], previous_address=previous)
    return replace(household, previous_address=previous, moved_in_on=moved_in_on)


def _children(rng: random.Random, parent: TruePerson, count: int) -> tuple[Child, ...]:
    oldest = min(17, _age(parent.date_of_birth) - 18)
    return tuple(
        Child(rng.choice(MALE_FORENAMES + FEMALE_FORENAMES), parent.surname, _aged(rng, 0, oldest))
        for _ in range(count)
    )


def _sibling_name(rng: random.Random, sibling: TruePerson, sex: str) -> str:
    names = [n for n in (MALE_FORENAMES if sex == "M" else FEMALE_FORENAMES) if n != sibling.forenames]
    return rng.choice(names)


def _aged(rng: random.Random, youngest: int, oldest: int | None = None) -> date:
    """A birth date for someone aged `youngest`..`oldest` (or exactly `youngest`) on `POPULATION_AS_OF`."""
    age = rng.randint(youngest, oldest if oldest is not None else youngest)
    return POPULATION_AS_OF - timedelta(days=round(age * 365.25) + rng.randint(1, 364))


def _age(born: date) -> int:
    return POPULATION_AS_OF.year - born.year - ((POPULATION_AS_OF.month, POPULATION_AS_OF.day) < (born.month, born.day))


def _title(rng: random.Random, sex: str, age: int, partnered: bool) -> str:
    if rng.random() < 0.02:
        return "Dr"
    if sex == "M":
        return "Mr"
    if partnered:
        return rng.choices(("Mrs", "Ms"), (3, 1))[0]
    return "Miss" if age < 30 and rng.random() < 0.6 else "Ms"


def _email_word(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


# --- who is on file where ----------------------------------------------------------------------

# Chance a household has a benefit claim, by kind: single parents and single people claim most.
_CLAIM_CHANCE = {
    HouseholdKind.SINGLE: 0.42,
    HouseholdKind.SINGLE_PARENT: 0.75,
    HouseholdKind.FAMILY: 0.4,
    HouseholdKind.SHARERS: 0.35,
}
# Chance a household has someone on the housing register: grown-up children wanting a home of their own.
_REGISTER_CHANCE = {
    HouseholdKind.ADULT_CHILDREN: 0.3,
    HouseholdKind.TWINS: 0.3,
    HouseholdKind.FATHER_SON: 0.3,
    HouseholdKind.SINGLE_PARENT: 0.3,
    HouseholdKind.SHARERS: 0.15,
    HouseholdKind.FAMILY: 0.1,
    HouseholdKind.SINGLE: 0.08,
}


def _memberships(
    rng: random.Random, households: Sequence[Household], people: dict[str, TruePerson], residents: int
) -> dict[str, set[SourceSystem]]:
    systems: dict[str, set[SourceSystem]] = {person_id: set() for person_id in people}
    everywhere = _known_everywhere(rng, households, people, residents)
    for household in households:
        for person_id in household.liable_ids:  # revenues holds everyone liable for Council Tax
            systems[person_id].add(SourceSystem.REVENUES)
        if household.householder_id in everywhere:
            systems[household.householder_id].update(SourceSystem)
            continue
        if rng.random() < _CLAIM_CHANCE.get(household.kind, 0.2):
            claimant = household.partner_id if household.partner_id and rng.random() < 0.25 else None
            systems[claimant or household.householder_id].add(SourceSystem.BENEFITS)
        if rng.random() < _REGISTER_CHANCE.get(household.kind, 0.04):
            not_liable = [a for a in household.adult_ids if a not in household.liable_ids]
            systems[rng.choice(not_liable or list(household.adult_ids))].add(SourceSystem.HOUSING)
    for person_id, person in people.items():
        if person_id in everywhere:
            continue
        # People who moved have usually been in touch (and the CRM kept their old address).
        if rng.random() < (0.8 if person.previous_address else 0.43):
            systems[person_id].add(SourceSystem.CRM)
        if rng.random() < 0.25:
            systems[person_id].add(SourceSystem.STREET_SCENE)
        # GOV.UK Pay knows a payer only by email; mostly bill payers, sometimes a grown-up child.
        if person.email and rng.random() < (0.5 if SourceSystem.REVENUES in systems[person_id] else 0.15):
            systems[person_id].add(SourceSystem.PAYMENTS)
    return systems


_TENANT_CHANCE = 0.15  # a householder in the borough rents from the council
_TENANT_ON_REGISTER_CHANCE = 0.5  # a householder on the housing register is often a tenant seeking a transfer


def _add_council_tenants(
    rng: random.Random, households: Sequence[Household], memberships: dict[str, set[SourceSystem]]
) -> None:
    """The householders who hold a council tenancy (the tenancy file names the householder)."""
    for household in households:
        householder = household.householder_id
        if not household.address.in_borough:
            continue
        on_register = SourceSystem.HOUSING in memberships[householder]
        if rng.random() < (_TENANT_ON_REGISTER_CHANCE if on_register else _TENANT_CHANCE):
            memberships[householder].add(SourceSystem.HOUSING_MANAGEMENT)


def _known_everywhere(
    rng: random.Random, households: Sequence[Household], people: dict[str, TruePerson], residents: int
) -> set[str]:
    """About 3% of residents are in every back office: householders with an email, who can sign in."""
    candidates = [h.householder_id for h in households if people[h.householder_id].email]
    return set(rng.sample(candidates, min(len(candidates), max(3, ceil(residents * 0.03)))))


# --- how each back office spells them ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Habits:
    """How carefully one back office keeps a person's details (each a chance, 0-1)."""

    title: float
    middle_name: float  # forenames written with the middle name ("Robert James")
    nickname: float
    date_of_birth: float
    email: float
    email_as_typed: float  # "Bob.Smith@Example.com" rather than lower case
    phone: float
    uprn: float
    variation: float  # an initial, a title in the name field, a transliteration, a second name as first
    placeholder_birth_date: float  # of the records without a date of birth, how many hold 1900-01-01
    tidy_address: bool  # revenues copies addresses from the gazetteer; others take them as typed
    verifies_email: bool  # revenues and the CRM confirm an email before they use it


_HABITS = {
    SourceSystem.REVENUES: _Habits(0.95, 0.7, 0.0, 0.85, 1.0, 0.0, 0.7, 1.0, 0.0, 0.0, True, True),
    SourceSystem.BENEFITS: _Habits(0.9, 0.6, 0.03, 0.96, 0.7, 0.15, 0.85, 0.8, 0.06, 0.5, False, False),
    SourceSystem.HOUSING: _Habits(0.9, 0.3, 0.05, 0.95, 0.85, 0.15, 0.9, 0.9, 0.08, 0.5, False, False),
    SourceSystem.CRM: _Habits(0.6, 0.1, 0.25, 0.4, 1.0, 0.2, 0.75, 0.3, 0.1, 0.05, False, True),
    SourceSystem.STREET_SCENE: _Habits(0.0, 0.0, 0.35, 0.0, 0.95, 0.3, 0.6, 0.0, 0.1, 0.0, False, False),
    SourceSystem.PAYMENTS: _Habits(0.0, 0.0, 0.2, 0.0, 1.0, 0.0, 0.0, 0.0, 0.05, 0.0, False, False),
    # The tenancy file: the sign-up interview took title, birth date and phone; the address is the home.
    SourceSystem.HOUSING_MANAGEMENT: _Habits(0.95, 0.2, 0.05, 1.0, 0.75, 0.1, 0.95, 1.0, 0.04, 0.0, False, False),
}
_ID_PREFIXES = {
    SourceSystem.REVENUES: "RP",
    SourceSystem.BENEFITS: "BC",
    SourceSystem.HOUSING: "HA",
    SourceSystem.CRM: "CON",
    SourceSystem.STREET_SCENE: "SSR",
    SourceSystem.HOUSING_MANAGEMENT: "TN",
}
_POSTAL_SYSTEMS = (SourceSystem.REVENUES, SourceSystem.BENEFITS, SourceSystem.HOUSING, SourceSystem.CRM)
_DUPLICATE_CONTACT_CHANCE = 0.03  # CRMs gather duplicates: a phone call and a web form a year apart
_TYPO_CHANCE = 0.03
_WRONG_BIRTH_DATE_CHANCE = 0.04


@dataclass(frozen=True, slots=True)
class _Entry:
    person: TruePerson
    stale_address: bool  # this office still has the address the person moved from
    duplicate: bool = False


def _render_records(
    rng: random.Random,
    households: Sequence[Household],
    people: dict[str, TruePerson],
    memberships: dict[str, set[SourceSystem]],
) -> list[SystemPerson]:
    entries: dict[SourceSystem, list[_Entry]] = {system: [] for system in SourceSystem}
    for person_id, person in people.items():
        systems = memberships[person_id]
        stale = _offices_with_old_address(rng, person, systems)
        for system in SourceSystem:
            if system in systems:
                entries[system].append(_Entry(person, system in stale))
        if SourceSystem.CRM in systems and rng.random() < _DUPLICATE_CONTACT_CHANCE:
            entries[SourceSystem.CRM].append(
                _Entry(person, stale_address=bool(person.previous_address), duplicate=True)
            )
    records: list[SystemPerson] = []
    for system, found in entries.items():
        rng.shuffle(found)  # record ids follow no order of ours, so a matcher cannot lean on them
        for number, entry in enumerate(found, start=100_001):
            records.append(_render(rng, system, number, entry))
    return records


def _offices_with_old_address(rng: random.Random, person: TruePerson, systems: set[SourceSystem]) -> set[SourceSystem]:
    """After a move, one or two offices other than revenues have not been told."""
    if not person.previous_address:
        return set()
    candidates = [s for s in _POSTAL_SYSTEMS[1:] if s in systems]
    return set(rng.sample(candidates, min(len(candidates), rng.randint(1, 2))))


def _render(rng: random.Random, system: SourceSystem, number: int, entry: _Entry) -> SystemPerson:
    person, habits = entry.person, _HABITS[system]
    formal = system is SourceSystem.REVENUES
    forenames = _forenames_as_held(rng, person, habits, entry.duplicate)
    surname = _surname_as_held(rng, person, system)
    if rng.random() < _TYPO_CHANCE:
        if rng.random() < 0.5:
            surname = _typo(rng, surname)
        else:
            forenames = _typo(rng, forenames)
    held_email = person.email if person.email and rng.random() < habits.email else None
    if entry.duplicate and rng.random() < 0.5:
        held_email = None
    if person.household_email and system in _UNVERIFIED_CONTACT and rng.random() < 0.5:
        held_email = person.household_email  # the couple's joint mailbox: both partners' records hold it
    verified = habits.verifies_email and held_email is not None and not entry.duplicate
    if held_email and rng.random() < (0.5 if entry.duplicate else habits.email_as_typed):
        held_email = _as_typed(held_email)
    record_id = normalise_email(held_email) if system is SourceSystem.PAYMENTS else None
    phone = person.phone
    if person.partner_phone and system in _UNVERIFIED_CONTACT and rng.random() < 0.5:
        phone = person.partner_phone  # "ring my husband's mobile"
    return SystemPerson(
        system=system,
        record_id=record_id or f"{_ID_PREFIXES[system]}{number:06d}",
        person_id=person.person_id,
        title=person.title if rng.random() < habits.title else None,
        forenames=forenames,
        surname=surname,
        date_of_birth=_birth_date_as_held(rng, person.date_of_birth, habits, formal),
        address=_postal_address(rng, system, entry, habits),
        email=held_email,
        email_verified=verified,
        phone=_phone_as_written(rng, phone) if phone and rng.random() < habits.phone else None,
    )


# Offices that take contact details as given, without confirming them (a joint mailbox, a partner's mobile).
_UNVERIFIED_CONTACT = (SourceSystem.BENEFITS, SourceSystem.HOUSING, SourceSystem.STREET_SCENE)
_OLD_SURNAME_CHANCE = 0.4  # an office other than revenues that has not been told of a marriage or divorce
_SURNAME_SPELLING_CHANCE = 0.3  # McDonald as MacDonald, Smith-Jones as Jones or Smith Jones, O'Neill as ONeill
_NAME_VARIANT_CHANCE = 0.08  # an initial, a title typed into the forenames, a transliteration


def _surname_as_held(rng: random.Random, person: TruePerson, system: SourceSystem) -> str:
    surname = person.surname
    if system is SourceSystem.REVENUES:
        return surname
    if person.previous_surname and rng.random() < _OLD_SURNAME_CHANCE:
        surname = person.previous_surname
    elif rng.random() < _SURNAME_SPELLING_CHANCE and _has_spellings(surname):
        surname = spellings.surname_variant(rng, surname)
    elif rng.random() < 0.01:
        surname = spellings.surname_variant(rng, surname.replace("-", "")) if "'" not in surname else surname
    if person.junior and rng.random() < 0.4:
        surname = f"{surname} {rng.choice(('Jr', 'Jr', 'Jnr', 'Junior'))}"
    elif person.senior and rng.random() < 0.2:
        surname = f"{surname} {rng.choice(('Sr', 'Snr', 'Senior'))}"
    return surname


def _has_spellings(surname: str) -> bool:
    return (
        "-" in surname
        or "'" in surname
        or surname.startswith("Mc")
        or surname.startswith("Mac")
        or (surname in spellings.TRANSLITERATIONS)
    )


def _forenames_as_held(rng: random.Random, person: TruePerson, habits: _Habits, duplicate: bool) -> str:
    nicknames = NICKNAMES.get(person.forenames)
    casual = habits.title < 0.7  # the CRM, street scene and payments take names as people give them
    if person.goes_by_middle and person.middle_name and casual and rng.random() < 0.7:
        return person.middle_name
    if nicknames and rng.random() < (0.5 if duplicate else habits.nickname):
        return rng.choice(nicknames)
    if habits.variation and rng.random() < habits.variation:
        return spellings.forenames_variant(
            rng, person.forenames, person.middle_name, person.goes_by_middle, person.title
        )
    if person.middle_name and rng.random() < habits.middle_name:
        return f"{person.forenames} {person.middle_name}"
    return person.forenames


def _birth_date_as_held(rng: random.Random, born: date, habits: _Habits, formal: bool) -> date | None:
    """Mostly right; sometimes keyed with the day and month swapped or one digit out; older systems
    hold 1900-01-01 where nobody asked."""
    if rng.random() >= habits.date_of_birth:
        return spellings.PLACEHOLDER_BIRTH_DATE if rng.random() < habits.placeholder_birth_date else None
    if rng.random() >= (_WRONG_BIRTH_DATE_CHANCE / 2 if formal else _WRONG_BIRTH_DATE_CHANCE):
        return born
    return spellings.birth_date_variant(rng, born, POPULATION_AS_OF)


def _postal_address(rng: random.Random, system: SourceSystem, entry: _Entry, habits: _Habits) -> PostalAddress | None:
    if system not in _POSTAL_SYSTEMS and system is not SourceSystem.HOUSING_MANAGEMENT:
        return None  # (the tenancy file's address is the home itself: never stale)
    address = (
        entry.person.previous_address if entry.stale_address and entry.person.previous_address else entry.person.address
    )
    line1, postcode = spellings.canonical_line1(address.uprn, address.line1), address.postcode
    town: str | None = address.town
    if not habits.tidy_address:
        if rng.random() < 0.6:
            line1 = spellings.line1_variant(rng, address.uprn, address.line1)
        if rng.random() < 0.12:
            line1 = _abbreviated(line1)
        if rng.random() < 0.05:
            postcode = rng.choice((postcode.replace(" ", ""), postcode.lower()))
        if rng.random() < 0.03:
            postcode = spellings.postcode_typo(rng, postcode)
        if rng.random() < 0.1:
            town = None
    uprn = address.uprn if address.in_borough and rng.random() < habits.uprn else None
    return PostalAddress(line1=line1, postcode=postcode, line2=address.line2, town=town, uprn=uprn)


def _abbreviated(line1: str) -> str:
    words = line1.split()
    return " ".join([*words[:-1], _STREET_ABBREVIATIONS.get(words[-1], words[-1])])


def _phone_as_written(rng: random.Random, phone: str) -> str:
    """`01827 709709` as staff and residents type it: spaced, run together, or international."""
    digits = phone.replace(" ", "")
    return rng.choices((phone, digits, f"+44 {digits[1:5]} {digits[5:]}", f"+44{digits[1:]}"), (5, 2, 2, 1))[0]


def _as_typed(email: str) -> str:
    """`bob.smith@example.com` -> `Bob.Smith@Example.com`: the same mailbox, typed with capitals."""
    local, domain = email.split("@", 1)
    return f"{'.'.join(part.capitalize() for part in local.split('.'))}@{domain.capitalize()}"


def _typo(rng: random.Random, name: str) -> str:
    """One slip of the keyboard: two neighbouring letters swapped, or one letter dropped."""
    if len(name) < 4:
        return name
    position = rng.randrange(1, len(name) - 1)
    swapped = name[:position] + name[position + 1] + name[position] + name[position + 2 :]
    return swapped if swapped != name and rng.random() < 0.5 else name[:position] + name[position + 1 :]
