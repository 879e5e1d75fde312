"""The generated fast path decides exactly as the interpreter does (codegen.py, case.py, decision.py).

``Policy.evaluate`` runs code generated per policy; ``runtime.interpret`` is the
rule-by-rule reference evaluation. They must give equal decisions, and the
generated traced variant (``explanation``, the batch) the same decision and the
same trace records, value for value and type for type — and the fast case
validation the same facts as the thorough one, and the batch's JSON writer the
same text as ``json.dumps`` of ``to_dict()`` — over a seeded workload with
boundary dates (``testing.sample_cases``), every fixture case, and Hypothesis
cases drawn from each policy's declarations.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import supervisor_rules as sr
from supervisor_rules.contracts import case as case_module
from supervisor_rules.engine import codegen, runtime
from supervisor_rules.questions import term as term_question
from supervisor_rules.dates import periods
from supervisor_rules import testing
from supervisor_rules.contracts.decision import JsonWriter

FIXTURES = Path(__file__).parent / "fixtures" / "decisions"
CITIES = ("wuhan", "guangxi")


def seeded_cases(city: str, count: int, seed: int) -> list[dict]:
    """Cases of every section, facts missing or null, dates on and around the term boundaries."""
    return testing.sample_cases(sr.builtin_policy(city), count, seed=seed)


def fixture_cases(city: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))["case"] for p in sorted((FIXTURES / city).glob("*.json"))]


def assert_same(policy, case) -> None:
    """The fast path and the interpreter agree on ``case`` (the traced path on the trace too), and so
    do the two validations."""
    sections, defaults = policy._sections, policy._defaults
    fast = case_module.validate(sections, case, None, defaults)
    assert fast == case_module._validate(sections, case, None, defaults), case
    facts, present, as_of = fast
    calendar = lambda: policy.calendar  # noqa: E731
    generated = runtime.evaluate(policy._compiled, facts, present, as_of, calendar)
    trace: list = []
    reference = runtime.interpret(policy._compiled, facts, present, as_of, calendar, trace)
    assert generated == reference, case
    traced, records = runtime.evaluate_traced(policy._compiled, facts, present, as_of, calendar)
    assert traced == reference, case
    assert_same_records(records, trace, case)


def assert_same_records(records: list, reference: list, case) -> None:
    """Equal trace records, down to the types of their values (True is not 1, a list not a tuple)."""
    assert len(records) == len(reference), case
    for got, want in zip(records, reference):
        assert got[0] is want[0], (case, got, want)  # the same site
        assert _typed(got[1:]) == _typed(want[1:]), (case, got, want)


def _typed(value):
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_typed(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _typed(v)) for k, v in value.items()))
    return (type(value), value)


@pytest.mark.parametrize("city", CITIES)
def test_shipped_policies_are_generated(city):
    policy = sr.builtin_policy(city)
    assert runtime.fast_path(policy._compiled) is not None
    assert case_module.fast_validator(policy._sections) is not None


@pytest.mark.parametrize("city", CITIES)
def test_generated_code_agrees_with_the_interpreter_on_a_seeded_workload(city):
    policy = sr.builtin_policy(city)
    for case in seeded_cases(city, 1500, seed=7) + fixture_cases(city):
        assert_same(policy, case)


@pytest.mark.parametrize("city", CITIES)
def test_generated_code_agrees_with_the_interpreter_on_drawn_cases(city):
    policy = sr.builtin_policy(city)

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(testing.cases(policy))
    def check(case):
        assert_same(policy, case)
    check()


@pytest.mark.parametrize("city", CITIES)
def test_json_writer_writes_what_json_dumps_writes(city):
    policy = sr.builtin_policy(city)
    calendar = lambda: policy.calendar  # noqa: E731
    for ensure_ascii in (False, True):
        writer = JsonWriter(ensure_ascii)
        encoding = "ascii" if ensure_ascii else "utf-8"
        for case in seeded_cases(city, 300, seed=11) + fixture_cases(city):
            decision = policy.evaluate(case)
            expected = json.dumps(decision.to_dict(), ensure_ascii=ensure_ascii, separators=(",", ":"))
            assert writer.decision(decision) == expected
            assert writer.decision(decision) == expected  # and again, from what it remembered
            # As the batch writes it: bytes, from a decision of the fast path that the policy stamps.
            facts, present, as_of = policy.read_case(case)
            for _ in range(2):
                fast = runtime.evaluate(policy.compiled, facts, present, as_of, calendar)
                policy.stamp(fast, facts, present, as_of)
                assert writer.decision_bytes(fast) == expected.encode(encoding)


def test_explanation_is_built_from_the_records():
    """``explanation`` holds the Steps the records stand for: each rule's citation and kind, its outcome
    (a prohibition's as a list) and the facts it shows, by name, in order."""
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2024-03-01", "person": {"honest": True},
            "appointment": {"start": "2020-02-29", "renewals": [{"on": "2023-02-28"}]},
            "conduct": {"violations": ["leaked_secrets"]}}
    decision = policy.evaluate(case)
    facts, present, as_of = case_module.validate(policy._sections, case, None, policy._defaults)
    _, records = runtime.evaluate_traced(policy._compiled, facts, present, as_of, lambda: policy.calendar)
    steps = decision.trace
    assert len(steps) == len(records)
    for step, record in zip(steps, records):
        site = record[0]
        assert (step.citation, step.rule) == (site.citation, site.rule)
        assert list(step.facts) == list(site.keys)
        assert list(step.facts.values()) == list(record[2:])
    renewal = next(s for s in steps if s.rule == "renewal")
    assert list(renewal.facts)[0] == "appointment.renewals[].on"
    assert renewal.facts["appointment.renewals[].on"] == dt.date(2023, 2, 28)
    leaked = [s for s in steps if s.rule == "prohibit" and s.outcome]
    assert [s.outcome for s in leaked] == [["leaked_secrets"]]
    status = [s for s in steps if s.rule == "status"]
    assert [(s.citation, s.outcome, s.facts) for s in status] == [(None, str(decision.status), {})]
    assert type(status[0].outcome) is str


def test_json_writer_escapes_lone_surrogates():
    """JSON may carry a lone surrogate (``"\\ud800"``), which UTF-8 cannot: it is written as its escape."""
    policy = sr.builtin_policy("wuhan")
    case = {"as_of": "2024-01-01", "appointment": {"method": "directed", "start": "2020-01-01",
                                                   "recommended_by": "\ud800x"}}
    decision = policy.evaluate(case)
    for ensure_ascii in (False, True):
        text = JsonWriter(ensure_ascii).decision_bytes(decision)
        assert json.loads(text) == json.loads(json.dumps(decision.to_dict()))


def test_fast_validation_declines_what_it_does_not_accept():
    """Anything unusual takes the thorough path, which then explains (or accepts) it."""
    policy = sr.builtin_policy("wuhan")
    sections, defaults = policy._sections, policy._defaults
    unusual = [
        {"as_of": "2024-01-01", "person": {"honest": "yes"}},
        {"as_of": "2024-01-01", "person": {"honestt": True}},
        {"as_of": "2024-13-01"},
        {"as_of": dt.date(2024, 1, 1)},
        {"person": {}},
        {"as_of": "2024-01-01", "appointment": {"start": "2020-02-30"}},
        {"as_of": "2024-01-01", "appointment": {"renewals": [{"on": "2021-01-01", "extra": 1}]}},
        {"as_of": "2024-01-01", "appointment": {"renewals": [{}]}},
        {"as_of": "2024-01-01", "person": {"professional_background": ["law", "cooking"]}},
        {"as_of": "2024-01-01", "nonsense": {}},
        {"as_of": "2024-01-01", "person": []},
        {"as_of": "1899-12-31"},
    ]
    check = case_module.fast_validator(sections)
    assert check is not None
    for case in unusual:
        assert check(case, None, defaults) is None, case
        try:
            expected = case_module._validate(sections, case, None, defaults)
        except sr.CaseError as exc:
            with pytest.raises(sr.CaseError) as info:
                case_module.validate(sections, case, None, defaults)
            assert info.value.problems == exc.problems
        else:
            assert case_module.validate(sections, case, None, defaults) == expected


def test_term_index_by_month_arithmetic_matches_its_definition():
    rng = random.Random(3)
    for _ in range(20000):
        start = rng.choice([dt.date(2020, 2, 29), dt.date(2019, 1, 31), dt.date(2021, 8, 30)]) \
            if rng.random() < 0.3 else dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(40000))
        step = rng.choice((1, 6, 12, 24, 36, 120, rng.randrange(1, 400)))
        on = start + dt.timedelta(days=rng.choice((0, 1, 28, 29, 30, 31, rng.randrange(20000))))
        k = max(((on.year - start.year) * 12 + on.month - start.month) // step - 1, 0)
        while periods.add_months(start, step * (k + 1)) < on:
            k += 1
        assert term_question.index_of(start, step, on) == k, (start, step, on)
        assert term_question.add_months(start, step) == periods.add_months(start, step)


def test_a_policy_the_generator_declines_is_interpreted(monkeypatch):
    """A construct the generator does not translate (say, a newer language feature) falls back."""
    text = (Path(__file__).parent.parent / "policies" / "guangxi.rules").read_text(encoding="utf-8")
    policy = sr.parse_policy(text, "declined.rules", base_dir=Path(__file__).parent.parent / "policies")

    def unsupported(self, e):
        raise codegen.Unsupported("Member")
    monkeypatch.setattr(codegen._Generator, "x_Member", unsupported)
    assert runtime.fast_path(policy._compiled) is None
    for case in seeded_cases("guangxi", 200, seed=5):
        assert_same(policy, case)


def test_very_large_policies_are_interpreted(monkeypatch):
    monkeypatch.setattr(codegen, "MAX_RULES", 3)
    text = (Path(__file__).parent.parent / "policies" / "wuhan.rules").read_text(encoding="utf-8")
    policy = sr.parse_policy(text, "large.rules", base_dir=Path(__file__).parent.parent / "policies")
    assert runtime.fast_path(policy._compiled) is None
    for case in seeded_cases("wuhan", 100, seed=9):
        assert_same(policy, case)


def test_deep_nesting_is_decided_either_way():
    """Nesting the language allows (up to 100 levels, parentheses counted) may be deeper than Python's
    parser takes in the generated source; then the interpreter decides. Either way, the same decision."""
    # Levels each wrapping adds: `not` and its parentheses; or/and and two pairs of parentheses.
    for inner, levels in (("not ({})", 2), ("(p.b or ({}))", 3), ("(({}) and p.b)", 3)):
        expr = "p.a"
        for _ in range(99 // levels):
            expr = inner.format(expr)
        text = f'policy deep\nfacts p {{ a: bool "a"  b: bool "b" }}\narticle 1 "x"\n  require {expr}\n'
        policy = sr.parse_policy(text, "deep.rules")
        for a in (True, False, None):
            for b in (True, False, None):
                given = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
                assert_same(policy, {"as_of": "2024-01-01", "p": given})
