"""Checked AST → ``CompiledPolicy``: every condition becomes a Python closure, once.

Each rule compiles as the decision question that takes its kind says
(``questions/``); this module holds what they share: the expressions, the
facts they read, and the ``CRule`` / ``CompiledPolicy`` they fill.

Values are Kleene's three: ``True``, ``False`` and ``None`` (unknown). A closure
takes the evaluation environment (``runtime.Env``) and never walks the tree.
No rule text reaches ``eval``/``exec``: literals become Python constants.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Mapping

import attrs

from supervisor_rules.lang import collector
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import NUMBER, Checked, ListT, Provision, RecordT
from supervisor_rules.contracts.decision import Citation
from supervisor_rules import questions
from supervisor_rules.questions.base import kleene_and, kleene_or, record_scope
from supervisor_rules.engine.numeric import age, arith, deadline, exact, extreme, neg, shift_date

Fn = Callable[[object], object]


# ------------------------------------------------------------------ compiled rules
@attrs.frozen
class CRule:
    """A compiled rule: its kind, citation, condition and the facts it reads."""

    kind: str
    citation: Citation
    fn: Fn | None
    reads: tuple[str, ...]  # section.fact keys, for missing_facts and the trace
    sections: frozenset[str]  # sections those facts live in
    order: int
    # (list key, fields): lists of records whose `= unknown` fields the rule reads (through a quantifier, or
    # a prohibition `violates` refers to); an entry leaving one out makes the list a missing fact
    partial: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # kind-specific settings
    effect: str | None = None  # ground
    recusal: str | None = None  # recusal kind
    decided_by: str | None = None
    code: str | None = None  # duty code
    codes: frozenset[str] = frozenset()  # prohibited values
    key: str | None = None  # prohibited list fact / date fact
    met: Fn | None = None
    breached: Fn | None = None
    due: tuple | None = None  # (amount, unit, base key or None for a derived date)
    due_base: Fn | None = None  # duty: the deadline's base date, a fact or `last day` / `dismissal day`
    done_key: str | None = None
    bearer: str | None = None  # duty: "supervisor" | "department"
    text: str | None = None  # notice message, reward rules
    requirements: tuple = ()  # renewal: the requirements a `satisfies` condition stands for
    field: str | None = None  # renewal: the record's date field
    var: str | None = None  # renewal, conclusion: the name its condition gives the record
    value: Fn | None = None  # conclusion: its value's closure (None: a yes/no conclusion)
    also: tuple[Citation, ...] = ()  # recusal, requirement: the provisions it also cites (`also citing`)
    # Whether a known value of its condition stays what it is whatever its missing facts turn out to be
    # (``steady``): only such a value settles a question, so that the facts of its other parts are not missing.
    steady: bool = True
    # The checked expressions behind fn / met / breached, for the code generator (codegen.py).
    expr: object = attrs.field(default=None, eq=False, repr=False)
    met_expr: object = attrs.field(default=None, eq=False, repr=False)
    breached_expr: object = attrs.field(default=None, eq=False, repr=False)
    due_base_expr: object = attrs.field(default=None, eq=False, repr=False)
    value_expr: object = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class DeadlineSite:
    """A ``due(…)`` expression of a rule, for the notice that names a calendar year its deadline needs and
    the calendar lacks (the notices question): the rule's citation; the records its base reads by
    name, outermost first, each ``(name, list fact, how)`` — ``"var"`` the rule's own record
    (``env.var``), ``"bound"`` a quantifier's (``env.bound``); its base, compiled; the node."""

    citation: Citation
    binders: tuple[tuple[str, str, str], ...]
    base: Fn = attrs.field(eq=False, repr=False)
    node: n.Deadline = attrs.field(eq=False, repr=False)


@attrs.frozen
class CompiledPolicy:
    """A compiled policy: its rules by kind, each kind's under its ``RuleKind.field`` — a tuple of
    ``CRule`` objects, or for a ``single`` kind one ``CRule`` or None — read as ``policy.rules[field]`` or as
    an attribute (``policy.requirements``, ``policy.term``)."""

    id: str
    title: str | None
    checked: Checked
    rules: Mapping[str, Any]
    citations: tuple[Citation, ...]
    open_facts: frozenset[str]  # section.fact keys that are unknown when not given
    deadlines: tuple[DeadlineSite, ...] = ()  # every `due(…)` expression of the rules, in provision order
    # Built on first use by runtime.py: the generated fast path (codegen.py), or its absence.
    derived: dict = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only for names that are no attribute: a kind's field. Guarded so that copying or unpickling,
        # which look attributes up before ``rules`` is set, get an AttributeError, not a recursion.
        if name.startswith("__") or name == "rules":
            raise AttributeError(name)
        try:
            return self.rules[name]
        except KeyError:
            raise AttributeError(f"a compiled policy has no {name!r}: no rule kind keeps its rules there") from None

    def rules_of(self, field: str) -> tuple[CRule, ...]:
        """The compiled rules in a field (a question's ``RuleKind.field``), as a tuple even for a single one."""
        value = self.rules[field]
        return value if isinstance(value, tuple) else () if value is None else (value,)

    def sections_read(self, rules) -> frozenset[str]:
        out: set[str] = set()
        for rule in rules:
            out |= rule.sections
        return frozenset(out)


def citation_of(provision: Provision) -> Citation:
    return Citation(provision.article, provision.paragraph, provision.item, provision.sub, provision.ref, provision.cite,
                    provision.text)


class _Compiler:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.by_provision = [(p, citation_of(p)) for p in checked.provisions]
        self.renewal_var: str | None = None
        self.bound: dict[str, RecordT] = {}  # the records quantifiers name (`any r in LIST where …`)
        self._walked: dict[int, tuple[object, list]] = {}  # id(expression) → (it, its nodes): ``nodes``
        self._readers: dict[str, Fn] = {}  # section.fact → the closure that reads it: ``x_Path``
        self._sections: dict[frozenset[str], frozenset[str]] = {}
        self.fact_types = {f"{name}.{field}": info.type for name, section in checked.sections.items()
                           for field, info in section.fields.items()}

    # -------------------------------------------------------------- expressions
    def expr(self, e) -> Fn:
        method = getattr(self, "x_" + type(e).__name__)
        return method(e)

    def x_Path(self, e: n.Path) -> Fn:
        head = e.parts[0]
        if head in self.bound:
            field = e.parts[1]
            info = self.bound[head].fields.get(field)
            if info is not None and info.type == NUMBER:
                return lambda env: exact(env.bound[head].get(field))
            return lambda env: env.bound[head].get(field)
        if head == self.renewal_var:
            field = e.parts[1]
            return lambda env: exact(env.var.get(field))
        key = e.dotted
        # A fact reads alike wherever it stands: one closure per fact, not per mention (a large policy
        # mentions the same few hundred facts tens of thousands of times).
        reader = self._readers.get(key)
        if reader is None:
            if self.fact_types.get(key) == NUMBER:
                reader = self._readers[key] = lambda env: exact(env.facts.get(key))
            else:
                reader = self._readers[key] = lambda env: env.facts.get(key)
        return reader

    def x_Literal(self, e: n.Literal) -> Fn:
        value = e.value
        return lambda env: value

    def x_Name(self, e: n.Name) -> Fn:
        value = e.name
        return lambda env: value

    def x_AsOf(self, e) -> Fn:
        return lambda env: env.as_of

    def x_Expired(self, e) -> Fn:
        return lambda env: env.expired

    def x_Dismissed(self, e) -> Fn:
        return lambda env: env.dismissed

    def x_LastDay(self, e) -> Fn:
        return lambda env: env.last_day

    def x_DismissalDay(self, e) -> Fn:
        return lambda env: env.dismissal_day

    def x_Not(self, e: n.Not) -> Fn:
        inner = self.expr(e.operand)

        def not_(env):
            v = inner(env)
            return None if v is None else not v
        return not_

    def x_And(self, e: n.And) -> Fn:
        parts = tuple(self.expr(o) for o in e.operands)
        return lambda env: kleene_and(part(env) for part in parts)

    def x_Or(self, e: n.Or) -> Fn:
        parts = tuple(self.expr(o) for o in e.operands)
        return lambda env: kleene_or(part(env) for part in parts)

    _OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}

    def x_Compare(self, e: n.Compare) -> Fn:
        op = self._OPS[e.op]
        left = self.expr(e.left)
        if isinstance(e.right, (n.Name, n.Literal)):
            constant = e.right.name if isinstance(e.right, n.Name) else e.right.value

            def compare_constant(env):
                v = left(env)
                return None if v is None else op(v, constant)
            return compare_constant
        right = self.expr(e.right)

        def compare(env):
            a = left(env)
            if a is None:
                return None
            b = right(env)
            return None if b is None else op(a, b)
        return compare

    def x_Member(self, e: n.Member) -> Fn:
        values = frozenset(v.name for v in e.values)
        operand = self.expr(e.operand)
        negated = e.negated

        def member(env):
            v = operand(env)
            return None if v is None else (v in values) != negated
        return member

    def x_Has(self, e: n.Has) -> Fn:
        value = e.value.name
        operand = self.expr(e.operand)

        def has(env):
            v = operand(env)
            return None if v is None else value in v
        return has

    def x_HasAny(self, e: n.HasAny) -> Fn:
        values = frozenset(v.name for v in e.values)
        operand = self.expr(e.operand)

        def has_any(env):
            v = operand(env)
            return None if v is None else not values.isdisjoint(v)
        return has_any

    def x_IsKnown(self, e: n.IsKnown) -> Fn:
        negated = e.negated
        if isinstance(e.operand, n.Name):
            section = e.operand.name
            return lambda env: (section in env.sections) != negated
        operand = self.expr(e.operand)
        return lambda env: (operand(env) is not None) != negated

    def x_IsEmpty(self, e: n.IsEmpty) -> Fn:
        operand = self.expr(e.operand)
        negated = e.negated

        def is_empty(env):
            v = operand(env)
            return None if v is None else (len(v) == 0) != negated
        return is_empty

    def x_Arith(self, e: n.Arith) -> Fn:
        op, left, right = e.op, self.expr(e.left), self.expr(e.right)
        return lambda env: arith(op, left(env), right(env))

    def x_Neg(self, e: n.Neg) -> Fn:
        operand = self.expr(e.operand)
        return lambda env: neg(operand(env))

    def x_Extreme(self, e: n.Extreme) -> Fn:
        op, parts = e.op, tuple(self.expr(o) for o in e.operands)
        return lambda env: extreme(op, [part(env) for part in parts])

    def x_Age(self, e: n.Age) -> Fn:
        header = self.checked.header
        convention = header.age if header is not None else None
        birth, on = self.expr(e.birth), self.expr(e.on)
        return lambda env: age(birth(env), on(env), convention)

    def x_Deadline(self, e: n.Deadline) -> Fn:
        base, amount, unit = self.expr(e.base), e.amount, e.unit
        return lambda env: deadline(base(env), amount, unit, env.calendar)

    def x_TermNumber(self, e: n.TermNumber) -> Fn:
        on = self.expr(e.on)

        def term_number(env):
            number_of = env.term_number  # set by the term question; None: no appointment known
            return None if number_of is None else number_of(on(env))
        return term_number

    def x_DateAfter(self, e) -> Fn:
        base, amount, unit, before = self.expr(e.base), e.amount, e.unit, isinstance(e, n.DateBefore)
        return lambda env: shift_date(base(env), amount, unit, env.calendar, before)

    x_DateBefore = x_DateAfter

    def x_Defined(self, e: n.Defined) -> Fn:
        return self.expr(e.expr)  # a definition's expression, written in place by the checker

    def x_YearOf(self, e: n.YearOf) -> Fn:
        operand = self.expr(e.operand)

        def year_of(env):
            day = operand(env)
            return None if day is None else day.year
        return year_of

    def x_Count(self, e: n.Count) -> Fn:
        source = self.expr(e.source)

        def count(env):
            items = source(env)
            return None if items is None else len(items)
        return count

    def x_Quantifier(self, e: n.Quantifier) -> Fn:
        source = self.expr(e.source)
        listed = self.fact_types.get(e.source.dotted)
        record = listed.element if isinstance(listed, ListT) else None
        var, kind = e.var, e.kind
        self.bound[var] = record if isinstance(record, RecordT) else RecordT(var, {})
        try:
            condition = self.expr(e.condition)
        finally:
            del self.bound[var]

        def quantifier(env):
            items = source(env)
            if items is None:
                return None
            bound = env.bound
            values = []
            for item in items:
                bound[var] = item
                values.append(condition(env))
            bound.pop(var, None)
            return fold(kind, values)
        return quantifier

    def x_Violates(self, e: n.Violates) -> Fn:
        checks = tuple((rule.key, rule.field, rule.codes) for rule in self.prohibitions_under(e.ref))
        return lambda env: violated(env.facts.get, checks)

    def x_Satisfies(self, e: n.Satisfies) -> Fn:
        parts = tuple(rule.fn for rule in self.requirements_under(e.ref))
        cache_key = e.ref.key

        def satisfies(env):
            cached = env.cache.get(cache_key, env)
            if cached is not env:
                return cached
            result = env.cache[cache_key] = kleene_and(part(env) for part in parts)
            return result
        return satisfies

    # -------------------------------------------------------------- reads
    def nodes(self, e) -> list:
        """``n.walk(e)`` as a list, kept: a rule's condition is read for its facts, its records and whether
        it is steady, and a 10,000-article policy walked each condition that many times."""
        kept = self._walked.get(id(e))
        if kept is None or kept[0] is not e:
            kept = self._walked[id(e)] = (e, list(n.walk(e)))  # holding e keeps its id unique meanwhile
        return kept[1]

    def reads(self, *exprs) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for e in exprs:
            if e is None:
                continue
            nodes = self.nodes(e)
            # A quantifier's record is no section (the checker sees to it that no name is both).
            bound = {node.var for node in nodes if isinstance(node, n.Quantifier)}
            for node in nodes:
                if isinstance(node, n.Path) and node.parts[0] != self.renewal_var and node.parts[0] not in bound:
                    out[node.dotted] = None
                elif isinstance(node, n.Satisfies):
                    for rule in self.requirements_under(node.ref):
                        out.update(dict.fromkeys(rule.reads))
                elif isinstance(node, n.Violates):
                    for rule in self.prohibitions_under(node.ref):
                        out[rule.key] = None
        return tuple(out)

    # -------------------------------------------------------------- rules
    def requirements_under(self, ref: n.ArticleRef) -> list[CRule]:
        return [r for r in self.requirements if ref.covers(r.citation)]

    def prohibitions_under(self, ref: n.ArticleRef) -> list[CRule]:
        return [r for r in self.prohibitions if ref.covers(r.citation)]

    def partial(self, *exprs, entry: tuple[str | None, str | None] = (None, None)) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The lists of records whose optional (``= unknown``) fields the expressions read, each with those
        fields: through a quantifier's variable, the entry a renewal or a per-entry conclusion names
        (``entry``: its variable and list), or a prohibition over records that ``violates`` refers to
        (``satisfies``: what its requirements read so)."""
        out: dict[str, dict[str, None]] = {}
        var, key = entry
        listed = self.fact_types.get(key) if key is not None else None
        record = listed.element if isinstance(listed, ListT) else None
        for e in exprs:
            if e is None or var is None or not isinstance(record, RecordT):
                continue
            for node in self.nodes(e):
                if isinstance(node, n.Path) and node.parts[0] == var and len(node.parts) == 2:
                    info = record.fields.get(node.parts[1])
                    if info is not None and info.optional:
                        out.setdefault(key, {})[node.parts[1]] = None
        for e in exprs:
            if e is None:
                continue
            for node in self.nodes(e):
                if isinstance(node, n.Quantifier):
                    listed = self.fact_types.get(node.source.dotted)
                    record = listed.element if isinstance(listed, ListT) else None
                    if not isinstance(record, RecordT):
                        continue
                    for inner in n.walk(node.condition):
                        if isinstance(inner, n.Path) and inner.parts[0] == node.var and len(inner.parts) == 2:
                            info = record.fields.get(inner.parts[1])
                            if info is not None and info.optional:
                                out.setdefault(node.source.dotted, {})[inner.parts[1]] = None
                elif isinstance(node, n.Violates):
                    for rule in self.prohibitions_under(node.ref):
                        listed = self.fact_types.get(rule.key)
                        record = listed.element if isinstance(listed, ListT) else None
                        info = record.fields.get(rule.field) if isinstance(record, RecordT) and rule.field else None
                        if info is not None and info.optional:
                            out.setdefault(rule.key, {})[rule.field] = None
                elif isinstance(node, n.Satisfies):
                    for rule in self.requirements_under(node.ref):
                        for key, fields in rule.partial:
                            out.setdefault(key, {}).update(dict.fromkeys(fields))
        return tuple((key, tuple(fields)) for key, fields in out.items())

    def cited(self, refs) -> tuple[Citation, ...]:
        """The citations of the provisions references name (``also citing``): an article's or a paragraph's
        own, each item of a range, a sub-item; each once, in the order named."""
        out: list[Citation] = []
        for ref in refs:
            for provision, citation in self.by_provision:
                if not ref.covers(provision):
                    continue
                if ref.item is None:  # the article (its first paragraph) or a later paragraph itself
                    wanted = None if ref.paragraph in (None, 1) else ref.paragraph
                    if provision.item is not None or provision.paragraph != wanted:
                        continue
                elif ref.sub is None and provision.sub is not None:
                    continue
                if citation not in out:
                    out.append(citation)
        return tuple(out)

    def sections(self, *exprs) -> frozenset[str]:
        """The sections whose facts the expressions read."""
        return frozenset(key.split(".", 1)[0] for key in self.reads(*exprs))

    def rule(self, kind: str, citation: Citation, order: int, condition=None, *, reads: tuple[str, ...] | None = None,
             sections: frozenset[str] | None = None, **extra) -> CRule:
        """A compiled rule: ``condition`` (if any) as its closure; by default it reads what the condition
        reads and lives in those facts' sections."""
        fn = self.expr(condition) if condition is not None else None
        reads = reads or self.reads(condition)
        if sections is None:
            sections = frozenset(key.split(".", 1)[0] for key in reads)
        sections = self._sections.setdefault(sections, sections)  # rules share the few distinct sets
        partial = self.partial(condition, extra.get("met_expr"), extra.get("breached_expr"), extra.get("value_expr"),
                               entry=(extra.get("var"), extra.get("key")))
        return CRule(kind, citation, fn, reads, sections, order, partial, expr=condition,
                     steady=self.steady(condition), **extra)

    def steady(self, *exprs) -> bool:
        """Whether a known value of the expressions stays what it is whatever their unknown facts turn out
        to be. Kleene's operators are monotone (an unknown operand that becomes known never changes a known
        result); ``is known`` / ``is unknown`` are not (a section's presence neither), nor is what reads a
        value derived from other questions (``expired``, ``dismissed`` …), nor a ``satisfies`` of a
        requirement that is not steady."""
        for e in exprs:
            for node in self.nodes(e) if e is not None else ():
                if isinstance(node, (n.IsKnown, n.Expired, n.Dismissed, n.LastDay, n.DismissalDay, n.TermNumber)):
                    return False
                if isinstance(node, n.Satisfies) and not all(r.steady for r in self.requirements_under(node.ref)):
                    return False
        return True

    def compile(self) -> CompiledPolicy:
        """Each rule as its question's ``RuleKind.compile`` says, into the kind's field. Requirements and
        prohibitions (``referenced``) first: `satisfies` and `violates` refer to them."""
        kinds = questions.rule_kinds()
        buckets: dict[str, list[CRule]] = {kind.field: [] for kind in kinds}
        # What `satisfies` and `violates` refer to (the expressions here read them).
        self.requirements = buckets[questions.referenced("satisfies").field]
        self.prohibitions = buckets[questions.referenced("violates").field]
        listed = []
        order = 0
        for provision, citation in self.by_provision:
            for rule in provision.rules:
                order += 1
                kind = questions.kind_of(rule)  # raises for a kind no question takes
                if kind is not None:
                    listed.append((kind, rule, citation, order))
        for referenced in (True, False):
            for kind, rule, citation, order in listed:
                if kind.referenced is referenced:
                    buckets[kind.field].append(kind.compile(self, kind.kind, rule, citation, order))
        fields: dict[str, object] = {}
        for kind in kinds:
            bucket = buckets[kind.field]
            fields[kind.field] = (bucket[0] if bucket else None) if kind.single else tuple(bucket)
        header = self.checked.header
        deadlines = tuple(self.deadline_sites())
        self._walked.clear()  # what later expressions (an ExpressionCompiler's) walk is theirs to keep
        return CompiledPolicy(
            id=header.id if header else "", title=header.title if header else None, checked=self.checked,
            rules=fields, citations=tuple(c for _, c in self.by_provision),
            open_facts=frozenset(f"{name}.{fname}" for name, section in self.checked.sections.items()
                                 for fname, info in section.fields.items() if not info.closed),
            deadlines=deadlines)

    def deadline_sites(self) -> list[DeadlineSite]:
        """Every ``due(…)`` of the rules (``deadline_binders``), its base compiled with the records it reads."""
        out = []
        for citation, binders, node in deadline_binders(self.checked, self.by_provision):
            for var, key, how in binders:
                if how == "var":
                    self.renewal_var = var
                else:
                    listed = self.fact_types.get(key)
                    record = listed.element if isinstance(listed, ListT) else None
                    self.bound[var] = record if isinstance(record, RecordT) else RecordT(var, {})
            try:
                out.append(DeadlineSite(citation, binders, self.expr(node.base), node))
            finally:
                self.renewal_var = None
                self.bound.clear()
        return out


class ExpressionCompiler(_Compiler):
    """Compiles further expressions of a checked policy into closures ``env -> value`` (Kleene's three
    values), exactly as its rules' conditions are: ``satisfies`` and ``violates`` see the policy's own
    requirements and prohibitions, which the constructor compiles first.

    Extension point: a subclass may add or override ``x_<Node>`` methods (``x_Path``, ``x_Compare`` …),
    one per node class of ``nodes``, each taking the node and returning its closure; ``super()`` gives
    the rule semantics. They apply to the policy's rules too (``invariants`` reads decision fields so)."""

    def __init__(self, checked: Checked):
        super().__init__(checked)
        self.compile()  # collects the requirements and prohibitions that `satisfies`/`violates` refer to

    def expression(self, e, *, renewal_var: str | None = None) -> Fn:
        """The closure of expression ``e``; ``renewal_var`` names the renewal record a renewal
        condition's paths may start with (read from ``env.var``)."""
        self.renewal_var = renewal_var
        try:
            return self.expr(e)
        finally:
            self.renewal_var = None


def deadline_binders(checked: Checked, by_provision=None) -> list[tuple[Citation, tuple, n.Deadline]]:
    """Each ``due(…)`` expression of the rules, in provision order and, within a rule, depth first in the
    order of its fields (an outer one before those in its base): its rule's citation, the records its
    base reads by name — ``(name, list fact, "var")`` for the rule's own record (a renewal's, a
    per-entry conclusion's: ``questions.base.record_scope``), ``(name, list fact, "bound")`` for each
    quantifier it stands in, outermost first — and the node."""
    out: list = []

    def visit(node, citation, binders) -> None:
        if isinstance(node, (tuple, list)):
            for item in node:
                visit(item, citation, binders)
            return
        if not attrs.has(type(node)):
            return
        if isinstance(node, n.Deadline):
            out.append((citation, binders, node))
        for field in attrs.fields(type(node)):
            if field.name == "span":
                continue
            inner = binders
            if isinstance(node, n.Quantifier) and field.name == "condition":
                inner = (*binders, (node.var, node.source.dotted, "bound"))
            visit(getattr(node, field.name), citation, inner)

    pairs = by_provision if by_provision is not None else [(p, citation_of(p)) for p in checked.provisions]
    for provision, citation in pairs:
        for rule in provision.rules:
            kind = questions.kind_of(rule)
            if kind is None or not n.contains(rule, n.Deadline):
                continue
            scope = record_scope(kind, rule, checked.provisions)
            visit(rule, citation, ((scope[0], scope[1].dotted, "var"),) if scope is not None else ())
    return out


def fold(kind: str, values: list) -> object:
    """A quantifier's value from its condition's value on each record: ``any`` (Kleene's or: true if
    some record is, else unknown if some is unknown), ``all`` (Kleene's and: true for no records at
    all), ``no`` (not ``any``), ``count`` (how many are true; unknown if any is unknown)."""
    if kind == "any":
        return kleene_or(values)
    if kind == "all":
        return kleene_and(values)
    if kind == "no":
        found = kleene_or(values)
        return None if found is None else not found
    if any(v is None for v in values):
        return None
    return sum(1 for v in values if v is True)


def violated(get, checks) -> bool | None:
    """``violates``: whether some fact ``get(key)`` records one of its prohibited ``codes``, for the
    ``(key, field, codes)`` of the prohibitions referred to: the list's values, or with a ``field`` its
    entries' (Kleene's or: unknown if some list is, or some entry's field, and none is prohibited)."""
    result: bool | None = False
    for key, field, codes in checks:
        value = get(key)
        if value is None:
            result = None
        elif field is None:
            if not codes.isdisjoint(value):
                return True
        else:
            for entry in value:
                code = entry.get(field)
                if code is None:
                    result = None
                elif code in codes:
                    return True
    return result


def partly_missing(facts, partial) -> list[str]:
    """Of the ``(list key, fields)`` a rule reads, the lists with an entry that leaves one of those fields
    out (so it is unknown): missing facts where the rule's answer is unknown."""
    out = []
    for key, fields in partial:
        entries = facts.get(key)
        if entries and any(entry.get(f) is None for entry in entries for f in fields):
            out.append(key)
    return out


def compile_policy(checked: Checked) -> CompiledPolicy:
    """Compile a checked policy (which must have no errors)."""
    with collector.paused():  # (half the time of a 10,000-article policy's compilation, run)
        return _Compiler(checked).compile()
