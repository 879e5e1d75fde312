"""Policy test files (POLICY.tests.yaml) and `supervisor-rules test`: format, matching, coverage, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import policytests as pt
from supervisor_rules.tools.expect import match, mismatches

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "decisions"
CITIES = ("guangxi", "wuhan")


@pytest.fixture(scope="module")
def runs() -> dict:
    return {city: pt.run_tests(sr.builtin_policy(city), pt.load_tests(POLICIES / f"{city}.tests.yaml"))
            for city in CITIES}


@pytest.fixture()
def gx_copy(tmp_path) -> Path:
    """A rule-file copy of guangxi (with its import) to attach test files to."""
    shutil.copy(POLICIES / "common.rules", tmp_path / "common.rules")
    shutil.copy(POLICIES / "guangxi.rules", tmp_path / "guangxi.rules")
    return tmp_path / "guangxi.rules"


# ---------------------------------------------------------------- the shipped tests
@pytest.mark.parametrize("city", CITIES)
def test_shipped_tests_pass_with_full_provision_coverage(runs, city):
    run = runs[city]
    assert [(r.test.name, r.error, [m.message for m in r.mismatches]) for r in run.failures] == []
    cov = run.coverage
    assert cov.percent == 100.0, [(p.citation.ref, p.gaps()) for p in cov.provisions if not p.covered]
    counts = cov.counts()
    assert counts["rules_both_ways"] == counts["rules"] and counts["conditions_both_ways"] == counts["conditions"]


@pytest.mark.parametrize("city", CITIES)
def test_every_hand_derived_fixture_is_a_shipped_test(runs, city):
    tests = {t.name: t for t in runs[city].file.tests}
    for path in sorted((FIXTURES / city).glob("*.json")):
        fixture = json.loads(path.read_text(encoding="utf-8"))
        test = tests.get(fixture["name"])
        assert test is not None, f"{path.name} is missing from {city}.tests.yaml"
        assert (test.why, list(test.provisions), test.case, test.expect) == (
            fixture["why"], fixture["provisions"], fixture["case"], fixture["expect"]), path.name


@pytest.mark.parametrize("city", CITIES)
def test_coverage_counts_every_evaluable_provision(runs, city):
    """Provisions with rules — and only those — are counted (text-only ones are not)."""
    policy = sr.builtin_policy(city)
    with_rules = {(p.ref, p.cite) for p in policy._compiled.checked.provisions
                  if any(type(r) in pt.RULE_KIND for r in p.rules)}
    counted = {(p.citation.ref, p.citation.cite) for p in runs[city].coverage.provisions}
    assert counted == with_rules


def test_coverage_needs_each_condition_seen_both_ways():
    """Without the test that shows every qualification false, 3(1) is exercised but not covered."""
    policy = sr.builtin_policy("guangxi")
    file = pt.load_tests(POLICIES / "guangxi.tests.yaml")
    kept = [t for t in file.tests if not t.name.startswith("GX 3(1)-(4), 4: every qualification false")]
    assert len(kept) == len(file.tests) - 1
    cov = pt.run_tests(policy, kept).coverage
    by_ref = {p.citation.ref: p for p in cov.provisions}
    assert by_ref["3(1)"].state == "partial"
    assert "`person.supports_party_line` never seen false" in by_ref["3(1)"].gaps()
    # the requirement itself was met and unmet elsewhere: it is the condition that is missing
    assert by_ref["3(1)"].rules[0].both
    assert cov.percent < 100


def test_coverage_of_nothing_is_zero():
    cov = pt.run_tests(sr.builtin_policy("wuhan"), []).coverage
    assert cov.covered == 0 and cov.exercised == 0 and cov.percent == 0.0
    assert all(p.state == "not exercised" for p in cov.provisions)


def test_each_kind_of_rule_has_two_sides():
    """Term running/ended, prohibition violated/not, duty arising/not: read off the trace."""
    policy = sr.builtin_policy("wuhan")
    tests = [pt.PolicyTest("in term", {"as_of": "2024-01-01", "appointment": {"start": "2023-03-01"},
                                       "conduct": {"violations": ["leaked_secrets"]}}, {}),
             pt.PolicyTest("ended", {"as_of": "2027-01-01", "appointment": {"start": "2023-03-01"}}, {})]
    cov = pt.run_tests(policy, tests).coverage
    rules = {(p.citation.ref, r.kind): r for p in cov.provisions for r in p.rules}
    assert rules[("5", "term")].true and rules[("5", "term")].false
    assert rules[("9(3)", "prohibit")].true and rules[("9(3)", "prohibit")].false
    assert rules[("9(1)", "prohibit")].false and not rules[("9(1)", "prohibit")].true
    duty = next(r for p in cov.provisions for r in p.rules if r.kind == "duty" and p.citation.cite == "第十一条第二款")
    assert duty.true and duty.false  # the letter is owed once dismissed (the term ended), not before


# ---------------------------------------------------------------- the format
def test_yaml_1_2_scalars_keep_on_yes_and_dates_as_strings():
    file = pt.parse_tests("""
tests:
  - name: scalars
    case: {as_of: 2024-07-02, appointment: {renewals: [{on: 2024-01-01, consent: true}], method: open}}
    expect: {status: yes, term: {years: 2}}
""")
    test = file.tests[0]
    assert test.case["as_of"] == "2024-07-02"
    assert test.case["appointment"]["renewals"] == [{"on": "2024-01-01", "consent": True}]
    assert test.expect == {"status": "yes", "term": {"years": 2}}


def test_duplicate_key_is_an_error_at_its_line():
    with pytest.raises(pt.TestFileError) as info:
        pt.parse_tests("tests:\n  - name: a\n    case: {as_of: 2024-01-01}\n    expect: {}\n    expect: {}\n", "t.yaml")
    d = info.value.diagnostics[0]
    assert (d.source, d.line) == ("t.yaml", 5) and "duplicate key 'expect'" in d.message


@pytest.mark.parametrize("text, line, words", [
    ("tests: [\n", 2, "invalid YAML"),
    ("- just a list\n", 1, "a test file is a mapping"),
    ("policy: guangxi\n", 1, "no `tests:`"),
    ("tests:\n  - name: x\n    case: {as_of: 2024-01-01}\n", 2, "needs an `expect`"),
    ("tests:\n  - name: x\n    case: {as_of: 2024-01-01}\n    expect: {}\n    expcet: {}\n", 5, "did you mean"),
    ("tests:\n  - name: x\n    case: {}\n    expect: {}\n  - name: x\n    case: {}\n    expect: {}\n", 5,
     "duplicate test name"),
    ("tests:\n  - case: {}\n    expect: {}\n", 2, "needs a `name`"),
])
def test_malformed_test_files_are_positioned(text, line, words):
    with pytest.raises(pt.TestFileError) as info:
        pt.parse_tests(text, "t.yaml")
    assert any(d.line == line and words in d.message for d in info.value.diagnostics), info.value.diagnostics


def test_tests_path_sits_next_to_the_rule_file():
    assert pt.tests_path_for("a/b/guangxi.rules") == Path("a/b/guangxi.tests.yaml")


# ---------------------------------------------------------------- matching and failures
def test_matcher_reads_refs_and_ignores_unnamed_keys():
    assert match({"grounds": ["9(2)"]}, {"grounds": [{"ref": "9(2)"}], "status": "x"}) == []
    assert match(1, True) != [] and match(True, 1) != []  # a boolean is not a number
    [m] = mismatches({"eligibility": {"unmet": ["3(1)"]}}, {"eligibility": {"unmet": [{"ref": "3(2)"}]}})
    assert (m.path, m.kind, m.keys) == ("eligibility.unmet[0]", "citation", ("eligibility", "unmet", 0))


FAILING = """policy: guangxi
tests:
  - name: a wrong expectation
    why: the grounds are 9(1) and 9(2), not 9(2) alone
    case:
      as_of: 2024-07-02
      appointment: {start: 2023-07-01}
      conduct: {commitment_false: true, violations: [outside_legal_scope]}
    expect:
      status: dismissed
      grounds:
        - {citation: "9(2)", effect: mandatory}
  - name: an invalid case
    case: {as_of: 2024-07-02, person: {honestt: true}}
    expect: {status: not_appointed}
  - name: a field the decision does not have
    case: {as_of: 2024-07-02}
    expect: {stauts: not_appointed}
  - name: passes
    case: {as_of: 2024-07-02}
    expect: {status: not_appointed, eligibility: {result: not_applicable}}
"""


def test_failures_are_reported_at_the_failing_expectation(gx_copy):
    tests = gx_copy.with_name("guangxi.tests.yaml")
    tests.write_text(FAILING, encoding="utf-8")
    run = pt.run_tests(sr.load_policy(gx_copy), pt.load_tests(tests))
    first, invalid, unknown = run.failures
    assert [r.passed for r in run.results] == [False, False, False, True]
    assert first.position == (11, 7)  # the `grounds:` line
    assert invalid.error.startswith("invalid case: person.honestt: unknown fact")
    assert "`stauts`" in unknown.error and "did you mean `status`" in unknown.error
    [d, *_] = pt.diagnostics(run)
    assert (d.line, d.code) == (11, "test") and "9(1) 第九条第（一）项" in d.message


def test_cli_text_shows_expected_and_actual_with_citations(run_cli, gx_copy):
    gx_copy.with_name("guangxi.tests.yaml").write_text(FAILING, encoding="utf-8")
    code, out, _ = run_cli("test", str(gx_copy), "--format", "text")
    assert code == 1
    assert "FAIL " in out and "guangxi.tests.yaml:11:7: a wrong expectation" in out
    assert "expected: [{citation: 9(2) 第九条第（二）项, effect: mandatory}]" in out
    assert "actual:   [{citation: 9(1) 第九条第（一）项, effect: mandatory}, {citation: 9(2) 第九条第（二）项" in out
    assert "4 tests, 1 passed, 3 failed" in out
    assert "Coverage by provision:" in out and "PARTIAL" in out


def test_cli_shipped_policies_pass_at_full_coverage(run_cli):
    code, out, err = run_cli("test", "guangxi", "wuhan", "--coverage-min", "100", "--format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["ok"] and report["coverage_min"] == 100
    assert [(p["policy"], p["failed"], p["coverage"]["percent"]) for p in report["policies"]] == [
        ("guangxi", 0, 100.0), ("wuhan", 0, 100.0)]


def test_cli_default_tests_the_rule_files_here_that_have_tests(run_cli, monkeypatch):
    """Without POLICY, `test` runs the *.rules files of the working folder with a *.tests.yaml beside
    them: in the shipped policies' folder, every shipped policy (common.rules has no tests)."""
    from supervisor_rules.resources import policies_dir

    monkeypatch.chdir(policies_dir())
    code, out, _ = run_cli("test", "--format", "json")
    assert code == 0
    assert [p["policy"] for p in json.loads(out)["policies"]] == sr.builtin_policy_ids()


def test_cli_coverage_below_minimum_is_a_finding(run_cli, gx_copy):
    tests = gx_copy.with_name("guangxi.tests.yaml")
    tests.write_text("tests:\n  - name: nothing much\n    case: {as_of: 2024-07-02}\n"
                     "    expect: {status: not_appointed}\n", encoding="utf-8")
    assert run_cli("test", str(gx_copy), "--format", "json")[0] == 0
    code, out, _ = run_cli("test", str(gx_copy), "--coverage-min", "50", "--format", "json")
    assert code == 1 and json.loads(out)["policies"][0]["coverage_ok"] is False
    code, out, _ = run_cli("test", str(gx_copy), "--coverage-min", "50", "--format", "text")
    assert code == 1 and "BELOW --coverage-min 50%" in out


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_cli_ci_formats(run_cli, gx_copy, fmt):
    gx_copy.with_name("guangxi.tests.yaml").write_text(FAILING, encoding="utf-8")
    code, out, _ = run_cli("test", str(gx_copy), "--coverage-min", "100", "--format", fmt)
    assert code == 1
    if fmt == "github":
        lines = out.splitlines()
        assert any(line.startswith("::error file=") and "line=11" in line for line in lines)
        assert any(line.startswith("::warning file=") and "guangxi.rules" in line for line in lines)
    else:
        log = json.loads(out)
        results = log["runs"][0]["results"]
        assert {r["ruleId"] for r in results} >= {"test", "test-coverage"}
        failing = [r for r in results if r["ruleId"] == "test"]
        assert failing[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 11


def test_cli_clean_ci_formats_say_nothing(run_cli):
    code, out, _ = run_cli("test", "guangxi", "--coverage-min", "100", "--format", "github")
    assert (code, out.strip()) == (0, "")


@pytest.mark.parametrize("make, words", [
    (lambda d: None, "cannot read test file"),  # no tests file next to the rule file
    (lambda d: d.write_text("tests: [\n", encoding="utf-8"), "invalid YAML"),
    (lambda d: d.write_text("policy: wuhan\ntests: []\n", encoding="utf-8"), "test file is for policy `wuhan`"),
    (lambda d: d.write_bytes(b"\xff\xfe tests"), "not valid UTF-8"),
])
def test_cli_unreadable_input_exits_2(run_cli, gx_copy, make, words):
    make(gx_copy.with_name("guangxi.tests.yaml"))
    code, out, err = run_cli("test", str(gx_copy), "--format", "text")
    assert code == 2 and words in err
    code, out, _ = run_cli("test", str(gx_copy), "--format", "json")
    assert code == 2 and words in json.dumps(json.loads(out)["errors"], ensure_ascii=False)


def test_cli_usage_errors_exit_2(run_cli):
    assert run_cli("test", "no-such-policy", "--format", "json")[0] == 2
    assert run_cli("test", "guangxi", "--coverage-min", "101")[0] == 2
    assert run_cli("test", "guangxi", "--format", "xml")[0] == 2


def test_cli_accepts_the_test_file_itself(run_cli, gx_copy):
    tests = gx_copy.with_name("guangxi.tests.yaml")
    tests.write_text("tests:\n  - name: ok\n    case: {as_of: 2024-07-02}\n    expect: {status: not_appointed}\n",
                     encoding="utf-8")
    code, out, _ = run_cli("test", str(tests), "--format", "json")
    assert code == 0 and json.loads(out)["policies"][0]["tests"] == 1


@pytest.mark.parametrize("nested", ["[" * 50_000 + "]" * 50_000,
                                    "\n      " + "- " * 300 + "x"],  # block sequences in compact form
                         ids=["flow", "block"])
def test_yaml_nested_absurdly_deep_is_refused_not_a_crash(nested):
    # Building the document recurses in C per level: deep enough input would kill the process.
    with pytest.raises(pt.TestFileError) as exc:
        pt.parse_tests(f"policy: wuhan\ntests:\n  - name: x\n    case: {nested}\n", "deep.tests.yaml")
    (d,) = exc.value.diagnostics
    assert f"nested more than {pt.MAX_YAML_NESTING} levels deep" in d.message
    assert d.line >= 4


def test_yaml_nesting_at_the_limit_still_reads():
    inner = "[" * (pt.MAX_YAML_NESTING - 3) + "]" * (pt.MAX_YAML_NESTING - 3)
    with pytest.raises(pt.TestFileError) as exc:  # read, then refused for what it says, not for its depth
        pt.parse_tests(f"policy: wuhan\ntests:\n  - name: x\n    case: {inner}\n", "t.tests.yaml")
    assert all("nested" not in d.message for d in exc.value.diagnostics)


def test_a_base_is_laid_under_a_case_mapping_by_mapping():
    text = """policy: wuhan
bases:
  appointed:
    as_of: "2024-01-10"
    appointment: {method: directed, start: "2021-07-01", recommended_by: x}
    person: {honest: true, law_abiding: true}
  later: {as_of: "2025-01-10"}
tests:
  - name: one fact changed
    base: appointed
    case: {person: {honest: false}, appointment: {renewals: []}}
    expect: {status: active}
  - name: two bases, no case
    base: [appointed, later]
    expect: {status: active}
"""
    first, second = pt.parse_tests(text, "x.tests.yaml").tests
    assert first.case == {"as_of": "2024-01-10", "person": {"honest": False, "law_abiding": True},
                          "appointment": {"method": "directed", "start": "2021-07-01", "recommended_by": "x",
                                          "renewals": []}}
    assert second.case["as_of"] == "2025-01-10" and second.case["person"] == {"honest": True, "law_abiding": True}


@pytest.mark.parametrize("fragment, message", [
    ("    base: apointed\n", "no base `apointed` under `bases:` (did you mean `appointed`?)"),
    ("    base: {x: 1}\n", "`base` names a base under `bases:`"),
])
def test_a_wrong_base_is_a_positioned_error(fragment, message):
    text = ('policy: wuhan\nbases:\n  appointed: {as_of: "2024-01-10"}\ntests:\n  - name: a\n'
            + fragment + "    expect: {status: not_appointed}\n")
    with pytest.raises(pt.TestFileError) as info:
        pt.parse_tests(text, "x.tests.yaml")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.line == 6 and message in diagnostic.message


def test_a_merge_key_is_refused_with_the_way_to_share_a_case():
    text = "policy: wuhan\ntests:\n  - name: a\n    case: {<<: *b}\n    expect: {}\n"
    with pytest.raises(pt.TestFileError) as info:
        pt.parse_tests("b: &b {as_of: '2024-01-01'}\n" + text, "x.tests.yaml")
    assert "`bases:`" in str(info.value)


# ---------------------------------------------------------------- refs of paragraphs (issue 11.4)
def test_tests_name_second_paragraphs_by_their_own_refs():
    wuhan = sr.builtin_policy("wuhan")
    file = pt.parse_tests("""
policy: wuhan
tests:
  - name: the letter
    provisions: ["11", "11p2", "12p2"]
    case: {as_of: "2024-01-10", appointment: {method: open, start: "2023-03-01", dismissed_on: "2024-01-05"}}
    expect:
      obligations: [{duty: return_appointment_letter, citation: "11p2", state: owed}]
  - name: a misspelt ref
    provisions: ["11p3", "12(1)p2"]
    case: {as_of: "2024-01-10"}
    expect: {}
""", "t.tests.yaml")
    run = pt.run_tests(wuhan, file)
    first, second = run.results
    assert first.passed, (first.error, [m.message for m in first.mismatches])
    assert not second.passed
    assert second.error.startswith("`provisions` names 11p3 (did you mean `11p2`?), 12(1)p2")
    cites = pt.citation_index(wuhan)
    assert cites["11"] == "第十一条" and cites["11p2"] == "第十一条第二款"
    assert pt.show("11p2", cites) == "11p2 第十一条第二款"
    assert pt.show("12p2", cites) == "12p2 第十二条第二款"


_FINDINGS_POLICY = '''policy demo
  title "demo"
record clue "clue" {
  verified: bool = false "verified"
  outcome: enum { referred, closed } "outcome"
}
facts assessment "assessment" {
  excellent: bool "excellent"
  clues: list of clue = [] "clues"
}
article 1 "年度考核优秀的，予以通报表扬。"
  conclusion commended "通报表扬" when assessment.excellent
article 2 "逐条核实线索。"
  conclusion clue_outcome "线索处理结果" equals c.outcome for each c in assessment.clues where c.verified
'''


def test_expect_names_findings_and_coverage_sees_both_sides_of_each_conclusion(tmp_path):
    path = tmp_path / "demo.rules"
    path.write_text(_FINDINGS_POLICY, encoding="utf-8")
    tests = pt.parse_tests('''tests:
  - name: commended, one verified clue of two
    case:
      as_of: 2024-01-01
      assessment:
        excellent: true
        clues: [{outcome: closed}, {verified: true, outcome: referred}]
    expect:
      findings:
        - {code: commended, value: true, citation: "1", item: null}
        - {code: clue_outcome, value: referred, citation: "2", item: 1}
  - name: not commended, no clue
    case: {as_of: 2024-01-01, assessment: {excellent: false}}
    expect: {findings: []}
  - name: the rating unknown
    case: {as_of: 2024-01-01, assessment: {}}
    expect:
      findings: [{code: commended, value: null}]
      missing_facts: [assessment.excellent]
''', "demo.tests.yaml")
    run = pt.run_tests(sr.load_policy(path), tests)
    assert [r.test.name for r in run.failures] == []
    assert run.coverage.percent == 100.0
    kinds = {r.kind for p in run.coverage.provisions for r in p.rules}
    assert kinds == {"conclusion"}


def test_a_findings_expectation_that_fails_says_so(tmp_path):
    path = tmp_path / "demo.rules"
    path.write_text(_FINDINGS_POLICY, encoding="utf-8")
    tests = pt.parse_tests('''tests:
  - name: wrong
    case: {as_of: 2024-01-01, assessment: {excellent: false}}
    expect: {findings: [{code: commended}]}
''', "demo.tests.yaml")
    (result,) = pt.run_tests(sr.load_policy(path), tests).results
    assert not result.passed and result.mismatches[0].path == "findings"


_RENEWAL_POLICY = '''policy demo
  title "demo"
record renewal_record "续聘记录" {
  on: date "续聘之日"
  applied: bool = false "本人申请"
  competent: bool = unknown "聘期内历次考核称职以上"
}
facts appointment "聘任" {
  start: date "聘任之日"
  renewals: list of renewal_record = [] "续聘记录"
}
article 1 "聘期届满，申请续聘并同时符合下列条件的，可以续聘："
  term 2 years from appointment.start
  renewal r of appointment.renewals dated r.on require r.applied
  (1) "聘期内历次年度考核结果均为称职以上。"
    renewal requires r.competent
'''


def test_coverage_sees_both_sides_of_a_further_renewal_condition(tmp_path):
    path = tmp_path / "demo.rules"
    path.write_text(_RENEWAL_POLICY, encoding="utf-8")
    tests = pt.parse_tests('''tests:
  - name: competent
    case: {as_of: 2021-06-01, appointment: {start: 2020-01-01, renewals: [{on: 2021-06-01, applied: true, competent: true}]}}
    expect: {term: {valid_renewals: [2021-06-01]}}
  - name: not competent, cited by item
    case: {as_of: 2021-06-01, appointment: {start: 2020-01-01, renewals: [{on: 2021-06-01, applied: true, competent: false}]}}
    expect: {term: {invalid_renewals: [{on: 2021-06-01, unmet: ["1(1)"]}]}}
''', "demo.tests.yaml")
    run = pt.run_tests(sr.load_policy(path), tests)
    assert [(r.test.name, r.mismatches) for r in run.failures] == []
    [further] = [r for p in run.coverage.provisions if p.citation.ref == "1(1)" for r in p.rules]
    assert (further.kind, further.true, further.false) == ("renewal_condition", True, True)
    assert further.conditions[0].text == "r.competent" and further.conditions[0].both
    assert pt.describe_rule(sr.load_policy(path)._compiled.checked.provisions[1].rules[0]) == \
        "renewal requires r.competent"
