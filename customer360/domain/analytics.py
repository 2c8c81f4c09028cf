"""Analytics rules: what an interaction event may hold, and how figures about people are published.

Events are coarse by construction: codes, a ward, an age band, yes/no flags and a pseudonymous key,
never a name, an email or free text (`InteractionEvent` refuses anything that is not a code). Every
published figure is about at least `SMALLEST_GROUP` distinct people; a smaller group is suppressed,
and within the groups shown every count from 1 to 9 is withheld, with enough other counts that none
can be worked out from the totals (`withheld_cells`), so nobody can be singled out from a dashboard
or a report. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import statistics
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from customer360.domain.working_days import working_days_after

LONDON = ZoneInfo("Europe/London")

# The Government Statistical Service's usual threshold for counts about people: fewer than ten is
# small enough that someone who knows a neighbour used a service could recognise them.
SMALLEST_GROUP = 10
# Longest period one question may cover: enough for year-on-year comparisons, bounded scans.
MAX_PERIOD_DAYS = 3 * 366

AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
_BAND_FLOORS = (16, 25, 35, 45, 55, 65, 75)

_SERVICE_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_OUTCOME = re.compile(r"[A-Z][A-Z0-9_]{0,19}")
_WARD = re.compile(r"[A-Z][A-Za-z' .-]{0,39}")
_PERSON_KEY = re.compile(r"[0-9a-f]{64}")


class Channel(StrEnum):
    WEB = "web"  # self-service online
    PHONE = "phone"
    FACE_TO_FACE = "face_to_face"
    ASSISTED_DIGITAL = "assisted_digital"  # online, with a member of staff or a helper alongside


class EventKind(StrEnum):
    SIGN_IN = "sign_in"
    SERVICE_STARTED = "service_started"
    SERVICE_SUBMITTED = "service_submitted"
    SERVICE_ABANDONED = "service_abandoned"
    SERVICE_RESOLVED = "service_resolved"  # the back office finished it: carries `submitted_at`
    PAYMENT = "payment"  # outcome: the provider's final state, e.g. SUCCESS, DECLINED, CANCELLED
    ERROR = "error"  # outcome: the error code the resident met, e.g. SOURCE_UNAVAILABLE


class DemandDimension(StrEnum):
    SERVICE = "service"
    WARD = "ward"
    CHANNEL = "channel"
    HOUR = "hour"  # hour of the day the resident asked, in London
    WEEK = "week"  # the Monday of the week the resident asked, in London


# Journeys the portal offers that are not in the reportable-service catalogue, by the code events carry.
PORTAL_JOURNEYS = {
    "COUNCIL_TAX_PAYMENT": "Pay Council Tax",
    "SINGLE_PERSON_DISCOUNT": "Single Person Discount",
    "MOVE": "Tell us you are moving",
    "COMPLAINT": "Make a complaint",
    "HOUSING_APPLICATION": "Apply for housing",
    "SAFEGUARDING_CONCERN": "Report a safeguarding concern",
    "GARDEN_WASTE": "Garden waste subscription",
}


class InvalidEvent(ValueError):
    """An event that would hold something other than coarse codes; it is never stored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionEvent:
    kind: EventKind
    channel: Channel
    at: datetime
    service_code: str | None = None
    outcome: str | None = None
    duration_ms: int | None = None
    ward: str | None = None
    age_band: str | None = None
    vulnerable: bool | None = None  # flagged in a back office: disability benefit, medical need, safeguarding
    assisted: bool | None = None  # had assisted digital help
    person_key: str | None = None  # `pseudonym(...)`: counts distinct people, never identifies one
    submitted_at: datetime | None = None  # SERVICE_RESOLVED only: when the resident asked
    expected_days: int | None = None  # SERVICE_RESOLVED only: working days the service promises

    def __post_init__(self) -> None:
        problem = _event_problem(self)
        if problem:
            raise InvalidEvent(problem)

    @property
    def asked_at(self) -> datetime:
        """When the resident asked: the hour and week every measure of this event is counted in."""
        return self.submitted_at or self.at


def _event_problem(event: InteractionEvent) -> str | None:
    checks = (
        (event.at.tzinfo is None, "at must carry a time zone"),
        (event.service_code is not None and not _SERVICE_CODE.fullmatch(event.service_code), "service_code"),
        (event.outcome is not None and not _OUTCOME.fullmatch(event.outcome), "outcome must be a code"),
        (event.ward is not None and not _WARD.fullmatch(event.ward), "ward must be a ward name"),
        (event.age_band is not None and event.age_band not in AGE_BANDS, "age_band must be one of AGE_BANDS"),
        (event.person_key is not None and not _PERSON_KEY.fullmatch(event.person_key), "person_key"),
        (event.duration_ms is not None and event.duration_ms < 0, "duration_ms must not be negative"),
        (event.expected_days is not None and event.expected_days < 0, "expected_days must not be negative"),
        (event.submitted_at is not None and event.submitted_at.tzinfo is None, "submitted_at needs a zone"),
        (event.submitted_at is not None and event.submitted_at > event.at, "submitted_at is after at"),
    )
    return next((message for failed, message in checks if failed), None)


def pseudonym(salt: bytes, customer_id: str) -> str:
    """The same person gives the same key within one deployment; without the salt it cannot be reversed."""
    return hmac.new(salt, customer_id.encode(), hashlib.sha256).hexdigest()


def age_band(born: date, on: date) -> str | None:
    """The person's age band on a day; None for a child (the portal's residents are 16 and over)."""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    bands = [band for band, floor in zip(AGE_BANDS, _BAND_FLOORS, strict=True) if age >= floor]
    return bands[-1] if bands else None


def london_hour(moment: datetime) -> int:
    return moment.astimezone(LONDON).hour


def london_week(moment: datetime) -> date:
    day = moment.astimezone(LONDON).date()
    return day - timedelta(days=day.weekday())


# --- periods ---------------------------------------------------------------------------------


class InvalidPeriod(ValueError):
    """`from` after `to`, or a period longer than `MAX_PERIOD_DAYS`."""


@dataclass(frozen=True, slots=True)
class Period:
    """Whole London days, both ends included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InvalidPeriod("from must be on or before to")
        if self.days > MAX_PERIOD_DAYS:
            raise InvalidPeriod(f"a period may cover at most {MAX_PERIOD_DAYS} days")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants from the first day's London midnight up to (not including) the day after the last."""
        start = datetime.combine(self.first, time(0), LONDON)
        end = datetime.combine(self.last + timedelta(days=1), time(0), LONDON)
        return start.astimezone(UTC), end.astimezone(UTC)

    def previous(self) -> Period:
        """The period of the same length just before this one: what a change is measured against."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def weeks(self) -> int:
        """The weeks (Monday to Sunday) the period touches, in part or whole."""
        return (
            self.last - timedelta(days=self.last.weekday()) - (self.first - timedelta(days=self.first.weekday()))
        ).days // 7 + 1

    def name(self) -> str:
        """What a reader calls a period of this length: "half-year", "year", or "N days"."""
        for low, high, called in _PERIOD_NAMES:
            if low <= self.days <= high:
                return called
        return f"{self.days} days"


# Lengths (in days, inclusive) a reader knows by name; anything else is "N days".
_PERIOD_NAMES = ((7, 7, "week"), (28, 31, "month"), (89, 92, "quarter"), (181, 184, "half-year"), (365, 366, "year"))
# A previous period is a fair basis for a change only if journeys were recorded in most of its weeks
# (not a store that began part-way through it) and there are enough of them for a percentage to mean
# something: on fewer, it swings with chance.
MIN_WEEKS_COVERED = 0.75
MIN_JOURNEYS_TO_COMPARE = 30


def comparable(previous: Period, weeks_with_journeys: int, journeys: int | None) -> bool:
    """Whether changes may be measured against `previous`: journeys in at least three weeks in four of
    it, and at least `MIN_JOURNEYS_TO_COMPARE` of them (None: withheld or suppressed, so too few)."""
    covered = weeks_with_journeys >= MIN_WEEKS_COVERED * previous.weeks()
    return covered and journeys is not None and journeys >= MIN_JOURNEYS_TO_COMPARE


# --- measures --------------------------------------------------------------------------------


def is_suppressed(people: int) -> bool:
    return people < SMALLEST_GROUP


def is_small_count(count: int) -> bool:
    """A count from 1 to 9: withheld wherever it appears (primary suppression). Zero is shown."""
    return 0 < count < SMALLEST_GROUP


def median(values: Collection[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class JourneyTally:
    """Service journeys in one group: counts, and distinct people (who started one) for suppression."""

    started: int = 0
    submitted: int = 0
    abandoned: int = 0
    people: int = 0
    web_started: int = 0
    web_submitted: int = 0
    web_people: int = 0
    assisted_started: int = 0
    assisted_people: int = 0


@dataclass(frozen=True, slots=True)
class Resolution:
    person_key: str | None
    days: float  # calendar days from asking to resolution
    within_expected: bool | None  # None when the service promises no time
    expected_days: int | None


def resolution(
    person_key: str | None, submitted_at: datetime, resolved_at: datetime, expected_days: int | None
) -> Resolution:
    """How long it took, and whether by the end of the promised working day (London dates)."""
    days = (resolved_at - submitted_at).total_seconds() / 86_400
    within = None
    if expected_days is not None:
        due = working_days_after(submitted_at.astimezone(LONDON).date(), expected_days)
        within = resolved_at.astimezone(LONDON).date() <= due
    return Resolution(person_key, days, within, expected_days)


@dataclass(frozen=True, slots=True)
class Measures:
    """A group's figures; each is None when suppressed (fewer than `SMALLEST_GROUP` people behind it)."""

    suppressed: bool
    people: int | None = None
    started: int | None = None
    submitted: int | None = None
    abandoned: int | None = None
    completion_rate: float | None = None
    abandonment_rate: float | None = None
    online_share: float | None = None  # of journeys started, the share self-served on the web
    online_completion_rate: float | None = None
    assisted_share: float | None = None
    resolved: int | None = None
    median_days_to_resolve: float | None = None
    expected_days: int | None = None  # what the service promises (the most common promise in the group)
    resolved_within_expected_rate: float | None = None
    # Counts (and the rates that would give them away) withheld by cell suppression in a shown group.
    withheld: frozenset[str] = field(default_factory=frozenset)


SUPPRESSED = Measures(suppressed=True)


def measures(tally: JourneyTally, resolutions: Sequence[Resolution]) -> Measures:
    """The group's measures, each published only when at least `SMALLEST_GROUP` people are behind it."""
    if is_suppressed(tally.people):
        return SUPPRESSED
    web_shown = not is_suppressed(tally.web_people)
    assisted_shown = not is_suppressed(tally.assisted_people)
    shown = Measures(
        suppressed=False,
        people=tally.people,
        started=tally.started,
        submitted=tally.submitted,
        abandoned=tally.abandoned,
        completion_rate=rate(tally.submitted, tally.started),
        abandonment_rate=rate(tally.abandoned, tally.started),
        online_share=rate(tally.web_started, tally.started) if web_shown else None,
        online_completion_rate=rate(tally.web_submitted, tally.web_started) if web_shown else None,
        assisted_share=rate(tally.assisted_started, tally.started) if assisted_shown else None,
    )
    # Resolutions have their own people behind them: fewer than ten resolved leaves the times unpublished.
    if is_suppressed(len({r.person_key for r in resolutions if r.person_key is not None})):
        return shown
    promised = [r for r in resolutions if r.within_expected is not None]
    expectations = [r.expected_days for r in promised if r.expected_days is not None]
    within = sum(1 for r in promised if r.within_expected)
    # The rate times `resolved` gives how many were on time (and late): withheld when either is 1 to 9.
    rate_shown = not is_small_count(within) and not is_small_count(len(promised) - within)
    return replace(
        shown,
        resolved=len(resolutions),
        median_days_to_resolve=median([r.days for r in resolutions]),
        expected_days=statistics.mode(expectations) if expectations else None,
        resolved_within_expected_rate=rate(within, len(promised)) if rate_shown else None,
    )


# --- what the API and the report publish -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupKey:
    """Which group a row is about: each dimension not grouped by is None."""

    service: str | None = None
    ward: str | None = None
    channel: str | None = None
    hour: int | None = None
    week: date | None = None


@dataclass(frozen=True, slots=True)
class DemandFigures:
    key: GroupKey
    measures: Measures


@dataclass(frozen=True, slots=True)
class EquityFigures:
    """Vulnerable residents beside everyone (vulnerable residents included), for one service or all."""

    service: str | None
    everyone: Measures
    vulnerable: Measures


# --- cell suppression -------------------------------------------------------------------------

Cell = TypeVar("Cell", bound=Hashable)

# The counts a table publishes, and the rates computed from each: a rate beside its other count would
# give a withheld count back (completion rate x started = submitted).
COUNTS = ("started", "submitted", "abandoned", "resolved")
_RATES_OF = {
    "started": ("completion_rate", "abandonment_rate", "online_share", "assisted_share"),
    "submitted": ("completion_rate",),
    "abandoned": ("abandonment_rate",),
    "resolved": (),
}
# Submitted and abandoned journeys are parts of those started: within a group they are one line.
_PARTS = ("started", "submitted", "abandoned")


def withheld_cells(counts: Mapping[Cell, int | None], lines: Iterable[Sequence[Cell]]) -> frozenset[Cell]:
    """Which cells of a table to withhold. `counts` holds each cell's count (None: already withheld,
    e.g. its group is too small); each line is a set of cells tied by a sum a reader can know (the
    parts of a group's journeys, a column of groups whose total another query gives).

    Primary suppression withholds every count from 1 to 9. Secondary: a line with exactly one withheld
    cell gives it away (the total less the others), so the smallest other cell in it is withheld too —
    a non-zero one first, since a withheld zero beside it hides nothing from a reader who guesses the
    zero — and this is repeated until no line changes (a new withholding can leave another line with
    one). Ties go to the cell listed first, so the answer does not depend on set order."""
    withheld = {cell for cell, count in counts.items() if count is None or is_small_count(count)}
    fixed = [tuple(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in fixed:
            if sum(1 for cell in line if cell in withheld) != 1:
                continue
            shown = [cell for cell in line if cell not in withheld]
            if shown:
                withheld.add(min(shown, key=lambda cell: (counts[cell] == 0, counts[cell] or 0)))
                changed = True
    return frozenset(withheld)


def without(figures: Measures, counts: Collection[str]) -> Measures:
    """The group's measures with these counts, and the rates computed from them, withheld."""
    if figures.suppressed or not counts:
        return figures
    names = {*counts, *(rate_name for count in counts for rate_name in _RATES_OF[count])}
    cleared: dict[str, Any] = dict.fromkeys(names)
    return replace(figures, **cleared, withheld=frozenset(names) | figures.withheld)


def _count_cells(prefix: tuple[object, ...], figures: Measures) -> dict[tuple[object, ...], int | None]:
    if figures.suppressed:
        return {(*prefix, name): None for name in COUNTS}
    return {(*prefix, name): getattr(figures, name) for name in COUNTS}


def _withheld_by(cells: frozenset[tuple[object, ...]], prefix: tuple[object, ...]) -> list[str]:
    return [name for name in COUNTS if (*prefix, name) in cells]


def suppress_demand(rows: Sequence[DemandFigures], dims: Sequence[DemandDimension]) -> list[DemandFigures]:
    """`demand`'s rows with cells withheld. Lines: each row's parts, and for each dimension grouped by,
    the rows that differ only in it (their sum is the row another query, grouped without it, shows)."""
    counts: dict[tuple[object, ...], int | None] = {}
    for index, row in enumerate(rows):
        counts.update(_count_cells((index,), row.measures))
    lines: list[list[tuple[object, ...]]] = [[(index, name) for name in _PARTS] for index in range(len(rows))]
    for dimension in dims:
        columns: dict[tuple[object, ...], list[int]] = {}
        for index, row in enumerate(rows):
            others = tuple(getattr(row.key, d.value) for d in dims if d is not dimension)
            columns.setdefault(others, []).append(index)
        lines += [[(index, name) for index in members] for members in columns.values() for name in COUNTS]
    cells = withheld_cells(counts, lines)
    return [replace(row, measures=without(row.measures, _withheld_by(cells, (i,)))) for i, row in enumerate(rows)]


def suppress_equity(rows: Sequence[EquityFigures]) -> list[EquityFigures]:
    """`accessEquity`'s rows with cells withheld. Lines: each side's parts, and for each side each
    count down the services together with the all-services row (their total)."""
    counts: dict[tuple[object, ...], int | None] = {}
    for index, row in enumerate(rows):
        counts.update(_count_cells((index, "everyone"), row.everyone))
        counts.update(_count_cells((index, "vulnerable"), row.vulnerable))
    sides = ("everyone", "vulnerable")
    lines: list[list[tuple[object, ...]]] = [
        [(index, side, name) for name in _PARTS] for index in range(len(rows)) for side in sides
    ]
    lines += [[(index, side, name) for index in range(len(rows))] for side in sides for name in COUNTS]
    cells = withheld_cells(counts, lines)
    return [
        replace(
            row,
            everyone=without(row.everyone, _withheld_by(cells, (i, "everyone"))),
            vulnerable=without(row.vulnerable, _withheld_by(cells, (i, "vulnerable"))),
        )
        for i, row in enumerate(rows)
    ]


def dimensions(requested: Sequence[DemandDimension]) -> tuple[DemandDimension, ...]:
    """The dimensions asked for, each once, in the order `DemandDimension` lists them."""
    return tuple(dimension for dimension in DemandDimension if dimension in requested)


def service_label(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A service's name as the council defines it: `names` holds the catalogue's and staff-defined
    services' names by code; portal journeys have their own; only a code nobody names is put into words."""
    if code is None:
        return "All services"
    return (names or {}).get(code) or PORTAL_JOURNEYS.get(code) or code.replace("_", " ").capitalize()


def is_service_code(code: str) -> bool:
    """Whether an event may carry `code` as its service (events hold coarse codes only)."""
    return _SERVICE_CODE.fullmatch(code) is not None
