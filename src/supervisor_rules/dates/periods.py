"""Period arithmetic under the Civil Code of the PRC, arts. 201-202.

Art. 201: for a period counted in years, months or days, the day on which it
starts is not counted; counting begins the next day.  Art. 202: a period in
years or months ends on the corresponding day of the final month, or on the
last day of that month if it has no corresponding day.

Together these mean "start + N months, clamped to the end of the month": the
excluded start day and the "corresponding day" cancel out, so a two-year
period starting 2021-07-01 ends on 2023-07-01.

Art. 203 (a period whose last day is a statutory holiday ends on the day after
the holiday; the last day ends at 24:00) is deliberately not applied here: it
needs a holiday calendar, see ``supervisor_rules.dates.deadlines``.
"""

from __future__ import annotations

import calendar
import datetime

__all__ = ["PeriodOutOfRange", "add_months", "add_years"]


class PeriodOutOfRange(ValueError):
    """The end of a period falls outside the range of ``datetime.date``."""


def _check_args(start: datetime.date, count: int, unit: str) -> None:
    # A datetime is a date subclass; refusing it avoids silently dropping a
    # time of day that might matter to the caller's reading of art. 201.
    if not isinstance(start, datetime.date) or isinstance(start, datetime.datetime):
        raise TypeError(f"start must be a datetime.date, not {type(start).__name__}")
    # bool is an int subclass, but add_years(d, True) is surely a bug.
    if not isinstance(count, int) or isinstance(count, bool):
        raise TypeError(f"{unit} must be an int, not {type(count).__name__}")


def add_months(start: datetime.date, months: int) -> datetime.date:
    """Return the last day of a period of ``months`` months starting on ``start``.

    The end is the same day-of-month ``months`` months later, or the last day
    of that month when it is shorter (2023-01-31 + 1 month -> 2023-02-28).
    ``months`` may be zero (returns ``start``) or negative (counts backwards
    with the same clamping).

    Raises ``PeriodOutOfRange`` if the result would be before year 1 or
    after year 9999.
    """
    _check_args(start, months, "months")
    # Work in a single month index so that carries between years are exact
    # for any sign of ``months``.
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise PeriodOutOfRange(
            f"a period of {months} month(s) starting {start.isoformat()} would end "
            f"in year {year}, outside the supported range "
            f"{datetime.MINYEAR}..{datetime.MAXYEAR}"
        )
    month = month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def add_years(start: datetime.date, years: int) -> datetime.date:
    """Return the last day of a period of ``years`` years starting on ``start``.

    Same rule as :func:`add_months` (a year is twelve months), so a period
    starting on 29 February ends on 28 February in a common year:
    2020-02-29 + 3 years -> 2023-02-28, + 4 years -> 2024-02-29.

    Raises ``PeriodOutOfRange`` if the result would fall outside ``date``'s
    range.
    """
    _check_args(start, years, "years")
    try:
        return add_months(start, years * 12)
    except PeriodOutOfRange:
        # Re-raise in the caller's unit so the message matches the call.
        raise PeriodOutOfRange(
            f"a period of {years} year(s) starting {start.isoformat()} would end "
            f"in year {start.year + years}, outside the supported range "
            f"{datetime.MINYEAR}..{datetime.MAXYEAR}"
        ) from None
