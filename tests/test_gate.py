"""`diff` as a CI gate (issue 13): the whole decision compared, contract changes, unproven rule changes,
boundary cases for `diff` and `check`, and the mutation script."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import boundaries, diffing

import hypothesis  # noqa: F401,E402 - a dependency of the package

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
WUHAN = (POLICIES / "wuhan.rules").read_text(encoding="utf-8")
DEADLINE = "期限 conduct.information_changed_on 后 7 个工作日"


def _wuhan(tmp_path: Path, *edits: tuple[str, str], append: str = "") -> Path:
    shutil.copy(POLICIES / "common.rules", tmp_path / "common.rules")
    text = WUHAN
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "wuhan.rules"
    path.write_text(text + append, encoding="utf-8")
    return path


def _diff(cli, new: Path, *options) -> tuple[int, dict]:
    code, out, err = cli("diff", "wuhan", new, "--format", "json", *options)
    assert out, err
    return code, json.loads(out)


# ---------------------------------------------------------------- the 7 → 5 working days mutant
def _seven_to_five(tmp_path: Path) -> Path:
    return _wuhan(tmp_path, ("变更后7个工作日内", "变更后5个工作日内"),
                  (DEADLINE, DEADLINE.replace(" 7 ", " 5 ")))


def _due_group(report: dict) -> dict:
    [group] = [g for g in report["behavioural"]["groups"]
               if g["field"] == "obligations.due" and g["key"][1] == "report_information_change"]
    return group


def test_a_shorter_deadline_is_caught_with_both_due_dates(cli, tmp_path):
    code, report = _diff(cli, _seven_to_five(tmp_path), "--examples", "100")
    assert code == 1 and report["exit"]["reasons"][0]["reason"] == "behaviour_differs"
    group = _due_group(report)
    old_due, new_due = group["values"]["old"], group["values"]["new"]
    assert len(old_due) == len(new_due) == 1 and new_due[0] < old_due[0]
    # the witness is a case (an object), ready for eval; each policy computes its own due date for it
    witness = group["witness"]
    assert isinstance(witness, dict)
    old, new = sr.builtin_policy("wuhan"), sr.load_policy(tmp_path / "wuhan.rules")
    assert [o.due.isoformat() for o in old.evaluate(witness).obligations] == old_due
    assert [o.due.isoformat() for o in new.evaluate(witness).obligations] == new_due
    assert group["found_by"] == "boundary"


@pytest.mark.slow
def test_the_deadline_mutant_is_caught_with_the_default_settings(cli, tmp_path):
    code, out, _ = cli("diff", "wuhan", _seven_to_five(tmp_path), "--format", "text")
    assert code == 1
    assert "obligations.due: report_information_change due later under wuhan (old)" in out
    assert "No behavioural difference" not in out


# ---------------------------------------------------------------- the case contract
def test_a_renamed_fact_is_a_contract_change_with_a_witness(cli, tmp_path):
    new = _wuhan(tmp_path, ("person.honest", "person.honesty"), ("\n  honest: ", "\n  honesty: "))
    code, report = _diff(cli, new, "--examples", "0")
    assert code == 1 and "contract_changed" in [r["reason"] for r in report["exit"]["reasons"]]
    [change] = report["contract_changes"]
    assert (change["field"], change["fact"], change["renamed_to"]) == ("case_contract", "person.honest", "person.honesty")
    witness = change["witness"]
    sr.builtin_policy("wuhan").evaluate(witness)  # the old policy takes it …
    with pytest.raises(sr.CaseError):
        sr.load_policy(new).evaluate(witness)  # … the new one refuses it
    assert change["refused"] and "person.honest" in change["refused"][0]


def test_a_dropped_enum_value_has_a_witness_with_that_value(tmp_path):
    common = (POLICIES / "common.rules").read_text(encoding="utf-8")
    (tmp_path / "common.rules").write_text(common.replace('  excellent "优秀",\n', ""), encoding="utf-8")
    (tmp_path / "wuhan.rules").write_text(WUHAN, encoding="utf-8")
    [change] = diffing.contract_changes(sr.builtin_policy("wuhan"), sr.load_policy(tmp_path / "wuhan.rules"))
    assert change["change"] == "retyped" and change["witness"]["conduct"] == {"annual_rating": "excellent"}


# ---------------------------------------------------------------- notices, wording, unproven changes
def test_a_changed_notice_condition_is_caught(cli, tmp_path):
    new = _wuhan(tmp_path, ("当 person.candidate_category = other", "当 person.candidate_category != other"))
    code, report = _diff(cli, new, "--examples", "100")
    assert code == 1
    notices = [g for g in report["behavioural"]["groups"] if g["field"] == "notices"]
    assert notices and all(g["key"][1] == "2" for g in notices)
    for g in notices:  # each witness shows the notice under one policy and not the other
        under = [[x.message for x in p.evaluate(g["witness"]).notices if x.citation.ref == "2"]
                 for p in (sr.builtin_policy("wuhan"), sr.load_policy(new))]
        assert bool(under[0]) != bool(under[1])


def test_a_change_of_wording_alone_exits_0(cli, tmp_path):
    new = _wuhan(tmp_path, ('"本办法自颁布之日起实施。"', '"本办法自颁布之日起施行。"'))
    code, report = _diff(cli, new, "--examples", "200")
    assert code == 0, report["exit"]
    assert report["structural"]["provisions"]["changed"][0]["wording_changed"] is True
    assert report["rule_changes"] == [] and report["unproven"] == []
    assert report["exit"]["reasons"] == [{"reason": "same", "message": "no behavioural difference found and no rule "
                                                                        "changed"}]


NOTICE = "当 appointment.method = directed 且 appointment.recommended_by 未知"
SWAPPED = "当 appointment.recommended_by 未知 且 appointment.method = directed"


def test_a_rule_change_no_witness_shows_is_unproven_and_fails(cli, tmp_path):
    """The same notice with its two conditions in the other order: no case can tell them apart, so no
    witness exists — and the gate fails until the change is proved to change nothing."""
    new = _wuhan(tmp_path, (NOTICE, SWAPPED))
    code, report = _diff(cli, new, "--examples", "150")
    assert code == 1
    assert report["behavioural"]["groups"] == [] and report["contract_changes"] == []
    assert [(u["ref"], u["change"]) for u in report["unproven"]] == [("4(1).2", "changed")]
    assert [r["reason"] for r in report["exit"]["reasons"]] == ["unproven"]
    code, out, _ = cli("diff", "wuhan", new, "--examples", "0", "--format", "text")
    assert code == 1 and "Unproven rule changes (1)" in out and "? 4(1).2" in out
    assert cli("diff", "wuhan", new, "--examples", "0", "--allow-behaviour-change")[0] == 0


def test_the_whole_decision_is_compared():
    """Every field a client reads has its place among the compared ones."""
    fields = set(diffing.FIELDS)
    for field in ("eligibility.unmet", "eligibility.undetermined", "eligibility.preferences", "term.terms",
                  "term.valid_renewals", "term.invalid_renewals", "term.undetermined_renewals", "grounds.citations",
                  "recusal.grounds", "obligations.state", "obligations.due", "obligations.citation",
                  "obligations.bearer", "violations.citation", "report.category", "report.reward_rules", "notices",
                  "missing_facts", "open_questions"):
        assert field in fields
    decision = sr.builtin_policy("wuhan").evaluate({"as_of": "2024-01-01"})
    assert set(diffing.features(decision)) == fields


def test_a_renumbered_prohibition_is_a_difference_in_the_violation_cited():
    text = ('policy p\n  title "t"\nfacts c "c" {\n  v: list of enum { a, b } = [] "v"\n}\n'
            'article 1 "x"\n  (1) "a"\n    prohibit c.v: a\n  (2) "b"\n    prohibit c.v: b\n')
    old = sr.parse_policy(text, "old.rules")
    new = sr.parse_policy(text.replace("prohibit c.v: a\n  (2) \"b\"\n    prohibit c.v: b",
                                       "prohibit c.v: b\n  (2) \"b\"\n    prohibit c.v: a"), "new.rules")
    keys = {g.key for g in diffing.behavioural(old, new, examples=30).groups}
    assert ("violations.citation", "a", "1(1)", "1(2)") in keys


# ---------------------------------------------------------------- check: a false invariant near a boundary
FALSE_INVARIANT = '''
不变式 never_ends_on_2026_03_01 "届满日不会是2026-03-01（不成立）"
  依据 第五条
  当 appointment.start 已知
  则 结论.届满日 != 2026-03-01
'''


def test_a_false_invariant_on_a_boundary_is_refuted_with_a_json_counterexample(cli, tmp_path):
    path = _wuhan(tmp_path, append=FALSE_INVARIANT)
    code, out, err = cli("check", path, "--format", "json", "--examples", "100")
    assert code == 1, err
    entries = [e for e in json.loads(out) if "invariant" in e]
    assert len(entries) == len(sr.load_policy(path).invariants)  # every invariant listed
    by_name = {e["invariant"]["name"]: e for e in entries}
    violated = by_name["never_ends_on_2026_03_01"]
    result = violated["invariant"]
    assert violated["severity"] == "error" and result["result"] == "violated"
    assert result["bounds"]["boundaries"] > 0 and result["bounds"]["examples"] == 100
    case = result["counterexample"]
    assert isinstance(case, dict)
    # eval of the counterexample shows the invariant failing: the term ends on that very day
    (tmp_path / "case.json").write_text(json.dumps(case), encoding="utf-8")
    code, out, _ = cli("eval", path, tmp_path / "case.json", "--format", "json")
    assert code == 0 and json.loads(out)["term"]["last_day"] == "2026-03-01"
    holds = [e for e in entries if e["invariant"]["result"] == "holds_in_examples"]
    assert holds and all(e["severity"] == "info" and e["invariant"]["counterexample"] is None for e in holds)


def test_check_text_says_what_was_searched(cli, tmp_path):
    code, out, _ = cli("check", _wuhan(tmp_path, append=FALSE_INVARIANT), "--format", "text", "--examples", "60")
    assert code == 1
    assert "is violated at boundary case" in out and '"start": "2023-03-01"' in out
    assert "holds in 60 examples and 60 boundary cases" in out


# ---------------------------------------------------------------- boundaries
@pytest.mark.parametrize("policy_id", ["guangxi", "wuhan"])
def test_boundaries_of_the_shipped_policies(policy_id):
    policy = sr.builtin_policy(policy_id)
    found = boundaries.collect(policy, invariants=True)
    kinds = {b.kind for b in found}
    assert len(found) > 0 and {"term", "renewal", "enum", "flag"} <= kinds
    seeds = boundaries.seeds([policy], limit=400, invariants=True)
    assert seeds.covered > 0 and 0 < len(seeds.cases) <= 400
    assert seeds.summary().startswith(f"{len(found)} boundaries")
    for case in seeds.cases:  # every seeded case is one the policy accepts
        policy.evaluate(case)
    assert boundaries.seeds([policy], limit=400, invariants=True).cases == seeds.cases  # deterministic


def test_a_term_boundary_is_the_last_day_and_the_days_around_it():
    policy = sr.builtin_policy("wuhan")
    [term] = [b for b in boundaries.collect(policy) if b.kind == "term" and "2021-07-01" in b.what
              and "term 1" in b.what]
    on, before, after = (group[0] for group in term.points)
    assert on[("as_of",)].isoformat() == "2024-07-01"
    assert before[("as_of",)].isoformat() == "2024-06-30" and after[("as_of",)].isoformat() == "2024-07-02"


def test_an_age_boundary_is_the_birthday_and_the_days_around_it():
    text = ('policy p\n  title "t"\n  age reached on birthday\nfacts person "p" {\n  born: date "born"\n}\n'
            'article 1 "x"\n  require age(person.born, as_of) >= 18\n')
    policy = sr.parse_policy(text, "p.rules")
    [age] = [b for b in boundaries.collect(policy) if b.kind == "age"]
    on, before, after = (group[0] for group in age.points)
    assert (on[("f", "person", "born")].isoformat(), on[("as_of",)].isoformat()) == ("2003-07-01", "2021-07-01")
    assert before[("f", "person", "born")].isoformat() == "2003-07-02"  # not yet 18
    assert after[("f", "person", "born")].isoformat() == "2003-06-30"
    results = {policy.evaluate(boundaries.materialise(policy, p)).eligibility.result
               for p in (on, before, after)}
    assert results == {sr.EligibilityResult.ELIGIBLE, sr.EligibilityResult.INELIGIBLE}


def test_a_deadline_boundary_sits_on_holidays_and_at_each_policys_due_date(tmp_path):
    old, new = sr.builtin_policy("wuhan"), sr.load_policy(_seven_to_five(tmp_path))
    seeds = boundaries.seeds((old, new), limit=3000)
    dues = set()
    for case in seeds.cases:
        for policy in (old, new):
            dues |= {o.due for o in policy.evaluate(case).obligations if o.due}
    as_of = {case["as_of"] for case in seeds.cases}
    # for some change date both due dates (7 and 5 working days) and the days around them are tried
    assert any(all((d + __import__("datetime").timedelta(days=k)).isoformat() in as_of for k in (-1, 0, 1))
               for d in dues)
    calendar = old.calendar
    holidays = boundaries.holiday_days(calendar, [2025])
    assert "2025-09-30" in {d.isoformat() for d in holidays}  # the working day before National Day


# ---------------------------------------------------------------- the mutation script
def _mutate():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import mutate
    finally:
        sys.path.pop(0)
    return mutate


def test_the_mutation_script_makes_each_kind_of_mutant():
    mutate = _mutate()
    made = mutate.mutants(WUHAN)
    words = " ".join(m[0] for m in made)
    for kind in ("7 → 6", "3 → 4", "unit 个工作日 → 日", "unit 年 → 个月", "<= → <", "= → !=", "drop `", "effect 可以解聘 → 应当解聘",
                 "recusal 申请 → 必须", "decided by 部门 → 监督员", "notice condition negated"):
        assert kind in words, kind
    lanjiang = (ROOT / "examples" / "policies" / "lanjiang-2025.rules").read_text(encoding="utf-8")
    assert any(m[0].startswith("2025-07-01 → 2025-06-30") for m in mutate.mutants(lanjiang))
    # every mutant is one edit inside a rule: the invariants' own constants are left alone
    invariants_at = WUHAN.index("不变式 ")
    assert all(m[1] < invariants_at for m in made)


@pytest.mark.slow
def test_the_mutation_script_reports_caught_and_unproven_mutants():
    mutate = _mutate()
    report = mutate.run("guangxi", limit=6, examples=100)
    assert report["made"] + report["skipped"] == report["tried"] == 6
    assert report["caught"] + report["unproven"] + report["not caught"] == report["made"]
    assert report["caught"] > 0 and report["not caught"] == 0
