"""The fused evaluator (issue 16, item 2): ``Policy.evaluate`` runs code generated for the policy (and the
fields asked) that checks the raw case as it reads it and decides from what it read, in one pass. It must
give the decision the two-pass path gives (``read_case`` then the generated function) and the interpreter
gives, the same explanation, and for anything it does not accept leave the case to the thorough validator:
an invalid case is rejected with exactly the problems ``case.validate`` lists."""

from __future__ import annotations

import copy
import datetime as dt
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import testing
from supervisor_rules.contracts import case as case_module
from supervisor_rules.engine import codegen, runtime
from supervisor_rules.errors import CaseError
from supervisor_rules.policy import asked_fields

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {"wuhan": sr.builtin_policy("wuhan"), "guangxi": sr.builtin_policy("guangxi"),
            "lanjiang": sr.load_policy(ROOT / "examples" / "policies" / "lanjiang-2025.rules"),
            "corners": sr.load_policy(ROOT / "tests" / "conformance" / "corners.rules")}
ONLY = [None, ("eligibility", "term", "status", "grounds"), ("eligibility", "grounds"), ("obligations",),
        ("report", "notices"), ("recusal", "violations", "findings"), ("term",)]
FUSED = ("decide", ("case", "as_of", "calendar_source"))
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def two_pass(policy, case, only=None):
    """The path ``evaluate`` took before: validate and flatten (``read_case``), then decide from the facts."""
    facts, sections, day = policy.read_case(case)
    return runtime.evaluate(policy.compiled, facts, sections, day, lambda: policy.calendar, None,
                            asked_fields(only))


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_fused_code_exists_and_passes_the_safety_checks(name):
    compiled = POLICIES[name].compiled
    for only in ONLY:
        fields = asked_fields(only)
        source, namespace = codegen.source_of(compiled, only=fields, fused=True)
        codegen.verify(source, namespace, *FUSED)
        codegen.verify_code(compile(source, "<x>", "exec"), namespace, "decide")
        assert runtime.fused_path(compiled, fields) is not None
    with pytest.raises(codegen.UnsafeSource):  # it is held to the same rules: no builtin reachable
        codegen.verify(source, {**namespace, "__builtins__": __builtins__}, *FUSED)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_sample_cases_decide_alike_on_every_path(name):
    policy = POLICIES[name]
    compiled = policy.compiled
    for number, case in enumerate(testing.sample_cases(policy, 150, seed=16)):
        facts, sections, day = policy.read_case(case)
        # The fused code accepts every plain valid case, and what it read is what validation gives.
        read = runtime.fused_path(compiled)(case, None, lambda: policy.calendar)
        assert read is not None, number
        assert (runtime.fused_facts(compiled, read[3]), read[1], read[2]) == (facts, sections, day), number
        for only in ONLY:
            decision = policy.evaluate(case, only=only)
            assert decision == two_pass(policy, case, only), (number, only)
            assert decision == policy.evaluate_with("interpreter", case, only=only), (number, only)
            assert decision.only == asked_fields(only)
            assert decision.meta == policy.meta


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_explanation_is_the_interpreters(name):
    policy = POLICIES[name]
    for case in testing.sample_cases(policy, 12, seed=5):
        for only in (None, ("eligibility", "grounds")):
            fused = policy.evaluate(case, only=only)
            reference = policy.evaluate_with("interpreter", case, only=only)
            assert fused.to_dict() == reference.to_dict()
            assert fused.trace == reference.trace


def test_a_case_changed_after_evaluate_changes_no_explanation():
    # The explanation is made later, from the values the fused code read then (lists copied as tuples):
    # not from the caller's dict as it is by then.
    policy = POLICIES["wuhan"]
    for case in testing.sample_cases(policy, 20, seed=3):
        kept = copy.deepcopy(case)
        decision = policy.evaluate(case)
        for section in case.values():
            if isinstance(section, dict):
                for key, value in section.items():
                    if isinstance(value, list):
                        value.clear()
                section.clear()
        assert decision.to_dict() == policy.evaluate_with("interpreter", kept).to_dict()


def test_unusual_but_valid_cases_take_the_thorough_path():
    policy = POLICIES["wuhan"]
    case = testing.sample_cases(policy, 40, seed=9)
    case = next(c for c in case if isinstance(c.get("appointment"), dict) and c["appointment"].get("start"))
    expected = policy.evaluate_with("interpreter", case)
    # A date object, a read-only mapping for a section, for the case: the fused code declines, the
    # thorough validator accepts them, and the decision is the same.
    variants = [{**case, "appointment": {**case["appointment"],
                                         "start": dt.date.fromisoformat(case["appointment"]["start"])}},
                {**case, "appointment": types.MappingProxyType(case["appointment"])},
                types.MappingProxyType(case)]
    fused = runtime.fused_path(policy.compiled)
    for variant in variants:
        assert fused(variant, None, lambda: policy.calendar) is None
        assert policy.evaluate(variant) == expected
    # as_of given apart, as text: the case's own (here garbage) is not read, as before
    day = case["as_of"]
    assert policy.evaluate({**case, "as_of": "not a date"}, as_of=day) == expected
    with pytest.raises(CaseError) as caught:
        policy.evaluate(case, as_of="2024-02-30")
    assert [p.path for p in caught.value.problems] == ["as_of"]


# ------------------------------------------------------------------ valid and invalid cases at random
BAD_VALUES = [None, True, False, 0, 1.5, float("nan"), 10**16, "", "x", "2024-02-30", "2024-1-1", "1899-12-31",
              "3000-01-01", [], [True], ["x"], [{"on": "2024-01-01"}], {}, {"x": 1}, dt.date(2024, 1, 1),
              dt.datetime(2024, 1, 1), ("t",)]


@st.composite
def spoiled(draw, policy):
    """A valid case, then perhaps a few changes that may make it invalid: a fact set to a value of any
    kind, an unknown fact or section, a section that is not an object, ``as_of`` changed or removed."""
    case = copy.deepcopy(draw(testing.cases(policy)))
    sections = list(policy.sections)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["fact", "fact", "fact", "unknown_fact", "unknown_section", "section",
                                     "as_of"]))
        name = draw(st.sampled_from(sections))
        if kind == "fact":
            fields = list(policy.sections[name].fields)
            if fields:
                section = case.get(name)
                section = dict(section) if isinstance(section, dict) else {}
                section[draw(st.sampled_from(fields))] = draw(st.sampled_from(BAD_VALUES))
                case[name] = section
        elif kind == "unknown_fact":
            section = case.get(name)
            case[name] = {**(section if isinstance(section, dict) else {}), "no_such_fact": True}
        elif kind == "unknown_section":
            case["no_such_section"] = {}
        elif kind == "section":
            case[name] = draw(st.sampled_from([None, [], "x", 1, {}]))
        elif draw(st.booleans()):
            case.pop("as_of", None)
        else:
            case["as_of"] = draw(st.sampled_from(BAD_VALUES))
    return case


def outcome(evaluate, case):
    try:
        return "decision", evaluate(case)
    except CaseError as error:
        return "error", error.problems


@pytest.mark.parametrize("name", ["wuhan", "guangxi", "corners"])
def test_random_cases_give_the_same_decision_or_the_same_problems(name):
    policy = POLICIES[name]

    @SETTINGS
    @given(spoiled(policy), st.sampled_from(ONLY))
    def check(case, only):
        fused = outcome(lambda c: policy.evaluate(c, only=only), case)
        assert fused == outcome(lambda c: two_pass(policy, c, only), case)
        if fused[0] == "error":  # every problem, as the thorough validator lists them
            with pytest.raises(CaseError) as caught:
                case_module._validate(policy.sections, case, None, None)
            assert caught.value.problems == fused[1]
        else:
            assert fused[1] == policy.evaluate_with("interpreter", case, only=only)
    check()


# ------------------------------------------------------------------ constructs the shipped policies lack
MANY_SECTIONS = """
policy many
  title "many"

facts s0 "s0" {
  a: bool "a"
  n: number "n"
}
""" + "".join(f"""
facts s{i} "s{i}" {{
  a: bool "a"
}}
""" for i in range(1, 10)) + """
article 1 "one"
  (1) "a"
    require s0.a and s9.a and s0.n > 2
"""


def test_more_sections_than_the_mask_takes_and_numbers():
    policy = sr.parse_policy(MANY_SECTIONS, "many.rules")
    assert len(policy.sections) > codegen._MASKED_SECTIONS
    assert runtime.fused_path(policy.compiled) is not None
    cases = [{"as_of": "2024-01-01", "s0": {"a": True, "n": 3}, "s9": {"a": True}},
             {"as_of": "2024-01-01", "s0": {"a": True, "n": 2.5}, "s9": {"a": None}, "s4": {}},
             {"as_of": "2024-01-01", "s0": {"n": 10**15}},
             {"as_of": "2024-01-01"}]
    for case in cases:
        assert runtime.fused_path(policy.compiled)(case, None, lambda: policy.calendar) is not None
        decision = policy.evaluate(case)
        assert decision == policy.evaluate_with("interpreter", case)
        assert decision.missing_facts == policy.evaluate_with("reference", case).missing_facts
    for bad in ({"as_of": "2024-01-01", "s0": {"n": True}}, {"as_of": "2024-01-01", "s0": {"n": float("inf")}},
                {"as_of": "2024-01-01", "s0": {"n": 10**15 + 1}}):
        assert outcome(policy.evaluate, bad) == outcome(lambda c: two_pass(policy, c), bad)
        assert outcome(policy.evaluate, bad)[0] == "error"
