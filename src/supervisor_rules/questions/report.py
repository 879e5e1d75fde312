"""Report: whether a matter is in scope of reporting (``report scope``), its category (``report
category``) and whether it goes on to a reward (``reward``)."""

from __future__ import annotations

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Citation, Report, ReportResult
from supervisor_rules.questions.base import (Question, RuleKind, build_condition_last, check_condition,
                                             condition_only, kleene_and, ref_reads_condition)


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class ReportScope:
    """``report scope when X``: what a report must be about to be in scope (all of them hold)."""

    condition: n.Expr
    span: n.Span = n.span_field()


@attrs.frozen
class ReportCategory:
    """``report category when X``: a category of report (one of them holds; the first is cited)."""

    condition: n.Expr
    span: n.Span = n.span_field()


@attrs.frozen
class Reward:
    """``reward when X under "rules"``: an in-scope report goes on to a reward under those rules."""

    condition: n.Expr
    rules: str
    span: n.Span = n.span_field()


def build_reward(b, c):
    return Reward(c[2], c[4].value, span=b.span(c))


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
    scopes = [note(rule, rule.fn(env), advisory=True) for rule in policy.scopes]
    scope = kleene_and(scopes)
    category, chosen = None, None
    category_value: bool | None = False if policy.categories else True
    unknown = []
    for rule in policy.categories:
        value = note(rule, rule.fn(env), advisory=True)
        if value is True:
            category, category_value, chosen = rule.citation, True, rule
            break
        if value is None:
            category_value = None
            unknown.append(rule)
    # A policy's scope rules decide whether the report is in scope (a target outside them is out of
    # scope, and one inside with its conduct unknown is in scope with no category yet); a policy without
    # scope rules is in scope where one of its categories holds.
    in_scope = scope if policy.scopes else category_value
    # The unknown rules' facts are missing unless a (steady) scope rule is false: then the report is out of
    # scope, with no category, whatever they are. An unknown category before the one that holds (and stays
    # so) under the same provision would not change the category either.
    if not any(value is False and rule.steady for rule, value in zip(policy.scopes, scopes)):
        for rule, value in zip(policy.scopes, scopes):
            if value is None:
                ev.unknown(rule)
        for rule in unknown:
            if not (chosen is not None and chosen.steady and rule.citation == chosen.citation):
                ev.unknown(rule)
    if in_scope is None:
        return Report(ReportResult.UNKNOWN, category)
    if not in_scope:
        return Report(ReportResult.OUT_OF_SCOPE, None)
    open_rewards: list = []
    for rule in policy.rewards:
        value = note(rule, rule.fn(env), advisory=True)
        if value is True:
            # An unknown reward before it that refers to the same rules would change nothing.
            for other in open_rewards:
                if not (rule.steady and other.text == rule.text):
                    ev.unknown(other)
            return Report(ReportResult.IN_SCOPE, category, True, rule.text)
        if value is None:
            open_rewards.append(rule)
    for rule in open_rewards:
        ev.unknown(rule)
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
        gen.trace.step(gen.trace.site(rule), f"s{i}")
        gen.emit(f"if s{i} is False:")
        gen.emit("    scope = False")
        gen.emit(f"elif s{i} is None and scope is True:")
        gen.emit("    scope = None")
    gen.emit("category = None")
    gen.emit(f"category_value = {'False' if policy.categories else 'True'}")
    for i in range(len(policy.categories)):
        gen.emit(f"c{i} = False")  # not looked at
    for i, rule in enumerate(policy.categories):
        # The first category that holds is the report's: later ones are not looked at.
        gen.emit("if category is None:")
        gen.depth += 1
        gen.rule_value(rule, f"c{i}")
        gen.trace.step(gen.trace.site(rule), f"c{i}")
        gen.emit(f"if c{i} is True:")
        gen.emit(f"    category = {gen.const(rule.citation)}")
        gen.emit("    category_value = True")
        gen.emit(f"elif c{i} is None:")
        gen.emit("    category_value = None")
        gen.depth -= 1
    # The unknown rules' facts, unless a steady scope rule is false (out of scope whatever they are); an
    # unknown category, unless a later steady one under the same provision holds.
    outside = " or ".join(f"s{i} is False" for i, rule in enumerate(policy.scopes) if rule.steady)
    unknown: list = [(f"s{i}", rule, []) for i, rule in enumerate(policy.scopes) if gen.misses(rule)]
    unknown += [(f"c{i}", rule, [f"c{j} is True" for j, later in enumerate(policy.categories) if j > i
                                  and later.steady and later.citation == rule.citation])
                for i, rule in enumerate(policy.categories) if gen.misses(rule)]
    if unknown:
        if outside:
            gen.emit(f"if not ({outside}):")
            gen.depth += 1
        for name, rule, same in unknown:
            gen.emit(f"if {name} is None{' and not (' + ' or '.join(same) + ')' if same else ''}:")
            gen.depth += 1
            gen.missing(rule)
            gen.depth -= 1
        if outside:
            gen.depth -= 1
    in_scope = "scope" if policy.scopes else "category_value"  # as the interpreter has it
    gen.emit(f"if {in_scope} is False:")
    gen.emit(f"    report = {gen.const(Report(ReportResult.OUT_OF_SCOPE, None))}")
    gen.emit(f"elif {in_scope} is None:")
    gen.emit(f"    report = Report({gen.const(ReportResult.UNKNOWN)}, category)")
    gen.emit("else:")
    gen.depth += 1
    gen.emit("report = None")
    for i in range(len(policy.rewards)):
        gen.emit(f"w{i} = False")  # not looked at
    for i, rule in enumerate(policy.rewards):
        gen.emit("if report is None:")
        gen.depth += 1
        gen.rule_value(rule, f"w{i}")
        gen.trace.step(gen.trace.site(rule), f"w{i}")
        gen.emit(f"if w{i} is True:")
        gen.emit(f"    report = Report({gen.const(ReportResult.IN_SCOPE)}, category, True, "
                  f"{gen.const(rule.text)})")
        gen.depth -= 1
    # An unknown reward's facts, unless a later steady one under the same rules holds.
    for i, rule in enumerate(policy.rewards):
        if gen.misses(rule):
            same = [f"w{j} is True" for j, later in enumerate(policy.rewards)
                    if j > i and later.steady and later.text == rule.text]
            gen.emit(f"if w{i} is None{' and not (' + ' or '.join(same) + ')' if same else ''}:")
            gen.depth += 1
            gen.missing(rule)
            gen.depth -= 1
    gen.emit("if report is None:")
    gen.emit(f"    report = Report({gen.const(ReportResult.IN_SCOPE)}, category, False, None)")
    gen.depth -= 2
    gen.emit("else:")
    gen.emit(f"    report = {na}")


# ------------------------------------------------------------------ reference (shares nothing above)
def reference(run) -> None:
    run.decided["report"] = _ref_report(run)


def _ref_report(run) -> Report:
    scopes, categories, rewards = run.policy.of(ReportScope), run.policy.of(ReportCategory), run.policy.of(Reward)
    rules = [*scopes, *categories]
    asked: frozenset[str] = frozenset().union(*(rule.sections for rule in rules))
    if not rules or not asked & run.sections:
        return Report(ReportResult.NOT_APPLICABLE)
    # In scope: every scope rule holds (Kleene AND) ...
    scope_values = []
    open_scopes, open_categories = [], []  # the rules whose answer is unknown
    surely_outside = False  # a scope rule is false, whatever the facts the case lacks turn out to be
    for rule in scopes:
        holds = run.value(rule.node.condition)
        run.step(rule, "scope", holds)
        scope_values.append(holds)
        if holds is None:
            open_scopes.append(rule)
        elif holds is False and run.policy.steady(rule):
            surely_outside = True
    scope = run.all_of(scope_values)
    # ... and, where the policy has categories, one of them does: the first that holds is the category.
    category: Citation | None = None
    category_rule = None
    category_values = []
    for rule in categories:
        holds = run.value(rule.node.condition)
        run.step(rule, "category", holds)
        category_values.append(holds)
        if holds is True:
            category, category_rule = rule.citation, rule
            break
        if holds is None:
            open_categories.append(rule)
    # Out of scope for sure, the report has no category, whatever the unknown rules say; nor does an
    # unknown category change the one that surely holds under the same provision.
    if not surely_outside:
        for rule in open_scopes:
            run.unknown(rule)
        for rule in open_categories:
            if (category_rule is None or rule.citation != category_rule.citation
                    or not run.policy.steady(category_rule)):
                run.unknown(rule)
    # In scope is what the scope rules say; without any, it is that a category holds.
    in_scope = scope if scopes else run.any_of(category_values)
    if in_scope is None:
        return Report(ReportResult.UNKNOWN, category)
    if in_scope is False:
        return Report(ReportResult.OUT_OF_SCOPE, None)
    open_rewards: list = []
    for rule in rewards:
        holds = run.value(rule.node.condition)
        run.step(rule, "reward", holds)
        if holds is True:
            # An unknown reward before it, under the same rules, would refer the report all the same.
            for other in open_rewards:
                if other.node.rules != rule.node.rules or not run.policy.steady(rule):
                    run.unknown(other)
            return Report(ReportResult.IN_SCOPE, category, True, rule.node.rules)
        if holds is None:
            open_rewards.append(rule)
    for rule in open_rewards:
        run.unknown(rule)
    return Report(ReportResult.IN_SCOPE, category, False, None)


#: Report rules read what is decided up to violations.
_MAY_READ = frozenset({"violates", "as_of"})

QUESTION = Question(
    "report", ("report",),
    (RuleKind(ReportScope, "scope", "scopes", compile_condition, sides=("in scope", "out of scope"),
              conditions=condition_only, describe=lambda r, w: f"report scope when {w.expr(r.condition)}",
              roles=lambda r, w: [("reports", ("scope",), w.rule(r))],
              statement="report_scope", syntax={"report_scope": build_condition_last(ReportScope)},
              check=check_condition, may_read=_MAY_READ, words="a report scope rule", word="report scope",
              ref_reads=ref_reads_condition),
     RuleKind(ReportCategory, "category", "categories", compile_condition, sides=("matching", "not matching"),
              conditions=condition_only, describe=lambda r, w: f"report category when {w.expr(r.condition)}",
              roles=lambda r, w: [("reports", ("category",), w.rule(r))],
              statement="report_category", syntax={"report_category": build_condition_last(ReportCategory)},
              check=check_condition, may_read=_MAY_READ, words="a report category", word="report category",
              ref_reads=ref_reads_condition),
     RuleKind(Reward, "reward", "rewards", compile_reward, sides=("referred", "not referred"),
              conditions=condition_only, describe=lambda r, w: f"reward when {w.expr(r.condition)} under {r.rules}",
              roles=lambda r, w: [("reports", ("reward",), w.rule(r))],
              statement="reward", syntax={"reward": build_reward}, check=check_condition, may_read=_MAY_READ,
              words="a reward rule", word="reward", ref_reads=ref_reads_condition)),
    interpret, generate, reference=reference, order=70, namespace={"Report": Report})
