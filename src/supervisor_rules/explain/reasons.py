"""Reason trees: why each conclusion of a decision is what it is (DECISION.md v2, ``explanation``).

A tree is built after the decision, from the same facts, by re-reading the rules that drew each
conclusion: each rule's checked expression is walked and its parts valued by closures the compiler
makes (``ExpressionCompiler``), so a part's value is the value the evaluation saw. Only what decided a
value is kept: the false parts of a false conjunction, one true part of a true disjunction, the unknown
parts of an unknown one; comparisons with both sides and their values; the dates derived on the way
(the term's last day under the Civil Code, a deadline's working days); the ground that made the
status. Rules that did not fire are counted, and named where they are what decided (no ground holds).

Leaves are JSON-shaped dicts (dates as ISO text), so the tree costs no conversion to print:

- ``{"fact": "person.honest", "value": true}``
- ``{"compare": ["as_of", "2023-03-01", ">", "term.last_day", "2023-02-28"]}``
- ``{"derived": "term.last_day", "value": …, "start": …, "period": [3, "years"], "terms": 1, "month_end": true}``
- ``{"rule": "3(1)", "kind": "require", "value": false, "because": […]}`` — a rule under a conclusion
- ``{"none_hold": ["9(1)", …], "kind": "ground"}`` — the rules that could have changed it, none holding
- ``{"record": "conduct.records[1]", "because": […]}`` — the entry a quantifier turned on
- ``{"deadline": …, "base": …, "amount": 7, "unit": "working_days", "days_off": […]}``
- ``{"renewal": …, "reason": "late", …}``, ``{"defined": NAME, "value": …, "because": […]}``
"""

from __future__ import annotations

import datetime as dt
import threading
from fractions import Fraction
from typing import Any

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import ListT, RecordT
from supervisor_rules.engine.compiler import CompiledPolicy, CRule, ExpressionCompiler
from supervisor_rules.engine.runtime import env_after
from supervisor_rules.contracts.decision import Citation, Decision
from supervisor_rules.dates import periods
from supervisor_rules.dates.workdays import MissingCalendarYear
from supervisor_rules.explain.generated import Writer

#: At most this many leaves in one decision's explanation: a rule over a list of thousands of records
#: explains itself by the entries that decided it, not by all of them (docs/limits.md).
MAX_LEAVES = 2_000
#: At most this many entries of a list named where a quantifier over it is false for all (or true for all).
MAX_RECORDS_SHOWN = 5
#: At most this many (fact, values) orderings remembered by ``Closures.representatives``.
MAX_REPRESENTATIVES = 4_096


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value) -> Any:
    """A value as JSON shows it: dates as ISO text, exact numbers as int or float, lists as lists."""
    if value is None or value is True or value is False or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _AS_IS:  # a list of codes: as it is (a case's list may be long)
            return list(value)
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return str(value)


def side_text(e) -> str:
    """An operand as the JSON ``compare`` leaf names it: a fact's key, ``as_of``, ``term.last_day`` …,
    else the expression in the language's English words."""
    if isinstance(e, n.Path):
        return e.dotted
    if isinstance(e, n.AsOf):
        return "as_of"
    if isinstance(e, n.LastDay):
        return "term.last_day"
    if isinstance(e, n.DismissalDay):
        return "dismissal_day"
    if isinstance(e, n.Literal):
        return str(plain(e.value))
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.Defined):
        return e.name
    if isinstance(e, (n.DateAfter, n.DateBefore)):
        word = "before" if isinstance(e, n.DateBefore) else "after"
        return f"{side_text(e.base)} {word} {e.amount} {e.unit}"
    if isinstance(e, n.Deadline):
        return f"due({side_text(e.base)} after {e.amount} {e.unit})"
    if isinstance(e, n.Age):
        return f"age({side_text(e.birth)}, {side_text(e.on)})"
    if isinstance(e, n.YearOf):
        return f"year_of({side_text(e.operand)})"
    if isinstance(e, n.TermNumber):
        return f"term_number({side_text(e.on)})"
    if isinstance(e, n.Count):
        return f"count({e.source.dotted})"
    if isinstance(e, n.Quantifier):
        return f"count({e.var} in {e.source.dotted})"
    if isinstance(e, n.Arith):
        return f"({side_text(e.left)} {e.op} {side_text(e.right)})"
    if isinstance(e, n.Neg):
        return f"-{side_text(e.operand)}"
    if isinstance(e, n.Extreme):
        return f"{e.op}({', '.join(side_text(o) for o in e.operands)})"
    return type(e).__name__


class Closures:
    """The closures of a policy's expressions and their parts, made once per compiled policy on demand
    (``id`` of the checked node → closure; the nodes live as long as the policy)."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiler = ExpressionCompiler(compiled.checked)
        self.by_node: dict[int, Any] = {}
        #: ``section.fact`` → its declared type
        self.fact_types = {f"{name}.{field}": info.type for name, section in compiled.checked.sections.items()
                           for field, info in section.fields.items()}
        #: ``section.fact`` → the sets of its enum values the rules name (``in {…}``, ``= v``, ``has v``)
        self.value_sets: dict[str, list[frozenset]] = {}
        self._representatives: dict[tuple, list] = {}  # (fact, values in order) → representatives
        self.written = Writer(compiled, plain, side_text)  # conditions' reasons as generated code
        self.kinds: dict = {}  # fact key → what its leaves yield as changes (``changes.Changes``)
        self.lock = threading.Lock()
        for provision in compiled.checked.provisions:
            for rule in provision.rules:
                for node in n.walk(rule):
                    self._note_values(node)

    def _note_values(self, node) -> None:
        named: tuple = ()
        if isinstance(node, (n.Member, n.HasAny)):
            named = tuple(v.name for v in node.values)
        elif isinstance(node, n.Has):
            named = (node.value.name,)
        elif isinstance(node, n.Compare) and node.op in ("=", "!="):
            named = tuple(side.name for side in (node.left, node.right) if isinstance(side, n.Name))
            node = attrs.evolve(node, left=node.left if isinstance(node.left, n.Path) else node.right)
        operand = getattr(node, "operand", None) or getattr(node, "left", None)
        if named and isinstance(operand, n.Path):
            sets = self.value_sets.setdefault(operand.dotted, [])
            if frozenset(named) not in sets:
                sets.append(frozenset(named))

    def representatives(self, key: str, values) -> list:
        """One value of each class the rules tell apart (the same answer to every ``in {…}`` over ``key``):
        the first value's class first, then the classes the fewest sets name (a value no rule names, the
        catch-all, before the rest), in declared order: the other values of a class decide alike."""
        values = tuple(values)
        found = self._representatives.get((key, values))
        if found is not None:
            return found
        sets = self.value_sets.get(key, [])
        seen, out = set(), []
        for value in values:
            signature = tuple(value in named for named in sets)
            if signature not in seen:
                seen.add(signature)
                out.append((sum(signature), value))
        found = [out[0][1], *(value for _, value in sorted(out[1:], key=lambda item: item[0]))] if out else []
        if len(self._representatives) < MAX_REPRESENTATIVES:  # an enum's values: a few per fact
            self._representatives[key, values] = found
        return list(found)

    def of(self, e, renewal_var: str | None = None, bound: dict | None = None):
        """The closure of ``e``, compiled on first use where ``renewal_var`` names the renewal record and
        ``bound`` maps each quantifier variable in scope to its record type."""
        fn = self.by_node.get(id(e))
        if fn is None:
            # One compilation at a time: the compiler's scope is shared by every decision of the policy,
            # and `serve` explains decisions in several threads.
            with self.lock:
                fn = self.by_node.get(id(e))
                if fn is None:
                    compiler = self.compiler  # its scope is empty between compilations
                    compiler.renewal_var = renewal_var
                    compiler.bound.update(bound or {})
                    try:
                        fn = self.by_node[id(e)] = compiler.expr(e)
                    finally:
                        compiler.renewal_var = None
                        compiler.bound.clear()
        return fn


def closures_of(compiled: CompiledPolicy) -> Closures:
    found = compiled.derived.get("explain")
    if found is None:
        found = compiled.derived["explain"] = Closures(compiled)
    return found


class Explainer:
    """Builds the reason trees of one decision (``reasons()``)."""

    def __init__(self, compiled: CompiledPolicy, facts: dict, sections: frozenset, decision: Decision,
                 calendar_source, *, written: bool = True):
        self.compiled, self.facts, self.sections, self.decision = compiled, facts, sections, decision
        self.calendar_source = calendar_source
        self.closures = closures_of(compiled)
        env = env_after(compiled, decision, facts, sections)
        env.calendar = calendar_source
        self.env = env
        self.leaves = 0
        self.term_told = False  # set once the term's reason has derived the last day
        self.renewal_var: str | None = None
        self.record_path: dict[str, str] = {}  # quantifier variable → the entry it stands for (`LIST[i]`)
        self.bound_types: dict[str, RecordT] = {}  # quantifier variable in scope → its record type
        self.fact_types = self.closures.fact_types
        self.values: dict[int, Any] = {}  # id of a checked node → its value (outside quantifiers and renewals)
        # Conditions' reasons and values as generated code where written (``explain.generated``); without
        # ``written``, every condition is walked (the reference the written ones are tested against)
        self.writer = self.closures.written if written else None
        self.written = self.writer.written if self.writer is not None else {}  # id of a condition → its reason

    # -------------------------------------------------------------- values
    def own(self) -> bool:
        """Whether values now are the decision's own, not a renewal's or a list entry's (so remembered)."""
        return self.renewal_var is None and not self.record_path and not self.env.var and not self.env.bound

    def value(self, e):
        # A part's value is asked for again and again (a junction values its parts, then each part's why
        # values its own); outside quantifiers and renewals it is one value per decision, so remembered.
        if self.own():
            key = id(e)
            found = self.values.get(key, _NOT_YET)
            if found is _NOT_YET:
                found = self.values[key] = self.closures.of(e)(self.env)
            return found
        return self.closures.of(e, self.renewal_var, self.bound_types)(self.env)

    def leaf(self, item: dict) -> dict:
        self.leaves += 1
        return item

    def full(self) -> bool:
        return self.leaves >= MAX_LEAVES

    # -------------------------------------------------------------- why an expression has its value
    def why(self, e) -> list:
        """What decided the value of ``e``: a list of leaves."""
        if self.leaves >= MAX_LEAVES:
            return []
        written: Any = self.written.get(id(e), _NOT_YET)  # (the lookup `writer.of` makes, inlined: per node)
        if written is _NOT_YET:
            written = self.writer.of(e) if self.writer is not None else None  # written now, kept for the policy
        if written is not None and self.leaves + written.bound <= MAX_LEAVES and (  # never cut short inside
                self.own() or written.heads.isdisjoint((self.renewal_var, *self.record_path, *self.env.bound))):
            env = self.env  # (inside a renewal or a list entry, a condition of the case's facts alone)
            out = written.why(env.facts, env.sections, env.as_of)
            self.leaves += len(out)
            return out
        method = _WHY.get(type(e))
        if method is None:
            method = _WHY[type(e)] = getattr(Explainer, "w_" + type(e).__name__, Explainer.operand_facts)
        return method(self, e)

    def w_And(self, e: n.And) -> list:
        return self.junction(e, decisive=False)

    def w_Or(self, e: n.Or) -> list:
        return self.junction(e, decisive=True)

    def junction(self, e, decisive: bool) -> list:
        """``and`` (decisive False) or ``or`` (True): where a part has the decisive value, the first such
        part decided it; where all parts have the other value, all did; an unknown result, its unknown parts."""
        values = [self.value(part) for part in e.operands]
        if decisive in values:
            chosen = [values.index(decisive)]
            if not decisive:  # a false conjunction: each false part (any one alone decides it)
                chosen = [i for i, v in enumerate(values) if v is False]
        elif None in values:
            chosen = [i for i, v in enumerate(values) if v is None]
        else:
            chosen = list(range(len(values)))
        out: list = []
        for i in chosen:
            out.extend(self.why(e.operands[i]))
        return out

    def w_Not(self, e: n.Not) -> list:
        return self.why(e.operand)

    def w_Path(self, e: n.Path) -> list:
        head = e.parts[0]
        if head in self.record_path:
            return [self.leaf({"fact": f"{self.record_path[head]}.{'.'.join(e.parts[1:])}",
                               "value": plain(self.value(e))})]
        if head == self.renewal_var:
            return [self.leaf({"fact": f"{head}.{'.'.join(e.parts[1:])}", "value": plain(self.value(e))})]
        return [self.leaf({"fact": e.dotted, "value": plain(self.value(e))})]

    def w_Compare(self, e: n.Compare) -> list:
        out = [self.leaf({"compare": [side_text(e.left), plain(self.value(e.left)), e.op, side_text(e.right),
                                      plain(self.value(e.right))]})]
        out.extend(self.side(e.left))
        out.extend(self.side(e.right))
        return out

    def side(self, e) -> list:
        """What a comparison's operand rests on, beyond its own value: the facts inside a computed
        operand, a derived date's derivation."""
        if isinstance(e, (n.Path, n.Literal, n.Name, n.AsOf)):
            return []
        if isinstance(e, n.LastDay):
            return self.term_leaves()
        if isinstance(e, n.Defined):
            return [self.leaf({"defined": e.name, "value": plain(self.value(e)), "because": self.side(e.expr)})]
        if isinstance(e, n.Deadline):
            return self.deadline_leaves(e)
        return self.operand_facts(e)

    def operand_facts(self, e) -> list:
        """The facts a value-valued expression reads, each as a leaf (for operands computed from them)."""
        out: list = []
        quantifiers = [node for node in n.walk(e) if isinstance(node, n.Quantifier)]
        # A quantifier's entries are read where its variable is bound (``w_Quantifier``), not here.
        inside = {id(node) for q in quantifiers for node in n.walk(q.condition)}
        for node in n.walk(e):
            if id(node) in inside:
                continue
            if isinstance(node, n.Quantifier):
                out.extend(self.why(node))
            elif isinstance(node, n.Path):
                out.extend(self.w_Path(node))
            elif isinstance(node, n.LastDay):
                out.extend(self.term_leaves())
        return out

    def w_Member(self, e) -> list:
        return self.why(e.operand) if isinstance(e.operand, n.Path) else self.operand_facts(e.operand)

    w_Has = w_HasAny = w_IsKnown = w_IsEmpty = w_Member

    def w_Literal(self, e) -> list:
        return []

    def w_Expired(self, e) -> list:
        term = self.decision.term
        if term is None:
            return self.term_leaves()
        return [self.leaf({"compare": ["as_of", plain(self.decision.as_of), ">", "term.last_day",
                                       plain(term.last_day)]}), *self.term_leaves()]

    def w_Dismissed(self, e) -> list:
        return [self.leaf({"decided": "status", "value": str(self.decision.status)})]

    def w_LastDay(self, e) -> list:
        return self.term_leaves()

    def w_Defined(self, e: n.Defined) -> list:
        return [self.leaf({"defined": e.name, "value": plain(self.value(e)), "because": self.why(e.expr)})]

    def w_Satisfies(self, e: n.Satisfies) -> list:
        rules = [r for r in self.compiled.requirements if self.under(r.citation, e.ref)]
        return self.rules_junction(rules, "require", decisive=False)

    def w_Violates(self, e: n.Violates) -> list:
        value = self.value(e)
        rules = [r for r in self.compiled.prohibitions if self.under(r.citation, e.ref)]
        out: list = []
        for rule in rules:
            recorded = self.facts.get(rule.key)
            out.append(self.leaf({"fact": rule.key, "value": plain(recorded)}))
            if value is True:
                break
        return out

    def w_Quantifier(self, e: n.Quantifier) -> list:
        items = self.facts.get(e.source.dotted) if e.source.parts[0] not in self.record_path else None
        if items is None:
            return self.why(e.source)
        listed = self.fact_types.get(e.source.dotted)
        record = listed.element if isinstance(listed, ListT) else None
        self.bound_types[e.var] = record if isinstance(record, RecordT) else RecordT(e.var, {})
        bound = self.env.bound
        try:
            values = []
            condition = self.closures.of(e.condition, self.renewal_var, self.bound_types)
            for item in items:
                bound[e.var] = item
                values.append(condition(self.env))
            if e.kind == "count":  # how many hold: the entries that do (or may) count
                picked = [i for i, v in enumerate(values) if v is not False]
            else:
                decisive = e.kind != "all"  # one true entry decides `any` and `no`; one false one `all`
                if decisive in values:
                    picked = [values.index(decisive)]
                elif None in values:
                    picked = [i for i, v in enumerate(values) if v is None]
                else:
                    picked = list(range(len(values)))
            picked = picked[:MAX_RECORDS_SHOWN]
            out = [self.leaf({"fact": e.source.dotted, "count": len(items)})]
            for i in picked:
                bound[e.var] = items[i]
                self.record_path[e.var] = f"{e.source.dotted}[{i}]"
                out.append(self.leaf({"record": f"{e.source.dotted}[{i}]", "value": plain(values[i]),
                                      "because": self.why(e.condition)}))
            return out
        finally:
            bound.pop(e.var, None)
            self.record_path.pop(e.var, None)
            self.bound_types.pop(e.var, None)

    def w_Count(self, e) -> list:
        return self.why(e.source)

    # -------------------------------------------------------------- rules
    def under(self, citation: Citation, ref: n.ArticleRef) -> bool:
        if citation.article != ref.article:
            return False
        if ref.paragraph is None and ref.item is None:
            return True
        if (citation.paragraph or 1) != (ref.paragraph or 1):
            return False
        if ref.item is None:
            return True
        last = ref.last if ref.last is not None else ref.item
        if citation.item is None or not ref.item <= citation.item <= last:
            return False
        return ref.sub is None or citation.sub == ref.sub

    def rule_value(self, rule: CRule):
        if rule.fn is None:
            return True
        if not self.own():
            return rule.fn(self.env)
        key = id(rule)
        found = self.values.get(key, _NOT_YET)
        if found is _NOT_YET:
            written = self.writer.value_of(rule.expr) if self.writer is not None else None
            env = self.env
            found = self.values[key] = (written(env.facts, env.sections, env.as_of) if written is not None
                                        else rule.fn(env))
        return found

    def rule_leaf(self, rule: CRule, value=None) -> dict:
        """A rule as a leaf: its ref, kind, value and why."""
        value = self.rule_value(rule) if value is None else value
        because = self.why(rule.expr) if rule.expr is not None else []
        return self.leaf({"rule": rule.citation.ref, "kind": rule.kind, "value": plain(value), "because": because})

    def rules_junction(self, rules, kind: str, decisive: bool) -> list:
        values = [self.rule_value(r) for r in rules]
        if decisive in values:
            chosen = [i for i, v in enumerate(values) if v is decisive]
            if decisive:
                chosen = chosen[:1]
        elif None in values:
            chosen = [i for i, v in enumerate(values) if v is None]
        else:
            chosen = list(range(len(values)))
        return [self.rule_leaf(rules[i], values[i]) for i in chosen]

    # -------------------------------------------------------------- derived dates
    def term_leaves(self) -> list:
        """How the term's last day was derived: the start, the period, the renewals, the Civil Code rule."""
        term, rule = self.decision.term, self.compiled.term
        if rule is None:
            return []
        start_key = rule.due[2] if rule.due else None
        if term is None:
            return [self.leaf({"fact": start_key, "value": plain(self.facts.get(start_key))})] if start_key else []
        if self.term_told:  # the term's own reason derives it: the others point there
            return [self.leaf({"derived": "term.last_day", "value": plain(term.last_day), "from": start_key,
                               "see": "term"})]
        amount, unit = (rule.due[0], rule.due[1]) if rule.due else (term.years, "years")
        item: dict = {"derived": "term.last_day", "value": plain(term.last_day), "start": plain(term.start),
                      "from": start_key, "period": [plain(amount), unit], "terms": term.terms}
        if term.valid_renewals:
            item["renewals"] = plain(term.valid_renewals)
        if term.last_day is not None and unit in ("years", "months"):
            months = int(amount * (12 if unit == "years" else 1) * (term.terms or 1))
            item["month_end"] = _clamped(term.start, months)
        return [self.leaf(item)]

    def deadline_leaves(self, e: n.Deadline) -> list:
        base = self.value(e.base)
        out = self.side(e.base) if not isinstance(e.base, n.Path) else self.why(e.base)
        due = self.value(e)
        out.append(self.leaf(self.deadline_item(due, base, e.amount, e.unit)))
        return out

    def deadline_item(self, due, base, amount, unit) -> dict:
        item: dict = {"deadline": plain(due), "base": plain(base), "amount": plain(amount), "unit": unit}
        if due is not None and base is not None and unit == "working_days":
            item["days_off"] = plain(self.days_off(base, due))
        elif due is not None and base is not None and unit in ("days", "months", "years"):
            try:
                if unit == "days":
                    plain_end = base + dt.timedelta(days=int(amount))
                else:
                    plain_end = periods.add_months(base, int(amount * (12 if unit == "years" else 1)))
            except (periods.PeriodOutOfRange, OverflowError, ValueError, TypeError):
                plain_end = None
            if plain_end is not None and plain_end != due:
                item["moved_from"] = plain_end.isoformat()  # art. 203: the last day was a day off
        return item

    def days_off(self, base: dt.date, due: dt.date) -> list:
        """The days between ``base`` and ``due`` that are not working days (at most 60 named)."""
        out: list = []
        try:
            calendar = self.calendar_source()
            day = base + dt.timedelta(days=1)
            while day < due and len(out) < 60:
                if not calendar.is_workday(day):
                    out.append(day)
                day += dt.timedelta(days=1)
        except (MissingCalendarYear, OverflowError):
            pass
        return out


_NOT_YET = object()

#: Node type → the Explainer method that says why it has its value (``w_<Type>``, else its facts).
_WHY: dict[type, Any] = {}


def _clamped(start: dt.date, months: int) -> bool:
    """Whether ``start`` + ``months`` has no corresponding day (Civil Code art. 202: the month's last day)."""
    try:
        end = periods.add_months(start, months)
    except (periods.PeriodOutOfRange, OverflowError):
        return False
    return end.day != start.day
