"""Numbers, ages, counted dates and quantifiers: every backend gives the answers docs/language.md states.

One small policy whose notices each test one construct; the explanation's step of each notice
carries its outcome, true, false or unknown (None), and every notice reads the one section the
cases have, so each has its step, in order. Each test runs on every backend (the ``backend`` fixture).
"""

from __future__ import annotations

import pytest

import supervisor_rules as sr

POLICY = """
policy expressions
  title "expressions"
  age reached on {age}

record clue "clue" {{
  on: date "on"
  valid: bool = false "valid"
  severity: enum {{ light "light", heavy "heavy" }} = unknown "severity"
  amount: number = unknown "amount"
}}

facts p "p" {{
  a: number "a"
  b: number "b"
  born: date "born"
  day: date "day"
  clues: list of clue "clues"
}}

article 1 "x"
  notice "sum" when p.a + 0.2 = 0.3
  notice "quotient" when p.a / p.b = 2.5
  notice "precedence" when 1 + p.a * 2 - -p.b / 2 = 8
  notice "min" when min(p.a, p.b) = 1
  notice "max" when max(p.a, p.b, 10) = 10
  notice "adult" when age(p.born, p.day) >= 18
  notice "three years back" when p.day before 3 years = 2021-02-28
  notice "a month on" when p.day after 1 month = 2024-02-29
  notice "working days back" when p.day before 3 working days = 2025-09-28
  notice "any heavy" when any c in p.clues where (c.severity = heavy)
  notice "no heavy" when no c in p.clues where (c.severity = heavy)
  notice "all valid" when all c in p.clues where c.valid
  notice "two valid" when (count of c in p.clues where c.valid) = 2
  notice "three clues" when count of p.clues = 3
  notice "heavy count" when (count of c in p.clues where (c.severity = heavy)) >= 0
  notice "in 2024" when year_of(p.day) = 2024
  notice "the year after" when 年份(p.born) + 1 = year_of(p.day)
  notice "a year with a clue" when any c in p.clues where (year_of(c.on) = year_of(p.day))
"""


def _policy(age: str = "birthday"):
    return sr.parse_policy(POLICY.format(age=age), "expressions.rules")


def _value(backend: str, facts: dict, notice: str, age: str = "birthday"):
    """The value of the condition of ``notice`` for a case of ``facts``: True, False or None."""
    policy = _policy(age)
    decision = policy.evaluate_with(backend, {"as_of": "2025-01-01", "p": facts})
    messages = [rule.message for rule in policy.compiled.checked.provisions[0].rules]
    outcomes = [step.outcome for step in decision.trace if step.rule == "notice"]
    assert len(outcomes) == len(messages)
    return outcomes[messages.index(notice)]


def _holds(backend: str, facts: dict, notice: str, age: str = "birthday") -> bool:
    return _value(backend, facts, notice, age) is True


@pytest.mark.parametrize("a, expected", [(0.1, True), (0.10000001, False), (1, False)])
def test_numbers_are_exact_decimals(backend, a, expected):
    assert _holds(backend, {"a": a}, "sum") is expected


def test_division_is_exact_and_by_zero_unknown(backend):
    assert _value(backend, {"a": 5, "b": 2}, "quotient") is True
    assert _value(backend, {"a": 5, "b": 3}, "quotient") is False
    assert _value(backend, {"a": 5, "b": 0}, "quotient") is None
    assert _value(backend, {"a": 5, "b": 0.0}, "quotient") is None


def test_precedence_and_unary_minus(backend):
    # 1 + 2*2 - (-6)/2 = 1 + 4 + 3 = 8
    assert _holds(backend, {"a": 2, "b": 6}, "precedence")
    assert not _holds(backend, {"a": 2, "b": -6}, "precedence")


def test_min_and_max_are_unknown_with_an_unknown_operand(backend):
    assert _holds(backend, {"a": 1, "b": 3}, "min")
    assert _value(backend, {"a": 1}, "min") is None
    assert _holds(backend, {"a": 1, "b": 3}, "max")
    assert _value(backend, {"a": 1}, "max") is None  # max(1, unknown, 10) is unknown, not 10


@pytest.mark.parametrize("age, day, adult", [("birthday", "2025-02-28", True), ("birthday", "2025-02-27", False),
                                             ("day_after", "2025-02-28", False), ("day_after", "2025-03-01", True)])
def test_age_follows_the_headers_convention_and_29_february(backend, age, day, adult):
    spelled = "birthday" if age == "birthday" else "day after birthday"
    born = "2007-02-28" if age == "birthday" or day != "2025-03-01" else "2007-02-28"
    assert _holds(backend, {"born": born, "day": day}, "adult", age=spelled) is adult


def test_a_leap_day_birthday_is_reached_on_28_february(backend):
    assert _holds(backend, {"born": "2004-02-29", "day": "2022-02-28"}, "adult")
    assert not _holds(backend, {"born": "2004-02-29", "day": "2022-02-27"}, "adult")


def test_an_age_before_the_birth_is_unknown(backend):
    assert _value(backend, {"born": "2020-01-01", "day": "2019-12-31"}, "adult") is None
    assert _value(backend, {"born": "2020-01-01", "day": "2020-01-01"}, "adult") is False


def test_dates_counted_back_and_on_by_the_civil_code(backend):
    assert _holds(backend, {"day": "2024-02-29"}, "three years back")  # no 29 February in 2021: the 28th
    assert _holds(backend, {"day": "2024-01-31"}, "a month on")  # no 31 February: the month's last day
    # National Day 2025: 1-8 October off, 28 September (a Sunday) worked
    assert _holds(backend, {"day": "2025-10-09"}, "working days back")


def test_quantifiers_are_kleene(backend):
    clues = [{"on": "2024-01-01", "valid": True}, {"on": "2024-02-01", "severity": "light"}]
    assert _value(backend, {"clues": clues}, "any heavy") is None  # the first's severity is open
    assert _value(backend, {"clues": clues}, "no heavy") is None
    assert _holds(backend, {"clues": [*clues, {"on": "2024-03-01", "severity": "heavy"}]}, "any heavy")
    assert _holds(backend, {"clues": [{"on": "2024-02-01", "severity": "light"}]}, "no heavy")
    assert _holds(backend, {"clues": []}, "all valid")  # vacuously
    assert _holds(backend, {"clues": []}, "no heavy")
    assert _value(backend, {"clues": clues}, "all valid") is False  # one is false: no unknown matters
    assert _value(backend, {}, "all valid") is None  # the list itself unknown
    assert _value(backend, {}, "three clues") is None


def test_counts(backend):
    clues = [{"on": "2024-01-01", "valid": True}, {"on": "2024-02-01", "valid": True}, {"on": "2024-03-01"}]
    assert _holds(backend, {"clues": clues}, "two valid")
    assert _holds(backend, {"clues": clues}, "three clues")
    assert _value(backend, {"clues": clues}, "heavy count") is None  # some severity is open
    decided = [{**c, "severity": "light"} for c in clues]
    assert _value(backend, {"clues": decided}, "heavy count") is True


def test_a_record_field_declared_unknown_may_be_left_out_and_others_may_not():
    policy = _policy()
    policy.read_case({"as_of": "2025-01-01", "p": {"clues": [{"on": "2024-01-01"}]}})
    with pytest.raises(sr.CaseError, match="required field is missing"):
        policy.read_case({"as_of": "2025-01-01", "p": {"clues": [{"valid": True}]}})


def test_the_year_of_a_date(backend):
    assert _holds(backend, {"day": "2024-12-31"}, "in 2024")
    assert not _holds(backend, {"day": "2025-01-01"}, "in 2024")
    assert _value(backend, {}, "in 2024") is None  # unknown in, unknown out
    assert _holds(backend, {"born": "2023-01-01", "day": "2024-12-31"}, "the year after")
    assert _value(backend, {"day": "2024-12-31"}, "the year after") is None
    clues = [{"on": "2023-12-31"}, {"on": "2024-01-01"}]
    assert _holds(backend, {"day": "2024-06-30", "clues": clues}, "a year with a clue")
    assert not _holds(backend, {"day": "2025-06-30", "clues": clues}, "a year with a clue")
