"""Deadlines on every backend (issue 11, items 1 and 5): Civil Code art. 203 for deadlines in calendar
days, months and years, `immediately`, deadlines from the derived `last day` and `dismissal day`, who
bears a duty — in corners.rules, with the answers worked out by hand from the 2025 calendar (国务院办公厅
2025 年放假安排: 10-01..10-08 off, Sunday 09-28 and Saturday 10-11 worked) — and a Hypothesis property
holding the engine's art. 203 due dates to ``dates.deadlines`` over random dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules.dates import deadlines

CORNERS = Path(__file__).resolve().parent / "corners.rules"
POLICY = sr.load_policy(CORNERS)


def _obligation(backend: str, case: dict, duty: str) -> dict:
    decision = POLICY.evaluate_with(backend, case).to_dict()
    [found] = [o for o in decision["obligations"] if o["duty"] == duty]
    return found


def _answer(backend: str, case: dict, duty: str) -> tuple:
    o = _obligation(backend, case, duty)
    return o["due"], o["state"], o["bearer"]


DISMISSED = {"start": "2025-01-01", "ended_on": "2025-09-01"}  # dismissal recorded on 2025-09-01


@pytest.mark.parametrize("base, sent, expected", [
    # 2025-09-21 + 10 days is 10-01, National Day: the period ends on 10-09, the first working day after.
    ("2025-09-21", "2025-10-09", ("2025-10-09", "met", "supervisor")),
    ("2025-09-21", "2025-10-10", ("2025-10-09", "overdue", "supervisor")),
    # 2025-09-18 + 10 days is Sunday 09-28, a worked (调休) day: the period ends there.
    ("2025-09-18", "2025-09-28", ("2025-09-28", "met", "supervisor")),
    ("2025-09-18", "2025-09-29", ("2025-09-28", "overdue", "supervisor")),
    # 2025-03-06 + 10 days is an ordinary Sunday, 03-16: Monday 03-17.
    ("2025-03-06", "2025-03-17", ("2025-03-17", "met", "supervisor")),
])
def test_a_calendar_day_deadline_ends_on_a_working_day(backend, base, sent, expected):
    case = {"as_of": "2025-12-01", "appointment": {**DISMISSED, "letter_due_base": base, "letter_sent": sent}}
    assert _answer(backend, case, "send_letter") == expected


def test_a_month_deadline_from_the_last_day_is_a_departments_and_moves_off_a_saturday(backend):
    # Term of 18 months from 2025-01-01: last day 2026-07-01; one month later is Saturday 2026-08-01.
    case = {"as_of": "2026-07-20", "appointment": {"start": "2025-01-01"}}
    assert _answer(backend, case, "prepare_successor") == ("2026-08-03", "owed", "department")


def test_a_year_deadline_moves_off_national_day(backend):
    # `long_review` arises when warned: 1 year after a start of 2024-10-01 is 2025-10-01 → 10-09.
    case = {"as_of": "2025-10-08", "appointment": {"start": "2024-10-01"}, "conduct": {"warned": True}}
    assert _answer(backend, case, "long_review") == ("2025-10-09", "owed", "supervisor")


@pytest.mark.parametrize("as_of, reported, state", [
    ("2025-10-01", None, "owed"),  # due that very day, a holiday: immediately is no period, no art. 203
    ("2025-10-01", "2025-10-01", "met"),
    ("2025-10-02", None, "overdue"),
    ("2025-10-20", "2025-10-02", "overdue"),
])
def test_immediately_is_due_the_same_day(backend, as_of, reported, state):
    case = {"as_of": as_of, "conduct": {"changed_on": "2025-10-01", "reported_on": reported}}
    assert _answer(backend, case, "tell_office") == ("2025-10-01", state, "supervisor")


def test_a_deadline_from_a_natural_expiry(backend):
    """18 months from 2024-03-31 end on 2025-09-30; expired, dismissed, the dismissal day is 10-01;
    10 working days after it: 10-09, 10, 11 (worked Saturday), 13..17, 20, 21."""
    case = {"as_of": "2025-10-20", "appointment": {"start": "2024-03-31"}}
    assert _answer(backend, case, "return_card") == ("2025-10-21", "owed", "supervisor")
    decision = POLICY.evaluate_with(backend, case).to_dict()
    assert "dismissed this year" in [n["message"] for n in decision["notices"]]


def test_a_deadline_from_a_recorded_dismissal(backend):
    case = {"as_of": "2025-10-20", "appointment": {**DISMISSED, "letter_sent": "2025-09-15"}}
    assert _answer(backend, case, "return_card") == ("2025-09-15", "met", "supervisor")


def test_a_dismissal_recorded_after_as_of_does_not_count_yet(backend):
    # Recorded for 2025-12-01, asked on 2025-10-20 while the term runs: no dismissal day, no duty.
    case = {"as_of": "2025-10-20", "appointment": {"start": "2025-01-01", "ended_on": "2025-12-01"}}
    decision = POLICY.evaluate_with(backend, case).to_dict()
    assert "return_card" not in [o["duty"] for o in decision["obligations"]]


def test_a_deadline_from_an_unknown_dismissal_day_is_unknown(backend):
    # Dismissed on a mandatory ground, no recorded date and no expiry: the dismissal day is unknown.
    case = {"as_of": "2025-10-20", "appointment": {"start": "2025-01-01"},
            "conduct": {"warned": True, "late": True}}
    assert _answer(backend, case, "return_card") == (None, "unknown", "supervisor")


def _short_calendar(last_year: int) -> sr.WorkdayCalendar:
    full = POLICY.calendar
    return sr.WorkdayCalendar(holidays=[d for d in full.holidays if d.year <= last_year],
                              adjusted_workdays=[d for d in full.adjusted_workdays if d.year <= last_year],
                              years=[y for y in full.years if y <= last_year], source="truncated")


@pytest.mark.parametrize("as_of, state", [("2025-12-31", "owed"), ("2026-01-04", "owed"),
                                          ("2026-01-05", "unknown")])
def test_a_calendar_day_deadline_in_a_missing_year(backend, as_of, state):
    """The calendar ends with 2025: 2025-12-25 + 10 days falls in 2026, so no due date and a notice;
    owed up to the unextended date (2026-01-04, the earliest it can be), unknown after."""
    policy = sr.parse_policy(CORNERS.read_text(encoding="utf-8"), str(CORNERS), calendar=_short_calendar(2025))
    case = {"as_of": as_of, "appointment": {**DISMISSED, "letter_due_base": "2025-12-25"}}
    decision = policy.evaluate_with(backend, case).to_dict()
    [o] = [o for o in decision["obligations"] if o["duty"] == "send_letter"]
    assert (o["due"], o["state"]) == (None, state)
    assert any("缺少 2026 年的工作日历" in n["message"] for n in decision["notices"])


def test_a_deadline_done_but_in_a_missing_year_is_unknown(backend):
    policy = sr.parse_policy(CORNERS.read_text(encoding="utf-8"), str(CORNERS), calendar=_short_calendar(2025))
    case = {"as_of": "2025-12-31", "appointment": {**DISMISSED, "letter_due_base": "2025-12-25",
                                                   "letter_sent": "2025-12-30"}}
    [o] = [o for o in policy.evaluate_with(backend, case).to_dict()["obligations"] if o["duty"] == "send_letter"]
    assert (o["due"], o["state"]) == (None, "unknown")


def test_the_text_output_names_the_bearer():
    case = {"as_of": "2026-07-20", "appointment": {"start": "2025-01-01"}}
    text = POLICY.evaluate(case).to_text()
    assert "义务：prepare_successor（由医疗保障部门履行）" in text


# ------------------------------------------------------------------ the engine against dates.deadlines
_UNITS = {"calendar days": "days", "months": "months", "years": "years"}
_AMOUNTS = {"days": (1, 3, 7, 10, 15, 30), "months": (1, 2, 6), "years": (1, 2)}


def _property_policy() -> sr.Policy:
    lines = ['policy dl', '  title "deadlines"', "", 'facts x "x" {', '  base: date "base"', '  done: date "done"', "}",
             "", 'article 1 "deadlines"']
    for word, unit in _UNITS.items():
        for amount in _AMOUNTS[unit]:
            lines.append(f"  duty {unit}_{amount} due {amount} {word} after x.base done on x.done")
    return sr.parse_policy("\n".join(lines) + "\n", "<deadlines>")


PROPERTY_POLICY = _property_policy()
_COVERED = sorted(PROPERTY_POLICY.calendar.years)


@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
@given(base=st.dates(dt.date(_COVERED[0], 1, 1), dt.date(_COVERED[-1] - 2, 12, 31)))
def test_due_dates_are_those_of_dates_deadlines(backend, base):
    calendar = PROPERTY_POLICY.calendar
    functions = {"days": deadlines.deadline_calendar_days, "months": deadlines.deadline_months,
                 "years": deadlines.deadline_years}
    decision = PROPERTY_POLICY.evaluate_with(backend, {"as_of": base.isoformat(), "x": {"base": base.isoformat()}})
    due = {o.duty: o.due for o in decision.obligations}
    for unit, amounts in _AMOUNTS.items():
        for amount in amounts:
            expected = functions[unit](base, amount, calendar)
            assert due[f"{unit}_{amount}"] == expected, (unit, amount, base)
            assert calendar.is_workday(expected)
