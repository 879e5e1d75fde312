"""``Policy.evaluate(case, only=…)`` (INTERFACE.md v2): just the questions asked, answered by code made for
them and what they read, the others None and left out of ``to_dict()``. Every backend gives the same; each
asked field is the whole decision's; a bad name is a ``ValueError`` naming the valid ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import questions, testing
from supervisor_rules.engine import runtime
from supervisor_rules.contracts.decision_schema import ALWAYS
from supervisor_rules.explain.conclusions import FIELD_OF

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {"wuhan": sr.builtin_policy("wuhan"), "guangxi": sr.builtin_policy("guangxi"),
            "lanjiang": sr.load_policy(ROOT / "examples" / "policies" / "lanjiang-2025.rules"),
            "corners": sr.load_policy(ROOT / "tests" / "conformance" / "corners.rules")}
FIELDS = tuple(questions.ONLY)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BARE = {"explanation": False, "open_questions": False}


def test_the_names_are_the_contracts():
    # INTERFACE.md v2's nine, and the policy's own conclusions.
    assert set(FIELDS) == {"eligibility", "term", "status", "grounds", "recusal", "obligations", "violations",
                           "report", "notices", "findings"}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_single_question_has_generated_code(name):
    # questions.needed must name every question whose answer the kept code reads: otherwise codegen
    # declines (a name read but not decided) and the interpreter serves the request.
    compiled = POLICIES[name].compiled
    for field in FIELDS:
        assert runtime.only_path(compiled, (field,)) is not None, field
    assert runtime.only_path(compiled, ("eligibility", "grounds")) is not None


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_asked_fields_are_the_whole_decisions_and_backends_agree(name):
    policy = POLICIES[name]

    @SETTINGS
    @given(testing.cases(policy), st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3))
    def check(case, asked):
        whole = policy.evaluate(case)
        part = policy.evaluate(case, only=asked)
        fields = tuple(f for f in FIELDS if f in asked)
        assert part.only == fields
        for field in FIELDS:
            assert getattr(part, field) == (getattr(whole, field) if field in asked else None), field
        # what the kept questions lack, no more than the whole decision lacks
        assert set(part.missing_facts) <= set(whole.missing_facts)
        out = part.to_dict(**BARE)
        assert set(out) == {*ALWAYS, *fields}
        for backend in ("interpreter", "reference"):
            other = policy.evaluate_with(backend, case, only=asked)
            assert other.to_dict(**BARE) == out, backend
            assert other.trace == part.trace, backend
        assert policy.evaluate(case, only=FIELDS).only is None  # all of them: the whole decision

    check()


@pytest.mark.parametrize("name", ["wuhan", "guangxi"])
def test_the_explanation_is_the_whole_ones_cut_to_the_fields_asked(name):
    policy = POLICIES[name]

    @settings(SETTINGS, max_examples=15)
    @given(testing.cases(policy), st.sampled_from(FIELDS))
    def check(case, field):
        whole = policy.evaluate(case)
        part = policy.evaluate(case, only=(field,))
        assert part.explanation == tuple(r for r in whole.explanation if FIELD_OF[r.conclusion] == field)
        assert part.open_questions == tuple(q for q in whole.open_questions
                                            if FIELD_OF[q["question"]] == field) or part.missing_facts == ()
        jsonschema.validate(json.loads(json.dumps(part.to_dict())), policy.decision_schema())
        part.to_text(explain=True)  # every language's text copes with the fields left out
        part.to_text(explain=True, lang="en")

    check()


def test_a_question_reads_what_it_needs():
    # the status reads the term's end; a duty arising on dismissal reads the status (wuhan 第十一条第二款)
    wuhan = POLICIES["wuhan"]
    provisions = wuhan.compiled.checked.provisions
    assert questions.needed(provisions, ("status",)) == {"term", "status"}
    assert questions.needed(provisions, ("grounds",)) == {"term", "status"}
    assert questions.needed(provisions, ("eligibility",)) == {"eligibility"}
    assert {"status", "term", "obligations"} <= questions.needed(provisions, ("obligations",))
    assert "obligations" in questions.needed(provisions, ("notices",))  # a deadline's calendar notice


def test_bad_names_are_value_errors_naming_the_valid_ones():
    wuhan = POLICIES["wuhan"]
    case = {"as_of": "2024-01-01"}
    with pytest.raises(ValueError, match=r"'statu' \(did you mean status\?\); the questions are eligibility"):
        wuhan.evaluate(case, only=("statu",))
    with pytest.raises(ValueError, match="collection of question names"):
        wuhan.evaluate(case, only="status")
    with pytest.raises(ValueError, match="names no question"):
        wuhan.evaluate(case, only=())
    with pytest.raises(ValueError, match="unknown question"):
        wuhan.evaluate(case, only=(3,))
    with pytest.raises(ValueError, match="unknown question"):  # refused at the call, not on the first case
        wuhan.evaluate_many([case], only=("nope",))


def test_evaluate_many_and_families_take_only():
    wuhan = POLICIES["wuhan"]
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples/cases/wuhan").glob("*.json"))]
    cases = [c.get("case", c) for c in cases]
    many = list(wuhan.evaluate_many(cases, only=["status", "eligibility"]))
    assert [d.status for d in many] == [wuhan.evaluate(c).status for c in cases]
    assert all(d.term is None and d.only == ("eligibility", "status") for d in many)
    family = sr.load_family(ROOT / "examples" / "policies" / "lanjiang.family")

    @SETTINGS
    @given(testing.cases(family.versions[-1]))  # a case of the latest version; the family picks by as_of
    def check(case):
        try:
            whole = family.evaluate(case)
        except sr.CaseError:  # a section of the latest version that the one in force on as_of lacks
            assume(False)
        part = family.evaluate(case, only=("status", "notices"))
        assert (part.status, part.notices) == (whole.status, whole.notices)
        assert family.evaluate(case, only=("status",)).notices is None

    check()
