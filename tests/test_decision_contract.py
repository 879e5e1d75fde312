"""The decision's contract beyond its questions (DECISION.md v2, INTERFACE.md v2): the ``meta`` stamp,
``to_dict(explanation=False)``, and the decision's JSON Schema, which every decision the fixtures,
examples and shipped tests produce must satisfy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import re
from pathlib import Path

import jsonschema
import pytest

import supervisor_rules as sr
from supervisor_rules.contracts.decision import JsonWriter
from supervisor_rules.policy import BACKENDS, source_digest
from supervisor_rules.questions.obligations import Duty
from supervisor_rules.tools.policytests import load_tests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "decisions"
EXAMPLES = ROOT / "examples"
POLICIES = ROOT / "policies"
CITIES = ("guangxi", "wuhan")
LANJIANG = EXAMPLES / "policies" / "lanjiang.family"


def _validator(policy) -> jsonschema.Draft202012Validator:
    schema = policy.decision_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _valid(validator, decision: dict, where: str) -> None:
    errors = sorted(validator.iter_errors(decision), key=lambda e: list(e.absolute_path))
    assert not errors, f"{where}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def _cases(policy_id: str) -> list[tuple[str, dict]]:
    cases = [(p.name, json.loads(p.read_text(encoding="utf-8"))["case"]) for p in sorted((FIXTURES / policy_id).glob("*.json"))]
    cases += [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted((EXAMPLES / "cases" / policy_id).glob("*.json"))]
    cases += [(t.name, t.case) for t in load_tests(POLICIES / f"{policy_id}.tests.yaml").tests]
    return cases


# ------------------------------------------------------------------ the schema
@pytest.mark.parametrize("policy_id", CITIES)
def test_every_decision_of_the_fixtures_examples_and_tests_satisfies_the_decision_schema(policy_id):
    policy = sr.builtin_policy(policy_id)
    validator = _validator(policy)
    cases = _cases(policy_id)
    assert len(cases) > 50
    for name, case in cases:
        decision = policy.evaluate(case)
        _valid(validator, decision.to_dict(), name)
        _valid(validator, decision.to_dict(explanation=False), name)


def test_the_lanjiang_family_and_its_versions_decisions_satisfy_their_schemas():
    family = sr.load_policy(LANJIANG)
    validator = _validator(family)
    tests = [*load_tests(EXAMPLES / "policies" / "lanjiang.tests.yaml").tests,
             *load_tests(EXAMPLES / "policies" / "lanjiang-2021.tests.yaml").tests]
    assert tests
    for test in tests:
        try:
            decision = family.evaluate(test.case)
        except sr.CaseError:
            continue  # a test of the 2021 version whose case the family's chosen version refuses
        _valid(validator, decision.to_dict(), test.name)
    version = sr.load_policy(EXAMPLES / "policies" / "lanjiang-2025.rules")
    own = _validator(version)
    for test in load_tests(EXAMPLES / "policies" / "lanjiang-2025.tests.yaml").tests:
        _valid(own, version.evaluate(test.case).to_dict(), test.name)


def test_the_decision_schema_enumerates_the_policys_own_codes():
    policy = sr.builtin_policy("wuhan")
    schema = policy.decision_schema()
    props = schema["properties"]
    refs = set(schema["$defs"]["citation"]["properties"]["ref"]["enum"])
    assert {"5", "8(1).2", "11p2"} <= refs and "99" not in refs
    assert props["policy"]["enum"] == ["wuhan"]
    duties = props["obligations"]["items"]["properties"]["duty"]["enum"]
    assert "return_appointment_letter" in duties and "report_information_change" in duties
    codes = props["violations"]["items"]["properties"]["code"]["enum"]
    assert "certificate_misuse" in codes and "accepted_property" in codes
    assert schema["required"] == ["policy", "as_of", "missing_facts", "meta"]
    assert schema["additionalProperties"] is False


def test_the_schema_refuses_what_the_policy_cannot_decide():
    policy = sr.builtin_policy("guangxi")
    validator = _validator(policy)
    good = policy.evaluate({"as_of": "2024-01-01", "conduct": {"violations": ["leaked_secrets"]},
                            "appointment": {"start": "2023-01-01"}}).to_dict()
    _valid(validator, good, "good")
    for change in (lambda d: d["violations"][0].update(code="made_up"),
                   lambda d: d["violations"][0]["citation"].update(ref="99(9)"),
                   lambda d: d.update(status="retired"),
                   lambda d: d.update(extra=1),
                   lambda d: d["meta"].pop("calendar"),
                   lambda d: d["term"].update(last_day="2025-13-01")):
        bad = json.loads(json.dumps(good))
        change(bad)
        assert not validator.is_valid(bad), change


def test_an_invalid_renewal_matches_the_schema_with_each_reason():
    policy = sr.builtin_policy("guangxi")
    validator = _validator(policy)
    renewal = {"consent": True, "work_need": True}
    case = {"as_of": "2024-01-01", "appointment": {"start": "2021-07-01", "renewals": [
        {"on": "2021-06-01", **renewal}, {"on": "2022-12-01", "consent": True},
        {"on": "2023-01-01", **renewal}, {"on": "2023-02-01", **renewal}, {"on": "2026-01-01", **renewal}]}}
    decision = policy.evaluate(case).to_dict()
    _valid(validator, decision, "renewals")
    assert [r["reason"] for r in decision["term"]["invalid_renewals"]] == [
        "before_start", "conditions", "second_in_term", "late"]


def test_the_schema_command(cli):
    code, out, _ = cli("schema", "wuhan", "--decision")
    assert code == 0 and json.loads(out) == sr.builtin_policy("wuhan").decision_schema()
    code, out, _ = cli("schema", "wuhan")
    assert code == 0 and json.loads(out)["$id"].endswith(":case")
    code, out, _ = cli("schema", str(LANJIANG), "--decision")
    assert code == 0 and set(json.loads(out)["properties"]["policy"]["enum"]) == {"lanjiang", "lanjiang2021"}


# ------------------------------------------------------------------ meta
def test_meta_names_the_policy_source_engine_and_calendar():
    policy = sr.builtin_policy("wuhan")
    meta = policy.evaluate({"as_of": "2024-01-01"}).to_dict()["meta"]
    texts = [(POLICIES / "wuhan.rules").read_text(encoding="utf-8"), (POLICIES / "common.rules").read_text(encoding="utf-8")]
    expected = hashlib.sha256(b"".join(t.encode("utf-8") + b"\0" for t in texts)).hexdigest()
    assert meta["policy_sha256"] == expected == policy.sha256 == source_digest(texts)
    assert meta["engine_version"] == sr.__version__
    calendar = sr.default_calendar()
    assert meta["calendar"] == {"source": calendar.source, "version": calendar.version,
                                "years": sorted(calendar.years)}
    assert calendar.version and calendar.version in calendar.source


def test_meta_is_the_same_on_every_backend_in_the_batch_and_after_pickling(tmp_path):
    policy = sr.builtin_policy("guangxi")
    case = {"as_of": "2024-01-01", "appointment": {"start": "2023-01-01"}}
    metas = [policy.evaluate_with(backend, case).to_dict()["meta"] for backend in BACKENDS]
    assert all(m == metas[0] for m in metas)
    decision = policy.evaluate(case)
    assert pickle.loads(pickle.dumps(decision)).to_dict() == decision.to_dict()
    assert pickle.loads(pickle.dumps(policy)).evaluate(case).to_dict()["meta"] == metas[0]
    writer = JsonWriter(ensure_ascii=False)
    assert json.loads(writer.decision(decision)) == decision.to_dict()
    from supervisor_rules.tools import batch
    line = batch.Decider(policy, None, False, False).line(json.dumps(case), 1)[0]
    assert json.loads(line)["meta"] == metas[0]


def test_meta_follows_the_calendar_and_the_source():
    policy = sr.builtin_policy("wuhan")
    custom = sr.WorkdayCalendar(holidays=[dt.date(2027, 1, 1)], adjusted_workdays=(), years=[2027], source="ours")
    stamp = policy.with_calendar(custom).meta.calendar
    assert (stamp.source, stamp.years) == ("ours", (2027,)) and stamp.version.startswith("sha256:")
    assert stamp.version == custom.digest() != sr.WorkdayCalendar(
        holidays=[dt.date(2027, 1, 2)], adjusted_workdays=(), years=[2027], source="ours").digest()
    extended = sr.default_calendar().extended(years=[2027])
    assert extended.version is None  # no longer the package's release
    one = sr.parse_policy('policy p\n  title "t"\narticle 1 "x"\n  text only\n')
    two = sr.parse_policy('policy p\n  title "t"\narticle 1 "y"\n  text only\n')
    assert one.sha256 != two.sha256 and len(one.sha256) == 64
    assert one.sha256 == source_digest(['policy p\n  title "t"\narticle 1 "x"\n  text only\n'])


def test_a_calendar_mapping_keeps_its_version():
    calendar = sr.WorkdayCalendar(holidays=(), adjusted_workdays=(), years=[2030], source="s", version="v1")
    assert sr.WorkdayCalendar.from_mapping(calendar.to_mapping()) == calendar
    with pytest.raises(ValueError, match="version"):
        sr.WorkdayCalendar.from_mapping({**calendar.to_mapping(), "version": 3})


# ------------------------------------------------------------------ to_dict(explanation=False)
def test_to_dict_without_the_explanation_is_the_rest_of_it():
    policy = sr.builtin_policy("wuhan")
    decision = policy.evaluate({"as_of": "2024-01-01", "appointment": {"start": "2020-01-01"}})
    full, lean = decision.to_dict(), decision.to_dict(explanation=False)
    assert "explanation" in full and "explanation" not in lean
    assert {k: v for k, v in full.items() if k != "explanation"} == lean
    writer = JsonWriter(ensure_ascii=True)
    assert writer.decision_bytes(decision, explanation=False).decode() == json.dumps(
        lean, ensure_ascii=True, separators=(",", ":"))


# ------------------------------------------------------------------ one language per text output
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_ENGLISH_WORDS = {"status", "eligibility", "term", "owed", "met", "overdue", "breached", "automatic", "mandatory",
                  "discretionary", "dismissed", "active", "eligible", "ineligible", "unknown", "in_scope",
                  "out_of_scope", "required", "request", "not_required", "violation", "obligation", "report",
                  "notice", "missing", "facts", "late", "conditions", "preferred", "true", "false"}


def _english_part(line: str) -> str:
    """A line of English text less what the policy itself words (notices, the reward rules' title)."""
    if line.startswith("Notice: "):
        return ""
    return line.split("; reward rules: ")[0]


@pytest.mark.parametrize("policy_id", CITIES)
def test_the_text_summary_is_in_one_language(policy_id):
    policy = sr.builtin_policy(policy_id)
    for name, case in _cases(policy_id):
        decision = policy.evaluate(case)
        zh = decision.to_text(labels=policy.text_labels)
        # (notices are the decision's own messages, shown as the policy and engine word them)
        told = "\n".join(line for line in zh.splitlines() if not line.startswith("提示："))
        words = set(re.findall(r"[A-Za-z_]+(?:\.[A-Za-z_\[\]]+)*", told))
        assert not words & _ENGLISH_WORDS, (name, words & _ENGLISH_WORDS, zh)
        en = decision.to_text(lang="en", labels=policy.text_labels)
        assert not [line for line in en.splitlines() if _CJK.search(_english_part(line))], (name, en)


def test_the_chinese_summary_uses_the_rule_files_labels():
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2024-01-01", "appointment": {"start": "2020-01-01"},
            "conduct": {"violations": ["leaked_secrets"]}}
    zh = policy.evaluate(case).to_text(labels=policy.text_labels)
    label = policy.text_labels.values["leaked_secrets"]
    assert f"违纪：{label} — 第九条第（三）项" in zh
    assert "状态：已解聘" in zh and "自然解聘" in zh
    en = policy.evaluate(case).to_text(lang="en")
    assert "Violation: leaked_secrets — art. 9(3)" in en and "Status: dismissed" in en
    assert "(automatic)" in en
    open_case = {"as_of": "2024-01-01", "person": {"honest": True}}
    zh = policy.evaluate(open_case).to_text(labels=policy.text_labels)
    assert f"{policy.text_labels.facts['person.bad_credit_record']}（person.bad_credit_record）" in zh
    with pytest.raises(ValueError, match="lang"):
        policy.evaluate(case).to_text(lang="fr")


def test_the_chinese_summary_names_duties_by_their_labels():
    """`义务 return_appointment_letter "交回聘书"`: the Chinese text names the duty by its label, the English
    text and the JSON by its code."""
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2024-06-01", "appointment": {"start": "2023-01-01", "dismissed_on": "2024-03-01"},
            "conduct": {"commitment_false": True}}
    decision = policy.evaluate(case)
    assert [o.duty for o in decision.obligations] == ["return_appointment_letter"]
    zh = decision.to_text(lang="zh", labels=policy.text_labels)
    assert "义务：交回聘书（由监督员履行） 第十一条第二款：待履行" in zh
    assert "return_appointment_letter" not in zh
    en = decision.to_text(lang="en", labels=policy.text_labels)
    assert "Obligation: return_appointment_letter (owed by the supervisor) art. 11p2: owed" in en
    assert "交回聘书" not in en
    assert decision.to_dict()["obligations"][0]["duty"] == "return_appointment_letter"
    # Every shipped duty has a label.
    for policy_id in CITIES:
        checked = sr.builtin_policy(policy_id).compiled.checked
        duties = [rule for p in checked.provisions for rule in p.rules if isinstance(rule, Duty)]
        assert duties and all(rule.label for rule in duties), policy_id


def test_a_familys_text_labels_name_its_duties_latest_version_first():
    family = sr.load_family(str(ROOT / "examples" / "policies" / "lanjiang.family"))
    values = family.text_labels.values
    assert values["return_certificate"] == "交回聘书和社会监督员证"  # 2025; 2021 says 交回聘书
    assert values["publish_dismissal"] == "公布解聘人员名单"  # 2025 only
    assert values["qualification_review"] == "完成资格审核并书面通知报名人"


def test_an_invalid_renewals_reason_is_in_the_text():
    policy = sr.builtin_policy("guangxi")
    case = {"as_of": "2024-01-01", "appointment": {"start": "2021-07-01", "renewals": [
        {"on": "2023-07-02", "consent": True, "work_need": True}]}}
    decision = policy.evaluate(case)
    assert "无效续聘 2023-07-02：聘期届满后才续聘（第八条）" in decision.to_text()
    assert "invalid renewal 2023-07-02: after the term's last day (art. 8)" in decision.to_text(lang="en")


def test_eval_lang(cli, tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"as_of": "2024-01-01", "appointment": {"start": "2020-01-01"}}), encoding="utf-8")
    code, out, _ = cli("eval", "wuhan", case, "--lang", "en")
    assert code == 0 and out.startswith("Policy wuhan") and not _CJK.search(out.split("Notice:")[0])
    code, out, _ = cli("eval", "wuhan", case, "--format", "text")
    assert code == 0 and "状态：已解聘" in out  # zh by default
    code, out, _ = cli("eval", "wuhan", case, "--format", "text", "--lang", "zh")
    assert code == 0 and "状态：已解聘" in out
    code, out, err = cli("eval", "wuhan", case, "--format", "json", "--lang", "en")
    assert code == 2 and "--lang" in err and out == ""
    code, out, err = cli("eval", "wuhan", "--batch", case, "--lang", "en")
    assert code == 2 and "--lang" in err
    code, _, err = cli("eval", "wuhan", case, "--lang", "fr")
    assert code == 2
