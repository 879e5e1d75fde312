"""Properties of the expressions added for issue 11: Kleene soundness on every backend, and dates
counted before and after against an independent computation.

Soundness: a condition that is true or false while some facts are unknown keeps that value once they
are known, whatever they turn out to be (an unknown operand never yields a value the operand could
change). Dates: ``shift_date`` (compiler and generated code) against ``dateutil.relativedelta`` for
months and years, plain day counts, and a walk over the calendar's own holiday sets for working days.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules.engine.numeric import shift_date
from supervisor_rules.policy import BACKENDS

POLICY = """
policy props
  title "props"
  age reached on day after birthday

record clue "clue" {
  on: date "on"
  valid: bool = false "valid"
  heavy: bool = unknown "heavy"
  amount: number = unknown "amount"
}

facts p "p" {
  a: number "a"
  b: number "b"
  born: date "born"
  day: date "day"
  clues: list of clue "clues"
}

article 1 "x"
  notice "1" when p.a + p.b > 3
  notice "2" when p.a / p.b <= 1
  notice "3" when min(p.a, p.b) = -p.b * 2
  notice "4" when max(p.a, 1.5) - p.b >= 0
  notice "5" when age(p.born, p.day) >= 18
  notice "6" when p.day before 1 year < p.born after 6 months
  notice "7" when any c in p.clues where (c.heavy or c.amount > p.a)
  notice "8" when all c in p.clues where (c.valid or c.heavy)
  notice "9" when no c in p.clues where (c.amount * 2 = p.b)
  notice "10" when (count of c in p.clues where c.heavy) >= 1
  notice "11" when count of p.clues + (count of c in p.clues where c.valid) > 2
"""

_POLICY = sr.parse_policy(POLICY, "props.rules")
_NUMBERS = st.sampled_from([0, 1, 2, -1, 0.5, 1.5, 3, 2.5, -0.5, 10])
_DATES = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
_CLUE = st.fixed_dictionaries({"on": _DATES.map(dt.date.isoformat)},
                              optional={"valid": st.booleans(), "heavy": st.booleans(), "amount": _NUMBERS})
_FACTS = st.fixed_dictionaries({"a": _NUMBERS, "b": _NUMBERS, "born": _DATES.map(dt.date.isoformat),
                                "day": _DATES.map(dt.date.isoformat), "clues": st.lists(_CLUE, max_size=3)})


def _outcomes(backend: str, facts: dict) -> list:
    decision = _POLICY.evaluate_with(backend, {"as_of": "2025-01-01", "p": facts})
    return [step.outcome for step in decision.trace if step.rule == "notice"]


def _forget(facts: dict, drop: list[bool], clue_drop: list[list[bool]]) -> dict:
    """``facts`` with some facts (all open-world), and some records' open fields, left out (unknown)."""
    out = {k: v for (k, v), gone in zip(sorted(facts.items()), drop) if not gone}
    if "clues" in out:
        # only the open fields (`= unknown`): a closed one left out takes its default, it is not unknown
        out["clues"] = [{k: v for k, v in clue.items() if k not in ("heavy", "amount")
                         or not flags[("heavy", "amount").index(k)]} for clue, flags in zip(out["clues"], clue_drop)]
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(_FACTS, st.lists(st.booleans(), min_size=5, max_size=5),
       st.lists(st.lists(st.booleans(), min_size=2, max_size=2), min_size=3, max_size=3),
       st.sampled_from(BACKENDS))
def test_an_unknown_operand_never_gives_a_value_its_knowing_changes(facts, drop, clue_drop, backend):
    full = _outcomes(backend, facts)
    partial = _outcomes(backend, _forget(facts, drop, [list(d) for d in clue_drop]))
    assert len(full) == len(partial)
    for number, (known, unknown) in enumerate(zip(full, partial), start=1):
        if unknown is not None:
            assert known == unknown, (number, known, unknown)


def test_the_property_sees_unknowns():
    assert None in _outcomes(BACKENDS[0], {"a": 1})


def _months_independently(day: dt.date, months: int) -> dt.date:
    return day + relativedelta(months=months)  # the month's last day where it has no such day


def _working_days_independently(day: dt.date, n: int, calendar, step: int) -> dt.date | None:
    while n:
        day += dt.timedelta(days=step)
        if day.year not in calendar.years:
            return None
        worked = day in calendar.adjusted_workdays or (day.weekday() < 5 and day not in calendar.holidays)
        n -= worked
    return day


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1901, 1, 1), dt.date(2998, 12, 31)), st.integers(0, 1000),
       st.sampled_from(["days", "months", "years"]), st.booleans())
def test_calendar_counts_match_an_independent_computation(day, n, unit, before):
    sign = -1 if before else 1
    if unit == "days":
        expected = day + dt.timedelta(days=sign * n)
    else:
        expected = _months_independently(day, sign * n * (12 if unit == "years" else 1))
    assert shift_date(day, n, unit, None, before) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)), st.integers(0, 40), st.booleans())
def test_working_days_match_a_walk_over_the_calendar(day, n, before):
    calendar = sr.builtin_policy("wuhan").calendar
    expected = _working_days_independently(day, n, calendar, -1 if before else 1)
    assert shift_date(day, n, "working_days", lambda: calendar, before) == expected


def test_a_leap_day_counted_back_a_year_is_28_february():
    assert shift_date(dt.date(2024, 2, 29), 1, "years", None, True) == dt.date(2023, 2, 28)
    assert shift_date(dt.date(2024, 3, 31), 1, "months", None, True) == dt.date(2024, 2, 29)
