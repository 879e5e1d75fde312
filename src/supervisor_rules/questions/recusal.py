"""Recusal: whether the appointee must (``required``) or may ask to (``request``) stand aside,
and who decides (``recusal``)."""

from __future__ import annotations

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import RecusalResult
from supervisor_rules.contracts.decision import Recusal as DecisionRecusal
from supervisor_rules.questions.base import (Question, RuleKind, also_refs, also_words, check_also,
                                             check_condition, condition_only, reads_key, ref_reads_condition,
                                             with_also)


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Recusal:
    """``recusal required|request decided by supervisor|department when X [also citing REF, …]``."""

    kind: str  # "required" | "request"
    decided_by: str  # "supervisor" | "department"
    condition: n.Expr
    also: tuple[n.ArticleRef, ...] = ()  # provisions the recusal cites beside its own
    span: n.Span = n.span_field()


def build_recusal(b, c):
    kind = next(x for x in c if b.is_token(x, "RECUSAL_KIND"))
    actor = next(x for x in c if b.is_token(x, "ACTOR"))
    condition = [x for x in c if not b.is_token(x) and not isinstance(x, n.AlsoCiting)][-1]
    return Recusal(b.value(kind), b.value(actor), condition, also_refs(c), span=b.span(c))


def check(chk, rule, provision, state) -> None:
    check_condition(chk, rule, provision, state)
    check_also(chk, rule)

#: Where several recusal rules hold, the strongest kind wins; all of that kind are cited.
RANK = {"required": 2, "request": 1}


def compile_recusal(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, recusal=rule.kind, decided_by=rule.decided_by,
                  also=c.cited(rule.also))


def strongest(holding) -> DecisionRecusal:
    """The recusal for the recusal rules that hold (at least one): the strongest kind, decided by the
    first rule of that kind, citing all of them, each followed by what it also cites."""
    rank = max(RANK[r.recusal] for r in holding)
    chosen = [r for r in holding if RANK[r.recusal] == rank]
    grounds: list = []
    for rule in chosen:
        grounds.append(rule.citation)
        with_also(grounds, rule.also)
    return DecisionRecusal(RecusalResult(chosen[0].recusal), chosen[0].decided_by, tuple(grounds))


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["recusal"] = _recusal(policy, ev)


def _recusal(policy, ev) -> DecisionRecusal:
    env, note = ev.env, ev.note
    if not policy.recusals or not (policy.sections_read(policy.recusals) & ev.sections):
        return DecisionRecusal(RecusalResult.NOT_APPLICABLE)
    holding, unknown = [], []
    for rule in policy.recusals:
        value = note(rule, rule.fn(env), advisory=True)
        if value is True:
            holding.append(rule)
        elif value is None:
            unknown.append(rule)
    # An unknown rule changes nothing where a rule of a stronger kind holds (and stays so, ``steady``):
    # its facts are missing only where none does.
    settled = max((RANK[r.recusal] for r in holding if r.steady), default=0)
    for rule in unknown:
        if RANK[rule.recusal] >= settled:
            ev.unknown(rule)
    if not holding:
        return DecisionRecusal(RecusalResult.UNKNOWN if unknown else RecusalResult.NOT_REQUIRED)
    return strongest(holding)


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    na = gen.const(DecisionRecusal(RecusalResult.NOT_APPLICABLE))
    test = gen.applicable(policy.recusals) if policy.recusals else None
    if test is None:
        gen.emit(f"recusal = {na}")
        return
    gen.emit(f"if {test}:")
    gen.depth += 1
    gen.emit("holding = []")
    gen.emit("recusal_unknown = False")
    for i, rule in enumerate(policy.recusals):
        gen.rule_value(rule, f"r{i}")
        gen.trace.step(gen.trace.site(rule), f"r{i}")
        gen.emit(f"if r{i} is True:")
        gen.emit(f"    holding.append({i})")
        gen.emit(f"elif r{i} is None:")
        gen.emit("    recusal_unknown = True")
    # An unknown rule's facts, unless a steady rule of a stronger kind holds.
    for i, rule in enumerate(policy.recusals):
        if not gen.misses(rule):
            continue
        stronger = [f"r{j} is True" for j, other in enumerate(policy.recusals)
                    if other.steady and RANK[other.recusal] > RANK[rule.recusal]]
        gen.emit(f"if r{i} is None{' and not (' + ' or '.join(stronger) + ')' if stronger else ''}:")
        gen.depth += 1
        gen.missing(rule)
        gen.depth -= 1
    gen.emit("if holding:")
    gen.emit(f"    recusal = {gen.const(RecusalOf(policy.recusals))}(tuple(holding))")
    gen.emit("else:")
    gen.emit(f"    recusal = {gen.const(DecisionRecusal(RecusalResult.UNKNOWN))} if recusal_unknown else "
              f"{gen.const(DecisionRecusal(RecusalResult.NOT_REQUIRED))}")
    gen.depth -= 1
    gen.emit("else:")
    gen.emit(f"    recusal = {na}")


class RecusalOf:
    """The recusal for the set of recusal rules that hold (memoised: there are few combinations)."""

    def __init__(self, rules):
        self.rules = rules
        self.memo: dict = {}

    def __call__(self, holding: tuple) -> DecisionRecusal:
        found = self.memo.get(holding)
        if found is None:
            found = self.memo[holding] = strongest([self.rules[i] for i in holding])
        return found


# ------------------------------------------------------------------ reference (shares nothing above)
def reference(run) -> None:
    run.decided["recusal"] = _ref_recusal(run)


def _ref_recusal(run) -> DecisionRecusal:
    rules = run.policy.of(Recusal)
    asked: frozenset[str] = frozenset().union(*(rule.sections for rule in rules))
    if not rules or not asked & run.sections:
        return DecisionRecusal(RecusalResult.NOT_APPLICABLE)
    holding, open_ = [], []
    for rule in rules:
        holds = run.value(rule.node.condition)
        run.step(rule, "recusal", holds)
        if holds is True:
            holding.append(rule)
        elif holds is None:
            open_.append(rule)
    # `required` (the supervisor shall recuse) outranks `request` (shall ask to); the strongest
    # kind is the answer, citing every rule of that kind that holds.
    rank = {"required": 2, "request": 1}
    # An unknown rule can change the answer only where no rule of a stronger kind surely holds.
    surely = [rank[rule.node.kind] for rule in holding if run.policy.steady(rule)]
    for rule in open_:
        if not surely or rank[rule.node.kind] >= max(surely):
            run.unknown(rule)
    if not holding:
        return DecisionRecusal(RecusalResult.UNKNOWN if open_ else RecusalResult.NOT_REQUIRED)
    strongest_ = max(rank[rule.node.kind] for rule in holding)
    chosen = [rule for rule in holding if rank[rule.node.kind] == strongest_]
    cited: list = []
    for rule in chosen:  # each rule's own provision, then those it also cites (each once)
        for citation in [rule.citation, *run.policy.named(rule.node.also)]:
            if citation is rule.citation or citation not in cited:
                cited.append(citation)
    return DecisionRecusal(RecusalResult(chosen[0].node.kind), chosen[0].node.decided_by, tuple(cited))


QUESTION = Question(
    "recusal", ("recusal",),
    (RuleKind(Recusal, "recusal", "recusals", compile_recusal, sides=("holding", "not holding"),
              conditions=condition_only,
              describe=lambda r, w: f"recusal {r.kind} decided by {r.decided_by} when {w.expr(r.condition)}"
                                    f"{also_words(r)}",
              roles=lambda r, w: [("recusal", ("recusal", *reads_key(r, w)), w.rule(r))],
              statement="recusal", syntax={"recusal": build_recusal}, check=check,
              may_read=frozenset({"violates", "as_of"}), words="a recusal rule", word="recusal",
              ref_reads=ref_reads_condition),),
    interpret, generate, reference=reference, order=50, namespace={"Recusal": DecisionRecusal})
