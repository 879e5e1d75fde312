"""Reason trees written as generated code (``explain/generated.py``) against the walked ones
(``explain/reasons.Explainer``, every node visited): the same leaves, in the same order, for every
conclusion of sample and generated cases of four policies, ``corners.rules`` (every construct of the
language) among them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import supervisor_rules as sr
from supervisor_rules import testing
from supervisor_rules.explain.conclusions import conclusions
from supervisor_rules.explain.generated import MAX_NESTING, MAX_NODES, Writer, leaves, writable
from supervisor_rules.explain.reasons import Explainer, closures_of, plain, side_text
from supervisor_rules.lang import nodes as n

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {"wuhan": sr.builtin_policy("wuhan"), "guangxi": sr.builtin_policy("guangxi"),
            "lanjiang": sr.load_policy(ROOT / "examples" / "policies" / "lanjiang-2025.rules"),
            "corners": sr.load_policy(ROOT / "tests" / "conformance" / "corners.rules")}


def _trees(policy, case: dict, written: bool) -> list:
    decision = policy.evaluate(case)
    explained = decision._explained.explained()  # the facts the decision was made from
    x = Explainer(explained.compiled, explained.facts, explained.sections, decision, explained.calendar_source,
                  written=written)
    return [(r.conclusion, r.key, r.value, r.ref, r.because, r.not_fired) for r in conclusions(x)]


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_written_trees_are_the_walked_ones(name):
    policy = POLICIES[name]
    cases = testing.sample_cases(policy, 120, seed=5)
    for case in cases:
        assert _trees(policy, case, written=True) == _trees(policy, case, written=False), case
    # Not vacuous: the shipped policies' conditions are written, so the comparison compared something.
    written = [w for w in closures_of(policy._compiled).written.written.values() if w is not None]
    assert written, name


@pytest.mark.parametrize("name", ["wuhan", "corners"])
def test_written_trees_agree_on_generated_cases(name):
    policy = POLICIES[name]

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(testing.cases(policy))
    def check(case):
        assert _trees(policy, case, written=True) == _trees(policy, case, written=False)

    check()


def _conditions(policy):
    compiled = policy._compiled
    return [r.expr for field in ("requirements", "grounds", "recusals", "categories", "scopes", "duties")
            for r in getattr(compiled, field) if r.expr is not None]


def test_what_is_written_and_what_is_walked():
    conditions = _conditions(POLICIES["corners"])
    quantified = [e for e in conditions if any(isinstance(node, n.Quantifier) for node in n.walk(e))]
    assert quantified and not any(writable(e) for e in quantified)  # a quantifier's loop is walked
    plain_junctions = [e for e in _conditions(POLICIES["wuhan"]) if isinstance(e, (n.And, n.Or)) and writable(e)]
    assert plain_junctions
    writer = Writer(POLICIES["wuhan"]._compiled, plain, side_text)
    for e in plain_junctions:
        found = writer.of(e)
        assert found is not None and found.bound == leaves(e) >= 1


def test_large_and_deep_conditions_are_walked():
    fact = n.Path(("person", "honest"))
    wide = n.And(tuple(fact for _ in range(MAX_NODES + 1)))
    assert not writable(wide)
    deep: object = fact
    for _ in range(MAX_NESTING + 1):
        deep = n.Or((deep, fact))
    assert not writable(deep)
    shallow: object = fact
    for _ in range(MAX_NESTING - 1):
        shallow = n.Or((shallow, fact))
    assert writable(shallow)


def test_explanations_written_in_several_threads_are_the_sequential_ones():
    from concurrent.futures import ThreadPoolExecutor

    path = ROOT / "examples" / "policies" / "lanjiang-2025.rules"
    cases = testing.sample_cases(POLICIES["lanjiang"], 40, seed=9)
    sequential = [sr.load_policy(path).evaluate(case).to_dict() for case in cases]
    fresh = sr.load_policy(path)  # nothing written yet: the threads write its functions together
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: fresh.evaluate(case).to_dict(), cases * 3))
    assert results == sequential * 3
