"""Age in 周岁 (full years of age), and the days on which a person has a given age.

周岁 are counted by the Gregorian calendar.  Two conventions fix the day on
which a person born on B "reaches N 周岁" (年满 N 周岁):

``"day_after"``
    From the day *after* the Nth birthday.  最高人民法院《关于审理未成年人刑事
    案件具体应用法律若干问题的解释》(法释〔2006〕1号) art. 2: 刑法第十七条规定
    的"周岁"，按照公历的年、月、日计算，从周岁生日的第二天起算.  It is also
    what Civil Code arts. 201-202 give when age is read as a period of N years
    starting on the day of birth: the birth day is not counted (art. 201), the
    period ends on the corresponding day, the Nth birthday (art. 202), and that
    day ends at 24:00 (art. 203 para. 2), so N full years have passed from the
    next day.

``"birthday"``
    On the Nth birthday itself.  This is everyday usage and commonly how
    administrative practice and registries apply age thresholds (e.g. the
    Civil Code's 十八周岁以上); no single source prescribes it.

Neither is a default: the caller (the rule author) must say which one the
regulation means.

Birthdays on 29 February: in a common year the birthday is taken as 28
February by default (``leap_day="feb28"``), by the Civil Code art. 202 rule for
a period that has no corresponding day (月末日为期间的最后一日), which is also
what :func:`supervisor_rules.dates.periods.add_years` does.  ``leap_day="mar1"``
takes 1 March instead (the rule some other jurisdictions use); no Chinese
source found prescribes it, so it is offered only for a regulation that says so.

+-----------------+-----------------------------+----------------------------+
| born 2004-02-29 | leap_day="feb28" (default)  | leap_day="mar1"            |
+=================+=============================+============================+
| "birthday"      | 18 周岁 on 2022-02-28       | 18 周岁 on 2022-03-01      |
| "day_after"     | 18 周岁 on 2022-03-01       | 18 周岁 on 2022-03-02      |
+-----------------+-----------------------------+----------------------------+

Everyone is 0 周岁 from the day of birth, under either convention.
"""

from __future__ import annotations

import datetime
from typing import Literal

from supervisor_rules.dates.periods import add_years

__all__ = ["CONVENTIONS", "LEAP_DAYS", "MAX_AGE", "Convention", "LeapDay", "age_on", "age_range", "reaches_age"]

Convention = Literal["birthday", "day_after"]
LeapDay = Literal["feb28", "mar1"]
CONVENTIONS: tuple[Convention, ...] = ("birthday", "day_after")
LEAP_DAYS: tuple[LeapDay, ...] = ("feb28", "mar1")

# No regulation asks about an age above this; a larger N is a typo, not a rule.
MAX_AGE = 150

_ONE_DAY = datetime.timedelta(days=1)


def _require_date(value: object, what: str) -> datetime.date:
    # A datetime would compare unequal to every date: refuse it, as periods/workdays do.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _require_age(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= MAX_AGE:
        # Bounded before formatting: str() of a huge int is slow, and itself a ValueError past 4,300 digits.
        shown = str(value) if -10**12 < value < 10**12 else "a number of more than 12 digits"
        raise ValueError(f"{what} must be between 0 and {MAX_AGE} 周岁, got {shown}")
    return value


def _require_choices(convention: object, leap_day: object) -> None:
    # Literal types are not checked at run time, and a misspelt convention must
    # not silently pick one: the two differ by a day on every birthday.
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(map(repr, CONVENTIONS))}, not {convention!r}")
    if leap_day not in LEAP_DAYS:
        raise ValueError(f"leap_day must be one of {', '.join(map(repr, LEAP_DAYS))}, not {leap_day!r}")


def _birthday(birth: datetime.date, n: int, leap_day: LeapDay) -> datetime.date:
    """The Nth birthday; a 29 February birthday falls on 28 Feb or 1 Mar in a common year."""
    day = add_years(birth, n)  # clamps 29 Feb to 28 Feb (art. 202)
    if leap_day == "mar1" and (birth.month, birth.day) == (2, 29) and day.day == 28:
        day += _ONE_DAY
    return day


def reaches_age(birth: datetime.date, n: int, *, convention: Convention,
                leap_day: LeapDay = "feb28") -> datetime.date:
    """Return the first day on which a person born on ``birth`` is ``n`` 周岁 (年满 n 周岁).

    ``convention="birthday"``: the ``n``-th birthday; ``"day_after"``: the day
    after it (法释〔2006〕1号 art. 2).  ``n == 0`` gives ``birth`` under either
    convention.  ``leap_day`` places a 29 February birthday in a common year
    (see the module docstring).  ``n`` must be 0..``MAX_AGE`` (ValueError);
    ``PeriodOutOfRange`` if the day would be past 9999-12-31.
    """
    _require_date(birth, "birth")
    _require_age(n, "n")
    _require_choices(convention, leap_day)
    if n == 0:
        return birth
    day = _birthday(birth, n, leap_day)
    return day + _ONE_DAY if convention == "day_after" else day


def age_on(birth: datetime.date, day: datetime.date, *, convention: Convention,
           leap_day: LeapDay = "feb28") -> int:
    """Return the age in 周岁 on ``day`` of a person born on ``birth``.

    The largest N with ``reaches_age(birth, N, ...) <= day``: with
    ``convention="birthday"`` the age goes up on each birthday, with
    ``"day_after"`` on the day after it.  ``day == birth`` gives 0.
    Raises ``ValueError`` if ``day`` is before ``birth``.  Constant time.
    """
    _require_date(birth, "birth")
    _require_date(day, "day")
    _require_choices(convention, leap_day)
    if day < birth:
        raise ValueError(f"{day.isoformat()} is before the birth date {birth.isoformat()}")
    years = day.year - birth.year
    if years == 0:
        return 0
    # The Nth birthday in day's own year is the only candidate that may not have
    # been reached yet; the (N-1)th is reached by 2 March of the year before at the
    # latest (1 January of day's year for a 31 December birth), so one step back suffices.
    reached = _birthday(birth, years, leap_day)
    if convention == "day_after":
        if reached == datetime.date.max:
            return years - 1  # its next day is past 9999-12-31, so not reached on any date
        reached += _ONE_DAY
    return years if day >= reached else years - 1


def age_range(birth: datetime.date, at_least: int, under: int, *, convention: Convention,
              leap_day: LeapDay = "feb28") -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (both inclusive) on which the person is 年满 ``at_least`` 周岁、未满 ``under`` 周岁.

    That is ``at_least <= age_on(birth, d) < under`` exactly for
    ``first <= d <= last``.  By Civil Code art. 1259 "以上/届满/满" include the
    number and "不满/未满/超过" exclude it, so "十四周岁以上不满十六周岁" is
    ``age_range(birth, 14, 16, ...)``.  Needs ``0 <= at_least < under <= MAX_AGE``.
    """
    _require_age(at_least, "at_least")
    _require_age(under, "under")
    if at_least >= under:
        raise ValueError(f"an age range needs at_least < under, got {at_least} and {under}")
    first = reaches_age(birth, at_least, convention=convention, leap_day=leap_day)
    last = reaches_age(birth, under, convention=convention, leap_day=leap_day) - _ONE_DAY
    return first, last
