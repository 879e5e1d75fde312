"""The command line's conventions (INTERFACE.md v2, "Output options"; issue 14 point 6): diagnostics
print as text by default whether or not on a terminal, a flag that does not apply is a usage error,
``-`` reads standard input, unknown policy ids get a suggestion, ``test`` without arguments tests the
folder, ``test --format junit``, ``NO_COLOR``, progress only on a terminal, shell completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import importlib

cli_main = importlib.import_module("supervisor_rules.cli.main")
from supervisor_rules.cli.output import Progress, color, diagnostics_format, format_of

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CASE = next((ROOT / "examples" / "cases").glob("wuhan/*.json"))

BROKEN = ('policy demo\n  title "示例"\nfacts person "申请人" {\n  honest: bool "诚信"\n}\n'
          'article 1 "申请人应当诚信。"\n  require person.honst\n')

TINY = ('policy tiny\n  title "小办法"\nfacts person "申请人" {\n  honest: bool "诚信"\n}\n'
        'article 1 "申请人应当诚信。"\n  require person.honest\n')
TINY_TESTS = """policy: tiny
tests:
  - name: honest is eligible
    case: {as_of: 2024-01-01, person: {honest: true}}
    expect: {eligibility: {result: eligible}}
  - name: dishonest is ineligible
    case: {as_of: 2024-01-01, person: {honest: false}}
    expect: {eligibility: {result: ineligible}}
"""


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.rules"
    path.write_text(BROKEN, encoding="utf-8")
    return path


# ------------------------------------------------------------------ text by default
def test_check_piped_prints_file_line_col(broken):
    """`check x.rules | cat`: a real pipe (not a terminal) still gets FILE:LINE:COL text, not JSON."""
    done = subprocess.run([sys.executable, "-m", "supervisor_rules", "check", str(broken), "--examples", "0"],
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1
    assert f"\n{broken}:7:11: error: unknown fact `person.honst`" in done.stdout
    assert done.stdout.startswith(f"{broken}:4:3: warning: ")
    assert "\x1b[" not in done.stdout  # no colour off a terminal


@pytest.mark.parametrize("argv", [("check", "{f}", "--examples", "0"), ("fmt", "--check", "{f}"),
                                  ("test", "{f}")])
def test_diagnostic_commands_default_to_text(cli, broken, argv):
    code, out, err = cli(*[a.replace("{f}", str(broken)) for a in argv])
    with pytest.raises(json.JSONDecodeError):
        json.loads(out or "not json")
    assert f"{broken}:" in out + err


def test_json_only_when_asked(cli, broken):
    code, out, _ = cli("check", broken, "--examples", "0", "--format", "json")
    assert code == 1 and [d["code"] for d in json.loads(out)] == ["unused", "unknown-name"]


def test_eval_keeps_json_off_a_terminal(cli):
    code, out, _ = cli("eval", "wuhan", EXAMPLE_CASE)
    assert code == 0 and "status" in json.loads(out)


def test_format_helpers():
    import argparse

    assert diagnostics_format(argparse.Namespace(format=None)) == "text"
    assert diagnostics_format(argparse.Namespace(format="sarif")) == "sarif"
    assert format_of(argparse.Namespace(format=None)) == "json"  # pytest's captured stdout is no terminal


# ------------------------------------------------------------------ flags that do not apply
@pytest.mark.parametrize("argv, words", [
    (("eval", "wuhan", "{case}", "--explain", "--no-explanation"), "--no-explanation"),
    (("eval", "wuhan", "--batch", "{case}", "--explain"), "--batch"),
    (("eval", "wuhan", "{case}", "--lang", "en", "--format", "json"), "JSON"),
    (("eval", "wuhan", "{case}", "--explain", "--format", "json"), "text output"),
    (("eval", "wuhan", "{case}", "--no-explanation"), "--batch only"),
    (("eval", "wuhan", "{case}", "--jobs", "2"), "--batch only"),
    (("eval", "wuhan", "--batch", "{case}", "--lang", "en"), "--batch"),
    (("eval", "wuhan", "{case}", "--all"), "--explain"),
    (("--as-of", "2024-01-01", "check", "wuhan"), "--as-of"),
    (("--as-of", "2024-01-01", "schema", "wuhan"), "--as-of"),
    (("fmt", "--diff", "--format", "json", "{case}"), "--diff"),
])
def test_a_flag_that_does_not_apply_is_a_usage_error(cli, argv, words):
    code, out, err = cli(*[a.replace("{case}", str(EXAMPLE_CASE)) for a in argv])
    assert code == 2, (out, err)
    assert words in err and "Traceback" not in err


def test_explain_alone_asks_for_text(cli):
    code, out, _ = cli("eval", "wuhan", EXAMPLE_CASE, "--explain")
    assert code == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


# ------------------------------------------------------------------ standard input
def test_check_dash_reads_stdin(cli):
    code, out, _ = cli("check", "-", "--examples", "0", stdin=BROKEN)
    assert code == 1
    assert "\n<stdin>:7:11: error: unknown fact `person.honst`" in out and out.startswith("<stdin>:4:3: ")


def test_check_dash_clean_text_says_ok(cli):
    code, out, _ = cli("check", "-", "--examples", "20", stdin=TINY)
    assert code == 0 and "tiny: ok (1 article)" in out


def test_check_dash_twice_is_a_usage_error(cli):
    assert cli("check", "-", "-", stdin=TINY)[0] == 2


def test_fmt_dash_formats_stdin(cli):
    code, out, _ = cli("fmt", "-", stdin=TINY)
    assert code == 0 and out.startswith("policy tiny")


def test_test_dash_reads_a_test_file_from_stdin(cli):
    tests = TINY_TESTS.replace("policy: tiny", "policy: wuhan").split("tests:")[0] + "tests: []\n"
    code, out, err = cli("test", "-", stdin=tests)
    assert code == 0, err
    assert out.startswith("wuhan: <stdin>: 0 tests")


def test_test_dash_needs_a_policy_line(cli):
    code, _, err = cli("test", "-", stdin="tests: []\n")
    assert code == 2 and "policy:" in err


# ------------------------------------------------------------------ did you mean
@pytest.mark.parametrize("command", [("eval", "wuhna", "case.json"), ("schema", "wuhna"), ("test", "wuhna"),
                                     ("diff", "wuhna", "guangxi")])
def test_unknown_policy_did_you_mean(cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(*command, "--format", "text") if command[0] == "eval" else cli(*command)
    assert code == 2
    said = json.loads(out)["error"] if out.startswith("{") else err  # schema's errors are JSON off a terminal
    assert 'unknown policy "wuhna"; did you mean "wuhan"?' in said


def test_unknown_policy_far_from_any_lists_the_shipped(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("eval", "zzzzzz", "case.json", "--format", "text")
    assert code == 2 and "did you mean" not in err and "guangxi, wuhan" in err


# ------------------------------------------------------------------ test without arguments
def test_test_without_arguments_tests_the_folder(cli, tmp_path, monkeypatch):
    (tmp_path / "x.rules").write_text(TINY, encoding="utf-8")
    (tmp_path / "x.tests.yaml").write_text(TINY_TESTS, encoding="utf-8")
    (tmp_path / "untested.rules").write_text(TINY.replace("tiny", "other"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("test", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert [(p["policy"], p["tests"], p["passed"]) for p in report["policies"]] == [("tiny", 2, 2)]


def test_test_without_arguments_in_a_folder_without_tests_says_so(cli, tmp_path, monkeypatch):
    (tmp_path / "x.rules").write_text(TINY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("test")
    assert code == 2 and out == ""
    assert "no *.rules file in this folder" in err and "*.tests.yaml" in err


# ------------------------------------------------------------------ test --format junit
def test_test_junit_parses_with_the_right_counts(cli, tmp_path):
    (tmp_path / "x.rules").write_text(TINY, encoding="utf-8")
    failing = TINY_TESTS + ("  - name: a wrong expectation\n    case: {as_of: 2024-01-01, person: {honest: true}}\n"
                            "    expect: {eligibility: {result: ineligible}}\n")
    (tmp_path / "x.tests.yaml").write_text(failing, encoding="utf-8")
    code, out, _ = cli("test", tmp_path / "x.rules", "--format", "junit")
    assert code == 1
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["honest is eligible", "dishonest is ineligible",
                                              "a wrong expectation"]
    failure = cases[2].find("failure")
    assert failure is not None and "expected ineligible" in failure.text and "actual eligible" in failure.text


def test_test_junit_for_the_shipped_policies(cli):
    code, out, _ = cli("test", "wuhan", "guangxi", "--format", "junit")
    assert code == 0
    root = ET.fromstring(out.encode("utf-8"))
    assert len(root.findall("testsuite")) == 2 and root.get("failures") == "0" and int(root.get("tests")) > 100


def test_test_junit_names_an_unreadable_test_file_as_an_error(cli, tmp_path):
    (tmp_path / "x.rules").write_text(TINY, encoding="utf-8")
    code, out, _ = cli("test", tmp_path / "x.rules", "--format", "junit")
    assert code == 2 and ET.fromstring(out.encode("utf-8")).get("errors") == "1"


# ------------------------------------------------------------------ colour and progress
class _Tty:
    def __init__(self):
        self.written = []

    def isatty(self):
        return True

    def write(self, text):
        self.written.append(text)

    def flush(self):
        pass


def test_no_color_is_respected(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert color(_Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color(_Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not color(_Tty())


def test_progress_only_on_a_terminal():
    tty = _Tty()
    with Progress(3, stream=tty) as progress:
        progress.step("a")
    assert "[1/3] a" in "".join(tty.written)

    class Pipe(_Tty):
        def isatty(self):
            return False
    pipe = Pipe()
    with Progress(3, stream=pipe) as progress:
        progress.step("a")
    assert pipe.written == []


# ------------------------------------------------------------------ completion
@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script(cli, shell):
    code, out, _ = cli("completion", shell)
    assert code == 0
    for word in ("check", "eval", "schema", "fmt", "test", "diff", "completion", "--batch", "--coverage-min",
                 "wuhan"):
        assert word in out
    if shell == "bash" and shutil.which("bash"):
        done = subprocess.run(["bash", "-n"], input=out, text=True, capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr


def test_completion_needs_a_known_shell(cli):
    assert cli("completion", "fish")[0] == 2


def test_every_command_is_in_the_completion():
    parser = cli_main.build_parser()
    script = cli_main.completion_script(parser, "bash")
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert all(f"        {name}) opts=" in script for name in commands)
