"""Boundary-directed cases: the edges a policy's constants put in the space of cases, and cases on them.

A decision can change only where a rule's value changes, and a rule's value changes at its constants:
a date compared with a literal, a period counted from a fact (a term of 3 years, a deadline of 7
working days), a number or an age compared with a number, the enum values a condition names. Random
dates almost never land on such an edge (a term that ends on 2026-03-01 is hit by one start date in
thousands), so a search that only draws at random passes over exactly the cases where two policies, or
a policy and its invariant, part. This module finds the edges and builds cases **on** each edge, **just
before** it and **just after** it:

- a date literal ``D`` compared with an expression: that expression at ``D - 1``, ``D``, ``D + 1`` —
  solved back through periods (``X after 3 years = D`` puts ``X`` 3 years before ``D``) and through the
  term (``decision.last_day = D`` puts the appointment's start one term before ``D``);
- the term of ``N`` years from a fact: ``as_of`` on the last day of the first and second terms, the day
  before and the day after; a renewal dated on the first term's last day, the day before and the day
  after;
- a deadline of ``N`` units after a fact: the fact placed before, on and at the end of each holiday
  block and next to each adjusted working day of the calendar (the days working-day counts turn on),
  then ``as_of`` and the day the duty is done at the due date — **computed by every policy given** on
  its own calendar, so two policies with different deadlines each get their edge — and a day either
  side;
- two dates compared with each other (``reported_on <= changed_on after 7 working days``,
  ``start <= as_of``): one side placed on reference days (and, with working days, on the holiday
  days), the other at the first side's value, a day before and a day after;
- a number compared with a constant ``n``: the fact at ``n - 1``, ``n``, ``n + 1``; an age
  (``age(born, on) >= 18``): the birth date ``n`` years before the day the age is taken on, a day
  before and a day after; a count of a list: that many entries, one fewer, one more;
- an enum compared with the values a condition names: each named value, and one value it does not name.

Each edge is a :class:`Boundary`; :func:`seeds` turns the boundaries of one or more policies into
cases every one of them accepts (each point alone, and over a *favourable* background in which the
open-world yes/no facts take the value that on its own makes the decision no worse), in round-robin
order so that a budget reaches every boundary's on-the-edge case first. ``diff`` tries these cases
before its random search, ``check`` before its invariant search.

Only the public face of a policy is read: ``policy.compiled.checked`` (provisions, invariants, sections),
the compiled term, renewal and duties, ``policy.calendar`` and ``policy.evaluate``; the expressions are
the ``lang/nodes`` ones. Hypothesis is not needed.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any, Iterable, Iterator

import attrs

from supervisor_rules.dates import periods
from supervisor_rules.engine import numeric
from supervisor_rules.errors import RulesError
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import BOOL, DATE, DECISION_ALIASES, DECISION_HEADS, NUMBER, TEXT, EnumT, ListT, \
    RecordT

#: Days the reference points of relative edges sit on: an ordinary mid-year day and a leap day.
REFERENCE_DAYS = (dt.date(2021, 7, 1), dt.date(2024, 2, 29))
#: The few days either side of an edge: on it, just before, just after.
AROUND = (0, -1, 1)
#: Calendar years whose holidays place working-day deadlines (besides the years of the policies' date
#: literals): the latest year the calendars cover but one, so that a deadline may run into the next.
CALENDAR_YEARS = 1
_ONE = dt.timedelta(days=1)
#: A count of a list is built only up to this many entries.
_MAX_COUNT = 12


@attrs.frozen
class Boundary:
    """One edge: ``kind`` (``date``, ``term``, ``renewal``, ``deadline``, ``number``, ``age``, ``count``,
    ``enum``, ``relative``), ``where`` it comes from (a provision's ``ref`` or ``invariant NAME``),
    ``what`` it is in words, and its ``points``: partial cases on, just before and just after it."""

    kind: str
    where: str
    what: str
    points: tuple = attrs.field(eq=False, repr=False)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "where": self.where, "what": self.what}


@attrs.frozen
class Seeds:
    """The cases built on the boundaries of some policies: ``cases`` (every policy accepts each), and
    how many ``boundaries`` got at least one of them (``covered``)."""

    boundaries: tuple[Boundary, ...]
    cases: tuple[dict, ...]
    covered: int
    uncovered: tuple[Boundary, ...] = ()

    def summary(self) -> str:
        """``N boundaries (K covered), M cases``."""
        return f"{len(self.boundaries)} boundaries ({self.covered} covered), {len(self.cases)} cases"

    def to_dict(self) -> dict:
        kinds: dict[str, int] = {}
        for b in self.boundaries:
            kinds[b.kind] = kinds.get(b.kind, 0) + 1
        return {"boundaries": len(self.boundaries), "covered": self.covered, "cases": len(self.cases),
                "by_kind": kinds, "uncovered": [b.to_dict() for b in self.uncovered]}


# ------------------------------------------------------------------ slots: where a value goes in a case
# A point is a dict slot → value: ("as_of",), ("f", section, fact), ("r", section, list fact, field) for a
# field of the one entry of a list of records, ("n", section, list fact) for a list of that many entries.
AS_OF = ("as_of",)


def _unwrap(e):
    while isinstance(e, n.Defined):
        e = e.expr
    return e


def _is_number(value) -> bool:
    return isinstance(value, (int, Fraction)) and not isinstance(value, bool)


class _Reader:
    """One policy's declarations, term, calendar and variables, and how to solve its expressions."""

    def __init__(self, policy):
        self.policy = policy
        compiled = policy.compiled
        self.checked = compiled.checked
        self.sections = policy.sections
        self.calendar_source = _calendar_source(policy)
        rules = compiled.rules
        term = rules.get("term")
        self.term_months: int | None = None
        self.start: tuple | None = None
        self.term_ref = term.citation.ref if term is not None else "term"
        if term is not None and term.due is not None:
            amount, unit, key = term.due
            self.term_months = amount * (12 if unit == "years" else 1)
            self.start = self.slot_of_key(key)
        self.renewal = rules.get("renewal")
        self.duties = tuple(compiled.rules_of("duties")) if "duties" in rules else ()
        self.records = tuple(compiled.rules_of("dismissal_record")) if "dismissal_record" in rules else ()
        self.done_keys = {d.code: d.done_key for d in self.duties if d.done_key}
        # the records a name stands for: quantifiers, per-entry conclusions, the renewal
        self.vars: dict[str, list[tuple[str, str]]] = {}
        if self.renewal is not None and self.renewal.var and self.renewal.key:
            self._bind(self.renewal.var, self.renewal.key)
        for node in self._all_nodes():
            var, source = getattr(node, "var", None), getattr(node, "source", None)
            if isinstance(var, str) and isinstance(source, n.Path):
                self._bind(var, source.dotted)

    def _bind(self, var: str, key: str) -> None:
        slot = self.slot_of_key(key)
        if slot is not None:
            self.vars.setdefault(var, []).append(slot[1:])

    def _all_nodes(self) -> Iterator:
        for p in self.checked.provisions:
            yield from n.walk(p.rules)
        for inv in self.checked.invariants:
            yield from n.walk(inv)

    # ---- types and slots
    def slot_of_key(self, key: str) -> tuple | None:
        section, _, fact = key.partition(".")
        if section in self.sections and fact in self.sections[section].fields:
            return ("f", section, fact)
        return None

    def slot(self, path: n.Path) -> tuple | None:
        parts = path.parts
        if len(parts) != 2:
            return None
        head, name = parts
        if head in DECISION_HEADS:
            return ("d", DECISION_ALIASES.get(name, name))
        if head in self.sections and name in self.sections[head].fields:
            return ("f", head, name)
        for section, fact in self.vars.get(head, ()):
            element = self.sections[section].fields[fact].type
            element = element.element if isinstance(element, ListT) else None
            if isinstance(element, RecordT) and name in element.fields:
                return ("r", section, fact, name)
        return None

    def type_of(self, slot: tuple):
        if slot == AS_OF:
            return DATE
        kind = slot[0]
        if kind == "f":
            return self.sections[slot[1]].fields[slot[2]].type
        if kind == "r":
            return self.sections[slot[1]].fields[slot[2]].type.element.fields[slot[3]].type
        if kind == "n":
            return NUMBER
        return None

    # ---- dates
    def forward(self, node, base: dt.date) -> dt.date | None:
        """The value of a period node (``X after N unit``, ``X before …``, ``due(X after …)``, a duty's
        ``due``) for ``X`` = ``base``, on this policy's calendar."""
        if isinstance(node, n.Deadline):
            return numeric.deadline(base, node.amount, node.unit, self.calendar_source)
        return numeric.shift_date(base, node.amount, node.unit, self.calendar_source, isinstance(node, n.DateBefore))

    def backward(self, node, day: dt.date) -> list[dt.date]:
        """The bases ``X`` for which the period node's value is ``day`` (none where none is)."""
        back = numeric.shift_date(day, node.amount, node.unit, self.calendar_source,
                                  not isinstance(node, n.DateBefore)) if node.unit != "immediately" else day
        if back is None:
            return []
        out = []
        for k in range(-4, 5):
            try:
                candidate = back + dt.timedelta(days=k)
            except OverflowError:
                continue
            if self.forward(node, candidate) == day:
                out.append(candidate)
        return out[:1] if node.unit != "working_days" else out[-1:]

    def last_day_starts(self, day: dt.date) -> list[dt.date]:
        """Starts whose first term's last day is ``day``."""
        if self.term_months is None:
            return []
        out = []
        try:
            back = periods.add_months(day, -self.term_months)
        except (periods.PeriodOutOfRange, ValueError):
            return []
        for k in (0, -1, 1, -2, 2, -3, 3):
            candidate = back + dt.timedelta(days=k)
            try:
                if periods.add_months(candidate, self.term_months) == day:
                    out.append(candidate)
            except (periods.PeriodOutOfRange, ValueError):
                continue
        return out[:1]

    def date_ways(self, e, day: dt.date) -> list[dict]:
        """Points that make the date expression ``e`` equal ``day``."""
        e = _unwrap(e)
        if isinstance(e, n.Path):
            slot = self.slot(e)
            if slot is None:
                return []
            if slot[0] == "d":
                return self.date_ways(n.LastDay(), day) if slot[1] == "last_day" else []
            return [{slot: day}] if self.type_of(slot) == DATE else []
        if isinstance(e, n.AsOf):
            return [{AS_OF: day}]
        if isinstance(e, n.LastDay):
            return [{self.start: start} for start in self.last_day_starts(day)] if self.start else []
        if isinstance(e, n.DismissalDay):
            out = []
            for record in self.records:
                slot = self.slot_of_key(record.key) if record.key else None
                if slot is not None:
                    out.append({slot: day, AS_OF: day})
            return out
        if isinstance(e, (n.DateAfter, n.DateBefore, n.Deadline)):
            return [way for base in self.backward(e, day) for way in self.date_ways(e.base, base)]
        if isinstance(e, n.Extreme):
            return [way for operand in e.operands for way in self.date_ways(operand, day)]
        return []

    def anchors(self, e, day: dt.date) -> list[tuple[dict, dt.date]]:
        """(point, value) pairs: the date expression ``e`` with what it counts from placed on ``day``."""
        e = _unwrap(e)
        if isinstance(e, (n.Path, n.AsOf)):
            return [(way, day) for way in self.date_ways(e, day)]
        if isinstance(e, n.LastDay) and self.start is not None and self.term_months is not None:
            end = _add_months(day, self.term_months)
            return [({self.start: day}, end)] if end is not None else []
        if isinstance(e, (n.DateAfter, n.DateBefore, n.Deadline)):
            out = []
            for way, base in self.anchors(e.base, day):
                value = self.forward(e, base)
                if value is not None:
                    out.append((way, value))
            return out
        return []

    def uses_working_days(self, e) -> bool:
        return any(getattr(x, "unit", None) == "working_days" for x in n.walk(e))

    # ---- numbers
    def number_ways(self, e, value) -> list[dict]:
        """Points that make the number expression ``e`` equal ``value``."""
        e = _unwrap(e)
        if isinstance(e, n.Path):
            slot = self.slot(e)
            if slot is None or slot[0] == "d" or self.type_of(slot) != NUMBER:
                return []
            return [{slot: value}]
        if isinstance(e, n.Count):
            slot = self.slot(e.source)
            if slot is None or slot[0] != "f" or not 0 <= value <= _MAX_COUNT or value != int(value):
                return []
            return [{("n", slot[1], slot[2]): int(value)}]
        if isinstance(e, n.YearOf) and value == int(value) and 1901 <= value <= 2998:
            return [way for day in (dt.date(int(value), 1, 1), dt.date(int(value), 12, 31))
                    for way in self.date_ways(e.operand, day)]
        if isinstance(e, n.Extreme):
            return [way for operand in e.operands for way in self.number_ways(operand, value)]
        return []

    def age_ways(self, e: n.Age, years) -> list[list[dict]]:
        """For an age compared with ``years``: [on the edge, a day before, a day after], each a list of
        points — born ``years`` years before the day the age is taken on, that day and a day either side."""
        if not _is_number(years) or years != int(years) or not 0 <= years <= 150:
            return []
        out: list[list[dict]] = [[], [], []]
        for reference in REFERENCE_DAYS:
            for on_point, on_day in self.anchors(e.on, reference):
                birthday = _add_months(on_day, -12 * int(years))
                if birthday is None:
                    continue
                for i, shift in enumerate(AROUND):
                    for way in self.date_ways(e.birth, birthday + dt.timedelta(days=-shift)):
                        merged = _merge(on_point, way)
                        if merged is not None:
                            out[i].append(merged)
        return out


def _calendar_source(policy):
    try:
        calendar = policy.calendar
    except AttributeError:  # a family's view: its latest version's calendar
        versions = getattr(getattr(policy, "family", None), "versions", ())
        calendar = versions[-1].calendar if versions else None
    return (lambda: calendar) if calendar is not None else None


def _add_months(day: dt.date, months: int) -> dt.date | None:
    try:
        return periods.add_months(day, months)
    except (periods.PeriodOutOfRange, ValueError):
        return None


def _merge(a: dict, b: dict) -> dict | None:
    """Two points as one; None where they set one slot to two values."""
    out = dict(a)
    for k, v in b.items():
        if k in out and out[k] != v:
            return None
        out[k] = v
    return out


def _shift(point: dict, days: int) -> dict:
    return {k: (v + dt.timedelta(days=days) if isinstance(v, dt.date) else v) for k, v in point.items()}


# ------------------------------------------------------------------ collecting the boundaries
def collect(*policies, invariants: bool = False) -> list[Boundary]:
    """Every boundary the rules of ``policies`` create (and their invariants', with ``invariants``),
    each with its points; a boundary two policies create alike is listed once."""
    out: list[Boundary] = []
    seen: set = set()
    readers = [_Reader(p) for p in policies]
    literal_years = sorted({x.value.year for r in readers for x in r._all_nodes()
                            if isinstance(x, n.Literal) and isinstance(x.value, dt.date)})
    for reader in readers:
        found = list(_term_boundaries(reader)) + list(_deadline_boundaries(reader, literal_years))
        for where, expr in _expressions(reader, invariants):
            for node, contexts in _walk_rule(reader, expr):
                found.extend(_in_context(_expression_boundaries(reader, node, where, literal_years, contexts),
                                         contexts))
        for b in found:
            key = (b.kind, b.what, _points_key(b.points))
            if b.points and key not in seen:
                seen.add(key)
                out.append(b)
    return out


def _points_key(points) -> tuple:
    return tuple(tuple(sorted(((k, str(v)) for k, v in p.items()))) for group in points for p in group)


def _expressions(reader: _Reader, invariants: bool) -> Iterator[tuple[str, Any]]:
    for p in reader.checked.provisions:
        for rule in p.rules:
            yield p.ref, rule
    if invariants:
        for inv in reader.checked.invariants:
            yield f"invariant {inv.name}", inv


def _term_boundaries(reader: _Reader) -> Iterator[Boundary]:
    if reader.start is None or reader.term_months is None:
        return
    start, months = reader.start, reader.term_months
    name = f"{start[1]}.{start[2]}"
    for reference in REFERENCE_DAYS:
        for k in (1, 2):
            end = _add_months(reference, months * k)
            if end is None:
                continue
            groups = tuple([{start: reference, AS_OF: end + dt.timedelta(days=d)}] for d in AROUND)
            yield Boundary("term", reader.term_ref, f"as_of at the end of term {k} from {name} = {reference}", groups)
        renewal = reader.renewal
        if renewal is not None and renewal.key and renewal.field:
            lst = reader.slot_of_key(renewal.key)
            end = _add_months(reference, months)
            second = _add_months(reference, 2 * months)
            if lst is None or end is None or second is None:
                continue
            slot = ("r", lst[1], lst[2], renewal.field)
            record = reader.type_of(lst).element
            # the record's yes/no fields all true (a renewal asked for and agreed), or as their defaults
            flags = {("r", lst[1], lst[2], k): True for k, f in record.fields.items() if f.type == BOOL}
            groups = tuple([{**flags, start: reference, slot: end + dt.timedelta(days=d), AS_OF: end + _ONE},
                            {**flags, start: reference, slot: end + dt.timedelta(days=d), AS_OF: second + _ONE},
                            {start: reference, slot: end + dt.timedelta(days=d), AS_OF: end + _ONE}]
                           # and each of them false alone: a renewal that fails one condition
                           + [{**flags, k: False, start: reference, slot: end + dt.timedelta(days=d),
                               AS_OF: end + _ONE} for k in flags]
                           for d in AROUND)
            yield Boundary("renewal", reader.renewal.citation.ref, f"a renewal dated at the end of the first term from {reference}",
                           groups)


def holiday_days(calendar, years: Iterable[int]) -> list[dt.date]:
    """The days working-day counts turn on, in ``years``: the last working day before each block of
    three or more days off that holds a holiday, the block's first and last days, and each adjusted
    working day and the day before it."""
    out: list[dt.date] = []
    for year in years:
        if year not in calendar.years:
            continue
        day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        run: list[dt.date] = []
        while day <= end:
            if calendar.is_workday(day):
                if len(run) >= 3 and any(d in calendar.holidays for d in run):
                    out += [run[0] - _ONE, run[0], run[-1]]
                run = []
                if day in calendar.adjusted_workdays:
                    out += [day - _ONE, day]
            else:
                run.append(day)
            day += _ONE
    return sorted(set(out))


def _calendar_years(reader: _Reader, literal_years: list[int]) -> list[int]:
    calendar = reader.calendar_source() if reader.calendar_source else None
    if calendar is None or not calendar.years:
        return []
    latest = max(calendar.years)
    years = [y for y in literal_years if y in calendar.years]
    years += [latest - k for k in range(1, CALENDAR_YEARS + 1) if latest - k in calendar.years]
    return sorted(set(years))[-3:]


def _deadline_boundaries(reader: _Reader, literal_years: list[int]) -> Iterator[Boundary]:
    """A duty due N units after a fact: the fact on each holiday day (working days) or on the reference
    days; ``seeds`` then puts ``as_of`` and the done day at each policy's due date and a day either side."""
    calendar = reader.calendar_source() if reader.calendar_source else None
    for duty in reader.duties:
        if duty.due is None or duty.due[2] is None:
            continue
        amount, unit, key = duty.due
        slot = reader.slot_of_key(key)
        if slot is None:
            continue
        days = list(REFERENCE_DAYS)
        if unit == "working_days" and calendar is not None:
            days = holiday_days(calendar, _calendar_years(reader, literal_years)) + days
        for day in days:
            yield Boundary("deadline", duty.citation.ref, f"{duty.code} due {amount} {unit} after {key} = {day}",
                           ([{slot: day, AS_OF: day}],))


def _expression_boundaries(reader: _Reader, node, where: str, literal_years: list[int],
                           contexts: list[dict] = ()) -> list[Boundary]:
    if isinstance(node, n.Compare):
        # two dates compared are anchored on the days the contexts name, and on the reference days
        anchored = sorted({v for c in contexts for v in c.values() if isinstance(v, dt.date)})
        return _compare_boundaries(reader, node, where, literal_years, anchored)
    if isinstance(node, (n.Member, n.Has, n.HasAny)):
        values = (node.value,) if isinstance(node, n.Has) else node.values
        return _enum_boundaries(reader, node.operand, [v.name for v in values], where)
    if isinstance(node, n.Path):  # a yes/no fact read as a condition: both its values
        slot = reader.slot(node)
        if slot is not None and slot[0] in ("f", "r") and reader.type_of(slot) == BOOL:
            return [Boundary("flag", where, node.dotted, ([{slot: True}], [{slot: False}], []))]
    return []


# ------------------------------------------------------------------ the rest of a condition
# A boundary inside `A and B` shows only where `B` holds, and one inside `A or B` only where `B` does not:
# each point is tried with such a *context* (and alone). Contexts are built from the simple parts of a
# condition — an enum value, a yes/no fact, a list holding a value, a number or date on one side of a
# constant — and are at best a few ways to satisfy (or falsify) it, not all.
_NEGATED = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
#: At most this many ways to satisfy (or falsify) a condition, and contexts for a node.
_MAX_WAYS = 8


def _walk_rule(reader: _Reader, rule) -> Iterator[tuple[Any, list[dict]]]:
    """(node, contexts) for every node of a rule's (or an invariant's) expressions: each context makes
    the rest of the condition let the node decide. A rule's ``when`` / ``guard`` is the others' context."""
    if not attrs.has(type(rule)):
        return
    fields = {f.name: getattr(rule, f.name) for f in attrs.fields(type(rule)) if f.name != "span"}
    base: list[dict] = [{}]
    for name in ("when", "guard"):
        expr = fields.get(name)
        if _is_expr(expr):
            base = _satisfy(reader, expr) or [{}]
    for name, value in fields.items():
        for expr in (value if isinstance(value, tuple) else (value,)):
            if _is_expr(expr):
                yield from _walk(reader, expr, [{}] if name in ("when", "guard") else base)
            elif attrs.has(type(expr)) and not isinstance(expr, (n.Path, n.ArticleRef, n.Span)):
                yield from _walk_rule(reader, expr)  # a node holding expressions (a duty's `due`)


def _is_expr(value) -> bool:
    return value is not None and attrs.has(type(value)) and type(value).__module__ == n.__name__ and not isinstance(
        value, (n.ArticleRef, n.AlsoCiting, n.Span, n.Invariant))


def _combine(a: list[dict], b: list[dict]) -> list[dict]:
    """Each way of ``a`` with each of ``b`` that agrees with it (at most ``_MAX_WAYS``)."""
    return [m for x in a for y in b if (m := _merge(x, y)) is not None][:_MAX_WAYS]


def _walk(reader: _Reader, e, contexts: list[dict]) -> Iterator[tuple[Any, list[dict]]]:
    e = _unwrap(e)
    if isinstance(e, (n.And, n.Or)):
        ways = [(_satisfy if isinstance(e, n.And) else _falsify)(reader, o) or [{}] for o in e.operands]
        for i, operand in enumerate(e.operands):
            rest = contexts
            for j, options in enumerate(ways):
                if j != i:  # the siblings' ways with the outer contexts; where none agree, the siblings win
                    rest = _combine(rest, options) or [{**r, **o} for r in rest for o in options][:_MAX_WAYS]
            yield from _walk(reader, operand, rest)
        return
    if isinstance(e, n.Not):
        yield from _walk(reader, e.operand, contexts)
        return
    if isinstance(e, n.Quantifier):
        yield from _walk(reader, e.condition, contexts)
        return
    yield e, contexts


def _satisfy(reader: _Reader, e) -> list[dict]:
    """A few points that make the condition ``e`` hold (``{}``: no simple way known)."""
    e = _unwrap(e)
    if isinstance(e, n.And):
        ways: list[dict] = [{}]
        for operand in e.operands:
            options = _satisfy(reader, operand) or [{}]
            ways = _combine(ways, options) or ways
        return ways
    if isinstance(e, n.Or):
        return [w for operand in e.operands for w in _satisfy(reader, operand)][:_MAX_WAYS]
    if isinstance(e, n.Not):
        return _falsify(reader, e.operand)
    return _atom(reader, e, True)


def _falsify(reader: _Reader, e) -> list[dict]:
    """A few points that make the condition ``e`` fail."""
    e = _unwrap(e)
    if isinstance(e, n.Or):
        ways: list[dict] = [{}]
        for operand in e.operands:
            options = _falsify(reader, operand) or [{}]
            ways = _combine(ways, options) or ways
        return ways
    if isinstance(e, n.And):
        return [w for operand in e.operands for w in _falsify(reader, operand)][:_MAX_WAYS]
    if isinstance(e, n.Not):
        return _satisfy(reader, e.operand)
    return _atom(reader, e, False)


def _atom(reader: _Reader, e, holds: bool) -> list[dict]:
    """Points that make a simple condition hold (``holds``) or fail; [] where it is not simple."""
    if isinstance(e, n.Path):
        slot = reader.slot(e)
        return [{slot: holds}] if slot is not None and slot[0] in ("f", "r") and reader.type_of(slot) == BOOL else []
    if isinstance(e, (n.Member, n.Has, n.HasAny)):
        slot = reader.slot(_unwrap(e.operand)) if isinstance(_unwrap(e.operand), n.Path) else None
        if slot is None or slot[0] not in ("f", "r"):
            return []
        t = reader.type_of(slot)
        element = t.element if isinstance(t, ListT) else t
        if not isinstance(element, EnumT):
            return []
        named = [v.name for v in ((e.value,) if isinstance(e, n.Has) else e.values)]
        inside = holds != bool(getattr(e, "negated", False))
        chosen = [v for v in element.values if (v in named) == inside][:_MAX_WAYS]
        if isinstance(t, ListT):
            return [{slot: chosen}] if inside else [{slot: []}]
        return [{slot: v} for v in chosen]
    if isinstance(e, n.IsEmpty):
        slot = reader.slot(_unwrap(e.operand)) if isinstance(_unwrap(e.operand), n.Path) else None
        t = reader.type_of(slot) if slot is not None and slot[0] == "f" else None
        empty = holds != e.negated
        if isinstance(t, ListT) and (empty or isinstance(t.element, EnumT)):
            return [{slot: [] if empty else [t.element.values[0]]}]
        return []
    if isinstance(e, n.Compare):
        op = e.op if holds else _NEGATED.get(e.op, e.op)
        left, right = _unwrap(e.left), _unwrap(e.right)
        if isinstance(left, (n.Literal, n.Name)) and not isinstance(right, (n.Literal, n.Name)):
            left, right = right, left
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        if not isinstance(left, n.Path):
            return []
        slot = reader.slot(left)
        if slot is None or slot[0] not in ("f", "r"):
            return []
        t = reader.type_of(slot)
        if isinstance(right, n.Name) and isinstance(t, EnumT):
            if op == "=":
                return [{slot: right.name}] if right.name in t.values else []
            return [{slot: v} for v in t.values if v != right.name][:1]
        if isinstance(right, n.Literal):
            value = right.value
            if isinstance(value, bool) and t == BOOL and op in ("=", "!="):
                return [{slot: value if op == "=" else not value}]
            step = dt.timedelta(days=1) if isinstance(value, dt.date) else 1 if _is_number(value) else None
            if step is None or (t != DATE if isinstance(value, dt.date) else t != NUMBER):
                return []
            chosen = {"=": value, ">=": value, "<=": value, ">": value + step, "<": value - step, "!=": value + step}
            return [{slot: chosen[op]}] if op in chosen else []
    return []


def _in_context(found: list[Boundary], contexts: list[dict]) -> list[Boundary]:
    """The boundaries with each point tried first with two contexts (those it agrees with first; else a
    context with the point's own facts put over it), then alone."""
    contexts = [c for c in contexts if c]
    if not contexts:
        return found
    out = []
    for b in found:
        groups = []
        for group in b.points:
            points: list[dict] = []
            for point in group:
                merged: list[dict] = []
                for c in contexts:  # those that agree with the point first, then the others under it
                    m = _merge(c, point)
                    if m is not None and m != point and m not in merged:
                        merged.append(m)
                for c in contexts:
                    m = {**c, **point}
                    if m != point and m not in merged:
                        merged.append(m)
                points.extend(merged[:2])
                points.append(point)
            groups.append(points)
        out.append(attrs.evolve(b, points=tuple(groups)))
    return out


def _describe(e) -> str:
    e = _unwrap(e)
    if isinstance(e, n.Path):
        return e.dotted
    if isinstance(e, n.Literal):
        return str(e.value)
    if isinstance(e, (n.DateAfter, n.DateBefore, n.Deadline)):
        word = "before" if isinstance(e, n.DateBefore) else "after"
        inner = f"{_describe(e.base)} {word} {e.amount} {e.unit}"
        return f"due({inner})" if isinstance(e, n.Deadline) else inner
    if isinstance(e, n.Age):
        return f"age({_describe(e.birth)}, {_describe(e.on)})"
    if isinstance(e, n.Count):
        return f"count of {e.source.dotted}"
    if isinstance(e, n.Name):
        return e.name
    words = {n.AsOf: "as_of", n.LastDay: "last day", n.DismissalDay: "dismissal day"}
    return words.get(type(e), type(e).__name__.lower())


def _compare_boundaries(reader: _Reader, e: n.Compare, where: str, literal_years: list[int],
                        anchored: list[dt.date] = ()) -> list[Boundary]:
    left, right = _unwrap(e.left), _unwrap(e.right)
    what = f"{_describe(left)} {e.op} {_describe(right)}"
    if isinstance(left, n.Literal) and not isinstance(right, n.Literal):
        left, right = right, left
    if isinstance(right, n.Name):
        return _enum_boundaries(reader, left, [right.name], where)
    if isinstance(right, n.Literal):
        value = right.value
        if isinstance(value, dt.date):
            groups = tuple(reader.date_ways(left, value + dt.timedelta(days=d)) for d in AROUND)
            return [Boundary("date", where, what, groups)] if groups[0] else []
        if _is_number(value):
            if isinstance(left, n.Age):
                groups = tuple(reader.age_ways(left, value))
                return [Boundary("age", where, what, groups)] if groups and groups[0] else []
            groups = tuple(reader.number_ways(left, value + d) for d in AROUND)
            kind = "count" if isinstance(left, n.Count) else "number"
            return [Boundary(kind, where, what, groups)] if groups[0] else []
        return []
    # two dates: one side on a reference day, the other at its value and a day either side
    working = reader.uses_working_days(e)
    calendar = reader.calendar_source() if reader.calendar_source else None
    days = list(anchored) + list(REFERENCE_DAYS)
    if working and calendar is not None:
        days += holiday_days(calendar, _calendar_years(reader, literal_years))
    groups: list[list[dict]] = [[], [], []]
    for fixed, solved in ((right, left), (left, right)):
        for day in days:
            for anchor, value in reader.anchors(fixed, day):
                for i, d in enumerate(AROUND):
                    for way in reader.date_ways(solved, value + dt.timedelta(days=d)):
                        merged = _merge(anchor, way)
                        if merged is not None:
                            groups[i].append(merged)
        if groups[0]:
            break
    return [Boundary("relative", where, what, tuple(groups))] if groups[0] else []


def _enum_boundaries(reader: _Reader, operand, named: list[str], where: str) -> list[Boundary]:
    operand = _unwrap(operand)
    if not isinstance(operand, n.Path):
        return []
    slot = reader.slot(operand)
    if slot is None or slot[0] == "d":
        return []
    t = reader.type_of(slot)
    as_list = isinstance(t, ListT)
    element = t.element if as_list else t
    if not isinstance(element, EnumT):
        return []
    values = [v for v in named if v in element.values]
    others = [v for v in element.values if v not in values]
    if not values:
        return []
    wrap = (lambda v: [v]) if as_list else (lambda v: v)
    outside = [{slot: [] if as_list else others[0]}] if (others or as_list) else []
    # one boundary per value named: a long set's last value is reached as soon as its first
    return [Boundary("enum", where, f"{operand.dotted} = {v} (named in {{{', '.join(values)}}})",
                     ([{slot: wrap(v)}], outside, [])) for v in values]


# ------------------------------------------------------------------ cases
def _filler(t, day: dt.date):
    """A value of type ``t`` that favours nothing: a record's required fields when a point gives one."""
    if t == BOOL:
        return True
    if t == DATE:
        return day.isoformat()
    if t == NUMBER:
        return 0
    if t == TEXT:
        return ""
    if isinstance(t, EnumT):
        return t.values[0]
    if isinstance(t, ListT):
        return []
    if isinstance(t, RecordT):
        return _record(t, {}, day)
    return None


def _record(t: RecordT, given: dict, day: dt.date) -> dict:
    out = {}
    for name, info in t.fields.items():
        if name in given:
            out[name] = given[name]
        elif not info.closed and not getattr(info, "optional", False):
            out[name] = _filler(info.type, day)
    return out


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def materialise(reader_or_policy, point: dict, background: dict | None = None) -> dict:
    """The JSON case of a point (over a background of slots): ``as_of`` the latest day the point
    names when it names none."""
    reader = reader_or_policy if isinstance(reader_or_policy, _Reader) else _Reader(reader_or_policy)
    slots = dict(background or {})
    slots.update(point)
    days = [v for v in point.values() if isinstance(v, dt.date)]
    latest = max(days) if days else REFERENCE_DAYS[0]
    as_of = slots.pop(AS_OF, None) or latest
    case: dict = {"as_of": as_of.isoformat()}
    records: dict[tuple, dict] = {}
    for slot, value in slots.items():
        if slot[0] == "f":
            case.setdefault(slot[1], {})[slot[2]] = _plain(value)
        elif slot[0] == "r":
            records.setdefault((slot[1], slot[2]), {})[slot[3]] = _plain(value)
        elif slot[0] == "n":
            t = reader.type_of(("f", slot[1], slot[2]))
            case.setdefault(slot[1], {})[slot[2]] = [_filler(t.element, latest) for _ in range(value)]
    for (section, fact), given in records.items():
        t = reader.type_of(("f", section, fact))
        case.setdefault(section, {})[fact] = [_record(t.element, given, latest)]
    return case


def favourable(policy) -> dict:
    """Slots of the open-world yes/no facts, each at the value that on its own makes the decision no
    worse (fewer unmet requirements, grounds, violations, broken duties), found by trying both."""
    reader = policy if isinstance(policy, _Reader) else _Reader(policy)
    day = REFERENCE_DAYS[0]
    base: dict = {AS_OF: day}
    if reader.start is not None:
        base[reader.start] = day - dt.timedelta(days=365)
    out: dict = {}
    for section, info in reader.sections.items():
        for fact, field in info.fields.items():
            if field.type != BOOL or field.closed:
                continue
            scores = []
            for value in (True, False):
                decision = _evaluate(reader.policy, materialise(reader, {**base, ("f", section, fact): value}))
                scores.append(_badness(decision) if decision is not None else 1 << 20)
            out[("f", section, fact)] = scores[0] <= scores[1]
    return out


def _badness(d) -> int:
    return (len(d.eligibility.unmet) + len(d.grounds) + len(d.violations)
            + sum(1 for o in d.obligations if str(o.state) in ("breached", "overdue"))
            + (1 if str(d.status) == "dismissed" else 0))


def _evaluate(policy, case: dict):
    try:
        return policy.evaluate(case)
    except (RulesError, ValueError, OverflowError, TypeError):
        return None


def _due_points(readers, policies, case: dict) -> list[dict]:
    """The case with ``as_of``, and the day the duty is done, at each due date every policy computes for
    it, and a day either side."""
    out: list[dict] = []
    for reader, policy in zip(readers, policies):
        decision = _evaluate(policy, case)
        if decision is None:
            return []
        for o in decision.obligations:
            if o.due is None:
                continue
            done = reader.done_keys.get(o.duty)
            for d in AROUND:
                day = o.due + dt.timedelta(days=d)
                out.append({**case, "as_of": day.isoformat()})
                if done:
                    section, _, fact = done.partition(".")
                    if section in case or section in reader.sections:
                        changed = {**case, section: {**case.get(section, {}), fact: day.isoformat()},
                                   "as_of": (o.due + dt.timedelta(days=2)).isoformat()}
                        out.append(changed)
    return out


def seeds(policies, *, limit: int, invariants: bool = False, keep=None, first=None) -> Seeds:
    """Up to ``limit`` cases on the boundaries of ``policies`` (one policy, or the two a diff compares),
    each accepted by every one of them (and by ``keep(case)``, if given), in round-robin order over the
    boundaries: every boundary's on-the-edge case first, then the days either side, then the cases at
    the due dates the policies compute. The boundaries ``first(boundary)`` is true of (by default: an
    invariant's, with ``invariants``) come first in each round, so a small budget reaches them.
    Deterministic: the same policies give the same cases."""
    policies = tuple(policies)
    readers = [_Reader(p) for p in policies]
    found = collect(*policies, invariants=invariants)
    if first is None and invariants:
        def first(b: Boundary) -> bool:
            return b.where.startswith("invariant ")
    if first is not None:
        found = [b for b in found if first(b)] + [b for b in found if not first(b)]
    background = _shared_background(readers)
    starts = {r.start for r in readers}
    start = readers[0].start if len(starts) == 1 else None
    queues: list[list[dict]] = []
    for b in found:
        queue: list[dict] = []
        for group in b.points:
            for point in group:
                queue.append(materialise(readers[0], point))
                queue.append(materialise(readers[0], point, _background(background, start, point)))
        queues.append(queue)
    cases: list[dict] = []
    seen: dict[str, bool] = {}
    covered = [False] * len(found)
    expanded = [False] * len(found)
    def accept(case: dict) -> bool | None:
        """True: a new case; None: one taken already (for another boundary); False: refused."""
        text = json.dumps(case, sort_keys=True)
        if text in seen:
            return None if seen[text] else False
        seen[text] = ok = (all(_evaluate(p, case) is not None for p in policies)
                           and (keep is None or bool(keep(case))))
        return ok

    positions = [0] * len(found)
    while len(cases) < limit:
        progressed = False
        for i, queue in enumerate(queues):
            if len(cases) >= limit:
                break
            while positions[i] < len(queue):
                case = queue[positions[i]]
                positions[i] += 1
                progressed = True
                taken = accept(case)
                if taken is None:
                    covered[i] = True
                elif taken:
                    cases.append(case)
                    covered[i] = True
                    if found[i].kind in ("deadline", "term", "renewal") and not expanded[i]:
                        expanded[i] = True
                        queue.extend(_due_points(readers, policies, case))
                    break
        if not progressed:
            break
    return Seeds(tuple(found), tuple(cases), sum(covered),
                 tuple(b for b, c in zip(found, covered) if not c))


def _background(background: dict, start: tuple | None, point: dict) -> dict:
    """The background less what the point decides, with the appointment's start (where the policies
    count their terms from one fact and the point gives none) a year before the point's last day."""
    out = {k: v for k, v in background.items() if k not in point}
    if start is not None and start not in point:
        days = [v for v in point.values() if isinstance(v, dt.date)]
        out[start] = (max(days) if days else REFERENCE_DAYS[0]) - dt.timedelta(days=365)
    return out


def _shared_background(readers: list[_Reader]) -> dict:
    """The favourable yes/no facts of the first policy that every policy declares alike."""
    first = favourable(readers[0])
    out = {}
    for slot, value in first.items():
        if all(r.slot_of_key(f"{slot[1]}.{slot[2]}") is not None and r.type_of(slot) == BOOL for r in readers):
            out[slot] = value
    return out


__all__ = ["AROUND", "Boundary", "REFERENCE_DAYS", "Seeds", "collect", "favourable", "holiday_days", "materialise",
           "seeds"]
