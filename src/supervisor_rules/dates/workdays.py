"""PRC working-day calendar.

A deadline of N working days after a date D (D itself not counted) ends on the
N-th working day strictly after D.  A working day is Monday to Friday, except
statutory holidays and the other days off fixed by the State Council's yearly
放假安排; weekend days designated as working days (调休上班) are working days.

Which days are off cannot be computed: lunar holidays and the 调休 swaps are
fixed by decree, published late in the preceding year.  So the data comes from
a maintained source (the ``chinesecalendar`` package by default), can be
replaced or extended by the embedding application, and a date in a year the
data does not cover raises ``MissingCalendarYear`` instead of being guessed.

Caveat: the notice for year Y+1 can change late-December days of year Y (for
2019 it made 2018-12-29 a working day and 2018-12-31 a day off), so data for a
year's last few days is only final once the next year's notice is out.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import reprlib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = ["CalendarFileError", "MissingCalendarYear", "WorkdayCalendar", "default_calendar", "load_calendar",
           "missing_year_in"]

_ONE_DAY = datetime.timedelta(days=1)
# Strict YYYY-MM-DD: date.fromisoformat alone also accepts "20251001" and
# week dates, which would let malformed configuration through.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_MAPPING_KEYS = ("source", "years", "holidays", "adjusted_workdays")
_OPTIONAL_KEYS = ("version",)
#: A calendar file (``--calendar FILE``, ``load_calendar``): a few KB a year; read no further than this.
MAX_CALENDAR_FILE_BYTES = 1 << 20
#: Years one calendar file may list.
MAX_CALENDAR_FILE_YEARS = 200
_YEAR_KEY = re.compile(r"[0-9]{4}\Z")
_FILE_KEYS = ("holidays", "workdays")
# The notice a missing year gives (``MissingCalendarYear.notice``), and how ``missing_year_in`` knows it.
_MISSING_NOTICE = re.compile(r"缺少 ([0-9]{4,5}) 年的工作日历")


class MissingCalendarYear(LookupError):
    """The calendar has no (complete) data for the year a computation needs."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no working-day calendar data for {year} (the State Council publishes "
            f"each year's 放假安排 late in the preceding year); supply it with "
            f"--calendar FILE on the command line, or policy.with_calendar(...) in Python "
            f"(a calendar from load_calendar(FILE) or WorkdayCalendar.extended(...))"
        )

    @property
    def notice(self) -> str:
        """The decision's notice for this year, one line: what is missing and how to supply it, in
        Chinese with the English beside it (``missing_year_in`` reads the year back)."""
        return (f"缺少 {self.year} 年的工作日历（国务院放假安排），无法计算期限；"
                f"命令行用 --calendar FILE、Python 用 policy.with_calendar(...) 补充该年 / {self}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the exception picklable despite the custom __init__ signature.
        return (type(self), (self.year,))


def missing_year_in(message: str) -> int | None:
    """The year a decision's notice says the calendar lacks (``MissingCalendarYear.notice``), or None
    for any other notice."""
    found = _MISSING_NOTICE.match(message) if isinstance(message, str) else None
    return int(found.group(1)) if found else None


class CalendarFileError(ValueError):
    """A calendar file that cannot be used; the message names the file and the place in it."""


def _require_date(value: object, what: str) -> datetime.date:
    # datetime is a date subclass but never equal to a date, so a datetime
    # would silently miss every holiday lookup: refuse it.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _require_year(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int year, not {type(value).__name__}")
    if not datetime.MINYEAR <= value <= datetime.MAXYEAR:
        raise ValueError(f"{what} {value} is outside {datetime.MINYEAR}..{datetime.MAXYEAR}")
    return value


def _years_repr(years: frozenset[int]) -> str:
    if not years:
        return "{}"
    lo, hi = min(years), max(years)
    if len(years) == hi - lo + 1:
        return f"{lo}..{hi}"
    return "{" + ", ".join(map(str, sorted(years))) + "}"


def _frozen_dates(days: Iterable[datetime.date]) -> frozenset[datetime.date]:
    return frozenset(days)


def _frozen_years(years: Iterable[int]) -> frozenset[int]:
    return frozenset(years)


@attrs.frozen
class WorkdayCalendar:
    """Immutable working-day data for a set of complete years.

    ``holidays`` are days off (weekend days may be listed too; they are off
    anyway), ``adjusted_workdays`` are Saturdays/Sundays that are worked, and
    ``years`` are the calendar years for which this data is complete.  Every
    listed date must fall in one of ``years``.
    """

    holidays: frozenset[datetime.date] = attrs.field(converter=_frozen_dates, repr=False)
    adjusted_workdays: frozenset[datetime.date] = attrs.field(converter=_frozen_dates, repr=False)
    years: frozenset[int] = attrs.field(converter=_frozen_years, repr=_years_repr)
    source: str = attrs.field(validator=attrs.validators.instance_of(str))
    # The data's release where its source has one (the chinesecalendar package's version): for audit,
    # a decision's ``meta.calendar`` names it.
    version: str | None = attrs.field(default=None, kw_only=True,
                                      validator=attrs.validators.optional(attrs.validators.instance_of(str)))

    def __attrs_post_init__(self) -> None:
        # Validate once at construction so the per-decision lookups can trust
        # the data and stay a couple of set-membership tests.
        for year in self.years:
            _require_year(year, "calendar year")
        checks = (("holiday", self.holidays), ("adjusted workday", self.adjusted_workdays))
        for name, dates in checks:
            for d in dates:
                _require_date(d, name)
                if d.year not in self.years:
                    raise ValueError(
                        f"{name} {d.isoformat()} is in {d.year}, which is not among the "
                        f"calendar's years {_years_repr(self.years)}"
                    )
        for d in self.adjusted_workdays:
            if d.weekday() < 5:
                raise ValueError(
                    f"adjusted workday {d.isoformat()} is a {d.strftime('%A')}; only "
                    f"Saturdays and Sundays can be adjusted working days"
                )
        both = self.holidays & self.adjusted_workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"listed both as holiday and as adjusted workday: {listed}")

    # -- queries -----------------------------------------------------------

    def is_workday(self, d: datetime.date) -> bool:
        """Whether ``d`` is a working day; ``MissingCalendarYear`` if its year is not covered."""
        _require_date(d, "d")
        if d.year not in self.years:
            raise MissingCalendarYear(d.year)
        return d in self.adjusted_workdays or (d.weekday() < 5 and d not in self.holidays)

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """Return the ``n``-th working day strictly after ``start`` (``start`` if ``n == 0``).

        ``start`` itself is never examined, so its year need not be covered.
        Raises ``MissingCalendarYear`` for the first uncovered year reached.
        """
        _require_date(start, "start")
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        # Day by day is fine: statutory periods are short (tens of days), and
        # each step is two frozenset lookups on attributes bound once here.
        years, holidays, adjusted = self.years, self.holidays, self.adjusted_workdays
        d = start
        while n:
            if d == datetime.date.max:  # the next day is past what a date can hold: no calendar covers it
                raise MissingCalendarYear(d.year + 1)
            d += _ONE_DAY
            if d.year not in years:
                raise MissingCalendarYear(d.year)
            if d in adjusted or (d.weekday() < 5 and d not in holidays):
                n -= 1
        return d

    # -- building ----------------------------------------------------------

    def extended(
        self,
        holidays: Iterable[datetime.date] = (),
        adjusted_workdays: Iterable[datetime.date] = (),
        years: Iterable[int] = (),
        *,
        source: str | None = None,
        version: str | None = None,
    ) -> WorkdayCalendar:
        """Return a calendar with whole years of data added or replaced.

        For each year in ``years`` the supplied dates of that year become the
        complete data for it, replacing whatever this calendar had for that
        year; other years are kept unchanged.  Every supplied date must fall in
        one of ``years``, so no existing year is ever half-changed by
        accident (to amend, say, late December of a covered year, resupply
        that whole year).  ``source`` defaults to a note appended to this
        calendar's source; ``version`` to none (the data is no longer that release's).
        """
        new_years = frozenset(_require_year(y, "year") for y in years)
        new_holidays = frozenset(_require_date(d, "holiday") for d in holidays)
        new_adjusted = frozenset(_require_date(d, "adjusted workday") for d in adjusted_workdays)
        for name, dates in (("holiday", new_holidays), ("adjusted workday", new_adjusted)):
            stray = sorted(d for d in dates if d.year not in new_years)
            if stray:
                raise ValueError(
                    f"{name} {stray[0].isoformat()} is in {stray[0].year}, which is not among "
                    f"the years supplied {_years_repr(new_years)}; pass its year in years= "
                    f"together with that year's complete data"
                )
        if source is None:
            source = (
                f"{self.source} + extended({_years_repr(new_years)})" if new_years else self.source
            )
        return WorkdayCalendar(
            holidays={d for d in self.holidays if d.year not in new_years} | new_holidays,
            adjusted_workdays={d for d in self.adjusted_workdays if d.year not in new_years}
            | new_adjusted,
            years=self.years | new_years,
            source=source,
            version=version,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkdayCalendar:
        """Build a calendar from its JSON-friendly form (see :meth:`to_mapping`).

        Raises ``ValueError`` naming the offending key or entry on any bad
        input: missing or unknown keys, non-integer years, dates that are not
        strict ``YYYY-MM-DD`` strings or fall outside ``years``, and so on.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"calendar data must be a mapping, not {type(data).__name__}")
        missing = [k for k in _MAPPING_KEYS if k not in data]
        if missing:
            raise ValueError(f"calendar data is missing required key(s): {', '.join(missing)}")
        unknown = sorted(str(k) for k in data if k not in _MAPPING_KEYS and k not in _OPTIONAL_KEYS)
        if unknown:
            # Rejecting typos beats silently ignoring e.g. "adjusted_work_days".
            raise ValueError(f"calendar data has unknown key(s): {', '.join(unknown)}")

        source = data["source"]
        if not isinstance(source, str) or not source.strip():
            raise ValueError("calendar data 'source' must be a non-empty string")
        version = data.get("version")
        if version is not None and not isinstance(version, str):
            raise ValueError("calendar data 'version' must be a string")

        years = []
        for i, y in enumerate(_as_list(data["years"], "years")):
            try:
                years.append(_require_year(y, f"years[{i}]"))
            except TypeError as exc:
                raise ValueError(str(exc)) from None
        year_set = frozenset(years)

        def parse_dates(key: str) -> list[datetime.date]:
            out = []
            for i, s in enumerate(_as_list(data[key], key)):
                if not isinstance(s, str) or not _ISO_DATE.match(s):
                    raise ValueError(f"{key}[{i}]: {reprlib.repr(s)} is not an ISO date (YYYY-MM-DD)")
                try:
                    d = datetime.date.fromisoformat(s)
                except ValueError:
                    raise ValueError(f"{key}[{i}]: {reprlib.repr(s)} is not a valid calendar date") from None
                if d.year not in year_set:
                    raise ValueError(
                        f"{key}[{i}]: {s} is in {d.year}, which is not listed in 'years'"
                    )
                out.append(d)
            return out

        holidays = parse_dates("holidays")
        adjusted = parse_dates("adjusted_workdays")
        # Remaining consistency checks (weekday "adjusted" days, overlaps)
        # live in the constructor; they already raise ValueError.
        return cls(holidays=holidays, adjusted_workdays=adjusted, years=year_set, source=source, version=version)

    def to_mapping(self) -> dict[str, Any]:
        """Return the JSON-friendly form read by :meth:`from_mapping` (sorted, ISO dates)."""
        out: dict[str, Any] = {"source": self.source}
        if self.version is not None:
            out["version"] = self.version
        out.update({
            "years": sorted(self.years),
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "adjusted_workdays": [d.isoformat() for d in sorted(self.adjusted_workdays)],
        })
        return out

    def digest(self) -> str:
        """``sha256:`` and the first 16 hex digits of the SHA-256 of the data (years, holidays, adjusted
        workdays; not the source's name): what identifies a calendar that has no ``version``."""
        data = {k: v for k, v in self.to_mapping().items() if k not in ("source", "version")}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()[:16]

    @classmethod
    def from_file(cls, path: Any, base: WorkdayCalendar | None = None) -> WorkdayCalendar:
        """``load_calendar(path, base)``: ``base`` (the default calendar unless given) with the years of
        the calendar file at ``path`` added or replaced."""
        return load_calendar(path, base)

    @classmethod
    def from_chinese_calendar(cls) -> WorkdayCalendar:
        """Build a calendar from the ``chinesecalendar`` package's data.

        ``years`` are the years in the data's span that the package's own
        ``is_workday`` accepts (it refuses years outside its data with
        ``NotImplementedError``) and for which it lists at least one holiday.
        """
        # Imported here so this module (and calendars from other sources)
        # work without the package installed.
        import chinese_calendar
        from chinese_calendar import constants

        all_dates = set(constants.holidays) | set(constants.workdays)
        data_years = {d.year for d in all_dates}
        holiday_years = {d.year for d in constants.holidays}

        def package_supports(year: int) -> bool:
            try:
                chinese_calendar.is_workday(datetime.date(year, 1, 1))
            except NotImplementedError:
                return False
            return True

        years = frozenset(
            y
            for y in range(min(data_years), max(data_years) + 1)
            if y in holiday_years and package_supports(y)
        )
        # Drop anything the package itself does not vouch for (none in 1.11.0).
        version = getattr(chinese_calendar, "__version__", "unknown version")
        return cls(
            holidays={d for d in constants.holidays if d.year in years},
            adjusted_workdays={d for d in constants.workdays if d.year in years},
            years=years,
            source=f"chinesecalendar {version}",
            version=version,
        )


def _as_list(value: object, key: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"calendar data {reprlib.repr(key)} must be a list, not {type(value).__name__}")
    return value


@functools.cache
def default_calendar() -> WorkdayCalendar:
    """The calendar built from the installed ``chinesecalendar`` package (built once)."""
    return WorkdayCalendar.from_chinese_calendar()


def load_calendar(path: Any, base: WorkdayCalendar | None = None) -> WorkdayCalendar:
    """``base`` (``default_calendar()`` unless given) with the years of a calendar file added or
    replaced (INTERFACE.md, ``--calendar FILE``)::

        {"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-14"]}}

    Each year listed replaces that year's data entirely: ``holidays`` are the days off that would
    otherwise be working days, ``workdays`` the weekend days worked (调休上班); either list may be
    left out (empty). The calendar's ``source`` names the file. Raises ``CalendarFileError`` naming
    the file and the place: unreadable, too large, not JSON, a year key that is no year, an unknown
    key, a date that is not ``YYYY-MM-DD``, outside its year, a weekday among ``workdays``, a day in
    both lists. The file is read no further than ``MAX_CALENDAR_FILE_BYTES``."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CALENDAR_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        reason = getattr(exc, "strerror", None) or " ".join(str(exc).split())
        raise CalendarFileError(f"{name}: cannot read the calendar file: {reason}") from None
    if len(data) > MAX_CALENDAR_FILE_BYTES:
        raise CalendarFileError(f"{name}: the calendar file is over the limit of "
                                f"{MAX_CALENDAR_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarFileError(f"{name}: not valid UTF-8 (byte {exc.start + 1})") from None
    try:
        parsed = json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise CalendarFileError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise CalendarFileError(f"{name}: invalid JSON: {' '.join(str(exc).split()) or 'nested too deeply'}") from None
    holidays, workdays, years = _calendar_years(parsed, name)
    base = default_calendar() if base is None else base
    try:
        return base.extended(holidays, workdays, years, source=f"{base.source} + {name}")
    except (TypeError, ValueError) as exc:  # checked above; the constructor's own checks say the rest
        raise CalendarFileError(f"{name}: {exc}") from None


def _unique_pairs(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {reprlib.repr(key)}")
        out[key] = value
    return out


def _calendar_years(data: object, name: str) -> tuple[list[datetime.date], list[datetime.date], list[int]]:
    """(holidays, workdays, years) of a calendar file's parsed JSON; ``CalendarFileError`` naming the place."""
    def fail(where: str, message: str) -> CalendarFileError:
        return CalendarFileError(f"{name}: {where}: {message}" if where else f"{name}: {message}")

    if not isinstance(data, dict):
        raise fail("", 'expected an object of years, e.g. {"2027": {"holidays": [...], "workdays": [...]}}, '
                       f"got {type(data).__name__}")
    if len(data) > MAX_CALENDAR_FILE_YEARS:
        raise fail("", f"{len(data)} years is over the limit of {MAX_CALENDAR_FILE_YEARS}")
    holidays: list[datetime.date] = []
    workdays: list[datetime.date] = []
    years: list[int] = []
    for key, entry in data.items():
        where = json.dumps(key, ensure_ascii=False)
        if not _YEAR_KEY.match(key) or not datetime.MINYEAR <= int(key) <= datetime.MAXYEAR:
            raise fail(where, "expected a year (YYYY) as the key")
        year = int(key)
        if not isinstance(entry, dict):
            raise fail(where, 'expected an object {"holidays": [...], "workdays": [...]}, '
                              f"got {type(entry).__name__}")
        unknown = [k for k in entry if k not in _FILE_KEYS]
        if unknown:
            raise fail(f"{where}.{unknown[0]}", "unknown key; a year has holidays and workdays")
        seen: dict[datetime.date, str] = {}
        for list_key, out in (("holidays", holidays), ("workdays", workdays)):
            days = entry.get(list_key, [])
            if not isinstance(days, list):
                raise fail(f"{where}.{list_key}", f"expected a list of dates, got {type(days).__name__}")
            if len(days) > 366:
                raise fail(f"{where}.{list_key}", f"{len(days)} dates is more than a year has")
            for i, text in enumerate(days):
                place = f"{where}.{list_key}[{i}]"
                if not isinstance(text, str) or not _ISO_DATE.match(text):
                    raise fail(place, f"{reprlib.repr(text)} is not a date (YYYY-MM-DD)")
                try:
                    day = datetime.date.fromisoformat(text)
                except ValueError:
                    raise fail(place, f"{text} is not a real calendar date") from None
                if day.year != year:
                    raise fail(place, f"{text} is not in {year}")
                if list_key == "workdays" and day.weekday() < 5:
                    raise fail(place, f"{text} is a {day.strftime('%A')}; workdays lists the weekend days "
                                      "that are worked (调休上班)")
                if seen.get(day) not in (None, list_key):
                    raise fail(place, f"{text} is listed both in holidays and in workdays")
                seen[day] = list_key
                out.append(day)
        years.append(year)
    return holidays, workdays, years
