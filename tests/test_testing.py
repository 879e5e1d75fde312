"""``supervisor_rules.testing``: the seeded sampler, and strategies whose draws depend on nothing else.

``sample_cases`` draws fixed lists of valid cases from a seed alone, without
Hypothesis; the strategies draw the same cases in a derandomised search however
many modules the process has imported (Hypothesis's pool of constants grows with
them, see the module's docstring).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import textwrap

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import testing

POLICIES = sr.builtin_policy_ids()


@pytest.mark.parametrize("policy_id", POLICIES)
def test_the_same_seed_gives_the_same_cases(policy_id):
    policy = sr.builtin_policy(policy_id)
    first = testing.sample_cases(policy, 200, seed=11)
    assert len(first) == 200
    assert testing.sample_cases(policy, 200, seed=11) == first
    # a longer list begins with the shorter one: each case is drawn in turn from the one generator
    assert testing.sample_cases(policy, 50, seed=11) == first[:50]


@pytest.mark.parametrize("policy_id", POLICIES)
def test_different_seeds_give_different_cases(policy_id):
    policy = sr.builtin_policy(policy_id)
    lists = [json.dumps(testing.sample_cases(policy, 20, seed=seed), sort_keys=True) for seed in range(5)]
    assert len(set(lists)) == len(lists)


def test_the_same_seed_gives_the_same_cases_in_another_process():
    """Nothing depends on string hashing (PYTHONHASHSEED) or on anything the process did before."""
    code = ("import json, supervisor_rules as sr; from supervisor_rules import testing; "
            "print(json.dumps(testing.sample_cases(sr.builtin_policy('wuhan'), 100, seed=4), sort_keys=True))")
    # The child imports the package this process imports (a PYTHONPATH checkout, not the installed one).
    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": hash_seed, **path}).stdout for hash_seed in ("1", "2")]
    assert runs[0] == runs[1]
    assert json.loads(runs[0]) == json.loads(json.dumps(testing.sample_cases(sr.builtin_policy("wuhan"), 100,
                                                                               seed=4), sort_keys=True))


def test_no_global_random_state_is_read_or_changed():
    policy = sr.builtin_policy("guangxi")
    random.seed(5)
    expected = random.random()
    random.seed(5)
    cases = testing.sample_cases(policy, 30, seed=1)
    assert random.random() == expected
    random.seed(99)
    assert testing.sample_cases(policy, 30, seed=1) == cases


@pytest.mark.parametrize("policy_id", POLICIES)
def test_every_sampled_case_is_valid(policy_id):
    policy = sr.builtin_policy(policy_id)
    schema = jsonschema.Draft202012Validator(policy.schema())
    for case in testing.sample_cases(policy, 1500, seed=3):
        assert json.loads(json.dumps(case)) == case  # plain JSON
        schema.validate(case)
        policy.evaluate(case)  # raises CaseError on an invalid case


def _unknown(case: dict, section: str, fact: str) -> bool:
    """Whether ``section.fact`` is not given in ``case`` (the section absent or null, the fact absent
    or null)."""
    return (case.get(section) or {}).get(fact) is None


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), policy_id=st.sampled_from(POLICIES))
def test_sampled_cases_hold_known_and_unknown_values(seed, policy_id):
    """Whatever the seed, a few hundred cases give every fact and leave every fact out, hold every
    value of every enum and both values of every bool, and leave out and give every section."""
    policy = sr.builtin_policy(policy_id)
    cases = testing.sample_cases(policy, 400, seed=seed)
    for section, facts in policy.facts.items():
        assert any(case.get(section) is not None for case in cases), section
        assert any(case.get(section) is None for case in cases), section
        for fact, kind in facts.items():
            assert any(not _unknown(case, section, fact) for case in cases), f"{section}.{fact} never given"
            assert any(_unknown(case, section, fact) for case in cases), f"{section}.{fact} always given"
            given_values = [case[section][fact] for case in cases if not _unknown(case, section, fact)]
            if kind == "bool":
                assert set(given_values) == {True, False}, f"{section}.{fact}"
            info = policy.sections[section].fields[fact]
            values = getattr(info.type, "values", None)
            if values is not None:
                assert set(given_values) == set(values), f"{section}.{fact}"


@pytest.mark.parametrize("policy_id", POLICIES)
def test_sampled_cases_hold_nulls_and_dates_on_term_boundaries(policy_id):
    policy = sr.builtin_policy(policy_id)
    cases = testing.sample_cases(policy, 1000, seed=8)
    text = [json.dumps(case) for case in cases]
    assert any(": null" in t for t in text)
    # as_of on the last day of a term, and on the day after it
    on_last_day = after_last_day = 0
    for case in cases:
        term = policy.evaluate(case).term
        if term is not None and term.last_day is not None:
            as_of = dt.date.fromisoformat(case["as_of"])
            on_last_day += as_of == term.last_day
            after_last_day += as_of == term.last_day + dt.timedelta(days=1)
    assert on_last_day >= 5 and after_last_day >= 5, (on_last_day, after_last_day)


@pytest.mark.parametrize("n, seed, error", [(-1, 0, ValueError), (1.5, 0, TypeError), (True, 0, TypeError),
                                            (3, "0", TypeError)])
def test_bad_arguments(n, seed, error):
    with pytest.raises(error):
        testing.sample_cases(sr.builtin_policy("wuhan"), n, seed=seed)
    assert testing.sample_cases(sr.builtin_policy("wuhan"), 0) == []


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          check=False)


def test_sample_cases_needs_no_hypothesis():
    run = _run("""
        import sys
        sys.modules["hypothesis"] = None  # as if not installed: importing it raises ImportError
        import supervisor_rules as sr
        from supervisor_rules import testing
        policy = sr.builtin_policy("guangxi")
        cases = testing.sample_cases(policy, 50, seed=2)
        for case in cases:
            policy.evaluate(case)
        calls = {"cases": lambda: testing.cases(policy), "section": lambda: testing.section(policy, "person"),
                 "values": lambda: testing.values(policy, "person.honest"), "dates": testing.dates}
        for name, call in calls.items():
            try:
                call()
            except ImportError as exc:
                assert "hypothesis" in str(exc) and "sample_cases" in str(exc), exc
            else:
                raise AssertionError(name + " did not say it needs hypothesis")
        print(len(cases))
    """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "50"


def test_derandomised_draws_do_not_depend_on_the_modules_imported():
    """Hypothesis may fill a choice with a constant from any local module imported so far; the
    strategies make no choice such a constant fits, so importing one changes none of their draws
    (it does change a plain wide ``st.integers``, which shows the constants were taken up)."""
    run = _run("""
        import json, pathlib, sys, tempfile
        from hypothesis import HealthCheck, Phase, find, settings, strategies as st
        from hypothesis.errors import NoSuchExample
        import supervisor_rules as sr
        from supervisor_rules import testing

        config = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                          phases=[Phase.generate], suppress_health_check=list(HealthCheck))

        def draws(strategy):
            seen = []
            try:
                find(strategy, lambda value: seen.append(value) and False, settings=config)
            except NoSuchExample:
                pass
            return json.dumps(seen, sort_keys=True, default=str)

        policies = [sr.builtin_policy(i) for i in sr.builtin_policy_ids()]
        strategies = [testing.cases(p) for p in policies] + [testing.dates(), testing.values(policies[0],
                      "appointment.recommended_by")]
        wide = st.integers(0, 10**6)
        before = [draws(s) for s in strategies], draws(wide)

        folder = tempfile.mkdtemp()
        # (under 1,024 of them: Hypothesis passes over a module with more)
        constants = list(range(100, 5000, 37)) + list(range(1990, 2050)) + [2**20, 2**20 - 1]
        words = ["其他", "other", "%", "*", "a", "市卫生健康委", "2024-02-29", "open"]
        pathlib.Path(folder, "lots_of_constants.py").write_text(
            "NUMBERS = " + repr(constants) + "\\nWORDS = " + repr(words) + "\\n", encoding="utf-8")
        sys.path.insert(0, folder)
        import lots_of_constants  # noqa: F401

        after = [draws(s) for s in strategies], draws(wide)
        assert after[1] != before[1], "the constants were not taken up: the test proves nothing"
        assert after[0] == before[0], "a strategy's draws changed with the modules imported"
        print("ok")
    """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
