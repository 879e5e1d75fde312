"""Notices: advisory messages (``notice``), in the order of the provisions they cite.

Earlier questions may have added notices already (a duty whose deadline needs a calendar year
that is missing): ``evaluation.notices``, the generated code's ``notices``.
"""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Notice
from supervisor_rules.questions.base import Question, RuleKind, condition_only, inapplicable, reads_key


def compile_notice(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, text=rule.message)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    env, notices = ev.env, ev.notices
    for rule in policy.notices:
        if inapplicable(rule, ev.sections):
            continue
        # Notices are advisory: an unknown one leaves nothing undecided.
        if ev.note(rule, rule.fn(env), advisory=True) is True:
            notices.append(Notice(rule.citation, rule.text))
    sort_notices(policy, notices)
    ev.decided["notices"] = tuple(notices)


def positions(policy) -> dict:
    """Citation → its place in the policy (the first, should two provisions cite alike)."""
    derived = policy.derived
    try:
        return derived["positions"]
    except KeyError:
        out: dict = {}
        for index, citation in enumerate(policy.citations):
            out.setdefault(citation, index)
        derived["positions"] = out
        return out


def sort_notices(policy, notices: list) -> None:
    """Notices in the order of the provisions they cite (stable; uncited ones last)."""
    if len(notices) > 1:
        where, last = positions(policy), len(policy.citations)
        notices.sort(key=lambda x: where.get(x.citation, last))


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    for rule in gen.policy.notices:
        if rule.sections:
            gen.emit(f"if not sections.isdisjoint({gen.const(rule.sections)}):")
            gen.depth += 1
        value = gen.expr(rule.expr) if rule.expr is not None else "True"
        if gen.traced:
            gen.emit(f"notice = {value}")
            gen.step(gen.site(rule), "notice")
            value = "notice"
        gen.emit(f"if {value} is True:")
        gen.emit(f"    notices.append({gen.const(Notice(rule.citation, rule.text))})")
        if rule.sections:
            gen.depth -= 1
    gen.emit("if len(notices) > 1:")
    gen.emit("    sort_notices(POLICY, notices)")
    gen.emit("notices = tuple(notices)")


QUESTION = Question(
    "notices", ("notices",),
    (RuleKind(n.Notice, "notice", "notices", compile_notice, sides=("shown", "not shown"),
              conditions=condition_only,
              describe=lambda r, w: f"notice “{r.message}” when {w.expr(r.condition)}",
              roles=lambda r, w: [("notices", ("notice", *reads_key(r, w)), w.rule(r))]),),
    interpret, generate, namespace={"sort_notices": sort_notices})
