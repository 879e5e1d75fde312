"""Every case problem has a stable code from the documented set, its JSON path and its message in
English and Chinese (issue 14 point 5); diagnostics carry a rule id per message family."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.errors import CASE_PROBLEM_CODES, DIAGNOSTIC_CODES, CaseProblem, diagnostic_code

ROOT = Path(__file__).resolve().parents[1]
DAY = "2024-01-10"

# A batch of bad cases: each makes the problems of at least one family.
BAD_CASES = [
    ([], {"type"}),
    ({"person": {"honest": True}}, {"required"}),
    ({"as_of": "2024/01/01"}, {"date"}),
    ({"as_of": "2024-02-30"}, {"date"}),
    ({"as_of": "1800-01-01"}, {"range"}),
    ({"as_of": DAY, "persn": {}}, {"unknown_key"}),
    ({"as_of": DAY, "person": {"honset": True}}, {"unknown_key"}),
    ({"as_of": DAY, "person": {"honest": "yes"}}, {"type"}),
    ({"as_of": DAY, "person": 3}, {"type"}),
    ({"as_of": DAY, "person": {"professional_background": ["medcine"]}}, {"enum"}),
    ({"as_of": DAY, "person": {"professional_background": [3]}}, {"type"}),
    ({"as_of": DAY, "person": {"professional_background": "law"}}, {"type"}),
    ({"as_of": DAY, "person": {"professional_background": ["law"] * 10_001}}, {"too_large"}),
    ({"as_of": DAY, "appointment": {"start": "2020-01-01", "renewals": [{"consent": 1}]}}, {"type", "required"}),
    ({"as_of": DAY, "appointment": {"start": "2020-01-01", "renewals": [{"on": "2022-01-01", "x": 1}]}},
     {"unknown_key"}),
    ({"as_of": DAY, "appointment": {"start": "2020-01-01", "renewals": "no"}}, {"type"}),
]


@pytest.fixture(scope="module")
def guangxi():
    return sr.builtin_policy("guangxi")


def test_the_documented_set_is_in_the_docs():
    doc = (ROOT / "docs" / "case-errors.md").read_text(encoding="utf-8")
    for code in CASE_PROBLEM_CODES:
        assert f"`{code}`" in doc
    for code in DIAGNOSTIC_CODES:
        assert f"`{code}`" in doc


@pytest.mark.parametrize("case, families", BAD_CASES, ids=[str(i) for i in range(len(BAD_CASES))])
def test_every_problem_has_a_documented_code(guangxi, case, families):
    with pytest.raises(sr.CaseError) as caught:
        guangxi.evaluate(case)
    problems = caught.value.problems
    assert problems and all(isinstance(p, CaseProblem) for p in problems)
    assert {p.code for p in problems} <= set(CASE_PROBLEM_CODES)
    assert families <= {p.code for p in problems}, problems
    for p in problems:
        assert p.message and p.message_zh and re.search(r"[\u4e00-\u9fff]", p.message_zh)
        assert p.text("zh") == p.message_zh and p.text("en") == p.message


def test_every_problem_of_a_batch_has_a_documented_code(cli, tmp_path):
    lines = [json.dumps(case) for case, _ in BAD_CASES if len(json.dumps(case)) < 10_000]
    lines += ["not json", '"a string"', json.dumps({"as_of": DAY})]
    batch = tmp_path / "bad.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = cli("eval", "guangxi", "--batch", batch)
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(lines)
    bad = [r for r in records if "error" in r]
    assert len(bad) == len(lines) - 1
    problems = [p for r in bad for p in r["problems"]]
    assert problems
    for p in problems:
        assert set(p) == {"path", "code", "message"} and p["code"] in CASE_PROBLEM_CODES, p


def test_to_dict_and_str(guangxi):
    error = pytest.raises(sr.CaseError, guangxi.evaluate, {"as_of": DAY, "person": {"honest": "yes"}}).value
    assert error.to_dict() == {"error": "invalid case", "problems": [
        {"path": "person.honest", "code": "type", "message": 'expected a boolean, got "yes"'}]}
    assert error.to_dict(lang="zh")["problems"][0]["message"] == '应为布尔值，给出的是"yes"'
    assert str(error) == 'person.honest: expected a boolean, got "yes"'
    assert error.codes == ("type",)


def test_pairs_without_a_code_still_make_a_case_error():
    """``CaseError([(path, message)])``, the form before codes: the code is worked out from the message."""
    error = sr.CaseError([("", "a case must be a JSON object, got a list"), ("x.y", "unknown fact"),
                          ("as_of", "required: the day"), ("z", "something else")])
    assert error.codes == ("type", "unknown_key", "required", "invalid")
    assert str(error).splitlines()[0] == "a case must be a JSON object, got a list"


def test_cli_eval_json_lists_codes(cli, tmp_path):
    case = tmp_path / "bad.json"
    case.write_text(json.dumps({"as_of": DAY, "person": {"honest": "yes", "honset": True}}), encoding="utf-8")
    code, out, _ = cli("eval", "guangxi", case, "--format", "json")
    assert code == 2
    assert sorted(p["code"] for p in json.loads(out)["problems"]) == ["type", "unknown_key"]
    code, _, err = cli("eval", "guangxi", case, "--format", "text", "--lang", "zh")
    assert code == 2 and "应为布尔值" in err and "[type]" in err


def test_evaluate_many_of_a_non_iterable(guangxi):
    with pytest.raises(sr.CaseError) as caught:
        list(guangxi.evaluate_many(3))
    assert caught.value.codes == ("invalid",)


# ------------------------------------------------------------------ diagnostics
@pytest.mark.parametrize("message, code", [
    ("unknown fact `person.honst` (did you mean `person.honest`?)", "unknown-name"),
    ("fact `person.honest` is declared but no rule uses it", "unused"),
    ("fact `person.honest` is declared twice", "duplicate"),
    ("article 1 missing: articles must be numbered in order", "numbering"),
    ("article 9 does not exist (the policy has article 1)", "reference"),
    ("this rule can never apply: its condition is always false", "unreachable"),
    ("definitions cannot refer to each other in a cycle: `a` → `b` → `a`", "cycle"),
    ("cannot import `x.rules`: no such file next to y.rules", "import"),
    ("the header gives no `title` / `标题`", "header"),
    ("expected a condition (true/false), but this is number", "type"),
])
def test_diagnostic_families(message, code):
    assert diagnostic_code(message) == code
    assert sr.Diagnostic("x.rules", 1, 1, message).code == code


def test_every_diagnostic_of_the_gallery_has_a_documented_rule_id():
    gallery = sorted((ROOT / "tests" / "gallery").glob("*.rules"))
    assert gallery
    codes = set()
    for path in gallery:
        for d in sr.check_paths([path]):
            assert d.code in DIAGNOSTIC_CODES, (path, d)
            codes.add(d.code)
    assert {"syntax", "type", "unknown-name", "duplicate", "numbering"} <= codes


def test_sarif_lists_one_rule_per_family():
    from supervisor_rules.tools import reporting

    diagnostics = [sr.Diagnostic("a.rules", 1, 1, "unknown fact `a.b`"), sr.Diagnostic("a.rules", 2, 1, "unknown section `c`"),
                   sr.Diagnostic("a.rules", 3, 1, "fact `a.c` is declared but no rule uses it", "warning")]
    log = reporting.sarif_log(diagnostics)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["unknown-name", "unused"]
    assert all(r["fullDescription"]["text"] for r in rules)
    assert [r["ruleIndex"] for r in log["runs"][0]["results"]] == [0, 0, 1]


def test_a_syntax_error_is_coded_syntax():
    with pytest.raises(sr.PolicySyntaxError) as caught:
        sr.parse_policy("policy x\narticle 1\n  require and\n")
    assert caught.value.diagnostics[0].code == "syntax"
