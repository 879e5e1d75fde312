"""``eval POLICY --batch``: output, bad lines, exit codes and ``--jobs`` (batch.py, cli.py).

INTERFACE.md: one JSON decision per input line, in order; a bad line yields
``{"error": ...}`` on its line and the run goes on; exit 0, or 1 if any line was
bad. Each decision line is exactly ``json.dumps(decision.to_dict())`` (compact
separators; ASCII escapes where standard output cannot carry UTF-8), however many
worker processes decide the lines.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import sys
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules import cli, testing
from supervisor_rules.tools import batch


def seeded_cases(city: str, count: int, seed: int) -> list[dict]:
    """Valid cases of every shape for a shipped policy, the same for the same seed."""
    return testing.sample_cases(sr.builtin_policy(city), count, seed=seed)


# Tests that patch the worker's code need workers forked from this process (they inherit the patch);
# they ask for fork explicitly, so they run wherever the platform can fork, whatever its default.
FORKS = batch.PARALLEL and "fork" in multiprocessing.get_all_start_methods()


@pytest.fixture
def forked_workers(monkeypatch):
    fork = multiprocessing.get_context("fork")
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: fork)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def output_lines(out: str) -> list[str]:
    """The JSONL lines of ``out``: split at ``\n`` only (``str.splitlines`` would also split at U+2028
    and the like, which a decision's JSON carries unescaped where a text fact holds them)."""
    return out[:-1].split("\n") if out else []


def expected_line(policy, case: dict, ensure_ascii: bool = False) -> str:
    return json.dumps(policy.evaluate(case).to_dict(), ensure_ascii=ensure_ascii, separators=(",", ":"))


BAD = {
    "{not json": "invalid JSON: Expecting property name enclosed in double quotes (column 2)",
    "[1, 2]": "invalid case",
    '{"as_of": "2024-01-10", "person": {"honestt": true}}': "invalid case",
    '{"as_of": "2024-02-30"}': "invalid case",
    '{"as_of": "2024-01-10", "person": {"\\ud800": true}}': "invalid case",  # a lone surrogate, escaped
    "[" * 100_000: "invalid JSON: nested too deeply",
    '{"as_of": ' + "9" * 5000 + "}": "invalid JSON: ",  # more digits than Python converts (its message follows)
}


@pytest.fixture
def mixed(tmp_path) -> tuple[Path, list]:
    """A JSONL file of Wuhan cases with bad and blank lines among them: (path, what each line should give)."""
    cases = seeded_cases("wuhan", 300, seed=3)
    lines, want = [], []
    bad = list(BAD.items())
    for number, case in enumerate(cases):
        lines.append(json.dumps(case, ensure_ascii=False))
        want.append(case)
        if number % 40 == 7:
            text, error = bad[(number // 40) % len(bad)]
            lines.append(text)
            want.append((error, len(lines)))
        if number % 90 == 5:
            lines.append("   ")  # blank: no output
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))  # a BOM, as some editors write
    return path, want


def check_output(out: str, want: list, policy) -> None:
    got = output_lines(out)
    assert len(got) == len(want)
    for line, expected in zip(got, want):
        if isinstance(expected, dict):
            assert line == expected_line(policy, expected)
        else:
            error, number = expected
            result = json.loads(line)
            assert result["line"] == number, line
            assert result["error"] == error or error.endswith(": ") and result["error"].startswith(error), line


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
def test_every_line_in_order_with_errors_in_place(capsys, monkeypatch, mixed, jobs):
    monkeypatch.setattr(batch, "BLOCK", 2_000)  # many small blocks: order must survive the workers
    path, want = mixed
    code, out, err = run(capsys, "eval", "wuhan", "--batch", path, "--jobs", jobs)
    assert code == 1, err
    check_output(out, want, sr.builtin_policy("wuhan"))
    assert "Traceback" not in out + err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_all_good_exits_0(capsys, tmp_path, jobs):
    cases = seeded_cases("guangxi", 120, seed=4)
    path = tmp_path / "gx.jsonl"
    path.write_text("".join(json.dumps(c) + "\r\n" for c in cases), encoding="utf-8")  # CRLF endings too
    code, out, _ = run(capsys, "eval", "guangxi", "--batch", path, "--jobs", jobs)
    assert code == 0
    policy = sr.builtin_policy("guangxi")
    assert output_lines(out) == [expected_line(policy, c) for c in cases]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_standard_input(capsys, monkeypatch, jobs):
    cases = seeded_cases("wuhan", 50, seed=5)
    text = "".join(json.dumps(c) + "\n" for c in cases) + "{broken\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    monkeypatch.setattr(batch, "BLOCK", 3_000)
    code, out, _ = run(capsys, "eval", "wuhan", "--batch", "-", "--as-of", "2023-02-28", "--jobs", jobs)
    assert code == 1
    lines = output_lines(out)
    policy = sr.builtin_policy("wuhan")
    assert lines[:-1] == [json.dumps(policy.evaluate(c, as_of="2023-02-28").to_dict(), ensure_ascii=False,
                                     separators=(",", ":")) for c in cases]
    assert json.loads(lines[-1])["line"] == len(cases) + 1


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_empty_input(capsys, tmp_path, jobs):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert run(capsys, "eval", "wuhan", "--batch", path, "--jobs", jobs) == (0, "", "")


@pytest.mark.parametrize("value, count", [("auto", None), ("0", None), ("1", 1), ("4", 4)])
def test_jobs_values(value, count):
    args = cli.build_parser().parse_args(["eval", "wuhan", "--batch", "-", "--jobs", value])
    assert args.jobs == (count or multiprocessing.cpu_count() or 1)


@pytest.mark.parametrize("value", ["-1", "two", ""])
def test_bad_jobs_is_a_usage_error(capsys, value):
    code, out, err = run(capsys, "eval", "wuhan", "--batch", "-", "--jobs", value)
    assert code == 2 and "--jobs" in err
    assert "Traceback" not in out + err


class Stdout(io.TextIOWrapper):
    """Standard output in some encoding, kept in memory; not a terminal."""

    def __init__(self, encoding: str, line_buffering: bool = False):
        super().__init__(io.BytesIO(), encoding=encoding, line_buffering=line_buffering)

    def isatty(self) -> bool:
        return False

    def bytes(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()


@pytest.mark.parametrize("encoding, ensure_ascii", [("utf-8", False), ("ascii", True), ("latin-1", True),
                                                    ("utf-16", True), ("utf-8-sig", False)])
@pytest.mark.parametrize("line_buffering", [False, True])
def test_output_is_what_the_text_stream_would_have_written(monkeypatch, tmp_path, encoding, ensure_ascii,
                                                           line_buffering):
    """Straight to the stream's bytes where that changes nothing, through its text layer where it would."""
    cases = seeded_cases("wuhan", 30, seed=6)
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases) + "oops\n", encoding="utf-8")
    stdout = Stdout(encoding, line_buffering)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert cli.main(["eval", "wuhan", "--batch", str(path)]) == 1
    policy = sr.builtin_policy("wuhan")
    error = {"error": "invalid JSON: Expecting value (column 1)", "line": len(cases) + 1, "problems": []}
    text = "".join(expected_line(policy, c, ensure_ascii) + "\n" for c in cases) \
        + json.dumps(error, separators=(",", ":")) + "\n"
    assert stdout.bytes() == text.encode(encoding)


def test_a_stream_without_bytes(monkeypatch, tmp_path):
    cases = seeded_cases("guangxi", 10, seed=8)
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert cli.main(["eval", "guangxi", "--batch", str(path), "--format", "json"]) == 0
    policy = sr.builtin_policy("guangxi")  # StringIO has no encoding: ASCII escapes, as json.dumps would
    assert stdout.getvalue() == "".join(expected_line(policy, c, True) + "\n" for c in cases)


@pytest.mark.skipif(not FORKS, reason="the worker must inherit the patched code: needs fork")
def test_a_failing_worker_ends_the_run_with_a_message(capsys, monkeypatch, mixed, forked_workers):
    def fail(self, lines, first):
        raise RuntimeError("boom")
    monkeypatch.setattr(batch.Decider, "block", fail)
    code, out, err = run(capsys, "eval", "wuhan", "--batch", mixed[0], "--jobs", "2")
    assert code == 2
    assert "a worker process failed" in err and "boom" in err


@pytest.mark.skipif(not FORKS, reason="the worker must inherit the patched code: needs fork")
def test_a_worker_that_cannot_load_the_policy(capsys, monkeypatch, mixed, forked_workers):
    def fail(self, *args):
        raise sr.RulesError("the rule file went away")
    monkeypatch.setattr(batch.Decider, "__init__", fail)
    code, out, err = run(capsys, "eval", "wuhan", "--batch", mixed[0], "--jobs", "2")
    assert code == 2
    assert "cannot load policy wuhan: the rule file went away" in err
    assert "Traceback" not in out + err


def test_workers_load_the_policy_by_path_when_not_inherited(capsys, tmp_path, monkeypatch):
    """Where workers are not forked, each loads the policy itself, by the path or id given."""
    monkeypatch.setattr(batch, "_inherit", lambda name: None)
    policy_file = Path(__file__).resolve().parents[1] / "policies" / "guangxi.rules"
    cases = seeded_cases("guangxi", 40, seed=9)
    path = tmp_path / "gx.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    code, out, _ = run(capsys, "eval", policy_file, "--batch", path, "--jobs", "2")
    assert code == 0
    policy = sr.load_policy(policy_file)
    assert output_lines(out) == [expected_line(policy, c) for c in cases]


def test_decider_agrees_with_policy_evaluate_on_the_trace():
    """The batch evaluates once, traced; ``Policy.evaluate`` then ``to_dict()`` evaluates twice."""
    for city in ("wuhan", "guangxi"):
        policy = sr.builtin_policy(city)
        decider = batch.Decider(policy, None, ensure_ascii=False)
        for number, case in enumerate(seeded_cases(city, 200, seed=10), 2):
            text, ok = decider.line(json.dumps(case).encode(), number)
            assert ok and text == (expected_line(policy, case) + "\n").encode()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_explanation_leaves_out_only_the_explanation(capsys, tmp_path, jobs):
    """Opt-in, and not DECISION.md's full format: every other key as before, in the same order."""
    cases = seeded_cases("wuhan", 60, seed=12)
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases) + "[]\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", "wuhan", "--batch", path, "--no-explanation", "--jobs", jobs)
    assert code == 1
    policy = sr.builtin_policy("wuhan")
    lines = output_lines(out)
    for line, case in zip(lines, cases):
        expected = policy.evaluate(case).to_dict()
        del expected["explanation"]
        assert line == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(lines[-1])["line"] == len(cases) + 1


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_policy_the_generator_declines_is_batched_by_the_interpreter(capsys, monkeypatch, tmp_path, jobs):
    """Over ``codegen.MAX_RULES`` (here made tiny) the interpreter decides and records the trace."""
    from supervisor_rules.engine import codegen, runtime

    monkeypatch.setattr(codegen, "MAX_RULES", 3)
    policy_file = Path(__file__).resolve().parents[1] / "policies" / "wuhan.rules"
    cases = seeded_cases("wuhan", 40, seed=13)
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    code, out, _ = run(capsys, "eval", policy_file, "--batch", path, "--jobs", jobs)
    assert code == 0
    policy = sr.load_policy(policy_file)
    assert runtime.traced_path(policy._compiled) is None
    assert output_lines(out) == [expected_line(policy, c) for c in cases]


def test_without_worker_processes_jobs_runs_in_this_process(capsys, monkeypatch, mixed):
    """Where worker processes are not available (not POSIX), --jobs N decides in this process."""
    monkeypatch.setattr(batch, "PARALLEL", False)
    monkeypatch.setattr(batch, "run_parallel", None)  # never called
    path, want = mixed
    code, out, _ = run(capsys, "eval", "wuhan", "--batch", path, "--jobs", "2")
    assert code == 1
    check_output(out, want, sr.builtin_policy("wuhan"))
