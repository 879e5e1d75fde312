"""`supervisor-rules diff OLD NEW`: structural comparison in words, behavioural witnesses, exit codes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import diffing

import hypothesis  # noqa: F401,E402 - a dependency of the package

POLICIES = Path(__file__).resolve().parent.parent / "policies"


@pytest.fixture(scope="module")
def gx_wh(run_cli) -> dict:
    """`diff guangxi wuhan --format json`, at the default number of examples (run once)."""
    code, out, err = run_cli("diff", "guangxi", "wuhan", "--format", "json")
    assert code == 1, err
    return json.loads(out)


def _role(report: dict, area: str, role: str) -> dict:
    found = [r for r in report["structural"]["roles"] if r["area"] == area and r["role"] == role]
    assert found, f"no {area} role {role!r}"
    return found[0]


def _copy(tmp_path: Path, edit=None) -> Path:
    shutil.copy(POLICIES / "common.rules", tmp_path / "common.rules")
    text = (POLICIES / "guangxi.rules").read_text(encoding="utf-8")
    if edit:
        old, new = edit
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "guangxi.rules"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- structure
def test_terms_two_years_against_three(gx_wh):
    term = _role(gx_wh, "term", "term")
    assert term["change"] == "changed"
    assert [(e["ref"], e["rule"]) for e in term["old"]] == [("8", "term 2 years from appointment.start")]
    assert [(e["ref"], e["rule"]) for e in term["new"]] == [("5", "term 3 years from appointment.start")]
    renewal = _role(gx_wh, "term", "renewal")
    assert renewal["old"][0]["rule"] == "renewal requires r.work_need and r.consent"
    assert renewal["new"][0]["rule"] == "renewal requires satisfies article 3"


@pytest.mark.parametrize("fact, old_ref, new_ref", [
    ("conduct.commitment_false", "9(2)", "11(3)"),
    ("conduct.requested_resignation", "9(4)", "11(5)"),
    ("conduct.other_reason", "9(6)", "11(6)"),
])
def test_mandatory_grounds_become_discretionary(gx_wh, fact, old_ref, new_ref):
    role = _role(gx_wh, "grounds", fact)
    assert role["change"] == "changed"
    assert role["old"] == [{"ref": old_ref, "cite": role["old"][0]["cite"], "rule": f"mandatory ground when {fact}"}]
    assert role["new"][0]["ref"] == new_ref and role["new"][0]["rule"] == f"discretionary ground when {fact}"


def test_discipline_is_a_ground_only_in_guangxi(gx_wh):
    role = _role(gx_wh, "grounds", "violates chapter 5 article 7")
    assert role["change"] == "removed" and role["old"][0]["ref"] == "9(1)"


def test_recusal_required_against_request(gx_wh):
    role = _role(gx_wh, "recusal", "recusal on activity.interest_relations")
    assert role["change"] == "changed"
    assert [e["ref"] for e in role["old"]] == ["7(6)"] and [e["ref"] for e in role["new"]] == ["9(4)", "10"]
    assert "recusal required decided by supervisor" in role["old"][0]["rule"]
    assert all("recusal request decided by department" in e["rule"] for e in role["new"])


@pytest.mark.parametrize("fact, ref", [
    ("person.sense_of_justice", "3(1)"), ("person.bad_credit_record", "3(2)"), ("person.willing_unpaid", "3(3)"),
    ("person.accepts_guidance", "3(4)"), ("person.relevant_work_experience", "3(5)"),
    ("person.meets_other_conditions", "3(6)"),
])
def test_wuhan_only_requirements(gx_wh, fact, ref):
    role = _role(gx_wh, "qualifications", fact)
    assert role["change"] == "added" and role["new"][0]["ref"] == ref
    assert role["new"][0]["rule"].startswith("requirement")


def test_background_is_a_preference_in_guangxi_and_a_requirement_in_wuhan(gx_wh):
    role = _role(gx_wh, "qualifications", "person.professional_background")
    assert role["old"][0]["rule"].startswith("preference: ")
    assert role["new"][0]["rule"].startswith("requirement: ") and "relevant_work_experience" in role["new"][0]["rule"]


@pytest.mark.parametrize("duty, ref", [
    ("report_information_change", "4(4)"), ("show_certificate", "10"), ("return_appointment_letter", "11p2"),
])
def test_wuhan_only_obligations(gx_wh, duty, ref):
    role = _role(gx_wh, "duties", duty)
    assert role["change"] == "added" and role["new"][0]["ref"] == ref
    assert _role(gx_wh, "duties", "refuse_property")["change"] == "renumbered"


def test_provisions_matched_by_citation(gx_wh):
    provisions = gx_wh["structural"]["provisions"]
    changed = {e["cite"]: e for e in provisions["changed"]}
    assert "term 2 years from appointment.start" in changed["第八条"]["removed_rules"]
    assert "第四条第（四）项" in {e["cite"] for e in provisions["added"]}
    assert "第五条第（一）项" in {e["cite"] for e in provisions["removed"]}
    facts = gx_wh["structural"]["facts"]
    assert "conduct.criminal_penalty" in facts["new_only"] and "person.health_fit" in facts["old_only"]


# ---------------------------------------------------------------- behaviour
def _groups(report: dict) -> dict:
    return {tuple(g["key"][:1]) + tuple(map(str, g["key"][1:])): g for g in report["behavioural"]["groups"]}


def test_behaviour_surfaces_the_differences(gx_wh):
    groups = _groups(gx_wh)
    assert ("term.last_day", "old ends earlier") in groups
    assert ("grounds", "conduct.commitment_false", "mandatory", "discretionary") in groups
    assert ("recusal", "['required', 'supervisor']", "['request', 'department']") in groups
    assert ("obligations", "show_certificate", "new only") in groups
    assert ("obligations", "return_appointment_letter", "new only") in groups
    assert gx_wh["behaviour_differs"] is True
    assert gx_wh["behavioural"]["examples"] == diffing.DEFAULT_EXAMPLES


def test_witnesses_are_valid_for_both_reproduce_and_are_minimal(gx_wh):
    gx, wh = sr.builtin_policy("guangxi"), sr.builtin_policy("wuhan")
    roles = diffing.ground_roles(gx), diffing.ground_roles(wh)
    for g in gx_wh["behavioural"]["groups"]:
        key = _key(g["key"])
        witness = g["witness"]
        assert diffing._has_key(gx, wh, witness, key, roles), g["title"]
        for smaller in diffing._candidates(witness):
            assert not diffing._has_key(gx, wh, smaller, key, roles), (g["title"], smaller)


def _key(raw: list) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in raw)


def test_the_commitment_witness_is_the_simple_case(gx_wh):
    g = _groups(gx_wh)[("grounds", "conduct.commitment_false", "mandatory", "discretionary")]
    witness = g["witness"]
    assert witness["conduct"] == {"commitment_false": True} and set(witness) == {"as_of", "appointment", "conduct"}
    gx = sr.builtin_policy("guangxi").evaluate(witness)
    wh = sr.builtin_policy("wuhan").evaluate(witness)
    assert [str(x.effect) for x in gx.grounds if x.citation.ref == "9(2)"] == ["mandatory"]
    assert [str(x.effect) for x in wh.grounds if x.citation.ref == "11(3)"] == ["discretionary"]


def test_witnesses_are_ready_for_eval(run_cli, gx_wh, monkeypatch):
    for g in gx_wh["behavioural"]["groups"][:3]:
        for policy in ("guangxi", "wuhan"):
            monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(g["witness"])))
            code, out, err = run_cli("eval", policy, "-", "--format", "json")
            assert code == 0, err
            assert json.loads(out)["policy"] == policy


def test_search_is_derandomised():
    gx, wh = sr.builtin_policy("guangxi"), sr.builtin_policy("wuhan")
    first = diffing.behavioural(gx, wh, examples=150)
    second = diffing.behavioural(gx, wh, examples=150)
    assert [(g.key, g.count, g.witness) for g in first.groups] == [(g.key, g.count, g.witness) for g in second.groups]


def test_text_output_names_the_differences(run_cli):
    code, out, _ = run_cli("diff", "guangxi", "wuhan", "--examples", "300", "--format", "text")
    assert code == 1
    assert "guangxi: 8 term 2 years from appointment.start" in out
    assert "wuhan:   5 term 3 years from appointment.start" in out
    assert "guangxi: 9(2) mandatory ground when conduct.commitment_false" in out
    assert "wuhan:   11(3) discretionary ground when conduct.commitment_false" in out
    assert "recusal required decided by supervisor" in out and "recusal request decided by department" in out
    assert "+ show_certificate: wuhan 10" in out
    assert "+ person.sense_of_justice: wuhan 3(1)" in out
    assert "== Behaviour ==" in out and "case: {\"as_of\"" in out
    assert "exit 1" in out


# ---------------------------------------------------------------- versions of one policy
def test_same_policy_has_no_difference(run_cli):
    code, out, _ = run_cli("diff", "guangxi", "guangxi", "--examples", "100", "--format", "json")
    report = json.loads(out)
    assert code == 0 and not report["behaviour_differs"] and report["behavioural"]["groups"] == []
    provisions = report["structural"]["provisions"]
    assert provisions == {"added": [], "removed": [], "changed": []}
    assert {r["change"] for r in report["structural"]["roles"]} == {"same"}


def test_a_changed_term_is_a_structural_and_behavioural_change(run_cli, tmp_path):
    path = _copy(tmp_path, ("term 2 years from appointment.start", "term 3 years from appointment.start"))
    code, out, _ = run_cli("diff", "guangxi", str(path), "--examples", "300", "--format", "json")
    assert code == 1
    report = json.loads(out)
    [changed] = report["structural"]["provisions"]["changed"]
    assert (changed["ref"], changed["wording_changed"]) == ("8", False)
    assert changed["removed_rules"] == ["term 2 years from appointment.start"]
    assert changed["added_rules"] == ["term 3 years from appointment.start"]
    fields = {g["field"] for g in report["behavioural"]["groups"]}
    assert "term.last_day" in fields and "recusal" not in fields
    code, _, _ = run_cli("diff", "guangxi", str(path), "--examples", "100", "--allow-behaviour-change",
                         "--format", "json")
    assert code == 0


def test_a_wording_change_alone_changes_no_behaviour(run_cli, tmp_path):
    path = _copy(tmp_path, ("社会义务监督员的聘任期为二年。", "社会义务监督员的聘任期为二年（修订）。"))
    code, out, _ = run_cli("diff", "guangxi", str(path), "--examples", "100", "--format", "text")
    assert code == 0
    assert "Wording changed only (1): 8" in out and "No behavioural difference found" in out


def test_a_provision_added_is_listed_with_its_rule(run_cli, tmp_path):
    path = _copy(tmp_path, ('  (7) "其他应当遵守的公序良俗和纪律规定。"\n    prohibit conduct.violations: other_discipline',
                            '  (7) "其他应当遵守的公序良俗和纪律规定。"\n    prohibit conduct.violations: other_discipline\n'
                            '  (8) "持证从事办法以外事项。"\n    prohibit conduct.violations: certificate_misuse'))
    path.write_text(path.read_text(encoding="utf-8").replace(
        "prohibit conduct.violations: unrelated_activity, certificate_misuse",
        "prohibit conduct.violations: unrelated_activity"), encoding="utf-8")
    code, out, _ = run_cli("diff", "guangxi", str(path), "--examples", "0", "--format", "json")
    report = json.loads(out)
    # structure only: nothing searched, so both rule changes are unproven and the gate fails
    assert code == 1 and [r["reason"] for r in report["exit"]["reasons"]] == ["unproven"]
    assert sorted((u["ref"], u["change"]) for u in report["unproven"]) == [("7(5)", "changed"), ("7(8)", "added")]
    assert run_cli("diff", "guangxi", str(path), "--examples", "0", "--allow-behaviour-change")[0] == 0
    assert [(e["ref"], e["rules"]) for e in report["structural"]["provisions"]["added"]] == [
        ("7(8)", ["prohibits conduct.violations: certificate_misuse"])]
    role = _role(report, "discipline", "certificate_misuse")
    assert (role["change"], role["old"][0]["ref"], role["new"][0]["ref"]) == ("renumbered", "7(5)", "7(8)")


def test_usage_errors_exit_2(run_cli, tmp_path):
    assert run_cli("diff", "guangxi", "no-such-policy", "--format", "json")[0] == 2
    bad = tmp_path / "bad.rules"
    bad.write_text("policy bad\narticle 1 \"x\"\n  require person.nothing\n", encoding="utf-8")
    code, out, err = run_cli("diff", "guangxi", str(bad), "--format", "text")
    assert code == 2 and "invalid policy" in err
    assert run_cli("diff", "guangxi", "wuhan", "--examples", "-1")[0] == 2


def test_a_duty_that_changes_bearer_is_a_changed_duty():
    """`by department` is part of what a duty is: the roles diff shows the same code changed (issue 11)."""
    text = ('policy p\n  title "t"\nfacts s "s" {\n  x: date "x"\n  done: date "done"\n}\n'
            'article 1 "a"\n  duty review{by} due 20 working days after s.x done on s.done\n')
    old = sr.parse_policy(text.replace("{by}", ""), "old.rules")
    new = sr.parse_policy(text.replace("{by}", " by department"), "new.rules")
    [role] = [r for r in diffing.structural(old, new)["roles"] if r["area"] == "duties"]
    assert (role["role"], role["change"]) == ("review", "changed")
    assert role["new"][0]["rule"] == "duty review by department, due 20 working days after s.x, done on s.done"


def test_a_conclusion_drawn_differently_is_a_difference(tmp_path):
    head = '''policy demo
  title "demo"
facts assessment "assessment" {
  excellent: bool = false "excellent"
  good: bool = false "good"
}
article 1 "年度考核优秀的，予以通报表扬。"
'''
    old = sr.parse_policy(head + '  conclusion commended "通报表扬" when assessment.excellent\n'
                          '  notice "good" when assessment.good\n', "old.rules")
    new = sr.parse_policy(head + '  conclusion commended "通报表扬" when assessment.excellent or assessment.good\n',
                          "new.rules")
    roles = diffing.structural(old, new)
    changed = [r for r in roles["roles"] if r["area"] == "findings"]
    assert [(r["role"], r["change"]) for r in changed] == [("conclusion commended", "changed")]
    result = diffing.behavioural(old, new, examples=60)
    keys = {g.key for g in result.groups}
    assert ("findings", "commended", "new only") in keys


def test_a_further_renewal_condition_is_a_term_role_and_a_behaviour():
    """`renewal requires` is described in words under the term, and changes which renewals are valid."""
    head = ('policy p\n  title "t"\nrecord ren {\n  on: date "on"\n  applied: bool = false "applied"\n'
            '  fit: bool = false "fit"\n}\nfacts a "a" {\n  start: date "start"\n'
            '  renewals: list of ren = [] "renewals"\n}\n'
            'article 1 "a"\n  term 2 years from a.start\n  renewal r of a.renewals dated r.on require r.applied\n'
            '  (1) "fit"\n')
    old = sr.parse_policy(head + "    text only\n", "old.rules")
    new = sr.parse_policy(head + "    renewal requires r.fit\n", "new.rules")
    roles = [r for r in diffing.structural(old, new)["roles"] if r["area"] == "term"]
    [added] = [r for r in roles if r["change"] != "same"]
    assert added["new"][0]["rule"] == "renewal requires r.fit" and added["new"][0]["ref"] == "1(1)"
    # A renewal the old policy takes and the new one refuses (not fit): the old term ends later.
    assert ("term.last_day", "old ends later") in {g.key for g in diffing.behavioural(old, new, examples=80).groups}
