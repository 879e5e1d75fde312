"""Deadlines, look-back windows and minimum periods under Civil Code arts. 201-204.

Art. 201: 按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算.
Art. 202: 按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，
月末日为期间的最后一日.
Art. 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
期间的最后一日的截止时间为二十四时 ... .
Art. 204: 期间的计算方法依照本法的规定，但是法律另有规定或者当事人另有约定的除外.
Art. 1259: "以上""以下""以内""届满" include the number; "不满""超过""以外" do not.

Art. 204 is why every departure from arts. 201-203 is a parameter here (the
start day counted, art. 203 not applied, the day of reference included), never
a silent choice: a regulation may say otherwise, and the rule author says so.

法定休假日 (art. 203) is read as every day that is not a working day of the
``WorkdayCalendar``: statutory holidays, the days off of the State Council's
yearly 放假安排, and ordinary Saturdays and Sundays; a Saturday or Sunday
worked under 调休 (an adjusted working day) is a working day, so a period can
end on it.  All dates returned are inclusive: a deadline D is met by an act on
D, up to 24:00 (art. 203 para. 2).

Every count is at most ``MAX_PERIOD_UNITS`` (the checker's 1,000-unit limit
on deadlines), and every walk over days stops at the first year the calendar
does not cover (``MissingCalendarYear``), so no loop outlives the data.
"""

from __future__ import annotations

import datetime
from typing import Literal

from supervisor_rules.dates.periods import PeriodOutOfRange, add_months
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar

__all__ = [
    "MAX_PERIOD_UNITS", "DayUnit", "PeriodUnit", "deadline", "deadline_calendar_days", "deadline_months",
    "deadline_years", "extend_to_working_day", "immediately", "lasts_at_least", "window_before",
    "within_window_before",
]

PeriodUnit = Literal["days", "months", "years"]
DayUnit = Literal["days", "working_days"]

# The same bound as the checker's "a deadline of more than 1,000 units is surely a mistake".
MAX_PERIOD_UNITS = 1000

_ONE_DAY = datetime.timedelta(days=1)


def _require_date(value: object, what: str) -> datetime.date:
    # A datetime never equals a date, so it would miss every holiday: refuse it.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _require_count(value: object, what: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value > MAX_PERIOD_UNITS:
        raise ValueError(f"{what} is {_shown(value)}: a period of more than {MAX_PERIOD_UNITS:,} units "
                         f"is surely a mistake")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {_shown(value)}")
    return value


def _shown(value: int) -> str:
    # str() of a huge int is slow and, past 4,300 digits, itself a ValueError.
    return f"{value:,}" if -10**12 < value < 10**12 else "a number of more than 12 digits"


def _require_calendar(value: object) -> WorkdayCalendar:
    if not isinstance(value, WorkdayCalendar):
        raise TypeError(f"calendar must be a WorkdayCalendar, not {type(value).__name__}")
    return value


def _next_day(d: datetime.date) -> datetime.date:
    if d == datetime.date.max:  # no calendar can cover the day after 9999-12-31
        raise MissingCalendarYear(d.year + 1)
    return d + _ONE_DAY


def extend_to_working_day(day: datetime.date, calendar: WorkdayCalendar) -> datetime.date:
    """Return ``day`` if it is a working day, else the first working day after it (art. 203).

    Adjusted working days (调休上班) are working days.  Raises
    ``MissingCalendarYear`` for ``day``'s year, or the first later year
    reached, if the calendar does not cover it.
    """
    _require_date(day, "day")
    _require_calendar(calendar)
    # Bounded: every day off that is not a weekend is listed in the calendar's
    # data, and the walk stops at the first uncovered year.
    while not calendar.is_workday(day):
        day = _next_day(day)
    return day


def deadline_calendar_days(start: datetime.date, n: int, calendar: WorkdayCalendar, *,
                           art203: bool = True) -> datetime.date:
    """Return the last day of a period of ``n`` calendar days starting on ``start``.

    ``start`` is not counted (art. 201): the naive last day is ``start + n``
    days.  With ``art203`` (the default) a last day that is not a working day
    moves to the next working day (art. 203); ``art203=False`` is for a rule
    that says otherwise (art. 204) and then ``calendar`` is not consulted.
    ``n`` is 1..``MAX_PERIOD_UNITS``; for "立即" use :func:`immediately`.
    ``PeriodOutOfRange`` if the last day would be past 9999-12-31.
    """
    _require_date(start, "start")
    _require_count(n, "n", 1)
    _require_calendar(calendar)
    last = _shift(start, n, "days")
    return extend_to_working_day(last, calendar) if art203 else last


def deadline_months(start: datetime.date, n: int, calendar: WorkdayCalendar, *,
                    art203: bool = True) -> datetime.date:
    """Return the last day of a period of ``n`` months starting on ``start`` (arts. 201-203).

    The corresponding day ``n`` months later, or that month's last day if it
    has none (art. 202, :func:`~supervisor_rules.dates.periods.add_months`),
    moved to the next working day if it is not one and ``art203``.
    ``n`` is 1..``MAX_PERIOD_UNITS``.
    """
    _require_date(start, "start")
    _require_count(n, "n", 1)
    _require_calendar(calendar)
    last = _shift(start, n, "months")
    return extend_to_working_day(last, calendar) if art203 else last


def deadline_years(start: datetime.date, n: int, calendar: WorkdayCalendar, *,
                   art203: bool = True) -> datetime.date:
    """Return the last day of a period of ``n`` years starting on ``start``: as :func:`deadline_months` for ``12 * n`` months.

    ``n`` is 1..``MAX_PERIOD_UNITS``.
    """
    _require_date(start, "start")
    _require_count(n, "n", 1)  # in years: 1,000 years is 12,000 months, more than deadline_months takes
    _require_calendar(calendar)
    last = _shift(start, n, "years")
    return extend_to_working_day(last, calendar) if art203 else last


def deadline(start: datetime.date, n: int, unit: str, calendar: WorkdayCalendar) -> datetime.date:
    """Return the last day of a deadline of ``n`` units after ``start``, as the rule language counts one
    (a duty's ``due``, the expression ``due(X after N units)``): the ``n``-th working day after
    ``start`` for ``unit="working_days"`` (:meth:`WorkdayCalendar.add_working_days`), else the last day
    of a period of ``n`` ``"days"``, ``"months"`` or ``"years"`` with art. 203 applied.
    ``n`` is 1..``MAX_PERIOD_UNITS``; raises as the function it calls does.
    """
    if unit == "working_days":
        _require_count(n, "n", 1)
        return _require_calendar(calendar).add_working_days(start, n)
    if unit == "days":
        return deadline_calendar_days(start, n, calendar)
    if unit == "months":
        return deadline_months(start, n, calendar)
    if unit == "years":
        return deadline_years(start, n, calendar)
    raise ValueError(f"unit must be 'working_days', 'days', 'months' or 'years', not {unit!r}")


def immediately(day: datetime.date) -> datetime.date:
    """Return the day by which something due "立即" (immediately) after ``day`` is due: ``day`` itself.

    It is not a period, so neither art. 201 (start day not counted) nor art.
    203 (moved off a day off) applies; the day ends at 24:00.
    """
    return _require_date(day, "day")


def _shift(day: datetime.date, n: int, unit: PeriodUnit) -> datetime.date:
    if unit == "days":
        try:
            return day + datetime.timedelta(days=n)
        except OverflowError:
            raise PeriodOutOfRange(f"{n:+,} day(s) from {day.isoformat()} is outside the supported range "
                                   f"{datetime.MINYEAR}..{datetime.MAXYEAR}") from None
    if unit == "months":
        return add_months(day, n)
    if unit == "years":
        return add_months(day, 12 * n)
    raise ValueError(f"unit must be 'days', 'months' or 'years', not {unit!r}")


def window_before(x: datetime.date, n: int, unit: PeriodUnit, *,
                  include_x: bool = False) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (both inclusive) of "``x`` 前 ``n`` 年/月/日内" (e.g. 近三年内).

    Counted back from ``x`` by arts. 201-202: ``x`` itself is not counted, and
    the window's first day is the corresponding day ``n`` units earlier, or
    the last day of that month if it has none (2024-02-29 back one year is
    2023-02-28).  So by default the window is ``[x - n units, x - 1 day]``,
    exactly ``n`` units long.  ``include_x=True`` makes the last day ``x``
    (for a regulation that counts an event on the day of reference, art.
    204).  Art. 203 does not apply: a window is not a deadline.
    ``n`` is 1..``MAX_PERIOD_UNITS``; ``PeriodOutOfRange`` before year 1.
    """
    _require_date(x, "x")
    _require_count(n, "n", 1)
    first = _shift(x, -n, unit)
    if include_x:
        return first, x
    return first, x - _ONE_DAY  # first <= x - 1 day, so this cannot underflow


def within_window_before(event: datetime.date, x: datetime.date, n: int, unit: PeriodUnit, *,
                         include_x: bool = False) -> bool:
    """Whether ``event`` falls in :func:`window_before` ``(x, n, unit, include_x=...)``."""
    _require_date(event, "event")
    first, last = window_before(x, n, unit, include_x=include_x)
    return first <= event <= last


def lasts_at_least(a: datetime.date, b: datetime.date, n: int, unit: DayUnit,
                   calendar: WorkdayCalendar | None = None, *, count_start: bool = False) -> bool:
    """Whether a period running from ``a`` to ``b`` (``b`` inclusive) is at least ``n`` days or working days.

    For "公示期不少于5个工作日": ``lasts_at_least(posted, taken_down, 5,
    "working_days", calendar)``.  "不少于 n" includes ``n`` itself.  By art.
    201 the start day ``a`` is not counted, so the days counted are those
    after ``a`` up to and including ``b``; ``count_start=True`` counts ``a``
    too (a rule that says so, art. 204).  ``unit="days"`` counts calendar
    days and needs no calendar; ``"working_days"`` counts the calendar's
    working days (adjusted working days count; art. 203 plays no part, every
    day counted is a working day).  ``b`` before the first counted day gives
    ``False``.  The working-day walk stops as soon as ``n`` are found or ``b``
    is passed, and raises ``MissingCalendarYear`` only for a year it needs.
    ``n`` is 1..``MAX_PERIOD_UNITS``.
    """
    _require_date(a, "a")
    _require_date(b, "b")
    _require_count(n, "n", 1)
    if unit == "days":
        counted = (b - a).days + (1 if count_start else 0)
        return counted >= n
    if unit != "working_days":
        raise ValueError(f"unit must be 'days' or 'working_days', not {unit!r}")
    if calendar is None:
        raise ValueError("counting working days needs a WorkdayCalendar")
    calendar = _require_calendar(calendar)
    if b < a or (b == a and not count_start):
        return False  # nothing is counted
    d = a if count_start else a + _ONE_DAY
    found = 0
    # At most min(n working days, b - a) steps; each is two set lookups.
    while d <= b:
        if calendar.is_workday(d):
            found += 1
            if found == n:
                return True
        if d == b:
            break
        d += _ONE_DAY
    return False
