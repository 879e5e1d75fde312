"""(d) The front-end fuzzer's policies, evaluated on every backend: any difference fails.

``scripts/fuzz_frontend.py`` generates rule texts from the grammar (with a share
built on a real policy's facts, so that names resolve) and mutates the shipped
policies. Each text that loads is a policy the backends must agree on: cases
drawn for it (``testing.sample_cases``, seeded from the example) are decided
by every backend and compared, explanation included. The default run keeps to a
modest budget; the ``slow`` tests search longer.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import PolicyError, testing
from supervisor_rules.testing import assert_backends_agree

ROOT = Path(__file__).resolve().parent.parent.parent
POLICIES = ROOT / "policies"
#: Seconds loading one text may take (real ones take milliseconds); a hang is the front end's
#: business (tests/test_fuzz_frontend.py), here such a text is skipped.
LIMIT = 10.0


def _load_script():
    name = "fuzz_frontend"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "fuzz_frontend.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ff = _load_script()
FUZZ = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))


def load(text: str):
    """The policy a text makes, or None where it does not load."""
    try:
        with ff.time_limit(LIMIT):
            return sr.parse_policy(text, "fuzz.rules", base_dir=POLICIES)
    except (PolicyError, ff.Hang):
        return None


def agree_on(policy, seed: int, count: int) -> None:
    for case in testing.sample_cases(policy, count, seed=seed):
        assert_backends_agree(policy, case)


def _grammar_texts(examples: int, cases: int) -> dict:
    seen = {"examples": 0, "loaded": 0}

    @settings(FUZZ, max_examples=examples)
    @given(ff.grammar_strategy(checked_share=True), st.integers(0, 2**16))
    def run(text, seed):
        seen["examples"] += 1
        policy = load(text)
        if policy is not None:
            seen["loaded"] += 1
            agree_on(policy, seed, cases)

    run()
    return seen


def _mutants(examples: int, cases: int, whole_file_share: float) -> dict:
    seen = {"examples": 0, "loaded": 0}

    @settings(FUZZ, max_examples=examples)
    @given(st.randoms(use_true_random=False), st.integers(0, 2**16))
    def run(rng, seed):
        seen["examples"] += 1
        policy = load(ff.mutant(rng, whole_file_share=whole_file_share))
        if policy is not None:
            seen["loaded"] += 1
            agree_on(policy, seed, cases)

    run()
    return seen


def test_backends_agree_on_policies_from_the_grammar():
    seen = _grammar_texts(examples=150, cases=20)
    assert seen["loaded"] >= 8, seen  # the generator must keep producing policies that load


def test_backends_agree_on_mutated_policies():
    seen = _mutants(examples=250, cases=20, whole_file_share=0.0)
    assert seen["loaded"] >= 20, seen


def test_backends_agree_on_mutated_whole_policies():
    seen = _mutants(examples=12, cases=40, whole_file_share=1.0)
    assert seen["loaded"] >= 1, seen


@pytest.mark.slow
def test_backends_agree_on_many_policies_from_the_grammar():
    seen = _grammar_texts(examples=500, cases=30)
    assert seen["loaded"] >= 25, seen


@pytest.mark.slow
def test_backends_agree_on_many_mutated_policies():
    seen = _mutants(examples=400, cases=30, whole_file_share=0.1)
    assert seen["loaded"] >= 50, seen
