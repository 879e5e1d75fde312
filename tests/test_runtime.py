"""Runtime semantics through small policies: Kleene logic, deadlines, calendars, the trace."""

import datetime as dt
import itertools

import pytest

import supervisor_rules as sr
from supervisor_rules.engine import BACKENDS

LOGIC = """
policy logic title "三值逻辑"
facts p { a: bool "a"  b: bool "b" }
article 1 "and"
  require p.a and p.b
article 2 "or"
  require p.a or p.b
article 3 "not"
  require not p.a
"""

VALUES = (True, False, None)


def _kleene_and(a, b):
    if a is False or b is False:
        return False
    return None if None in (a, b) else True


def _kleene_or(a, b):
    if a is True or b is True:
        return True
    return None if None in (a, b) else False


def _outcome(decision, ref):
    if any(c.ref == ref for c in decision.eligibility.unmet):
        return False
    if any(c.ref == ref for c in decision.eligibility.undetermined):
        return None
    return True


@pytest.mark.parametrize("a,b", list(itertools.product(VALUES, VALUES)))
def test_kleene_truth_tables(a, b):
    policy = sr.parse_policy(LOGIC, "logic.rules")
    person = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    decision = policy.evaluate({"as_of": "2024-01-01", "p": person})
    assert _outcome(decision, "1") is _kleene_and(a, b)
    assert _outcome(decision, "2") is _kleene_or(a, b)
    assert _outcome(decision, "3") is (None if a is None else not a)
    expected_missing = sorted(f"p.{k}" for k, v in (("a", a), ("b", b)) if v is None)
    # A fact is missing only where its absence left a requirement unknown, and only while no requirement
    # is false: an unmet requirement settles the eligibility (DECISION.md, `missing_facts`).
    if str(decision.eligibility.result) == "unknown":
        assert set(decision.missing_facts) <= set(expected_missing)
        assert decision.missing_facts
    else:
        assert decision.missing_facts == ()


DEADLINE = """
policy deadline title "期限"
facts c { changed: date "变更日"  reported: date "报备日" }
article 1 "变更后7个工作日内报备。"
  duty report when c.changed is known due c.changed after 7 working days done on c.reported
"""


def _duty(policy, case):
    (obligation,) = policy.evaluate(case).obligations
    return obligation


def test_deadline_across_national_day_2025():
    policy = sr.parse_policy(DEADLINE, "deadline.rules")
    # Fri 2025-09-26; Sun 09-28 is worked; 10-01..10-08 off; Sat 10-11 worked.
    base = {"as_of": "2025-10-10", "c": {"changed": "2025-09-26"}}
    assert _duty(policy, base).due == dt.date(2025, 10, 13)
    assert _duty(policy, base).state == "owed"
    assert _duty(policy, {**base, "as_of": "2025-10-14"}).state == "overdue"
    assert _duty(policy, {**base, "c": {"changed": "2025-09-26", "reported": "2025-10-13"}}).state == "met"
    assert _duty(policy, {**base, "c": {"changed": "2025-09-26", "reported": "2025-10-14"}}).state == "overdue"


def test_missing_calendar_year_is_reported_never_guessed():
    policy = sr.parse_policy(DEADLINE, "deadline.rules")
    decision = policy.evaluate({"as_of": "2026-12-31", "c": {"changed": "2026-12-30"}})
    (obligation,) = decision.obligations
    assert obligation.due is None
    assert obligation.state == "owed"  # seven working days take at least seven days
    assert any("2027" in n.message for n in decision.notices)
    later = policy.evaluate({"as_of": "2027-01-20", "c": {"changed": "2026-12-30"}})
    assert later.obligations[0].state == "unknown"


def test_application_supplies_a_new_year():
    base = sr.default_calendar()
    # A made-up 2027: only New Year's Day off. The application adds it; nothing is guessed.
    calendar = base.extended(holidays=[dt.date(2027, 1, 1)], years=[2027])
    policy = sr.parse_policy(DEADLINE, "deadline.rules", calendar=calendar)
    decision = policy.evaluate({"as_of": "2027-01-05", "c": {"changed": "2026-12-30"}})
    # 12-31 (Thu) 1, 01-04 2, 01-05 3, 01-06 4, 01-07 5, 01-08 6, 01-11 7
    assert decision.obligations[0].due == dt.date(2027, 1, 11)
    assert not decision.notices
    # with_calendar on a shipped policy works the same way.
    wuhan = sr.builtin_policy("wuhan").with_calendar(calendar)
    assert wuhan.calendar is calendar


def test_trace_is_lazy_and_cites_every_rule():
    policy = sr.builtin_policy("wuhan")
    decision = policy.evaluate({"as_of": "2023-03-01", "appointment": {"start": "2020-02-29"}})
    assert decision._steps is None and decision._reasons is None  # not computed until asked for
    steps = decision.trace
    assert any(s.rule == "ground" and s.citation.ref == "5" and s.outcome is True for s in steps)
    assert "第五条" in decision.explain(all=True)
    assert decision._reasons is not None
    assert decision.to_dict()["explanation"]


def test_evaluate_many_is_lazy_and_in_order():
    policy = sr.builtin_policy("guangxi")
    cases = ({"as_of": f"2024-01-{d:02d}", "appointment": {"start": "2024-01-10"}} for d in range(1, 21))
    statuses = [d.status for d in policy.evaluate_many(cases)]
    assert statuses == ["not_appointed"] * 9 + ["active"] * 11


def test_decision_is_a_pure_function_of_case():
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2025-10-20", "conduct": {"information_changed_on": "2025-09-26"},
            "appointment": {"start": "2024-01-01"}}
    assert policy.evaluate(case).to_dict() == policy.evaluate(case).to_dict()


GROUND_ON_PERSON = """policy gp
facts person "人员" {
  convicted: bool "受过刑事处罚"
}
facts conduct "履职情况" {
  resigned: bool = false "申请辞去"
}
facts appointment "聘任" {
  start: date "聘任日期"
}
第一条 "聘期两年。"
  聘期 2 年 自 appointment.start
第二条 "有下列情形之一的，应当解聘："
  （一）"受过刑事处罚的；"
    应当解聘 当 person.convicted
  （二）"本人申请辞去的。"
    应当解聘 当 conduct.resigned
第三条 "发生变化的，提示。"
  提示 "人员信息待核实" 当 person.convicted
"""


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_an_absent_section_leaves_a_ground_unknown_but_a_notice_unasked(backend):
    """docs/language.md: a ground reading a section the case leaves out is unknown (status unknown,
    the fact missing) unless another ground settles the status; a notice on it does not arise."""
    policy = sr.parse_policy(GROUND_ON_PERSON, "gp.rules")
    def evaluate(case):
        return policy.evaluate_with(backend, case)

    base = {"as_of": "2024-01-01", "appointment": {"start": "2023-01-01"}}
    decision = evaluate(base)
    assert (decision.status, decision.grounds, decision.notices) == ("unknown", (), ())
    assert "person.convicted" in decision.missing_facts
    settled = evaluate({**base, "conduct": {"resigned": True}})
    assert settled.status == "dismissed" and [g.citation.ref for g in settled.grounds] == ["2(2)"]
