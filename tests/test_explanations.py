"""Explanations (DECISION.md v2): the reason trees say true things, ``would_change_if`` and
``open_questions`` hold when applied, facts outside a tree do not move its conclusion, and the text
says it in one language."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import supervisor_rules as sr
from supervisor_rules import testing
from supervisor_rules.explain import is_open, value_in

ROOT = Path(__file__).resolve().parent.parent
LANJIANG = ROOT / "examples" / "policies" / "lanjiang-2025.rules"
CORNERS = ROOT / "tests" / "conformance" / "corners.rules"  # every construct of the language
POLICIES = {"wuhan": sr.builtin_policy("wuhan"), "guangxi": sr.builtin_policy("guangxi"),
            "lanjiang": sr.load_policy(LANJIANG), "corners": sr.load_policy(CORNERS)}
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _applied(case: dict, entry: dict) -> dict:
    """``case`` with one ``would_change_if`` entry (or an open question's answer) applied."""
    out = copy.deepcopy(case)
    if "add" in entry:
        section, field = entry["add"].split(".", 1)
        out.setdefault(section, {}).setdefault(field, []).append(entry["record"])
        return out
    changes = entry["facts"] if "facts" in entry else {entry["fact"]: entry["to"]}
    for key, value in changes.items():
        if key == "as_of":
            out["as_of"] = value
            continue
        if "[" in key:  # LIST[i].field
            listed, _, rest = key.partition("[")
            index, _, field = rest.partition("].")
            section, name = listed.split(".", 1)
            out[section][name][int(index)][field] = value
            continue
        section, field = key.split(".", 1)
        out.setdefault(section, {})[field] = value
    return out


def _value(policy, case: dict, reason) -> object:
    return value_in(policy.evaluate(case), reason.conclusion, reason.key)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_change_listed_changes_its_conclusion_as_it_says(name):
    policy = POLICIES[name]

    @SETTINGS
    @given(testing.cases(policy))
    def check(case):
        decision = policy.evaluate(case)
        for reason in decision.explanation:
            for entry in reason.would_change_if:
                now = _value(policy, _applied(case, entry), reason)
                assert json.loads(json.dumps(now, default=str)) == entry["gives"], (reason, entry)
                assert entry["gives"] != reason.value, (reason, entry)
    check()


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_open_question_answer_gives_what_it_says(name):
    policy = POLICIES[name]

    @SETTINGS
    @given(testing.cases(policy))
    def check(case):
        decision = policy.evaluate(case)
        reasons = {(r.conclusion, json.dumps(r.key)): r for r in decision.explanation}
        for question in decision.open_questions:
            reason = reasons[(question["question"], json.dumps(question.get("key")))]
            assert question["facts"], question  # a question is listed only with a fact that can decide it
            for fact in question["facts"]:
                assert fact["fact"] in decision.missing_facts
                for answer, gives in fact["outcomes"].items():
                    value = {"true": True, "false": False}.get(answer, answer)
                    now = _value(policy, _applied(case, {"fact": fact["fact"], "to": value}), reason)
                    assert json.loads(json.dumps(now, default=str)) == gives, (question, fact, answer)
    check()


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_open_questions_are_the_same_asked_alone_or_after_the_explanation(name):
    # Alone, they are found from the open conclusions' trees only (cheaper); after the explanation, from
    # its trees: the same questions either way, in the same order.
    policy = POLICIES[name]
    for case in testing.sample_cases(policy, 300, seed=11):
        alone = policy.evaluate(case).to_dict(explanation=False)["open_questions"]
        after = policy.evaluate(case)
        after.explanation  # noqa: B018 (the whole explanation first)
        assert after.to_dict()["open_questions"] == alone, case


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_no_unlisted_fact_decides_an_open_question_alone(name):
    policy = POLICIES[name]
    kinds = {f"{section}.{fact}": kind for section, fields in policy.facts.items() for fact, kind in fields.items()}

    @SETTINGS
    @given(testing.cases(policy))
    def check(case):
        decision = policy.evaluate(case)
        listed = {(q["question"], json.dumps(q.get("key"))): {f["fact"] for f in q["facts"]}
                  for q in decision.open_questions}
        for reason in decision.explanation:
            if not is_open(reason):
                continue
            asked = listed.get((reason.conclusion, json.dumps(reason.key)), set())
            for key in decision.missing_facts:
                if key in asked or kinds.get(key) != "bool":
                    continue
                for answer in (True, False):
                    now = _value(policy, _applied(case, {"fact": key, "to": answer}), reason)
                    assert now == reason.value, (reason.conclusion, reason.key, key, answer, now)
    check()


def _mentioned(policy, reason) -> set[str]:
    """The facts a reason's tree names: its fact leaves and comparison sides, the facts the rules it cites
    read, and for the term's last day its start and the renewals (with what their validity reads)."""
    compiled = policy.compiled
    by_ref: dict[str, set[str]] = {}
    for field in compiled.rules:
        for rule in compiled.rules_of(field):
            by_ref.setdefault(rule.citation.ref, set()).update(rule.reads)
    out: set[str] = set()

    def walk(leaves):
        for leaf in leaves:
            if "fact" in leaf:
                out.add(leaf["fact"].split("[")[0])
            if "compare" in leaf:
                out.update(side for side in (leaf["compare"][0], leaf["compare"][3]) if "." in side)
            for ref in [leaf["rule"]] if "rule" in leaf else leaf.get("none_hold", leaf.get("hold", [])):
                out.update(by_ref.get(ref, ()))
            if leaf.get("derived") == "term.last_day":
                out.add(leaf["from"])
                for rule in (compiled.renewal, *compiled.rules_of("renewal_conditions")):
                    if rule is not None:
                        out.update(rule.reads)
                        for required in rule.requirements:
                            out.update(required.reads)
            walk(leaf.get("because", ()))
    walk(reason.because)
    if reason.ref is not None:
        out.update(by_ref.get(reason.ref, ()))
    return out


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_decision_explains_itself_in_both_languages_and_in_its_schema(name):
    import jsonschema

    policy = POLICIES[name]
    schema = policy.decision_schema()

    @SETTINGS
    @given(testing.cases(policy))
    def check(case):
        decision = policy.evaluate(case)
        jsonschema.validate(decision.to_dict(), schema)
        assert decision.explain("zh") and decision.explain("en", all=True)
    check()


@pytest.mark.parametrize("name", ["wuhan", "guangxi"])
def test_a_fact_no_tree_names_does_not_move_that_conclusion(name):
    """Relevance: flip a yes/no fact of the case that a conclusion's tree does not name, and that
    conclusion keeps its value."""
    policy = POLICIES[name]
    booleans = [f"{section}.{fact}" for section, fields in policy.facts.items()
                for fact, kind in fields.items() if kind == "bool"]

    @SETTINGS
    @given(testing.cases(policy))
    def check(case):
        decision = policy.evaluate(case)
        for reason in decision.explanation:
            named = _mentioned(policy, reason)
            for key in booleans:
                section, field = key.split(".", 1)
                if key in named or section not in case or case[section].get(field) is None:
                    continue
                flipped = _applied(case, {"fact": key, "to": not case[section][field]})
                assert _value(policy, flipped, reason) == reason.value, (reason, key)
    check()


def _case(name: str) -> dict:
    return json.loads((ROOT / "examples" / "cases" / name).read_text(encoding="utf-8"))


def test_a_natural_dismissal_shows_the_day_it_came_and_the_civil_code_rule():
    decision = POLICIES["wuhan"].evaluate(_case("wuhan/feb29_appointment.json"))
    status = next(r for r in decision.explanation if r.conclusion == "status")
    assert status.value == "dismissed" and status.ref == "5"
    assert {"compare": ["as_of", "2023-03-01", ">", "term.last_day", "2023-02-28"]} in status.because
    assert {"derived": "term.last_day", "value": "2023-02-28", "from": "appointment.start", "see": "term"} \
        in status.because  # derived once, in the term's own reason
    term = next(r for r in decision.explanation if r.conclusion == "term")
    [derived] = term.because
    assert derived["start"] == "2020-02-29" and derived["month_end"] is True and derived["period"] == [3, "years"]
    assert {"fact": "as_of", "to": "2023-02-28", "gives": "active"} in status.would_change_if
    text = decision.explain()
    assert "基准日 2023-03-01 > 聘期届满日 2023-02-28：成立" in text
    assert "第二百零二条" in text and "status" not in text
    english = decision.explain("en")
    assert "Civil Code art. 202" in english and "聘" not in english


def test_three_invalid_renewals_say_three_different_things():
    policy = POLICIES["guangxi"]
    base = {"as_of": "2023-08-01", "appointment": {"start": "2021-07-01"}}
    reasons = {}
    for on, consent in (("2023-07-02", True), ("2021-06-30", True), ("2023-06-01", False)):
        case = copy.deepcopy(base)
        case["appointment"]["renewals"] = [{"on": on, "work_need": True, "consent": consent}]
        [renewal] = [r for r in policy.evaluate(case).explanation if r.conclusion == "renewal"]
        reasons[on] = renewal
    assert [r.value for r in reasons.values()] == ["late", "before_start", "conditions"]
    [condition] = [leaf for leaf in reasons["2023-06-01"].because if "rule" in leaf]
    assert condition["rule"] == "8" and condition["value"] is False
    assert {"fact": "appointment.renewals[0].consent", "value": False} in condition["because"]
    assert {"fact": "appointment.renewals[0].consent", "to": True, "gives": "valid"} in \
        reasons["2023-06-01"].would_change_if
    assert {"compare": ["renewal.on", "2023-07-02", ">", "term.last_day", "2023-07-01"]} in reasons["2023-07-02"].because


def test_a_settled_eligibility_asks_nothing_and_an_open_one_asks_what_decides_it():
    policy = POLICIES["wuhan"]
    person = dict(_case("wuhan/applicant_report_reward.json")["person"])
    person.pop("honest")
    open_case = {"as_of": "2024-01-01", "person": person}
    decision = policy.evaluate(open_case)
    assert str(decision.eligibility.result) == "unknown"
    [question] = [q for q in decision.open_questions if q["question"] == "eligibility"]
    assert question["facts"][0]["fact"] == "person.honest"
    assert question["facts"][0]["outcomes"] == {"true": "eligible", "false": "ineligible"}
    assert question["facts"][0]["label"]
    settled = policy.evaluate({**open_case, "person": {**person, "law_abiding": False}})
    assert str(settled.eligibility.result) == "ineligible"
    assert not [q for q in settled.open_questions if q["question"] == "eligibility"]
    text = decision.explain()
    assert "待补充的事实" in text and "诚信" in text


def test_the_explanation_names_no_rule_that_did_not_fire_but_counts_them():
    decision = POLICIES["wuhan"].evaluate(_case("wuhan/feb29_appointment.json"))
    status = next(r for r in decision.explanation if r.conclusion == "status")
    assert status.not_fired > 0
    assert not any("rule" in leaf for leaf in status.because)
    assert "第十一条第（一）项" not in decision.explain()
    assert "第十一条第（一）项" in decision.explain(all=True)


def test_each_provision_text_appears_once_at_most_in_the_json():
    for path in sorted((ROOT / "examples" / "cases").glob("*/*.json")):
        decision = POLICIES[path.parent.name].evaluate(json.loads(path.read_text(encoding="utf-8")))
        explanation = json.dumps(decision.to_dict()["explanation"], ensure_ascii=False)
        for citation in decision.to_dict()["grounds"]:
            assert citation["citation"]["text"] not in explanation


def test_a_pickled_decision_keeps_its_explanation():
    import pickle

    decision = POLICIES["guangxi"].evaluate(_case("guangxi/renewal_too_late.json"))
    again = pickle.loads(pickle.dumps(decision))
    assert again.explanation == decision.explanation and again.open_questions == decision.open_questions
    assert again.explain() == decision.explain() and again.to_dict() == decision.to_dict()
