"""Tests for supervisor_rules.dates.ages: 周岁 under the two conventions."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from supervisor_rules.dates.ages import CONVENTIONS, LEAP_DAYS, MAX_AGE, age_on, age_range, reaches_age
from supervisor_rules.dates.periods import PeriodOutOfRange

D = dt.date
ONE = dt.timedelta(days=1)


# -- an independent oracle: count birthdays one year at a time with relativedelta --

def _oracle_birthday(birth, n, leap_day):
    day = birth + relativedelta(years=n)  # relativedelta clamps 29 Feb to 28 Feb on its own
    if leap_day == "mar1" and (birth.month, birth.day) == (2, 29) and day.month == 2 and day.day == 28:
        day = D(day.year, 3, 1)
    return day


def _oracle_age(birth, day, convention, leap_day):
    n = 0
    while True:
        reached = _oracle_birthday(birth, n + 1, leap_day)
        if convention == "day_after":
            reached += ONE
        if reached > day:
            return n
        n += 1


# Plain dates rarely draw 29 February or 31 December, the births where conventions part.
births = st.one_of(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
                   st.sampled_from([D(y, 2, 29) for y in range(1904, 2100, 4)]),
                   st.integers(1900, 2100).map(lambda y: D(y, 12, 31)))
conventions = st.sampled_from(CONVENTIONS)
leap_days = st.sampled_from(LEAP_DAYS)


@given(birth=births, offset=st.integers(0, 120 * 366), convention=conventions, leap_day=leap_days)
def test_age_matches_year_by_year_count(birth, offset, convention, leap_day):
    day = birth + dt.timedelta(days=offset)
    assert age_on(birth, day, convention=convention, leap_day=leap_day) == _oracle_age(birth, day, convention, leap_day)


@given(birth=births, years=st.integers(1, 120), jitter=st.integers(-2, 2), convention=conventions,
       leap_day=leap_days)
def test_age_matches_year_by_year_count_around_a_birthday(birth, years, jitter, convention, leap_day):
    # The days where the conventions and leap-day choices part are within a day or two of a birthday.
    day = birth + relativedelta(years=years) + dt.timedelta(days=jitter)
    assert age_on(birth, day, convention=convention, leap_day=leap_day) == _oracle_age(birth, day, convention, leap_day)


@given(birth=births, offset=st.integers(0, 120 * 366))
def test_birthday_mar1_is_the_textbook_formula(birth, offset):
    # The schoolbook "year difference, minus one if the birthday has not come yet"
    # compares (month, day) pairs, so it puts a 29 Feb birthday on 1 March.
    day = birth + dt.timedelta(days=offset)
    expected = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    assert age_on(birth, day, convention="birthday", leap_day="mar1") == expected


@given(birth=births, n=st.integers(0, MAX_AGE), convention=conventions, leap_day=leap_days)
def test_reaches_age_is_the_first_day_of_that_age(birth, n, convention, leap_day):
    first = reaches_age(birth, n, convention=convention, leap_day=leap_day)
    assert age_on(birth, first, convention=convention, leap_day=leap_day) == n
    if n > 0:
        assert age_on(birth, first - ONE, convention=convention, leap_day=leap_day) == n - 1
    else:
        assert first == birth


@given(birth=births, n=st.integers(1, MAX_AGE), leap_day=leap_days)
def test_day_after_is_one_day_later(birth, n, leap_day):
    assert (reaches_age(birth, n, convention="day_after", leap_day=leap_day)
            == reaches_age(birth, n, convention="birthday", leap_day=leap_day) + ONE)


@given(birth=births, a=st.integers(0, MAX_AGE - 1), span=st.integers(1, 20), convention=conventions,
       leap_day=leap_days)
def test_age_range_is_exactly_the_days_of_those_ages(birth, a, span, convention, leap_day):
    b = min(a + span, MAX_AGE)
    first, last = age_range(birth, a, b, convention=convention, leap_day=leap_day)
    kw = dict(convention=convention, leap_day=leap_day)
    assert age_on(birth, first, **kw) == a and age_on(birth, last, **kw) == b - 1
    assert age_on(birth, last + ONE, **kw) == b
    if a > 0:
        assert age_on(birth, first - ONE, **kw) == a - 1


@settings(max_examples=30)
@given(birth=st.dates(min_value=D(1900, 1, 1), max_value=D(2000, 12, 31)), convention=conventions,
       leap_day=leap_days)
def test_age_range_brute_force_over_a_few_years(birth, convention, leap_day):
    first, last = age_range(birth, 2, 4, convention=convention, leap_day=leap_day)
    day = birth
    while day < birth + dt.timedelta(days=6 * 366):
        inside = 2 <= age_on(birth, day, convention=convention, leap_day=leap_day) < 4
        assert inside == (first <= day <= last), day
        day += ONE


# -- the tricky points --

@pytest.mark.parametrize("convention, leap_day, eighteen", [
    ("birthday", "feb28", D(2022, 2, 28)),
    ("birthday", "mar1", D(2022, 3, 1)),
    ("day_after", "feb28", D(2022, 3, 1)),
    ("day_after", "mar1", D(2022, 3, 2)),
])
def test_born_on_29_february_reaching_18_in_a_common_year(convention, leap_day, eighteen):
    birth = D(2004, 2, 29)
    assert reaches_age(birth, 18, convention=convention, leap_day=leap_day) == eighteen
    assert age_on(birth, eighteen, convention=convention, leap_day=leap_day) == 18
    assert age_on(birth, eighteen - ONE, convention=convention, leap_day=leap_day) == 17


@pytest.mark.parametrize("leap_day", LEAP_DAYS)
def test_born_on_29_february_in_a_leap_year_the_birthday_is_29_february(leap_day):
    birth = D(2004, 2, 29)
    assert reaches_age(birth, 20, convention="birthday", leap_day=leap_day) == D(2024, 2, 29)
    assert reaches_age(birth, 20, convention="day_after", leap_day=leap_day) == D(2024, 3, 1)
    assert age_on(birth, D(2024, 2, 28), convention="birthday", leap_day=leap_day) == 19
    assert age_on(birth, D(2024, 2, 29), convention="day_after", leap_day=leap_day) == 19


def test_spc_example_day_after_the_birthday():
    # 法释〔2006〕1号 art. 2: 14 周岁 from the day after the 14th birthday.
    birth = D(2010, 5, 20)
    assert age_on(birth, D(2024, 5, 20), convention="day_after") == 13
    assert age_on(birth, D(2024, 5, 21), convention="day_after") == 14
    assert age_on(birth, D(2024, 5, 20), convention="birthday") == 14
    assert age_on(birth, D(2024, 5, 19), convention="birthday") == 13


def test_born_31_december():
    birth = D(2000, 12, 31)
    assert reaches_age(birth, 10, convention="day_after") == D(2011, 1, 1)
    assert age_on(birth, D(2011, 1, 1), convention="day_after") == 10
    assert age_on(birth, D(2010, 12, 31), convention="day_after") == 9
    assert age_on(birth, D(2010, 12, 31), convention="birthday") == 10


def test_zero_on_the_day_of_birth():
    for convention in CONVENTIONS:
        assert age_on(D(2020, 3, 1), D(2020, 3, 1), convention=convention) == 0
        assert reaches_age(D(2020, 3, 1), 0, convention=convention) == D(2020, 3, 1)


def test_age_range_fourteen_to_sixteen():
    # 已满十四周岁不满十六周岁 under the SPC convention.
    assert age_range(D(2010, 5, 20), 14, 16, convention="day_after") == (D(2024, 5, 21), D(2026, 5, 20))
    assert age_range(D(2010, 5, 20), 14, 16, convention="birthday") == (D(2024, 5, 20), D(2026, 5, 19))


def test_near_the_end_of_the_calendar():
    assert age_on(D(9998, 12, 31), D(9999, 12, 31), convention="day_after") == 0
    assert age_on(D(9998, 12, 31), D(9999, 12, 31), convention="birthday") == 1
    with pytest.raises(PeriodOutOfRange):
        reaches_age(D(9990, 1, 1), 10, convention="birthday")


# -- refusals --

def test_refuses_bad_arguments():
    b = D(2000, 1, 1)
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(b, D(1999, 12, 31), convention="birthday")
    with pytest.raises(ValueError, match="convention must be one of"):
        age_on(b, D(2020, 1, 1), convention="lunar")
    with pytest.raises(ValueError, match="leap_day must be one of"):
        reaches_age(b, 1, convention="birthday", leap_day="feb29")
    with pytest.raises(TypeError):
        age_on(b, D(2020, 1, 1))  # the convention has no default: the author must choose
    with pytest.raises(TypeError):
        age_on(dt.datetime(2000, 1, 1), D(2020, 1, 1), convention="birthday")
    with pytest.raises(TypeError):
        reaches_age(b, True, convention="birthday")
    with pytest.raises(ValueError, match=f"between 0 and {MAX_AGE}"):
        reaches_age(b, MAX_AGE + 1, convention="birthday")
    with pytest.raises(ValueError, match="more than 12 digits"):
        reaches_age(b, 10 ** 5000, convention="birthday")
    with pytest.raises(ValueError, match="between 0 and"):
        reaches_age(b, -1, convention="birthday")
    with pytest.raises(ValueError, match="at_least < under"):
        age_range(b, 16, 16, convention="birthday")
