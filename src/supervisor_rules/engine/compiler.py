"""Checked AST → ``CompiledPolicy``: every condition becomes a Python closure, once.

Values are Kleene's three: ``True``, ``False`` and ``None`` (unknown). A closure
takes the evaluation environment (``runtime.Env``) and never walks the tree.
No rule text reaches ``eval``/``exec``: literals become Python constants.
"""

from __future__ import annotations

import gc
import operator
from typing import Callable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import Checked, ListT, Provision, RecordT
from supervisor_rules.contracts.decision import Citation

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
    # kind-specific settings
    effect: str | None = None  # ground
    recusal: str | None = None  # recusal kind
    decided_by: str | None = None
    code: str | None = None  # duty code
    codes: frozenset[str] = frozenset()  # prohibited values
    key: str | None = None  # prohibited list fact / date fact
    met: Fn | None = None
    breached: Fn | None = None
    due: tuple | None = None  # (amount, unit, base key)
    done_key: str | None = None
    text: str | None = None  # notice message, reward rules
    requirements: tuple = ()  # renewal: the requirements a `satisfies` condition stands for
    field: str | None = None  # renewal: the record's date field
    var: str | None = None  # renewal: the name its condition gives the record
    # The checked expressions behind fn / met / breached, for the code generator (codegen.py).
    expr: object = attrs.field(default=None, eq=False, repr=False)
    met_expr: object = attrs.field(default=None, eq=False, repr=False)
    breached_expr: object = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class CompiledPolicy:
    id: str
    title: str | None
    checked: Checked
    requirements: tuple[CRule, ...]
    preferences: tuple[CRule, ...]
    term: CRule | None
    renewal: CRule | None
    dismissal_record: CRule | None
    grounds: tuple[CRule, ...]
    recusals: tuple[CRule, ...]
    prohibitions: tuple[CRule, ...]
    duties: tuple[CRule, ...]
    scopes: tuple[CRule, ...]
    categories: tuple[CRule, ...]
    rewards: tuple[CRule, ...]
    notices: tuple[CRule, ...]
    citations: tuple[Citation, ...]
    open_facts: frozenset[str]  # section.fact keys that are unknown when not given
    # Built on first use by runtime.py: the generated fast path (codegen.py), or its absence.
    derived: dict = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def sections_read(self, rules) -> frozenset[str]:
        out: set[str] = set()
        for rule in rules:
            out |= rule.sections
        return frozenset(out)


def citation_of(provision: Provision) -> Citation:
    return Citation(provision.article, provision.item, provision.sub, provision.ref, provision.cite,
                    provision.text)


class _Compiler:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.by_provision = [(p, citation_of(p)) for p in checked.provisions]
        self.renewal_var: str | None = None

    # -------------------------------------------------------------- expressions
    def expr(self, e) -> Fn:
        method = getattr(self, "x_" + type(e).__name__)
        return method(e)

    def x_Path(self, e: n.Path) -> Fn:
        if e.parts[0] == self.renewal_var:
            field = e.parts[1]
            return lambda env: env.var.get(field)
        key = e.dotted
        return lambda env: env.facts.get(key)

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

    def x_Not(self, e: n.Not) -> Fn:
        inner = self.expr(e.operand)

        def not_(env):
            v = inner(env)
            return None if v is None else not v
        return not_

    def x_And(self, e: n.And) -> Fn:
        parts = tuple(self.expr(o) for o in e.operands)

        def and_(env):
            result = True
            for part in parts:
                v = part(env)
                if v is False:
                    return False
                if v is None:
                    result = None
            return result
        return and_

    def x_Or(self, e: n.Or) -> Fn:
        parts = tuple(self.expr(o) for o in e.operands)

        def or_(env):
            result = False
            for part in parts:
                v = part(env)
                if v is True:
                    return True
                if v is None:
                    result = None
            return result
        return or_

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

    def x_Violates(self, e: n.Violates) -> Fn:
        checks = tuple((rule.key, rule.codes) for rule in self.prohibitions_under(e.ref))

        def violates(env):
            result = False
            for key, codes in checks:
                v = env.facts.get(key)
                if v is None:
                    result = None
                elif not codes.isdisjoint(v):
                    return True
            return result
        return violates

    def x_Satisfies(self, e: n.Satisfies) -> Fn:
        parts = tuple(rule.fn for rule in self.requirements_under(e.ref))
        cache_key = (e.ref.article, e.ref.item)

        def satisfies(env):
            cached = env.cache.get(cache_key, env)
            if cached is not env:
                return cached
            result = True
            for part in parts:
                v = part(env)
                if v is False:
                    result = False
                    break
                if v is None:
                    result = None
            env.cache[cache_key] = result
            return result
        return satisfies

    # -------------------------------------------------------------- reads
    def reads(self, *exprs) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for e in exprs:
            if e is None:
                continue
            for node in n.walk(e):
                if isinstance(node, n.Path) and node.parts[0] != self.renewal_var:
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
        return [r for r in self.requirements if _within(r.citation, ref)]

    def prohibitions_under(self, ref: n.ArticleRef) -> list[CRule]:
        return [r for r in self.prohibitions if _within(r.citation, ref)]

    def rule(self, kind: str, rule, citation: Citation, order: int, condition=None, **extra) -> CRule:
        fn = self.expr(condition) if condition is not None else None
        reads = extra.pop("reads", None) or self.reads(condition)
        sections = frozenset(key.split(".", 1)[0] for key in reads)
        return CRule(kind, citation, fn, reads, sections, order, expr=condition, **extra)

    def compile(self) -> CompiledPolicy:
        buckets: dict[str, list[CRule]] = {k: [] for k in (
            "require", "prefer", "term", "renewal", "record", "ground", "recusal", "prohibit", "duty", "scope",
            "category", "reward", "notice")}
        self.requirements = buckets["require"]
        self.prohibitions = buckets["prohibit"]
        # Requirements and prohibitions first: `satisfies` and `violates` refer to them.
        order = 0
        for provision, citation in self.by_provision:
            for rule in provision.rules:
                order += 1
                if isinstance(rule, n.Require):
                    condition = rule.condition if rule.guard is None else n.Or((n.Not(rule.guard), rule.condition))
                    reads = self.reads(rule.condition, rule.guard)
                    compiled = self.rule("require", rule, citation, order, condition, reads=reads)
                    # A requirement's section is that of what it requires, not of its guard.
                    compiled = attrs.evolve(compiled, sections=frozenset(
                        k.split(".", 1)[0] for k in self.reads(rule.condition)))
                    buckets["require"].append(compiled)
                elif isinstance(rule, n.Prohibit):
                    buckets["prohibit"].append(CRule("prohibit", citation, None, (rule.path.dotted,),
                                                     frozenset({rule.path.parts[0]}), order,
                                                     codes=frozenset(v.name for v in rule.values),
                                                     key=rule.path.dotted))
        order = 0
        for provision, citation in self.by_provision:
            for rule in provision.rules:
                order += 1
                if isinstance(rule, n.Prefer):
                    condition = rule.condition if rule.guard is None else n.Or((n.Not(rule.guard), rule.condition))
                    buckets["prefer"].append(self.rule("prefer", rule, citation, order, condition))
                elif isinstance(rule, n.Term):
                    buckets["term"].append(CRule("term", citation, None, (rule.start.dotted,),
                                                 frozenset({rule.start.parts[0]}), order,
                                                 due=(rule.amount, rule.unit, rule.start.dotted)))
                elif isinstance(rule, n.Renewal):
                    self.renewal_var = rule.var
                    requirements = ()
                    if isinstance(rule.condition, n.Satisfies):
                        requirements = tuple(self.requirements_under(rule.condition.ref))
                    buckets["renewal"].append(self.rule("renewal", rule, citation, order, rule.condition,
                                                        key=rule.source.dotted, field=rule.dated.parts[1],
                                                        requirements=requirements, var=rule.var))
                    self.renewal_var = None
                elif isinstance(rule, n.DismissalRecord):
                    buckets["record"].append(CRule("record", citation, None, (rule.path.dotted,),
                                                   frozenset({rule.path.parts[0]}), order, key=rule.path.dotted))
                elif isinstance(rule, n.Ground):
                    buckets["ground"].append(self.rule("ground", rule, citation, order, rule.condition,
                                                       effect=rule.effect))
                elif isinstance(rule, n.Recusal):
                    buckets["recusal"].append(self.rule("recusal", rule, citation, order, rule.condition,
                                                        recusal=rule.kind, decided_by=rule.decided_by))
                elif isinstance(rule, n.Duty):
                    due = (rule.due.amount, rule.due.unit, rule.due.base.dotted) if rule.due else None
                    reads = self.reads(rule.when, rule.met, rule.breached,
                                       rule.due.base if rule.due else None, rule.done_on)
                    compiled = self.rule(
                        "duty", rule, citation, order, rule.when, reads=reads, code=rule.code,
                        met=self.expr(rule.met) if rule.met is not None else None,
                        breached=self.expr(rule.breached) if rule.breached is not None else None,
                        met_expr=rule.met, breached_expr=rule.breached,
                        due=due, done_key=rule.done_on.dotted if rule.done_on else None)
                    buckets["duty"].append(attrs.evolve(compiled, sections=frozenset(
                        k.split(".", 1)[0] for k in self.reads(rule.when))))
                elif isinstance(rule, n.ReportScope):
                    buckets["scope"].append(self.rule("scope", rule, citation, order, rule.condition))
                elif isinstance(rule, n.ReportCategory):
                    buckets["category"].append(self.rule("category", rule, citation, order, rule.condition))
                elif isinstance(rule, n.Reward):
                    buckets["reward"].append(self.rule("reward", rule, citation, order, rule.condition,
                                                       text=rule.rules))
                elif isinstance(rule, n.Notice):
                    buckets["notice"].append(self.rule("notice", rule, citation, order, rule.condition,
                                                       text=rule.message))
        header = self.checked.header
        return CompiledPolicy(
            id=header.id if header else "", title=header.title if header else None, checked=self.checked,
            requirements=tuple(buckets["require"]), preferences=tuple(buckets["prefer"]),
            term=buckets["term"][0] if buckets["term"] else None,
            renewal=buckets["renewal"][0] if buckets["renewal"] else None,
            dismissal_record=buckets["record"][0] if buckets["record"] else None,
            grounds=tuple(buckets["ground"]), recusals=tuple(buckets["recusal"]),
            prohibitions=tuple(buckets["prohibit"]), duties=tuple(buckets["duty"]),
            scopes=tuple(buckets["scope"]), categories=tuple(buckets["category"]),
            rewards=tuple(buckets["reward"]), notices=tuple(buckets["notice"]),
            citations=tuple(c for _, c in self.by_provision),
            open_facts=frozenset(f"{name}.{fname}" for name, section in self.checked.sections.items()
                                 for fname, info in section.fields.items() if not info.closed))


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


def _within(citation: Citation, ref: n.ArticleRef) -> bool:
    return citation.article == ref.article and (ref.item is None or citation.item == ref.item)


def compile_policy(checked: Checked) -> CompiledPolicy:
    """Compile a checked policy (which must have no errors)."""
    # Compiling allocates many small objects and frees none: the cyclic collector, run meanwhile,
    # would only rescan the growing heap (half the time for a 10,000-article policy). Pause it.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Compiler(checked).compile()
    finally:
        if enabled:
            gc.enable()
