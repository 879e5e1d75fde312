"""The header's dates (施行, 废止, 有效期至) and families of dated versions (docs/language.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import supervisor_rules as sr

BODY = """
facts person "p" {
  honest: bool "诚信"
}

article 1 "诚信"
  require person.honest
"""


def _policy(header: str) -> str:
    return "办法 p\n  标题 \"p\"\n" + header + BODY


def _errors(text: str) -> list:
    with pytest.raises(sr.PolicyError) as info:
        sr.parse_policy(text, "p.rules")
    return [(d.line, d.column, d.message) for d in info.value.diagnostics if d.severity == "error"]


def test_both_keyword_sets_give_the_same_dates():
    zh = sr.parse_policy(_policy("  施行 2021-03-01\n  有效期至 2026-02-28\n  废止 2025-07-01\n"), "zh.rules")
    en = sr.parse_policy(_policy("  effective 2021-03-01\n  valid until 2026-02-28\n  repealed 2025-07-01\n"),
                         "en.rules")
    for policy in (zh, en):
        assert policy.effective == dt.date(2021, 3, 1)
        assert policy.repealed == dt.date(2025, 7, 1)
        assert policy.valid_until == dt.date(2026, 2, 28)
        assert policy.in_force(dt.date(2021, 3, 1)) and policy.in_force(dt.date(2025, 6, 30))
        assert not policy.in_force(dt.date(2021, 2, 28)) and not policy.in_force(dt.date(2025, 7, 1))
    assert zh.compiled.checked.header == en.compiled.checked.header


def test_a_policy_without_dates_has_none():
    policy = sr.parse_policy(_policy("  施行 颁布之日\n"), "p.rules")
    assert (policy.effective, policy.repealed, policy.valid_until) == (None, None, None)
    assert policy.effective_on_issuance and policy.in_force(dt.date(1900, 1, 1))
    assert policy.evaluate({"as_of": "1900-01-01", "person": {"honest": True}}).notices == ()


def test_a_repeal_on_or_before_the_effective_date_is_an_error_at_its_field():
    text = _policy("  施行 2021-03-01\n  废止 2021-03-01\n")
    assert _errors(text) == [(4, 3, "the policy is repealed on 2021-03-01, not after it takes effect (2021-03-01): "
                                    "`repealed` / `废止` names the first day it is no longer in force")]


def test_validity_ending_before_the_effective_date_is_an_error_at_its_field():
    text = _policy("  effective 2021-03-01\n  status trial\n  valid until 2021-02-28\n")
    assert _errors(text) == [(5, 3, "the policy is valid until 2021-02-28, before it takes effect (2021-03-01)")]


def test_validity_ending_on_the_effective_date_is_one_day_in_force():
    policy = sr.parse_policy(_policy("  施行 2021-03-01\n  有效期至 2021-03-01\n"), "p.rules")
    assert policy.in_force(dt.date(2021, 3, 1)) and not policy.in_force(dt.date(2021, 3, 2))


def test_a_header_date_given_twice_or_not_a_date_is_refused():
    with pytest.raises(sr.PolicySyntaxError, match="twice"):
        sr.parse_policy(_policy("  废止 2025-07-01\n  repealed 2025-07-02\n"), "p.rules")
    with pytest.raises(sr.PolicySyntaxError, match="not a real date"):
        sr.parse_policy(_policy("  有效期至 2025-02-30\n"), "p.rules")
    with pytest.raises(sr.PolicySyntaxError):
        sr.parse_policy(_policy("  废止 颁布之日\n"), "p.rules")


# ------------------------------------------------------------------ families
OLD = """办法 v2021
  标题 "旧办法"
  文号 "岚医保发〔2021〕5号"
  施行 2021-03-01
  有效期至 2026-02-28
  废止 2025-07-01

facts person "p" {
  score: number "年龄"
}

第一条 "年满18周岁"
  须 person.score >= 18
"""
NEW = """policy v2025
  title "新办法"
  document "岚医保规〔2025〕3号"
  effective 2025-07-01
  valid until 2030-06-30

facts person "p" {
  score: number "年龄"
}

article 1 "年满22周岁"
  require person.score >= 22
"""
FAMILY = """# 岚江：两个版本
版本族 lanjiang "岚江市医疗保障基金社会监督员管理办法"
版本 "old.rules"   # 2021
version "new.rules"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "old.rules").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.rules").write_text(NEW, encoding="utf-8")
    (tmp_path / "lanjiang.family").write_text(FAMILY, encoding="utf-8")
    return tmp_path


def _decide(family, day: str, backend: str = "generated"):
    decision = family.evaluate_with(backend, {"as_of": day, "person": {"score": 20}})
    return decision.policy, str(decision.eligibility.result), [n.message for n in decision.notices]


def test_a_family_loads_with_its_versions_oldest_first(folder):
    family = sr.load_policy(folder / "lanjiang.family")
    assert isinstance(family, sr.Family) and family == family
    assert (family.id, family.title) == ("lanjiang", "岚江市医疗保障基金社会监督员管理办法")
    assert [v.id for v in family.versions] == ["v2021", "v2025"]
    assert sr.load_family(str(folder / "lanjiang.family")).id == "lanjiang"
    assert sr.check_paths([folder / "lanjiang.family"]) == []


@pytest.mark.parametrize("backend", ["generated", "interpreter", "reference"])
@pytest.mark.parametrize(("day", "version", "result"), [
    ("2021-03-01", "v2021", "eligible"),
    ("2025-06-30", "v2021", "eligible"),   # the day before the new version takes effect
    ("2025-07-01", "v2025", "ineligible"),  # its first day: the old one's validity runs on, but it is repealed
    ("2026-02-28", "v2025", "ineligible"),  # the last day of the old one's nominal validity
    ("2030-06-30", "v2025", "ineligible"),
])
def test_each_case_is_decided_by_the_version_in_force_on_its_as_of(folder, backend, day, version, result):
    family = sr.load_family(folder / "lanjiang.family")
    decided, eligibility, notices = _decide(family, day, backend)
    assert (decided, eligibility) == (version, result)
    document = "岚医保发〔2021〕5号" if version == "v2021" else "岚医保规〔2025〕3号"
    effective = "2021-03-01" if version == "v2021" else "2025-07-01"
    assert notices == [f"适用版本 {version}（{document}），{effective} 施行，按基准日 {day} 选定"]


def test_a_day_before_every_version_is_told_and_decided_by_the_first(folder):
    family = sr.load_family(folder / "lanjiang.family")
    assert family.version_for(dt.date(2021, 2, 28)) is None
    assert _decide(family, "2021-02-28") == ("v2021", "eligible", [
        "基准日 2021-02-28 早于最早版本的施行日期 2021-03-01：按最早版本 v2021（岚医保发〔2021〕5号）判断",
        "基准日 2021-02-28 早于本办法施行日期 2021-03-01"])


def test_after_the_last_version_ends_the_last_one_decides_and_says_so(folder):
    family = sr.load_family(folder / "lanjiang.family")
    decided, _, notices = _decide(family, "2030-07-01")
    assert decided == "v2025" and notices[1] == "基准日 2030-07-01 晚于本办法有效期（至 2030-06-30）"


def test_as_of_given_apart_from_the_case_picks_the_version(folder):
    family = sr.load_family(folder / "lanjiang.family")
    decisions = list(family.evaluate_many([{"person": {"score": 20}}] * 2, as_of="2025-06-30"))
    assert [d.policy for d in decisions] == ["v2021", "v2021"]
    assert family.evaluate({"person": {"score": 20}}, as_of=dt.date(2025, 7, 1)).policy == "v2025"
    with pytest.raises(sr.CaseError):
        family.evaluate({"as_of": "2025-13-01", "person": {"score": 20}})


def _family_errors(folder, text: str) -> list:
    (folder / "bad.family").write_text(text, encoding="utf-8")
    with pytest.raises(sr.PolicyError) as info:
        sr.load_family(folder / "bad.family")
    assert [d for d in sr.check_paths([folder / "bad.family"]) if d.severity == "error"] == \
        list(info.value.diagnostics)
    return [(d.line, d.column, d.message) for d in info.value.diagnostics if d.source.endswith("bad.family")]


def test_a_missing_version_file_is_an_error_at_its_path(folder):
    assert _family_errors(folder, 'family f\nversion "old.rules"\nversion "gone.rules"\n') == [
        (3, 9, f"cannot use version `gone.rules`: no such file next to {folder / 'bad.family'}")]


def test_versions_out_of_order_are_an_error(folder):
    assert _family_errors(folder, 'family f\nversion "new.rules"\nversion "old.rules"\n') == [
        (3, 9, "versions are listed oldest first: `old.rules` takes effect on 2021-03-01, not after "
               "`new.rules` (2025-07-01, line 2)")]


def test_overlapping_versions_are_an_error(folder):
    (folder / "old.rules").write_text(OLD.replace("  废止 2025-07-01\n", ""), encoding="utf-8")
    assert _family_errors(folder, FAMILY) == [
        (4, 9, "versions overlap: `old.rules` is in force through 2026-02-28, and `new.rules` takes effect on "
               "2025-07-01; give the older one `废止 2025-07-01` / `repealed 2025-07-01` (the day the newer one "
               "repeals it)")]


def test_a_version_without_a_date_is_an_error(folder):
    (folder / "undated.rules").write_text(NEW.replace("effective 2025-07-01", "effective on issuance"),
                                          encoding="utf-8")
    messages = _family_errors(folder, 'family f\nversion "undated.rules"\n')
    assert messages == [(2, 9, "version `undated.rules` gives no effective date: a version of a family needs "
                               "`施行 YYYY-MM-DD` / `effective YYYY-MM-DD`")]


def test_a_family_cannot_list_itself_another_family_or_a_file_twice(folder):
    assert _family_errors(folder, 'family f\nversion "bad.family"\n') == [
        (2, 9, "version `bad.family` is a family: families do not nest (a version is a rule file, `*.rules`)")]
    assert _family_errors(folder, 'family f\nversion "old.rules"\nversion "./old.rules"\n') == [
        (3, 9, "version `./old.rules` is listed twice (first on line 2)")]


def test_a_version_outside_the_family_folder_is_refused(folder):
    inner = folder / "inner"
    inner.mkdir()
    (inner / "bad.family").write_text('family f\nversion "../old.rules"\n', encoding="utf-8")
    with pytest.raises(sr.PolicyError, match=r"a version stays inside the folder of its family file \(inner/\)"):
        sr.load_family(inner / "bad.family")
    assert _family_errors(folder, 'family f\nversion "/etc/passwd.rules"\n') == [
        (2, 9, "cannot use version `/etc/passwd.rules`: a version is a path relative to the family file")]


def test_bad_family_lines_are_positioned(folder):
    assert _family_errors(folder, 'family f\n  edition "old.rules"\n') == [
        (2, 3, "a family file has `family ID` / `版本族 ID`, `version \"FILE.rules\"` / `版本 \"FILE.rules\"` and "
               "`KIND by SECTION.FACT` / `KIND 按 SECTION.FACT` lines, not `edition`")]
    assert _family_errors(folder, 'version "old.rules"\n') == [
        (1, 1, "a family file starts with `family ID` / `版本族 ID`")]
    assert _family_errors(folder, 'family f\nversion old.rules\n') == [
        (2, 9, "`version` / `版本` is followed by one quoted path: version \"FILE.rules\"")]
    assert _family_errors(folder, "family f\n") == [
        (1, 1, "a family lists at least one `version \"FILE.rules\"` / `版本 \"FILE.rules\"`")]


def test_a_broken_version_reports_its_own_problems_too(folder):
    (folder / "broken.rules").write_text(NEW.replace("require person.score", "require person.scor"),
                                         encoding="utf-8")
    (folder / "bad.family").write_text('family f\nversion "broken.rules"\n', encoding="utf-8")
    with pytest.raises(sr.PolicyError) as info:
        sr.load_family(folder / "bad.family")
    sources = {Path(d.source).name for d in info.value.diagnostics}
    assert sources == {"broken.rules", "bad.family"}


# ------------------------------------------------------------------ the command line
def test_eval_and_check_take_a_family(folder, cli):
    (folder / "case.json").write_text('{"as_of": "2025-07-01", "person": {"score": 20}}', encoding="utf-8")
    code, out, _ = cli("eval", folder / "lanjiang.family", folder / "case.json", "--format", "json")
    assert code == 0 and '"policy": "v2025"' in out and "适用版本 v2025" in out
    code, out, _ = cli("eval", folder / "lanjiang.family", folder / "case.json", "--as-of", "2025-06-30",
                       "--format", "text")
    assert code == 0 and "政策 v2021" in out
    code, out, _ = cli("check", folder / "lanjiang.family", "--format", "text")
    assert code == 0 and "lanjiang: ok (a family of 2 versions: v2021, v2025)" in out
    (folder / "bad.family").write_text('family f\nversion "gone.rules"\n', encoding="utf-8")
    code, out, _ = cli("check", folder / "bad.family", "--format", "text")
    assert code == 1 and "bad.family:2:9: error: cannot use version `gone.rules`" in out


def test_the_two_versions_can_be_diffed(folder, cli):
    code, out, _ = cli("diff", folder / "old.rules", folder / "new.rules", "--format", "json")
    assert '"behaviour_differs": true' in out  # a number fact: diff draws numbers near thresholds
    code, out, err = cli("diff", folder / "lanjiang.family", folder / "new.rules")
    assert code != 0 and "is a family of versions" in out + err
