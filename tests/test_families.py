"""Families whose selectors take one kind's rules from the version in force on a date fact of the case
(docs/language.md, "Families of versions"): composites, their notices, their load-time checks."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import supervisor_rules as sr
from supervisor_rules import policy as policy_module

FIXTURES = Path(__file__).parent / "fixtures" / "family"
BACKENDS = ("generated", "interpreter", "reference")


@pytest.fixture(scope="module")
def tiny():
    return sr.load_family(FIXTURES / "tiny.family")


@pytest.fixture
def folder(tmp_path):
    for name in ("old.rules", "new.rules", "tiny.family"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def _case(as_of: str, start: str | None = None, years_old: int = 21) -> dict:
    case: dict = {"as_of": as_of, "person": {"years_old": years_old}}
    if start is not None:
        case["appointment"] = {"start": start}
    return case


def _same_on_every_backend(family, case):
    decisions = [family.evaluate_with(backend, case) for backend in BACKENDS]
    first = decisions[0].to_dict()
    for other in decisions[1:]:
        assert other.to_dict() == first
    assert family.evaluate(case).to_dict() == first
    return decisions[0]


def _notices(decision) -> list[str]:
    return [n.message for n in decision.notices]


# ------------------------------------------------------------------ selection
def test_the_selector_is_read_from_the_family_file(tiny):
    (selector,) = tiny.selectors
    assert (selector.kind, selector.en, selector.zh, selector.fact, selector.line) == (
        "term", "term", "聘期", "appointment.start", 5)
    assert [name for name, _ in tiny.composites] == ["tiny2024 with term from tiny2021"]
    assert sr.check_paths([FIXTURES / "tiny.family"]) == []


def test_an_earlier_appointee_keeps_the_term_of_the_version_in_force_on_the_appointment(tiny):
    decision = _same_on_every_backend(tiny, _case("2025-05-01", "2023-06-01"))
    assert decision.policy == "tiny2024"
    assert (decision.term.years, decision.term.last_day) == (2, dt.date(2025, 6, 1))
    # the term's citation is the old version's provision; the notice says whose it is
    term_step = next(s for s in decision.trace if s.rule == "term")
    assert (term_step.citation.ref, term_step.citation.text) == ("2", "聘期二年。")
    assert _notices(decision) == [
        "适用版本 tiny2024（小发〔2024〕2号），2024-01-01 施行，按基准日 2025-05-01 选定",
        "聘期规则适用 tiny2021（小发〔2021〕1号），按 appointment.start 2023-06-01 选定"]
    # everything else is the as_of version's: its age requirement (20) and its ground's citation
    assert str(_same_on_every_backend(tiny, _case("2025-05-01", "2023-06-01", 19)).eligibility.result) == "ineligible"


def test_later_questions_read_the_spliced_term(tiny):
    decision = _same_on_every_backend(tiny, _case("2025-06-02", "2023-06-01"))
    assert str(decision.status) == "dismissed"
    (ground,) = decision.grounds
    assert (ground.citation.ref, ground.citation.text) == ("4", "聘期届满未续聘的，自然解聘。")
    # under the new version's own three-year term the same appointee would still be in office
    assert str(tiny.versions[1].evaluate(_case("2025-06-02", "2023-06-01")).status) == "active"


def test_an_appointee_under_the_new_version_has_its_term(tiny):
    decision = _same_on_every_backend(tiny, _case("2025-05-01", "2024-06-01"))
    assert (decision.term.years, decision.term.last_day) == (3, dt.date(2027, 6, 1))
    assert _notices(decision) == ["适用版本 tiny2024（小发〔2024〕2号），2024-01-01 施行，按基准日 2025-05-01 选定"]


def test_an_unknown_date_falls_back_to_the_as_of_version_and_says_so(tiny):
    decision = _same_on_every_backend(tiny, _case("2025-05-01"))
    assert decision.term is None and str(decision.status) == "not_appointed"
    assert _notices(decision)[1] == "聘期规则：appointment.start 未知，按基准日适用 tiny2024（小发〔2024〕2号）"
    # under the first version there is nothing else it could have been: no notice
    assert len(_same_on_every_backend(tiny, _case("2023-05-01")).notices) == 1


def test_a_date_before_every_version_takes_the_first_one(tiny):
    decision = _same_on_every_backend(tiny, _case("2025-05-01", "2020-06-01"))
    assert decision.term.years == 2
    assert _notices(decision)[1] == ("聘期规则适用最早版本 tiny2021（小发〔2021〕1号）：appointment.start 2020-06-01 早于"
                                     "其施行日期 2021-03-01")


def test_a_date_after_the_as_of_version_takes_no_later_version(tiny):
    # as_of under the old version, an appointment dated after the new one takes effect: the old one still
    decision = _same_on_every_backend(tiny, _case("2023-05-01", "2024-06-01"))
    assert decision.policy == "tiny2021" and decision.term.years == 2 and len(decision.notices) == 1


def test_the_as_of_given_apart_chooses_too(tiny):
    decision = tiny.evaluate(_case("2021-05-01", "2023-06-01"), as_of="2025-05-01")
    assert decision.policy == "tiny2024" and decision.term.years == 2
    vehicle, notices = tiny.select(_case("2021-05-01", "2023-06-01"), as_of=dt.date(2025, 5, 1))
    assert vehicle is tiny.composites[0][1] and len(notices) == 2
    with pytest.raises(sr.CaseError):
        tiny.evaluate({"as_of": "2025-05-01", "appointment": {"start": "soon"}})


@settings(max_examples=60)
@given(as_of=st.dates(dt.date(2021, 3, 1), dt.date(2027, 12, 31)),
       start=st.one_of(st.none(), st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31))))
def test_the_term_comes_from_the_version_in_force_on_the_earlier_of_the_two_dates(tiny, as_of, start):
    case = _case(as_of.isoformat(), start.isoformat() if start else None)
    decision = _same_on_every_backend(tiny, case)
    by_as_of = tiny.version_for(as_of)
    assert decision.policy == by_as_of.id
    if start is not None and start <= as_of:
        chosen = tiny.version_for(min(start, as_of)) or tiny.versions[0]
        assert decision.term.years == (2 if chosen.id == "tiny2021" else 3)
        # the rest of the decision is the as_of version's: its requirement, whatever the term
        assert decision.eligibility == by_as_of.evaluate(case).eligibility


def test_a_family_with_selectors_crosses_to_another_process(tiny):
    copy = pickle.loads(pickle.dumps(tiny))
    case = _case("2025-05-01", "2023-06-01")
    assert copy.evaluate(case).to_dict() == tiny.evaluate(case).to_dict()


def test_english_and_chinese_selectors_mean_the_same(folder):
    (folder / "en.family").write_text('family tiny\nversion "old.rules"\nversion "new.rules"\n'
                                      "term by appointment.start\n", encoding="utf-8")
    (folder / "mixed.family").write_text('版本族 tiny\n版本 "old.rules"\n聘期 by appointment.start\n'
                                         'version "new.rules"\n', encoding="utf-8")
    case = _case("2025-05-01", "2023-06-01")
    expected = sr.load_family(folder / "tiny.family").evaluate(case).to_dict()
    for name in ("en.family", "mixed.family"):
        assert sr.load_family(folder / name).evaluate(case).to_dict() == expected


def test_two_selectors_on_one_date_choose_together(folder):
    (folder / "two.family").write_text(
        (folder / "tiny.family").read_text(encoding="utf-8") + "须 按 appointment.start\n", encoding="utf-8")
    family = sr.load_family(folder / "two.family")
    assert [s.kind for s in family.selectors] == ["term", "require"]
    assert [name for name, _ in family.composites] == ["tiny2024 with term from tiny2021, require from tiny2021"]
    decision = _same_on_every_backend(family, _case("2025-05-01", "2023-06-01", 19))
    assert str(decision.eligibility.result) == "eligible" and decision.term.years == 2
    assert _notices(decision)[1:] == ["聘期规则适用 tiny2021（小发〔2021〕1号），按 appointment.start 2023-06-01 选定",
                                      "须规则适用 tiny2021（小发〔2021〕1号），按 appointment.start 2023-06-01 选定"]


def test_selectors_on_two_dates_make_every_combination(folder):
    for name in ("old.rules", "new.rules"):
        text = (folder / name).read_text(encoding="utf-8")
        text = text.replace('start: 日期 "聘任日期"', 'start: 日期 "聘任日期"\n  applied: 日期 "申请日期"')
        text = text.replace('start: date "聘任日期"', 'start: date "聘任日期"\n  applied: date "申请日期"')
        text = text.replace("须 person.years_old >= 18", "须 person.years_old >= 18 当 appointment.applied is known")
        text = text.replace("require person.years_old >= 20",
                            "require person.years_old >= 20 when appointment.applied is known")
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "two.family").write_text(
        (folder / "tiny.family").read_text(encoding="utf-8") + "require by appointment.applied\n", encoding="utf-8")
    family = sr.load_family(folder / "two.family")
    assert sorted(name for name, _ in family.composites) == [
        "tiny2024 with require from tiny2021", "tiny2024 with term from tiny2021",
        "tiny2024 with term from tiny2021, require from tiny2021"]
    case = _case("2025-05-01", "2024-06-01", 19)
    case["appointment"]["applied"] = "2023-12-01"
    decision = _same_on_every_backend(family, case)
    assert str(decision.eligibility.result) == "eligible" and decision.term.years == 3


def test_versions_with_alike_rules_of_the_kind_need_no_composite(folder):
    text = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "third.rules").write_text(
        text.replace("tiny2024", "tiny2026").replace("2024-01-01", "2026-01-01").replace("小发〔2024〕2号", "小发〔2026〕3号"),
        encoding="utf-8")
    (folder / "new.rules").write_text(text.replace("effective 2024-01-01", "effective 2024-01-01\n  repealed 2026-01-01"),
                                      encoding="utf-8")
    (folder / "three.family").write_text('版本族 tiny\n版本 "old.rules"\n版本 "new.rules"\n版本 "third.rules"\n'
                                         "聘期 按 appointment.start\n", encoding="utf-8")
    family = sr.load_family(folder / "three.family")
    # tiny2026's term is tiny2024's, provision and all: no composite for that choice
    assert [name for name, _ in family.composites] == ["tiny2024 with term from tiny2021",
                                                       "tiny2026 with term from tiny2021"]
    decision = family.evaluate(_case("2026-05-01", "2025-06-01"))
    assert decision.policy == "tiny2026" and decision.term.years == 3
    assert _notices(decision)[1] == "聘期规则适用 tiny2024（小发〔2024〕2号），按 appointment.start 2025-06-01 选定"


# ------------------------------------------------------------------ problems, positioned
def _errors(folder, text: str, severity: str = "error") -> list:
    (folder / "bad.family").write_text(text, encoding="utf-8")
    found = [d for d in sr.check_paths([folder / "bad.family"]) if d.severity == severity]
    if severity == "error":
        with pytest.raises(sr.PolicyError) as info:
            sr.load_family(folder / "bad.family")
        assert list(info.value.diagnostics) == found
    return [(Path(d.source).name, d.line, d.column, d.message) for d in found]


HEAD = '版本族 tiny\n版本 "old.rules"\n版本 "new.rules"\n'


def test_an_unknown_kind_is_an_error_at_its_word(folder):
    (row,) = _errors(folder, HEAD + "  terms by appointment.start\n")
    assert row[:3] == ("bad.family", 4, 3)
    assert row[3].startswith("`terms` is not a kind of rule (did you mean `term`?); a selector names one by its "
                             "statement's keyword: `require` / `须`, `prefer` / `优先`, `term` / `聘期`")
    (row,) = _errors(folder, HEAD + "text only by appointment.start\n")
    assert row[3].startswith("`text only` is not a kind of rule")


def test_a_selector_names_one_date_fact_declared_by_every_version(folder):
    assert _errors(folder, HEAD + "term by appointment\n") == [
        ("bad.family", 4, 9, "a selector is `KIND by SECTION.FACT` / `KIND 按 SECTION.FACT`: one date fact of the "
                             "case after `by` / `按`")]
    assert _errors(folder, HEAD + "term by appointment.end\n") == [
        ("bad.family", 4, 9, "`appointment.end` is not a date fact of version `old.rules` (it does not declare it): "
                             "the fact a selector names is declared, as a date, by every version")]
    assert _errors(folder, HEAD + "term by person.years_old\n") == [
        ("bad.family", 4, 9, "`person.years_old` is not a date fact of version `old.rules` (it declares it as "
                             "number): the fact a selector names is declared, as a date, by every version")]


def test_a_kind_selected_twice_or_too_many_selectors_or_before_the_family(folder):
    assert _errors(folder, HEAD + "聘期 按 appointment.start\nterm by appointment.start\n") == [
        ("bad.family", 5, 1, "the `term` rules are selected twice (first on line 4)")]
    five = "".join(f"{kind} by appointment.start\n" for kind in ("term", "require", "prefer", "notice", "duty"))
    assert _errors(folder, HEAD + five) == [("bad.family", 8, 1, "more than 4 selectors")]
    assert _errors(folder, '聘期 按 appointment.start\n' + HEAD) == [
        ("bad.family", 1, 1, "a family file starts with `family ID` / `版本族 ID`")]


def test_a_selector_for_a_kind_no_version_has_is_a_warning(folder):
    assert _errors(folder, HEAD + "notice by appointment.start\n", "warning") == [
        ("bad.family", 4, 1, "no version has `notice` rules: the selector chooses nothing")]


def test_rules_that_do_not_fit_the_newer_version_are_an_error_at_the_selector(folder):
    old = (folder / "old.rules").read_text(encoding="utf-8")
    (folder / "old.rules").write_text(
        old.replace('start: 日期 "聘任日期"', 'start: 日期 "聘任日期"\n  first_day: 日期 "到岗日期"')
           .replace("自 appointment.start", "自 appointment.first_day"), encoding="utf-8")
    assert _errors(folder, HEAD + "聘期 按 appointment.start\n") == [
        ("bad.family", 4, 1, "version `new.rules` with the `term` rules of `old.rules` does not check (its problems "
                             "are listed): it decides so a case whose `appointment.start` falls in the time of "
                             "`old.rules`"),
        ("old.rules", 21, 12, "unknown fact `appointment.first_day` (did you mean `appointment.start`?)")]


def test_spliced_rules_cannot_refer_to_provisions(folder):
    old = (folder / "old.rules").read_text(encoding="utf-8")
    (folder / "old.rules").write_text(old + '\n第四条 "符合条件的，予以公示。"\n  提示 "公示" 当 符合 第一条\n',
                                      encoding="utf-8")
    new = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "new.rules").write_text(new + '\narticle 5 "Notices."\n  notice "notice" when person.years_old > 60\n',
                                      encoding="utf-8")
    (row,) = _errors(folder, HEAD + "notice by appointment.start\n")
    assert row[:3] == ("bad.family", 4, 1)
    assert row[3].startswith("the `notice` rules of version `old.rules` refer to provisions (")
    assert row[3].endswith("old.rules: `satisfies` / `violates` on line 26): a reference reads the numbering of its own file, so they cannot be "
                           "taken into another version")


def test_a_reference_to_rules_taken_away_is_an_error(folder):
    new = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "new.rules").write_text(new + '\narticle 5 "Notices."\n  notice "qualified" when satisfies article 1\n',
                                      encoding="utf-8")
    errors = _errors(folder, HEAD + "require by appointment.start\n")
    assert errors[0][:3] == ("bad.family", 4, 1)
    assert errors[1][0] == "new.rules" and "has no requirements" in errors[1][3]


def test_the_composites_are_bounded(folder, monkeypatch):
    monkeypatch.setattr(policy_module, "MAX_COMPOSITES", 0)
    assert _errors(folder, HEAD + "聘期 按 appointment.start\n") == [
        ("bad.family", 4, 1, "the selectors make 1 composite versions, more than 0")]


# ------------------------------------------------------------------ the command line
def test_eval_decides_under_the_composite(cli, tmp_path):
    (tmp_path / "case.json").write_text('{"as_of": "2025-05-01", "person": {"years_old": 21}, '
                                        '"appointment": {"start": "2023-06-01"}}', encoding="utf-8")
    code, out, _ = cli("eval", FIXTURES / "tiny.family", tmp_path / "case.json", "--format", "text")
    assert code == 0 and "聘期：2 年" in out and "聘期规则适用 tiny2021" in out


def test_eval_batch_takes_a_family_and_each_line_chooses(cli, tiny, tmp_path):
    cases = [_case("2025-05-01", "2023-06-01"), _case("2023-05-01"), _case("2025-05-01", "2024-06-01", 19)]
    lines = [json.dumps(c) for c in cases] + ['{"as_of": "2025-05-01", "appointment": {"start": "later"}}']
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = cli("eval", FIXTURES / "tiny.family", "--batch", tmp_path / "cases.jsonl")
    decided = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # the last line is bad
    assert decided[:3] == [json.loads(json.dumps(tiny.evaluate(c).to_dict(), default=str)) for c in cases]
    assert decided[3]["error"] == "invalid case"
    code, quick, _ = cli("eval", FIXTURES / "tiny.family", "--batch", tmp_path / "cases.jsonl", "--no-explanation")
    assert [json.loads(line).get("notices") for line in quick.splitlines()][:3] == [d["notices"] for d in decided[:3]]


def test_check_reports_a_familys_composites_and_their_invariants(cli, folder):
    code, out, _ = cli("check", folder / "tiny.family", "--format", "text", "--examples", "0")
    assert code == 0 and out.strip() == ("tiny: ok (a family of 2 versions: tiny2021, tiny2024; 1 composite: "
                                         "tiny2024 with term from tiny2021)")
    new = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "new.rules").write_text(new + '\ninvariant three_years "聘期三年"\n  cites article 3\n'
                                            "  when appointment.start is known\n"
                                            "  then decision.last_day = appointment.start after 3 years\n",
                                      encoding="utf-8")
    code, out, _ = cli("check", folder / "tiny.family", "--format", "text", "--examples", "200")
    assert code == 1
    assert "tiny2024: invariant three_years (第三条): holds in 200 examples" in out
    assert "tiny2024 with term from tiny2021: invariant three_years (第三条): VIOLATED" in out
    assert "new.rules:27:1: error: tiny2024 with term from tiny2021: " in out


def test_check_positions_a_selector_problem(cli, folder):
    (folder / "bad.family").write_text(HEAD + "terms by appointment.start\n", encoding="utf-8")
    code, out, _ = cli("check", folder / "bad.family", "--format", "text")
    assert code == 1 and "bad.family:4:1: error: `terms` is not a kind of rule (did you mean `term`?)" in out


def test_schema_of_a_family(cli, folder):
    code, out, _ = cli("schema", folder / "tiny.family")
    schema = json.loads(out)
    assert code == 0 and schema["$id"] == "supervisor-rules:tiny:case" and "anyOf" not in schema
    assert set(schema["properties"]) == {"as_of", "person", "appointment"}
    new = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "new.rules").write_text(new.replace('start: date "聘任日期"', 'start: date "聘任日期"\n  oath: bool "宣誓"')
                                      + '\narticle 5 "宣誓。"\n  require appointment.oath\n', encoding="utf-8")
    code, out, _ = cli("schema", folder / "tiny.family")
    schema = json.loads(out)
    assert [branch["title"] for branch in schema["anyOf"]] == ["tiny2021, in force from 2021-03-01",
                                                                "tiny2024, in force from 2024-01-01"]
    import jsonschema
    old_case, new_case = _case("2023-05-01", "2022-01-01"), _case("2025-05-01", "2024-06-01")
    new_case["appointment"]["oath"] = True
    for case in (old_case, new_case):
        jsonschema.validate(case, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**old_case, "person": {"height": 1}}, schema)


def test_test_runs_a_familys_tests_with_coverage_per_version(cli, folder):
    shutil.copy(FIXTURES / "tiny.tests.yaml", folder / "tiny.tests.yaml")
    code, out, _ = cli("test", folder / "tiny.family", "--format", "text", "--coverage-min", "100")
    assert code == 0
    assert "tiny: " in out and "7 tests, 7 passed" in out
    assert "  tiny2021: 3/3 provisions covered (100.0%)" in out and "  tiny2024: 3/3 provisions covered (100.0%)" in out
    # the test file itself, naming its family by path; JSON has each version's figures
    code, out, _ = cli("test", folder / "tiny.tests.yaml", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["policies"][0]["policy"] == "tiny"
    coverage = report["policies"][0]["coverage"]
    assert [v["version"] for v in coverage["versions"]] == ["tiny2021", "tiny2024"]
    assert {p["version"] for p in coverage["by_provision"]} == {"tiny2021", "tiny2024"}


def test_a_test_decided_by_a_composite_covers_the_older_versions_term(folder):
    from supervisor_rules.tools import policytests as pt

    tests = [t for t in pt.load_tests(FIXTURES / "tiny.tests.yaml").tests if "has ended" not in t.name]
    run = pt.run_tests(sr.load_family(folder / "tiny.family"), tests)
    states = {(p.version, p.citation.ref): p.state for p in run.coverage.provisions}
    # tiny2021's term was seen ended only in the case tiny2024 decided with it
    assert states[("tiny2021", "2")] == "covered" and states[("tiny2021", "3")] == "partial"
    assert run.coverage.total == 6 and run.coverage.covered == 5


def test_a_failing_family_test_and_a_test_file_for_another_policy(cli, folder):
    (folder / "tiny.tests.yaml").write_text(
        "policy: tiny\ntests:\n  - name: wrong\n    case: {as_of: 2025-05-01, appointment: {start: 2023-06-01}}\n"
        "    expect: {term: {years: 3}}\n", encoding="utf-8")
    code, out, _ = cli("test", folder / "tiny.family", "--format", "text")
    assert code == 1 and "FAIL" in out and "expected: 3" in out
    (folder / "tiny.tests.yaml").write_text("policy: other.family\ntests: []\n", encoding="utf-8")
    code, _, err = cli("test", folder / "tiny.family", "--format", "text")
    assert code == 2 and "test file is for policy `other.family`" in err


def test_diff_between_two_families(cli, folder, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    for name in ("old.rules", "new.rules", "tiny.family"):
        shutil.copy(folder / name, other / name)
    code, out, _ = cli("diff", folder / "tiny.family", other / "tiny.family", "--examples", "100", "--format", "text")
    assert code == 0 and "= same: tiny2021, tiny2024" in out and "No behavioural difference found" in out
    (other / "new.rules").write_text((other / "new.rules").read_text(encoding="utf-8").replace("term 3 years",
                                                                                                "term 4 years"),
                                     encoding="utf-8")
    (other / "tiny.family").write_text('family tiny\nversion "old.rules"\nversion "new.rules"\n', encoding="utf-8")
    code, out, _ = cli("diff", folder / "tiny.family", other / "tiny.family", "--examples", "300", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["behaviour_differs"]
    families = report["families"]
    assert families["versions"]["changed"] == ["tiny2024"] and families["versions"]["same"] == ["tiny2021"]
    assert families["selectors"]["removed"] == ["term by appointment.start"]
    changed = families["by_version"]["tiny2024"]["provisions"]["changed"]
    assert changed[0]["added_rules"] == ["term 4 years from appointment.start"]
    assert any(g["field"] == "term.last_day" for g in report["behavioural"]["groups"])


def test_diff_between_a_family_and_a_rule_file_is_a_usage_error(cli, folder):
    code, _, err = cli("diff", folder / "tiny.family", folder / "new.rules", "--format", "text")
    assert code == 2 and "is a family of versions" in err and "diff compares two families, or two rule files" in err


def test_eval_batch_on_a_family_in_worker_processes_gives_the_same_output(run_cli, tmp_path):
    from supervisor_rules.tools import batch

    lines = [json.dumps(_case("2025-05-01", f"202{3 + k % 2}-0{1 + k % 9}-01", 18 + k % 4)) for k in range(1500)]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(lines[0]) * len(lines) > 2 * batch.BLOCK  # two workers get a block each
    one = run_cli("eval", FIXTURES / "tiny.family", "--batch", tmp_path / "cases.jsonl")
    two = run_cli("eval", FIXTURES / "tiny.family", "--batch", tmp_path / "cases.jsonl", "--jobs", "2")
    assert one[0] == two[0] == 0 and one[1] == two[1]
    notices = [[n["message"] for n in json.loads(line)["notices"]] for line in one[1].splitlines()]
    assert sum(any(m.startswith("聘期规则适用 tiny2021") for m in found) for found in notices) == 750


def test_a_composites_rule_that_uses_a_definition_still_counts_for_its_version(folder):
    # The checker writes a definition out into new nodes, so the composite's copy of the newer
    # version's requirement is another object than the version's own: coverage must still match it.
    from supervisor_rules.tools import policytests as pt

    new = (folder / "new.rules").read_text(encoding="utf-8")
    new = new.replace('facts person "人员"', 'define adult "成年" = person.years_old >= 20\n\nfacts person "人员"')
    new = new.replace("  require person.years_old >= 20", "  require adult")
    (folder / "new.rules").write_text(new, encoding="utf-8")
    family = sr.load_family(folder / "tiny.family")
    case = {"as_of": "2025-05-01", "appointment": {"start": "2023-06-01"}}
    tests = [pt.PolicyTest(name=f"{age}", case={**case, "person": {"years_old": age}}, expect={})
             for age in (19, 21)]
    run = pt.run_tests(family, tests)
    states = {(p.version, p.citation.ref): p.state for p in run.coverage.provisions}
    assert family.select(case)[0] is not family.versions[-1]  # a composite decides these cases
    assert states[("tiny2024", "1")] == "covered"


def test_check_searches_a_composites_invariants_over_the_cases_it_decides(cli, folder):
    # The newer version's invariant is about its own appointees; the composite (the older term) decides
    # only earlier appointments, for which it does not speak. Searched over every case, a composite
    # with a start in the newer version's time would "break" it.
    new = (folder / "new.rules").read_text(encoding="utf-8")
    (folder / "new.rules").write_text(new + (
        '\ninvariant three_years "施行后聘任的，聘期三年" under article 3\n'
        "  when appointment.start >= 2024-01-01\n"
        "  then decision.last_day = appointment.start after 3 years\n"), encoding="utf-8")
    code, out, _ = cli("check", folder / "tiny.family", "--format", "text")
    assert code == 0, out
    assert "tiny2024 with term from tiny2021: invariant three_years" in out
    # the same invariant over every start does break on the composite: the scoping is what saves it
    (folder / "new.rules").write_text(new + (
        '\ninvariant three_years "聘期三年" under article 3\n'
        "  when appointment.start is known\n"
        "  then decision.last_day = appointment.start after 3 years\n"), encoding="utf-8")
    code, out, _ = cli("check", folder / "tiny.family", "--format", "text")
    assert code == 1 and "tiny2024 with term from tiny2021: invariant `three_years`" in out
