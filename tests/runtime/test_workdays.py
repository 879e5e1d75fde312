"""Tests for supervisor_rules.dates.workdays."""

import datetime as dt
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar, default_calendar

D = dt.date


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


def test_default_calendar_covers_known_years(cal):
    # chinesecalendar 1.11.0 covers 2004..2026; later versions may add years.
    assert set(range(2004, 2027)) <= cal.years
    assert cal.source.startswith("chinesecalendar ")
    assert default_calendar() is cal  # cached


def test_national_day_2025(cal):
    # Start Friday 2025-09-26 (not counted):
    #   09-27 Sat off
    #   09-28 Sun adjusted workday  -> 1
    #   09-29 Mon                   -> 2
    #   09-30 Tue                   -> 3
    #   10-01 .. 10-08 National Day / Mid-Autumn, off
    #   10-09 Thu                   -> 4
    #   10-10 Fri                   -> 5
    #   10-11 Sat adjusted workday  -> 6
    #   10-12 Sun off
    #   10-13 Mon                   -> 7
    assert cal.add_working_days(D(2025, 9, 26), 7) == D(2025, 10, 13)
    assert cal.is_workday(D(2025, 9, 28))
    assert cal.is_workday(D(2025, 10, 11))
    assert not cal.is_workday(D(2025, 10, 8))
    assert not cal.is_workday(D(2025, 10, 12))


def test_plain_week(cal):
    # Monday 2025-03-10, no holiday nearby: 5 working days -> Monday 03-17.
    assert cal.add_working_days(D(2025, 3, 10), 1) == D(2025, 3, 11)
    assert cal.add_working_days(D(2025, 3, 10), 4) == D(2025, 3, 14)
    assert cal.add_working_days(D(2025, 3, 10), 5) == D(2025, 3, 17)
    # From a Saturday the first working day is Monday.
    assert cal.add_working_days(D(2025, 3, 15), 1) == D(2025, 3, 17)
    assert cal.add_working_days(D(2025, 3, 10), 0) == D(2025, 3, 10)


def test_start_on_holiday(cal):
    # Start 2025-10-03 (Fri, holiday): 10-04..10-08 off, 10-09 Thu -> 1,
    # 10-10 Fri -> 2, 10-11 Sat adjusted -> 3.
    assert cal.add_working_days(D(2025, 10, 3), 1) == D(2025, 10, 9)
    assert cal.add_working_days(D(2025, 10, 3), 3) == D(2025, 10, 11)
    # Labour Day 2025: 05-01 Thu .. 05-05 Mon off; from 05-01, 1 -> 05-06 Tue.
    assert cal.add_working_days(D(2025, 5, 1), 1) == D(2025, 5, 6)


def test_missing_year_2027(cal):
    with pytest.raises(MissingCalendarYear, match="2027") as exc:
        cal.is_workday(D(2027, 3, 1))
    assert exc.value.year == 2027
    assert isinstance(exc.value, LookupError)
    assert "extended" in str(exc.value)
    # 2026-12-31 is Thursday; 12-31 + 1 working day needs 2027.
    with pytest.raises(MissingCalendarYear, match="2027") as exc:
        cal.add_working_days(D(2026, 12, 30), 2)
    assert exc.value.year == 2027
    assert pickle.loads(pickle.dumps(exc.value)).year == 2027


def test_missing_year_before_data():
    cal = WorkdayCalendar(holidays=(), adjusted_workdays=(), years={2025}, source="t")
    with pytest.raises(MissingCalendarYear) as exc:
        cal.is_workday(D(2024, 12, 31))
    assert exc.value.year == 2024
    # The start day is not counted, so its year need not be covered.
    assert cal.add_working_days(D(2024, 12, 31), 1) == D(2025, 1, 1)


def test_extended_adds_fake_2027(cal):
    # A made-up 2027: 01-01 Fri off, 01-04 Mon off, Sat 01-09 worked.
    ext = cal.extended(
        holidays=[D(2027, 1, 1), D(2027, 1, 4)],
        adjusted_workdays=[D(2027, 1, 9)],
        years=[2027],
    )
    assert 2027 in ext.years and cal.years <= ext.years
    assert "extended" in ext.source
    # From Thu 2026-12-31: 01-01 off, 01-02/03 weekend, 01-04 off,
    # 01-05 Tue -> 1, 01-06 -> 2, 01-07 -> 3, 01-08 -> 4, 01-09 Sat -> 5.
    assert ext.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 5)
    assert ext.add_working_days(D(2026, 12, 31), 5) == D(2027, 1, 9)
    # 2025 data is untouched.
    assert ext.add_working_days(D(2025, 9, 26), 7) == D(2025, 10, 13)
    assert 2027 not in cal.years  # the original is immutable


def test_extended_replaces_a_covered_year(cal):
    # Supplying 2025 again replaces all of 2025: National Day disappears.
    ext = cal.extended(holidays=[D(2025, 12, 25)], years=[2025], source="amended")
    assert ext.source == "amended"
    assert ext.is_workday(D(2025, 10, 1))
    assert not ext.is_workday(D(2025, 9, 28))  # adjusted Sunday gone too
    assert not ext.is_workday(D(2025, 12, 25))
    assert not ext.is_workday(D(2026, 10, 1))  # other years kept


def test_extended_rejects_dates_outside_supplied_years(cal):
    with pytest.raises(ValueError, match="2026-12-31 is in 2026"):
        cal.extended(holidays=[D(2026, 12, 31), D(2027, 1, 1)], years=[2027])


def test_constructor_validation():
    with pytest.raises(ValueError, match="only Saturdays and Sundays"):
        WorkdayCalendar(holidays=(), adjusted_workdays={D(2025, 10, 1)}, years={2025}, source="t")
    with pytest.raises(ValueError, match="both"):
        WorkdayCalendar(
            holidays={D(2025, 10, 4)}, adjusted_workdays={D(2025, 10, 4)}, years={2025}, source="t"
        )
    with pytest.raises(ValueError, match="not among"):
        WorkdayCalendar(holidays={D(2024, 10, 1)}, adjusted_workdays=(), years={2025}, source="t")
    with pytest.raises(TypeError):
        WorkdayCalendar(holidays=(), adjusted_workdays=(), years={2025}, source="t").is_workday(
            dt.datetime(2025, 10, 1)
        )


def test_mapping_round_trip(cal):
    m = cal.to_mapping()
    assert json.loads(json.dumps(m)) == m
    assert "2025-10-01" in m["holidays"] and "2025-09-28" in m["adjusted_workdays"]
    assert WorkdayCalendar.from_mapping(m) == cal

    small = {
        "source": "test",
        "years": [2027],
        "holidays": ["2027-01-01"],
        "adjusted_workdays": ["2027-01-09"],
    }
    c = WorkdayCalendar.from_mapping(small)
    assert c.to_mapping() == small
    assert not c.is_workday(D(2027, 1, 1)) and c.is_workday(D(2027, 1, 9))


def _mapping(**over):
    m = {"source": "t", "years": [2025], "holidays": ["2025-10-01"], "adjusted_workdays": []}
    m.update(over)
    return m


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_mapping(holidays=["2025-13-01"]), r"holidays\[0\]: '2025-13-01' is not a valid"),
        (
            _mapping(holidays=["2025-10-01", "2025/10/02"]),
            r"holidays\[1\]: '2025/10/02' is not an ISO",
        ),
        (_mapping(holidays=["20251001"]), r"holidays\[0\]: '20251001' is not an ISO"),
        (_mapping(holidays=[20251001]), r"holidays\[0\]: 20251001 is not an ISO"),
        (
            _mapping(adjusted_workdays=["2024-09-29"]),
            r"adjusted_workdays\[0\]: 2024-09-29 is in 2024",
        ),
        (_mapping(adjusted_workdays=["2025-10-01"]), "only Saturdays and Sundays"),
        (_mapping(years=["2025"]), r"years\[0\] must be an int"),
        (_mapping(years=2025), "'years' must be a list"),
        (_mapping(source=""), "'source' must be a non-empty string"),
        (_mapping(adjusted_work_days=[]), "unknown key.*adjusted_work_days"),
        (
            {"source": "t", "years": [2025], "holidays": []},
            "missing required key.*adjusted_workdays",
        ),
        ([], "must be a mapping"),
    ],
)
def test_from_mapping_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        WorkdayCalendar.from_mapping(bad)


def test_repr_is_short(cal):
    assert len(repr(cal)) < 120


def _count_workdays(cal, after, upto):
    d, count = after, 0
    while d < upto:
        d += dt.timedelta(days=1)
        count += cal.is_workday(d)
    return count


@given(
    start=st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 9, 30)),
    n=st.integers(1, 40),
)
def test_add_working_days_property(start, n):
    cal = default_calendar()
    end = cal.add_working_days(start, n)
    assert end > start
    assert cal.is_workday(end)
    assert _count_workdays(cal, start, end) == n


def test_agrees_with_chinesecalendar_everywhere(cal):
    # Independent oracle: the package's own is_workday over every covered day.
    import chinese_calendar  # a dependency of the package: never missing
    d, end = D(min(cal.years), 1, 1), D(max(cal.years), 12, 31)
    while d <= end:
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        d += dt.timedelta(days=1)
