"""Invariants: declared in the rule files, checked by search, and proven to catch breakage."""

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

import supervisor_rules as sr
from supervisor_rules.tools.invariants import _violated, check_invariants, describe_failure

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    shutil.copy(POLICIES / "common.rules", tmp_path / "common.rules")
    path = tmp_path / f"{name}.rules"
    path.write_text(text, encoding="utf-8")
    return path


def _broken(tmp_path, policy_id: str, old: str, new: str) -> sr.Policy:
    text = (POLICIES / f"{policy_id}.rules").read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"the fixture no longer matches {policy_id}.rules: {old!r}"
    return sr.load_policy(_write(tmp_path, policy_id, text.replace(old, new)))


@pytest.mark.parametrize("policy_id", ["guangxi", "wuhan"])
def test_shipped_invariants_hold_and_are_exercised(policy_id):
    policy = sr.builtin_policy(policy_id)
    assert len(policy.invariants) >= 6
    results = check_invariants(policy)
    assert [r.invariant.name for r in results if not r.holds] == []
    assert all(r.examples >= 100 for r in results)
    # Most invariants are reached by the search; one never reached proves nothing.
    assert sum(1 for r in results if r.exercised > 0) >= 6


@pytest.mark.parametrize("policy_id", ["guangxi", "wuhan"])
def test_invariants_cover_every_kind_of_decision(policy_id):
    text = (POLICIES / f"{policy_id}.rules").read_text(encoding="utf-8")
    block = text[text.index("invariant" if policy_id == "guangxi" else "不变式"):]
    for field in (("status", "状态"), ("eligibility", "资格"), ("recusal", "回避结果"), ("grounds", "事由"),
                  ("last_day", "届满日"), ("obligations", "义务")):
        assert any(f in block for f in field), field
    names = [inv.name for inv in sr.builtin_policy(policy_id).invariants]
    assert "natural_dismissal" in names


# Realistic breakages: each must be caught with a shrunk, ready-to-run counterexample.
BREAKAGES = [
    ("wuhan", "delete the expiry clause", "  自然解聘 当 期满未续聘\n", "", "natural_dismissal"),
    ("guangxi", "delete the expiry clauses", "  automatic when expired\n", "", "natural_dismissal"),
    ("guangxi", "turn a mandatory ground discretionary", "mandatory when conduct.commitment_false",
     "discretionary when conduct.commitment_false", "stop_circumstances_end_appointment"),
    ("wuhan", "drop a recusal relation", "回避 申请 由 部门 决定 当 activity.interest_relations 非空",
     "回避 申请 由 部门 决定 当 activity.interest_relations 包含 legal_dispute", "department_decides_recusal"),
    ("wuhan", "shorten a deadline", "期限 conduct.information_changed_on 后 7 个工作日",
     "期限 conduct.information_changed_on 后 5 个工作日", "report_within_seven_working_days_is_on_time"),
    ("guangxi", "lengthen the term", "term 2 years from appointment.start", "term 3 years from appointment.start",
     "first_term_is_two_years"),
    ("guangxi", "let the department decide recusal", "recusal required decided by supervisor",
     "recusal request decided by department", "interest_relation_requires_recusal"),
    ("wuhan", "make a discretionary ground end the appointment", "可以解聘 当 conduct.commitment_false",
     "应当解聘 当 conduct.commitment_false", "only_expiry_or_recorded_dismissal_ends"),
]


# Searches longer than check's default (300) for breakages that few cases reveal. A discretionary ground
# turned mandatory shows only in a case with that one ground recorded while the appointment runs: over
# random seeds, 300 examples find it in about two runs of three, 1,500 in every one of 30 tried. At
# 300 the test passed or failed with the exact draws, which any change to the strategies (or to
# Hypothesis) moves.
EXAMPLES = {"make a discretionary ground end the appointment": 1500}


@pytest.mark.parametrize("policy_id, what, old, new, invariant", BREAKAGES, ids=[b[1] for b in BREAKAGES])
def test_check_catches_breakage_with_a_counterexample(tmp_path, policy_id, what, old, new, invariant):
    policy = _broken(tmp_path, policy_id, old, new)
    results = {r.invariant.name: r for r in check_invariants(policy, examples=EXAMPLES.get(what, 300))}
    result = results[invariant]
    assert not result.holds, f"{what}: `{invariant}` was not violated"
    case = result.counterexample
    # The counterexample is a real case: schema-valid, decidable, and it really violates.
    jsonschema.Draft202012Validator(policy.schema()).validate(case)
    broken, decision = _violated(policy, [result.invariant], case)
    assert broken == [result.invariant]
    # ... ready to paste into `eval`: JSON with nothing but facts.
    assert json.loads(json.dumps(case)) == case
    message = describe_failure(result)
    assert invariant in message and "counterexample" in message
    # The unbroken policy decides the same case correctly.
    original = sr.builtin_policy(policy_id)
    assert original.evaluate(case).to_dict()["status"] in ("not_appointed", "active", "dismissed", "unknown")
    assert _violated(original, [i for i in original.invariants if i.name == invariant], case)[0] == []


def test_counterexamples_are_shrunk(tmp_path):
    policy = _broken(tmp_path, "wuhan", "  自然解聘 当 期满未续聘\n", "")
    result = next(r for r in check_invariants(policy) if r.invariant.name == "natural_dismissal")
    case = result.counterexample
    # Minimal: no renewal, no conduct recorded, as_of the day after the three-year term.
    assert case["appointment"].get("renewals", []) == []
    start = case["appointment"]["start"]
    decision = policy.evaluate(case)
    assert decision.term.last_day.isoformat() < case["as_of"]
    assert len(json.dumps(case)) < 300, case
    assert start


def test_check_is_repeatable(tmp_path):
    policy = _broken(tmp_path, "guangxi", "  automatic when expired\n", "")
    first = [(r.invariant.name, r.counterexample) for r in check_invariants(policy, examples=100)]
    second = [(r.invariant.name, r.counterexample) for r in check_invariants(policy, examples=100)]
    assert first == second


HEAD = 'policy p\n  title "t"\nfacts s {\n  a: bool "a"\n  d: date "d"\n}\narticle 1 "x"\n  require s.a\n  notice "n" when s.d is known\n'


@pytest.mark.parametrize("text, line, column, phrase", [
    ("invariant i cites article 9 then decision.status = active\n", 10, 19, "article 9 does not exist"),
    ("invariant i cites article 1 then decision.statu = active\n", 10, 34, "did you mean `status`"),
    ("invariant i cites article 1 then decision.status = activ\n", 10, 52, "not a value"),
    ("invariant i cites article 1 then decision.status = active\ninvariant i cites article 1 then s.a\n", 11, 1,
     "declared twice"),
    ("invariant i cites article 1 then s.d\n", 10, 34, "expected a condition"),
    ("invariant i cites article 1 when false then s.a\n", 10, 1, "never be tested"),
], ids=["missing article", "unknown decision field", "unknown status", "duplicate", "not a condition", "vacuous"])
def test_invariant_problems_are_positioned(text, line, column, phrase):
    from supervisor_rules.policy import _build
    _, diagnostics = _build(HEAD + text, "t.rules", None)
    hit = [d for d in diagnostics if phrase in d.message]
    assert hit, [d.header() for d in diagnostics]
    assert (hit[0].line, hit[0].column) == (line, column), hit[0].header()


def test_invariants_cite_paragraphs_items_of_them_and_ranges():
    from supervisor_rules.tools.invariants import compile_invariants

    text = (HEAD + '  (1) "i"\n    require s.a\n  (2) "j"\n    require s.a\n  paragraph 2 "p"\n    (1) "k"\n'
            '      require s.a\ninvariant i cites article 1 paragraph 2, 第一条第二款第（一）项, article 1(1)-(2), 第一条第一款\n'
            '  then decision.status = active or decision.status != active\n')
    policy = sr.parse_policy(text, "t.rules")
    (compiled,) = compile_invariants(policy.compiled.checked)
    assert compiled.cites == ("1p2", "1p2(1)", "1(1)-(2)", "1p1")
    assert compiled.cite_text == "第一条第二款、第一条第二款第（一）项、第一条第（一）项至第（二）项、第一条第一款"


def test_decision_fields_are_for_invariants_only():
    with pytest.raises(sr.PolicyError, match="only invariants can use it"):
        sr.parse_policy(HEAD.replace("require s.a", "require decision.preferred"), "t.rules")


def test_chinese_and_english_invariants_mean_the_same():
    english = HEAD + "invariant i \"x\" cites article 1 when not s.a then decision.eligibility = ineligible\n"
    chinese = HEAD + "不变式 i \"x\" 依据 第一条 当 非 s.a 则 结论.资格 = ineligible\n"
    a, b = sr.parse_policy(english, "e.rules"), sr.parse_policy(chinese, "z.rules")
    for policy in (a, b):
        (result,) = check_invariants(policy, examples=50)
        assert result.holds and result.exercised > 0


def test_check_command_reports_a_violated_invariant(tmp_path, capsys):
    from supervisor_rules import cli

    text = (POLICIES / "wuhan.rules").read_text(encoding="utf-8").replace("  自然解聘 当 期满未续聘\n", "")
    path = _write(tmp_path, "wuhan", text)
    assert cli.main(["check", "--format", "text", str(path)]) == 1
    out = capsys.readouterr().out
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("不变式 natural_dismissal"))
    assert f"{path}:{line}:1: error: invariant `natural_dismissal` (第五条) is violated" in out
    assert "counterexample: {" in out
    # The counterexample pastes straight into `eval`.
    case = json.loads(out.split("counterexample: ", 1)[1].splitlines()[0])
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["eval", str(path), str(case_file), "--format", "json"]) == 0


def test_check_command_lists_every_invariant_with_its_examples(capsys):
    from supervisor_rules import cli

    assert cli.main(["check", "--format", "text", "--examples", "60", "guangxi"]) == 0
    out = capsys.readouterr().out
    assert out.count("guangxi: invariant ") == len(sr.builtin_policy("guangxi").invariants)
    assert "holds in 60 examples" in out
    assert cli.main(["check", "--format", "text", "--examples", "0", "guangxi"]) == 0
    assert "invariant" not in capsys.readouterr().out


def test_invariants_read_the_findings_in_both_languages(tmp_path):
    text = '''办法 demo
  标题 "示例"
事实 assessment "年度考核" {
  excellent: 布尔 "考核优秀"
}
第一条 "年度考核优秀的，予以通报表扬。"
  结论 commended "通报表扬" 当 assessment.excellent

不变式 praised "优秀者受表扬"
  依据 第一条
  当 assessment.excellent
  则 结论.结论 包含 commended
不变式 never_praised "从不表扬"
  依据 第一条
  则 not decision.findings has commended
'''
    results = {r.invariant.name: r for r in check_invariants(sr.load_policy(_write(tmp_path, "demo", text)))}
    assert results["praised"].holds and results["praised"].exercised > 0
    broken = results["never_praised"]
    # A finding is listed whatever its value: with the rating unknown, the commendation may hold.
    assert not broken.holds and broken.counterexample["assessment"] == {}
    assert "findings: commended = null" in describe_failure(broken)
