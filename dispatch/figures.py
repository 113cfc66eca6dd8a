"""The figures leaders read (DOMAIN.md, "Figures leaders read"), as pure formulas: no I/O.

Input: the facts of one period, one small record per thing that happened (a lead dispatch, a
return, a reply, a rating, a reopen, an intake), each naming the unit it counts for. A lead
dispatch is a change of an appeal's lead unit (主办): the lead assignments stored one after the
other for the same unit, each ending as the next begins (a re-dispatch that kept the unit) are
one dispatch (`lead_dispatches`). Output: per
unit a `Tally` of counts, its rates, and rankings within a kind of unit (townships apart from
departments). `service.figures` reads the facts from the database and shows the result.

The rates:

- 响应率 response rate: ratings saying the unit contacted the citizen / ratings;
- 解决率 resolution rate: ratings saying resolved / ratings;
- 满意率 satisfaction rate: (满意 + w × 基本满意) / ratings, on the result (办理结果), and the same
  on the attitude (办理态度); w is configuration;
- 按时签收率 on-time sign-for rate: lead dispatches signed by their sign-for deadline / lead
  dispatches signed or past that deadline while still the unit's (one not yet due and unsigned is
  not counted yet; one the centre took away before its deadline is never counted). Each dispatch
  counts once, by its first signing against its own deadline: a reopen (重办) that has the unit
  sign for the appeal again adds no second signing (the reopen counts in the reopen rate);
- 退单率 return rate: returns asked / lead dispatches;
- 按时办结率 on-time completion rate: replies the centre approved that were submitted by the reply
  deadline / approved replies;
- 重办率 reopen rate: reopens / ratings;
- 重复来电率 repeat-call rate: intakes from a caller with earlier appeals / intakes.

Ratings the centre marked with an exclusion reason that the configuration excludes (malicious,
unreachable, invalid: cities differ) count in no rate; they are reported as `excluded`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

SATISFIED = "满意"
BASIC = "基本满意"
UNSATISFIED = "不满意"

#: Why the centre may set a rating aside (the centre marks it; configuration says which count).
EXCLUSION_REASONS: dict[str, str] = {
    "malicious": "恶意评价",
    "unreachable": "无法联系",
    "invalid": "无效评价",
}

#: The rates, in the order the tables show them.
RATES: tuple[str, ...] = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "attitude_satisfaction_rate",
    "sign_on_time_rate",
    "return_rate",
    "completion_on_time_rate",
    "reopen_rate",
    "repeat_call_rate",
)
#: Rates where less is better: a ranking by one of them puts the lowest first.
LOWER_IS_BETTER = frozenset({"return_rate", "reopen_rate", "repeat_call_rate"})


@dataclass(frozen=True)
class FigureRules:
    """What differs by city: the weight of 基本满意, the exclusions, the smallest sample ranked."""

    basic_weight: float = 0.8
    excluded: frozenset[str] = frozenset(EXCLUSION_REASONS)
    #: A unit with fewer counted ratings (or, for the dispatch rates, dispatches) is not ranked.
    min_ranked: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.basic_weight <= 1:
            raise ValueError(f"the weight of 基本满意 must be between 0 and 1, not {self.basic_weight}")
        unknown = set(self.excluded) - set(EXCLUSION_REASONS)
        if unknown:
            raise ValueError(
                f"unknown exclusion reasons {sorted(unknown)} (known: {', '.join(EXCLUSION_REASONS)})"
            )
        if self.min_ranked < 1:
            raise ValueError(f"the smallest sample ranked must be at least 1, not {self.min_ranked}")


# ---- facts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadDispatch:
    unit: str
    sign_due_at: datetime | None
    signed_at: datetime | None
    ended_at: datetime | None = None  # re-dispatched, returned or merged away: the unit's part ended
    # The appeal dispatched: a re-dispatched appeal has one dispatch per unit, so the dispatches
    # (派单次数, the return rate's base) outnumber the appeals dispatched (`appeals_dispatched`).
    appeal: int | None = field(default=None, compare=False)


def appeals_dispatched(dispatches: Iterable[LeadDispatch]) -> int:
    """How many appeals the dispatches were of (each appeal once, however often re-dispatched)."""
    return len({d.appeal for d in dispatches if d.appeal is not None})


@dataclass(frozen=True)
class LeadPart:
    """One stored lead assignment of an appeal: a re-dispatch stores a new one even when it keeps
    the unit (as one that corrected the category, the area or the urgency does)."""

    appeal: int
    unit: str
    assigned_at: datetime
    sign_due_at: datetime | None
    signed_at: datetime | None  # its first signing
    ended_at: datetime | None = None


def lead_dispatches(parts: Iterable[LeadPart], start: datetime, end: datetime) -> tuple[LeadDispatch, ...]:
    """The lead dispatches of the period [start, end): one per change of an appeal's lead unit.

    A part that follows one of the same appeal and unit, which ended as it began, continues that
    dispatch (the unit was never without the appeal); the dispatch counts in the period of its first
    part. Its sign-for is decided by the first of its parts signed, or past its deadline unsigned
    before it ended (late: a re-dispatch to the same unit does not make up a missed deadline); else
    by its last part, as any dispatch.
    """
    chains: list[list[LeadPart]] = []
    for part in sorted(parts, key=lambda p: (p.appeal, p.assigned_at)):
        last = chains[-1][-1] if chains else None
        if (
            last is not None
            and (last.appeal, last.unit) == (part.appeal, part.unit)
            and last.ended_at == part.assigned_at
        ):
            chains[-1].append(part)
        else:
            chains.append([part])
    return tuple(_one_dispatch(chain) for chain in chains if start <= chain[0].assigned_at < end)


def _one_dispatch(chain: list[LeadPart]) -> LeadDispatch:
    deciding = next(
        (
            p
            for p in chain
            if p.signed_at is not None
            or (p.sign_due_at is not None and p.ended_at is not None and p.sign_due_at < p.ended_at)
        ),
        chain[-1],
    )
    return LeadDispatch(
        deciding.unit, deciding.sign_due_at, deciding.signed_at, deciding.ended_at, appeal=deciding.appeal
    )


@dataclass(frozen=True)
class ApprovedReply:
    unit: str
    submitted_at: datetime
    reply_due_at: datetime | None


@dataclass(frozen=True)
class Rating:
    unit: str
    contacted: bool
    resolved: str  # yes | partly | no
    attitude: str  # 满意 | 基本满意 | 不满意
    result: str
    exclusion: str | None = None


@dataclass(frozen=True)
class Intake:
    unit: str | None  # the lead unit now; None while it waits for dispatch
    repeat: bool  # the caller had earlier appeals


@dataclass(frozen=True)
class Facts:
    dispatches: tuple[LeadDispatch, ...] = ()
    returns: tuple[str, ...] = ()  # the unit of each return asked
    replies: tuple[ApprovedReply, ...] = ()
    ratings: tuple[Rating, ...] = ()
    reopens: tuple[str, ...] = ()  # the unit of each reopen
    intakes: tuple[Intake, ...] = ()


# ---- counts and rates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        """The rate between 0 and 1, or None when nothing was counted (shown as "—", never 0%)."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class Tally:
    """The counts of one unit (or of everyone) in a period."""

    dispatched: int = 0
    sign_counted: int = 0  # signed, or unsigned past the deadline
    signed_on_time: int = 0
    returned: int = 0
    replies_approved: int = 0
    replied_on_time: int = 0
    rated: int = 0  # counted ratings (exclusions left out)
    excluded: int = 0
    contacted: int = 0
    resolved: int = 0
    satisfied: int = 0  # on the result
    basic: int = 0
    attitude_satisfied: int = 0
    attitude_basic: int = 0
    reopened: int = 0
    intakes: int = 0
    repeat_calls: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def rates(self, rules: FigureRules) -> dict[str, Rate]:
        w = rules.basic_weight
        return {
            "response_rate": Rate(self.contacted, self.rated),
            "resolution_rate": Rate(self.resolved, self.rated),
            "satisfaction_rate": Rate(self.satisfied + w * self.basic, self.rated),
            "attitude_satisfaction_rate": Rate(self.attitude_satisfied + w * self.attitude_basic, self.rated),
            "sign_on_time_rate": Rate(self.signed_on_time, self.sign_counted),
            "return_rate": Rate(self.returned, self.dispatched),
            "completion_on_time_rate": Rate(self.replied_on_time, self.replies_approved),
            "reopen_rate": Rate(self.reopened, self.rated),
            "repeat_call_rate": Rate(self.repeat_calls, self.intakes),
        }


def tally(facts: Facts, now: datetime, rules: FigureRules) -> dict[str, Tally]:
    """The counts per unit code. A unit with nothing in the period is absent."""
    units: dict[str, Tally] = {}

    def of(unit: str) -> Tally:
        return units.setdefault(unit, Tally())

    for d in facts.dispatches:
        t = of(d.unit)
        t.dispatched += 1
        if d.signed_at is not None:
            t.sign_counted += 1
            t.signed_on_time += d.sign_due_at is None or d.signed_at <= d.sign_due_at
        elif d.sign_due_at is not None and d.sign_due_at < min(now, d.ended_at or now):
            t.sign_counted += 1  # overdue while still the unit's, and unsigned: late
    for unit in facts.returns:
        of(unit).returned += 1
    for r in facts.replies:
        t = of(r.unit)
        t.replies_approved += 1
        t.replied_on_time += r.reply_due_at is None or r.submitted_at <= r.reply_due_at
    for g in facts.ratings:
        t = of(g.unit)
        if g.exclusion is not None and g.exclusion in rules.excluded:
            t.excluded += 1
            continue
        t.rated += 1
        t.contacted += g.contacted
        t.resolved += g.resolved == "yes"
        t.satisfied += g.result == SATISFIED
        t.basic += g.result == BASIC
        t.attitude_satisfied += g.attitude == SATISFIED
        t.attitude_basic += g.attitude == BASIC
    for unit in facts.reopens:
        of(unit).reopened += 1
    for i in facts.intakes:
        if i.unit is None:
            continue
        t = of(i.unit)
        t.intakes += 1
        t.repeat_calls += i.repeat
    return units


def overall(facts: Facts, now: datetime, rules: FigureRules) -> Tally:
    """Everyone's counts: the units' tallies added up, plus the intakes still waiting for a unit."""
    total = Tally()
    for t in tally(facts, now, rules).values():
        total.add(t)
    waiting = [i for i in facts.intakes if i.unit is None]
    total.intakes += len(waiting)
    total.repeat_calls += sum(i.repeat for i in waiting)
    return total


@dataclass(frozen=True)
class Ranked:
    unit: str
    rate: float
    sample: int


def _measured(
    tallies: Mapping[str, Tally], rate: str, rules: FigureRules, units: Iterable[str]
) -> list[Ranked]:
    """The units of `units` with something counted for `rate`, with their rate and sample."""
    if rate not in RATES:
        raise ValueError(f"unknown rate {rate!r} (known: {', '.join(RATES)})")
    rows = []
    for unit in units:
        t = tallies.get(unit)
        r = t.rates(rules)[rate] if t is not None else None
        if r is not None and r.value is not None:
            rows.append(Ranked(unit, r.value, r.denominator))
    return rows


def _sorted(rows: list[Ranked], rate: str, *, worst: bool = False) -> list[Ranked]:
    """Best first (or worst first); equal rates: the larger sample first, then the unit code."""
    sign = (1 if rate in LOWER_IS_BETTER else -1) * (-1 if worst else 1)
    return sorted(rows, key=lambda x: (sign * x.rate, -x.sample, x.unit))


def ordered(
    tallies: Mapping[str, Tally], rate: str, rules: FigureRules, *, units: Iterable[str]
) -> list[str]:
    """Every unit of `units`, best first by `rate` as in `ranking`; those with nothing counted last,
    by code (the order of a unit table)."""
    units = list(units)
    measured = [r.unit for r in _sorted(_measured(tallies, rate, rules, units), rate)]
    return measured + sorted(set(units) - set(measured))


def ranking(
    tallies: Mapping[str, Tally], rate: str, rules: FigureRules, *, units: Iterable[str], n: int = 5
) -> tuple[list[Ranked], list[Ranked]]:
    """The best `n` and the worst `n` of `units` by `rate` (best first; worst first).

    A unit is in one list at most: the best take the first `n` ranked units, the worst only units
    not among them. With fewer than 2 × `n` ranked units the worst list is the shorter (6 units,
    top five: the sixth is the bottom one), and with `n` or fewer it is empty: a unit ranked
    alone is not also its kind's worst.

    Units with fewer than `rules.min_ranked` counted cases are left out. Equal rates: the unit with
    the larger sample ranks as the more certain one (first among the best, first among the worst),
    then the unit code, so the order never depends on the database's.
    """
    rows = [r for r in _measured(tallies, rate, rules, units) if r.sample >= rules.min_ranked]
    best = _sorted(rows, rate)[:n]
    top = {r.unit for r in best}
    worst = [r for r in _sorted(rows, rate, worst=True) if r.unit not in top][:n]
    return best, worst
