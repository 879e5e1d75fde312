"""The symbolic evaluator: a checked policy's decision as z3 terms over a bounded symbolic case.

It mirrors ``engine/reference.py`` and the reference parts of ``questions/*.py`` (their order of
evaluation, Kleene's three values, the calendar arithmetic), over a case whose facts are z3
variables. A fact's value is a pair (known, value); a condition's is a pair (true, false) of z3
booleans (unknown is neither). Calendar operations with constant parameters (N years or months from a
day, N working days after a day, a deadline moved off a day off) are lookup tables over the bounded
range of days, computed by calling the project's own functions of ``dates/``. A rule kind or an
expression this module does not translate raises ``Unsupported`` naming it and where it stands: the
caller then answers "not proved", never "proved".
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any, Callable

import z3

from supervisor_rules import questions
from supervisor_rules.dates import ages, deadlines, periods
from supervisor_rules.dates.workdays import MissingCalendarYear
from supervisor_rules.engine.reference import RulesByKind
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import (BOOL, DATE, DECISION_ALIASES, DECISION_FIELDS, DECISION_HEADS, NUMBER,
                                           TEXT, EnumT, ListT, RecordT)

#: Pieces a calendar lookup table may have (a working-day table over 23 years has ~4,000).
MAX_TABLE_PIECES = 20_000
#: Days a lookup table may cover.
MAX_TABLE_DAYS = 60_000


class Unsupported(Exception):
    """A construct the translator does not cover: ``--prove`` answers "not proved" for it."""

    def __init__(self, what: str, span=None):
        where = f" at {span.source}:{span.line}" if span is not None else ""
        super().__init__(f"unsupported construct {what}{where}")


# ------------------------------------------------------------------ values
class TB:
    """A three-valued condition: ``t`` (it is true), ``f`` (it is false); unknown is neither."""

    __slots__ = ("t", "f")

    def __init__(self, t, f):
        self.t, self.f = t, f

    @property
    def unknown(self):
        return z3.And(z3.Not(self.t), z3.Not(self.f))


TRUE, FALSE = TB(z3.BoolVal(True), z3.BoolVal(False)), TB(z3.BoolVal(False), z3.BoolVal(True))
UNKNOWN = TB(z3.BoolVal(False), z3.BoolVal(False))


def t_and(values) -> TB:
    values = list(values)
    return TB(z3.And(*[v.t for v in values]) if values else z3.BoolVal(True),
              z3.Or(*[v.f for v in values]) if values else z3.BoolVal(False))


def t_or(values) -> TB:
    values = list(values)
    return TB(z3.Or(*[v.t for v in values]) if values else z3.BoolVal(False),
              z3.And(*[v.f for v in values]) if values else z3.BoolVal(True))


def t_not(v: TB) -> TB:
    return TB(v.f, v.t)


def t_if(c, a: TB, b: TB) -> TB:
    return TB(z3.If(c, a.t, b.t), z3.If(c, a.f, b.f))


class Val:
    """A known-or-unknown value: ``kind`` is date (Int day ordinal), number (Real), enum (Int index into
    ``enum``), text (String), code (Int: an interned string), or bool (z3 Bool)."""

    __slots__ = ("k", "v", "kind", "enum")

    def __init__(self, k, v, kind: str, enum=None):
        self.k, self.v, self.kind, self.enum = k, v, kind, enum


class AgeVal:
    """``age(birth, on)``: compared with a whole number only (``Decider.compare_age``)."""

    __slots__ = ("birth", "on", "convention")

    def __init__(self, birth, on, convention: str):
        self.birth, self.on, self.convention = birth, on, convention


class SymList:
    """A list: known or not, its length, its entries (each a ``Val`` or, for records, a dict of them)."""

    __slots__ = ("k", "length", "items", "element")

    def __init__(self, k, length, items, element):
        self.k, self.length, self.items, self.element = k, length, items, element

    def present(self, i: int):
        return self.length > i


class CodeSet:
    """A decision's list of codes, as membership of each code that may be in it."""

    def __init__(self, members: dict[str, Any]):
        self.members = members

    def has(self, code: str):
        return self.members.get(code, z3.BoolVal(False))


def as_tb(v) -> TB:
    if isinstance(v, TB):
        return v
    if isinstance(v, Val) and v.kind == "bool":
        return TB(z3.And(v.k, v.v), z3.And(v.k, z3.Not(v.v)))
    raise Unsupported(f"a condition of kind {getattr(v, 'kind', type(v).__name__)}")


def some(cases: list[tuple[Any, Any]], default):
    """An If chain: the first case whose condition holds gives the value."""
    out = default
    for cond, value in reversed(cases):
        out = z3.If(cond, value, out)
    return out


class Interner:
    """Strings (codes, citations, messages) as Int ids, shared by the policies a proof compares."""

    def __init__(self):
        self.ids: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids) + 1)

    def name(self, number: int) -> str | None:
        for text, i in self.ids.items():
            if i == number:
                return text
        return None


# ------------------------------------------------------------------ calendar tables
def _tree(place, pieces: list[tuple[int, int]], offset: bool):
    """A balanced If tree over runs of days: ``place + delta`` (``offset``) or ``value`` of the run
    ``place`` falls in. Built through z3's C API: tables have thousands of runs."""
    ctx = place.ctx
    ref = ctx.ref()
    keep: list = []  # every node wrapped (and so referenced) until the tree holds it

    def wrap(ast, kind=z3.ArithRef):
        node = kind(ast, ctx)
        keep.append(node)
        return node

    def leaf(v: int):
        if not offset:
            return wrap(z3.IntVal(v, ctx).as_ast())
        if not v:
            return place
        const = wrap(z3.IntVal(v, ctx).as_ast())
        return wrap(z3.Z3_mk_add(ref, 2, (z3.Ast * 2)(place.as_ast(), const.as_ast())))

    def build(a: int, b: int):
        if b - a == 1:
            return leaf(pieces[a][1])
        mid = (a + b) // 2
        bound = wrap(z3.IntVal(pieces[mid][0], ctx).as_ast())
        split = wrap(z3.Z3_mk_lt(ref, place.as_ast(), bound.as_ast()), z3.BoolRef)
        left, right = build(a, mid), build(mid, b)
        return wrap(z3.Z3_mk_ite(ref, split.as_ast(), left.as_ast(), right.as_ast()))

    return build(0, len(pieces))



class Tables:
    """Lookup tables of calendar functions over the bounded days, built from ``dates/``."""

    def __init__(self, lo: dt.date, hi: dt.date, calendar_source: Callable, born_from: dt.date | None = None):
        self.lo, self.hi = lo, hi
        self.born_from = born_from or lo  # the age tables start here (birth dates reach further back)
        self.calendar_source = calendar_source
        self.cache: dict[tuple, tuple] = {}
        if (hi - lo).days > MAX_TABLE_DAYS:
            raise Unsupported(f"a date range of {(hi - lo).days} days (more than {MAX_TABLE_DAYS})")

    def apply(self, key: tuple, fn: Callable[[dt.date], dt.date | None], x, lo: dt.date | None = None) -> tuple:
        """(known, fn(x)) for the Int day ordinal ``x``: a balanced If tree over runs of days with the same
        offset ``fn(d) - d`` (None: unknown)."""
        lo = lo or self.lo
        built = self.cache.get(key)
        if built is None:
            def offset(day: dt.date) -> int | None:
                try:
                    out = fn(day)
                except (MissingCalendarYear, periods.PeriodOutOfRange, OverflowError, ValueError):
                    return None
                return None if out is None else (out - day).days
            pieces = self.runs(offset, lo)
            # Built once over a placeholder day, then substituted (in z3's C code) for each use.
            place = z3.Int(f"table!{len(self.cache)}")
            value = _tree(place, [(start, delta or 0) for start, delta in pieces], offset=True)
            # Unknown on the runs of days whose result the calendar cannot give (few of them).
            gaps = []
            for i, (start, delta) in enumerate(pieces):
                if delta is None:
                    end = pieces[i + 1][0] if i + 1 < len(pieces) else self.hi.toordinal() + 1
                    gaps.append(z3.And(place >= start, place < end))
            known = z3.Not(z3.Or(*gaps)) if gaps else z3.BoolVal(True)
            # Outside the tabled days nothing is known (the bounds keep the case's dates inside).
            known = z3.And(known, place >= lo.toordinal(), place <= self.hi.toordinal())
            built = self.cache[key] = (place, known, value)
        place, known, value = built
        return z3.substitute(known, (place, x)), z3.substitute(value, (place, x))

    def runs(self, fn: Callable[[dt.date], Any], lo: dt.date) -> list[tuple[int, Any]]:
        """``(first day's ordinal, fn(day))`` for each run of days from ``lo`` to the last day tabled over
        which ``fn`` gives one value (at most ``MAX_TABLE_PIECES`` runs)."""
        pieces: list = []
        day = lo
        while day <= self.hi:
            value = fn(day)
            if not pieces or pieces[-1][1] != value:
                pieces.append((day.toordinal(), value))
            day += dt.timedelta(days=1)
        if len(pieces) > MAX_TABLE_PIECES:
            raise Unsupported(f"a calendar table of {len(pieces)} pieces")
        return pieces

    def constant_runs(self, key: tuple, fn: Callable[[dt.date], int], x):
        """``fn(x)`` for a function that is constant over runs of days (the year of a day): an If tree."""
        built = self.cache.get(key)
        if built is None:
            pieces = self.runs(fn, self.lo)
            place = z3.Int(f"table!{len(self.cache)}")
            inside = z3.And(place >= self.lo.toordinal(), place <= self.hi.toordinal())
            built = self.cache[key] = (place, inside, _tree(place, pieces, offset=False))
        place, inside, value = built
        return z3.substitute(inside, (place, x)), z3.substitute(value, (place, x))

    def reaches(self, x, age: int, convention: str):
        """The first day a person born on ``x`` is ``age`` 周岁 (``dates.ages.reaches_age``)."""
        return self.apply(("age", age, convention), lambda d: ages.reaches_age(d, age, convention=convention), x,
                          self.born_from)

    def counted(self, x, amount: int, unit: str, before: bool):
        """``x after/before amount unit`` as the reference counts it."""
        step = -1 if before else 1
        if unit == "days":
            return z3.BoolVal(True), x + step * amount
        if unit in ("months", "years"):
            months = amount * 12 if unit == "years" else amount
            return self.apply(("months", step * months), lambda d: periods.add_months(d, step * months), x)
        if unit == "working_days":
            def walk(day):
                calendar, found = self.calendar_source(), 0
                while found < amount:
                    day = day + dt.timedelta(days=step)
                    if calendar.is_workday(day):
                        found += 1
                return day
            return self.apply(("wd", step * amount), walk, x)
        raise Unsupported(f"a date count in {unit}")

    def deadline(self, x, amount: int, unit: str):
        """A duty's due day (``_ref_deadline``): N working days, or a period moved off a day off (art. 203)."""
        if unit == "immediately":
            return z3.BoolVal(True), x
        if unit == "working_days":
            return self.apply(("due-wd", amount), lambda d: self.calendar_source().add_working_days(d, amount), x)
        period = {"days": deadlines.deadline_calendar_days, "months": deadlines.deadline_months,
                  "years": deadlines.deadline_years}.get(unit)
        if period is None:
            raise Unsupported(f"a deadline in {unit}")
        return self.apply(("due", unit, amount), lambda d: period(d, amount, self.calendar_source()), x)



# ------------------------------------------------------------------ the symbolic case
class SymCase:
    """A case as z3 variables: ``as_of``, each section's presence, each fact (known, value), each list up
    to ``k`` entries. ``constraints`` are what makes it a valid case within the bounds."""

    def __init__(self, sections: dict, lo: dt.date, hi: dt.date, k: int, strings: Interner, prefix: str = "c",
                 births: frozenset = frozenset(), born_from: dt.date | None = None,
                 per_list: dict[str, int] | None = None):
        self.sections = sections
        self.lo, self.hi, self.k, self.strings = lo.toordinal(), hi.toordinal(), k, strings
        self.per_list = dict(per_list or {})  # lists that need more entries than k (a count compared with more)
        # Birth dates (what `age(…)` counts from) reach further back: a person of any age within the bounds.
        self.births, self.born_from = births, (born_from or lo).toordinal()
        self.constraints: list = []
        self.as_of = z3.Int(f"{prefix}.as_of")
        self.day(self.as_of)
        self.present = {name: z3.Bool(f"{prefix}.{name}?") for name in sections}
        self.facts: dict[str, Any] = {}
        for name, section in sections.items():
            for field, info in section.fields.items():
                key = f"{name}.{field}"
                value = self.variable(f"{prefix}.{key}", info.type, key)
                self.facts[key] = value
                if info.closed:  # always known; its declared default unless the section is given
                    self.known_is(value, z3.BoolVal(True))
                    self.constraints.append(z3.Or(self.present[name], self.equals(value, info.default, info.type)))
                else:
                    self.constraints.append(z3.Implies(self.known(value), self.present[name]))

    def day(self, x) -> None:
        self.constraints.append(z3.And(x >= self.lo, x <= self.hi))

    def scalar(self, name: str, t) -> Val:
        k = z3.Bool(name + "?")
        if t == BOOL:
            return Val(k, z3.Bool(name), "bool")
        if t == DATE:
            v = z3.Int(name)
            if name.split(".", 1)[1] in self.births:
                self.constraints.append(z3.And(v >= self.born_from, v <= self.hi))
            else:
                self.day(v)
            return Val(k, v, "date")
        if t == NUMBER:
            return Val(k, z3.Real(name), "number")
        if t == TEXT:
            return Val(k, z3.String(name), "text")
        if isinstance(t, EnumT):
            v = z3.Int(name)
            self.constraints.append(z3.And(v >= 0, v < len(t.values)))
            return Val(k, v, "enum", t)
        raise Unsupported(f"a fact of type {t} ({name})")

    def variable(self, name: str, t, key: str):
        if isinstance(t, ListT):
            length = z3.Int(name + "#")
            size = max(self.k, self.per_list.get(key, 0))
            self.constraints.append(z3.And(length >= 0, length <= size))
            items: list = []
            for i in range(size):
                if isinstance(t.element, RecordT):
                    record = {}
                    for field, info in t.element.fields.items():
                        value = self.scalar(f"{name}[{i}].{field}", info.type)
                        if not info.optional:  # required, or a default when left out: known
                            self.constraints.append(value.k)
                        record[field] = value
                    items.append(record)
                else:
                    value = self.scalar(f"{name}[{i}]", t.element)
                    self.constraints.append(value.k)
                    items.append(value)
            return SymList(z3.Bool(name + "?"), length, items, t.element)
        return self.scalar(name, t)

    @staticmethod
    def known(value):
        return value.k

    def known_is(self, value, k) -> None:
        self.constraints.append(value.k == k)

    def equals(self, value, default, t):
        if isinstance(value, SymList):
            if default in ((), []):
                return value.length == 0
            raise Unsupported("a list default that is not empty")
        return value.v == self.constant(default, t).v

    def constant(self, value, t=None) -> Val:
        if isinstance(value, bool):
            return Val(z3.BoolVal(True), z3.BoolVal(value), "bool")
        if isinstance(value, dt.date):
            return Val(z3.BoolVal(True), z3.IntVal(value.toordinal()), "date")
        if isinstance(value, (int, Fraction)):
            return Val(z3.BoolVal(True), z3.RealVal(str(value)), "number")
        if isinstance(value, str) and isinstance(t, EnumT):
            return Val(z3.BoolVal(True), z3.IntVal(t.values.index(value)), "enum", t)
        if isinstance(value, str):
            return Val(z3.BoolVal(True), z3.StringVal(value), "text")
        raise Unsupported(f"a constant {value!r}")

    # -------------------------------------------------------------- back to a concrete case
    def concrete(self, model) -> dict:
        """The case a model describes, in the case format (ready for ``eval``)."""
        def ev(term):
            return model.eval(term, model_completion=True)

        def value_of(val: Val):
            raw = ev(val.v)
            if val.kind == "bool":
                return z3.is_true(raw)
            if val.kind == "date":
                return dt.date.fromordinal(raw.as_long()).isoformat()
            if val.kind == "enum":
                return val.enum.values[raw.as_long()]
            if val.kind == "text":
                return raw.as_string()
            number = Fraction(raw.numerator_as_long(), raw.denominator_as_long())
            return int(number) if number.denominator == 1 else float(number)

        case: dict = {"as_of": dt.date.fromordinal(ev(self.as_of).as_long()).isoformat()}
        for name, section in self.sections.items():
            if not z3.is_true(ev(self.present[name])):
                continue
            out: dict = {}
            for field, info in section.fields.items():
                value = self.facts[f"{name}.{field}"]
                if isinstance(value, SymList):
                    length = ev(value.length).as_long()
                    if not info.closed and not z3.is_true(ev(value.k)):
                        continue
                    entries = []
                    for item in value.items[:length]:
                        if isinstance(item, dict):
                            entries.append({f: value_of(v) for f, v in item.items() if z3.is_true(ev(v.k))})
                        else:
                            entries.append(value_of(item))
                    if info.closed and not entries and info.default in ((), []):
                        continue
                    out[field] = entries
                elif z3.is_true(ev(value.k)):
                    shown = value_of(value)
                    if info.closed and shown == info.default:
                        continue
                    out[field] = shown
            case[name] = out
        return case


def births(checked) -> frozenset[str]:
    """The date facts ``age(…)`` counts from (``section.fact``), anywhere in the rules or invariants."""
    found = set()
    for part in (*checked.provisions, *checked.invariants):
        for node in n.walk(part.rules if hasattr(part, "rules") else (part.when, part.then)):
            if isinstance(node, n.Age) and isinstance(node.birth, n.Path):
                found.add(node.birth.dotted)
    return frozenset(found)


# ------------------------------------------------------------------ the decision, symbolically
def _enum_code(value: Val, name: str):
    if value.enum is None or name not in value.enum.values:
        return None
    return z3.IntVal(value.enum.values.index(name))


class Decider:
    """One policy's decision over a ``SymCase``: the reference's walk, with z3 terms for values."""

    def __init__(self, policy, case: SymCase, tables: Tables):
        self.policy = policy
        self.checked = policy.compiled.checked
        self.rules = RulesByKind(self.checked)
        self.case = case
        self.tables = tables
        self.s = case.strings
        self.bound: dict[str, dict] = {}
        self.assumptions: list = []  # cases the bounds leave out (a deadline past the calendar)
        self.expired: TB = FALSE
        self.dismissed: TB = FALSE
        self.last_day = Val(z3.BoolVal(False), z3.IntVal(0), "date")
        self.dismissal_day = Val(z3.BoolVal(False), z3.IntVal(0), "date")
        for rule in self.rules.rules:
            if isinstance(rule.node, n.TextOnly):
                continue
            kind = questions.kind_of(rule.node)
            if kind is None or kind.node.__name__ not in _SUPPORTED:
                raise Unsupported(f"rule kind {type(rule.node).__name__}", getattr(rule.node, "span", None))
        self.decide()

    # -------------------------------------------------------------- expressions
    def asks(self, sections) -> Any:
        if not sections:
            return z3.BoolVal(True)
        return z3.Or(*[self.case.present[s] for s in sections if s in self.case.present])

    def value(self, e, record: dict | None = None, var: str | None = None):
        c = self.case
        if isinstance(e, n.Path):
            if e.parts[0] in self.bound:
                return self.bound[e.parts[0]][e.parts[1]]
            if var is not None and e.parts[0] == var:
                return (record or {})[e.parts[1]]
            if e.parts[0] in DECISION_HEADS:
                return self.decision_value(DECISION_ALIASES.get(e.parts[1], e.parts[1]), e)
            if e.dotted not in c.facts:
                raise Unsupported(f"fact {e.dotted}", e.span)
            return c.facts[e.dotted]
        if isinstance(e, n.Literal):
            return c.constant(e.value)
        if isinstance(e, n.Name):
            return e  # resolved by the comparison against an enum
        if isinstance(e, n.AsOf):
            return Val(z3.BoolVal(True), c.as_of, "date")
        if isinstance(e, n.Expired):
            return self.expired
        if isinstance(e, n.Dismissed):
            return self.dismissed
        if isinstance(e, n.LastDay):
            return self.last_day
        if isinstance(e, n.DismissalDay):
            return self.dismissal_day
        if isinstance(e, n.Not):
            return t_not(as_tb(self.value(e.operand, record, var)))
        if isinstance(e, n.And):
            return t_and(as_tb(self.value(o, record, var)) for o in e.operands)
        if isinstance(e, n.Or):
            return t_or(as_tb(self.value(o, record, var)) for o in e.operands)
        if isinstance(e, n.Compare):
            if isinstance(e.right, n.Dismissed) and isinstance(e.left, n.Path) and e.left.parts[0] in DECISION_HEADS:
                return self.compare(e, self.value(e.left, record, var), n.Name("dismissed"))
            return self.compare(e, self.value(e.left, record, var), self.value(e.right, record, var))
        if isinstance(e, n.Member):
            v = self.value(e.operand, record, var)
            inside = z3.Or(*[self.same(v, name) for name in e.values])
            if e.negated:
                inside = z3.Not(inside)
            return TB(z3.And(v.k, inside), z3.And(v.k, z3.Not(inside)))
        if isinstance(e, (n.Has, n.HasAny)):
            v = self.value(e.operand, record, var)
            names = (e.value,) if isinstance(e, n.Has) else e.values
            if isinstance(v, CodeSet):
                inside = z3.Or(*[v.has(name.name) for name in names])
                return TB(inside, z3.Not(inside))
            if not isinstance(v, SymList) or isinstance(v.element, RecordT):
                raise Unsupported(f"`has` on {type(v).__name__}", e.span)
            inside = z3.Or(*[z3.And(v.present(i), self.same(item, name))
                             for i, item in enumerate(v.items) for name in names])
            return TB(z3.And(v.k, inside), z3.And(v.k, z3.Not(inside)))
        if isinstance(e, n.IsKnown):
            if isinstance(e.operand, n.Name):
                known = c.present[e.operand.name]
            else:
                v = self.value(e.operand, record, var)
                known = z3.Not(v.unknown) if isinstance(v, TB) else v.k
            if e.negated:
                known = z3.Not(known)
            return TB(known, z3.Not(known))
        if isinstance(e, n.IsEmpty):
            v = self.value(e.operand, record, var)
            if isinstance(v, CodeSet):
                empty = z3.Not(z3.Or(*v.members.values())) if v.members else z3.BoolVal(True)
                k = z3.BoolVal(True)
            else:
                empty, k = v.length == 0, v.k
            if e.negated:
                empty = z3.Not(empty)
            return TB(z3.And(k, empty), z3.And(k, z3.Not(empty)))
        if isinstance(e, n.Arith):
            a, b = self.value(e.left, record, var), self.value(e.right, record, var)
            if e.op == "/" or a.kind != "number" or b.kind != "number":
                raise Unsupported(f"arithmetic `{e.op}`", e.span)
            out = {"+": a.v + b.v, "-": a.v - b.v, "*": a.v * b.v}[e.op]
            return Val(z3.And(a.k, b.k), out, "number")
        if isinstance(e, n.Neg):
            v = self.value(e.operand, record, var)
            return Val(v.k, -v.v, v.kind)
        if isinstance(e, n.Extreme):
            vals = [self.value(o, record, var) for o in e.operands]
            out = vals[0].v
            for v in vals[1:]:
                out = z3.If(v.v < out, v.v, out) if e.op == "min" else z3.If(v.v > out, v.v, out)
            return Val(z3.And(*[v.k for v in vals]), out, vals[0].kind)
        if isinstance(e, (n.DateAfter, n.DateBefore)):
            base = self.value(e.base, record, var)
            k, v = self.tables.counted(base.v, e.amount, e.unit, isinstance(e, n.DateBefore))
            return Val(z3.And(base.k, k), v, "date")
        if isinstance(e, n.Defined):
            return self.value(e.expr, record, var)
        if isinstance(e, n.YearOf):
            day = self.value(e.operand, record, var)
            inside, year = self.tables.constant_runs(("year",), lambda d: d.year, day.v)
            return Val(z3.And(day.k, inside), z3.ToReal(year), "number")
        if isinstance(e, n.Age):
            rule = self.checked.header.age if self.checked.header is not None else None
            if rule not in ages.CONVENTIONS:
                raise Unsupported("`age` without a convention", e.span)
            return AgeVal(self.value(e.birth, record, var), self.value(e.on, record, var),
                          "day_after" if rule == "day_after" else "birthday")
        if isinstance(e, n.TermNumber):
            day = self.value(e.on, record, var)
            return self.term_number(day)
        if isinstance(e, n.Deadline):
            base = self.value(e.base, record, var)
            dk, dv = self.tables.deadline(base.v, e.amount, e.unit)
            # Bound: the calendar covers the deadline (else the engine adds a notice naming the year).
            self.assumptions.append(z3.Implies(base.k, dk))
            return Val(base.k, dv, "date")
        if isinstance(e, n.Count):
            items = self.value(e.source, record, var)
            return Val(items.k, z3.ToReal(items.length), "number")
        if isinstance(e, n.Quantifier):
            return self.quantified(e, record, var)
        if isinstance(e, n.Satisfies):
            return t_and(self.holds(rule) for rule in self.rules.referenced("satisfies", e.ref))
        if isinstance(e, n.Violates):
            return t_or(self.holds(rule) for rule in self.rules.referenced("violates", e.ref))
        raise Unsupported(f"expression {type(e).__name__}", getattr(e, "span", None))

    def same(self, v, name: n.Name):
        code = _enum_code(v, name.name)
        return z3.BoolVal(False) if code is None else v.v == code

    def compare(self, e: n.Compare, left, right) -> TB:
        if isinstance(left, AgeVal) or isinstance(right, AgeVal):
            return self.compare_age(e, left, right)
        if isinstance(right, n.Name) or isinstance(left, n.Name):
            value, name = (left, right) if isinstance(right, n.Name) else (right, left)
            equal = self.same(value, name)
            if e.op not in ("=", "!="):
                raise Unsupported(f"`{e.op}` on an enum value", e.span)
            out = equal if e.op == "=" else z3.Not(equal)
            return TB(z3.And(value.k, out), z3.And(value.k, z3.Not(out)))
        if isinstance(left, TB) or isinstance(right, TB):
            lt, rt = as_tb(left), as_tb(right)
            known = z3.And(z3.Not(lt.unknown), z3.Not(rt.unknown))
            out = lt.t == rt.t
            if e.op == "!=":
                out = z3.Not(out)
            elif e.op != "=":
                raise Unsupported(f"`{e.op}` on conditions", e.span)
            return TB(z3.And(known, out), z3.And(known, z3.Not(out)))
        if left.kind == "bool" or right.kind == "bool":
            return self.compare(e, as_tb(left), as_tb(right))
        a, b = left.v, right.v
        if left.kind == "enum" and right.kind == "enum" and left.enum != right.enum:
            raise Unsupported("a comparison of two enum types", e.span)
        out = {"=": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
               ">": lambda: a > b, ">=": lambda: a >= b}[e.op]()
        known = z3.And(left.k, right.k)
        return TB(z3.And(known, out), z3.And(known, z3.Not(out)))

    def compare_age(self, e: n.Compare, left, right) -> TB:
        """``age(B, D) OP N`` for a whole number N: ``age >= N`` iff D is on or after the day B's person
        reaches N (``reaches_age``); the age is unknown before the birth."""
        op = e.op
        if isinstance(left, AgeVal):
            age, other, literal = left, right, e.right
        else:  # N OP age → age OP' N
            age, other, literal = right, left, e.left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not isinstance(other, Val) or other.kind != "number" or not isinstance(literal, n.Literal) or \
                isinstance(literal.value, bool) or Fraction(literal.value).denominator != 1:
            raise Unsupported("`age` compared with something but a whole number", e.span)
        number = int(literal.value)
        birth, on, left = age.birth, age.on, age

        def at_least(k: int):
            if k <= 0:
                return z3.BoolVal(True)
            known, day = self.tables.reaches(birth.v, k, left.convention)
            self.assumptions.append(z3.Implies(birth.k, known))
            return on.v >= day

        test = {">=": lambda: at_least(number), ">": lambda: at_least(number + 1),
                "<": lambda: z3.Not(at_least(number)), "<=": lambda: z3.Not(at_least(number + 1)),
                "=": lambda: z3.And(at_least(number), z3.Not(at_least(number + 1))),
                "!=": lambda: z3.Not(z3.And(at_least(number), z3.Not(at_least(number + 1))))}[op]()
        known = z3.And(birth.k, on.k, on.v >= birth.v)
        return TB(z3.And(known, test), z3.And(known, z3.Not(test)))

    def quantified(self, e: n.Quantifier, record, var):
        items = self.value(e.source, record, var)
        if not isinstance(items, SymList) or not isinstance(items.element, RecordT):
            raise Unsupported("a quantifier over a list that is not of records", e.span)
        outcomes = []
        for i, item in enumerate(items.items):
            self.bound[e.var] = item
            v = as_tb(self.value(e.condition, record, var))
            outcomes.append((items.present(i), v))
        self.bound.pop(e.var, None)
        if e.kind in ("any", "no"):
            out = t_or(t_if(p, v, FALSE) for p, v in outcomes)
            out = out if e.kind == "any" else t_not(out)
        elif e.kind == "all":
            out = t_and(t_if(p, v, TRUE) for p, v in outcomes)
        else:
            unknown = z3.Or(*[z3.And(p, v.unknown) for p, v in outcomes])
            count = z3.Sum(*[z3.If(z3.And(p, v.t), 1, 0) for p, v in outcomes])
            return Val(z3.And(items.k, z3.Not(unknown)), z3.ToReal(count), "number")
        return TB(z3.And(items.k, out.t), z3.And(items.k, out.f))

    def holds(self, rule) -> TB:
        node = rule.node
        name = type(node).__name__
        if name in ("Require", "Prefer"):
            if node.guard is None:
                return as_tb(self.value(node.condition))
            return t_or((t_not(as_tb(self.value(node.guard))), as_tb(self.value(node.condition))))
        if name == "Prohibit":
            return self.prohibited(rule)[0]
        raise Unsupported(f"a reference to {name}", node.span)

    def prohibited(self, rule):
        """(whether the case records conduct the prohibition names, each code → recorded)."""
        parts = rule.node.path.parts
        items = self.case.facts[".".join(parts[:2])]
        values = []
        for i, item in enumerate(items.items):
            v = item[parts[2]] if len(parts) == 3 else item
            values.append((items.present(i), v))
        codes = {}
        for name in rule.node.values:
            codes[name.name] = z3.And(items.k, z3.Or(*[z3.And(p, v.k, self.same(v, name)) for p, v in values]))
        anyone = z3.Or(*codes.values())
        missing = z3.Or(*[z3.And(p, z3.Not(v.k)) for p, v in values])
        return TB(anyone, z3.And(items.k, z3.Not(anyone), z3.Not(missing))), codes

    # -------------------------------------------------------------- the questions
    def unknown(self, rule, trigger) -> None:
        """``Run.unknown`` where ``trigger`` holds: the open-world facts the rule reads that the case lacks,
        and the lists one of whose entries leaves out a field the rule reads, are missing."""
        for key in rule.reads:
            if key in self.rules.open_facts and key in self.case.facts:
                self.missing.setdefault(key, []).append(z3.And(trigger, z3.Not(self.case.facts[key].k)))
        for listed, fields in rule.partial.items():
            items = self.case.facts[listed]
            gaps = [z3.And(items.present(i), z3.Not(item[f].k)) for i, item in enumerate(items.items)
                    for f in fields if isinstance(item, dict) and f in item]
            if gaps:
                self.missing.setdefault(listed, []).append(z3.And(trigger, items.k, z3.Or(*gaps)))

    def decide(self) -> None:
        self.out: dict[str, Any] = {}
        self.missing: dict[str, list] = {}
        self.eligibility()
        self.term()
        self.status()
        self.violations()
        self.recusal()
        self.obligations()
        self.report()
        self.findings()
        self.notices()
        self.deadline_bounds()
        self.out["missing_facts"] = {key: z3.Or(*triggers) for key, triggers in self.missing.items()}

    def code(self, text: str):
        return z3.IntVal(self.s(text))

    def eligibility(self) -> None:
        Require, Prefer = _kinds["Require"], _kinds["Prefer"]
        requirements, preferences = self.rules.of(Require), self.rules.of(Prefer)
        asked = frozenset().union(*(rule.sections for rule in requirements))
        applicable = z3.BoolVal(False) if not requirements else self.asks(asked) if asked else z3.BoolVal(False)
        unmet: dict[str, list] = {}
        undetermined: dict[str, list] = {}
        values = []
        for rule in requirements:
            v = self.holds(rule)
            values.append(v)
            for citation in [rule.citation, *self.rules.named(rule.node.also)]:
                unmet.setdefault(citation.ref, []).append(v.f)
                undetermined.setdefault(citation.ref, []).append(v.unknown)
        decided = z3.Or(*[v.f for rule, v in zip(requirements, values) if self.rules.steady(rule)])
        for rule, v in zip(requirements, values):
            self.unknown(rule, z3.And(applicable, v.unknown, z3.Not(decided)))
        any_false = z3.Or(*[v.f for v in values]) if values else z3.BoolVal(False)
        any_unknown = z3.Or(*[v.unknown for v in values]) if values else z3.BoolVal(False)
        self.out["eligibility.result"] = z3.If(z3.Not(applicable), self.code("not_applicable"),
                                               z3.If(any_false, self.code("ineligible"),
                                                     z3.If(any_unknown, self.code("unknown"), self.code("eligible"))))
        self.out["eligibility.unmet"] = {ref: z3.And(applicable, z3.Or(*vs)) for ref, vs in unmet.items()}
        self.out["eligibility.undetermined"] = {ref: z3.And(applicable, z3.Or(*vs))
                                                for ref, vs in undetermined.items()}
        if preferences:
            prefs = [self.holds(rule) for rule in preferences]
            for rule, p in zip(preferences, prefs):
                self.unknown(rule, z3.And(applicable, p.unknown))
            held = z3.Or(*[p.t for p in prefs])
            open_ = z3.Or(*[p.unknown for p in prefs])
            preferred = Val(z3.And(applicable, z3.Or(held, z3.Not(open_))), held, "bool")
            self.out["eligibility.preferences"] = {}
            for rule, p in zip(preferences, prefs):
                self.out["eligibility.preferences"].setdefault(rule.citation.ref, []).append(z3.And(applicable, p.t))
            self.out["eligibility.preferences"] = {r: z3.Or(*v) for r, v in self.out["eligibility.preferences"].items()}
        else:
            preferred = Val(z3.BoolVal(False), z3.BoolVal(False), "bool")
            self.out["eligibility.preferences"] = {}
        self.out["eligibility.preferred"] = preferred

    def term(self) -> None:
        c = self.case
        rule = self.rules.first(_kinds["Term"])
        none = Val(z3.BoolVal(False), z3.IntVal(0), "date")
        self.term_exists = z3.BoolVal(False)
        self.start = none
        if rule is None:
            self.out["term.last_day"], self.out["term.terms"] = none, Val(z3.BoolVal(False), z3.IntVal(0), "number")
            self.expired = FALSE
            return
        node = rule.node
        months = node.amount * 12 if node.unit == "years" else node.amount
        start = c.facts[node.start.dotted]
        self.start, self.term_exists = start, start.k
        renewal_rule = self.rules.first(_kinds["Renewal"])
        K = len(c.facts[renewal_rule.node.source.dotted].items) if renewal_rule is not None else 0
        lasts = [self.tables.apply(("months", months * (j + 1)),
                                   lambda d, m=months * (j + 1): periods.add_months(d, m), start.v)
                 for j in range(K + 1)]
        for k, _ in lasts:
            self.assumptions.append(z3.Implies(start.k, k))
        possible = [z3.BoolVal(True)] + [z3.BoolVal(False)] * K
        renewal = self.rules.first(_kinds["Renewal"])
        further = self.rules.of(_kinds["RenewalCondition"])
        if renewal is not None:
            source = renewal.node
            items = c.facts[source.source.dotted]
            field = source.dated.parts[1]
            for i, record in enumerate(items.items):
                on = record[field]
                own = as_tb(self.value(source.condition, record, source.var))
                values = [as_tb(self.value(r.node.condition, record, source.var)) for r in further]
                cond = t_and([own, *values])
                # the term the renewal is dated in: -1 before the start, K + 1 after every term here
                dated_in = some([(on.v < start.v, z3.IntVal(-1))] +
                                [(on.v <= lasts[j][1], z3.IntVal(j)) for j in range(K + 1)], z3.IntVal(K + 1))
                present = items.present(i)
                # the renewal's outcome is open: neither valid for every count the chain may have reached,
                # nor invalid for every one
                at = [z3.And(dated_in == c, possible[c]) for c in range(K + 1)]
                only = z3.And(z3.Or(*at), z3.Sum(*[z3.If(p, 1, 0) for p in possible]) == 1)
                all_valid = z3.And(only, cond.t)
                all_invalid = z3.Not(z3.And(z3.Or(*at), z3.Not(cond.f)))
                open_ = z3.And(present, z3.Not(all_valid), z3.Not(all_invalid))
                if isinstance(source.condition, n.Satisfies):
                    for requirement in self.rules.referenced("satisfies", source.condition.ref):
                        self.unknown(requirement, z3.And(open_, own.unknown, self.holds(requirement).unknown))
                else:
                    self.unknown(renewal, z3.And(open_, own.unknown))
                for added, value in zip(further, values):
                    self.unknown(added, z3.And(open_, value.unknown))
                following = []
                for count in range(K + 1):
                    stays = z3.Or(z3.And(possible[count], z3.Not(z3.And(dated_in == count, cond.t))),
                                  *([] if count == 0 else
                                    [z3.And(possible[count - 1], dated_in == count - 1,
                                            z3.Or(cond.t, cond.unknown))]))
                    following.append(stays)
                possible = [z3.If(present, f, p) for f, p in zip(following, possible)]
        self.term_state = (start, lasts, possible)
        lo = some([(possible[j], lasts[j][1]) for j in range(K + 1)], lasts[K][1])
        hi = some([(possible[j], lasts[j][1]) for j in reversed(range(K + 1))], lasts[0][1])
        count = z3.Sum(*[z3.If(p, 1, 0) for p in possible])
        known = count == 1
        as_of = c.as_of
        expired = TB(z3.And(start.k, as_of > hi), z3.Or(z3.Not(start.k), as_of <= lo))
        self.ref_expired = expired
        self.last_day = Val(z3.And(start.k, known), lo, "date")
        self.lo_last = lo
        first = some([(possible[j], z3.IntVal(j + 1)) for j in range(K + 1)], z3.IntVal(K + 1))
        self.out["term.last_day"] = self.last_day
        self.out["term.terms"] = Val(z3.And(start.k, known), z3.ToReal(first), "number")
        self.expired = expired

    def term_number(self, day) -> Val:
        """``term number(day)`` (``_ref_term_number``): the term the day falls in, counted from 1, if the
        renewal chain surely reaches it; 0 where it surely does not (or before the start); else unknown."""
        state = getattr(self, "term_state", None)
        if state is None:
            return Val(z3.BoolVal(False), z3.RealVal(0), "number")
        start, lasts, possible = state
        K = len(possible) - 1
        index = some([(day.v < start.v, z3.IntVal(-1))] + [(day.v <= lasts[j][1], z3.IntVal(j)) for j in range(K + 1)],
                     z3.IntVal(K + 1))
        least = some([(possible[j], z3.IntVal(j)) for j in range(K + 1)], z3.IntVal(K))
        most = some([(possible[j], z3.IntVal(j)) for j in reversed(range(K + 1))], z3.IntVal(0))
        value = z3.If(index == -1, 0, z3.If(index <= least, index + 1, 0))
        known = z3.And(start.k, day.k, z3.Or(index == -1, index <= least, index > most))
        return Val(known, z3.ToReal(value), "number")

    def status(self) -> None:
        c = self.case
        appointed = z3.And(self.term_exists, c.as_of >= self.start.v)
        grounds: dict[tuple, Any] = {}
        ends, ending_unknown = [], []
        for rule in self.rules.of(_kinds["Ground"]):
            v = as_tb(self.value(rule.node.condition))
            self.unknown(rule, z3.And(appointed, v.unknown))
            ending = rule.node.effect != "discretionary"
            key = (rule.citation.ref, rule.citation.cite, rule.node.effect)
            grounds[key] = z3.Or(grounds.get(key, z3.BoolVal(False)), z3.And(appointed, v.t))
            if ending:
                ends.append(v.t)
                ending_unknown.append(v.unknown)
        record = self.rules.first(_kinds["DismissalRecord"])
        recorded = z3.BoolVal(False)
        if record is not None:
            on = c.facts[record.node.path.dotted]
            recorded = z3.And(on.k, on.v <= c.as_of)
            ends.append(recorded)
        end = z3.Or(*ends) if ends else z3.BoolVal(False)
        open_ = z3.Or(*ending_unknown) if ending_unknown else z3.BoolVal(False)
        status = z3.If(z3.Not(appointed), self.code("not_appointed"),
                       z3.If(end, self.code("dismissed"), z3.If(open_, self.code("unknown"), self.code("active"))))
        self.out["status"] = status
        self.out["grounds"] = grounds
        self.dismissed = TB(status == self.code("dismissed"),
                            z3.Or(status == self.code("active"), status == self.code("not_appointed")))
        day_known = z3.Or(recorded, z3.And(self.expired.t, self.last_day.k))
        day = z3.If(recorded, c.facts[record.node.path.dotted].v if record is not None else 0, self.last_day.v + 1)
        self.dismissal_day = Val(day_known, day, "date")

    def violations(self) -> None:
        out: dict[str, Any] = {}
        cited: dict[tuple, Any] = {}
        for rule in self.rules.of(_kinds["Prohibit"]):
            _, codes = self.prohibited(rule)
            for code, there in codes.items():
                out[code] = z3.Or(out.get(code, z3.BoolVal(False)), there)
                cited[(code, rule.citation.ref)] = z3.Or(cited.get((code, rule.citation.ref), z3.BoolVal(False)),
                                                         there)
        self.out["violations"] = out
        self.out["violations.citation"] = cited

    def recusal(self) -> None:
        rules = self.rules.of(_kinds["Recusal"])
        asked = frozenset().union(*(rule.sections for rule in rules))
        applicable = self.asks(asked) if rules and asked else z3.BoolVal(False)
        values = [as_tb(self.value(rule.node.condition)) for rule in rules]
        holding = {kind: [(rule, v) for rule, v in zip(rules, values) if rule.node.kind == kind]
                   for kind in ("required", "request")}
        rank = {"required": 2, "request": 1}
        for rule, v in zip(rules, values):  # open, unless a stronger kind surely holds
            stronger = [w.t for other, w in zip(rules, values)
                        if rank[other.node.kind] > rank[rule.node.kind] and self.rules.steady(other)]
            self.unknown(rule, z3.And(applicable, v.unknown, z3.Not(z3.Or(*stronger)) if stronger else v.unknown))
        required = z3.Or(*[v.t for _, v in holding["required"]]) if holding["required"] else z3.BoolVal(False)
        request = z3.Or(*[v.t for _, v in holding["request"]]) if holding["request"] else z3.BoolVal(False)
        open_ = z3.Or(*[v.unknown for v in values]) if values else z3.BoolVal(False)
        result = z3.If(z3.Not(applicable), self.code("not_applicable"),
                       z3.If(required, self.code("required"), z3.If(request, self.code("request"),
                             z3.If(open_, self.code("unknown"), self.code("not_required")))))

        def first_by(kind):
            return some([(v.t, self.code(rule.node.decided_by)) for rule, v in holding[kind]], self.code(""))
        decided = z3.If(z3.Not(applicable), self.code(""),
                        z3.If(required, first_by("required"), z3.If(request, first_by("request"), self.code(""))))
        self.out["recusal"] = (result, decided)
        cites: dict[str, Any] = {}
        for kind, chosen in (("required", required), ("request", z3.And(z3.Not(required), request))):
            for rule, v in holding[kind]:
                for citation in [rule.citation, *self.rules.named(rule.node.also)]:
                    cites[citation.ref] = z3.Or(cites.get(citation.ref, z3.BoolVal(False)),
                                                z3.And(applicable, chosen, v.t))
        self.out["recusal.grounds"] = cites

    def obligations(self) -> None:
        c = self.case
        present: dict[str, Any] = {}
        state: dict[str, list] = {}
        due: dict[str, list] = {}
        for rule in self.rules.of(_kinds["Duty"]):
            duty = rule.node
            arises = as_tb(self.value(duty.when)) if duty.when is not None else TRUE
            there = z3.And(self.asks(rule.sections), arises.t)
            self.unknown(rule, z3.And(self.asks(rule.sections), arises.unknown))
            if duty.due is not None:
                base = self.value(duty.due.base)
                dk, dv = self.tables.deadline(base.v, duty.due.amount, duty.due.unit)
                # Bound: the calendar covers every deadline a case within the bounds needs.
                self.assumptions.append(z3.Implies(z3.And(there, base.k), dk))
                done = c.facts[duty.done_on.dotted]
                st = z3.If(z3.Not(base.k), self.code("unknown"),
                           z3.If(done.k, z3.If(done.v <= dv, self.code("met"), self.code("overdue")),
                                 z3.If(c.as_of > dv, self.code("overdue"), self.code("owed"))))
                d = Val(base.k, dv, "date")
            else:
                met = as_tb(self.value(duty.met)) if duty.met is not None else UNKNOWN
                breached = as_tb(self.value(duty.breached)) if duty.breached is not None else UNKNOWN
                st = z3.If(met.t, self.code("met"), z3.If(breached.t, self.code("breached"), self.code("owed")))
                d = Val(z3.BoolVal(False), z3.IntVal(0), "date")
            present[duty.code] = z3.Or(present.get(duty.code, z3.BoolVal(False)), there)
            state.setdefault(duty.code, []).append((there, st, d, rule.citation.ref, duty.bearer))
        self.out["obligations"] = present
        self.out["obligations.entries"] = state

    def report(self) -> None:
        R = _kinds
        scopes, categories = self.rules.of(R["ReportScope"]), self.rules.of(R["ReportCategory"])
        rewards = self.rules.of(R["Reward"])
        rules = [*scopes, *categories]
        asked = frozenset().union(*(rule.sections for rule in rules))
        applicable = self.asks(asked) if rules and asked else z3.BoolVal(False)
        scope = t_and(as_tb(self.value(rule.node.condition)) for rule in scopes)
        cats = [(rule, as_tb(self.value(rule.node.condition))) for rule in categories]
        category = some([(v.t, self.code(rule.citation.ref)) for rule, v in cats], self.code(""))
        in_scope = scope if scopes else t_or(v for _, v in cats)
        scoped = [(rule, as_tb(self.value(rule.node.condition))) for rule in scopes]
        surely_outside = z3.Or(*[v.f for rule, v in scoped if self.rules.steady(rule)])
        for rule, v in scoped:
            self.unknown(rule, z3.And(applicable, z3.Not(surely_outside), v.unknown))
        earlier_true = z3.BoolVal(False)
        for j, (rule, v) in enumerate(cats):
            # open, evaluated (no category before it holds), and not under the same provision as a steady
            # category that holds
            same = [w.t for other, w in cats[j + 1:]
                    if other.citation == rule.citation and self.rules.steady(other)]
            first_true_after = z3.Or(*[z3.And(w.t, *[z3.Not(u.t) for _, u in cats[j + 1:k]])
                                       for k, (other, w) in enumerate(cats[j + 1:], j + 1)
                                       if other.citation == rule.citation and self.rules.steady(other)]) \
                if same else z3.BoolVal(False)
            self.unknown(rule, z3.And(applicable, z3.Not(surely_outside), z3.Not(earlier_true), v.unknown,
                                      z3.Not(first_true_after)))
            earlier_true = z3.Or(earlier_true, v.t)
        rewarded = [(rule, as_tb(self.value(rule.node.condition))) for rule in rewards]
        referral = z3.Or(*[v.t for _, v in rewarded]) if rewarded else z3.BoolVal(False)
        reward_rules = some([(v.t, self.code(rule.node.rules)) for rule, v in rewarded], self.code(""))
        result = z3.If(z3.Not(applicable), self.code("not_applicable"),
                       z3.If(in_scope.unknown, self.code("unknown"),
                             z3.If(in_scope.f, self.code("out_of_scope"), self.code("in_scope"))))
        self.out["report.result"] = result
        self.out["report.category"] = z3.If(z3.Or(result == self.code("unknown"), result == self.code("in_scope")),
                                            category, self.code(""))
        inside = result == self.code("in_scope")
        for j, (rule, v) in enumerate(rewarded):
            # open, and no reward after it holds first that would refer it all the same
            later = []
            for k, (other, w) in enumerate(rewarded[j + 1:], j + 1):
                first = z3.And(w.t, *[z3.Not(u.t) for _, u in rewarded[j + 1:k]])
                if other.node.rules != rule.node.rules or not self.rules.steady(other):
                    continue  # a later reward that holds still leaves this one open
                later.append(first)
            earlier = [u.t for _, u in rewarded[:j]]
            self.unknown(rule, z3.And(inside, v.unknown, z3.Not(z3.Or(*earlier)) if earlier else z3.BoolVal(True),
                                      z3.Not(z3.Or(*later)) if later else z3.BoolVal(True)))
        self.out["report.reward_referral"] = (z3.BoolVal(True), z3.And(inside, referral))
        self.out["report.reward_rules"] = z3.If(z3.And(inside, referral), reward_rules, self.code(""))

    def drawn(self, node, record) -> tuple[Any, Any]:
        """(the finding is there — drawn not false —, its value as a ``Val``; unknown where the condition
        or the value is)."""
        holds = as_tb(self.value(node.condition, record, node.var)) if node.condition is not None else TRUE
        if node.value is None:
            return z3.Not(holds.f), Val(holds.t, z3.BoolVal(True), "bool")
        value = self.value(node.value, record, node.var)
        if isinstance(value, TB):
            value = Val(z3.Not(value.unknown), value.t, "bool")
        if not isinstance(value, Val):
            raise Unsupported("a conclusion's value of this kind", node.span)
        return z3.Not(holds.f), Val(z3.And(holds.t, value.k), value.v, value.kind, value.enum)

    def findings(self) -> None:
        """Each conclusion's entries: code → [(there, item index or None, value, ref)]."""
        out: dict[str, list] = {}
        for rule in self.rules.of(_kinds["Conclusion"]):
            node = rule.node
            asks = self.asks(rule.sections)
            entries = out.setdefault(node.code, [])
            if node.source is None:
                there, value = self.drawn(node, None)
                entries.append((z3.And(asks, there), None, value, rule.citation.ref))
                self.unknown(rule, z3.And(asks, there, z3.Not(value.k)))
                continue
            items = self.case.facts[node.source.dotted]
            # the list unknown: one finding whose value is unknown
            entries.append((z3.And(asks, z3.Not(items.k)), None, Val(z3.BoolVal(False), z3.BoolVal(True), "bool"),
                            rule.citation.ref))
            self.unknown(rule, z3.And(asks, z3.Not(items.k)))
            for i, record in enumerate(items.items):
                there, value = self.drawn(node, record)
                entries.append((z3.And(asks, items.k, items.present(i), there), i, value, rule.citation.ref))
                self.unknown(rule, z3.And(asks, items.k, items.present(i), there, z3.Not(value.k)))
        self.out["findings"] = out

    def deadline_bounds(self) -> None:
        """Bound: every ``due(…)`` of every rule, for every record its base names, falls in a year the
        calendar covers — so that no deadline notice (naming a missing year) arises."""
        for rule in self.rules.rules:
            own = ((rule.scope[0], rule.scope[1].dotted, True),) if rule.scope is not None else ()
            self.deadlines_in(rule.node, own, {}, None, None)

    def deadlines_in(self, node, binders, bound, record, var) -> None:
        if isinstance(node, (tuple, list)):
            for item in node:
                self.deadlines_in(item, binders, bound, record, var)
            return
        if not hasattr(type(node), "__attrs_attrs__"):
            return
        if isinstance(node, n.Deadline):
            self.each_record(binders, bound, record, var, lambda r, v: self.value(node, r, v))
        for field in type(node).__attrs_attrs__:
            if field.name == "span":
                continue
            inner = binders
            if isinstance(node, n.Quantifier) and field.name == "condition":
                inner = (*binders, (node.var, node.source.dotted, False))
            self.deadlines_in(getattr(node, field.name), inner, bound, record, var)

    def each_record(self, binders, bound, record, var, action) -> None:
        """``action(record, var)`` for each combination of records the binders name (the assumptions it
        adds hold for every entry, present or not: a stronger bound, stated so in the docs)."""
        if not binders:
            saved = dict(self.bound)
            self.bound.update(bound)
            try:
                action(record, var)
            finally:
                self.bound = saved
            return
        (name, key, own), rest = binders[0], binders[1:]
        items = self.case.facts.get(key)
        if items is None:
            return
        for item in items.items:
            if own:
                self.each_record(rest, bound, item, name, action)
            else:
                self.each_record(rest, {**bound, name: item}, record, var, action)

    def notices(self) -> None:
        c = self.case
        found: dict[tuple, Any] = {}
        for rule in self.rules.of(_kinds["Notice"]):
            v = as_tb(self.value(rule.node.condition))
            key = (rule.citation.ref, rule.node.message)
            found[key] = z3.Or(found.get(key, z3.BoolVal(False)), z3.And(self.asks(rule.sections), v.t))
        header = self.checked.header
        if header is not None:
            start = header.effective if isinstance(header.effective, dt.date) else None
            conds = []
            if start is not None:
                conds.append((c.as_of < start.toordinal(), ("effective", start)))
            if header.repealed is not None:
                conds.append((c.as_of >= header.repealed.toordinal(), ("repealed", header.repealed)))
            if header.valid_until is not None:
                conds.append((c.as_of > header.valid_until.toordinal(), ("valid_until", header.valid_until)))
            taken = z3.BoolVal(False)
            for cond, key in conds:
                found[(None, key)] = z3.And(cond, z3.Not(taken))
                taken = z3.Or(taken, cond)
        self.out["notices"] = found

    # -------------------------------------------------------------- what invariants read
    def decision_value(self, field: str, e):
        out = self.out
        if field == "status":
            return self.coded(out["status"], "status")
        if field in ("eligibility", "recusal", "decided_by", "report"):
            term = {"eligibility": out["eligibility.result"], "recusal": out["recusal"][0],
                    "decided_by": out["recusal"][1], "report": out["report.result"]}[field]
            return self.coded(term, field)
        if field == "preferred":
            return out["eligibility.preferred"]
        if field == "reward_referral":
            known, v = out["report.reward_referral"]
            return Val(known, v, "bool")
        if field == "last_day":
            return out["term.last_day"]
        if field == "terms":
            return out["term.terms"]
        if field == "grounds":
            effects: dict[str, Any] = {}
            for (_, _, effect), there in out["grounds"].items():
                effects[effect] = z3.Or(effects.get(effect, z3.BoolVal(False)), there)
            return CodeSet(effects)
        if field == "violations":
            return CodeSet(out["violations"])
        if field == "findings":
            return CodeSet({code: z3.Or(*[entry[0] for entry in entries]) for code, entries in out["findings"].items()})
        if field == "obligations":
            return CodeSet(out["obligations"])
        if field in ("owed", "met", "overdue", "breached"):
            members: dict[str, Any] = {}
            for code, entries in out["obligations.entries"].items():
                members[code] = z3.Or(*[z3.And(there, st == self.code(field)) for there, st, *_ in entries])
            return CodeSet(members)
        raise Unsupported(f"decision field `{field}`", getattr(e, "span", None))

    def coded(self, term, field: str) -> Val:
        """A decision enum (an interned string) as an enum value; the empty string is no value."""
        enum = DECISION_FIELDS[field][1]
        known = term != self.code("")
        value = some([(term == self.code(name), z3.IntVal(i)) for i, name in enumerate(enum.values)], z3.IntVal(-1))
        return Val(known, value, "enum", enum)


_SUPPORTED = ("Conclusion", "Require", "Prefer", "Term", "Renewal", "RenewalCondition", "Ground", "DismissalRecord", "Prohibit",
              "Recusal", "Duty", "ReportScope", "ReportCategory", "Reward", "Notice")
_kinds: dict[str, type] = {}
for _kind in questions.rule_kinds():
    _kinds[_kind.node.__name__] = _kind.node
for _name in _SUPPORTED:
    _kinds.setdefault(_name, type(_name, (), {}))  # a kind absent from the registry: no rule has it


def _for_invariants(self) -> None:
    """Read the derived values as invariants read them (``tools/invariants.py``): ``expired`` from the
    decision's term (false before the start or with no term, unknown where the last day is)."""
    c = self.case
    before = z3.Or(z3.Not(self.term_exists), c.as_of < self.start.v)
    last = self.out["term.last_day"]
    self.expired = TB(z3.And(z3.Not(before), last.k, c.as_of > last.v),
                      z3.Or(before, z3.And(last.k, c.as_of <= last.v)))


Decider.for_invariants = _for_invariants  # type: ignore[attr-defined]
