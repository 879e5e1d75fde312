"""Every backend decides as documented, and all backends decide alike.

(a) the hand-derived decision fixtures (tests/fixtures/decisions/) and (b) the
shipped policies' own test files (policies/*.tests.yaml) pass on each backend;
(c) for the shipped policies, tests/conformance/corners.rules (the language's
corners) and every gallery policy that loads, Hypothesis
cases (``supervisor_rules.testing.cases``) get equal decisions — ``to_dict()``,
explanation included — from every backend; (d) test_conformance_fuzz.py does the
same for the front-end fuzzer's generated and mutated policies.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import supervisor_rules as sr
from supervisor_rules import testing
from supervisor_rules.testing import assert_backends_agree
from supervisor_rules.policy import BACKENDS
from supervisor_rules.resources import policies_dir
from supervisor_rules.tools import policytests
from supervisor_rules.tools.expect import match

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "fixtures" / "decisions"
GALLERY = TESTS / "gallery"
#: A policy written for this suite: the language's corners the shipped policies leave out.
CORNERS = Path(__file__).resolve().parent / "corners.rules"
CITIES = ("guangxi", "wuhan")
FIXTURE_FILES = sorted(p for city in CITIES for p in (FIXTURES / city).glob("*.json"))


def _loadable_gallery() -> list[Path]:
    out = []
    for path in sorted(GALLERY.glob("*.rules")):
        try:
            sr.load_policy(path)
        except sr.RulesError:
            continue
        out.append(path)
    return out


# ------------------------------------------------------------------ (a) decision fixtures
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_decision_fixture(backend, path: Path):
    fixture = json.loads(path.read_text(encoding="utf-8"))
    policy = sr.builtin_policy(path.parent.name)
    actual = policy.evaluate_with(backend, fixture["case"]).to_dict()
    problems = match(fixture["expect"], actual)
    assert problems == [], f"{fixture['name']}\n  why: {fixture['why']}\n  " + "\n  ".join(problems)


def test_there_are_fixtures_for_every_shipped_policy():
    assert {p.parent.name for p in FIXTURE_FILES} == set(CITIES) == set(sr.builtin_policy_ids())


# ------------------------------------------------------------------ (b) the shipped policy tests
@pytest.mark.parametrize("policy_id", sr.builtin_policy_ids())
def test_shipped_policy_tests_pass(backend, policy_id: str):
    path = policytests.tests_path_for(policies_dir() / f"{policy_id}.rules")
    run = policytests.run_tests(sr.builtin_policy(policy_id), policytests.load_tests(path), backend=backend)
    assert run.results, f"{path} holds no tests"
    failed = [f"{r.test.name}: {r.error or [m.message for m in r.mismatches]}" for r in run.failures]
    assert not failed, "\n".join(failed)


def test_the_backend_fixture_covers_every_backend(request):
    assert set(BACKENDS) >= {"generated", "interpreter", "reference"}


def test_an_unknown_backend_is_refused():
    with pytest.raises(sr.RulesError, match="no backend"):
        sr.builtin_policy("wuhan").evaluate_with("fastest", {"as_of": "2024-01-01"})


# ------------------------------------------------------------------ references to paragraphs and ranges
def _corner_case(codes: list[str], grade: str) -> dict:
    return {"as_of": "2024-01-01", "appointment": {"start": "2023-06-01"},
            "person": {"fit": True, "honest": True, "grade": grade, "skills": ["alpha"], "born": "2000-01-01",
                       "nickname": "x"},
            "conduct": {"codes": codes}}


@pytest.mark.parametrize("codes, grade, grounds, notices", [
    # delta is prohibited by 3p2(1): `violates article 3 paragraph 2` (8(1)) holds; `violates article 3(1)`
    # (2(2)) and the range 3(1)-(3(2)) (8(2)) do not, though the item is numbered (1) too.
    (["delta"], "low", [("2(1)", "discretionary"), ("8(1)", "discretionary")],
     ["3p2(1) violated", "1p2(1) satisfied"]),
    (["beta"], "low", [("2(1)", "discretionary"), ("2(2)", "mandatory"), ("8(2)", "mandatory")],
     ["dismissed", "1p2(1) satisfied"]),
    (["gamma"], "high", [("2(1)", "discretionary")],
     ["1p2(1) satisfied", "first paragraph of article 1 satisfied"]),
    ([], "low", [], ["1p2(1) satisfied"]),
])
def test_violates_and_satisfies_a_paragraph_and_a_range(backend, codes, grade, grounds, notices):
    decision = sr.load_policy(CORNERS).evaluate_with(backend, _corner_case(codes, grade)).to_dict()
    assert [(g["citation"]["ref"], g["effect"]) for g in decision["grounds"]] == grounds
    # Article 7's notices (numbers, lists) hold for these cases too; these are the ones this test is about.
    ours = {"3p2(1) violated", "1p2(1) satisfied", "first paragraph of article 1 satisfied", "dismissed"}
    assert [n["message"] for n in decision["notices"] if n["message"] in ours] == notices
    for violation in decision["violations"]:
        citation = violation["citation"]
        assert (citation["paragraph"], citation["ref"]) == ((2, "3p2(1)") if violation["code"] == "delta"
                                                            else (None, citation["ref"]))


# ------------------------------------------------------------------ (c) differential, Hypothesis cases
DIFFERENTIAL = settings(max_examples=400, suppress_health_check=list(HealthCheck))


def _policies() -> list:
    return [*(sr.builtin_policy(i) for i in sr.builtin_policy_ids()), sr.load_policy(CORNERS),
            *(sr.load_policy(p) for p in _loadable_gallery())]


POLICIES = _policies()


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: f"{p.id}:{Path(p.source).name}")
def test_backends_agree_on_drawn_cases(policy):
    @DIFFERENTIAL
    @given(testing.cases(policy))
    def run(case):
        assert_backends_agree(policy, case)

    run()


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: f"{p.id}:{Path(p.source).name}")
def test_backends_agree_on_a_seeded_workload(policy):
    for case in testing.sample_cases(policy, 300, seed=11):
        assert_backends_agree(policy, case)


@pytest.mark.parametrize("policy_id", sr.builtin_policy_ids())
def test_backends_agree_on_fixture_cases_at_other_dates(policy_id):
    policy = sr.builtin_policy(policy_id)
    cases = [json.loads(p.read_text(encoding="utf-8"))["case"] for p in FIXTURE_FILES if p.parent.name == policy_id]
    for case in cases:
        for as_of in ("1999-12-31", "2021-07-01", "2023-07-02", "2025-10-13", "2027-01-04", "2999-12-31"):
            assert_backends_agree(policy, {**case, "as_of": as_of})


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: f"{p.id}:{Path(p.source).name}")
def test_backends_agree_on_many_drawn_cases(policy):
    @settings(DIFFERENTIAL, max_examples=1000)
    @given(testing.cases(policy))
    def run(case):
        assert_backends_agree(policy, case)

    run()


@pytest.mark.parametrize("policy_id", sr.builtin_policy_ids())
def test_backends_agree_with_a_calendar_that_runs_out(policy_id):
    """Working days counted into a year the calendar lacks: no due date, a notice, on every backend."""
    short = sr.builtin_policy(policy_id).calendar
    years = sorted(short.years)
    policy = sr.builtin_policy(policy_id, calendar=sr.WorkdayCalendar(
        holidays=[d for d in short.holidays if d.year < years[-3]],
        adjusted_workdays=[d for d in short.adjusted_workdays if d.year < years[-3]],
        years=[y for y in years if y < years[-3]], source="truncated"))

    @settings(DIFFERENTIAL, max_examples=100)
    @given(testing.cases(policy))
    def run(case):
        assert_backends_agree(policy, case)

    run()


def test_backends_agree_day_by_day_around_a_deadline_the_calendar_cannot_count():
    """A change reported, or not, on the days around the earliest possible due date, with the
    calendar ending before the deadline: owed, then unknown, with the notice, on every backend."""
    wuhan = sr.builtin_policy("wuhan")
    last = max(wuhan.calendar.years)
    calendar = sr.WorkdayCalendar(
        holidays=[d for d in wuhan.calendar.holidays if d.year < last],
        adjusted_workdays=[d for d in wuhan.calendar.adjusted_workdays if d.year < last],
        years=[y for y in wuhan.calendar.years if y < last], source="truncated")
    policy = sr.builtin_policy("wuhan", calendar=calendar)
    corners = sr.parse_policy(CORNERS.read_text(encoding="utf-8"), str(CORNERS), calendar=calendar)
    base = dt.date(last - 1, 12, 28)
    for offset in range(0, 12):
        day = (base + dt.timedelta(days=offset)).isoformat()
        for reported in (None, day, (base + dt.timedelta(days=3)).isoformat()):
            conduct = {"information_changed_on": base.isoformat(), "information_reported_on": reported}
            assert_backends_agree(policy, {"as_of": day, "conduct": conduct})
            conduct = {"changed_on": base.isoformat(), "reported_on": reported}
            assert_backends_agree(corners, {"as_of": day, "conduct": conduct})


def test_the_differential_check_sees_a_difference():
    """The check itself can fail: a backend that decides one field differently, or raises, is named."""
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2024-01-01", "person": {"honest": True}}

    class Skewed:
        def __init__(self, change):
            self.change = change

        def evaluate_with(self, backend, case):
            decision = policy.evaluate_with(backend, case)
            return self.change(decision) if backend == BACKENDS[-1] else decision

    class Renamed:
        def __init__(self, decision):
            self.decision = decision
            self.trace = decision.trace

        def to_dict(self, explanation=True, open_questions=True):
            return {**self.decision.to_dict(explanation, open_questions=open_questions), "status": "someone else's"}

    def refuse(decision):
        raise ValueError("no")

    assert testing.backend_differences(policy, case) == []
    [line] = testing.backend_differences(Skewed(Renamed), case)
    assert line.startswith(f"{BACKENDS[-1]} differs from {BACKENDS[0]} in status:")
    [line] = testing.backend_differences(Skewed(refuse), case)
    assert line.startswith(f"{BACKENDS[-1]}: ValueError: no")
    with pytest.raises(AssertionError, match="case: "):
        assert_backends_agree(Skewed(Renamed), case)


# ------------------------------------------------------------------ conclusions the policy defines (corners article 9)
def _findings(backend: str, case: dict) -> list[tuple]:
    decision = sr.load_policy(CORNERS).evaluate_with(backend, case).to_dict()
    return [(f["code"], f["value"], f["citation"]["ref"], f["item"]) for f in decision["findings"]]


_CLUES = [{"kind": "alpha", "on": "2024-02-01", "note": "a"},
          {"kind": "gamma", "verified": True, "on": "2024-03-01", "note": "b"},
          {"kind": "beta", "on": "2024-03-05", "note": "skip"}]


def test_conclusions_known_unknown_and_per_entry(backend):
    # born: article 7's age ground then does not hold, so the status (which `level` reads) is known.
    case = {"as_of": "2024-05-01", "person": {"fit": True, "grade": "high", "born": "2000-01-01"},
            "appointment": {"start": "2024-01-01"},
            "report": {"target": "high", "clues": _CLUES}}
    assert _findings(backend, case) == [
        ("commended", None, "9", None),  # person.honest unknown: it may hold
        ("probation_from", "2024-01-01", "9", None),
        ("band", "high", "9(1)", None),
        ("tier", None, "9(1)", None),  # satisfies article 1 unknown: listed, value unknown
        # level: not dismissed, so not drawn; nick: no violation of article 3, not drawn
        ("motto", "steady", "9(1)", None),  # person.fit holds: conduct.warned unread
        ("clue_seen", True, "9(2)", 0), ("clue_seen", True, "9(2)", 1), ("clue_seen", True, "9(2)", 2),
        # clue_kind: entry 1 is verified; entries 0 and 2 are not and report.serious is unknown
        ("clue_kind", None, "9(2)", 0), ("clue_kind", "gamma", "9(2)", 1), ("clue_kind", None, "9(2)", 2),
        ("clue_date", "2024-02-01", "9(2)", 0),  # alpha; entry 2 is beta but its note is "skip"
        ("decided_on", "2024-05-01", "9(3)", None)]
    decision = sr.load_policy(CORNERS).evaluate_with(backend, case)
    assert {"person.honest", "report.serious"} <= set(decision.missing_facts)


def test_conclusions_whose_conditions_are_false_are_left_out(backend):
    case = {"as_of": "2024-05-01", "person": {"fit": False, "honest": False, "grade": "low"},
            "conduct": {"warned": False}, "report": {"target": "low", "serious": False, "clues": []}}
    assert _findings(backend, case) == [("band", "low", "9(1)", None), ("decided_on", "2024-05-01", "9(3)", None)]


def test_an_unknown_list_gives_one_unknown_finding_per_conclusion(backend):
    case = {"as_of": "2024-05-01", "report": {"target": "high"}}
    assert _findings(backend, case) == [
        ("clue_seen", None, "9(2)", None), ("clue_kind", None, "9(2)", None), ("clue_date", None, "9(2)", None),
        ("decided_on", "2024-05-01", "9(3)", None)]
    decision = sr.load_policy(CORNERS).evaluate_with(backend, case)
    assert "report.clues" in decision.missing_facts


# ------------------------------------------------------------------ the header's dates
DATED = """policy in_force
  title "in force"
  effective 2020-08-01
  valid until 2026-02-28
  repealed 2025-07-01

facts person "p" {
  honest: bool "诚信"
}

article 1 "诚信"
  require person.honest
  notice "cited" when true
"""


@pytest.mark.parametrize(("day", "message"), [
    ("2020-07-31", "基准日 2020-07-31 早于本办法施行日期 2020-08-01"),
    ("2020-08-01", None),
    ("2025-06-30", None),
    ("2025-07-01", "基准日 2025-07-01 本办法已废止（自 2025-07-01 起废止）"),
    ("2026-03-01", "基准日 2026-03-01 本办法已废止（自 2025-07-01 起废止）"),
])
def test_the_header_dates_give_a_notice_on_every_backend(backend, day, message):
    policy = sr.parse_policy(DATED, "dated.rules")
    decision = policy.evaluate_with(backend, {"as_of": day, "person": {"honest": True}})
    assert decision.eligibility.result == "eligible"  # decided all the same: the rules are the rules
    shown = [(n.citation.ref if n.citation else None, n.message) for n in decision.notices]
    assert shown == ([(None, message)] if message else []) + [("1", "cited")]
    assert_backends_agree(policy, {"as_of": day, "person": {"honest": True}})


@pytest.mark.parametrize(("day", "message"), [
    ("2026-02-28", None), ("2026-03-01", "基准日 2026-03-01 晚于本办法有效期（至 2026-02-28）")])
def test_the_end_of_validity_gives_a_notice_on_every_backend(backend, day, message):
    policy = sr.parse_policy(DATED.replace("  repealed 2025-07-01\n", ""), "dated.rules")
    decision = policy.evaluate_with(backend, {"as_of": day, "person": {"honest": True}})
    assert [n.message for n in decision.notices if n.citation is None] == ([message] if message else [])
