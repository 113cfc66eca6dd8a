"""Escalation decisions, without I/O: which alarms an appeal needs, when a notice may go out, and
how long to wait before retrying a failed delivery.

An alarm is a moment at which the worker must look at an appeal again: a deadline about to pass, a
deadline passed, a step of an urgent appeal's escalation ladder. `plan_alarms` gives the alarms an
appeal needs in its current state; the service stores them with an index on the due time, so a
sweep reads only the alarms that are due. When an alarm fires, it still applies only if the appeal's
current plan still holds it (`still_planned`): an appeal signed in the meantime, re-dispatched with a
new deadline or given an extension has a new plan, and the old alarm is skipped.

The reply's warning (即将超期) of a routine appeal goes off in working hours, on the working days of
the list that routed it (`warning_in_working_hours`): one falling at night or on a day off goes
off at the opening of the working day before, so that the unit reads it at work and its notice,
which waits for working hours, is not held until the deadline is closer still.

A co-unit (协办单位) signs for its own part by its own assignment's deadline: while the appeal is with
the units, each unsigned part gets one alarm (`CO_SIGN_OVERDUE`, naming the assignment) at that
deadline. The escalation ladder stays the lead unit's.

The lead's and the co-units' sign-for alarms are swept together (`swept_together`): units dispatched
together with one time limit miss it together, and the centre, told of each late unit, would get one
text per unit at the same minute. Of the sign-for alarms one sweep fires, `joint_centre_notices`
says which the centre hears of in one notice: each unit is still reminded of its own part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from dispatch.deadlines import LOCAL_TZ

# Alarm kinds, one sweep each.
SIGN_OVERDUE = "sign_overdue"  # 签收超时
CO_SIGN_OVERDUE = "co_sign_overdue"  # 协办签收超时: a co-unit's part not signed for by its deadline
ESCALATE = "escalate"  # an urgent appeal still unsigned: the next level of the ladder (逐级升级)
REPLY_DUE_SOON = "reply_due_soon"  # 即将超期 (the yellow warning)
REPLY_OVERDUE = "reply_overdue"  # 答复超期
REVIEW_WAITING = "review_waiting"  # a reply waits too long for the centre's review
RATING_CALLBACK = "rating_callback"  # 回访: no rating yet, the centre should call the citizen

KINDS: tuple[str, ...] = (
    SIGN_OVERDUE,
    CO_SIGN_OVERDUE,
    ESCALATE,
    REPLY_DUE_SOON,
    REPLY_OVERDUE,
    REVIEW_WAITING,
    RATING_CALLBACK,
)

#: The sign-for reminders, the lead's and the co-units': one sweep fires them (`swept_together`).
SIGN_FOR_KINDS: tuple[str, ...] = (SIGN_OVERDUE, CO_SIGN_OVERDUE)

#: The order one run of the worker's sweeps takes the kinds in: the order an appeal's alarms fall due
#: in its plan, so that alarms one run finds due together (after the worker or Redis was down, say)
#: are recorded on the appeal's timeline in the order of their due times. The sign-for reminders
#: (the co-units' with the lead's, `swept_together`) at the deadline, the ladder's steps after it,
#: then the reply's yellow warning and its deadline; the review and call-back alarms belong to
#: later statuses. A sweep fires the alarms of its kinds earliest first.
SWEEP_ORDER: tuple[str, ...] = (
    SIGN_OVERDUE,  # and CO_SIGN_OVERDUE
    ESCALATE,
    REPLY_DUE_SOON,
    REPLY_OVERDUE,
    REVIEW_WAITING,
    RATING_CALLBACK,
)

#: Urgencies escalated at once (an urgent-by-nature category is raised to 紧急 at dispatch).
URGENT_LEVELS = frozenset({"紧急", "特急"})

# The statuses the plan depends on (service.appeals.status, repeated here to keep this module pure).
DISPATCHED = "dispatched"
HANDLING = "handling"
REPLY_REVIEW = "reply_review"
REPLIED = "replied"
OWES_REPLY = frozenset({DISPATCHED, HANDLING})


@dataclass(frozen=True)
class LadderStep:
    """One level of the lead unit's escalation ladder; `after_minutes` counts from the level before
    (from the missed sign-for deadline for level 1)."""

    level: int
    title: str
    after_minutes: int


@dataclass(frozen=True)
class CoPart:
    """A co-unit's part of the appeal (an active co assignment): its own sign-for deadline, and
    whether the co-unit has signed for it (co_signed)."""

    assignment_id: int
    unit: str
    sign_due_at: datetime | None
    signed: bool = False


@dataclass(frozen=True)
class AppealFacts:
    """What the plan depends on, read from the appeal (all datetimes aware, UTC)."""

    status: str
    urgency: str
    status_since: datetime | None  # when the appeal entered its status
    dispatched_at: datetime | None
    sign_due_at: datetime | None
    reply_due_at: datetime | None
    replied_at: datetime | None  # the reply released to the citizen
    rating_due_at: datetime | None  # the rating window ends (the appeal then closes unrated)
    reply_started_at: datetime | None = None  # the reply clock's start: the dispatch, or a reopen
    co_parts: tuple[CoPart, ...] = ()  # the active co assignments (ended ones are not parts)
    #: The working days of the list that routed the appeal (its deadlines'): a routine appeal's
    #: warning is kept in working hours (`warning_in_working_hours`). None: left where it falls.
    workdays: Workdays | None = None

    @property
    def urgent(self) -> bool:
        return self.urgency in URGENT_LEVELS


@dataclass(frozen=True)
class Settings:
    """The centre's waiting times, from configuration."""

    review_wait: timedelta = timedelta(hours=24)  # a reply waiting longer for review is flagged
    callback_after: timedelta = timedelta(days=2)  # no rating after this: call the citizen back
    tz: tzinfo = LOCAL_TZ  # the local time working hours are in


@dataclass(frozen=True, order=True)
class Alarm:
    due_at: datetime
    kind: str
    level: int = 0  # the ladder level for ESCALATE, else 0
    assignment_id: int | None = None  # the co assignment for CO_SIGN_OVERDUE, else None


def plan_alarms(facts: AppealFacts, ladder: Sequence[LadderStep], settings: Settings) -> list[Alarm]:
    """The alarms the appeal needs now, earliest first. Pure: the same facts give the same plan."""
    alarms: list[Alarm] = []
    if facts.status == DISPATCHED and facts.sign_due_at is not None:
        alarms.append(Alarm(facts.sign_due_at, SIGN_OVERDUE))
        if facts.urgent:
            due = facts.sign_due_at
            for step in sorted(ladder, key=lambda st: st.level):
                due = due + timedelta(minutes=max(step.after_minutes, 0))
                alarms.append(Alarm(due, ESCALATE, step.level))
    if facts.status in OWES_REPLY and facts.reply_due_at is not None:
        start = facts.reply_started_at or facts.dispatched_at
        if start is not None and start < facts.reply_due_at:
            # The moment the work lists turn yellow: a quarter of the whole time left; a routine
            # appeal's warning, in working hours.
            soon = yellow_at(start, facts.reply_due_at)
            if facts.workdays is not None and not facts.urgent:
                soon = warning_in_working_hours(soon, start, facts.reply_due_at, facts.workdays, settings.tz)
            alarms.append(Alarm(soon, REPLY_DUE_SOON))
        alarms.append(Alarm(facts.reply_due_at, REPLY_OVERDUE))
    if facts.status in OWES_REPLY:
        # Each co-unit's own sign-for deadline while its part is unsigned: one reminder, no ladder.
        for part in facts.co_parts:
            if not part.signed and part.sign_due_at is not None:
                alarms.append(Alarm(part.sign_due_at, CO_SIGN_OVERDUE, assignment_id=part.assignment_id))
    if facts.status == REPLY_REVIEW and facts.status_since is not None:
        alarms.append(Alarm(facts.status_since + settings.review_wait, REVIEW_WAITING))
    if facts.status == REPLIED and facts.replied_at is not None:
        callback = facts.replied_at + settings.callback_after
        if facts.rating_due_at is None or callback < facts.rating_due_at:
            alarms.append(Alarm(callback, RATING_CALLBACK))
    return sorted(alarms)


def yellow_at(start: datetime, due_at: datetime) -> datetime:
    """When `dispatch.deadlines.warning_level` turns yellow: a quarter of the total time left."""
    return due_at - (due_at - start) / 4


def still_planned(alarm: Alarm, facts: AppealFacts, ladder: Sequence[LadderStep], settings: Settings) -> bool:
    """Whether a stored alarm still belongs to the appeal's plan (else it is skipped when due)."""
    plan = plan_alarms(facts, ladder, settings)
    return alarm in plan or stands_for_warning(alarm, facts, plan)


def stands_for_warning(alarm: Alarm, facts: AppealFacts, plan: Sequence[Alarm]) -> bool:
    """Whether `alarm` is the plan's reply warning as stored before warnings were kept to working
    hours: a REPLY_DUE_SOON at the unmoved quarter point of the same reply deadline, while the plan
    has that deadline's warning at another time. Such a stored warning is that warning: pending, it
    goes off at its time (not skipped); fired, it was given (not given again at the moved time)."""
    if alarm.kind != REPLY_DUE_SOON or facts.reply_due_at is None:
        return False
    start = facts.reply_started_at or facts.dispatched_at
    if start is None or start >= facts.reply_due_at or alarm.due_at != yellow_at(start, facts.reply_due_at):
        return False
    return any(a.kind == REPLY_DUE_SOON for a in plan)


def swept_together(kind: str) -> tuple[str, ...]:
    """The alarm kinds one sweep of `kind` fires: the lead's and the co-units' sign-for reminders
    together (so that one sweep sees every unit of an appeal that missed its deadline), any other
    kind alone."""
    return SIGN_FOR_KINDS if kind in SIGN_FOR_KINDS else (kind,)


def joint_centre_notices(fired: Sequence[tuple[int, Alarm]]) -> list[tuple[int, ...]]:
    """Which of one sweep's fired alarms, (appeal id, alarm) in the order fired, the centre hears of
    in one notice: for each appeal with two or more sign-for reminders (its lead's, its co-units'),
    their positions in `fired`, the lead's first and then the co-units' by assignment; the appeals in
    the order the sweep reached them.

    Each unit is still reminded of its own part; only the centre's notices are joined. An appeal with
    one unit late in the sweep is not in the answer: that unit's notice tells the centre, as does
    every other kind of alarm. Deadlines passing at different sweeps are told at each.
    """
    by_appeal: dict[int, list[int]] = {}
    for position, (appeal_id, alarm) in enumerate(fired):
        if alarm.kind in SIGN_FOR_KINDS:
            by_appeal.setdefault(appeal_id, []).append(position)

    def lead_first(position: int) -> tuple[bool, int]:
        alarm = fired[position][1]
        return alarm.kind != SIGN_OVERDUE, alarm.assignment_id or 0

    return [tuple(sorted(group, key=lead_first)) for group in by_appeal.values() if len(group) > 1]


#: Level names where the unit's ladder in the list gives none.
DEFAULT_LEVEL_TITLES = {1: "单位负责人", 2: "中心领导", 3: "区政府办"}


def level_title(ladder: Iterable[LadderStep], level: int) -> str:
    """Who a level of the ladder is, e.g. 中心领导: the list's title, else the usual one."""
    step = next((st for st in ladder if st.level == level), None)
    return step.title if step is not None and step.title else DEFAULT_LEVEL_TITLES.get(level, f"第{level}级")


def ladder_from_list(escalation: Iterable[Mapping[str, Any]]) -> tuple[LadderStep, ...]:
    """A unit's ladder from its stored list entry (`units.escalation`)."""
    steps = (
        LadderStep(int(step["level"]), str(step.get("title") or ""), int(step.get("after_minutes", 30)))
        for step in escalation
    )
    return tuple(sorted(steps, key=lambda st: st.level))


# --- When a notice may go out -------------------------------------------------------------------


class Workdays(Protocol):
    def is_workday(self, d: date) -> bool: ...


#: Routine notices to units and citizens go out in these local hours on working days.
WORKING_HOURS: tuple[time, time] = (time(8, 30), time(18, 0))


def notice_urgent(*urgencies: str | None) -> bool:
    """Whether a notice goes out at once, at any hour, on the urgent queue: every notice about an
    urgent appeal (紧急 or 特急), whatever its kind.

    The alert at dispatch, the sign-for and reply reminders, the ladder's steps, 督办 and 催办, the
    co-units' notices, what the citizen is told: someone must act on an urgent appeal now, and a
    reminder about a gas leak held until the next morning arrives long after the deadline it is
    about. A routine appeal's notices wait for working hours (`send_not_before`).
    `urgencies`: the appeal's; for a merged appeal's notice about its master, the master's too.
    """
    return any(urgency in URGENT_LEVELS for urgency in urgencies)


def send_not_before(
    now: datetime,
    *,
    urgent: bool,
    calendar: Workdays,
    tz: tzinfo,
    hours: tuple[time, time] = WORKING_HOURS,
) -> datetime:
    """The earliest moment a notice may be sent: at once if urgent, else within working hours.

    A routine reminder due at 02:00 or on a Sunday waits for the next working morning; a notice
    inside working hours goes at once.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if urgent:
        return now
    local = now.astimezone(tz)
    start, end = hours
    day = local.date()
    if calendar.is_workday(day) and start <= local.time() < end:
        return now
    if not (calendar.is_workday(day) and local.time() < start):
        day += timedelta(days=1)
        for _ in range(366):
            if calendar.is_workday(day):
                break
            day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=tz).astimezone(UTC)


def warning_in_working_hours(
    at: datetime,
    start: datetime,
    due_at: datetime,
    calendar: Workdays,
    tz: tzinfo,
    hours: tuple[time, time] = WORKING_HOURS,
) -> datetime:
    """When a routine appeal's warning about its deadline `due_at` goes off, planned for `at`: the
    unit reads it at work, and its notice goes out at once (`send_not_before`'s hours).

    In working hours of a working day: `at` itself. Else earlier, never later (held until the
    next morning, a warning may come with the deadline itself): the opening of the latest working
    day that opened before `at` (a warning at 02:00 on Thursday or 19:00 on Wednesday goes off at
    08:30 on Wednesday; one on a Sunday, at 08:30 on Friday). When that is before `start` (the unit
    did not have the appeal yet), the next working opening after `at`, if it comes before the
    deadline; failing both, `at`.
    """
    local = at.astimezone(tz)
    opening, closing = hours
    day = local.date()
    if calendar.is_workday(day) and opening <= local.time() < closing:
        return at
    if local.time() < opening:
        day -= timedelta(days=1)
    for _ in range(366):
        if calendar.is_workday(day):
            break
        day -= timedelta(days=1)
    earlier = datetime.combine(day, opening, tzinfo=tz).astimezone(UTC)
    if earlier >= start:
        return earlier
    later = send_not_before(at, urgent=False, calendar=calendar, tz=tz, hours=hours)
    return later if later < due_at else at


# --- Retrying deliveries ------------------------------------------------------------------------

MAX_ATTEMPTS = 6
_FIRST_BACKOFF = timedelta(seconds=30)
_MAX_BACKOFF = timedelta(hours=1)


def retry_after(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed transient attempts; None once it is time to give up.

    30 s, 1 min, 2 min, 4 min, 8 min: six attempts over about a quarter of an hour, then the notice is
    recorded as failed for a person to look at (`minyi jobs failed`).
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(_FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), _MAX_BACKOFF)
