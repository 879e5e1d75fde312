"""Deadlines counted from derived dates, `due(…)` in expressions, `term number(…)` and further renewal
conditions (`renewal requires`), on every backend: corners.rules articles 30-33 with answers worked out
by hand from the 2025 calendar (国务院办公厅 2025 年放假安排: 10-01..10-08 off, Sunday 09-28 and
Saturday 10-11 worked), and Hypothesis properties holding each to an independent computation
(``dateutil.relativedelta`` for Civil Code arts. 201-202, a day-by-day walk over the calendar's own
holiday and adjusted-workday sets for working days and art. 203).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules.dates.workdays import MissingCalendarYear

CORNERS = Path(__file__).resolve().parent / "corners.rules"
POLICY = sr.load_policy(CORNERS)
ONE = dt.timedelta(days=1)


def _decision(backend: str, case: dict, policy=POLICY) -> dict:
    return policy.evaluate_with(backend, case).to_dict()


def _duty(decision: dict, code: str) -> tuple:
    [found] = [o for o in decision["obligations"] if o["duty"] == code]
    return found["due"], found["state"], found["bearer"]


def _findings(decision: dict, code: str) -> list:
    return [(f["value"], f["item"]) for f in decision["findings"] if f["code"] == code]


def _short_calendar(last_year: int) -> sr.WorkdayCalendar:
    full = POLICY.calendar
    return sr.WorkdayCalendar(holidays=[d for d in full.holidays if d.year <= last_year],
                              adjusted_workdays=[d for d in full.adjusted_workdays if d.year <= last_year],
                              years=[y for y in full.years if y <= last_year], source="truncated")


# ------------------------------------------------------------------ 1. a deadline from a derived date
@pytest.mark.parametrize("assessed, state", [(None, "owed"), ("2025-10-14", "met"), ("2025-10-15", "overdue")])
def test_a_deadline_counted_from_an_expression(backend, assessed, state):
    """试用期满之日起5个工作日内: 2025-07-06 + 3 months is 2025-10-06, a holiday, and stays so (a probation is
    no deadline: art. 203 is the duty's last step only); 5 working days after it are 10-09, 10-10,
    10-11 (worked Saturday), 10-13, 10-14."""
    case = {"as_of": "2025-10-14", "appointment": {"start": "2025-07-06"},
            "selection": {"assessed_on": assessed}}
    assert _duty(_decision(backend, case), "probation_assessment") == ("2025-10-14", state, "department")


def test_a_deadline_counted_from_a_deadline(backend):
    """From `due(received after 15 calendar days)`: 2025-09-16 + 15 days is National Day, so 10-09; then
    10 working days: 10-10, 10-11 (worked), 10-13 … 10-17, 10-20, 10-21, 10-22."""
    case = {"as_of": "2025-10-20", "selection": {"received_on": "2025-09-16", "requested_on": "2025-10-01"}}
    assert _duty(_decision(backend, case), "answer_review") == ("2025-10-22", "owed", "department")


def test_a_deadline_from_an_unknown_base_is_unknown(backend):
    case = {"as_of": "2025-10-20", "selection": {"requested_on": "2025-10-01"}}
    assert _duty(_decision(backend, case), "answer_review") == (None, "unknown", "department")


# ------------------------------------------------------------------ 2. `due(…)`: art. 203 in expressions
@pytest.mark.parametrize("received, requested, due, late", [
    ("2025-09-16", "2025-10-09", "2025-10-09", False),  # + 15 days is 10-01: moved to 10-09
    ("2025-09-16", "2025-10-10", "2025-10-09", True),
    ("2025-09-13", "2025-09-28", "2025-09-28", False),  # + 15 days is Sunday 09-28, a worked day: it stays
    ("2025-03-01", "2025-03-17", "2025-03-17", False),  # + 15 days is an ordinary Sunday, 03-16: Monday
])
def test_a_right_is_judged_by_its_deadline_with_art_203(backend, received, requested, due, late):
    case = {"as_of": "2025-12-01", "selection": {"received_on": received, "requested_on": requested}}
    decision = _decision(backend, case)
    assert _findings(decision, "review_due") == [(due, None)]
    assert ("review requested late" in [n["message"] for n in decision["notices"]]) is late


def test_a_deadline_in_a_missing_year_is_unknown_with_a_notice_citing_its_rule(backend):
    """The calendar ends with 2025: 2025-12-20 + 15 days is in 2026. The deadline of each record that
    reads one gets its notice too, once, citing the provision of its rule."""
    policy = sr.parse_policy(CORNERS.read_text(encoding="utf-8"), str(CORNERS), calendar=_short_calendar(2025))
    case = {"as_of": "2025-12-31", "selection": {
        "received_on": "2025-12-20", "requested_on": "2025-12-31",
        "incidents": [{"on": "2025-12-15", "minor": True}, {"on": "2025-12-16", "minor": True},
                      {"on": "2025-06-15", "minor": True}]}}
    decision = _decision(backend, case, policy)
    assert _findings(decision, "review_due") == [(None, None)]
    assert _findings(decision, "incident_due") == [(None, 0), (None, 1), ("2025-07-15", 2)]
    missing = [(n["citation"]["ref"], n["message"][:14]) for n in decision["notices"] if "缺少" in n["message"]]
    assert ("31", "缺少 2026 年的工作日历") in missing and ("31(1)", "缺少 2026 年的工作日历") in missing
    assert len(missing) == len(set(missing))  # once each
    assert "review requested late" not in [n["message"] for n in decision["notices"]]  # unknown, not late


def test_the_missing_year_notice_does_not_depend_on_the_rest_of_the_rule(backend):
    """`prefer due(person.born after 18 years) <= as_of` under 31(2): the notice comes for the known base,
    the preference's value aside; a base that is unknown gives none."""
    policy = sr.parse_policy(CORNERS.read_text(encoding="utf-8"), str(CORNERS), calendar=_short_calendar(2025))
    with_birth = _decision(backend, {"as_of": "2025-06-01", "person": {"born": "2010-06-01"}}, policy)
    without = _decision(backend, {"as_of": "2025-06-01", "person": {}}, policy)
    cited = [n["citation"]["ref"] for n in with_birth["notices"] if "缺少 2028 年" in n["message"]]
    assert cited == ["31(2)"]
    assert not [n for n in without["notices"] if n["citation"] and n["citation"]["ref"] == "31(2)"]


# ------------------------------------------------------------------ 3. `term number(…)`
# corners: a term of 18 months from appointment.start; from 2023-06-01 the first ends 2024-12-01, the
# second (the start plus 36 months) 2026-06-01.
START = "2023-06-01"


def _renewal(on: str, **fields) -> dict:
    return {"on": on, "consent": True, "vetted": True, **fields}


@pytest.mark.parametrize("as_of, renewals, term", [
    ("2023-06-01", [], 1),  # the start day is in the first term
    ("2023-05-31", [], 0),  # before the start: in no term
    ("2024-12-01", [], 1),
    ("2024-12-02", [], 0),  # after the first term, not renewed: in none
    ("2024-12-02", [_renewal("2024-11-01")], 2),
    ("2026-06-01", [_renewal("2024-11-01")], 2),
    ("2026-06-02", [_renewal("2024-11-01")], 0),
    ("2026-06-02", [_renewal("2024-11-01"), _renewal("2026-05-01")], 3),
])
def test_the_term_a_date_falls_in(backend, as_of, renewals, term):
    case = {"as_of": as_of, "appointment": {"start": START, "renewals": renewals}, "conduct": {"warned": False},
            "selection": {}}
    assert _findings(_decision(backend, case), "term_now") == [(term, None)]


def test_a_term_only_an_undetermined_renewal_reaches_is_unknown(backend):
    """`conduct.warned` unknown leaves the renewal (33(1)) undetermined: a day of the first term is in
    term 1 still, one of the second may be in term 2 or in none, one after both in none."""
    case = {"as_of": "2025-01-10", "appointment": {"start": START, "renewals": [_renewal("2024-11-01")]},
            "selection": {"incidents": [{"on": "2024-01-01"}, {"on": "2025-01-01"}, {"on": "2027-01-01"},
                                        {"on": "2020-01-01"}]}}
    decision = _decision(backend, case)
    assert _findings(decision, "term_now") == [(None, None)]
    assert _findings(decision, "incident_term") == [(1, 0), (None, 1), (0, 2), (0, 3)]


def test_same_term_incidents_are_a_ground_and_those_of_another_term_are_not(backend):
    """Three minor incidents in the current term: article 32's discretionary ground; two of them in the
    first term and one in the second: not."""
    def grounds(dates):
        case = {"as_of": "2025-06-01", "appointment": {"start": START, "renewals": [_renewal("2024-11-01")]},
                "conduct": {"warned": False},
                "selection": {"incidents": [{"on": d, "minor": True} for d in dates]}}
        return [g["citation"]["ref"] for g in _decision(backend, case)["grounds"]]
    assert "32" in grounds(["2024-12-02", "2025-01-01", "2025-05-31"])
    assert "32" not in grounds(["2024-11-30", "2024-12-01", "2025-05-31"])


def test_a_ground_reads_the_last_day(backend):
    # 32(1): discretionary once as_of is within the last month of the term (last day 2024-12-01).
    def holds(as_of):
        case = {"as_of": as_of, "appointment": {"start": START}}
        return "32(1)" in [g["citation"]["ref"] for g in _decision(backend, case)["grounds"]]
    assert not holds("2024-11-01") and holds("2024-11-02")


# ------------------------------------------------------------------ 4. further renewal conditions
def _renewals(backend, renewal: dict, conduct: dict | None = None, person: dict | None = None) -> dict:
    case = {"as_of": "2024-12-01", "appointment": {"start": START, "renewals": [renewal]},
            "conduct": {"warned": False, **(conduct or {})}}
    if person is not None:
        case["person"] = person
    return _decision(backend, case)


def _unmet(decision) -> list:
    return [[c["ref"] for c in r["unmet"]] for r in decision["term"]["invalid_renewals"]]


def test_a_renewal_that_meets_every_condition_is_valid(backend):
    decision = _renewals(backend, _renewal("2024-11-01"))
    assert decision["term"]["valid_renewals"] == ["2024-11-01"] and _unmet(decision) == []


@pytest.mark.parametrize("renewal, conduct, unmet", [
    # 33(1): warned
    (_renewal("2024-11-01"), {"warned": True}, ["33(1)"]),
    # 33(2): dated within 9 months of the start, and article 1p2(1) not satisfied (no skills)
    (_renewal("2024-02-01"), {}, ["33(2)"]),
    # the renewal's own condition (no consent) and 33(1): both, in provision order
    (_renewal("2024-11-01", consent=False), {"warned": True}, ["2", "33(1)"]),
    # 33(3): asked late (due(on + 1 month) is before the start + 18 months) and late
    (_renewal("2024-06-01"), {"late": True}, ["33(3)"]),
])
def test_an_invalid_renewal_cites_the_conditions_that_failed(backend, renewal, conduct, unmet):
    person = {"grade": "low", "fit": True, "honest": True, "skills": [], "nickname": "x", "born": "1990-01-01"}
    assert _unmet(_renewals(backend, renewal, conduct, person)) == [unmet]


def test_an_undetermined_renewal_lists_the_unknown_conditions_and_their_facts(backend):
    case = {"as_of": "2024-12-01", "appointment": {"start": START, "renewals": [_renewal("2024-11-01")]}}
    decision = _decision(backend, case)
    [undetermined] = decision["term"]["undetermined_renewals"]
    assert [c["ref"] for c in undetermined["undetermined"]] == ["33(1)"]
    assert "conduct.warned" in decision["missing_facts"]
    trace = POLICY.evaluate_with(backend, case).trace
    steps = [(s.citation.ref, s.outcome) for s in trace if s.rule == "renewal_condition"]
    assert steps == [("33(1)", None), ("33(2)", True), ("33(3)", True)]


def test_a_further_condition_does_not_make_a_late_renewal_cite_it(backend):
    """A renewal after the term's last day is late: it cites the term, whatever its conditions."""
    decision = _renewals(backend, _renewal("2024-12-02"), {"warned": True})
    assert _unmet(decision) == [["2"]]


def _why(decision) -> list:
    return [(r["on"], r["reason"], [c["ref"] for c in r["unmet"]], r["facts"])
            for r in decision["term"]["invalid_renewals"]]


@pytest.mark.parametrize("renewals, conduct, why", [
    ([_renewal("2023-05-01")], {}, [("2023-05-01", "before_start", ["2"], [])]),
    # the first term ends 2024-12-01
    ([_renewal("2024-12-02")], {}, [("2024-12-02", "late", ["2"], [])]),
    ([_renewal("2024-11-01"), _renewal("2024-11-15")], {}, [("2024-11-15", "second_in_term", ["2"], [])]),
    # records in any order: the later one renews the first term, the earlier one is then a second in it
    ([_renewal("2024-11-15"), _renewal("2024-11-01")], {}, [("2024-11-01", "second_in_term", ["2"], [])]),
    ([_renewal("2024-11-01")], {"warned": True}, [("2024-11-01", "conditions", ["33(1)"], ["conduct.warned"])]),
    # the renewal's own condition and 33(1): the facts both read, the record's fields as LIST[].FIELD
    ([_renewal("2024-11-01", consent=False)], {"warned": True},
     [("2024-11-01", "conditions", ["2", "33(1)"],
       ["appointment.renewals[].consent", "appointment.renewals[].vetted", "conduct.warned", "person.fit",
        "person.grade", "person.skills"])]),
])
def test_an_invalid_renewal_says_why(backend, renewals, conduct, why):
    case = {"as_of": "2024-12-01", "appointment": {"start": START, "renewals": renewals},
            "conduct": {"warned": False, **conduct}}
    assert _why(_decision(backend, case)) == why


def test_a_renewal_late_for_every_term_an_open_chain_may_reach_is_late(backend):
    """`conduct.warned` unknown leaves the first renewal open (the chain has reached term 1 or 2); one
    dated after the second term's last day (2026-06-01) is late either way."""
    case = {"as_of": "2024-12-01",
            "appointment": {"start": START, "renewals": [_renewal("2024-11-01"), _renewal("2026-07-01")]}}
    decision = _decision(backend, case)
    assert _why(decision) == [("2026-07-01", "late", ["2"], [])]
    assert [r["on"] for r in decision["term"]["undetermined_renewals"]] == ["2024-11-01"]


# ------------------------------------------------------------------ properties against independent computations
def _working(calendar, day: dt.date) -> bool:
    if day.year not in calendar.years:
        raise MissingCalendarYear(day.year)
    return day in calendar.adjusted_workdays or (day.weekday() < 5 and day not in calendar.holidays)


def _nth_working_day(calendar, day: dt.date, n: int) -> dt.date:
    while n:
        day += ONE
        if _working(calendar, day):
            n -= 1
    return day


def _art203(calendar, day: dt.date) -> dt.date:
    while not _working(calendar, day):
        day += ONE
    return day


_UNITS = {"working_days": "working days", "days": "calendar days", "months": "months", "years": "years"}


def _independent_due(calendar, base: dt.date, amount: int, unit: str):
    """The deadline as the Civil Code counts it, computed apart from the engine; None where a year is missing."""
    try:
        if unit == "working_days":
            return _nth_working_day(calendar, base, amount)
        step = {"days": relativedelta(days=amount), "months": relativedelta(months=amount),
                "years": relativedelta(years=amount)}[unit]
        return _art203(calendar, base + step)  # relativedelta: the month's last day where none corresponds
    except MissingCalendarYear:
        return None


PROPERTY_POLICY = sr.parse_policy("""policy dt
  title "deadlines and terms"
facts x "x" {
  base: date "base"
  done: date "done"
}
article 1 "due"
  conclusion d_days "d" equals due(x.base after 15 calendar days)
  conclusion d_wd "d" equals due(x.base after 7 working days)
  conclusion d_months "d" equals due(x.base after 2 months)
  conclusion d_years "d" equals due(x.base after 1 year)
  conclusion plain "plain" equals x.base after 15 calendar days
  duty derived due 5 working days after (x.base after 3 months) done on x.done
""", "<property>")
CALENDAR = PROPERTY_POLICY.calendar
COVERED = sorted(CALENDAR.years)
PROPERTIES = settings(max_examples=60, suppress_health_check=list(HealthCheck), deadline=None)


@PROPERTIES
@given(base=st.dates(dt.date(COVERED[0], 1, 1), dt.date(COVERED[-1] + 1, 12, 31)))
def test_due_in_an_expression_is_the_deadline_the_civil_code_gives(backend, base):
    decision = _decision(backend, {"as_of": base.isoformat(), "x": {"base": base.isoformat()}}, PROPERTY_POLICY)
    found = {f["code"]: f["value"] for f in decision["findings"]}
    for code, amount, unit in (("d_days", 15, "days"), ("d_wd", 7, "working_days"), ("d_months", 2, "months"),
                               ("d_years", 1, "years")):
        expected = _independent_due(CALENDAR, base, amount, unit)
        assert found[code] == (expected.isoformat() if expected else None), (code, base)
    # The plain period is arts. 201-202 only: never moved.
    assert found["plain"] == (base + ONE * 15).isoformat()
    expected_due = None
    try:
        expected_due = _nth_working_day(CALENDAR, base + relativedelta(months=3), 5)
    except MissingCalendarYear:
        pass
    [duty] = decision["obligations"]
    assert duty["due"] == (expected_due.isoformat() if expected_due else None)


TERM_POLICY = sr.parse_policy("""policy tn
  title "term numbers"
record ren {
  on: date "on"
}
facts a "a" {
  start: date "start"
  renewals: list of ren = [] "renewals"
  day: date "day"
}
article 1 "term"
  term 7 months from a.start
  renewal r of a.renewals dated r.on require true
  conclusion n "n" equals term number(a.day)
""", "<terms>")


def _independent_term(start: dt.date, months: int, renewed: int, day: dt.date) -> int:
    """Term k (0 the first) ends on start + (k + 1) terms (relativedelta, from the original start)."""
    if day < start:
        return 0
    k = 0
    while start + relativedelta(months=months * (k + 1)) < day:
        k += 1
    return k + 1 if k <= renewed else 0


@PROPERTIES
@given(start=st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)), renewed=st.integers(0, 3),
       offset=st.integers(-400, 1400), end_of_month=st.booleans())
def test_term_number_is_the_civil_code_term_of_the_date(backend, start, renewed, offset, end_of_month):
    if end_of_month:  # the month's last day, where terms end on the last day of shorter months
        start = (start.replace(day=1) + relativedelta(months=1)) - ONE
    day = start + dt.timedelta(days=offset)
    # Each renewal dated on its term's last day: valid, each reaching the next term.
    renewals = [{"on": (start + relativedelta(months=7 * (k + 1))).isoformat()} for k in range(renewed)]
    case = {"as_of": day.isoformat(), "a": {"start": start.isoformat(), "renewals": renewals, "day": day.isoformat()}}
    decision = _decision(backend, case, TERM_POLICY)
    assert decision["term"]["terms"] == renewed + 1
    [(value, _)] = _findings(decision, "n")
    assert value == _independent_term(start, 7, renewed, day)


RENEWAL_POLICY = sr.parse_policy("""policy rc
  title "renewal conditions"
record ren {
  on: date "on"
  a: bool = unknown "a"
  b: bool = unknown "b"
  c: bool = unknown "c"
}
facts x "x" {
  start: date "start"
  renewals: list of ren = [] "renewals"
}
article 1 "term"
  term 2 years from x.start
  renewal r of x.renewals dated r.on require r.a
  (1) "b"
    renewal requires r.b
  (2) "c"
    renewal requires r.c
""", "<renewals>")
THREE = st.sampled_from([True, False, None])


@PROPERTIES
@given(a=THREE, b=THREE, c=THREE)
def test_a_renewal_is_valid_by_kleenes_and_and_cites_what_failed(backend, a, b, c):
    record = {"on": "2021-06-01", **{k: v for k, v in (("a", a), ("b", b), ("c", c)) if v is not None}}
    case = {"as_of": "2022-01-01", "x": {"start": "2020-01-01", "renewals": [record]}}
    term = _decision(backend, case, RENEWAL_POLICY)["term"]
    values = {"1": a, "1(1)": b, "1(2)": c}
    if False in values.values():
        assert [[u["ref"] for u in r["unmet"]] for r in term["invalid_renewals"]] == [
            [ref for ref, v in values.items() if v is False]]
    elif None in values.values():
        assert [[u["ref"] for u in r["undetermined"]] for r in term["undetermined_renewals"]] == [
            [ref for ref, v in values.items() if v is None]]
    else:
        assert term["valid_renewals"] == ["2021-06-01"]
