"""Report: whether a matter is in scope of reporting (``report scope``), its category (``report
category``) and whether it goes on to a reward (``reward``)."""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Report, ReportResult
from supervisor_rules.questions.base import Question, RuleKind, condition_only, kleene_and


def compile_condition(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition)


def compile_reward(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, text=rule.rules)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["report"] = _report(policy, ev)


def _report(policy, ev) -> Report:
    env, note = ev.env, ev.note
    rules = (*policy.scopes, *policy.categories)
    if not rules or not (policy.sections_read(rules) & ev.sections):
        return Report(ReportResult.NOT_APPLICABLE)
    scope = kleene_and([note(rule, rule.fn(env)) for rule in policy.scopes])
    category, category_value = None, False if policy.categories else True
    for rule in policy.categories:
        value = note(rule, rule.fn(env))
        if value is True:
            category, category_value = rule.citation, True
            break
        if value is None:
            category_value = None
    in_scope = kleene_and((scope, category_value))
    if in_scope is None:
        return Report(ReportResult.UNKNOWN, category)
    if not in_scope:
        return Report(ReportResult.OUT_OF_SCOPE, None)
    for rule in policy.rewards:
        if note(rule, rule.fn(env)) is True:
            return Report(ReportResult.IN_SCOPE, category, True, rule.text)
    return Report(ReportResult.IN_SCOPE, category, False, None)


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    rules = (*policy.scopes, *policy.categories)
    na = gen.const(Report(ReportResult.NOT_APPLICABLE))
    test = gen.applicable(rules) if rules else None
    if test is None:
        gen.emit(f"report = {na}")
        return
    gen.emit(f"if {test}:")
    gen.depth += 1
    gen.emit("scope = True")
    for i, rule in enumerate(policy.scopes):
        gen.rule_value(rule, f"s{i}")
        gen.step(gen.site(rule), f"s{i}")
        gen.emit(f"if s{i} is False:")
        gen.emit("    scope = False")
        gen.emit(f"elif s{i} is None:")
        gen.depth += 1
        gen.emit("if scope is True:")
        gen.emit("    scope = None")
        gen.missing(rule)
        gen.depth -= 1
    gen.emit("category = None")
    gen.emit(f"category_value = {'False' if policy.categories else 'True'}")
    for i, rule in enumerate(policy.categories):
        # The first category that holds is the report's: later ones are not looked at.
        gen.emit("if category is None:")
        gen.depth += 1
        gen.rule_value(rule, f"c{i}")
        gen.step(gen.site(rule), f"c{i}")
        gen.emit(f"if c{i} is True:")
        gen.emit(f"    category = {gen.const(rule.citation)}")
        gen.emit("    category_value = True")
        gen.emit(f"elif c{i} is None:")
        gen.depth += 1
        gen.emit("category_value = None")
        gen.missing(rule)
        gen.depth -= 2
    gen.emit("if scope is False or category_value is False:")
    gen.emit(f"    report = {gen.const(Report(ReportResult.OUT_OF_SCOPE, None))}")
    gen.emit("elif scope is None or category_value is None:")
    gen.emit(f"    report = Report({gen.const(ReportResult.UNKNOWN)}, category)")
    gen.emit("else:")
    gen.depth += 1
    gen.emit("report = None")
    for i, rule in enumerate(policy.rewards):
        gen.emit("if report is None:")
        gen.depth += 1
        gen.rule_value(rule, f"w{i}")
        gen.step(gen.site(rule), f"w{i}")
        gen.emit(f"if w{i} is True:")
        gen.emit(f"    report = Report({gen.const(ReportResult.IN_SCOPE)}, category, True, "
                  f"{gen.const(rule.text)})")
        gen.emit(f"elif w{i} is None:")
        gen.depth += 1
        gen.missing(rule, "pass")
        gen.depth -= 2
    gen.emit("if report is None:")
    gen.emit(f"    report = Report({gen.const(ReportResult.IN_SCOPE)}, category, False, None)")
    gen.depth -= 2
    gen.emit("else:")
    gen.emit(f"    report = {na}")


QUESTION = Question(
    "report", ("report",),
    (RuleKind(n.ReportScope, "scope", "scopes", compile_condition, sides=("in scope", "out of scope"),
              conditions=condition_only, describe=lambda r, w: f"report scope when {w.expr(r.condition)}",
              roles=lambda r, w: [("reports", ("scope",), w.rule(r))]),
     RuleKind(n.ReportCategory, "category", "categories", compile_condition, sides=("matching", "not matching"),
              conditions=condition_only, describe=lambda r, w: f"report category when {w.expr(r.condition)}",
              roles=lambda r, w: [("reports", ("category",), w.rule(r))]),
     RuleKind(n.Reward, "reward", "rewards", compile_reward, sides=("referred", "not referred"),
              conditions=condition_only, describe=lambda r, w: f"reward when {w.expr(r.condition)} under {r.rules}",
              roles=lambda r, w: [("reports", ("reward",), w.rule(r))])),
    interpret, generate, namespace={"Report": Report})
