"""Eligibility: the requirements (``require``) and preferences (``prefer``) of appointment.

Requirements are compiled first: ``satisfies`` refers to them, and renewals cite them.
"""

from __future__ import annotations

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Eligibility, EligibilityResult
from supervisor_rules.questions.base import (Question, RuleKind, also_refs, also_words, check_also, guard_words,
                                             kleene_or, with_also)


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Require:
    """``require X [when G] [also citing REF, …]``: a requirement of appointment (where ``G`` holds)."""

    condition: n.Expr
    guard: n.Expr | None = None
    also: tuple[n.ArticleRef, ...] = ()  # provisions an unmet (undetermined) requirement cites beside its own
    span: n.Span = n.span_field()


@attrs.frozen
class Prefer:
    """``prefer X [when G]``: a preference among candidates."""

    condition: n.Expr
    guard: n.Expr | None = None
    span: n.Span = n.span_field()


def _builder(cls):
    def build(b, c):
        exprs = [x for x in c if not b.is_token(x) and not isinstance(x, n.AlsoCiting)]
        also = {"also": also_refs(c)} if cls is Require else {}
        return cls(exprs[0], exprs[1] if len(exprs) > 1 else None, **also, span=b.span(c))
    return build


# ------------------------------------------------------------------ checks
def check(chk, rule, provision, state) -> None:
    chk.condition(rule.condition)
    if rule.guard is not None:
        chk.condition(rule.guard)
    chk.reachable(rule.condition if rule.guard is None else n.And((rule.guard, rule.condition)), rule)
    if isinstance(rule, Require):
        check_also(chk, rule)


# ------------------------------------------------------------------ what the tools read
def _conditions(rule) -> tuple:
    return (rule.condition,) + ((rule.guard,) if rule.guard is not None else ())


def _roles(kind: str, rule, words) -> list:
    """One qualification role per fact the condition reads: a diff follows each fact across policies."""
    return [("qualifications", (fact,), f"{kind}{guard_words(rule, words)}: {words.fact_words(rule.condition, fact)}")
            for fact in words.reads(rule.condition)]


# ------------------------------------------------------------------ compilation
def _guarded(rule):
    """The condition of a rule with an optional ``when`` guard: true where the guard does not hold."""
    return rule.condition if rule.guard is None else n.Or((n.Not(rule.guard), rule.condition))


def compile_require(c, kind, rule, citation, order):
    # A requirement's section is that of what it requires, not of its guard.
    return c.rule(kind, citation, order, _guarded(rule), reads=c.reads(rule.condition, rule.guard),
                  sections=c.sections(rule.condition), also=c.cited(rule.also))


def compile_prefer(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, _guarded(rule))


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["eligibility"] = _eligibility(policy, ev)


def _eligibility(policy, ev) -> Eligibility:
    env, note = ev.env, ev.note
    if not policy.requirements or not (policy.sections_read(policy.requirements) & ev.sections):
        return Eligibility(EligibilityResult.NOT_APPLICABLE)
    unmet: list = []
    undetermined: list = []
    open_, settled = [], False
    for rule in policy.requirements:
        value = note(rule, rule.fn(env), advisory=True)
        if value is False:
            unmet.append(rule.citation)
            with_also(unmet, rule.also)
            settled = settled or rule.steady
        elif value is None:
            undetermined.append(rule.citation)
            with_also(undetermined, rule.also)
            open_.append(rule)
    # A requirement that is false (and stays so, ``steady``) settles the result: the facts of the
    # unknown ones are missing only while none is.
    if not settled:
        for rule in open_:
            ev.unknown(rule)
    result = (EligibilityResult.INELIGIBLE if unmet else
              EligibilityResult.UNKNOWN if undetermined else EligibilityResult.ELIGIBLE)
    preferred, preferences = None, []
    if policy.preferences:
        values = [note(rule, rule.fn(env)) for rule in policy.preferences]
        preferences = [rule.citation for rule, v in zip(policy.preferences, values) if v is True]
        preferred = kleene_or(values)
    return Eligibility(result, tuple(unmet), tuple(undetermined), preferred, tuple(preferences))


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    na = gen.const(Eligibility(EligibilityResult.NOT_APPLICABLE))
    test = gen.applicable(policy.requirements) if policy.requirements else None
    if test is None:
        gen.emit(f"eligibility = {na}")
        return
    # Which requirements are unmet / undetermined (and which preferences hold / are unknown), as bit
    # masks: the Eligibility for a combination is built once and then shared (it is immutable). The
    # requirements' values `q<i>` are computed at the top (`satisfies` and renewals read them too).
    gen.emit(f"if {test}:")
    gen.depth += 1
    gen.emit("outcome = 0")
    open_ = [(i, rule) for i, rule in enumerate(policy.requirements) if gen.misses(rule)]
    settling = open_ and any(rule.steady for rule in policy.requirements)
    if settling:
        gen.emit("unmet_surely = False")
    for i, rule in enumerate(policy.requirements):
        gen.trace.step(gen.trace.site(rule), f"q{i}")
    bit = 1
    for i, rule in enumerate(policy.requirements):
        gen.emit(f"if q{i} is not True:")
        gen.depth += 1
        gen.emit(f"if q{i} is False:")
        gen.emit(f"    outcome |= {bit}")
        if settling and rule.steady:
            gen.emit("    unmet_surely = True")
        gen.emit("else:")
        gen.depth += 1
        gen.emit(f"outcome |= {bit << 1}")
        gen.depth -= 2
        bit <<= 2
    # The unknown requirements' facts, unless a (steady) requirement is unmet: that settles the result.
    if open_:
        if settling:
            gen.emit("if not unmet_surely:")
            gen.depth += 1
        for i, rule in open_:
            gen.emit(f"if q{i} is None:")
            gen.depth += 1
            gen.missing(rule)
            gen.depth -= 1
        if settling:
            gen.depth -= 1
    for i, rule in enumerate(policy.preferences):
        gen.rule_value(rule, f"p{i}")
        gen.trace.step(gen.trace.site(rule), f"p{i}")
        gen.emit(f"if p{i} is True:")
        gen.emit(f"    outcome |= {bit}")
        gen.emit(f"elif p{i} is None:")
        gen.depth += 1
        gen.emit(f"outcome |= {bit << 1}")
        gen.missing(rule)
        gen.depth -= 1
        bit <<= 2
    memo = gen.const(Eligibilities(policy))
    gen.emit(f"eligibility = {memo}.get_or_make(outcome)")
    gen.depth -= 1
    gen.emit("else:")
    gen.emit(f"    eligibility = {na}")


class Eligibilities(dict):
    """Eligibility by outcome mask: bits 2i / 2i+1 say requirement i is unmet / undetermined, then
    preference j holds / is unknown. Filled as combinations occur (bounded)."""

    LIMIT = 4096

    def __init__(self, policy):
        super().__init__()
        self.requirements = policy.requirements
        self.preferences = policy.preferences

    def make(self, outcome: int) -> Eligibility:
        unmet: list = []
        undetermined: list = []
        held, open_ = [], False
        for rule in self.requirements:
            if outcome & 1:
                unmet.append(rule.citation)
                with_also(unmet, rule.also)
            elif outcome & 2:
                undetermined.append(rule.citation)
                with_also(undetermined, rule.also)
            outcome >>= 2
        for rule in self.preferences:
            if outcome & 1:
                held.append(rule.citation)
            elif outcome & 2:
                open_ = True
            outcome >>= 2
        result = (EligibilityResult.INELIGIBLE if unmet else EligibilityResult.UNKNOWN if undetermined
                  else EligibilityResult.ELIGIBLE)
        preferred = (True if held else None if open_ else False) if self.preferences else None
        return Eligibility(result, tuple(unmet), tuple(undetermined), preferred, tuple(held))

    def get_or_make(self, outcome: int) -> Eligibility:
        found = self.get(outcome)
        if found is None:
            found = self.make(outcome)
            if len(self) < self.LIMIT:
                self[outcome] = found
        return found


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads_require(policy, rule) -> None:
    rule.reads = policy.reads(rule.node.condition, rule.node.guard)
    # A requirement asks about the section of what it requires, not of its guard.
    rule.sections = policy.sections_of(policy.reads(rule.node.condition))


def ref_reads_prefer(policy, rule) -> None:
    # A preference `prefer X when G` reads as `(not G) or X`: its guard is read first.
    rule.reads = policy.reads(rule.node.guard, rule.node.condition)


def ref_holds(run, rule):
    """A requirement (or preference) ``X when G`` holds as ``(not G) or X``."""
    node = rule.node
    if node.guard is None:
        return run.value(node.condition)
    return run.any_of((run.not_(run.value(node.guard)), run.value(node.condition)))


def reference(run) -> None:
    run.decided["eligibility"] = _ref_eligibility(run)


def _ref_eligibility(run) -> Eligibility:
    requirements, preferences_ = run.policy.of(Require), run.policy.of(Prefer)
    asked: frozenset[str] = frozenset().union(*(rule.sections for rule in requirements))
    if not requirements or not asked & run.sections:
        return Eligibility(EligibilityResult.NOT_APPLICABLE)
    unmet: list = []
    undetermined: list = []
    unknown_rules = []
    decided = False  # a requirement is false, whatever the facts the case lacks turn out to be
    for rule in requirements:
        holds = ref_holds(run, rule)
        run.step(rule, "require", holds)
        if holds is not True:  # the requirement's provision, then those it also cites, each once
            listed = unmet if holds is False else undetermined
            listed.append(rule.citation)
            for citation in run.policy.named(rule.node.also):
                if citation not in listed:
                    listed.append(citation)
        if holds is False and run.policy.steady(rule):
            decided = True
        if holds is None:
            unknown_rules.append(rule)
    if not decided:  # an unknown requirement can still change the result only while none is false
        for rule in unknown_rules:
            run.unknown(rule)
    if unmet:
        result = EligibilityResult.INELIGIBLE
    elif undetermined:
        result = EligibilityResult.UNKNOWN
    else:
        result = EligibilityResult.ELIGIBLE
    preferred: bool | None = None
    held = []
    if preferences_:
        values = []
        for rule in preferences_:
            holds = ref_holds(run, rule)
            run.step(rule, "prefer", holds)
            values.append(holds)
            if holds is True:
                held.append(rule.citation)
            elif holds is None:
                run.unknown(rule)
        preferred = True if held else None if None in values else False
    return Eligibility(result, tuple(unmet), tuple(undetermined), preferred, tuple(held))


QUESTION = Question(
    "eligibility", ("eligibility",),
    (RuleKind(Require, "require", "requirements", compile_require, referenced=True, sides=("met", "unmet"),
              conditions=_conditions,
              describe=lambda r, w: f"requires {w.expr(r.condition)}{guard_words(r, w)}{also_words(r)}",
              roles=lambda r, w: _roles("requirement", r, w),
              statement="require", syntax={"require": _builder(Require)}, check=check,
              may_read=frozenset({"as_of"}),
              words="a requirement", word="require", referenced_by="satisfies",
              none_referenced="has no requirements", ref_reads=ref_reads_require, ref_holds=ref_holds),
     RuleKind(Prefer, "prefer", "preferences", compile_prefer, sides=("holding", "not holding"),
              conditions=_conditions, describe=lambda r, w: f"prefers {w.expr(r.condition)}{guard_words(r, w)}",
              roles=lambda r, w: _roles("preference", r, w),
              statement="prefer", syntax={"prefer": _builder(Prefer)}, check=check,
              may_read=frozenset({"as_of"}),
              words="a preference", word="prefer", ref_reads=ref_reads_prefer)),
    interpret, generate, reference=reference, order=10,
    namespace={"Eligibility": Eligibility, "INELIGIBLE": EligibilityResult.INELIGIBLE,
               "UNKNOWN": EligibilityResult.UNKNOWN, "ELIGIBLE": EligibilityResult.ELIGIBLE})
