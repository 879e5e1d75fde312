"""The ``supervisor-rules`` command line, driven in-process through ``cli.main``.

Covers the contract of INTERFACE.md ("Command line"): commands, exit codes,
``--format``, ``--as-of``, ``--explain``, ``--batch`` streaming and the rule
that bad input never yields a traceback.
"""

from __future__ import annotations

import io
import json
import runpy
import sys
from pathlib import Path

import jsonschema
import pytest


ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
EXAMPLES = ROOT / "examples" / "cases"
EXAMPLE_CASES = sorted(EXAMPLES.glob("*/*.json"))
STATUSES = {"not_appointed", "active", "dismissed", "unknown"}


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def in_empty_dir(tmp_path, monkeypatch):
    """Run from a folder with no `wuhan` / `guangxi` files, so ids mean the shipped policies."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_examples_cover_both_cities():
    cities = {p.parent.name for p in EXAMPLE_CASES}
    assert cities == {"wuhan", "guangxi"}


# ------------------------------------------------------------------ check
def test_check_shipped_policies_text(cli, capsys):
    code, out, err = cli("check", POLICIES / "wuhan.rules", POLICIES / "guangxi.rules",
                         "--format", "text")
    assert code == 0, out + err
    assert "wuhan: ok (" in out
    assert "guangxi: ok (" in out
    assert "error" not in out


def test_check_shipped_policies_json(cli, capsys):
    code, out, err = cli("check", POLICIES / "wuhan.rules", POLICIES / "guangxi.rules",
                         "--format", "json")
    assert code == 0, out + err
    diagnostics = json.loads(out)
    assert isinstance(diagnostics, list)
    assert not [d for d in diagnostics if d["severity"] == "error"]


def test_check_accepts_shipped_ids(cli, capsys, in_empty_dir):
    code, out, err = cli("check", "guangxi", "wuhan", "--format", "text")
    assert code == 0, out + err
    assert "guangxi: ok" in out and "wuhan: ok" in out


def test_check_malformed_file_reports_position(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text('办法 broken\n\n第一条 "一条不完整的规则"\n  须 person.honest 且\n', encoding="utf-8")
    code, out, err = cli("check", bad, "--format", "text")
    assert code == 1
    assert f"{bad}:" in out
    first = next(line for line in out.splitlines() if line.startswith(str(bad)))
    _, line, column, *_ = first[len(str(bad)):].split(":")
    assert line.isdigit() and column.isdigit()
    assert ": error:" in first
    assert_no_traceback(out, err)


def test_check_malformed_file_json(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text("policy broken\narticle 1 \"x\"\n  require and\n", encoding="utf-8")
    code, out, _ = cli("check", bad, "--format", "json")
    assert code == 1
    diagnostics = json.loads(out)
    assert diagnostics and diagnostics[0]["severity"] == "error"
    assert {"source", "line", "column", "severity", "message"} <= set(diagnostics[0])
    assert diagnostics[0]["line"] == 3


def test_check_keeps_going_after_a_bad_file(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text("policy broken\narticle 1 \"x\"\n  require and\n", encoding="utf-8")
    code, out, _ = cli("check", bad, POLICIES / "wuhan.rules", "--format", "text")
    assert code == 1
    assert "wuhan: ok" in out


def test_check_unreadable_file_is_a_problem(cli, capsys, tmp_path):
    missing = tmp_path / "nowhere.rules"
    code, out, err = cli("check", missing, "--format", "text")
    assert code == 2  # unreadable input, as in the exit-code table of docs/toolchain.md
    assert f"{missing}:1:1: error: cannot read" in out
    assert_no_traceback(out, err)


def test_check_needs_a_file(cli, capsys):
    code, _, err = cli("check")
    assert code == 2
    assert "usage" in err


# ------------------------------------------------------------------ eval
@pytest.mark.parametrize("case", EXAMPLE_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_eval_example_json(cli, capsys, case):
    city = case.parent.name
    code, out, err = cli("eval", city, case, "--format", "json")
    assert code == 0, err
    decision = json.loads(out)
    assert decision["status"] in STATUSES
    assert decision["policy"] == city
    assert decision["as_of"] == json.loads(case.read_text(encoding="utf-8"))["as_of"]


@pytest.mark.parametrize("case", EXAMPLE_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_eval_example_text_explain(cli, capsys, case):
    city = case.parent.name
    code, out, err = cli("eval", city, case, "--format", "text", "--explain")
    assert code == 0, err
    assert out.strip()
    assert "第" in out  # articles are cited in Chinese
    assert_no_traceback(out, err)


def test_eval_policy_by_path(cli, capsys):
    case = EXAMPLES / "guangxi" / "renewal_too_late.json"
    code, out, err = cli("eval", POLICIES / "guangxi.rules", case, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["status"] == "dismissed"


def test_eval_feb29_expired_and_as_of_override(cli, capsys):
    case = EXAMPLES / "wuhan" / "feb29_appointment.json"
    code, out, _ = cli("eval", "wuhan", case, "--format", "json")
    assert code == 0
    decision = json.loads(out)
    assert decision["as_of"] == "2023-03-01"
    assert decision["term"]["last_day"] == "2023-02-28"
    assert decision["status"] == "dismissed"

    code, out, _ = cli("eval", "wuhan", case, "--format", "json", "--as-of", "2023-02-28")
    assert code == 0
    decision = json.loads(out)
    assert decision["as_of"] == "2023-02-28"
    assert decision["status"] == "active"


def test_as_of_before_the_command(cli, capsys):
    case = EXAMPLES / "wuhan" / "feb29_appointment.json"
    code, out, _ = cli("--as-of", "2019-01-01", "--format", "json", "eval", "wuhan", case)
    assert code == 0
    assert json.loads(out)["status"] == "not_appointed"


@pytest.mark.parametrize("value", ["2023-02-30", "yesterday", "20230301"])
def test_bad_as_of_is_a_usage_error(cli, capsys, value):
    case = EXAMPLES / "wuhan" / "feb29_appointment.json"
    code, _, err = cli("eval", "wuhan", case, "--as-of", value)
    assert code == 2
    assert "--as-of" in err


def test_eval_mandatory_vs_discretionary_ground(cli, capsys):
    code, out, _ = cli("eval", "guangxi", EXAMPLES / "guangxi" / "commitment_false_dismissed.json",
                       "--format", "json")
    assert code == 0
    gx = json.loads(out)
    assert gx["status"] == "dismissed"
    assert {g["effect"] for g in gx["grounds"]} == {"mandatory"}

    code, out, _ = cli("eval", "wuhan", EXAMPLES / "wuhan" / "criminal_penalty_discretionary.json",
                       "--format", "json")
    assert code == 0
    wh = json.loads(out)
    assert wh["status"] == "active"
    assert {g["effect"] for g in wh["grounds"]} == {"discretionary"}


def test_eval_national_day_deadline(cli, capsys):
    code, out, _ = cli("eval", "wuhan", EXAMPLES / "wuhan" / "info_change_national_day.json",
                       "--format", "json")
    assert code == 0
    duties = {o["duty"]: o for o in json.loads(out)["obligations"]}
    assert duties["report_information_change"]["due"] == "2025-10-13"
    assert duties["report_information_change"]["state"] == "met"


def test_eval_recusal_decided_by_department(cli, capsys):
    code, out, _ = cli("eval", "wuhan", EXAMPLES / "wuhan" / "recusal_department_decides.json",
                       "--format", "json")
    assert code == 0
    recusal = json.loads(out)["recusal"]
    assert recusal["result"] == "request"
    assert recusal["decided_by"] == "department"


def test_eval_reads_stdin(cli, capsys, monkeypatch):
    text = (EXAMPLES / "guangxi" / "renewal_too_late.json").read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, out, err = cli("eval", "guangxi", "-", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["status"] == "dismissed"


def test_eval_unknown_fact_text(cli, capsys, tmp_path):
    case = tmp_path / "typo.json"
    case.write_text(json.dumps({"as_of": "2024-01-10", "person": {"honestt": True}}), encoding="utf-8")
    code, out, err = cli("eval", "wuhan", case, "--format", "text")
    assert code == 2
    assert "person.honestt" in err
    assert_no_traceback(out, err)


def test_eval_unknown_fact_json(cli, capsys, tmp_path):
    case = tmp_path / "typo.json"
    case.write_text(json.dumps({"as_of": "2024-01-10", "person": {"honestt": True}}), encoding="utf-8")
    code, out, err = cli("eval", "wuhan", case, "--format", "json")
    assert code == 2
    payload = json.loads(out)
    assert "error" in payload
    assert any("person.honestt" in p["path"] for p in payload["problems"])
    assert_no_traceback(out, err)


def test_eval_fact_the_policy_does_not_declare(cli, capsys, tmp_path):
    # CASE.md vocabulary, but Guangxi's policy has no criminal_penalty.
    case = tmp_path / "wh_only.json"
    case.write_text(json.dumps({"as_of": "2024-01-10", "conduct": {"criminal_penalty": True}}), encoding="utf-8")
    code, _, err = cli("eval", "guangxi", case, "--format", "text")
    assert code == 2
    assert "conduct.criminal_penalty" in err


def test_eval_wrong_type_lists_every_problem(cli, capsys, tmp_path):
    case = tmp_path / "types.json"
    case.write_text(json.dumps({"as_of": "2024-01-10",
                                "person": {"honest": "yes", "professional_background": ["astrology"]}}),
                    encoding="utf-8")
    code, out, _ = cli("eval", "wuhan", case, "--format", "json")
    assert code == 2
    paths = " ".join(p["path"] for p in json.loads(out)["problems"])
    assert "person.honest" in paths and "person.professional_background" in paths


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "",
                                     # nested past Python's recursion limit; a number too long to convert
                                     '{"as_of": "2024-01-01", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                     '{"as_of": "2024-01-01", "person": {"age": ' + "9" * 5000 + "}}"],
                         ids=["broken", "array", "empty", "deep", "long-number"])
def test_eval_bad_json_is_exit_2(cli, capsys, tmp_path, content):
    case = tmp_path / "bad.json"
    case.write_text(content, encoding="utf-8")
    code, out, err = cli("eval", "wuhan", case, "--format", "text")
    assert code == 2
    assert err.strip()
    assert_no_traceback(out, err)


def test_eval_missing_case_file(cli, capsys, tmp_path):
    code, out, err = cli("eval", "wuhan", tmp_path / "nope.json", "--format", "text")
    assert code == 2
    assert "nope.json" in err
    assert_no_traceback(out, err)


def test_eval_unknown_policy(cli, capsys, in_empty_dir):
    case = EXAMPLES / "wuhan" / "feb29_appointment.json"
    code, out, err = cli("eval", "shanghai", case, "--format", "text")
    assert code == 2
    assert "shanghai" in err
    assert_no_traceback(out, err)


def test_eval_invalid_policy_file(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text("policy broken\narticle 1 \"x\"\n  require and\n", encoding="utf-8")
    case = EXAMPLES / "wuhan" / "feb29_appointment.json"
    code, out, err = cli("eval", bad, case, "--format", "json")
    assert code == 2
    assert "error" in json.loads(out)
    assert_no_traceback(out, err)


def test_eval_needs_case_or_batch(cli, capsys):
    code, _, err = cli("eval", "wuhan")
    assert code == 2
    assert err.strip()


# ------------------------------------------------------------------ batch
def test_batch_one_bad_line(cli, capsys, tmp_path):
    good = json.dumps(json.loads((EXAMPLES / "wuhan" / "feb29_appointment.json").read_text(encoding="utf-8")))
    unknown = json.dumps({"as_of": "2024-01-10", "person": {"honestt": True}})
    batch = write_jsonl(tmp_path / "cases.jsonl", [good, "{not json", unknown, good])
    code, out, err = cli("eval", "wuhan", "--batch", batch)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 4
    results = [json.loads(line) for line in lines]
    assert results[0]["status"] == "dismissed"
    assert results[1]["line"] == 2 and "error" in results[1]
    assert results[2]["line"] == 3 and results[2]["problems"]
    assert any("person.honestt" in p["path"] for p in results[2]["problems"])
    assert results[3] == results[0]
    assert_no_traceback(out, err)


def test_batch_all_good(cli, capsys, tmp_path):
    paths = sorted((EXAMPLES / "guangxi").glob("*.json"))
    cases = [json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in paths]
    batch = write_jsonl(tmp_path / "gx.jsonl", cases)
    code, out, _ = cli("eval", "guangxi", "--batch", batch)
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(cases)
    assert all(r["policy"] == "guangxi" for r in results)


def test_batch_from_stdin_with_as_of(cli, capsys, monkeypatch):
    good = json.dumps(json.loads((EXAMPLES / "wuhan" / "feb29_appointment.json").read_text(encoding="utf-8")))
    monkeypatch.setattr(sys, "stdin", io.StringIO(good + "\n" + good + "\n"))
    code, out, _ = cli("eval", "wuhan", "--batch", "-", "--as-of", "2023-02-28")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in results] == ["active", "active"]


def test_batch_missing_file(cli, capsys, tmp_path):
    code, out, err = cli("eval", "wuhan", "--batch", tmp_path / "none.jsonl")
    assert code == 2
    assert_no_traceback(out, err)


def test_batch_and_case_together_is_a_usage_error(cli, capsys, tmp_path):
    batch = write_jsonl(tmp_path / "x.jsonl", [])
    code, _, _ = cli("eval", "wuhan", EXAMPLES / "wuhan" / "feb29_appointment.json", "--batch", batch)
    assert code == 2


# ------------------------------------------------------------------ schema
@pytest.mark.parametrize("city", ["wuhan", "guangxi"])
def test_schema_is_json_and_accepts_the_examples(cli, capsys, city):
    code, out, _ = cli("schema", city)
    assert code == 0
    schema = json.loads(out)
    assert "properties" in schema
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    validator = cls(schema)
    for path in sorted((EXAMPLES / city).glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(case)]
        assert not errors, (path.name, errors)


def test_schema_rejects_an_undeclared_fact(cli, capsys):
    code, out, _ = cli("schema", "guangxi")
    assert code == 0
    schema = json.loads(out)
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)(schema)
    assert list(validator.iter_errors({"as_of": "2024-01-10", "conduct": {"criminal_penalty": True}}))


def test_schema_of_unknown_policy(cli, capsys, in_empty_dir):
    code, out, err = cli("schema", "shanghai")
    assert code == 2
    assert_no_traceback(out, err)


# ------------------------------------------------------------------ usage
@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["eval"], ["schema"], ["check", "--format", "xml", "x"]])
def test_usage_errors_exit_2(cli, capsys, argv):
    code, out, err = cli(*argv)
    assert code == 2
    assert "usage" in err
    assert_no_traceback(out, err)


def test_help_exits_0(cli, capsys):
    code, out, _ = cli("--help")
    assert code == 0
    for command in ("check", "eval", "schema"):
        assert command in out


def test_default_format_is_json_when_not_a_terminal(cli, capsys):
    # capsys' stdout is not a TTY
    code, out, _ = cli("eval", "wuhan", EXAMPLES / "wuhan" / "feb29_appointment.json")
    assert code == 0
    assert json.loads(out)["status"] == "dismissed"


def test_python_dash_m(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["supervisor_rules", "schema", "wuhan"])
    # The package registers a pytest plugin (pytest11), so pytest marks it for assertion rewriting, and
    # its import hook (which runpy cannot run a module through: no get_code) would claim __main__.
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if type(f).__name__ != "AssertionRewritingHook"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("supervisor_rules", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 0
    assert "properties" in json.loads(capsys.readouterr().out)
