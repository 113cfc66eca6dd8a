"""The figures' formulas (dispatch/figures.py): each rate from its facts, the weight of 基本满意,
exclusions, ratings not yet due, and the rankings' order, ties and smallest sample."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.figures import (
    ApprovedReply,
    Facts,
    FigureRules,
    Intake,
    LeadDispatch,
    LeadPart,
    Rating,
    Tally,
    lead_dispatches,
    ordered,
    overall,
    ranking,
    tally,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def rating(unit: str = "cgj", result: str = "满意", **kw: object) -> Rating:
    fields = {"contacted": True, "resolved": "yes", "attitude": "满意", "result": result, **kw}
    return Rating(unit, **fields)  # type: ignore[arg-type]


DEFAULT = FigureRules()


def rates_of(facts: Facts, unit: str = "cgj", rules: FigureRules = DEFAULT) -> dict[str, float | None]:
    return {name: r.value for name, r in tally(facts, NOW, rules)[unit].rates(rules).items()}


def test_rating_rates_count_contact_resolution_and_weighted_satisfaction() -> None:
    facts = Facts(
        ratings=(
            rating(result="满意", attitude="满意"),
            rating(result="基本满意", attitude="满意", resolved="partly"),
            rating(result="不满意", attitude="基本满意", resolved="no", contacted=False),
            rating(result="不满意", attitude="不满意", resolved="no"),
        )
    )
    rates = rates_of(facts)
    assert rates["response_rate"] == 3 / 4
    assert rates["resolution_rate"] == 1 / 4  # "partly" is not resolved
    assert rates["satisfaction_rate"] == pytest.approx((1 + 0.8) / 4)
    assert rates["attitude_satisfaction_rate"] == pytest.approx((2 + 0.8) / 4)
    full = rates_of(facts, rules=FigureRules(basic_weight=1.0))
    assert full["satisfaction_rate"] == 2 / 4


def test_an_excluded_rating_counts_in_no_rate_but_is_reported() -> None:
    facts = Facts(ratings=(rating(result="满意"), rating(result="不满意", exclusion="malicious")))
    t = tally(facts, NOW, FigureRules())["cgj"]
    assert (t.rated, t.excluded) == (1, 1)
    assert t.rates(FigureRules())["satisfaction_rate"].value == 1.0
    # A city that counts malicious ratings after all: the same facts, both counted.
    counted = FigureRules(excluded=frozenset({"unreachable", "invalid"}))
    assert rates_of(facts, rules=counted)["satisfaction_rate"] == 0.5


def test_sign_for_counts_late_and_overdue_unsigned_but_not_unsigned_still_in_time() -> None:
    facts = Facts(
        dispatches=(
            LeadDispatch("cgj", NOW - HOUR, NOW - 2 * HOUR),  # signed in time
            LeadDispatch("cgj", NOW - 2 * HOUR, NOW - HOUR),  # signed late
            LeadDispatch("cgj", NOW - HOUR, None),  # overdue, unsigned: late
            LeadDispatch("cgj", NOW + HOUR, None),  # not due yet: not counted
        ),
        returns=("cgj",),
    )
    t = tally(facts, NOW, FigureRules())["cgj"]
    assert (t.dispatched, t.sign_counted, t.signed_on_time, t.returned) == (4, 3, 1, 1)
    rates = rates_of(facts)
    assert rates["sign_on_time_rate"] == 1 / 3
    assert rates["return_rate"] == 1 / 4


def test_a_dispatch_taken_away_before_its_sign_for_deadline_is_not_counted_against_the_unit() -> None:
    facts = Facts(
        dispatches=(
            LeadDispatch("cgj", NOW - HOUR, None, ended_at=NOW - 2 * HOUR),  # re-dispatched in time
            LeadDispatch("cgj", NOW - 2 * HOUR, None, ended_at=NOW - HOUR),  # overdue, then taken away
        ),
    )
    t = tally(facts, NOW, FigureRules())["cgj"]
    assert (t.dispatched, t.sign_counted, t.signed_on_time) == (2, 1, 0)


START, END = NOW - 30 * 24 * HOUR, NOW + HOUR  # the period


def part(
    unit: str, at: datetime, ended: datetime | None = None, signed: datetime | None = None, appeal: int = 1
):
    """A lead assignment made at `at`, due to be signed for an hour later."""
    return LeadPart(appeal, unit, at, at + HOUR, signed, ended)


def test_a_redispatch_that_kept_the_lead_unit_is_no_second_dispatch() -> None:
    t0 = NOW - 10 * HOUR
    kept = (part("cgj", t0, ended=t0 + HOUR / 2), part("cgj", t0 + HOUR / 2))
    # One dispatch, by its last part's sign-for deadline (the first was replaced before its own).
    assert lead_dispatches(kept, START, END) == (LeadDispatch("cgj", t0 + HOUR / 2 + HOUR, None, None),)
    assert tally(Facts(dispatches=lead_dispatches(kept, START, END)), NOW, DEFAULT)["cgj"].dispatched == 1
    # Each change of lead unit is one: to rsj and back to cgj is two dispatches for cgj, one for rsj.
    moved = (
        part("cgj", t0, ended=t0 + HOUR),
        part("rsj", t0 + HOUR, ended=t0 + 2 * HOUR),
        part("cgj", t0 + 2 * HOUR),
        part("cgj", t0, appeal=2),  # another appeal's
    )
    counts = tally(Facts(dispatches=lead_dispatches(moved, START, END)), NOW, DEFAULT)
    assert {u: t.dispatched for u, t in counts.items()} == {"cgj": 3, "rsj": 1}
    # Back to the same unit after its part ended (a return approved, later dispatched to it again).
    again = (part("cgj", t0, ended=t0 + HOUR), part("cgj", t0 + 2 * HOUR))
    assert len(lead_dispatches(again, START, END)) == 2


def test_a_dispatch_kept_by_a_redispatch_signs_for_once_and_a_missed_deadline_stays_missed() -> None:
    t0 = NOW - 10 * HOUR
    signed_first = (part("cgj", t0, ended=t0 + 2 * HOUR, signed=t0 + HOUR / 2), part("cgj", t0 + 2 * HOUR))
    t = tally(Facts(dispatches=lead_dispatches(signed_first, START, END)), NOW, DEFAULT)["cgj"]
    assert (t.dispatched, t.sign_counted, t.signed_on_time) == (1, 1, 1)
    # Unsigned past its deadline, then re-dispatched to the same unit, which signed in time for the
    # new deadline: late all the same.
    missed = (part("cgj", t0, ended=t0 + 2 * HOUR), part("cgj", t0 + 2 * HOUR, signed=t0 + 2 * HOUR))
    t = tally(Facts(dispatches=lead_dispatches(missed, START, END)), NOW, DEFAULT)["cgj"]
    assert (t.dispatched, t.sign_counted, t.signed_on_time) == (1, 1, 0)
    # Re-dispatched before its deadline, signed in time for the last one: on time.
    in_time = (part("cgj", t0, ended=t0 + HOUR / 2), part("cgj", t0 + HOUR / 2, signed=t0 + HOUR))
    t = tally(Facts(dispatches=lead_dispatches(in_time, START, END)), NOW, DEFAULT)["cgj"]
    assert (t.dispatched, t.sign_counted, t.signed_on_time) == (1, 1, 1)


def test_a_dispatch_counts_in_the_period_of_its_first_part() -> None:
    before = START - 2 * HOUR
    parts = (
        part("cgj", before, ended=START + HOUR),
        part("cgj", START + HOUR),
        part("rsj", START + HOUR, appeal=2),
    )
    assert [d.unit for d in lead_dispatches(parts, START, END)] == ["rsj"]
    assert [d.unit for d in lead_dispatches(parts, before, START)] == ["cgj"]


def test_completion_on_time_compares_the_submission_with_the_reply_deadline() -> None:
    facts = Facts(
        replies=(
            ApprovedReply("cgj", NOW - HOUR, NOW),
            ApprovedReply("cgj", NOW, NOW),  # at the deadline: in time
            ApprovedReply("cgj", NOW + HOUR, NOW),
        )
    )
    assert rates_of(facts)["completion_on_time_rate"] == 2 / 3


def test_reopen_and_repeat_call_rates_and_nothing_counted_is_none_not_zero() -> None:
    facts = Facts(
        ratings=(rating(), rating(result="不满意")),
        reopens=("cgj",),
        intakes=(Intake("cgj", False), Intake("cgj", True), Intake(None, True)),
    )
    rates = rates_of(facts)
    assert rates["reopen_rate"] == 1 / 2
    assert rates["repeat_call_rate"] == 1 / 2
    assert rates["sign_on_time_rate"] is None and rates["completion_on_time_rate"] is None
    everyone = overall(facts, NOW, FigureRules())
    assert (everyone.intakes, everyone.repeat_calls) == (3, 2)  # the one waiting for dispatch too


def test_rankings_best_and_worst_ties_by_sample_then_code_and_smallest_sample() -> None:
    tallies = {
        "a": Tally(rated=2, satisfied=2),  # 100% of 2
        "b": Tally(rated=5, satisfied=5),  # 100% of 5: ranks above a
        "c": Tally(rated=4, satisfied=1),  # 25%
        "d": Tally(rated=4, satisfied=1),  # 25%, same sample: by code
        "e": Tally(),  # nothing rated: not ranked
    }
    best, worst = ranking(tallies, "satisfaction_rate", FigureRules(), units="abcdef", n=3)
    assert [r.unit for r in best] == ["b", "a", "c"]
    assert [r.unit for r in worst] == ["d"]  # c ties with d but is among the best already
    best, worst = ranking(tallies, "satisfaction_rate", FigureRules(), units="abcdef", n=2)
    assert ([r.unit for r in best], [r.unit for r in worst]) == (["b", "a"], ["c", "d"])
    best, _ = ranking(tallies, "satisfaction_rate", FigureRules(min_ranked=3), units="abcd")
    assert [r.unit for r in best] == ["b", "c", "d"]
    # A unit table: everyone, in the rankings' order, those with nothing counted last by code.
    assert ordered(tallies, "satisfaction_rate", FigureRules(), units="fedcba") == [
        "b",
        "a",
        "c",
        "d",
        "e",
        "f",
    ]


def test_rankings_by_a_rate_where_less_is_better_put_the_lowest_first() -> None:
    tallies = {"a": Tally(dispatched=10, returned=5), "b": Tally(dispatched=10, returned=1)}
    best, worst = ranking(tallies, "return_rate", FigureRules(), units="ab", n=1)
    assert [r.unit for r in best] == ["b"]
    assert [r.unit for r in worst] == ["a"]


def _units(count: int) -> dict[str, Tally]:
    """`count` units u00, u01, … each rated 10 times, the earlier the more satisfied (u00 best)."""
    return {f"u{i:02d}": Tally(rated=10, satisfied=10 - i % 11) for i in range(count)}


@pytest.mark.parametrize(
    ("count", "best", "worst"),
    [
        (0, [], []),
        (1, ["u00"], []),  # ranked alone: the top, not also the bottom
        (5, ["u00", "u01", "u02", "u03", "u04"], []),
        (6, ["u00", "u01", "u02", "u03", "u04"], ["u05"]),
        (9, ["u00", "u01", "u02", "u03", "u04"], ["u08", "u07", "u06", "u05"]),
        (10, ["u00", "u01", "u02", "u03", "u04"], ["u09", "u08", "u07", "u06", "u05"]),
        (11, ["u00", "u01", "u02", "u03", "u04"], ["u10", "u09", "u08", "u07", "u06"]),
    ],
)
def test_a_unit_is_in_the_top_five_or_the_bottom_five_never_both(
    count: int, best: list[str], worst: list[str]
) -> None:
    tallies = _units(count)
    top, bottom = ranking(tallies, "satisfaction_rate", FigureRules(), units=sorted(tallies))
    assert [r.unit for r in top] == best
    assert [r.unit for r in bottom] == worst
    assert not {r.unit for r in top} & {r.unit for r in bottom}


def test_units_all_equal_still_appear_once() -> None:
    """Ties everywhere: the order falls back on the code, and no unit is listed twice."""
    tallies = {code: Tally(rated=4, satisfied=2) for code in "abcdefg"}
    top, bottom = ranking(tallies, "satisfaction_rate", FigureRules(), units="abcdefg")
    assert [r.unit for r in top] == ["a", "b", "c", "d", "e"]
    assert [r.unit for r in bottom] == ["f", "g"]


@pytest.mark.parametrize(
    "kwargs",
    [{"basic_weight": 1.5}, {"basic_weight": -0.1}, {"excluded": frozenset({"rude"})}, {"min_ranked": 0}],
)
def test_rules_out_of_range_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FigureRules(**kwargs)  # type: ignore[arg-type]


def test_an_unknown_rate_cannot_be_ranked() -> None:
    with pytest.raises(ValueError, match="unknown rate"):
        ranking({}, "speed", FigureRules(), units=[])
