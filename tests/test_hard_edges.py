"""Hostile input at the edges (issue 10): each class of finding, with its regression test.

These run the real command in a subprocess where the failure lived in the process's own
streams or limits (an in-process run writes to a StringIO, which never fails to encode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import policytests as pt

POLICY = """policy demo
  title "示例"
facts person "申请人" {
  honest: bool "诚信"
  name: text "姓名"
}
article 1 "申请人应当诚信。"
  require person.honest and person.name is known
"""


def _run(*argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "supervisor_rules", *map(str, argv)], cwd=cwd,
                          capture_output=True, timeout=120)


# ------------------------------------------------------------------ 2. lone surrogates in output
@pytest.mark.parametrize("fmt", [["--format", "json"], ["--format", "text", "--explain"], ["--format", "text"]],
                         ids=["json", "text-explain", "text"])
@pytest.mark.parametrize("case, code", [
    ('{"as_of":"2024-01-01","person":{"honest":true,"name":"\\ud83d"}}', 0),
    ('{"as_of":"\\ud800"}', 2),
], ids=["valid-case-holds-one", "bad-date-is-one"])
def test_a_lone_surrogate_is_written_escaped_never_a_traceback(tmp_path, fmt, case, code):
    (tmp_path / "p.rules").write_text(POLICY, encoding="utf-8")
    (tmp_path / "c.json").write_text(case + "\n", encoding="utf-8")
    done = _run("eval", "p.rules", "c.json", *fmt, cwd=tmp_path)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # strict: the output is UTF-8
    assert done.returncode == code, err
    assert "Traceback" not in err
    shown = out + err
    if "explain" in fmt or code:
        assert "\\ud83d" in shown or "\\ud800" in shown  # the value, escaped
    if fmt[1] == "json":
        payload = json.loads(out)  # still valid JSON, the escape being JSON's own
        assert ("\ud83d" in json.dumps(payload, ensure_ascii=False)) or code == 2


def test_a_surrogate_escaped_file_name_is_shown_not_a_crash(tmp_path):
    name = b"\xff.json"  # not UTF-8: Python hands it over as a surrogate escape
    done = subprocess.run([sys.executable.encode(), b"-m", b"supervisor_rules", b"eval", b"wuhan", name,
                           b"--format", b"text"], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"\\udcff" in done.stderr


# ------------------------------------------------------------------ 11. errors and decisions pickle
def _decide_in_worker(case: dict):
    import supervisor_rules as sr

    return sr.builtin_policy("wuhan").evaluate(case)


def test_errors_and_decisions_round_trip_through_pickle():
    import pickle

    import supervisor_rules as sr

    policy = sr.builtin_policy("wuhan")
    decision = policy.evaluate({"as_of": "2024-01-01", "person": {"honest": True}})
    again = pickle.loads(pickle.dumps(decision))
    assert again == decision and again.explanation == decision.explanation and again.trace == decision.trace and again.to_dict() == decision.to_dict()
    errors = []
    for bad in (lambda: policy.evaluate({"as_of": "x"}), lambda: sr.parse_policy("policy x\nbad bad"),
                lambda: sr.parse_policy("policy x\narticle 1\n  require person.honest")):
        with pytest.raises(sr.RulesError) as caught:
            bad()
        errors.append(caught.value)
    assert {type(e) for e in errors} == {sr.CaseError, sr.PolicySyntaxError, sr.PolicyError}
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)


def test_a_process_pool_hands_back_a_case_error():
    from concurrent.futures import ProcessPoolExecutor

    import supervisor_rules as sr

    with ProcessPoolExecutor(max_workers=1) as pool:
        good = pool.submit(_decide_in_worker, {"as_of": "2024-01-01"}).result(timeout=60)
        bad = pool.submit(_decide_in_worker, {"as_of": "not a date"})
        with pytest.raises(sr.CaseError) as caught:
            bad.result(timeout=60)
    assert good.status == sr.builtin_policy("wuhan").evaluate({"as_of": "2024-01-01"}).status
    assert caught.value.problems[0].path == "as_of"


def _evaluate(policy, case: dict):
    return policy.evaluate(case)


def test_a_policy_pickles_and_decides_alike_in_a_worker(tmp_path):
    """A policy crosses to a worker as its checked form; the files it came from are not read again."""
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    import supervisor_rules as sr

    facts = POLICY[POLICY.index("facts"):POLICY.index("article")]
    (tmp_path / "vocab.rules").write_text(facts, encoding="utf-8")
    (tmp_path / "p.rules").write_text(POLICY.replace(facts, 'import "vocab.rules"\n'), encoding="utf-8")
    local = sr.load_policy(tmp_path / "p.rules")
    data = pickle.dumps(local)
    (tmp_path / "vocab.rules").unlink()  # the copy needs none of its files
    copy = pickle.loads(data)
    assert (copy.id, copy.source, copy.articles, copy.facts) == (local.id, local.source, local.articles, local.facts)
    cases = [{"as_of": "2024-01-01", "person": {"honest": value}} for value in (True, False, None)]
    assert [copy.evaluate(c).to_dict() for c in cases] == [local.evaluate(c).to_dict() for c in cases]
    shipped = sr.builtin_policy("wuhan")
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = list(pool.map(_evaluate, [shipped] * 2, [{"as_of": "2024-01-01"}, {"as_of": "2030-06-01"}]))
        with pytest.raises(sr.CaseError):
            pool.submit(_evaluate, shipped, {"as_of": "never"}).result(timeout=60)
    assert remote == [shipped.evaluate({"as_of": "2024-01-01"}), shipped.evaluate({"as_of": "2030-06-01"})]


# ------------------------------------------------------------------ 12. fmt writes through links
UNFORMATTED = POLICY.replace("  require person.honest", "      require   person.honest")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_fmt_writes_through_a_symlink_and_keeps_hard_links(cli, tmp_path):
    target = tmp_path / "real" / "p.rules"
    target.parent.mkdir()
    target.write_text(UNFORMATTED, encoding="utf-8")
    link = tmp_path / "link.rules"
    link.symlink_to(target)
    hard = tmp_path / "hard.rules"
    os.link(target, hard)
    code, _, err = cli("fmt", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    formatted = target.read_text(encoding="utf-8")
    assert formatted != UNFORMATTED and hard.read_text(encoding="utf-8") == formatted
    assert os.stat(target).st_ino == os.stat(hard).st_ino
    assert cli("fmt", "--check", str(hard))[0] == 0


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_fmt_replaces_the_file_a_symlink_names_atomically(cli, tmp_path):
    target = tmp_path / "p.rules"
    target.write_text(UNFORMATTED, encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "link.rules"
    link.symlink_to(target.name)
    assert cli("fmt", str(link))[0] == 0
    assert link.is_symlink() and os.readlink(link) == "p.rules"
    assert target.read_text(encoding="utf-8") != UNFORMATTED and os.stat(target).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.rules", "p.rules"]  # no temporary left


# ------------------------------------------------------------------ 3. numbers out of bounds
HUGE = "9" * 5000
NUMBERED = """policy demo
facts s {{
  d: date
  e: date
  n: bool
}}
article 1 "x"
  {rule}
invariant sane under article 1 then s.d after {after} years != s.d
"""


@pytest.mark.parametrize("rule, after, bad", [
    (f"term {HUGE} years from s.d", "1", HUGE),
    (f"duty x due {HUGE} calendar days after s.d done on s.e", "1", HUGE),
    (f"require s.n = {HUGE}", "1", HUGE),
    ("term 2 years from s.d", HUGE, HUGE),
    ("term ３ years from s.d", "1", "３"),
    ("term 1234567890 years from s.d", "1", "1234567890"),
], ids=["term", "due", "literal", "after", "fullwidth-digit", "ten-digits"])
@pytest.mark.parametrize("command", ["check", "fmt", "schema", "eval"])
def test_a_number_out_of_bounds_is_a_positioned_error(run_cli, tmp_path, rule, after, bad, command):
    text = NUMBERED.format(rule=rule, after=after)
    path = tmp_path / "n.rules"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "c.json").write_text('{"as_of": "2024-01-01"}', encoding="utf-8")
    argv = {"check": ["check", "--format", "text"], "fmt": ["fmt", "--check", "--format", "text"],
            "schema": ["schema", "--format", "text"], "eval": ["eval", "--format", "text"]}[command]
    code, out, err = run_cli(*argv, path, *([tmp_path / "c.json"] if command == "eval" else []))
    assert code == (1 if command == "check" else 2), (out, err)
    shown = out + err
    assert "Traceback" not in shown and len(shown) < 2000
    line = next(i for i, t in enumerate(text.splitlines(), 1) if bad in t)
    column = text.splitlines()[line - 1].index(bad) + 1
    assert f"n.rules:{line}:{column}: error:" in shown
    assert ("digits" in shown) if bad != "３" else ("the digits 0-9" in shown)


@pytest.mark.parametrize("text, message", [
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", "2:8: error: YAML aliases"),
    (f"- name: big\n  case: {{as_of: 2024-01-01, n: {HUGE}}}\n  expect: {{status: active}}\n",
     "2:32: error: a whole number longer than 18 digits"),
], ids=["alias-bomb", "huge-integer"])
def test_a_test_file_refuses_aliases_and_huge_numbers(run_cli, tmp_path, text, message):
    tests = tmp_path / "x.tests.yaml"
    tests.write_text(text, encoding="utf-8")
    code, out, err = run_cli("test", "wuhan", tests, "--format", "text")
    assert code == 2 and message in out + err and "Traceback" not in out + err


# ------------------------------------------------------------------ 4, 10. imports stay in the policy's folder
IMPORTING = 'policy demo\nimport "{path}"\nfacts person {{\n  honest: bool\n}}\narticle 1 "x"\n  require person.honest\n'


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / ".env").write_text("SECRET=hunter2\n", encoding="utf-8")
    (tmp_path / "other" / "x.rules").write_text("enum secret_vocabulary { a }\n", encoding="utf-8")
    policy = tmp_path / "pol"
    (policy / "sub").mkdir(parents=True)
    (policy / "sub" / "ok.rules").write_text("enum ok { b }\n", encoding="utf-8")
    if hasattr(os, "symlink"):
        (policy / "loop.rules").symlink_to("loop.rules")
        (policy / "out.rules").symlink_to(tmp_path / "other" / "x.rules")
    return tmp_path


@pytest.mark.parametrize("path, message", [
    ("/etc/hostname", "an import names a rule file (`*.rules`)"),
    ("../other/.env", "an import names a rule file (`*.rules`)"),
    ("../other/x.rules", "an import stays inside the folder of the policy it serves (pol/)"),
    ("../other/missing.rules", "an import stays inside the folder of the policy it serves (pol/)"),
    ("{tmp}/other/x.rules", "an import is a path relative to the importing file"),
    ("out.rules", "an import stays inside the folder of the policy it serves (pol/)"),
    ("loop.rules", "cannot import `loop.rules`"),
    ("missing.rules", "no such file next to"),
])
def test_an_import_outside_the_policy_folder_is_refused_unread(run_cli, folders, path, message):
    rules = folders / "pol" / "p.rules"
    rules.write_text(IMPORTING.format(path=path.replace("{tmp}", str(folders))), encoding="utf-8")
    for fmt in ("text", "json", "sarif", "github"):
        code, out, err = run_cli("check", "--format", fmt, rules)
        shown = out + err
        assert code == 1 and message in shown and "Traceback" not in shown, shown
        assert "hunter2" not in shown and "secret_vocabulary" not in shown  # nothing of the file is echoed


def test_an_import_inside_the_folder_tree_loads(folders):
    import supervisor_rules as sr

    rules = folders / "pol" / "p.rules"
    rules.write_text(IMPORTING.format(path="sub/ok.rules"), encoding="utf-8")
    assert sr.load_policy(rules).id == "demo"


def test_an_oversized_import_is_refused_before_it_is_read(folders, monkeypatch):
    import supervisor_rules as sr
    from supervisor_rules.lang import parser

    monkeypatch.setattr(parser, "MAX_SOURCE_BYTES", 160)  # the policy itself is shorter
    (folders / "pol" / "big.rules").write_text("# " + "x" * 300 + "\n", encoding="utf-8")
    rules = folders / "pol" / "p.rules"
    rules.write_text(IMPORTING.format(path="big.rules"), encoding="utf-8")
    with pytest.raises(sr.PolicyError) as caught:
        sr.parse_policy(rules.read_text(encoding="utf-8"), str(rules), base_dir=rules.parent)
    assert "cannot import `big.rules`" in str(caught.value) and "x" * 50 not in str(caught.value)


# ------------------------------------------------------------------ 14. wrong argument types
@pytest.mark.parametrize("call", [
    lambda sr: sr.load_policy(None), lambda sr: sr.load_policy("a\x00b"), lambda sr: sr.builtin_policy(None),
    lambda sr: sr.resolve_policy(None), lambda sr: sr.resolve_policy("a\x00b"),
    lambda sr: sr.builtin_policy("wuhan").with_calendar("x"), lambda sr: sr.check_paths(None),
    lambda sr: sr.parse_policy("policy x\n", base_dir=1), lambda sr: sr.parse_policy("policy x\n", source=1),
    lambda sr: list(sr.builtin_policy("wuhan").evaluate_many(None)),
    lambda sr: sr.resolve_policy("n" * 300 + ".rules"), lambda sr: _policytests().parse_tests({}),
    lambda sr: _policytests().run_tests(True, []), lambda sr: _policytests().run_tests(sr.builtin_policy("wuhan"), "x"),
    lambda sr: _policytests().run_tests(sr.builtin_policy("wuhan"), [1]),
], ids=["load-None", "load-NUL", "builtin-None", "resolve-None", "resolve-NUL", "calendar-str", "check_paths-None",
        "base_dir-int", "source-int", "evaluate_many-None", "resolve-name-too-long", "parse_tests-dict",
        "run_tests-bool", "run_tests-str", "run_tests-int"])
def test_a_wrong_argument_is_a_rules_error_that_says_what_was_given(call):
    import supervisor_rules as sr

    with pytest.raises(sr.RulesError) as caught:
        call(sr)
    assert any(word in str(caught.value) for word in ("NoneType", "NUL", "str", "int", "bool", "dict", "too long"))


def _policytests():
    from supervisor_rules.tools import policytests

    return policytests


def test_check_paths_takes_one_name_as_a_list_of_one():
    import supervisor_rules as sr

    assert sr.check_paths("wuhan") == sr.check_paths(["wuhan"])


# ------------------------------------------------------------------ 5. a long bad value is not echoed whole
@pytest.mark.parametrize("case", [
    {"as_of": "2024-01-01", "conduct": {"violations": ["x" * 2_000_000]}},
    {"as_of": "2024-01-01", "y" * 2_000_000: 1},
    {"as_of": "2024-01-01", "person": {"z" * 2_000_000: True}},
], ids=["enum-value", "section-name", "fact-name"])
def test_a_long_bad_value_gets_a_short_message(case):
    import supervisor_rules as sr

    with pytest.raises(sr.CaseError) as caught:
        sr.builtin_policy("wuhan").evaluate(case)
    (path, _, message, _), = caught.value.problems
    assert len(path) + len(message) < 600 and "…" in path + message


@pytest.mark.parametrize("case", [
    {"as_of": "2024-01-01", 10**5000: 1},
    {"as_of": "2024-01-01", "person": {10**5000: True}},
    {"as_of": "2024-01-01", "appointment": {"start": "2020-01-01", "renewals": [{"on": "2022-01-01", 10**5000: 1}]}},
], ids=["section", "fact", "record-field"])
def test_a_key_that_is_not_text_is_named_not_a_crash(case):
    """A case built in Python may have any key: an int of 5,000 digits has no str() at all."""
    import supervisor_rules as sr

    with pytest.raises(sr.CaseError) as caught:
        sr.builtin_policy("wuhan").evaluate(case)
    (path, _, message, _), = caught.value.problems
    assert path.endswith("<int>") and message.startswith("unknown") and "did you mean" not in message


# ------------------------------------------------------------------ 9. report.result unknown, as documented
@pytest.mark.parametrize("city", ["wuhan", "guangxi"])
def test_a_report_without_its_target_is_unknown_and_says_what_is_missing(city):
    import supervisor_rules as sr

    decision = sr.builtin_policy(city).evaluate({"as_of": "2024-01-01", "report": {}})
    assert decision.to_dict()["report"]["result"] == "unknown"
    assert "report.target_type" in decision.missing_facts
    schema_values = {"in_scope", "out_of_scope", "unknown", "not_applicable"}  # DECISION.md v2's `report`
    assert {str(v) for v in sr.ReportResult} == schema_values


# ------------------------------------------------------------------ 13. diff: a changed case contract is a difference
POLICIES = Path(__file__).resolve().parents[1] / "policies"
WUHAN = (POLICIES / "wuhan.rules").read_text(encoding="utf-8")
COMMON = (POLICIES / "common.rules").read_text(encoding="utf-8")


def _changed_wuhan(folder: Path, wuhan: str = WUHAN, common: str = COMMON) -> Path:
    (folder / "common.rules").write_text(common, encoding="utf-8")
    (folder / "wuhan.rules").write_text(wuhan, encoding="utf-8")
    return folder / "wuhan.rules"


@pytest.mark.parametrize("wuhan, common, expected", [
    (WUHAN.replace("person.honest", "person.honesty").replace("\n  honest: ", "\n  honesty: "), COMMON,
     "fact `person.honest` removed (renamed `person.honesty`?)"),
    (WUHAN, COMMON.replace('  excellent "优秀",\n', ""),
     "fact `conduct.annual_rating`: enum annual_rating (excellent, competent, basically_competent, incompetent) → "
     "enum annual_rating (competent, basically_competent, incompetent)"),
], ids=["renamed", "enum-value-dropped"])
def test_diff_fails_when_a_case_valid_before_is_refused_after(cli, tmp_path, wuhan, common, expected):
    new = _changed_wuhan(tmp_path, wuhan, common)
    code, out, err = cli("diff", "wuhan", new, "--examples", "0", "--format", "text")
    assert code == 1 and expected in out, out + err
    code, out, _ = cli("diff", "wuhan", new, "--examples", "0", "--format", "json")
    assert code == 1 and expected in json.loads(out)["contract_breaks"]
    assert cli("diff", "wuhan", new, "--examples", "0", "--allow-behaviour-change")[0] == 0


def test_adding_facts_or_enum_values_breaks_no_contract(cli, tmp_path):
    new = _changed_wuhan(tmp_path, WUHAN.replace("\n  honest: 布尔", "\n  nickname: 文本\n  honest: 布尔"),
                         COMMON.replace('  excellent "优秀",\n', '  excellent "优秀",\n  outstanding "杰出",\n'))
    code, out, err = cli("diff", "wuhan", new, "--examples", "0", "--format", "json")
    assert json.loads(out)["contract_breaks"] == [], out + err


# ------------------------------------------------------------------ 14. smaller inconsistencies
def test_a_duplicate_key_is_refused_in_a_case_and_in_a_batch_line(cli, tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"as_of": "2024-01-01", "person": {"honest": true, "honest": false}}\n', encoding="utf-8")
    code, out, err = cli("eval", "wuhan", path, "--format", "text")
    assert code == 2 and 'duplicate key "honest"' in err
    code, out, err = cli("eval", "wuhan", "--batch", path)
    assert code == 1 and json.loads(out)["error"] == 'invalid JSON: duplicate key "honest"'


@pytest.mark.parametrize("blank", ["\u3000", "\x1c", "\x85"], ids=["ideographic-space", "file-separator", "NEL"])
def test_only_json_whitespace_makes_a_batch_line_blank(cli, tmp_path, blank):
    path = tmp_path / "c.jsonl"
    path.write_text('{"as_of": "2024-01-01"}\n \t\r\n' + blank + "\n", encoding="utf-8")
    code, out, err = cli("eval", "wuhan", "--batch", path)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2 and json.loads(lines[1])["line"] == 3


@pytest.mark.parametrize("argv, message", [
    (["eval", "wuhan", "--batch", "-", "--as-of", "1899-12-31"], "1899-12-31 is out of range (1900-01-01 to 2999-12-31)"),
    (["check", "wuhan", "--examples", "-5"], "expected 0 to 1000000 examples, got '-5'"),
])
def test_a_bad_option_value_is_a_usage_error(cli, argv, message):
    code, out, err = cli(*argv, stdin='{"as_of": "2024-01-01"}\n')
    assert code == 2 and out == "" and message in err


def test_check_never_prints_a_terminal_escape_from_a_rule_file(cli, tmp_path):
    path = tmp_path / "esc.rules"
    path.write_text('policy demo\nfacts person {\n  honest: bool\n}\narticle 1 "x\x1b[31mRED"\n'
                    '  require person.honest and \x1b[2J\u202e\n', encoding="utf-8")
    code, out, err = cli("check", path, "--format", "text")
    assert code == 1 and "6:29: error" in out
    assert "\x1b" not in out + err and "\u202e" not in out + err and "\ufffd[2J" in out


# ------------------------------------------------------------------ 14. the JSON Schema says what the engine does
@pytest.mark.parametrize("appointment", [
    {"start": "2023-02-29"}, {"start": "2024-02-29"}, {"start": "1900-02-29"}, {"start": "2000-02-29"},
    {"start": "2023-04-31"}, {"start": "1899-12-31"}, {"start": "2999-12-31"},
    {"start": "2021-03-01", "renewals": [{"on": "2024-03-01", "consent": None}]},
    {"start": "2021-03-01", "renewals": [{"on": None, "consent": True}]},
    {"start": "2021-03-01", "renewals": [{"consent": True}]},
    {"start": "2021-03-01", "renewals": [{"on": "2024-03-01"}] * 10_001},
    {"start": "2021-03-01", "renewals": [{"on": "2024-03-01"}] * 10_000},
], ids=lambda a: json.dumps(a)[:60])
@pytest.mark.parametrize("city", ["wuhan", "guangxi"])
def test_the_case_schema_accepts_exactly_what_the_engine_accepts(city, appointment):
    import jsonschema

    import supervisor_rules as sr

    policy = sr.builtin_policy(city)
    case = {"as_of": "2024-06-01", "appointment": appointment}
    try:
        policy.evaluate(case)
        engine = True
    except sr.CaseError:
        engine = False
    schema = jsonschema.Draft202012Validator(policy.schema())  # no format checks: the pattern must do
    assert schema.is_valid(case) == engine


# ------------------------------------------------------------------ 14. evaluation imports nothing
def test_evaluating_imports_no_module_once_a_policy_is_loaded():
    script = """
import sys
import supervisor_rules as sr
policies = [sr.builtin_policy(p) for p in sr.builtin_policy_ids()]
before = set(sys.modules)
for policy in policies:
    for case in ({"as_of": "2024-01-01"},
                 {"as_of": "2024-01-01", "person": {"honest": True}, "appointment": {"start": "2021-01-01"},
                  "conduct": {"information_changed_on": "2023-12-20"}}):
        try:
            decision = policy.evaluate(case)
        except sr.CaseError:
            continue
        decision.to_dict(), decision.to_text(explain=True)
    try:
        policy.evaluate({"as_of": "nope"})
    except sr.CaseError:
        pass
print(sorted(set(sys.modules) - before))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------ 14. a deadline duty's two halves
DUTY_POLICY = """policy demo
facts conduct "行为" {
  changed_on: date "变更日期"
  reported_on: date "报告日期"
}
article 1 "变更后七日内报告。"
  duty report_change DUTY
"""


@pytest.mark.parametrize(("clause", "says"), [
    ("due 7 calendar days after conduct.changed_on", "has a deadline (`due …`) but not the day it was done: add `done on"),
    ("done on conduct.reported_on", "but this duty has no deadline: add `due N working days after"),
])
def test_a_deadline_duty_missing_a_half_says_which_half(clause, says):
    import supervisor_rules as sr

    with pytest.raises(sr.PolicyError) as caught:
        sr.parse_policy(DUTY_POLICY.replace("DUTY", clause))
    [problem] = caught.value.diagnostics
    assert says in problem.message and (problem.line, problem.column) == (7, 3)
    both = sr.parse_policy(DUTY_POLICY.replace("DUTY", "due 7 calendar days after conduct.changed_on done on conduct.reported_on"))
    assert both.evaluate({"as_of": "2024-01-10", "conduct": {"changed_on": "2024-01-01"}}).obligations


# ------------------------------------------------------------------ a case's size is bounded
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_batch_line_longer_than_a_case_is_reported_and_never_held_whole(cli, tmp_path, jobs):
    import json
    import tracemalloc

    from supervisor_rules.contracts.case import MAX_CASE_BYTES

    good = json.dumps({"as_of": "2024-01-01"})
    huge = '{"as_of": "2024-01-01", "x": "' + "a" * (MAX_CASE_BYTES * 2) + '"}'
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join([good, huge, good, "x" * 1000, good]) + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        code, out, err = cli("eval", "wuhan", "--batch", cases, "--jobs", jobs, "--no-explanation")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(lines) == 5
    assert [("error" in line) for line in lines] == [False, True, False, True, False]
    assert lines[1]["line"] == 2 and f"{len(huge):,} bytes" in lines[1]["error"]
    assert peak < 2.5 * MAX_CASE_BYTES  # the line held whole (and copied) would be more than 4
    assert lines[3]["error"].startswith("invalid JSON")


def test_a_case_file_larger_than_a_case_is_refused_before_it_is_read(cli, tmp_path):
    from supervisor_rules.contracts.case import MAX_CASE_BYTES

    case = tmp_path / "big.json"
    with open(case, "wb") as f:
        f.truncate(MAX_CASE_BYTES + 1)  # sparse: nothing to read, only its size
    code, out, err = cli("eval", "wuhan", case, "--format", "text")
    assert code == 2 and "too large" in err and f"{MAX_CASE_BYTES + 1:,} bytes" in err
    code, out, err = cli("eval", "wuhan", "-", "--format", "text", stdin=" " * (MAX_CASE_BYTES + 5))
    assert code == 2 and "more than" in err and "Traceback" not in err


# ------------------------------------------------------------------ found by the 100,000-input edge fuzz run
def test_a_backend_named_by_a_huge_number_is_a_rules_error():
    """``str(10**5000)`` raises in Python 3.11: the message names the type instead."""
    policy = sr.builtin_policy("wuhan")
    with pytest.raises(sr.RulesError, match="no backend `int`"):
        policy.evaluate_with(10**5000, {"as_of": "2024-01-01"})


def test_parse_tests_takes_a_str_subclass():
    class Text(str):
        pass

    tests = pt.parse_tests(Text("policy: wuhan\ntests:\n  - name: a\n    case: {as_of: 2024-01-01}\n"
                                "    expect: {status: not_appointed}\n"), "x.tests.yaml")
    assert [t.name for t in tests.tests] == ["a"]


def test_a_yaml_value_pyyaml_misreads_is_a_positioned_error():
    """PyYAML's resolver takes `.nan` followed by a line break for a float, then fails to convert it."""
    with pytest.raises(pt.TestFileError) as info:
        pt.parse_tests("policy: wuhan\ntests:\nx: !!float .nan\n\n  - 5", "x.tests.yaml")
    assert "cannot read this value" in str(info.value)


def test_an_expected_key_holding_brackets_is_reported_not_a_crash():
    text = ('policy: wuhan\ntests:\n  - name: a\n    case: {as_of: "2024-01-01"}\n'
            '    expect: {"[[x]]": 1}\n')
    run = pt.run_tests(sr.builtin_policy("wuhan"), pt.parse_tests(text, "x.tests.yaml"))
    assert not run.passed
    assert any("[[x]]" in d.message for d in pt.diagnostics(run))


def test_a_base_folder_in_a_symlink_loop_is_a_policy_error(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(sr.PolicyError, match="cannot be resolved"):
        sr.parse_policy('policy p\nimport "x.rules"\n', "p.rules", base_dir=loop)


def test_fmt_of_a_name_no_file_can_have_is_a_diagnostic(cli):
    code, out, err = cli("fmt", "--check", "bad\ud800name.rules")
    assert code == 2 and "no file can have that name" in out + err


def test_a_huge_unexpected_token_is_quoted_short_and_gets_no_fuzzy_match():
    text = 'policy p\nfacts s {\n  x: bool\n}\narticle 1 "x"\n  require s.x ' + "a" * 300_000 + "\n"
    with pytest.raises(sr.PolicySyntaxError) as info:
        sr.parse_policy(text, "p.rules")
    message = info.value.diagnostics[0].message
    assert "a" * 59 + "…`" in message and "a" * 61 not in message and "did you mean" not in message


def test_load_policy_of_a_huge_number_is_a_rules_error():
    """Found by the fuzz slice after families came: ``str(10**5000)`` raised in the family-file check."""
    with pytest.raises(sr.RulesError):
        sr.load_policy(10**5000)
