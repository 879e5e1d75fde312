"""Definitions (`define` / `定义`), `also citing` and prohibitions over records: what the checker
refuses, and that a definition means its expression written in place, on every backend."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import supervisor_rules as sr
from supervisor_rules import testing
from supervisor_rules.tools import policytests

HEAD = """policy d
  title "d"
  age reached on birthday

enum grade "grade" {
  top "top",
  fair "fair",
}

record clue "clue" {
  on: date "on"
  verified: bool = false "verified"
  grade: grade = unknown "grade, once decided"
}

facts person "person" {
  honest: bool "honest"
  grade: grade "grade"
  born: date "born"
  clues: list of clue = [] "clues"
}

facts appointment "appointment" {
  start: date "start"
}
"""

#: The same rules twice: with definitions, and with each definition spelt out where it is used.
DEFINED = HEAD + """
define valid_clues "verified clues" = count of c in person.clues where (c.verified and c.on >= as_of before 1 year)
定义 good "good standing" 为 person.honest 且 valid_clues >= 2
define top_clue "a top clue" = any c in person.clues where (c.grade = top)
define young "under 30 at the start" = age(person.born, appointment.start) < 30
define grade_now "the grade" = person.grade

article 1 "a"
  term 2 years from appointment.start
  require good or young
  prefer top_clue when young
  mandatory when expired and not good
  notice "young and good" when young and good
  notice "graded best" when grade_now = top
  conclusion clue_count "clues" equals valid_clues when person is known
"""

SPELT = HEAD + """
article 1 "a"
  term 2 years from appointment.start
  require (person.honest and (count of c in person.clues where (c.verified and c.on >= as_of before 1 year)) >= 2)
    or (age(person.born, appointment.start) < 30)
  prefer (any c in person.clues where (c.grade = top)) when (age(person.born, appointment.start) < 30)
  mandatory when expired and not (person.honest
    and (count of c in person.clues where (c.verified and c.on >= as_of before 1 year)) >= 2)
  notice "young and good" when (age(person.born, appointment.start) < 30)
    and (person.honest and (count of c in person.clues where (c.verified and c.on >= as_of before 1 year)) >= 2)
  notice "graded best" when person.grade = top
  conclusion clue_count "clues" equals count of c in person.clues where (c.verified and c.on >= as_of before 1 year)
    when person is known
"""


def _problems(text: str) -> list[str]:
    try:
        policy = sr.parse_policy(text, "t.rules")
    except sr.PolicyError as exc:
        return [f"{d.severity}: {d.message}" for d in exc.diagnostics]
    return [f"warning: {w.message}" for w in policy.warnings]


def test_the_twins_load_cleanly():
    assert _problems(DEFINED) == [] and _problems(SPELT) == []


WITH, WITHOUT = sr.parse_policy(DEFINED, "defined.rules"), sr.parse_policy(SPELT, "spelt.rules")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(testing.cases(WITH))
def test_a_definition_decides_as_its_expression_written_in_place(case):
    testing.assert_backends_agree(WITH, case)
    for backend in sr.policy.BACKENDS:
        # (meta differs: the two are written differently; the explanation names the definition)
        assert ({**WITH.evaluate_with(backend, case).to_dict(explanation=False), "meta": None}
                == {**WITHOUT.evaluate_with(backend, case).to_dict(explanation=False), "meta": None})


def test_tools_show_a_definition_by_name():
    rules = [r for p in WITH.compiled.checked.provisions for r in p.rules]
    described = [policytests.describe_rule(r) for r in rules]
    assert "requires good or young" in described
    assert "prefers top_clue when young" in described


@pytest.mark.parametrize("definitions, rule, message", [
    ('define a "a" = b\ndefine b "b" = a', "require a", "in a cycle: `a` → `b` → `a`"),
    ('define a "a" = a', "require a", "in a cycle: `a` → `a`"),
    ('define own "own" = c.verified', "require any c in person.clues where own",
     "unknown section `c` (a definition is closed"),
    ('define fair "fair" = person.honest', "require fair", "`fair` is a value of enum grade"),
    ('define person "p" = person.honest', "require person.honest", "`person` names a section of facts"),
    ('define a "a" = person.honest\ndefine a "again" = true', "require a", "`a` is defined twice"),
    ('define a "" = person.honest', "require a", "a definition needs a label"),
    ('define late "late" = expired', "require late",
     "`late` reads `expired` / `期满未续聘`, which cannot be used in a requirement"),
    # A ground may read `last day` (the term is decided first), not `dismissal day` (the status).
    ('define ended "ended" = dismissal day < as_of', "mandatory when ended",
     "`ended` reads `dismissal day` / `解聘之日`"),
    ('define n "n" = count of person.clues', "require n", "expected a condition (true/false), but this is number"),
    ('define g "g" = person', "require g is known", "would name a section of facts"),
])
def test_what_the_checker_refuses(definitions, rule, message):
    text = HEAD + definitions + '\narticle 1 "a"\n  term 2 years from appointment.start\n  ' + rule + "\n"
    problems = _problems(text)
    assert any(message in p for p in problems), problems


def test_an_unused_definition_is_a_warning_and_its_facts_count_as_used():
    text = HEAD + 'define spare "spare" = person.honest and person.grade = top\narticle 1 "a"\n' \
        "  require age(person.born, appointment.start) >= 18 and any c in person.clues where c.verified\n"
    assert _problems(text) == ["warning: definition `spare` is defined but no rule uses it"]


def test_definitions_of_values_compare_and_may_be_tested_for_knowledge():
    text = HEAD + ('define grade_now "grade" = person.grade\ndefine start "start" = appointment.start\n'
                   'article 1 "a"\n  require grade_now = top and start is known and person.honest\n'
                   '  notice "old" when start < 2000-01-01 and grade_now in {fair} and person.born is known\n'
                   '  notice "clues" when person.clues is empty\n')
    policy = sr.parse_policy(text, "t.rules")
    case = {"as_of": "2024-01-01", "person": {"grade": "fair", "honest": True, "born": "1980-01-01"},
            "appointment": {"start": "1999-01-01"}}
    testing.assert_backends_agree(policy, case)
    decision = policy.evaluate(case)
    assert str(decision.eligibility.result) == "ineligible"
    assert [n.message for n in decision.notices] == ["old", "clues"]


def test_a_definition_in_an_invariant_and_in_an_imported_file(tmp_path):
    (tmp_path / "vocabulary.rules").write_text(HEAD.split("\n", 3)[3] + 'define honest_ "honest" = person.honest\n',
                                              encoding="utf-8")
    (tmp_path / "p.rules").write_text(
        'policy p\n  title "p"\nimport "vocabulary.rules"\narticle 1 "a"\n  require honest_\n'
        '  notice "n" when person.grade = top and person.born is known and person.clues is empty\n'
        '  notice "m" when appointment.start is known\n'
        'invariant honest_is_eligible "honest" cites article 1 when honest_ then decision.eligibility = eligible\n',
        encoding="utf-8")
    policy = sr.load_policy(tmp_path / "p.rules")
    assert policy.warnings == ()
    assert str(policy.evaluate({"as_of": "2024-01-01", "person": {"honest": True}}).eligibility.result) == "eligible"


def test_a_long_chain_of_definitions_in_reverse_order_is_checked_without_deep_recursion():
    chain = [f'define d{i} "d" = not d{i - 1}' for i in range(1500, 0, -1)]
    text = HEAD + 'define d0 "d" = person.honest\n' + "\n".join(chain) + '\narticle 1 "a"\n  require d1500\n'
    problems = _problems(text)
    assert problems and all("levels deep" in p for p in problems)
    short = HEAD + 'define d0 "d" = person.honest\n' + "\n".join(chain[-60:]) + '\narticle 1 "a"\n  require d60\n'
    policy = sr.parse_policy(short, "t.rules")
    for honest in (True, False):
        testing.assert_backends_agree(policy, {"as_of": "2024-01-01", "person": {"honest": honest}})


def test_definitions_that_double_are_refused_before_they_are_written_out():
    doubling = [f'define d{i} "d" = d{i - 1} and d{i - 1}' for i in range(1, 40)]
    text = HEAD + 'define d0 "d" = person.honest\n' + "\n".join(doubling) + '\narticle 1 "a"\n  require d39\n'
    problems = _problems(text)
    assert any("nodes" in p and "at most 10,000 nodes" in p for p in problems)


# ------------------------------------------------------------------ also citing
def test_also_citing_names_existing_provisions_and_tools_say_so():
    text = HEAD + ('article 1 "a"\n  (1) "x"\n    require person.honest also citing article 1 paragraph 2\n'
                   '  paragraph 2 "y"\n    text only\n')
    policy = sr.parse_policy(text, "t.rules")
    rule = policy.compiled.checked.provisions[1].rules[0]
    assert policytests.describe_rule(rule) == "requires person.honest also citing article 1 paragraph 2"
    unmet = policy.evaluate({"as_of": "2024-01-01", "person": {"honest": False}}).eligibility.unmet
    assert [(c.ref, c.cite) for c in unmet] == [("1(1)", "第一条第（一）项"), ("1p2", "第一条第二款")]
    bad = text.replace("also citing article 1 paragraph 2", "also citing article 1 paragraph 3, article 2")
    problems = _problems(bad)
    assert any("article 1 paragraph 3 does not exist" in p for p in problems)
    assert any("article 2 does not exist" in p for p in problems)


# ------------------------------------------------------------------ missing facts of records left incomplete
def test_an_entry_leaving_out_a_field_a_rule_reads_makes_the_list_a_missing_fact():
    text = HEAD + ('article 1 "a"\n  term 2 years from appointment.start\n'
                   '  mandatory when any c in person.clues where (c.grade = top)\n'
                   '  conclusion graded "graded" for each c in person.clues where (c.grade = fair)\n'
                   '  notice "advisory only" when any c in person.clues where (c.grade = fair)\n'
                   '  require person.honest and person.born is known and person.grade is known\n')
    policy = sr.parse_policy(text, "t.rules")
    base = {"as_of": "2024-01-01", "appointment": {"start": "2023-06-01"},
            "person": {"honest": True, "born": "1990-01-01", "grade": "top"}}
    open_ = {**base, "person": {**base["person"], "clues": [{"on": "2023-07-01", "grade": "fair"},
                                                             {"on": "2023-08-01"}]}}
    decided = {**base, "person": {**base["person"], "clues": [{"on": "2023-07-01", "grade": "fair"}]}}
    for case in (open_, decided):
        testing.assert_backends_agree(policy, case)
    for backend in sr.policy.BACKENDS:
        decision = policy.evaluate_with(backend, open_)
        assert str(decision.status) == "unknown"  # the second clue could be top
        assert [(f.value, f.item) for f in decision.findings] == [(True, 0), (None, 1)]
        assert decision.missing_facts == ("person.clues",)
        assert policy.evaluate_with(backend, decided).missing_facts == ()
