"""A slice of the edge fuzzer (``scripts/fuzz_edges.py``) in the suite.

The script feeds every entry point hostile input (Python API, CLI commands, rule
files, test files, case files, batch lines, calendar data) and counts how each
input ended. The full campaign (100,000 inputs, reported in docs/fuzzing.md) is
run by hand; here a fixed slice of every family runs on each test run, a larger
one behind the ``slow`` marker, and the harness itself is shown to catch a
traceback and a hang, so the slice cannot pass by catching nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import supervisor_rules as sr

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    name = "fuzz_edges"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "fuzz_edges.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fe = _load_script()


def _failures(report: dict) -> list:
    out = list(report["crashes"])
    for family in report["families"].values():
        out.extend(f"{f['kind']} {f['signature']}\n  rerun: {f['rerun']}\n{f['detail']}" for f in family["failures"])
    return out


def _assert_clean(report: dict, count: int) -> None:
    inputs, tracebacks, hangs = fe.totals(report)
    assert inputs == count
    assert (tracebacks, hangs) == (0, 0), "\n\n".join(_failures(report))
    for name, family in report["families"].items():
        assert family["inputs"] >= 1 and family["ok"] == family["inputs"], name


#: CPU seconds an input may take here (wall: three times that). Inputs of 64 KiB and more run under
#: tracemalloc, which slows them several times over; on a busy machine the script's default of 10 s
#: caught a 235 KB parse that takes 2 s on its own. A real hang still ends the test in bounded time.
SLICE_LIMIT = 40.0


def test_a_slice_of_every_family_ends_in_a_documented_way():
    report = fe.run_campaign(450, seed=20261207, jobs=1, limit=SLICE_LIMIT)
    assert set(report["families"]) == set(fe.FAMILIES)
    _assert_clean(report, 450)


@pytest.mark.slow
def test_a_larger_slice_in_two_processes():
    report = fe.run_campaign(1200, seed=7, jobs=2, limit=SLICE_LIMIT)
    _assert_clean(report, 1200)


def test_the_harness_counts_a_traceback_a_hang_and_a_documented_error():
    def crash(rng, ctx):
        return fe.Input(lambda: {}["missing"], 1, "a KeyError")

    def hang(rng, ctx):
        def spin():
            while True:
                pass
        return fe.Input(spin, 1, "a busy loop")

    def refused(rng, ctx):
        return fe.Input(lambda: sr.builtin_policy("no-such-policy"), 1, "a RulesError")

    families = {"crash": fe.Family(crash, 1), "hang": fe.Family(hang, 1), "refused": fe.Family(refused, 1)}
    report = fe.run_campaign(3, seed=0, jobs=1, limit=0.3, families=families)
    tallies = report["families"]
    assert (tallies["crash"]["tracebacks"], tallies["hang"]["hangs"], tallies["refused"]["ok"]) == (1, 1, 1)
    assert "KeyError" in tallies["crash"]["failures"][0]["signature"]
    assert tallies["crash"]["failures"][0]["rerun"].endswith("--family crash --seed 0 --index 0")
