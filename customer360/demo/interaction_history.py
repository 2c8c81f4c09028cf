"""A year of the demo council's interaction events, so analytics and the six-monthly report have data.

Deterministic from the seed: each resident draws from their own `random.Random`, so the history of
one person does not shift when another is added. Nothing identifying is generated: events carry
the resident's ward and age band, a vulnerable flag approximated from which back offices know them
(a disability-related benefit, a housing medical need, a safeguarding history) and a pseudonymous
key. Shapes a council would recognise: the web busiest in the evening and growing through the year,
phones and counters on working days only, older and vulnerable residents more often on the phone and
abandoning online forms more, bins after Christmas, gardens in spring, fly-tipping on the rise.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.demo.population import Population, TruePerson
from customer360.domain.analytics import (
    LONDON,
    Channel,
    EventKind,
    InteractionEvent,
    age_band,
    pseudonym,
)
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import is_working_day, working_days_after
from customer360.store.events import EventStore

HISTORY_DAYS = 365


@dataclass(frozen=True, slots=True)
class _Service:
    code: str
    weight: float  # relative demand
    expected_days: int | None  # working days promised; None for instant services (payments)
    peak_month: int | None = None  # seasonal peak: about twice the trough
    growth: float = 1.0  # demand at the end of the year relative to the start
    vulnerable_weight: float = 1.0  # how much more often vulnerable residents need it
    difficulty: float = 0.0  # extra chance of abandoning online (long forms, evidence to upload)
    payment: bool = False
    anonymous_share: float = 0.0  # street reports need no sign-in


_SERVICES = (
    _Service("COUNCIL_TAX_PAYMENT", 20, None, payment=True),
    _Service("MISSED_BIN", 12, 2, peak_month=1),
    _Service("GENERAL_ENQUIRY", 10, 10, vulnerable_weight=1.5),
    _Service("BULKY_WASTE", 5, 10, peak_month=4, payment=True),
    _Service("GARDEN_WASTE", 4, 10, peak_month=3, payment=True),
    _Service("LITTER", 4, 5, peak_month=7, anonymous_share=0.3),
    _Service("FLY_TIPPING", 4, 5, growth=1.6, anonymous_share=0.3),
    _Service("DOG_FOULING", 2, 5, peak_month=11, anonymous_share=0.3),
    _Service("GRAFFITI", 1.5, 10, anonymous_share=0.3),
    _Service("BROKEN_GLASS", 1, 2, anonymous_share=0.3),
    _Service("SINGLE_PERSON_DISCOUNT", 3, 10, difficulty=0.05),
    _Service("MOVE", 3, 5, peak_month=8, difficulty=0.04),
    _Service("COMPLAINT", 2, 10, vulnerable_weight=1.5),
    _Service("HOUSING_APPLICATION", 1.5, 20, vulnerable_weight=3, difficulty=0.15),
    _Service("ASSISTED_COLLECTION", 0.7, 15, vulnerable_weight=6),
    _Service("SAFEGUARDING_CONCERN", 0.3, 1, vulnerable_weight=2),
)
# Share of journeys a resident does self-service online, by age band, before vulnerability.
_WEB_SHARE = {"16-24": 0.86, "25-34": 0.86, "35-44": 0.8, "45-54": 0.72, "55-64": 0.6, "65-74": 0.45, "75+": 0.25}
# Of the rest, how they come: phone mostly, then the counter, then assisted digital at the library.
_OFFLINE_WEIGHTS = {Channel.PHONE: 6, Channel.FACE_TO_FACE: 2, Channel.ASSISTED_DIGITAL: 2}
# Web use by hour of day (London): a morning rise, a lunchtime bump, the evening peak, a quiet night.
_WEB_HOURS = (1, 0.5, 0.3, 0.3, 0.4, 1, 2, 4, 6, 7, 7, 7, 8, 7, 6, 6, 6, 7, 9, 11, 11, 9, 5, 2)
_OFFICE_HOURS = range(9, 17)
# Minutes a journey takes, as the median of a log-normal, by channel.
_MINUTES = {Channel.WEB: 4, Channel.PHONE: 8, Channel.FACE_TO_FACE: 15, Channel.ASSISTED_DIGITAL: 20}
_OFFLINE_ABANDONMENT = {Channel.PHONE: 0.03, Channel.FACE_TO_FACE: 0.01, Channel.ASSISTED_DIGITAL: 0.04}
_ERROR_CODES = ("SOURCE_UNAVAILABLE", "VALIDATION_FAILED", "TIMEOUT")


async def seed_interaction_history(engine: AsyncEngine, population: Population, today: date, seed: int) -> int:
    """Replace every stored event with a year of history ending yesterday; returns how many."""
    return await EventStore(engine).replace_all(interaction_history(population, today, seed))


def interaction_history(population: Population, today: date, seed: int) -> Iterator[InteractionEvent]:
    salt = f"demo-council-{seed}".encode()
    now = datetime.combine(today, time(0), LONDON).astimezone(UTC)
    for person in population.people:
        if person.address.ward is None or age_band(person.date_of_birth, today) is None:
            continue
        resident = _Resident.of(person, population, today, salt, random.Random(f"{seed}:{person.person_id}"))
        yield from resident.history(today, now)


@dataclass(frozen=True, slots=True)
class _Resident:
    rng: random.Random
    key: str
    ward: str
    band: str
    vulnerable: bool
    online: bool  # has an email, so can sign in to the portal

    @classmethod
    def of(cls, person: TruePerson, population: Population, today: date, salt: bytes, rng: random.Random) -> _Resident:
        systems = population.systems_of(person.person_id)
        band = age_band(person.date_of_birth, today) or "16-24"
        older = band in ("65-74", "75+")
        disability_benefit = SourceSystem.BENEFITS in systems and rng.random() < (0.5 if older else 0.3)
        medical_need = SourceSystem.HOUSING in systems and rng.random() < 0.25
        safeguarding_history = rng.random() < 0.03
        frail = band == "75+" and rng.random() < 0.25
        return cls(
            rng=rng,
            key=pseudonym(salt, person.person_id),
            ward=person.address.ward or "",
            band=band,
            vulnerable=disability_benefit or medical_need or safeguarding_history or frail,
            online=person.email is not None,
        )

    def history(self, today: date, now: datetime) -> Iterator[InteractionEvent]:
        rng = self.rng
        journeys = max(0, round(rng.gauss(8 if self.vulnerable else 6.5, 3)))
        weights = [s.weight * (s.vulnerable_weight if self.vulnerable else 1) for s in _SERVICES]
        for service in rng.choices(_SERVICES, weights, k=journeys):
            day, progress = _day_for(rng, service, today)
            yield from self._journey(service, self._channel(progress), day, progress, now)

    def _channel(self, progress: float) -> Channel:
        """Web share rises six points over the year as the portal improves and word spreads."""
        share = _WEB_SHARE[self.band] * (0.7 if self.vulnerable else 1) * (1 if self.online else 0.4)
        if self.rng.random() < min(0.95, share + 0.06 * progress):
            return Channel.WEB
        return self.rng.choices(list(_OFFLINE_WEIGHTS), list(_OFFLINE_WEIGHTS.values()))[0]

    def _journey(
        self, service: _Service, channel: Channel, day: date, progress: float, now: datetime
    ) -> Iterator[InteractionEvent]:
        rng = self.rng
        day = day if channel is Channel.WEB or is_working_day(day) else _next_working_day(day)
        started = _moment(rng, day, channel)
        minutes = _MINUTES[channel] * (4 if service.code == "HOUSING_APPLICATION" else 1)
        duration = timedelta(minutes=minutes * math.exp(rng.gauss(0, 0.5)))
        if started >= now:
            return
        anonymous = channel is Channel.WEB and rng.random() < service.anonymous_share
        journey = InteractionEvent(
            kind=EventKind.SERVICE_STARTED,
            at=started,
            channel=channel,
            service_code=service.code,
            ward=self.ward,
            age_band=self.band,
            vulnerable=self.vulnerable,
            assisted=channel is Channel.ASSISTED_DIGITAL or (channel is Channel.WEB and rng.random() < 0.03),
            person_key=None if anonymous else self.key,
        )
        if channel is Channel.WEB and not anonymous:
            yield replace(journey, kind=EventKind.SIGN_IN, at=started - timedelta(seconds=30))
        yield journey
        met_error = channel is Channel.WEB and rng.random() < 0.02
        if met_error:
            yield replace(journey, kind=EventKind.ERROR, at=started + duration / 2, outcome=rng.choice(_ERROR_CODES))
        ended = started + duration
        if ended >= now:
            return  # still filling in the form as the history ends
        finished = replace(journey, at=ended, duration_ms=int(duration.total_seconds() * 1000))
        if rng.random() < self._abandon_chance(service, channel, progress, met_error):
            yield replace(finished, kind=EventKind.SERVICE_ABANDONED)
            return
        yield replace(finished, kind=EventKind.SERVICE_SUBMITTED)
        if service.payment:
            outcome = rng.choices(("SUCCESS", "DECLINED", "CANCELLED"), (93, 4, 3))[0]
            yield replace(journey, kind=EventKind.PAYMENT, at=ended + timedelta(minutes=2), outcome=outcome)
        if service.expected_days is not None:
            resolved = self._resolved_at(service.expected_days, ended)
            if resolved < now:
                yield replace(
                    journey,
                    kind=EventKind.SERVICE_RESOLVED,
                    at=resolved,
                    submitted_at=ended,
                    expected_days=service.expected_days,
                )

    def _abandon_chance(self, service: _Service, channel: Channel, progress: float, met_error: bool) -> float:
        if channel is not Channel.WEB:
            return _OFFLINE_ABANDONMENT[channel]
        chance = 0.12 + service.difficulty + (0.08 if self.vulnerable else 0) + (0.06 if self.band == "75+" else 0)
        # Half-way through the year the online forms were redesigned: abandonment fell by a quarter.
        if progress >= 0.5:
            chance *= 0.75
        return min(0.9, chance + (0.4 if met_error else 0))

    def _resolved_at(self, expected_days: int, submitted: datetime) -> datetime:
        """Most inside the promise, a tail outside it; a working day, in working hours."""
        spread = math.exp(self.rng.gauss(-0.35, 0.5))
        days = max(0, round(expected_days * spread))
        asked_on = submitted.astimezone(LONDON).date()
        day = working_days_after(asked_on, days) if days else _next_working_day(asked_on)
        at = datetime.combine(day, time(self.rng.choice(_OFFICE_HOURS), self.rng.randrange(60)), LONDON)
        return max(at.astimezone(UTC), submitted + timedelta(hours=1))


def _day_for(rng: random.Random, service: _Service, today: date) -> tuple[date, float]:
    """A day in the year before today, drawn by the service's season and trend; and how far into the year."""
    while True:
        offset = rng.randrange(HISTORY_DAYS)
        day = today - timedelta(days=HISTORY_DAYS - offset)
        progress = offset / HISTORY_DAYS
        season = 1.0
        if service.peak_month is not None:
            season = 1.5 + 0.5 * math.cos(2 * math.pi * (day.month - service.peak_month) / 12)
        trend = 1 + (service.growth - 1) * progress
        if rng.random() * 2 * max(service.growth, 1) < season * trend:
            return day, progress


def _moment(rng: random.Random, day: date, channel: Channel) -> datetime:
    hour = rng.choices(range(24), _WEB_HOURS)[0] if channel is Channel.WEB else rng.choice(_OFFICE_HOURS)
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), LONDON)
    return local.astimezone(UTC)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
