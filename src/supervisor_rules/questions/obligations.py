"""Obligations: what the appointee owes (``duty``), with its deadline or its met / breached tests.

A deadline counted in working days needs the calendar; a missing calendar year adds a notice
(``evaluation.notices`` / the generated code's ``notices``, which the notices question finishes).
"""

from __future__ import annotations

import datetime as dt

from supervisor_rules.dates import periods
from supervisor_rules.dates.workdays import MissingCalendarYear
from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import DutyState, Notice, Obligation
from supervisor_rules.questions.base import Question, RuleKind, inapplicable


def describe_duty(rule, words) -> str:
    out = f"duty {rule.code}"
    if rule.when is not None:
        out += f" when {words.expr(rule.when)}"
    if rule.due is not None:
        out += f", due {rule.due.amount} {words.unit(rule.due.unit)} after {rule.due.base.dotted}"
    if rule.done_on is not None:
        out += f", done on {rule.done_on.dotted}"
    if rule.met is not None:
        out += f", met when {words.expr(rule.met)}"
    if rule.breached is not None:
        out += f", breached when {words.expr(rule.breached)}"
    return out


def compile_duty(c, kind, rule, citation, order):
    due = (rule.due.amount, rule.due.unit, rule.due.base.dotted) if rule.due else None
    reads = c.reads(rule.when, rule.met, rule.breached, rule.due.base if rule.due else None, rule.done_on)
    # A duty's section is that of when it arises.
    return c.rule(kind, citation, order, rule.when, reads=reads, sections=c.sections(rule.when), code=rule.code,
                  met=c.expr(rule.met) if rule.met is not None else None,
                  breached=c.expr(rule.breached) if rule.breached is not None else None,
                  met_expr=rule.met, breached_expr=rule.breached,
                  due=due, done_key=rule.done_on.dotted if rule.done_on else None)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["obligations"] = tuple(_obligations(policy, ev))


def _obligations(policy, ev) -> list[Obligation]:
    env, note, notices, calendar_source = ev.env, ev.note, ev.notices, ev.calendar_source
    out = []
    for rule in policy.duties:
        if inapplicable(rule, env.sections):
            continue
        applies = rule.fn(env) if rule.fn is not None else True
        if applies is False:
            note(rule, False)
            continue
        if applies is None:
            note(rule, None)  # whether the duty arises is open: its facts are missing
            continue
        if rule.due is not None:
            due, state = deadline(rule, env.facts, env.as_of, notices, calendar_source)
        else:
            due = None
            met = rule.met(env) if rule.met is not None else None
            breached = rule.breached(env) if rule.breached is not None else None
            state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
        out.append(Obligation(rule.code, rule.citation, due, state))
        note(rule, str(state))
    return out


def deadline(rule, facts: dict, as_of: dt.date, notices: list, calendar_source):
    """(due date or None, state) of a duty with a deadline; a missing calendar year adds a notice."""
    amount, unit, base_key = rule.due
    base = facts.get(base_key)
    done = facts.get(rule.done_key)
    if base is None:
        return None, DutyState.UNKNOWN
    try:
        if unit == "working_days":
            due = calendar_source().add_working_days(base, amount)
        elif unit == "days":
            due = base + dt.timedelta(days=amount)
        else:
            due = periods.add_months(base, amount * (12 if unit == "years" else 1))
    except MissingCalendarYear as exc:
        notices.append(Notice(rule.citation, f"缺少 {exc.year} 年的工作日历（国务院放假安排），无法计算期限: {exc}"))
        # N working days are at least N calendar days: before that, surely not late yet.
        if done is None and as_of <= base + dt.timedelta(days=amount):
            return None, DutyState.OWED
        return None, DutyState.UNKNOWN
    except (periods.PeriodOutOfRange, OverflowError):
        return None, DutyState.UNKNOWN
    if done is not None:
        return due, DutyState.MET if done <= due else DutyState.OVERDUE
    return due, DutyState.OVERDUE if as_of > due else DutyState.OWED


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    gen.emit("obligations = []")
    for i, rule in enumerate(gen.policy.duties):
        if rule.sections:
            gen.emit(f"if not sections.isdisjoint({gen.const(rule.sections)}):")
            gen.depth += 1
        gen.rule_value(rule, f"d{i}")
        site = gen.site(rule)
        gen.emit(f"if d{i} is None:")
        gen.depth += 1
        gen.missing(rule, "pass")
        gen.step(site, "None")
        gen.depth -= 1
        gen.emit(f"elif d{i} is not False:")
        gen.depth += 1
        if rule.due is not None:
            gen.emit(f"due, state = deadline({gen.const(rule)}, facts, as_of, notices, calendar_source)")
            gen.emit(f"obligations.append(Obligation({gen.const(rule.code)}, {gen.const(rule.citation)}, "
                      "due, state))")
            gen.step(site, f"{gen.const({s: str(s) for s in DutyState})}[state]")
        else:
            # Met if so, else breached if so, else owed (the states the interpreter gives, in its order).
            tests = [(rule.met_expr, DutyState.MET), (rule.breached_expr, DutyState.BREACHED)]
            first = True
            for expr, state in tests:
                if expr is not None:
                    gen.emit(f"{'if' if first else 'elif'} {gen.expr(expr)} is True:")
                    gen.depth += 1
                    obligation(gen, rule, state, site)
                    gen.depth -= 1
                    first = False
            if not first:
                gen.emit("else:")
                gen.depth += 1
            obligation(gen, rule, DutyState.OWED, site)
            if not first:
                gen.depth -= 1
        gen.depth -= 1
        if gen.traced:
            gen.emit("else:")
            gen.depth += 1
            gen.step(site, "False")
            gen.depth -= 1
        if rule.sections:
            gen.depth -= 1
    gen.emit("obligations = tuple(obligations)")


def obligation(gen, rule, state: DutyState, site) -> None:
    gen.emit(f"obligations.append({gen.const(Obligation(rule.code, rule.citation, None, state))})")
    gen.step(site, gen.const(str(state)))


QUESTION = Question(
    "obligations", ("obligations",),
    (RuleKind(n.Duty, "duty", "duties", compile_duty, sides=("arising", "not arising"),
              conditions=lambda r: (r.when,) if r.when is not None else (), describe=describe_duty,
              roles=lambda r, w: [("duties", (r.code,), w.rule(r))], two_sided=lambda r: r.when is not None),),
    interpret, generate, namespace={"Obligation": Obligation, "deadline": deadline})
