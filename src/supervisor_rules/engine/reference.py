"""The reference interpreter: the checked rules, walked as docs/decisions.md describes them.

The other two backends (``runtime.interpret`` over compiled closures, and the code
``codegen`` generates) are built for speed. This one is built to be read: it walks
``checked.provisions`` and the expressions of ``lang/nodes`` directly, each time,
and computes every answer the way the documentation states it. It shares with
them only the calendar arithmetic of ``dates/`` (Civil Code periods, the
working-day calendar) and the decision types; nothing of the compiler, the
closure interpreter or the generated code. The conformance suite
(``tests/conformance``) holds all three to the same decisions and explanations.

Values are Kleene's three: ``True``, ``False`` and ``None`` (unknown).

This module is the walk's common part: the policy's rules sorted by kind, what each
reads, the expressions' values, the steps. Each decision question's own reading is
the reference part of its module (``Question.reference``, ``RuleKind.ref_reads`` and
``ref_holds`` in ``supervisor_rules/questions``), written apart from that module's
compiled and generated parts. The order of evaluation, and so of the explanation's
steps, is the registry's: eligibility → term and renewals → grounds and status →
violations → recusal → obligations → report → notices. Each rule reads only what is
decided before it (the checker sees to that).
"""

from __future__ import annotations

import datetime as dt
import operator
from fractions import Fraction
from typing import Any, Callable

import attrs

from supervisor_rules import questions
from supervisor_rules.questions.base import record_scope
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import Checked, ListT, Provision, RecordT
from supervisor_rules.dates import ages, deadlines, periods
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar
from supervisor_rules.contracts.decision import Citation, Decision, Notice, Step
from supervisor_rules.errors import RulesError

__all__ = ["evaluate"]


# ------------------------------------------------------------------ Kleene's three values
def kleene_and(values) -> bool | None:
    """False if any is false; else unknown if any is unknown; else true (true for none at all)."""
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def kleene_or(values) -> bool | None:
    """True if any is true; else unknown if any is unknown; else false (false for none at all)."""
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def kleene_not(value) -> bool | None:
    return None if value is None else not value


def _number(value):
    """A case's number as the decimal its JSON text gives (a float's ``repr``), exactly; else the value."""
    return Fraction(repr(value)) if isinstance(value, float) else value


def _calculate(op: str, a, b):
    """Exact arithmetic; an unknown operand, or a division by zero, gives unknown."""
    if a is None or b is None:
        return None
    if op == "/":
        return None if b == 0 else Fraction(a) / Fraction(b)
    return {"+": operator.add, "-": operator.sub, "*": operator.mul}[op](Fraction(a), Fraction(b))


def _counted(day: dt.date, amount: int, unit: str, before: bool, calendar_source) -> dt.date | None:
    """``day after/before amount unit``: the corresponding day (arts. 201-202), ``amount`` calendar days,
    or the ``amount``-th working day after/before ``day`` (walked day by day, ``day`` not counted).
    Unknown (None) where the calendar lacks a year, or the date leaves what a date can hold."""
    step = -1 if before else 1
    try:
        if unit == "days":
            return day + dt.timedelta(days=step * amount)
        if unit in ("months", "years"):
            months = amount * 12 if unit == "years" else amount
            return periods.add_months(day, step * months)
        calendar = calendar_source()
        found = 0
        while found < amount:
            day = day + dt.timedelta(days=step)
            if calendar.is_workday(day):
                found += 1
        return day
    except (MissingCalendarYear, periods.PeriodOutOfRange, OverflowError, ValueError):
        return None


_COMPARISONS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
                ">=": operator.ge}


# ------------------------------------------------------------------ the policy's rules, in provision order
@attrs.define
class Rule:
    """One rule of the policy, with the provision it stands under."""

    node: Any
    provision: Provision
    citation: Citation
    reads: tuple[str, ...] = ()  # the facts (section.fact) it reads, first reading first
    sections: frozenset[str] = frozenset()  # the sections whose presence makes it ask something
    scope: tuple | None = None  # (name, list path) of the record it reads by name: a renewal's, an entry's
    # list fact → the `= unknown` fields of its records the rule reads (through a quantifier, or `violates`)
    partial: dict[str, set[str]] = attrs.field(factory=dict)


def _citation(provision: Provision) -> Citation:
    return Citation(provision.article, provision.paragraph, provision.item, provision.sub, provision.ref, provision.cite,
                    provision.text)


def _under(provision: Provision, ref: n.ArticleRef) -> bool:
    """Whether a provision falls under a reference, as docs/language.md says: ``article N`` is the whole
    article; ``article N paragraph P`` that paragraph with its items (paragraph 1 is the article's own
    text and the items before paragraph 2); an item without a paragraph is the first paragraph's; an
    item takes its sub-items along, a range ``(i)-(j)`` each of its items."""
    if provision.article != ref.article:
        return False
    if ref.paragraph is None and ref.item is None:
        return True
    paragraph = provision.paragraph if provision.paragraph is not None else 1
    if paragraph != (ref.paragraph if ref.paragraph is not None else 1):
        return False
    if ref.item is None:
        return True
    if provision.item is None or not ref.item <= provision.item <= (ref.last or ref.item):
        return False
    return ref.sub is None or provision.sub == ref.sub


class RulesByKind:
    """The checked policy, its rules sorted by kind (node class). Built afresh for each evaluation:
    nothing is kept between cases."""

    def __init__(self, checked: Checked):
        header = checked.header
        self.id = header.id if header is not None else ""
        self.age_rule = header.age if header is not None else None
        self.header = header
        self.provisions = checked.provisions
        self.open_facts = frozenset(f"{name}.{field}" for name, section in checked.sections.items()
                                    for field, info in section.fields.items() if not info.closed)
        # Each list of records → the fields its entries may leave out (`= unknown`).
        self.optional_fields: dict[str, frozenset[str]] = {
            f"{name}.{field}": frozenset(k for k, f in info.type.element.fields.items() if f.optional)
            for name, section in checked.sections.items() for field, info in section.fields.items()
            if isinstance(info.type, ListT) and isinstance(info.type.element, RecordT)}
        # Where each provision stands, for lists "in the order of the provisions in the regulation".
        self.position: dict[Citation, int] = {}
        self.kinds: dict[type, list[Rule]] = {}
        self.rules: list[Rule] = []  # every rule, in provision order
        for provision in checked.provisions:
            citation = _citation(provision)
            self.position.setdefault(citation, len(self.position))
            for node in provision.rules:
                kind = questions.kind_of(node)
                scope = record_scope(kind, node, checked.provisions) if kind is not None else None
                rule = Rule(node, provision, citation, scope=scope)
                self.kinds.setdefault(type(node), []).append(rule)
                self.rules.append(rule)
        # What each rule reads, as its kind says. Referenced kinds (requirements, prohibitions) first:
        # `satisfies` and `violates` stand for what they read.
        for referenced_first in (True, False):
            for kind in questions.rule_kinds():
                if (kind.referenced_by is not None) is referenced_first:
                    for rule in self.kinds.get(kind.node, ()):
                        kind.ref_reads(self, rule)
                        rule.partial = self.partly_read(rule.node)

    def of(self, node: type) -> list[Rule]:
        """The rules of a kind, in provision order."""
        return self.kinds.get(node, [])

    def first(self, node: type) -> Rule | None:
        """The one rule of a kind a policy has at most one of (the checker sees to that)."""
        rules = self.kinds.get(node)
        return rules[0] if rules else None

    def referenced(self, predicate: str, ref: n.ArticleRef) -> list[Rule]:
        """The rules ``predicate`` (``satisfies``, ``violates``) refers to under the provision ``ref``."""
        return [rule for rule in self.of(questions.referenced(predicate).node) if _under(rule.provision, ref)]

    def steady(self, rule: Rule) -> bool:
        """Whether a known answer of the rule stays what it is whatever the facts the case lacks turn out to
        be. Kleene's and / or / not and every test of a value are monotone: an unknown operand that becomes
        known never changes a known result. ``is known`` / ``is unknown`` are not, nor the values other
        questions derive (``expired``, ``dismissed``, ``last day``, ``dismissal day``, ``term number``), nor a
        ``satisfies`` of a requirement that is not steady."""
        for node in n.walk(rule.node):
            if isinstance(node, (n.IsKnown, n.Expired, n.Dismissed, n.LastDay, n.DismissalDay, n.TermNumber)):
                return False
            if isinstance(node, n.Satisfies) and not all(self.steady(r) for r in self.referenced("satisfies", node.ref)):
                return False
        return True

    def partly_read(self, node) -> dict[str, set[str]]:
        """The lists of records whose entries' ``= unknown`` fields a rule reads, with those fields: a
        quantifier's ``VAR.field``, the field of a prohibition ``violates`` refers to, and what the
        requirements ``satisfies`` refers to read so."""
        out: dict[str, set[str]] = {}
        # A renewal's or a per-entry conclusion's own entry (`r.field` in its condition or value).
        var, source = getattr(node, "var", None), getattr(node, "source", None)
        if var is not None and isinstance(source, n.Path):
            optional = self.optional_fields.get(source.dotted, frozenset())
            for part in (getattr(node, "condition", None), getattr(node, "value", None)):
                for path in n.walk(part) if part is not None else ():
                    if isinstance(path, n.Path) and path.parts[0] == var and path.parts[1:] and \
                            path.parts[1] in optional:
                        out.setdefault(source.dotted, set()).add(path.parts[1])
        for inner in n.walk(node):
            if isinstance(inner, n.Quantifier):
                optional = self.optional_fields.get(inner.source.dotted, frozenset())
                for path in n.walk(inner.condition):
                    if isinstance(path, n.Path) and path.parts[0] == inner.var and path.parts[1:] and \
                            path.parts[1] in optional:
                        out.setdefault(inner.source.dotted, set()).add(path.parts[1])
            elif isinstance(inner, n.Violates):
                for rule in self.referenced("violates", inner.ref):
                    parts = rule.node.path.parts
                    listed = ".".join(parts[:2])
                    if len(parts) == 3 and parts[2] in self.optional_fields.get(listed, frozenset()):
                        out.setdefault(listed, set()).add(parts[2])
            elif isinstance(inner, n.Satisfies):
                for rule in self.referenced("satisfies", inner.ref):
                    for listed, fields in rule.partial.items():
                        out.setdefault(listed, set()).update(fields)
        return out

    def named(self, refs) -> list[Citation]:
        """The provisions references name, as citations (``also citing``): ``article N`` (or its
        paragraph 1) the article itself, ``article N paragraph P`` that paragraph, an item or each item of
        a range, a sub-item; in the order named, each once."""
        out: list[Citation] = []
        for ref in refs:
            for provision in self.provisions:
                if not _under(provision, ref):
                    continue
                if ref.item is None:
                    paragraph = ref.paragraph if ref.paragraph not in (None, 1) else None
                    if provision.paragraph != paragraph or provision.item is not None:
                        continue
                elif ref.sub is None and provision.sub is not None:
                    continue
                citation = _citation(provision)
                if citation not in out:
                    out.append(citation)
        return out

    @staticmethod
    def sections_of(keys) -> frozenset[str]:
        """The sections of facts ``section.fact``."""
        return frozenset(key.split(".", 1)[0] for key in keys)

    def reads(self, *exprs, var: str | None = None) -> tuple[str, ...]:
        """The facts the expressions read, each once, in reading order (left to right, outside in);
        ``satisfies`` reads what its requirements read, ``violates`` the lists its prohibitions
        name. ``var``: a renewal record's name, whose fields are no facts."""
        found: dict[str, None] = {}
        # The records quantifiers name are no facts (and never share a section's name).
        bound = {node.var for expr in exprs if expr is not None for node in n.walk(expr)
                 if isinstance(node, n.Quantifier)}

        def visit(node) -> None:
            if node is None:
                return
            if isinstance(node, (tuple, list)):
                for item in node:
                    visit(item)
                return
            if not attrs.has(type(node)):
                return
            if isinstance(node, n.Path):
                if node.parts[0] != var and node.parts[0] not in bound:
                    found.setdefault(node.dotted)
                return
            if isinstance(node, (n.Satisfies, n.Violates)):
                predicate = "satisfies" if isinstance(node, n.Satisfies) else "violates"
                for rule in self.referenced(predicate, node.ref):
                    for key in rule.reads:
                        found.setdefault(key)
            for field in attrs.fields(type(node)):
                if field.name != "span":
                    visit(getattr(node, field.name))

        for expr in exprs:
            visit(expr)
        return tuple(found)


# ------------------------------------------------------------------ one evaluation
class Run:
    """One evaluation under way, as the questions' ``reference`` see it: the case, what they have
    ``decided`` so far (Decision fields), the derived ``expired`` / ``dismissed``, the notices, the
    missing facts and the steps."""

    #: Kleene's three-valued and / or / not, for the questions' reference parts.
    all_of = staticmethod(kleene_and)
    any_of = staticmethod(kleene_or)
    not_ = staticmethod(kleene_not)

    def __init__(self, policy: RulesByKind, facts: dict, sections: frozenset, as_of: dt.date,
                 calendar_source: Callable[[], WorkdayCalendar]):
        self.policy = policy
        self.facts = facts
        self.sections = sections
        self.as_of = as_of
        self.calendar_source = calendar_source
        self.expired: bool | None = None  # set once the term is known
        self.dismissed: bool | None = None  # set once the status is known
        self.last_day: dt.date | None = None  # `last day`, set once the term is known
        self.dismissal_day: dt.date | None = None  # `dismissal day`, set once the status is known
        self.term_number: Callable | None = None  # day -> `term number(day)`, set once the term is known
        self.decided: dict[str, Any] = {}
        self.missing: set[str] = set()
        self.steps: list[Step] = []
        self.notices: list[Notice] = []
        self.bound: dict[str, dict] = {}  # the records quantifiers range over, by their names
        self.age_rule = policy.age_rule

    # -------------------------------------------------------------- bookkeeping
    def step(self, rule: Rule, kind: str, outcome, shown: dict | None = None) -> None:
        """One step of the explanation: the rule's provision and kind, its outcome, the facts it read."""
        if shown is None:
            shown = {key: self.facts.get(key) for key in rule.reads}
        self.steps.append(Step(rule.citation, kind, outcome, shown))

    def unknown(self, rule: Rule) -> None:
        """The rule's answer is unknown: the open-world facts it reads that the case lacks are missing."""
        self.missing.update(key for key in rule.reads if key in self.policy.open_facts and key not in self.facts)
        # A list of records one of whose entries leaves out a field the rule reads (`= unknown`).
        for listed, fields in rule.partial.items():
            if any(entry.get(field) is None for entry in self.facts.get(listed) or () for field in fields):
                self.missing.add(listed)

    def asks(self, rule_sections: frozenset[str]) -> bool:
        """A rule reading facts of sections the case does not have asks nothing of it."""
        return not rule_sections or bool(rule_sections & self.sections)

    def holds(self, rule: Rule):
        """The value of a rule a predicate refers to (its kind's ``ref_holds``)."""
        kind = questions.kind_of(rule.node)
        if kind is None or kind.ref_holds is None:
            raise RulesError(f"the reference interpreter cannot tell whether {type(rule.node).__name__} holds")
        return kind.ref_holds(self, rule)

    def deadline_of(self, base: dt.date, amount: int, unit: str) -> tuple[dt.date | None, MissingCalendarYear | None]:
        """``due(base after amount unit)``: (its last day, None), or (None, the missing year's exception)
        where the calendar lacks a year it needs, or (None, None) past the dates a date can hold. As a
        duty's deadline: the amount-th working day, or a period's last day moved off a day off (art. 203)."""
        try:
            calendar = self.calendar_source()
            if unit == "working_days":
                return calendar.add_working_days(base, amount), None
            period = {"days": deadlines.deadline_calendar_days, "months": deadlines.deadline_months,
                      "years": deadlines.deadline_years}[unit]
            return period(base, amount, calendar), None
        except MissingCalendarYear as exc:
            return None, exc
        except (periods.PeriodOutOfRange, OverflowError):
            return None, None

    # -------------------------------------------------------------- expressions
    def value(self, e, record: dict | None = None, var: str | None = None):
        """The value of expression ``e``; ``record`` is the renewal record that ``var`` names."""
        if isinstance(e, n.Path):
            if e.parts[0] in self.bound:
                return _number(self.bound[e.parts[0]].get(e.parts[1]))
            if var is not None and e.parts[0] == var:
                return _number((record or {}).get(e.parts[1]))
            return _number(self.facts.get(e.dotted))
        if isinstance(e, n.Literal):
            return e.value
        if isinstance(e, n.Name):
            return e.name  # an enum value, compared with a fact
        if isinstance(e, n.AsOf):
            return self.as_of
        if isinstance(e, n.Expired):
            return self.expired
        if isinstance(e, n.Dismissed):
            return self.dismissed
        if isinstance(e, n.LastDay):
            return self.last_day
        if isinstance(e, n.DismissalDay):
            return self.dismissal_day
        if isinstance(e, n.Not):
            return kleene_not(self.value(e.operand, record, var))
        if isinstance(e, n.And):
            return kleene_and(self.value(o, record, var) for o in e.operands)
        if isinstance(e, n.Or):
            return kleene_or(self.value(o, record, var) for o in e.operands)
        if isinstance(e, n.Compare):
            left = self.value(e.left, record, var)
            right = self.value(e.right, record, var)
            if left is None or right is None:
                return None
            return _COMPARISONS[e.op](left, right)
        if isinstance(e, n.Member):
            v = self.value(e.operand, record, var)
            if v is None:
                return None
            inside = v in {name.name for name in e.values}
            return not inside if e.negated else inside
        if isinstance(e, n.Has):
            v = self.value(e.operand, record, var)
            return None if v is None else e.value.name in v
        if isinstance(e, n.HasAny):
            v = self.value(e.operand, record, var)
            return None if v is None else any(name.name in v for name in e.values)
        if isinstance(e, n.IsKnown):
            if isinstance(e.operand, n.Name):  # `SECTION is known`: the case has the section
                known = e.operand.name in self.sections
            else:
                known = self.value(e.operand, record, var) is not None
            return not known if e.negated else known
        if isinstance(e, n.IsEmpty):
            v = self.value(e.operand, record, var)
            if v is None:
                return None
            empty = len(v) == 0
            return not empty if e.negated else empty
        if isinstance(e, n.Arith):
            return _calculate(e.op, self.value(e.left, record, var), self.value(e.right, record, var))
        if isinstance(e, n.Neg):
            v = self.value(e.operand, record, var)
            return None if v is None else -v
        if isinstance(e, n.Extreme):
            values = [self.value(o, record, var) for o in e.operands]
            if None in values:
                return None
            return min(values) if e.op == "min" else max(values)
        if isinstance(e, (n.DateAfter, n.DateBefore)):
            base = self.value(e.base, record, var)
            if base is None:
                return None
            return _counted(base, e.amount, e.unit, isinstance(e, n.DateBefore), self.calendar_source)
        if isinstance(e, n.Deadline):
            base = self.value(e.base, record, var)
            return None if base is None else self.deadline_of(base, e.amount, e.unit)[0]
        if isinstance(e, n.TermNumber):
            day = self.value(e.on, record, var)
            return None if self.term_number is None or day is None else self.term_number(day)
        if isinstance(e, n.Age):
            birth, on = self.value(e.birth, record, var), self.value(e.on, record, var)
            if birth is None or on is None or on < birth:
                return None  # no age before the birth
            if self.age_rule not in ages.CONVENTIONS:
                return None  # the checker asks the header for it: never reached
            return ages.age_on(birth, on, convention="day_after" if self.age_rule == "day_after" else "birthday")
        if isinstance(e, n.Defined):
            return self.value(e.expr, record, var)  # a definition: its expression, as if written here
        if isinstance(e, n.YearOf):
            day = self.value(e.operand, record, var)
            return None if day is None else day.year  # the calendar year, a whole number
        if isinstance(e, n.Count):
            items = self.value(e.source, record, var)
            return None if items is None else len(items)
        if isinstance(e, n.Quantifier):
            return self.quantified(e, record, var)
        if isinstance(e, n.Satisfies):
            # Every requirement under the provision holds (Kleene AND of them).
            return kleene_and(self.holds(rule) for rule in self.policy.referenced("satisfies", e.ref))
        if isinstance(e, n.Violates):
            # Some conduct the provision prohibits was recorded (Kleene OR over its prohibitions).
            return kleene_or(self.holds(rule) for rule in self.policy.referenced("violates", e.ref))
        raise RulesError(f"the reference interpreter cannot evaluate {type(e).__name__} in a rule")

    def quantified(self, e: n.Quantifier, record, var):
        """``any`` / ``all`` / ``no`` / ``count`` of the records of a list, as docs/language.md has them."""
        items = self.value(e.source, record, var)
        if items is None:
            return None
        outcomes = []
        for item in items:
            self.bound[e.var] = item
            outcomes.append(self.value(e.condition, record, var))
        self.bound.pop(e.var, None)
        if e.kind == "any":
            return kleene_or(outcomes)
        if e.kind == "all":
            return kleene_and(outcomes)
        if e.kind == "no":
            return kleene_not(kleene_or(outcomes))
        return None if None in outcomes else outcomes.count(True)


def evaluate(checked: Checked, facts: dict, sections: frozenset, as_of: dt.date,
             calendar_source: Callable[[], WorkdayCalendar], only: tuple[str, ...] | None = None) -> Decision:
    """Decide one validated case (``Policy.read_case`` gives ``facts``, ``sections`` and ``as_of``) under
    the checked policy, explanation included. ``calendar_source()`` gives the working-day calendar;
    it is called only where working days are counted. ``only``: just the questions deciding these
    Decision fields and those they read (``questions.needed``, the contract's rule); the others None."""
    run = Run(RulesByKind(checked), facts, sections, as_of, calendar_source)
    asked = questions.needed(checked.provisions, only) if only is not None else None
    for question in questions.QUESTIONS:
        if asked is None or question.name in asked:
            question.reference(run)
    decided = run.decided if only is None else {
        field: run.decided[field] if field in only else None for field in questions.ONLY}
    return Decision(policy=run.policy.id, as_of=as_of, **decided, missing_facts=tuple(sorted(run.missing)),
                    steps=tuple(run.steps), only=only)
