"""Rosters through ``eval POLICY --batch`` (INTERFACE.md): ids copied to decisions and error lines,
CSV input typed by the policy's declared facts, ``--format csv|text``, ``--columns``, the summary on
standard error, exit 0 or 1. ``tools/roster.py`` and ``tools/batch.py``."""

from __future__ import annotations

import csv
import io
import json

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import roster

AS_OF = "2024-05-01"
GOOD = {"as_of": AS_OF, "appointment": {"method": "open", "start": "2021-06-15"}}
CHANGED = {"as_of": AS_OF, "appointment": {"method": "open", "start": "2023-07-01"},
           "conduct": {"information_changed_on": "2024-04-01"}}


def jsonl(tmp_path, records: list, name: str = "roster.jsonl"):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
                    encoding="utf-8")
    return path


def test_jsonl_ids_are_kept_first_and_errors_carry_them(cli, tmp_path):
    path = jsonl(tmp_path, [{"id": "W-001", **GOOD}, {"id": 2, "as_of": AS_OF, "person": {"honest": "yes"}},
                            {"as_of": AS_OF}, {"id": 4.5, **CHANGED}, "{broken", {"id": True, **GOOD}])
    code, out, err = cli("eval", "wuhan", "--batch", path)
    assert code == 1
    lines = out.splitlines()
    decided = [json.loads(line) for line in lines]
    assert list(decided[0])[0] == "id" and decided[0]["id"] == "W-001"
    assert lines[0] == '{"id":"W-001",' + json.dumps(sr.builtin_policy("wuhan").evaluate(GOOD).to_dict(),
                                                      ensure_ascii=False, separators=(",", ":"))[1:]
    assert decided[1] == {"id": 2, "error": "invalid case", "line": 2,
                          "problems": [{"path": "person.honest", "code": "type", "message": 'expected a boolean, got "yes"'}]}
    assert "id" not in decided[2] and decided[2]["status"] == "not_appointed"
    assert decided[3]["id"] == 4.5 and decided[3]["obligations"][0]["state"] == "overdue"
    assert "id" not in decided[4] and decided[4]["line"] == 5
    assert decided[5]["error"] == "invalid case" and decided[5]["problems"][0]["path"] == "id"
    assert err.splitlines()[-1] == ("已决定 3 件（在聘 2，未聘任 1），错误 3 件 / "
                                    "decided 3 (active 2, not appointed 1), errors 3")


def test_all_good_exits_0_with_a_summary(cli, tmp_path):
    path = jsonl(tmp_path, [{"id": i, **GOOD} for i in range(4)])
    code, out, err = cli("eval", "wuhan", "--batch", path, "--no-explanation")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [0, 1, 2, 3]
    assert "decided 4 (active 4), errors 0" in err


CSV_TEXT = (
    "id,as_of,person.honest,person.professional_background,appointment.method,appointment.start,"
    "appointment.renewals,conduct.information_changed_on\n"
    "W-1,2024-05-01,是,law;medicine,open,2021-06-15,,\n"
    'W-2,2024-05-01,maybe,,open,2021-07-01,"[{""on"": ""2024-06-01""}]",\n'
    "W-3,2024-05-01,1,,open,2023-07-01,,2024-04-01\n"
    "\n"
    "W-4,2024-05-01,,,,,,\n"
    'W-5,2024-05-01,false,["law"],open,2020-07-01,"[{""on"": ""2023-06-01""}]",\n'
)


@pytest.fixture
def csv_roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


def test_csv_cells_are_typed_by_the_policy(cli, csv_roster):
    code, out, err = cli("eval", "wuhan", "--batch", csv_roster, "--no-explanation")
    assert code == 1
    decided = [json.loads(line) for line in out.splitlines()]
    assert [d.get("id") for d in decided] == ["W-1", "W-2", "W-3", "W-4", "W-5"]
    policy = sr.builtin_policy("wuhan")
    expected = policy.evaluate({"as_of": AS_OF, "person": {"honest": True, "professional_background": ["law", "medicine"]},
                                "appointment": {"method": "open", "start": "2021-06-15"}}).to_dict(explanation=False)
    assert decided[0] == {"id": "W-1", **expected}
    assert decided[1]["error"] == "invalid case" and decided[1]["line"] == 3
    assert decided[1]["problems"][0]["path"] == "person.honest" and "是/否" in decided[1]["problems"][0]["message"]
    assert decided[2]["obligations"][0]["due"] == "2024-04-11"
    assert decided[3]["status"] == "not_appointed" and decided[3]["eligibility"]["result"] == "not_applicable"
    assert decided[4]["term"]["invalid_renewals"][0]["reason"] == "conditions"  # a record's list as JSON
    assert "errors 1" in err.splitlines()[-1]


def test_input_format_csv_from_stdin(cli):
    code, out, _ = cli("eval", "wuhan", "--batch", "-", "--input-format", "csv", "--no-explanation", stdin=CSV_TEXT)
    assert code == 1 and [json.loads(line).get("id") for line in out.splitlines()] == ["W-1", "W-2", "W-3", "W-4", "W-5"]


def test_an_unknown_csv_column_is_a_usage_error(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,as_of,person.honset\n1,2024-05-01,true\n", encoding="utf-8")
    code, out, err = cli("eval", "wuhan", "--batch", path)
    assert code == 2 and out == ""
    assert "person.honset" in err and "did you mean `person.honest`" in err


def test_csv_output_default_and_chosen_columns(cli, csv_roster):
    code, out, _ = cli("eval", "wuhan", "--batch", csv_roster, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 1 and tuple(rows[0]) == roster.DEFAULT_COLUMNS
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert list(by_id) == ["W-1", "W-2", "W-3", "W-4", "W-5"]
    assert by_id["W-1"]["status"] == "active" and by_id["W-1"]["term.last_day"] == "2024-06-15"
    assert by_id["W-2"]["status"] == "error" and "person.honest" in by_id["W-2"]["error"]
    assert by_id["W-3"]["obligations.due"] == "2024-04-11" and by_id["W-3"]["obligations.state"] == "overdue"
    code, out, _ = cli("eval", "wuhan", "--batch", csv_roster, "--format", "csv",
                       "--columns", "id,status,eligibility.unmet.ref,notices.message,line")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "status", "eligibility.unmet.ref", "notices.message", "line"]
    # honest false: WH 3(2) unmet, so the 2023 renewal is invalid (WH 5) and the term ran out
    assert rows[5][:3] == ["W-5", "dismissed", "3(2)"]
    assert rows[3][-1] == "4"


@pytest.mark.parametrize("columns", ["id,bogus", "status.nothing", "term.last_day.x", ""])
def test_an_unknown_column_is_a_usage_error(cli, csv_roster, columns):
    code, out, err = cli("eval", "wuhan", "--batch", csv_roster, "--format", "csv", "--columns", columns)
    assert code == 2 and out == "" and "--columns" in err


@pytest.mark.parametrize("argv", [["--format", "csv"], ["--columns", "id"], ["--input-format", "csv"]])
def test_batch_options_without_batch_are_usage_errors(cli, tmp_path, argv):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(GOOD), encoding="utf-8")
    code, _, err = cli("eval", "wuhan", case, *argv)
    assert code == 2 and argv[0] in err


def test_columns_need_csv_output(cli, csv_roster):
    code, _, err = cli("eval", "wuhan", "--batch", csv_roster, "--columns", "id,status")
    assert code == 2 and "--format csv" in err


def test_text_output_in_chinese_and_english(cli, csv_roster):
    code, out, _ = cli("eval", "wuhan", "--batch", csv_roster, "--format", "text")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 5
    assert lines[0] == "W-1：在聘；资格 待定；聘期届满 2024-06-15"
    assert lines[1].startswith("W-2：错误 invalid case — person.honest:")
    assert lines[2] == "W-3：在聘；资格 待定；聘期届满 2026-07-01；下一期限 2024-04-11 相关信息变更后报备（逾期）"
    code, out, _ = cli("eval", "wuhan", "--batch", csv_roster, "--format", "text", "--lang", "en")
    lines = out.splitlines()
    assert lines[0] == "W-1: active; eligibility unknown; term ends 2024-06-15"
    assert lines[2].endswith("next due 2024-04-11 report_information_change (overdue)")


def test_lang_without_text_output_is_still_refused(cli, csv_roster):
    code, _, err = cli("eval", "wuhan", "--batch", csv_roster, "--lang", "en")
    assert code == 2 and "--lang" in err


def big_csv(tmp_path, count: int):
    path = tmp_path / "big.csv"
    rows = ["id,as_of,person.honest,appointment.method,appointment.start"]
    for i in range(count):
        honest = "maybe" if i % 97 == 5 else ("true" if i % 2 else "否")
        rows.append(f"R{i:05d},2024-05-01,{honest},open,20{21 + i % 3}-07-01")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_worker_processes_give_the_same_output_and_summary(cli, tmp_path, fmt):
    """Enough records for several blocks: the workers' output and their tallies match one process's."""
    path = big_csv(tmp_path, 2500)
    one = cli("eval", "wuhan", "--batch", path, "--format", fmt, "--no-explanation", "--jobs", "1")
    two = cli("eval", "wuhan", "--batch", path, "--format", fmt, "--no-explanation", "--jobs", "2")
    assert one[0] == two[0] == 1
    assert one[1] == two[1]
    assert one[2] == two[2] and "errors 26" in two[2]
    assert len(one[1].splitlines()) == 2500 + (fmt == "csv")


def test_cell_values():
    from supervisor_rules.lang.checker import BOOL, NUMBER

    problems: list = []
    assert [roster.cell_value(BOOL, t, "p", problems) for t in ("TRUE", " 否 ", "1", "0", "是")] == [
        True, False, True, False, True]
    assert roster.cell_value(NUMBER, "12", "n", problems) == 12 and roster.cell_value(NUMBER, "1.5", "n", problems) == 1.5
    assert problems == []
    assert roster.cell_value(NUMBER, "nan", "n", problems) is None and problems[0][0] == "n"


def test_split_id():
    assert roster.split_id({"id": "a", "as_of": AS_OF}) == ("a", {"as_of": AS_OF})
    assert roster.split_id({"as_of": AS_OF}) == (roster.NO_ID, {"as_of": AS_OF})
    for bad in (None, [], {}, True, "x" * (roster.MAX_ID_CHARS + 1), float("nan")):
        with pytest.raises(sr.CaseError):
            roster.split_id({"id": bad})
