"""The values of numbers, counted dates and ages in expressions, as the compiler's closures and the
generated code compute them (``compiler.py``, ``codegen.py``; the reference interpreter has its own).

Kleene throughout: an unknown (``None``) operand makes the result unknown, and so does what has no
value — a division by zero, a date the calendar cannot count, an age on a day before the birth.

Numbers are exact. A case's JSON number is read as the decimal it is written as (``0.1`` is one
tenth, not the binary fraction nearest to it), a rule's ``89.5`` is 179/2, and ``+ - * /`` on them
are rational arithmetic, so ``0.1 + 0.2 = 0.3`` holds and no score or amount is off by a rounding.
A whole result is an ``int``; others are ``Fraction``s.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from supervisor_rules.dates import ages, deadlines, periods
from supervisor_rules.dates.workdays import MissingCalendarYear

__all__ = ["age", "arith", "deadline", "exact", "extreme", "neg", "shift_date"]

_ONE_DAY = dt.timedelta(days=1)


def exact(value):
    """A number read from a case, exactly: a float as the decimal its JSON text gives (``repr``); any
    other value as it is."""
    if type(value) is float:
        value = Fraction(repr(value))
        return value.numerator if value.denominator == 1 else value
    return value


def _whole(value):
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def arith(op: str, a, b):
    """``a op b`` for ``op`` in ``+ - * /``: unknown if either is, or for a division by zero."""
    if a is None or b is None:
        return None
    if op == "+":
        return _whole(a + b)
    if op == "-":
        return _whole(a - b)
    if op == "*":
        return _whole(a * b)
    if b == 0:
        return None
    return _whole(Fraction(a) / b)


def neg(a):
    return None if a is None else -a


def extreme(op: str, values):
    """``min`` / ``max`` of numbers or dates: unknown if any value is."""
    values = list(values)
    if any(v is None for v in values):
        return None
    return min(values) if op == "min" else max(values)


def shift_date(day, amount: int, unit: str, calendar_source, before: bool):
    """``day after amount unit`` (``before``: counted back): the corresponding day by Civil Code arts.
    201-202 for months and years (the month's last day where it has none), ``amount`` days, or the
    ``amount``-th working day after (before) ``day``, ``day`` not counted. Unknown where ``day`` is,
    where the working-day calendar lacks a year it needs, or outside the dates a date can hold."""
    if day is None:
        return None
    sign = -1 if before else 1
    try:
        if unit == "working_days":
            if calendar_source is None:
                return None
            calendar = calendar_source()
            if not before:
                return calendar.add_working_days(day, amount)
            left = amount
            while left:
                day -= _ONE_DAY
                if calendar.is_workday(day):
                    left -= 1
            return day
        if unit == "days":
            return day + dt.timedelta(days=sign * amount)
        return periods.add_months(day, sign * amount * (12 if unit == "years" else 1))
    except (MissingCalendarYear, periods.PeriodOutOfRange, OverflowError, ValueError):
        return None


def deadline(day, amount: int, unit: str, calendar_source):
    """``due(day after amount unit)``: the deadline's last day (``dates.deadlines.deadline``: the
    ``amount``-th working day, or a period's last day with Civil Code art. 203 applied). Unknown where
    ``day`` is, where there is no calendar or it lacks a year it needs (the notices question then names
    the year), or past the dates a date can hold."""
    if day is None or calendar_source is None:
        return None
    try:
        return deadlines.deadline(day, amount, unit, calendar_source())
    except (MissingCalendarYear, ValueError, OverflowError):  # PeriodOutOfRange is a ValueError
        return None


def age(birth, on, convention: str | None):
    """The age in 周岁 on ``on`` of someone born on ``birth`` (``dates.ages.age_on``); unknown if either
    date is, or if ``on`` is before ``birth``."""
    if birth is None or on is None or convention is None:
        return None
    if on < birth:
        return None
    return ages.age_on(birth, on, convention=convention)  # type: ignore[arg-type]
