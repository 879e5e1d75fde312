"""Tests for supervisor_rules.dates.periods (Civil Code arts. 201-202)."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from supervisor_rules.dates.periods import PeriodOutOfRange, add_months, add_years

D = dt.date


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (D(2021, 7, 1), 2, D(2023, 7, 1)),  # the brief's plain example
        (D(2020, 2, 29), 3, D(2023, 2, 28)),  # no 29 Feb in 2023: month end
        (D(2020, 2, 29), 4, D(2024, 2, 29)),  # leap to leap keeps the 29th
        (D(2020, 2, 29), 1, D(2021, 2, 28)),
        (D(2019, 2, 28), 1, D(2020, 2, 28)),  # 28th stays the 28th in a leap year
        (D(1900, 2, 28), 100, D(2000, 2, 28)),
        (D(2096, 2, 29), 4, D(2100, 2, 28)),  # 2100 is not a leap year
        (D(2023, 12, 31), 1, D(2024, 12, 31)),
        (D(2023, 5, 17), 0, D(2023, 5, 17)),
    ],
)
def test_add_years(start, years, expected):
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2023, 1, 31), 1, D(2023, 2, 28)),  # month-end clamp
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # ... in a leap year
        (D(2023, 1, 31), 3, D(2023, 4, 30)),
        (D(2023, 3, 31), 6, D(2023, 9, 30)),
        (D(2023, 8, 31), 4, D(2023, 12, 31)),
        (D(2023, 11, 30), 2, D(2024, 1, 30)),  # crosses a year boundary
        (D(2023, 12, 15), 1, D(2024, 1, 15)),
        (D(2023, 1, 15), 25, D(2025, 2, 15)),
        (D(2023, 3, 31), -1, D(2023, 2, 28)),  # negative counts back, same clamp
        (D(2023, 1, 10), -1, D(2022, 12, 10)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_out_of_range_near_9999():
    assert add_years(D(9998, 12, 31), 1) == D(9999, 12, 31)
    assert add_months(D(9999, 11, 30), 1) == D(9999, 12, 30)
    with pytest.raises(PeriodOutOfRange, match="10000") as exc:
        add_years(D(9999, 1, 1), 1)
    assert isinstance(exc.value, ValueError)
    with pytest.raises(PeriodOutOfRange, match="10000"):
        add_months(D(9999, 12, 1), 1)
    with pytest.raises(PeriodOutOfRange, match="year 0"):
        add_months(D(1, 1, 1), -1)


def test_rejects_bad_types():
    with pytest.raises(TypeError):
        add_years(dt.datetime(2020, 1, 1, 12), 1)
    with pytest.raises(TypeError):
        add_years(D(2020, 1, 1), 1.0)
    with pytest.raises(TypeError):
        add_months(D(2020, 1, 1), True)


@given(
    start=st.dates(min_value=D(1900, 1, 1), max_value=D(9990, 12, 31)),
    years=st.integers(0, 10),
)
def test_add_years_matches_relativedelta(start, years):
    # relativedelta also clamps to the month's last day: an independent oracle.
    assert add_years(start, years) == start + relativedelta(years=years)


@given(
    start=st.dates(min_value=D(1900, 1, 1), max_value=D(9990, 12, 31)),
    months=st.integers(-120, 120),
)
def test_add_months_matches_relativedelta(start, months):
    assert add_months(start, months) == start + relativedelta(months=months)
