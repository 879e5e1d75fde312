"""Tests for supervisor_rules.dates.deadlines: art. 203, windows, minimum periods."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from supervisor_rules.dates.deadlines import (
    MAX_PERIOD_UNITS, deadline_calendar_days, deadline_months, deadline_years, extend_to_working_day, immediately,
    lasts_at_least, window_before, within_window_before,
)
from supervisor_rules.dates.periods import PeriodOutOfRange
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar, default_calendar

D = dt.date
ONE = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


CAL = default_calendar()
FIRST, LAST = min(CAL.years), max(CAL.years)


# -- an independent oracle: the calendar's raw sets, walked one day at a time --

def _is_working(cal, d):
    if d.year not in cal.years:
        raise MissingCalendarYear(d.year)
    return d in cal.adjusted_workdays or (d.weekday() < 5 and d not in cal.holidays)


def _walk_to_working(cal, d):
    while not _is_working(cal, d):
        d += ONE
    return d


def _outcome(f, *args, **kwargs):
    try:
        return f(*args, **kwargs)
    except MissingCalendarYear as exc:
        return ("missing", exc.year)


# Starts reach from a year before the data to a year after it, so some deadlines fall outside.
starts = st.dates(min_value=D(FIRST - 1, 10, 1), max_value=D(LAST + 1, 3, 31))


@given(start=starts, n=st.integers(1, 60))
def test_art203_deadline_is_the_naive_one_or_the_next_working_day(start, n):
    naive = start + dt.timedelta(days=n)
    assert deadline_calendar_days(start, n, CAL, art203=False) == naive
    expected = _outcome(_walk_to_working, CAL, naive)
    assert _outcome(deadline_calendar_days, start, n, CAL) == expected
    if not isinstance(expected, tuple) and _is_working(CAL, naive):
        assert expected == naive


@given(start=starts, n=st.integers(1, 24))
def test_art203_months_deadline(start, n):
    naive = start + relativedelta(months=n)
    assert deadline_months(start, n, CAL, art203=False) == naive
    assert _outcome(deadline_months, start, n, CAL) == _outcome(_walk_to_working, CAL, naive)


@given(x=st.dates(min_value=D(1901, 1, 1), max_value=D(2999, 12, 31)), n=st.integers(1, 40),
       unit=st.sampled_from(["days", "months", "years"]), include_x=st.booleans())
def test_window_brute_force(x, n, unit, include_x):
    first, last = window_before(x, n, unit, include_x=include_x)
    back = relativedelta(days=n) if unit == "days" else relativedelta(months=n) if unit == "months" \
        else relativedelta(years=n)
    assert first == x - back
    assert last == (x if include_x else x - ONE)
    # Every day from a little before the window to x: inside exactly when in [first, last].
    day = min(first - dt.timedelta(days=3), x - dt.timedelta(days=40))
    while day <= x:
        inside = day >= x - back and (day < x or include_x)
        assert within_window_before(day, x, n, unit, include_x=include_x) == inside, day
        day += ONE


@given(a=st.dates(min_value=D(FIRST, 1, 1), max_value=D(LAST, 11, 30)), length=st.integers(-3, 30),
       n=st.integers(1, 25), count_start=st.booleans())
def test_minimum_period_brute_force(a, length, n, count_start):
    b = a + dt.timedelta(days=length)
    days = [a + dt.timedelta(days=i) for i in range(0 if count_start else 1, length + 1)]
    assert lasts_at_least(a, b, n, "days", count_start=count_start) == (len(days) >= n)
    working = [d for d in days if _is_working(CAL, d)]
    assert lasts_at_least(a, b, n, "working_days", CAL, count_start=count_start) == (len(working) >= n)


# -- art. 203 at the tricky points (chinesecalendar data for 2025) --

@pytest.mark.parametrize("day", [D(2025, 10, d) for d in range(1, 9)])
def test_deadline_landing_in_national_day_2025_ends_on_9_october(cal, day):
    start = D(2025, 9, 1)
    n = (day - start).days
    assert deadline_calendar_days(start, n, cal, art203=False) == day
    assert deadline_calendar_days(start, n, cal) == D(2025, 10, 9)
    assert extend_to_working_day(day, cal) == D(2025, 10, 9)


@pytest.mark.parametrize("day", [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)])
def test_deadline_landing_in_spring_festival_2025_ends_on_5_february(cal, day):
    # 2025-01-28 .. 02-04 off; 02-05 is a Wednesday.
    assert deadline_calendar_days(D(2025, 1, 20), (day - D(2025, 1, 20)).days, cal) == D(2025, 2, 5)


def test_deadline_on_an_ordinary_sunday_moves_to_monday(cal):
    assert deadline_calendar_days(D(2025, 3, 6), 10, cal) == D(2025, 3, 17)  # naive: Sunday 03-16
    assert deadline_calendar_days(D(2025, 3, 6), 9, cal) == D(2025, 3, 17)  # naive: Saturday 03-15


@pytest.mark.parametrize("adjusted", [D(2025, 1, 26), D(2025, 2, 8), D(2025, 9, 28), D(2025, 10, 11)])
def test_deadline_on_an_adjusted_working_weekend_day_stays(cal, adjusted):
    assert adjusted.weekday() >= 5
    assert deadline_calendar_days(adjusted - dt.timedelta(days=15), 15, cal) == adjusted


def test_deadline_on_a_working_day_stays(cal):
    assert deadline_calendar_days(D(2025, 3, 1), 30, cal) == D(2025, 3, 31)


def test_months_and_years(cal):
    assert deadline_months(D(2025, 8, 1), 2, cal) == D(2025, 10, 9)
    assert deadline_months(D(2025, 8, 1), 2, cal, art203=False) == D(2025, 10, 1)
    assert deadline_years(D(2023, 10, 1), 2, cal) == D(2025, 10, 9)
    assert deadline_months(D(2024, 12, 31), 2, cal) == D(2025, 2, 28)  # art. 202, a Friday
    # n counts years, not months: 100 years is within the 1,000-unit bound.
    assert deadline_years(D(1925, 10, 1), 100, cal) == D(2025, 10, 9)
    assert deadline_years(D(1925, 10, 1), MAX_PERIOD_UNITS, cal, art203=False) == D(2925, 10, 1)


def test_a_year_without_data(cal):
    assert 2027 not in cal.years  # update the dates below when the data grows
    with pytest.raises(MissingCalendarYear) as info:
        deadline_calendar_days(D(2026, 12, 20), 20, cal)
    assert info.value.year == 2027
    # Without art. 203 no calendar is consulted.
    assert deadline_calendar_days(D(2026, 12, 20), 20, cal, art203=False) == D(2027, 1, 9)
    with pytest.raises(MissingCalendarYear):
        extend_to_working_day(D(2027, 1, 4), cal)  # a Monday, but who knows


def test_a_holiday_run_into_a_year_without_data():
    cal = WorkdayCalendar(holidays={D(2025, 12, 31)}, adjusted_workdays=(), years={2025}, source="test")
    with pytest.raises(MissingCalendarYear) as info:
        extend_to_working_day(D(2025, 12, 31), cal)
    assert info.value.year == 2026
    last = WorkdayCalendar(holidays={D(9999, 12, 31)}, adjusted_workdays=(), years={9999}, source="test")
    with pytest.raises(MissingCalendarYear) as info:
        extend_to_working_day(D(9999, 12, 31), last)
    assert info.value.year == 10000


def test_past_the_end_of_dates(cal):
    with pytest.raises(PeriodOutOfRange):
        deadline_calendar_days(D(9999, 12, 1), 31, cal)
    with pytest.raises(PeriodOutOfRange):
        window_before(D(1, 1, 5), 5, "days")
    with pytest.raises(PeriodOutOfRange):
        window_before(D(1, 6, 1), 1, "years")


def test_immediately_is_the_same_day():
    assert immediately(D(2025, 10, 1)) == D(2025, 10, 1)  # a holiday: not a period, art. 203 does not apply
    with pytest.raises(TypeError):
        immediately(dt.datetime(2025, 10, 1, 9))


# -- windows --

def test_within_three_years_before():
    # 近三年内 before 2025-06-15: 2022-06-15 .. 2025-06-14, three years exactly.
    assert window_before(D(2025, 6, 15), 3, "years") == (D(2022, 6, 15), D(2025, 6, 14))
    assert window_before(D(2025, 6, 15), 3, "years", include_x=True) == (D(2022, 6, 15), D(2025, 6, 15))
    assert within_window_before(D(2022, 6, 15), D(2025, 6, 15), 3, "years")
    assert not within_window_before(D(2022, 6, 14), D(2025, 6, 15), 3, "years")
    assert not within_window_before(D(2025, 6, 15), D(2025, 6, 15), 3, "years")
    assert within_window_before(D(2025, 6, 15), D(2025, 6, 15), 3, "years", include_x=True)
    assert not within_window_before(D(2025, 6, 16), D(2025, 6, 15), 3, "years", include_x=True)


def test_window_without_a_corresponding_day_starts_at_the_month_end():
    assert window_before(D(2024, 2, 29), 1, "years")[0] == D(2023, 2, 28)
    assert window_before(D(2024, 3, 31), 1, "months")[0] == D(2024, 2, 29)
    assert window_before(D(2025, 3, 1), 30, "days") == (D(2025, 1, 30), D(2025, 2, 28))


# -- minimum periods --

def test_publicity_period_of_five_working_days_across_national_day(cal):
    posted = D(2025, 9, 26)  # Friday; counted from 09-28 (adjusted Sunday), 09-29, 09-30, 10-09, 10-10
    assert not lasts_at_least(posted, D(2025, 10, 9), 5, "working_days", cal)
    assert lasts_at_least(posted, D(2025, 10, 10), 5, "working_days", cal)
    assert lasts_at_least(posted, D(2025, 10, 9), 5, "working_days", cal, count_start=True)
    assert lasts_at_least(posted, D(2025, 10, 1), 5, "days")
    assert not lasts_at_least(posted, D(2025, 9, 30), 5, "days")
    assert lasts_at_least(posted, D(2025, 9, 30), 5, "days", count_start=True)


def test_minimum_period_stops_before_a_year_it_does_not_need(cal):
    # Five working days are found in 2026: the missing 2027 is never reached.
    assert lasts_at_least(D(2026, 12, 1), D(2027, 6, 1), 5, "working_days", cal)
    with pytest.raises(MissingCalendarYear):
        lasts_at_least(D(2026, 12, 28), D(2027, 6, 1), 5, "working_days", cal)
    assert not lasts_at_least(D(2026, 12, 28), D(2026, 12, 29), 5, "working_days", cal)
    assert not lasts_at_least(D(2026, 12, 28), D(2026, 12, 20), 5, "working_days", cal)


# -- refusals --

@pytest.mark.parametrize("call", [
    lambda c: deadline_calendar_days(D(2025, 1, 1), MAX_PERIOD_UNITS + 1, c),
    lambda c: deadline_months(D(2025, 1, 1), 10 ** 5000, c),
    lambda c: deadline_years(D(2025, 1, 1), 1001, c),
    lambda c: window_before(D(2025, 1, 1), 1001, "days"),
    lambda c: lasts_at_least(D(2025, 1, 1), D(2025, 2, 1), 1001, "days"),
])
def test_refuses_more_than_a_thousand_units(cal, call):
    with pytest.raises(ValueError, match="more than 1,000 units is surely a mistake"):
        call(cal)


def test_refuses_bad_arguments(cal):
    with pytest.raises(ValueError, match="at least 1"):
        deadline_calendar_days(D(2025, 1, 1), 0, cal)
    with pytest.raises(ValueError, match="at least 1"):
        window_before(D(2025, 1, 1), -3, "years")
    with pytest.raises(TypeError):
        deadline_calendar_days(D(2025, 1, 1), True, cal)
    with pytest.raises(TypeError):
        deadline_calendar_days(dt.datetime(2025, 1, 1), 5, cal)
    with pytest.raises(TypeError):
        deadline_calendar_days(D(2025, 1, 1), 5, None)
    with pytest.raises(ValueError, match="unit must be"):
        window_before(D(2025, 1, 1), 3, "weeks")
    with pytest.raises(ValueError, match="unit must be"):
        lasts_at_least(D(2025, 1, 1), D(2025, 2, 1), 3, "months")
    with pytest.raises(ValueError, match="needs a WorkdayCalendar"):
        lasts_at_least(D(2025, 1, 1), D(2025, 2, 1), 3, "working_days")
