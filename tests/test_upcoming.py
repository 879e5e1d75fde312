"""``upcoming POLICY ROSTER --within 60d`` (INTERFACE.md): terms ending, duties due or overdue and
missing calendar years across a roster, in date order, ids kept (``tools/upcoming.py``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import upcoming as up

ROSTER = [
    # the term ends 2024-06-15, inside 60 days of 2024-05-01, no renewal recorded
    {"id": "T-1", "as_of": "2024-05-01", "appointment": {"method": "open", "start": "2021-06-15"}},
    # a change on 2024-04-01: 7 working days → 2024-04-11, not reported: overdue
    {"id": "D-2", "as_of": "2024-05-01", "appointment": {"method": "open", "start": "2023-07-01"},
     "conduct": {"information_changed_on": "2024-04-01"}},
    # a change on 2026-12-30: the deadline falls in 2027, which the calendar lacks
    {"id": "C-3", "as_of": "2026-12-31", "appointment": {"method": "open", "start": "2025-01-01"},
     "conduct": {"information_changed_on": "2026-12-30"}},
    # nothing in the window: the term ends in 2026
    {"id": "N-4", "as_of": "2024-05-01", "appointment": {"method": "open", "start": "2023-07-01"}},
    # a duty owed, due inside the window
    {"id": 5, "as_of": "2024-05-01", "appointment": {"method": "open", "start": "2023-07-01"},
     "conduct": {"information_changed_on": "2024-04-28"}},
]


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "roster.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in ROSTER), encoding="utf-8")
    return path


def test_events_in_date_order_with_ids(cli, roster_file):
    code, out, err = cli("upcoming", "wuhan", roster_file, "--within", "60d", "--format", "json")
    assert code == 0, err
    events = json.loads(out)["events"]
    assert [(e["id"], e["kind"], e["date"]) for e in events] == [
        ("D-2", "duty_overdue", "2024-04-11"),
        (5, "duty_due", "2024-05-10"),
        ("T-1", "term_end", "2024-06-15"),
        ("C-3", "calendar_missing", "2027-01-01"),
    ]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    overdue, due, term, missing = events
    assert overdue["overdue"] is True and overdue["ref"] == "4(4)" and overdue["cite"] == "第四条第（四）项"
    assert term["ref"] == "5" and term["cite"] == "第五条" and "尚未记录续聘" in term["description"]
    assert missing["ref"] == "4(4)" and "2027" in missing["description"] and "--calendar" in missing["description"]
    assert json.loads(out)["errors"] == []


def test_text_is_chinese_by_default_and_english_on_request(cli, roster_file):
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "60d")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert lines[0].startswith("2024-04-11（已逾期）  D-2  义务逾期  第四条第（四）项（4(4)）")
    assert lines[2].startswith("2024-06-15  T-1  聘期届满  第五条（5）")
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "60d", "--lang", "en")
    lines = out.splitlines()
    assert lines[0].startswith("2024-04-11 (overdue)  D-2  duty overdue  art. 4(4)")
    assert "no renewal recorded yet" in lines[2]


def test_csv_output(cli, roster_file):
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "60d", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and tuple(rows[0]) == up.CSV_COLUMNS
    assert [(r[0], r[4]) for r in rows[1:]] == [("D-2", "duty_overdue"), ("5", "duty_due"), ("T-1", "term_end"),
                                                ("C-3", "calendar_missing")]


def test_the_window_bounds_what_is_listed(cli, roster_file):
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "5d", "--format", "json")
    kinds = [(e["id"], e["kind"]) for e in json.loads(out)["events"]]
    # overdue whatever the window; the due date 05-10 and the term end are further than 5 days off;
    # 2027 begins one day after C-3's as_of
    assert kinds == [("D-2", "duty_overdue"), ("C-3", "calendar_missing")]
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "3y", "--format", "json")
    assert ("N-4", "term_end") in [(e["id"], e["kind"]) for e in json.loads(out)["events"]]


def test_as_of_overrides_each_cases_own(cli, roster_file):
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "1m", "--as-of", "2024-06-01", "--format", "json")
    events = json.loads(out)["events"]
    assert all(e["as_of"] == "2024-06-01" for e in events)
    assert ("T-1", "term_end") in [(e["id"], e["kind"]) for e in events]


def test_a_calendar_file_turns_the_missing_year_into_a_due_date(cli, roster_file, tmp_path):
    calendar = tmp_path / "cal.json"
    calendar.write_text('{"2027": {"holidays": ["2027-01-01"]}}', encoding="utf-8")
    code, out, _ = cli("upcoming", "wuhan", roster_file, "--within", "60d", "--calendar", calendar, "--format", "json")
    c3 = [(e["kind"], e["date"]) for e in json.loads(out)["events"] if e["id"] == "C-3"]
    assert c3 == [("duty_due", "2027-01-11")]


def test_csv_roster_and_a_bad_record(cli, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("id,as_of,appointment.method,appointment.start,conduct.information_changed_on,person.honest\n"
                    "A,2024-05-01,open,2021-06-15,,\n"
                    "B,2024-05-01,open,2023-07-01,2024-04-01,perhaps\n"
                    "C,2024-05-01,open,2023-07-01,2024-04-01,true\n", encoding="utf-8")
    code, out, err = cli("upcoming", "wuhan", path, "--within", "60d")
    assert code == 1
    assert [line.split("  ")[1] for line in out.splitlines()] == ["C", "A"]
    assert "roster.csv:3: B：错误 invalid case" in err and "person.honest" in err
    code, out, _ = cli("upcoming", "wuhan", path, "--within", "60d", "--format", "json")
    assert code == 1 and json.loads(out)["errors"][0]["id"] == "B"


@pytest.mark.parametrize("within", ["60", "d60", "60x", "-3d", "11y", "9999w", ""])
def test_a_bad_window_is_a_usage_error(cli, roster_file, within):
    code, out, err = cli("upcoming", "wuhan", roster_file, "--within", within)
    assert code == 2 and out == "" and "--within" in err


def test_usage_errors(cli, tmp_path, roster_file):
    assert cli("upcoming", "wuhan", roster_file)[0] == 2  # --within is required
    code, _, err = cli("upcoming", "wuhan", tmp_path / "missing.jsonl", "--within", "60d")
    assert code == 2 and "cannot read" in err
    code, _, err = cli("upcoming", "no-such-policy", roster_file, "--within", "60d")
    assert code == 2 and "no-such-policy" in err


@pytest.mark.parametrize("within, end", [("60d", dt.date(2024, 3, 1)), ("8w", dt.date(2024, 2, 26)),
                                         ("1m", dt.date(2024, 2, 29)), ("1y", dt.date(2025, 1, 31))])
def test_window_end(within, end):
    assert up.window_end(dt.date(2024, 1, 1) if within in ("60d", "8w") else dt.date(2024, 1, 31), within) == end


def test_nothing_due(cli, tmp_path):
    path = tmp_path / "quiet.jsonl"
    path.write_text(json.dumps(ROSTER[3]) + "\n", encoding="utf-8")
    code, out, _ = cli("upcoming", "wuhan", path, "--within", "60d")
    assert code == 0 and out.strip() == "窗口内没有到期事项"


def test_case_events_from_python():
    policy = sr.builtin_policy("wuhan")
    events = up.case_events(policy, {k: v for k, v in ROSTER[0].items() if k != "id"}, "60d", ident="T-1")
    assert [(e.kind, e.date, e.ident) for e in events] == [("term_end", dt.date(2024, 6, 15), "T-1")]
