"""Cases for testing policies and the applications that embed them: Hypothesis strategies
and a seeded sampler.

    from hypothesis import given
    import supervisor_rules as sr
    from supervisor_rules import testing

    policy = sr.load_policy("path/to/policy.rules")

    @given(testing.cases(policy, as_of="2024-01-01"))
    def test_never_raises(case):
        policy.evaluate(case)

    for case in testing.sample_cases(policy, 1000, seed=7):   # no Hypothesis needed
        policy.evaluate(case)

The strategies need ``hypothesis``; :func:`sample_cases` does not (this module
imports without it, and a strategy then raises ``ImportError`` when called).
The package's own modules import this one only lazily (``check``'s invariant
search, ``diff``'s behavioural search).

Everything here is derived from the policy's own declarations (its ``facts``
blocks, record and enum types, its term, renewal and deadline rules); no fact
name is written in this module, so the strategies work for any policy.

- :func:`dates` draws dates weighted toward the days where date logic breaks:
  given anchor dates and the days around them, 29 February, year ends, and the
  PRC holiday weeks (Spring Festival, 1-7 May, 1-8 October) that working-day
  deadlines run across.
- :func:`values` draws valid values for one declared fact.
- :func:`section` draws one section of facts, :func:`cases` whole cases. Both
  are schema-valid (they validate against ``policy.schema()`` and never raise
  ``CaseError``). Open-world facts are sometimes omitted (unknown), closed-world
  facts sometimes omitted (their default); some cases give every open-world
  fact, others leave them out at one of several rates. The dates of a case
  cluster around the appointment's start and the ends of its successive terms
  (the first term's end most), so expiries, renewals on the last day and the
  day after are exercised often; deadline records (``done on`` dates) cluster
  just after the date they count from. One date fact in four is drawn instead
  years or decades (2 to 80 years) before the start, outside that cluster, so
  that dates compared over decades (an age on a day, a record long past) take
  realistic values; ``as_of`` is not. Most cases are drawn *favourable*:
  each fact mostly takes a value that, on its own, leaves no requirement
  unmet and adds no ground, violation or breached duty (found once per policy
  by evaluating one probe case per value), so eligible and active outcomes
  are common, not only failing ones. A small share of cases is placed at the
  very ends of the date range a case may hold (``MIN_DATE``, ``MAX_DATE``, the
  case format's), where term ends fall outside it.
- :func:`sample_cases` draws the same kinds of cases from ``random.Random(seed)``:
  a fixed list for a seed, for workloads, batch inputs and benchmarks.
- :func:`backend_differences` / :func:`assert_backends_agree` decide one case on
  every backend (``Policy.evaluate_with``) and say where they differ: the
  differential check of the conformance suite, for any policy.

A derandomised search with these strategies draws the same cases in every
process. Hypothesis now and then puts in a constant collected from the source of
every non-installed module imported so far (integers of 100 or more, strings),
a pool that grows as a process imports modules; so no strategy here makes a
Hypothesis choice that such a constant could fill: integers over wide ranges
are drawn as digits of 0-63 (:func:`_ints`), choices among more than 100 values
by such an index (:func:`_pick`), text character by character from code-point
blocks, never through ``st.text``, ``st.characters`` or ``st.dates``.
"""

from __future__ import annotations

import attrs
import calendar
import datetime as dt
import functools
import random
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError:  # sample_cases needs no Hypothesis; the strategies say so when called
    st = None  # type: ignore[assignment]

    class SearchStrategy:  # type: ignore[no-redef]
        """Stands in for Hypothesis's class (nothing is one), so a fixed fact is never taken for a strategy."""

from supervisor_rules.contracts.case import MAX_DATE, MIN_DATE
from supervisor_rules.dates import deadlines, periods
from supervisor_rules.engine import BACKENDS
from supervisor_rules.errors import RulesError
from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT

__all__ = ["MAX_DATE", "MIN_DATE", "assert_backends_agree", "backend_differences", "cases", "dates", "sample_cases",
           "section", "values"]

_DEFAULT_MIN = dt.date(2000, 1, 1)
_DEFAULT_MAX = dt.date(2040, 12, 31)

# 正月初一 (Chinese New Year's Day), Gregorian date. The statutory Spring Festival
# holiday runs from about the eve to a week after; the adjusted working days
# (调休) fall just before and after it.
_SPRING_FESTIVAL = {
    2000: (2, 5), 2001: (1, 24), 2002: (2, 12), 2003: (2, 1), 2004: (1, 22), 2005: (2, 9), 2006: (1, 29),
    2007: (2, 18), 2008: (2, 7), 2009: (1, 26), 2010: (2, 14), 2011: (2, 3), 2012: (1, 23), 2013: (2, 10),
    2014: (1, 31), 2015: (2, 19), 2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25),
    2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
    2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19),
    2035: (2, 8), 2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12),
}


# ------------------------------------------------------------------ dates
def _as_date(value, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        raise TypeError(f"{what} must be a date, not a datetime")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise TypeError(f"{what} must be a date or an ISO date string, not {type(value).__name__}")


def _shift(day: dt.date, days: int) -> dt.date:
    """``day`` + ``days``, clamped to the dates Python can hold."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _add_months(day: dt.date, months: int) -> dt.date | None:
    try:
        return periods.add_months(day, months)
    except periods.PeriodOutOfRange:
        return None


def _leap_year_at_or_before(year: int) -> int:
    year -= year % 4
    while not calendar.isleap(year):
        year -= 4
    return year


def _need_hypothesis(what: str) -> None:
    if st is None:
        raise ImportError(f"supervisor_rules.testing.{what}() is a Hypothesis strategy: install hypothesis "
                          f"(pip install hypothesis); sample_cases() needs no Hypothesis", name="hypothesis")


# Hypothesis may fill an integer choice with a constant collected from the source of the non-installed
# modules imported so far (never one between -99 and 99): a pool that grows with each import, so a
# derandomised search whose choices span wider ranges draws other cases once another module is loaded
# (a test run in another order, an application's own modules). Wide ranges are drawn as digits instead.
_DIGIT_BITS = 6


def _ints(lo: int, hi: int) -> SearchStrategy[int]:
    """Integers in ``[lo, hi]`` from Hypothesis choices that each lie within -99..99 (see above).

    A wide range is drawn as base-64 digits, most significant first: it shrinks
    toward ``lo`` as ``st.integers`` does toward the bound nearest 0.
    """
    if lo > hi:
        raise ValueError(f"empty range {lo}..{hi}")
    span = hi - lo
    if -100 < lo and hi < 100:
        return st.integers(lo, hi)
    if span < 100:
        return st.integers(0, span).map(lambda k: lo + k)
    digits = 1
    while span >> (_DIGIT_BITS * digits):
        digits += 1
    top = span >> (_DIGIT_BITS * (digits - 1))
    low = st.integers(0, (1 << _DIGIT_BITS) - 1)

    def value(parts: tuple) -> int:
        v = 0
        for part in parts:
            v = (v << _DIGIT_BITS) | part
        # v is at most span + 64**(digits-1) - 1: one wrap brings it into range
        return lo + (v if v <= span else v - span - 1)
    return st.tuples(st.integers(0, top), *[low] * (digits - 1)).map(value)


def _pick(values: Sequence) -> SearchStrategy:
    """One of ``values``; over 100 of them, by an index from :func:`_ints` (``sampled_from``'s index
    would be one choice spanning them all)."""
    values = list(values)
    if len(values) <= 100:
        return st.sampled_from(values)
    return _ints(0, len(values) - 1).map(values.__getitem__)


def _boundary_years(lo: dt.date, hi: dt.date) -> tuple[list[int] | None, list[dt.date]]:
    """(the leap years in ``[lo, hi]``, or None when the range spans 400 years or more; the Spring
    Festivals whose holiday weeks touch the range)."""
    leap_years = [y for y in range(lo.year, hi.year + 1) if calendar.isleap(y)] if hi.year - lo.year < 400 \
        else None
    festivals = [day for day in (dt.date(y, m, d) for y, (m, d) in sorted(_SPRING_FESTIVAL.items()))
                 if lo <= _shift(day, 10) and _shift(day, -4) <= hi]
    return leap_years, festivals


def dates(min_value: dt.date | str = _DEFAULT_MIN, max_value: dt.date | str = _DEFAULT_MAX,
          around: Iterable[dt.date | str] = (), *, spread: int = 3) -> SearchStrategy[dt.date]:
    """Dates in ``[min_value, max_value]``, weighted toward boundaries.

    Besides dates spread over the whole range, it draws, often:

    - each date in ``around`` and the ``spread`` days either side of it (when
      anchors are given, about half of all draws come from them);
    - 28 February, 29 February and 1 March of leap years;
    - the days around 1 January (year ends);
    - the PRC holiday weeks and the days next to them: 1-8 October (National
      Day), 1-5 May (Labour Day) and the Spring Festival (years 2000-2040).

    Every date drawn lies in ``[min_value, max_value]`` (boundary draws that
    would fall outside are moved to its ends). Dates may be given as
    ``datetime.date`` or ISO strings.
    """
    _need_hypothesis("dates")
    lo, hi = _as_date(min_value, "min_value"), _as_date(max_value, "max_value")
    if lo > hi:
        raise ValueError(f"min_value {lo} is after max_value {hi}")
    spread = max(int(spread), 0)
    clamp = lambda day: min(max(day, lo), hi)  # noqa: E731
    uniform = _ints(0, (hi - lo).days).map(lambda k: _shift(lo, k))
    others: list[SearchStrategy[dt.date]] = [uniform]
    if (hi - lo).days >= 40:
        years = _ints(lo.year, hi.year)
        leap_years, festivals = _boundary_years(lo, hi)
        if leap_years is None or leap_years:
            leap = (_pick(leap_years) if leap_years is not None
                    else _ints(lo.year + 4, hi.year).map(_leap_year_at_or_before))
            others.append(st.tuples(leap, st.integers(-1, 1))
                          .map(lambda t: _shift(dt.date(t[0], 2, 29), t[1])).map(clamp))
        others.append(st.tuples(years, st.integers(-3, 2))
                      .map(lambda t: _shift(dt.date(t[0], 1, 1), t[1])).map(clamp))
        # National Day (1-7 October, 8 October often a 调休 day) and Labour Day weeks
        others.append(st.tuples(years, st.sampled_from([(10, 1), (5, 1)]), st.integers(-2, 9))
                      .map(lambda t: clamp(_shift(dt.date(t[0], *t[1]), t[2]))))
        if festivals:
            others.append(st.tuples(_pick(festivals), st.integers(-4, 10))
                          .map(lambda t: _shift(t[0], t[1])).map(clamp))
    anchors = sorted({a for a in (_as_date(x, "around") for x in around)
                      if _shift(lo, -spread) <= a <= _shift(hi, spread)})
    branches = list(others)
    if anchors:
        near = st.tuples(_pick(anchors), _ints(-spread, spread)) \
            .map(lambda t: clamp(_shift(t[0], t[1])))
        branches = [near] * len(others) + others
    return st.one_of(*branches)


# ------------------------------------------------------------------ what the policy declares
class _Plan:
    """What the strategies need to know about one policy, read from its declarations once."""

    def __init__(self, policy):
        self.policy = policy
        self.sections = policy._sections
        compiled = policy._compiled
        self.term_months: int | None = None
        self.start: tuple[str, str] | None = None
        if compiled.term is not None and compiled.term.due is not None:
            amount, unit, key = compiled.term.due
            self.term_months = amount * (12 if unit == "years" else 1)
            section, _, name = key.partition(".")
            self.start = (section, name)
        # (base key, done key, amount, unit) of each deadline duty counted from a fact (not from a derived
        # `last day` / `dismissal day`, which the term's dates already place)
        self.deadlines: list[tuple[tuple[str, str], tuple[str, str], int, str]] = []
        for duty in compiled.duties:
            if duty.due is not None and duty.done_key and duty.due[2] is not None:
                amount, unit, base = duty.due
                self.deadlines.append((_split(base), _split(duty.done_key), amount, unit))
        self.bad = _bad_values(policy, self.start, self.term_months)
        self.bases = {base for base, _, _, _ in self.deadlines}
        # closed-world facts whose non-default values are events that matter (grounds, violations, ...):
        # section → [(fact, those values in order, whether the fact is a list)]
        self.event_values: dict[str, list[tuple[str, list, bool]]] = {}
        for name, sec in self.sections.items():
            for fname, info in sec.fields.items():
                bad = sorted(self.bad.get((name, fname), ()))
                if info.closed and bad:
                    self.event_values.setdefault(name, []).append((fname, bad, isinstance(info.type, ListT)))
        self.strategies: dict = {}

    # The strategies are built when first used: sample_cases reads the plan without Hypothesis.
    @functools.cached_property
    def events(self) -> dict[str, list[tuple[str, SearchStrategy]]]:
        return {name: [(fname, st.lists(_pick(bad), min_size=1, max_size=1) if is_list else _pick(bad))
                       for fname, bad, is_list in events]
                for name, events in self.event_values.items()}

    @functools.cached_property
    def absolute_dates(self) -> SearchStrategy[dt.date]:
        return dates()


def _split(key: str) -> tuple[str, str]:
    section, _, name = key.partition(".")
    return section, name


_PLANS: "weakref.WeakKeyDictionary[Any, _Plan]" = weakref.WeakKeyDictionary()


def _plan(policy) -> _Plan:
    plan = _PLANS.get(policy)
    if plan is None:
        plan = _PLANS[policy] = _Plan(policy)
    return plan


def _badness(decision) -> int:
    """How much goes wrong in a decision: unmet requirements, grounds, violations, broken duties."""
    return (len(decision.eligibility.unmet) + len(decision.grounds) + len(decision.violations)
            + sum(1 for o in decision.obligations if str(o.state) in ("breached", "overdue"))
            + (1 if str(decision.status) == "dismissed" else 0))


def _bad_values(policy, start: tuple[str, str] | None, term_months: int | None) -> dict[tuple[str, ...], frozenset]:
    """The values of each fact that, on their own, make a decision worse (more unmet, grounds, ...).

    Keys are (section, fact) for bool, enum and list-of-enum facts, and
    (section, fact, field) for the bool fields of a list of records. A fact
    that matters only together with an enum fact (``require X when m = v``) is
    probed with each value of each enum fact set as well.
    """
    probe_day = dt.date(2020, 7, 1)
    sections = policy._sections
    out: dict[tuple[str, ...], set] = {}

    def decide(facts: Mapping[str, Mapping], as_of: dt.date = probe_day):
        case: dict = {"as_of": as_of.isoformat()}
        if start is not None:
            case[start[0]] = {start[1]: probe_day.isoformat()}
        for name, given in facts.items():
            case[name] = {**case.get(name, {}), **given}
        try:
            return _badness(policy.evaluate(case))
        except (RulesError, ValueError, OverflowError):
            return None

    contexts: list[dict] = [{}]
    for name, sec in sections.items():
        for fname, info in sec.fields.items():
            if isinstance(info.type, EnumT):
                contexts.extend({name: {fname: v}} for v in info.type.values)

    for name, sec in sections.items():
        for fname, info in sec.fields.items():
            t = info.type
            if t == BOOL:
                candidates = [(True, True), (False, False)]
            elif isinstance(t, EnumT):
                candidates = [(v, v) for v in t.values]
            elif isinstance(t, ListT) and isinstance(t.element, EnumT):
                candidates = [(v, [v]) for v in t.element.values]
            elif isinstance(t, ListT) and isinstance(t.element, RecordT):
                _probe_records(decide, out, name, fname, t.element, probe_day, term_months)
                continue
            else:
                continue
            # a bool that changes nothing alone is tried again beside each enum value
            for context in contexts if t == BOOL else contexts[:1]:
                if (name, fname) in out:
                    break
                if name in context and fname in context[name]:
                    continue
                base = decide({**context, name: {**context.get(name, {})}})
                if base is None:
                    continue
                for value, given in candidates:
                    score = decide({**context, name: {**context.get(name, {}), fname: given}})
                    if score is not None and score > base:
                        out.setdefault((name, fname), set()).add(value)
    return {k: frozenset(v) for k, v in out.items() if len(v) < _count_values(sections, k)}


def _count_values(sections, key: tuple[str, ...]) -> int:
    """How many values a fact has (a list of enum values has many: the empty list is one of them)."""
    t = sections[key[0]].fields[key[1]].type
    if len(key) == 3:
        t = t.element.fields[key[2]].type
    return 2 if t == BOOL else len(t.values) if isinstance(t, EnumT) else 1 << 30


def _probe_records(decide, out, name: str, fname: str, record: RecordT, day: dt.date, term_months) -> None:
    """Bool fields of a record list (e.g. the conditions of a renewal), probed on one record dated ``day``.

    Judged the day after the first term would end, where a record's effect shows.
    """
    as_of = _shift(_add_months(day, term_months) or day, 1) if term_months else day
    flags = [k for k, f in record.fields.items() if f.type == BOOL]
    filler = {}
    for k, f in record.fields.items():
        if f.type == DATE:
            filler[k] = day.isoformat()
        elif isinstance(f.type, EnumT):
            filler[k] = f.type.values[0]
        elif f.type == TEXT:
            filler[k] = ""
    for base_value in (True, False):
        base_record = {**filler, **{k: base_value for k in flags}}
        base = decide({name: {fname: [base_record]}}, as_of)
        if base is None:
            continue
        for k in flags:
            score = decide({name: {fname: [{**base_record, k: not base_value}]}}, as_of)
            if score is not None and score > base:
                out.setdefault((name, fname, k), set()).add(not base_value)


# ------------------------------------------------------------------ dates within a case
class _Frame:
    """The dates one case clusters around: its reference day (the appointment's start), the
    ends of the successive terms from it, and the range the case's dates stay in."""

    __slots__ = ("reference", "anchors", "lo", "hi")

    def __init__(self, reference: dt.date, anchors: list[dt.date], lo: dt.date, hi: dt.date):
        self.reference, self.anchors, self.lo, self.hi = reference, anchors, lo, hi


class _Rel:
    """A date drawn before the case's frame is known, placed in it by ``resolve``.

    Drawing descriptors lets every strategy be built once per policy (fast),
    while each case's dates still cluster around its own start and term ends.
    """

    __slots__ = ("kind", "a", "b")

    def __init__(self, kind: str, a: int, b: int):
        self.kind, self.a, self.b = kind, a, b

    def __repr__(self) -> str:
        return f"_Rel({self.kind!r}, {self.a}, {self.b})"

    def resolve(self, frame: _Frame) -> dt.date:
        kind, a, b = self.kind, self.a, self.b
        year = min(max(frame.reference.year + a, MIN_DATE.year), MAX_DATE.year)
        if kind == "anchor":
            day = _shift(frame.anchors[a % len(frame.anchors)], b)
        elif kind == "span":
            day = _shift(frame.lo, (frame.hi - frame.lo).days * a // _SPAN)
        elif kind == "first_term":
            first_end = frame.anchors[1] if len(frame.anchors) > 1 else frame.hi
            day = _shift(frame.reference, max((first_end - frame.reference).days, 0) * a // _SPAN)
        elif kind == "leap":
            leap = _leap_year_at_or_before(year)
            day = _shift(dt.date(leap, 2, 29), b) if leap >= MIN_DATE.year else frame.reference
        elif kind == "year_end":
            day = _shift(dt.date(year, 1, 1), b)
        elif kind == "national_day":
            day = _shift(dt.date(year, 10, 1), b)
        elif kind == "labour_day":
            day = _shift(dt.date(year, 5, 1), b)
        elif kind == "spring_festival":
            month_day = _SPRING_FESTIVAL.get(year)
            day = _shift(dt.date(year, *month_day), b) if month_day else _shift(frame.reference, b)
        elif kind == "far_past":
            # years or decades before the case (a birth, an old record): outside the frame on purpose,
            # so only the dates a case may hold bound it
            return min(max(_shift(dt.date(year, 1, 1), b), MIN_DATE), MAX_DATE)
        else:  # pragma: no cover
            raise AssertionError(kind)
        return min(max(day, frame.lo), frame.hi)


_SPAN = 1 << 20


# How a relative date is drawn (the strategy and the sampler share these): near an anchor (0 the
# start, k the end of term k, the first most often; 5.. any extra ones) at an offset (the day
# itself and the days next to it most often); within the first term; or one of these kinds,
# with the ranges of its two numbers.
_ANCHORS = (1, 0, 1, 2, 1, 3, 2, 4, 5, 6)
_OFFSETS = (0, 1, -1, 1, 0, -1, 2, -2, 3, -3)
_REL_KINDS = (
    ("span", (0, _SPAN), (0, 0)),
    ("leap", (-8, 16), (-1, 1)),
    ("year_end", (-2, 16), (-3, 2)),
    ("national_day", (-2, 16), (-2, 9)),
    ("labour_day", (-2, 16), (-2, 6)),
    ("spring_festival", (-2, 16), (-4, 10)),
)
# A date fact (not as_of) is drawn 1 time in _FAR_RATE years or decades before the start (the
# years and the day in the year), outside the frame, so that dates compared over decades (an age
# on a day, a record long past) take realistic values, not only the ~400 days round the start.
_FAR_PAST = ((-80, -2), (0, 365))
_FAR_RATE = 4


def _relative_dates() -> SearchStrategy[_Rel]:
    """Nearly half near the frame's anchors (start, term ends, ±3 days), some within the
    first term, the rest spread over the frame or on 29 February, year ends and holiday
    weeks of nearby years."""
    def rel(kind, a, b):
        return st.tuples(a, b).map(lambda t: _Rel(kind, *t))
    near = rel("anchor", st.sampled_from(_ANCHORS), st.sampled_from(_OFFSETS))
    others = [rel(kind, _ints(*a), _ints(*b)) for kind, a, b in _REL_KINDS]
    within = rel("first_term", _ints(0, _SPAN), st.just(0))
    return st.one_of(*[near] * len(others), within, within, *others)


def _fact_dates(rel: SearchStrategy[_Rel]) -> SearchStrategy[_Rel]:
    """A date fact's draw: ``rel``, or 1 time in ``_FAR_RATE`` a day years or decades before the start."""
    far = st.tuples(_ints(*_FAR_PAST[0]), _ints(*_FAR_PAST[1])).map(lambda t: _Rel("far_past", *t))
    return st.one_of(*[rel] * (_FAR_RATE - 1), far)


if st is not None:
    _REL = _relative_dates()
    _FACT_REL = _fact_dates(_REL)


class _InOrder(list):
    """Records to be sorted by ``key`` once their dates are resolved (event logs are oldest first)."""

    __slots__ = ("key",)

    def __init__(self, items, key: str):
        super().__init__(items)
        self.key = key


def _resolve(value, frame: _Frame | None):
    """The JSON value of a drawn value: relative dates placed in ``frame``, dates as ISO strings."""
    if isinstance(value, _Rel):
        return value.resolve(frame).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, _InOrder):
        items = [_resolve(v, frame) for v in value]
        return sorted(items, key=lambda r: r.get(value.key) or "")
    if isinstance(value, list):
        return [_resolve(v, frame) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, frame) for k, v in value.items()}
    return value


# ------------------------------------------------------------------ values
# Text facts: a few words a rule may compare with, or up to 8 characters from these code-point blocks
# (printable ASCII twice as often). No block holds a control character (Cc) or a surrogate (Cs).
_WORDS = ("其他", "市卫生健康委", "other")
_TEXT_BLOCKS = (
    (0x20, 0x7E), (0x20, 0x7E),  # printable ASCII
    (0xA0, 0x24F),  # Latin-1 and Latin Extended
    (0x300, 0x36F),  # combining marks
    (0x370, 0x52F),  # Greek, Cyrillic
    (0x2000, 0x206F),  # general punctuation: spaces of every width, zero-width and direction marks, U+2028
    (0x3000, 0x303F),  # CJK punctuation
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xFF00, 0xFFEF),  # full-width forms
    (0xA0, 0xD7FF),  # the rest of the BMP below the surrogates
    (0xE000, 0xFFFF),  # private use, U+FEFF, the specials, the noncharacters U+FFFE and U+FFFF
    (0x10000, 0x10FFFF),  # beyond the BMP (emoji, rare ideographs)
)
_TEXT_SIZE = 8


#: Numbers a case may hold that regulations' thresholds sit on or next to (ages, scores, counts,
#: amounts), decimals that binary floating point cannot hold exactly, and the ends of the range.
_NUMBERS = (0, 1, 2, 3, 5, 10, 17, 18, 21, 22, 59, 60, 64, 65, 70, 89.5, 90, 100, 199.99, 200, 2000, 2001,
            0.1, 0.2, 0.3, 2.5, -1, -0.5, 10**15, -10**15)


def _numbers() -> SearchStrategy:
    return st.one_of(_pick(_NUMBERS), _ints(0, 120), _ints(0, 3000).map(lambda k: k / 10))


def _text() -> SearchStrategy[str]:
    # built from code points, not st.text (see _ints: a string choice may be filled with a constant)
    char = st.one_of(*[_ints(a, b).map(chr) for a, b in _TEXT_BLOCKS])
    return st.one_of(st.lists(char, max_size=_TEXT_SIZE).map("".join), st.sampled_from(_WORDS))


def _strategy(ftype, date_strategy: SearchStrategy, bad: frozenset = frozenset(),
              favourable: int = 0, record_bad: Mapping[str, frozenset] | None = None) -> SearchStrategy:
    """Values of one declared type, before ``_resolve`` (dates may still be relative).

    With ``favourable`` = n > 0, a value not in ``bad`` is n times as likely as any value.
    """
    if ftype == BOOL:
        good = [v for v in (True, False) if v not in bad]
        if favourable and good and bad:
            return st.sampled_from(good * favourable + sorted(bad))
        return st.booleans()
    if ftype == DATE:
        return date_strategy
    if ftype == TEXT:
        return _text()
    if ftype == NUMBER:
        return _numbers()
    if isinstance(ftype, EnumT):
        good = [v for v in ftype.values if v not in bad]
        if favourable and good and bad:
            return st.one_of(*[_pick(good)] * favourable, _pick(ftype.values))
        return _pick(ftype.values)
    if isinstance(ftype, ListT):
        element = ftype.element
        if isinstance(element, EnumT):
            size = min(len(element.values), 4)
            good = [v for v in element.values if v not in bad]
            every = st.lists(_pick(element.values), max_size=size, unique=True)
            if favourable and bad:
                kind = st.lists(_pick(good), max_size=min(len(good), 3), unique=True) if good \
                    else st.just([])
                return st.one_of(*[kind] * favourable, every)
            # duplicates are valid input too, if unusual
            return st.one_of(every, every, every, st.lists(_pick(element.values), max_size=size))
        if isinstance(element, RecordT):
            record = _record(element, date_strategy, record_bad, favourable)
            dated = next((k for k, f in element.fields.items() if f.type == DATE), None)
            # a record list that is given mostly holds records (an empty one means its default)
            items = st.one_of(st.lists(record, max_size=3), st.lists(record, min_size=1, max_size=3))
            if dated is None:
                return items
            # records with a date are kept oldest first, as event logs are; now and then not
            in_order = items.map(lambda rs: _InOrder(rs, dated))
            return st.one_of(in_order, in_order, in_order, items)
        return st.lists(_strategy(element, date_strategy), max_size=3)
    if isinstance(ftype, RecordT):
        return _record(ftype, date_strategy)
    raise TypeError(f"no strategy for declared type {ftype!r}")


def _record(record: RecordT, date_strategy, bad: Mapping[str, frozenset] | None = None,
            favourable: int = 0) -> SearchStrategy[dict]:
    bad = bad or {}

    def field(k, f):
        return _strategy(f.type, date_strategy, bad.get(k, frozenset()), favourable)
    required = {k: field(k, f) for k, f in record.fields.items() if not f.closed and not f.optional}
    # closed-world fields (their default when left out) and `= unknown` ones (unknown when left out)
    optional = {k: field(k, f) for k, f in record.fields.items()
                if (f.closed or f.optional) and not (favourable and k in bad)}
    # favourable: a closed field with a bad default is given, mostly with a good value
    required.update({k: field(k, f) for k, f in record.fields.items() if f.closed and favourable and k in bad})
    return st.fixed_dictionaries(required, optional=optional)


def values(policy, fact: str, *, dates: SearchStrategy[dt.date] | None = None) -> SearchStrategy:
    """Valid JSON values for one declared fact, named ``"section.fact"`` (e.g. as a fill-in for an unknown).

    Dates are drawn from ``dates`` (default: :func:`dates` with its defaults)
    and returned as ISO strings, as in a JSON case.
    """
    _need_hypothesis("values")
    section_name, _, name = fact.partition(".")
    sections = policy._sections
    if section_name not in sections or name not in sections[section_name].fields:
        raise ValueError(f"{policy.id} declares no fact `{fact}`")
    info = sections[section_name].fields[name]
    if dates is not None:
        return _strategy(info.type, dates).map(_resolve_alone)
    plan = _plan(policy)
    key = ("values", section_name, name)
    if key not in plan.strategies:  # built once: building strategies is not free
        plan.strategies[key] = _strategy(info.type, plan.absolute_dates).map(_resolve_alone)
    return plan.strategies[key]


def _resolve_alone(value):
    return _resolve(value, None)


# ------------------------------------------------------------------ sections and cases
def _fixed_value(draw, value):
    """A fixed fact: a strategy is drawn from, a date becomes its ISO string; None means omitted."""
    if isinstance(value, SearchStrategy):
        value = draw(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_fixed_value(draw, v) for v in value]
    if isinstance(value, Mapping):
        return {k: _fixed_value(draw, v) for k, v in value.items()}
    return value


def _check_fixed(plan: _Plan, name: str, fixed: Mapping) -> None:
    fields = plan.sections[name].fields
    unknown = [k for k in fixed if k not in fields]
    if unknown:
        raise ValueError(f"{plan.policy.id} declares no fact {', '.join(f'`{name}.{k}`' for k in unknown)}; "
                         f"`{name}` has: {', '.join(fields)}")


# How strongly a case leans toward favourable values: 0 not at all, else the odds of a
# favourable value against any value.
_TILTS = (0, 5, 30)
# How often an open-world fact is given: n gives it with odds n to 1 (0: always).
_KNOWN = (1, 5, 20, 0)


def _field_strategy(plan: _Plan, name: str, fname: str, favourable: int, date_strategy) -> SearchStrategy:
    key = (name, fname, favourable, id(date_strategy))
    strategy = plan.strategies.get(key)
    if strategy is None:
        info = plan.sections[name].fields[fname]
        bad = plan.bad.get((name, fname), frozenset())
        record_bad = {k[2]: v for k, v in plan.bad.items() if k[:2] == (name, fname) and len(k) == 3}
        strategy = plan.strategies[key] = _strategy(info.type, date_strategy, bad, favourable, record_bad)
    return strategy


def _often(n: int) -> SearchStrategy[bool]:
    """True n times as often as False; shrinks to False (so a counterexample leaves things out)."""
    return st.sampled_from([False] + [True] * n)


if st is not None:
    _KEEP = {n: _often(n) for n in {3, *_KNOWN} if n}
    _TILT, _KNOWN_RATE = st.sampled_from(_TILTS), st.sampled_from(_KNOWN)
    _EVENT_DATE = st.sampled_from([False, False, True])
    _SINGLE = st.sampled_from([False, True])
    # The appointment's start is kept in shrinking too: most counterexamples need one.
    _START = st.sampled_from([True] * 7 + [False])


def _draw_section(draw, plan: _Plan, name: str, fixed: Mapping, date_strategy, favourable: int,
                  known: int) -> dict:
    """One section, dates not yet resolved; fixed facts (already JSON) override what is drawn.

    Now and then a section records exactly one event (one closed-world fact with a value
    that matters, the others at their defaults), so an event's own effect shows undisturbed.
    """
    out: dict = {}
    events = plan.events.get(name, [])
    single = None
    if events and draw(_SINGLE):
        single = draw(_pick(range(len(events))))
        fname, event = events[single]
        if fname not in fixed:
            out[fname] = draw(event)
    event_names = {f for f, _ in events} if single is not None else set()
    for fname, info in plan.sections[name].fields.items():
        if fname in fixed or fname in event_names:
            continue
        # open-world: omitted means unknown; closed-world: omitted means the default
        if info.type == DATE:
            # a dated event (a dismissal, a change) is recorded now and then; a date a deadline
            # counts from, more often
            keep = draw(_KEEP[3] if (name, fname) in plan.bases else _EVENT_DATE)
        elif not info.closed:
            keep = draw(_KEEP[known]) if known else True
        elif isinstance(info.type, ListT) and isinstance(info.type.element, RecordT):
            keep = draw(_KEEP[3])  # event logs (renewals, ...): mostly given
        else:
            keep = draw(st.booleans())
        if keep:
            # events (closed-world facts) lean less: a misconduct record is a normal thing to test
            tilt = min(favourable, _TILTS[1]) if info.closed else favourable
            out[fname] = draw(_field_strategy(plan, name, fname, tilt, date_strategy))
    for fname, value in fixed.items():
        value = _fixed_value(draw, value)
        if value is None:
            out.pop(fname, None)
        else:
            out[fname] = value
    return out


def section(policy, name: str, **fixed) -> SearchStrategy[dict]:
    """One section of facts (a dict) for ``policy``, valid on its own.

    ``fixed`` sets facts: a value (dates as ``datetime.date`` or ISO strings), a
    strategy to draw it from, or ``None`` to leave the fact out. Other facts
    are drawn, or left out now and then (unknown / default); dates come from
    :func:`dates` with its defaults.
    """
    _need_hypothesis("section")
    plan = _plan(policy)
    if name not in plan.sections:
        raise ValueError(f"{policy.id} declares no section `{name}`; it has: {', '.join(plan.sections)}")
    _check_fixed(plan, name, fixed)

    @st.composite
    def strategy(draw):
        favourable, known = draw(_TILT), draw(_KNOWN_RATE)
        return _resolve(_draw_section(draw, plan, name, fixed, plan.absolute_dates, favourable, known), None)
    return strategy()


# How a deadline record's date is made: as drawn with its section, or next to the due day, or soon after
# the day it counts from.
_DONE_WAYS = ("drawn", "near_due", "near_due", "soon")
_NEAR_DAYS = (0, 1, -1, 2, -2, 3, -3)
if st is not None:
    _DONE, _NEAR = st.sampled_from(_DONE_WAYS), st.sampled_from(_NEAR_DAYS)


def _due(plan: _Plan, base: dt.date, amount: int, unit: str) -> dt.date:
    """The due day of a deadline, on the policy's working-day calendar (roughly, where it has no data)."""
    try:
        if unit == "immediately":
            return base
        if unit == "working_days":
            return plan.policy.calendar.add_working_days(base, amount)
        if unit == "days":
            return deadlines.deadline_calendar_days(base, amount, plan.policy.calendar)
        months = amount * (12 if unit == "years" else 1)
        return deadlines.extend_to_working_day(periods.add_months(base, months), plan.policy.calendar)
    except Exception:  # a year the calendar has no data for, or past the range of dates
        return _shift(base, amount * 7 // 5)


# The appointment's start (the reference day): now and then within this many days of the ends of the
# dates a case may hold, else in [_DEFAULT_MIN, _REFERENCE_MAX].
_EXTREME_DAYS = (6 * 366, 366)
_REFERENCE_MAX = dt.date(2035, 12, 31)
if st is not None:
    _EXTREME = st.one_of(_ints(0, _EXTREME_DAYS[0]).map(lambda k: _shift(MAX_DATE, -k)),
                         _ints(0, _EXTREME_DAYS[1]).map(lambda k: _shift(MIN_DATE, k)))
    _REFERENCE = dates(_DEFAULT_MIN, _REFERENCE_MAX)


def cases(policy, **fixed_facts) -> SearchStrategy[dict]:
    """Schema-valid cases (JSON-like dicts) for ``policy``, built from its own fact declarations.

    ``fixed_facts`` overrides what is drawn: ``as_of="2024-01-01"`` (a date,
    ISO string or strategy of either; ``None`` draws it); a section as a dict
    of facts merged over the drawn one (``appointment={"start": "2020-02-29"}``;
    a fact set to ``None`` is left out; each value may be a strategy), which
    makes the section present; or a section set to ``None``, which leaves it out.

    The dates of a case cluster around the appointment's start (drawn or
    fixed) and the ends of its successive terms; ``as_of`` is drawn last, near
    those term ends or near the deadlines the case's records set.
    """
    _need_hypothesis("cases")
    plan = _plan(policy)
    for key, value in fixed_facts.items():
        if key == "as_of":
            continue
        if key not in plan.sections:
            raise ValueError(f"{policy.id} declares no section `{key}`; a case has: as_of, "
                             f"{', '.join(plan.sections)}")
        if value is not None and not isinstance(value, SearchStrategy):
            if not isinstance(value, Mapping):
                raise TypeError(f"fixed section `{key}` must be a dict of facts or None")
            _check_fixed(plan, key, value)

    @st.composite
    def strategy(draw):
        fixed = {k: (draw(v) if isinstance(v, SearchStrategy) else v) for k, v in fixed_facts.items()}
        # The day everything clusters around: the appointment's start when the case has one.
        reference = None
        if plan.start is not None:
            section_name, start_name = plan.start
            given = (fixed.get(section_name) or {}).get(start_name)
            if given is not None:
                given = _fixed_value(draw, given)
                reference = _as_date(given) if given is not None else None
                fixed[section_name] = {**fixed[section_name], start_name: given}
        if reference is None:
            # now and then the ends of the range a case may hold, where period arithmetic overflows
            reference = draw(_EXTREME) if draw(st.integers(0, 11)) == 11 else draw(_REFERENCE)
        anchors = [reference]
        if plan.term_months:
            for k in range(1, 5):
                end = _add_months(reference, plan.term_months * k)
                if end is None:
                    break
                anchors.append(end)
        lo, hi = max(MIN_DATE, _shift(reference, -400)), min(MAX_DATE, _shift(anchors[-1], 400))
        # at the ends of the range a case may hold, the ends themselves are the boundaries
        anchors += [d for d in (MIN_DATE, MAX_DATE) if d in (lo, hi)]
        frame = _Frame(reference, anchors, lo, hi)

        case: dict = {}
        for name in plan.sections:
            if name in fixed:
                if fixed[name] is None:
                    continue
                present = True
            else:
                present = draw(_START if plan.start is not None and name == plan.start[0] else _KEEP[3])
            if not present:
                continue
            facts = dict(fixed.get(name) or {})
            if plan.start is not None and name == plan.start[0] and plan.start[1] not in facts:
                # the start is the reference day, or (now and then) unknown
                facts[plan.start[1]] = reference.isoformat() if draw(_START) else None
            # each section leans its own way: a favourable person may still have a record of misconduct
            favourable, known = draw(_TILT), draw(_KNOWN_RATE)
            case[name] = _resolve(_draw_section(draw, plan, name, facts, _FACT_REL, favourable, known), frame)

        # A record that a deadline duty was done: mostly on or next to the due day, else soon after
        # the day it counts from; as_of is often near the due day too.
        extra = []
        for (bsec, bname), (dsec, dname), amount, unit in plan.deadlines:
            base = case.get(bsec, {}).get(bname)
            if base is None:
                continue
            base_day = _as_date(base)
            due = _due(plan, base_day, amount, unit)
            extra.append(due)
            if dsec in case and dname not in (fixed.get(dsec) or {}):
                how = draw(_DONE)
                if how == "near_due":
                    done = _shift(due, draw(_NEAR))
                elif how == "soon":
                    done = _shift(base_day, draw(_ints(0, max((due - base_day).days, 0) * 2 + 10)))
                else:  # as drawn with the section (often absent: not done yet)
                    continue
                case[dsec][dname] = min(max(done, MIN_DATE), MAX_DATE).isoformat()

        as_of = _fixed_value(draw, fixed["as_of"]) if fixed.get("as_of") is not None else None
        if as_of is None:
            as_of = draw(_REL).resolve(_Frame(reference, anchors + extra, lo, hi)).isoformat()
        case["as_of"] = as_of
        return case
    return strategy()


# ------------------------------------------------------------------ seeded sampling (no Hypothesis)
def sample_cases(policy, n: int, *, seed: int = 0) -> list[dict]:
    """``n`` cases (JSON-like dicts) for ``policy``, the same ones for the same ``seed``.

    Drawn from ``random.Random(seed)`` alone (no global random state, no
    Hypothesis), so a seed names a fixed list of cases: for workloads, batch
    inputs and benchmarks, or wherever a test wants many plain cases at once.
    Every case is valid under the policy's case format (``policy.schema()``;
    ``policy.evaluate`` accepts it), and the cases have the shapes
    :func:`cases` draws, built from the policy's own declarations in the same
    proportions: open-world facts given or left out (unknown), closed-world
    facts given or left at their default, sections absent, every enum value,
    record lists in date order and not, text in many scripts, mostly
    favourable values; dates clustered around the appointment's start, the
    ends of its successive terms and the days next to them, deadlines' due
    days, 29 February, year ends and the holiday weeks, and now and then at the
    very ends of the dates a case may hold. Beyond what :func:`cases` draws, a
    fact or a section left out is now and then given as ``null``, which the
    case format reads the same way.

    Nothing shrinks here: to search for a counterexample, use :func:`cases`.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    sampler = _Sampler(_plan(policy), random.Random(seed))
    return [sampler.case() for _ in range(n)]


class _Sampler:
    """The draws of :func:`cases`, made with one ``random.Random`` instead of Hypothesis.

    Each method mirrors a strategy above (named in its docstring) and reads the
    same tables and plan, so the two keep drawing the same kinds of cases.
    """

    def __init__(self, plan: _Plan, rng: random.Random):
        self.plan, self.rng = plan, rng

    def often(self, n: int) -> bool:
        """``_often(n)``: True n times as often as False."""
        return self.rng.randrange(n + 1) != 0

    def rel(self) -> _Rel:
        """``_REL``."""
        r = self.rng
        branch = r.randrange(2 * len(_REL_KINDS) + 2)
        if branch < len(_REL_KINDS):
            return _Rel("anchor", r.choice(_ANCHORS), r.choice(_OFFSETS))
        if branch < len(_REL_KINDS) + 2:
            return _Rel("first_term", r.randint(0, _SPAN), 0)
        kind, a, b = _REL_KINDS[branch - len(_REL_KINDS) - 2]
        return _Rel(kind, r.randint(*a), r.randint(*b))

    def fact_rel(self) -> _Rel:
        """``_FACT_REL``."""
        r = self.rng
        if r.randrange(_FAR_RATE) == 0:
            return _Rel("far_past", r.randint(*_FAR_PAST[0]), r.randint(*_FAR_PAST[1]))
        return self.rel()

    def absolute(self, lo: dt.date, hi: dt.date) -> dt.date:
        """``dates(lo, hi)``: spread over the range, or on a boundary of the calendar."""
        r = self.rng

        def clamp(day: dt.date) -> dt.date:
            return min(max(day, lo), hi)
        branches: list[Callable[[], dt.date]] = [lambda: _shift(lo, r.randint(0, (hi - lo).days))]
        if (hi - lo).days >= 40:
            leap_years, festivals = _boundary_years(lo, hi)
            if leap_years is None or leap_years:
                def leap() -> int:
                    return r.choice(leap_years) if leap_years is not None \
                        else _leap_year_at_or_before(r.randint(lo.year + 4, hi.year))
                branches.append(lambda: clamp(_shift(dt.date(leap(), 2, 29), r.randint(-1, 1))))
            branches.append(lambda: clamp(_shift(dt.date(r.randint(lo.year, hi.year), 1, 1), r.randint(-3, 2))))
            branches.append(lambda: clamp(_shift(dt.date(r.randint(lo.year, hi.year), *r.choice([(10, 1), (5, 1)])),
                                                 r.randint(-2, 9))))
            if festivals:
                branches.append(lambda: clamp(_shift(r.choice(festivals), r.randint(-4, 10))))
        return r.choice(branches)()

    def text(self) -> str:
        """``_text()``."""
        r = self.rng
        if r.random() < 0.5:
            return r.choice(_WORDS)
        return "".join(chr(r.randint(*r.choice(_TEXT_BLOCKS))) for _ in range(r.randint(0, _TEXT_SIZE)))

    def value(self, ftype, bad: frozenset = frozenset(), favourable: int = 0,
              record_bad: Mapping[str, frozenset] | None = None):
        """``_strategy``: a value of one declared type, dates still relative."""
        r = self.rng
        if ftype == BOOL:
            good = [v for v in (True, False) if v not in bad]
            if favourable and good and bad:
                return r.choice(good * favourable + sorted(bad))
            return r.random() < 0.5
        if ftype == DATE:
            return self.fact_rel()
        if ftype == TEXT:
            return self.text()
        if ftype == NUMBER:
            choice = r.randrange(3)
            return r.choice(_NUMBERS) if choice == 0 else r.randint(0, 120) if choice == 1 else r.randint(0, 3000) / 10
        if isinstance(ftype, EnumT):
            good = [v for v in ftype.values if v not in bad]
            if favourable and good and bad and r.randrange(favourable + 1):
                return r.choice(good)
            return r.choice(ftype.values)
        if isinstance(ftype, ListT):
            element = ftype.element
            if isinstance(element, EnumT):
                values = list(element.values)
                size = min(len(values), 4)
                if favourable and bad:
                    if r.randrange(favourable + 1):
                        good = [v for v in values if v not in bad]
                        return r.sample(good, r.randint(0, min(len(good), 3)))
                elif r.randrange(4) == 0:  # duplicates are valid input too, if unusual
                    return [r.choice(values) for _ in range(r.randint(0, size))]
                return r.sample(values, r.randint(0, size))
            if isinstance(element, RecordT):
                # a record list that is given mostly holds records (an empty one means its default)
                count = r.randint(0, 3) if r.random() < 0.5 else r.randint(1, 3)
                records = [self.record(element, record_bad, favourable) for _ in range(count)]
                dated = next((k for k, f in element.fields.items() if f.type == DATE), None)
                # oldest first, as event logs are; now and then not
                return _InOrder(records, dated) if dated is not None and r.randrange(4) else records
            return [self.value(element) for _ in range(r.randint(0, 3))]
        if isinstance(ftype, RecordT):
            return self.record(ftype)
        raise TypeError(f"no sampler for declared type {ftype!r}")

    def record(self, record: RecordT, bad: Mapping[str, frozenset] | None = None, favourable: int = 0) -> dict:
        """``_record``: every open-world field; a closed-world one now and then (always when a
        favourable record must override its bad default)."""
        bad = bad or {}
        out = {}
        for k, f in record.fields.items():
            if (not f.closed and not f.optional) or (favourable and k in bad) or self.rng.random() < 0.5:
                out[k] = self.value(f.type, bad.get(k, frozenset()), favourable)
        return out

    def section(self, name: str, start: str | None, favourable: int, known: int) -> dict:
        """``_draw_section``, dates still relative; ``start`` is the appointment's start (an ISO date,
        or None: left out) in the section that holds it, and ignored in the others."""
        plan, r = self.plan, self.rng
        start_name = plan.start[1] if plan.start is not None and plan.start[0] == name else None
        out: dict = {}
        events = plan.event_values.get(name, [])
        single = events and r.random() < 0.5
        if single:
            fname, bad, is_list = r.choice(events)
            if fname != start_name:
                out[fname] = [r.choice(bad)] if is_list else r.choice(bad)
        event_names = {f for f, _, _ in events} if single else set()
        for fname, info in plan.sections[name].fields.items():
            if fname == start_name or fname in event_names:
                continue
            if info.type == DATE:
                keep = self.often(3) if (name, fname) in plan.bases else r.randrange(3) == 0
            elif not info.closed:
                keep = self.often(known) if known else True
            elif isinstance(info.type, ListT) and isinstance(info.type.element, RecordT):
                keep = self.often(3)
            else:
                keep = r.random() < 0.5
            if keep:
                tilt = min(favourable, _TILTS[1]) if info.closed else favourable
                bad = plan.bad.get((name, fname), frozenset())
                record_bad = {k[2]: v for k, v in plan.bad.items() if k[:2] == (name, fname) and len(k) == 3}
                out[fname] = self.value(info.type, bad, tilt, record_bad)
            elif r.randrange(6) == 0:
                out[fname] = None  # null: not given, as if left out
        if start_name is not None:
            if start is not None:
                out[start_name] = start
            elif r.randrange(6) == 0:
                out[start_name] = None
        return out

    def case(self) -> dict:
        """``cases(policy)``."""
        plan, r = self.plan, self.rng
        if r.randrange(12) == 11:  # the ends of the range a case may hold
            reference = _shift(MAX_DATE, -r.randint(0, _EXTREME_DAYS[0])) if r.random() < 0.5 \
                else _shift(MIN_DATE, r.randint(0, _EXTREME_DAYS[1]))
        else:
            reference = self.absolute(_DEFAULT_MIN, _REFERENCE_MAX)
        anchors = [reference]
        if plan.term_months:
            for k in range(1, 5):
                end = _add_months(reference, plan.term_months * k)
                if end is None:
                    break
                anchors.append(end)
        lo, hi = max(MIN_DATE, _shift(reference, -400)), min(MAX_DATE, _shift(anchors[-1], 400))
        anchors += [d for d in (MIN_DATE, MAX_DATE) if d in (lo, hi)]
        frame = _Frame(reference, anchors, lo, hi)

        case: dict = {}
        for name in plan.sections:
            holds_start = plan.start is not None and name == plan.start[0]
            if not self.often(7 if holds_start else 3):
                if r.randrange(8) == 0:
                    case[name] = None  # null: the section is absent
                continue
            start = (reference.isoformat() if self.often(7) else None) if holds_start else None
            favourable, known = r.choice(_TILTS), r.choice(_KNOWN)
            case[name] = _resolve(self.section(name, start, favourable, known), frame)

        extra = []
        for (bsec, bname), (dsec, dname), amount, unit in plan.deadlines:
            base = (case.get(bsec) or {}).get(bname)
            if base is None:
                continue
            base_day = _as_date(base)
            due = _due(plan, base_day, amount, unit)
            extra.append(due)
            if isinstance(case.get(dsec), dict):
                how = r.choice(_DONE_WAYS)
                if how == "near_due":
                    done = _shift(due, r.choice(_NEAR_DAYS))
                elif how == "soon":
                    done = _shift(base_day, r.randint(0, max((due - base_day).days, 0) * 2 + 10))
                else:
                    continue
                case[dsec][dname] = min(max(done, MIN_DATE), MAX_DATE).isoformat()
        case["as_of"] = self.rel().resolve(_Frame(reference, anchors + extra, lo, hi)).isoformat()
        return case


def _backend_outcome(policy, backend: str, case: Mapping):
    """What a backend makes of a case: its decision as JSON with its trace (every rule the backend met,
    in order), or the error. The explanation and the open questions are left out: they are built from
    the decision's fields and the facts by one builder (``explain/``) whatever the backend, so they
    agree where the decisions do (and building them thrice would triple the suite's time)."""
    try:
        decision = policy.evaluate_with(backend, case)
        trace = getattr(decision, "trace", ())  # (a test may hand in a decision-like object)
        plain = decision.to_dict(explanation=False, open_questions=False)
        return {**plain, "trace": [attrs.asdict(step) for step in trace]}
    except Exception as exc:  # a backend that raises where another decides is a difference too
        return f"{type(exc).__name__}: {exc}"


def backend_differences(policy, case: Mapping) -> list[str]:
    """Where the backends (``supervisor_rules.policy.BACKENDS``) disagree on one case: one line
    per differing decision field (explanation included) or error, each against the first backend
    (``generated``, what ``evaluate`` runs). Empty when every backend decides alike."""
    results = {backend: _backend_outcome(policy, backend, case) for backend in BACKENDS}
    first, expected = BACKENDS[0], results[BACKENDS[0]]
    lines: list[str] = []
    for backend, result in results.items():
        if result == expected:
            continue
        if isinstance(result, dict) and isinstance(expected, dict):
            for key in (k for k in expected.keys() | result.keys() if expected.get(k) != result.get(k)):
                lines.append(f"{backend} differs from {first} in {key}:\n  {first}: {expected.get(key)}\n"
                             f"  {backend}: {result.get(key)}")
        else:
            lines.append(f"{backend}: {result if isinstance(result, str) else 'a decision'}\n"
                         f"{first}: {expected if isinstance(expected, str) else 'a decision'}")
    return lines


def assert_backends_agree(policy, case: Mapping) -> None:
    """Raise ``AssertionError`` naming the case and every difference if the backends disagree."""
    import json

    lines = backend_differences(policy, case)
    if lines:
        shown = json.dumps(case, ensure_ascii=False, default=str)
        raise AssertionError("\n".join([f"case: {shown}", *sorted(lines)]))
