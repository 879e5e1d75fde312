"""Fuzzing the front end: whatever the text, loading either succeeds or raises a positioned ``PolicyError``.

Two generators, each with a modest budget here (``scripts/fuzz_frontend.py``
runs 100,000+ examples; see docs/fuzzing.md):

* texts derived from ``grammars/policy.lark`` by Hypothesis ``from_lark``, with
  explicit strategies for keywords and names so that most of them parse (and,
  with names of real facts, many get through the checker);
* the shipped policies with Hypothesis-drawn mutations (tokens deleted,
  duplicated, swapped, replaced by the other language's keyword; random
  characters; lines deleted, duplicated, swapped, moved; truncation).

Never another exception, never a diagnostic without ``LINE:COL``, never a hang.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import PolicyError
from supervisor_rules.lang import keywords, parser

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SOURCE = "fuzz.rules"
#: Seconds one example may take before it counts as a hang (real ones take milliseconds).
LIMIT = 10.0


def _load_script():
    spec = importlib.util.spec_from_file_location("fuzz_frontend", ROOT / "scripts" / "fuzz_frontend.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_frontend", module)
    spec.loader.exec_module(module)
    return module


ff = _load_script()

FUZZ = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def assert_positioned(exc: PolicyError) -> None:
    assert exc.diagnostics, "a PolicyError carries its diagnostics"
    text = str(exc)
    for d in exc.diagnostics:
        assert d.line >= 1 and d.column >= 1, d
        assert f"{d.source}:{d.line}:{d.column}:" in text, (d, text)


def front_end(text: str) -> tuple[bool, bool]:
    """(parsed, loaded): the parser alone, then parse + check + compile; only PolicyError may escape.

    ``sr.parse_policy`` starts with the very same ``parser.parse_module`` call, so
    on a text that does not parse it would only raise the same error again: it
    is skipped there to keep the budget for more examples.
    """
    with ff.time_limit(LIMIT):
        try:
            parser.parse_module(text, SOURCE)
        except PolicyError as exc:
            assert_positioned(exc)
            return False, False
        try:
            sr.parse_policy(text, SOURCE, base_dir=POLICIES)
        except PolicyError as exc:
            assert_positioned(exc)
            return True, False
    return True, True


def test_texts_from_the_grammar_load_or_raise_a_positioned_policy_error():
    seen = {"examples": 0, "parsed": 0, "loaded": 0}

    # Whole files from the grammar; the script also generates articles after a real
    # policy's facts (checked_share), which costs twice as much for few more loads.
    @FUZZ
    @given(ff.grammar_strategy(checked_share=False))
    def run(text):
        parsed, loaded = front_end(text)
        seen["examples"] += 1
        seen["parsed"] += parsed
        seen["loaded"] += loaded

    run()
    assert seen["examples"] >= 100, seen
    # The explicit terminal strategies keep the generator useful: most texts parse,
    # and names of real facts let a good share through the checker too.
    assert seen["parsed"] >= 0.3 * seen["examples"], seen
    assert seen["loaded"] >= 0.05 * seen["examples"], seen


def test_mutated_real_policies_load_or_raise_a_positioned_policy_error():
    seen = {"examples": 0, "loaded": 0, "errors": 0}

    # Hypothesis drives every choice of the mutator (which articles, which tokens,
    # which mutation), so a failure shrinks to a small window and a single change.
    @FUZZ
    @given(st.randoms(use_true_random=False))
    def run(rng):
        text = ff.mutant(rng, whole_file_share=0.0)  # windows: whole files have their own test
        _, loaded = front_end(text)
        seen["examples"] += 1
        seen["loaded" if loaded else "errors"] += 1

    run()
    assert seen["examples"] >= 100, seen
    # Mutations must bite, but not all of them: some mutants still load (a keyword
    # swapped for its other-language spelling, a duplicated blank line, …).
    assert seen["errors"] >= 0.5 * seen["examples"], seen
    assert seen["loaded"] >= 1, seen


@settings(FUZZ, max_examples=12)
@given(st.randoms(use_true_random=False))
def test_mutated_whole_policies_load_or_raise_a_positioned_policy_error(rng):
    front_end(ff.mutant(rng, whole_file_share=1.0))


@pytest.mark.parametrize("name", ff.SOURCES)
def test_the_mutated_policies_load_unmutated(name):
    """The corpus is sound: each shipped policy loads, and its windows (prefix + one article) do too."""
    text = (POLICIES / name).read_text(encoding="utf-8")
    sr.parse_policy(text, name, base_dir=POLICIES)
    policy = next(p for p in ff.corpus() if p.name == name)
    assert "".join(piece.text for piece in policy.pieces) == text
    for piece in policy.pieces[1:4]:
        window = "".join(g + t for g, (_, t) in zip(piece.gaps, [*piece.tokens, ("", "")]))
        assert window == piece.text
        sr.parse_policy(policy.prefix + piece.text, name, base_dir=POLICIES)


def test_keyword_swaps_cover_both_languages():
    spellings = ff.keyword_spellings()
    assert ff._other_language("WHEN", "when") == ["当"]
    assert "when" in ff._other_language("WHEN", "当")
    assert len(spellings) > 50
    # From the keyword table: every spelling, English units too; punctuation only where tokens are placed.
    assert {s for v in spellings.values() for s in v} == set(keywords.spellings())
    assert "years" in spellings["UNIT"] and ff.fixed_spellings()["LBRACE"] == ["{"]


def test_the_fuzz_entry_reports_and_exits_zero(capsys, tmp_path):
    status = ff.main(["--examples", "40", "--from-lark", "2", "--workers", "1", "--seed", "3",
                      "--save", str(tmp_path / "failures")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "examples run:            40 (from_lark 2, mutated 38)" in out
    assert "unexpected exceptions:   0" in out
    assert "hangs" in out and "examples/s" in out
    assert not (tmp_path / "failures").exists()


def test_a_hang_is_reported_not_waited_for():
    import time

    start = time.perf_counter()
    with pytest.raises(ff.Hang):
        with ff.time_limit(0.05):
            while time.perf_counter() - start < 5:  # burns CPU, as a runaway loop would
                pass
    assert time.perf_counter() - start < 4


def test_failures_are_told_apart_by_exception_and_engine_frame():
    detail = ('Traceback (most recent call last):\n  File "/x/src/supervisor_rules/checker.py", line 12, in _f\n'
              '    x[1]\nIndexError: tuple index out of range\n')
    assert ff.signature("unexpected", detail) == "IndexError: tuple index out of range at checker.py:12 in _f"
    tally = ff.Tally(keep=1)
    for n in range(3):
        tally.add("mutation", f"text {n}", ff.Outcome("unexpected", detail.replace("12", str(12 + n % 2))))
    assert tally.counts["unexpected"] == 3 and len(tally.signatures) == 2
    assert [f[3] for f in tally.failures] == ["text 0", "text 1"]  # the first, and the first of the other
