"""Recusal: whether the appointee must (``required``) or may ask to (``request``) stand aside,
and who decides (``recusal``)."""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Recusal, RecusalResult
from supervisor_rules.questions.base import Question, RuleKind, condition_only, reads_key

#: Where several recusal rules hold, the strongest kind wins; all of that kind are cited.
RANK = {"required": 2, "request": 1}


def compile_recusal(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, recusal=rule.kind, decided_by=rule.decided_by)


def strongest(holding) -> Recusal:
    """The recusal for the recusal rules that hold (at least one): the strongest kind, decided by the
    first rule of that kind, citing all of them."""
    rank = max(RANK[r.recusal] for r in holding)
    chosen = [r for r in holding if RANK[r.recusal] == rank]
    return Recusal(RecusalResult(chosen[0].recusal), chosen[0].decided_by, tuple(r.citation for r in chosen))


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["recusal"] = _recusal(policy, ev)


def _recusal(policy, ev) -> Recusal:
    env, note = ev.env, ev.note
    if not policy.recusals or not (policy.sections_read(policy.recusals) & ev.sections):
        return Recusal(RecusalResult.NOT_APPLICABLE)
    holding, unknown = [], False
    for rule in policy.recusals:
        value = note(rule, rule.fn(env))
        if value is True:
            holding.append(rule)
        elif value is None:
            unknown = True
    if not holding:
        return Recusal(RecusalResult.UNKNOWN if unknown else RecusalResult.NOT_REQUIRED)
    return strongest(holding)


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    na = gen.const(Recusal(RecusalResult.NOT_APPLICABLE))
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
        gen.step(gen.site(rule), f"r{i}")
        gen.emit(f"if r{i} is True:")
        gen.emit(f"    holding.append({i})")
        gen.emit(f"elif r{i} is None:")
        gen.depth += 1
        gen.emit("recusal_unknown = True")
        gen.missing(rule)
        gen.depth -= 1
    gen.emit("if holding:")
    gen.emit(f"    recusal = {gen.const(RecusalOf(policy.recusals))}(tuple(holding))")
    gen.emit("else:")
    gen.emit(f"    recusal = {gen.const(Recusal(RecusalResult.UNKNOWN))} if recusal_unknown else "
              f"{gen.const(Recusal(RecusalResult.NOT_REQUIRED))}")
    gen.depth -= 1
    gen.emit("else:")
    gen.emit(f"    recusal = {na}")


class RecusalOf:
    """The recusal for the set of recusal rules that hold (memoised: there are few combinations)."""

    def __init__(self, rules):
        self.rules = rules
        self.memo: dict = {}

    def __call__(self, holding: tuple) -> Recusal:
        found = self.memo.get(holding)
        if found is None:
            found = self.memo[holding] = strongest([self.rules[i] for i in holding])
        return found


QUESTION = Question(
    "recusal", ("recusal",),
    (RuleKind(n.Recusal, "recusal", "recusals", compile_recusal, sides=("holding", "not holding"),
              conditions=condition_only,
              describe=lambda r, w: f"recusal {r.kind} decided by {r.decided_by} when {w.expr(r.condition)}",
              roles=lambda r, w: [("recusal", ("recusal", *reads_key(r, w)), w.rule(r))]),),
    interpret, generate, namespace={"Recusal": Recusal})
