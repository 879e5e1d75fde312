"""``--calendar FILE`` (INTERFACE.md): the file's years added to or replacing the calendar's, for
``eval`` (also ``--batch``), ``upcoming`` and ``test``; a malformed file is a usage error naming the place.
The loader is ``dates.workdays.load_calendar``."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import supervisor_rules as sr
from supervisor_rules.dates.workdays import CalendarFileError, WorkdayCalendar, load_calendar, missing_year_in

# 2027 as a made-up but well-formed year: New Year's Day off, a week off in February, a Sunday worked.
YEAR_2027 = {"2027": {"holidays": ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10"],
                      "workdays": ["2027-02-07"]}}
# WH 4(4): 7 working days after a change on Wed 2026-12-30 fall in 2027 (DECISION.md, obligations).
CASE = {"as_of": "2027-01-04", "appointment": {"method": "open", "start": "2025-01-01"},
        "conduct": {"information_changed_on": "2026-12-30"}}


@pytest.fixture
def calendar_file(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(YEAR_2027), encoding="utf-8")
    return path


def test_load_calendar_adds_the_year_and_names_the_file(calendar_file):
    calendar = load_calendar(calendar_file)
    assert 2027 in calendar.years and 2026 in calendar.years
    assert not calendar.is_workday(dt.date(2027, 1, 1)) and calendar.is_workday(dt.date(2027, 2, 7))
    assert str(calendar_file) in calendar.source
    assert WorkdayCalendar.from_file(calendar_file) == calendar


def test_a_listed_year_replaces_that_year_entirely(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text('{"2024": {"holidays": []}}', encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.is_workday(dt.date(2024, 10, 1))  # National Day is no longer listed: a Tuesday worked
    assert not load_calendar(tmp_path / "cal.json", sr.default_calendar()).is_workday(dt.date(2024, 10, 5))


def test_eval_with_calendar_gives_the_2027_due_date(cli, tmp_path, calendar_file):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    code, out, _ = cli("eval", "wuhan", case, "--format", "json")
    without = json.loads(out)
    assert code == 0 and without["obligations"][0]["due"] is None
    notice = next(n["message"] for n in without["notices"] if missing_year_in(n["message"]) == 2027)
    assert "--calendar FILE" in notice and "policy.with_calendar(" in notice and "\n" not in notice
    code, out, _ = cli("eval", "wuhan", case, "--format", "json", "--calendar", calendar_file)
    decided = json.loads(out)
    assert code == 0
    # Thu 12-31, then Jan 4-8 (Jan 1 off), then Mon Jan 11: the 7th working day
    assert decided["obligations"][0]["due"] == "2027-01-11"
    assert not any(missing_year_in(n["message"]) for n in decided["notices"])
    assert str(calendar_file) in decided["meta"]["calendar"]["source"]
    assert 2027 in decided["meta"]["calendar"]["years"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_eval_batch_with_calendar(cli, tmp_path, calendar_file, jobs):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"id": f"r{i}", **CASE}) + "\n" for i in range(3)), encoding="utf-8")
    code, out, err = cli("eval", "wuhan", "--batch", cases, "--calendar", calendar_file, "--jobs", jobs)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["id"] for d in lines] == ["r0", "r1", "r2"]
    assert all(d["obligations"][0]["due"] == "2027-01-11" for d in lines)


def test_policy_with_calendar_from_python(calendar_file):
    policy = sr.builtin_policy("wuhan")
    assert policy.evaluate(CASE).obligations[0].due is None
    assert policy.with_calendar(load_calendar(calendar_file)).evaluate(CASE).obligations[0].due == dt.date(2027, 1, 11)


BAD_FILES = [
    ("{not json", "cal.json:1:2: invalid JSON"),
    ("[]", "expected an object of years"),
    ('{"27": {}}', '"27": expected a year'),
    ('{"2027": []}', '"2027": expected an object'),
    ('{"2027": {"holiday": []}}', '"2027".holiday: unknown key'),
    ('{"2027": {"holidays": "2027-01-01"}}', '"2027".holidays: expected a list'),
    ('{"2027": {"holidays": ["2027-1-1"]}}', '"2027".holidays[0]: \'2027-1-1\' is not a date'),
    ('{"2027": {"holidays": ["2027-02-30"]}}', '"2027".holidays[0]: 2027-02-30 is not a real calendar date'),
    ('{"2027": {"holidays": ["2027-01-01", "2026-12-31"]}}', '"2027".holidays[1]: 2026-12-31 is not in 2027'),
    ('{"2027": {"workdays": ["2027-02-08"]}}', '"2027".workdays[0]: 2027-02-08 is a Monday'),
    ('{"2027": {"holidays": ["2027-02-07"], "workdays": ["2027-02-07"]}}',
     '"2027".workdays[0]: 2027-02-07 is listed both in holidays and in workdays'),
    ('{"2027": {}, "2027": {}}', "duplicate key"),
]


@pytest.mark.parametrize("text, place", BAD_FILES)
def test_a_malformed_file_names_the_place(tmp_path, text, place):
    path = tmp_path / "cal.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as exc:
        load_calendar(path)
    assert place in str(exc.value) and str(path) in str(exc.value)


@pytest.mark.parametrize("text, place", BAD_FILES[2:4] + BAD_FILES[8:11])
@pytest.mark.parametrize("command", ["eval", "batch", "upcoming", "test"])
def test_a_malformed_file_is_a_usage_error_in_every_command(cli, tmp_path, text, place, command):
    path = tmp_path / "cal.json"
    path.write_text(text, encoding="utf-8")
    roster = tmp_path / "roster.jsonl"
    roster.write_text(json.dumps({"id": 1, **CASE}) + "\n", encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    argv = {"eval": ["eval", "wuhan", case], "batch": ["eval", "wuhan", "--batch", roster],
            "upcoming": ["upcoming", "wuhan", roster, "--within", "60d"], "test": ["test", "wuhan"]}[command]
    code, out, err = cli(*argv, "--calendar", path)
    assert code == 2 and out == ""
    assert "--calendar" in err and place in err and "Traceback" not in err


def test_a_missing_or_oversized_file(cli, tmp_path):
    code, _, err = cli("eval", "wuhan", "--batch", "-", "--calendar", tmp_path / "nope.json", stdin="")
    assert code == 2 and "cannot read the calendar file" in err
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 << 20))
    code, _, err = cli("upcoming", "wuhan", "-", "--within", "1y", "--calendar", big, stdin="")
    assert code == 2 and "over the limit" in err


def test_test_command_takes_a_calendar(cli, calendar_file):
    """The shipped tests expect 2027 to be missing: with a 2027 calendar exactly those fail, on the due date."""
    code, _, _ = cli("test", "wuhan", "--format", "text")
    assert code == 0
    code, out, err = cli("test", "wuhan", "--calendar", calendar_file, "--format", "text")
    assert code == 1 and "2 failed" in out
    assert "actual:   2027-01-11" in out


def test_a_family_takes_the_calendar_in_every_version_and_composite(calendar_file):
    from pathlib import Path

    family = sr.load_family(Path(__file__).parent / "fixtures" / "family" / "tiny.family")
    calendar = load_calendar(calendar_file)
    moved = family.with_calendar(calendar)
    assert isinstance(moved, sr.Family) and moved.id == family.id
    assert all(v.calendar is calendar for v in moved.versions)
    assert all(p.calendar is calendar for _, p in moved.composites)
    assert len(moved.composites) == len(family.composites)
    with pytest.raises(sr.RulesError):
        family.with_calendar("cal.json")
