"""Hypothesis strategies for property-testing policies and the applications that embed them.

    from hypothesis import given
    import supervisor_rules as sr
    from supervisor_rules import testing

    policy = sr.load_policy("path/to/policy.rules")

    @given(testing.cases(policy, as_of="2024-01-01"))
    def test_never_raises(case):
        policy.evaluate(case)

Only this module imports ``hypothesis``, and nothing in the package imports this
module: install ``hypothesis`` (the ``test`` extra) to use it.

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
  just after the date they count from. Most cases are drawn *favourable*:
  each fact mostly takes a value that, on its own, leaves no requirement
  unmet and adds no ground, violation or breached duty (found once per policy
  by evaluating one probe case per value), so eligible and active outcomes
  are common, not only failing ones. A small share of cases is placed at the
  very ends of the date range a case may hold (``MIN_DATE``, ``MAX_DATE``, the
  case format's), where term ends fall outside it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import weakref
from typing import Any, Iterable, Mapping

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from supervisor_rules.dates import periods
from supervisor_rules.contracts.case import MAX_DATE, MIN_DATE
from supervisor_rules.lang.checker import BOOL, DATE, TEXT, EnumT, ListT, RecordT
from supervisor_rules.errors import RulesError

__all__ = ["MAX_DATE", "MIN_DATE", "cases", "dates", "section", "values"]

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
    lo, hi = _as_date(min_value, "min_value"), _as_date(max_value, "max_value")
    if lo > hi:
        raise ValueError(f"min_value {lo} is after max_value {hi}")
    spread = max(int(spread), 0)
    clamp = lambda day: min(max(day, lo), hi)  # noqa: E731
    uniform = st.dates(lo, hi)
    others: list[SearchStrategy[dt.date]] = [uniform]
    if (hi - lo).days >= 40:
        years = st.integers(lo.year, hi.year)
        leap_years = [y for y in range(lo.year, hi.year + 1) if calendar.isleap(y)] if hi.year - lo.year < 400 \
            else None
        if leap_years is None or leap_years:
            leap = (st.sampled_from(leap_years) if leap_years is not None
                    else st.integers(lo.year + 4, hi.year).map(_leap_year_at_or_before))
            others.append(st.tuples(leap, st.integers(-1, 1))
                          .map(lambda t: _shift(dt.date(t[0], 2, 29), t[1])).map(clamp))
        others.append(st.tuples(years, st.integers(-3, 2))
                      .map(lambda t: _shift(dt.date(t[0], 1, 1), t[1])).map(clamp))
        # National Day (1-7 October, 8 October often a 调休 day) and Labour Day weeks
        others.append(st.tuples(years, st.sampled_from([(10, 1), (5, 1)]), st.integers(-2, 9))
                      .map(lambda t: clamp(_shift(dt.date(t[0], *t[1]), t[2]))))
        festivals = [day for day in (dt.date(y, m, d) for y, (m, d) in sorted(_SPRING_FESTIVAL.items()))
                     if lo <= _shift(day, 10) and _shift(day, -4) <= hi]
        if festivals:
            others.append(st.tuples(st.sampled_from(festivals), st.integers(-4, 10))
                          .map(lambda t: _shift(t[0], t[1])).map(clamp))
    anchors = sorted({a for a in (_as_date(x, "around") for x in around)
                      if _shift(lo, -spread) <= a <= _shift(hi, spread)})
    branches = list(others)
    if anchors:
        near = st.tuples(st.sampled_from(anchors), st.integers(-spread, spread)) \
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
        # (base key, done key, amount, unit) of each deadline duty
        self.deadlines: list[tuple[tuple[str, str], tuple[str, str], int, str]] = []
        for duty in compiled.duties:
            if duty.due is not None and duty.done_key:
                amount, unit, base = duty.due
                self.deadlines.append((_split(base), _split(duty.done_key), amount, unit))
        self.bad = _bad_values(policy, self.start, self.term_months)
        self.bases = {base for base, _, _, _ in self.deadlines}
        # closed-world facts whose non-default values are events that matter (grounds, violations, ...)
        self.events: dict[str, list[tuple[str, SearchStrategy]]] = {}
        for name, sec in self.sections.items():
            for fname, info in sec.fields.items():
                bad = sorted(self.bad.get((name, fname), ()))
                if not info.closed or not bad:
                    continue
                if isinstance(info.type, ListT):
                    event = st.lists(st.sampled_from(bad), min_size=1, max_size=1)
                else:
                    event = st.sampled_from(bad)
                self.events.setdefault(name, []).append((fname, event))
        self.strategies: dict = {}
        self.absolute_dates = dates()


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
        else:  # pragma: no cover
            raise AssertionError(kind)
        return min(max(day, frame.lo), frame.hi)


_SPAN = 1 << 20


def _relative_dates() -> SearchStrategy[_Rel]:
    """Nearly half near the frame's anchors (start, term ends, ±3 days), some within the
    first term, the rest spread over the frame or on 29 February, year ends and holiday
    weeks of nearby years."""
    def rel(kind, a, b):
        return st.tuples(a, b).map(lambda t: _Rel(kind, *t))
    # anchors: 0 the start, k the end of term k (the first most often), 5.. any extra ones;
    # offsets: the day itself and the days next to it most often
    near = rel("anchor", st.sampled_from([1, 0, 1, 2, 1, 3, 2, 4, 5, 6]),
               st.sampled_from([0, 1, -1, 1, 0, -1, 2, -2, 3, -3]))
    others = [
        rel("span", st.integers(0, _SPAN), st.just(0)),
        rel("leap", st.integers(-8, 16), st.integers(-1, 1)),
        rel("year_end", st.integers(-2, 16), st.integers(-3, 2)),
        rel("national_day", st.integers(-2, 16), st.integers(-2, 9)),
        rel("labour_day", st.integers(-2, 16), st.integers(-2, 6)),
        rel("spring_festival", st.integers(-2, 16), st.integers(-4, 10)),
    ]
    within = rel("first_term", st.integers(0, _SPAN), st.just(0))
    return st.one_of(*[near] * len(others), within, within, *others)


_REL = _relative_dates()


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
def _text() -> SearchStrategy[str]:
    return st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
                     st.sampled_from(["其他", "市卫生健康委", "other"]))


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
    if isinstance(ftype, EnumT):
        good = [v for v in ftype.values if v not in bad]
        if favourable and good and bad:
            return st.one_of(*[st.sampled_from(good)] * favourable, st.sampled_from(ftype.values))
        return st.sampled_from(ftype.values)
    if isinstance(ftype, ListT):
        element = ftype.element
        if isinstance(element, EnumT):
            size = min(len(element.values), 4)
            good = [v for v in element.values if v not in bad]
            every = st.lists(st.sampled_from(element.values), max_size=size, unique=True)
            if favourable and bad:
                kind = st.lists(st.sampled_from(good), max_size=min(len(good), 3), unique=True) if good \
                    else st.just([])
                return st.one_of(*[kind] * favourable, every)
            # duplicates are valid input too, if unusual
            return st.one_of(every, every, every, st.lists(st.sampled_from(element.values), max_size=size))
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
    required = {k: field(k, f) for k, f in record.fields.items() if not f.closed}
    optional = {k: field(k, f) for k, f in record.fields.items() if f.closed and not (favourable and k in bad)}
    # favourable: a closed field with a bad default is given, mostly with a good value
    required.update({k: field(k, f) for k, f in record.fields.items() if f.closed and favourable and k in bad})
    return st.fixed_dictionaries(required, optional=optional)


def values(policy, fact: str, *, dates: SearchStrategy[dt.date] | None = None) -> SearchStrategy:
    """Valid JSON values for one declared fact, named ``"section.fact"`` (e.g. as a fill-in for an unknown).

    Dates are drawn from ``dates`` (default: :func:`dates` with its defaults)
    and returned as ISO strings, as in a JSON case.
    """
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
        single = draw(st.sampled_from(range(len(events))))
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
    plan = _plan(policy)
    if name not in plan.sections:
        raise ValueError(f"{policy.id} declares no section `{name}`; it has: {', '.join(plan.sections)}")
    _check_fixed(plan, name, fixed)

    @st.composite
    def strategy(draw):
        favourable, known = draw(_TILT), draw(_KNOWN_RATE)
        return _resolve(_draw_section(draw, plan, name, fixed, plan.absolute_dates, favourable, known), None)
    return strategy()


_DONE = st.sampled_from(["drawn", "near_due", "near_due", "soon"])
_NEAR = st.sampled_from([0, 1, -1, 2, -2, 3, -3])


def _due(plan: _Plan, base: dt.date, amount: int, unit: str) -> dt.date:
    """The due day of a deadline, on the policy's working-day calendar (roughly, where it has no data)."""
    try:
        if unit == "working_days":
            return plan.policy.calendar.add_working_days(base, amount)
        if unit == "days":
            return _shift(base, amount)
        return periods.add_months(base, amount * (12 if unit == "years" else 1))
    except Exception:  # a year the calendar has no data for, or past the range of dates
        return _shift(base, amount * 7 // 5)


_EXTREME = st.one_of(st.integers(0, 6 * 366).map(lambda k: _shift(MAX_DATE, -k)),
                     st.integers(0, 366).map(lambda k: _shift(MIN_DATE, k)))
_REFERENCE = dates(_DEFAULT_MIN, dt.date(2035, 12, 31))


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
            case[name] = _resolve(_draw_section(draw, plan, name, facts, _REL, favourable, known), frame)

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
                    done = _shift(base_day, draw(st.integers(0, max((due - base_day).days, 0) * 2 + 10)))
                else:  # as drawn with the section (often absent: not done yet)
                    continue
                case[dsec][dname] = min(max(done, MIN_DATE), MAX_DATE).isoformat()

        as_of = _fixed_value(draw, fixed["as_of"]) if fixed.get("as_of") is not None else None
        if as_of is None:
            as_of = draw(_REL).resolve(_Frame(reference, anchors + extra, lo, hi)).isoformat()
        case["as_of"] = as_of
        return case
    return strategy()
