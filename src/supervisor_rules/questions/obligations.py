"""Obligations: what the appointee or the department owes (``duty``), with its deadline or its met /
breached tests.

A deadline counts from a date: a fact, a date the decision derives (``last day``, ``dismissal day``)
or any date-valued expression (``due (appointment.start after 3 months) after 5 working days``); an
unknown one leaves the due date unknown.
One in working days counts working days on the calendar; one in calendar days, months or years ends
on the next working day when its last day is a day off (Civil Code art. 203, ``dates.deadlines``);
``immediately`` is due the same day. A missing calendar year adds a notice (``evaluation.notices`` /
the generated code's ``notices``, which the notices question finishes).
"""

from __future__ import annotations

import datetime as dt

import attrs

from supervisor_rules.dates import deadlines, periods
from supervisor_rules.dates.workdays import MissingCalendarYear
from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import DutyState, Notice, Obligation
from supervisor_rules.questions.base import Question, RuleKind, inapplicable


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Due:
    """``due N units after DATE`` / ``due immediately after DATE``: a duty's deadline, counted from a date
    fact, a derived date (``last day``, ``dismissal day``) or a date-valued expression in parentheses."""

    amount: int  # 0 for "immediately"
    unit: str  # "working_days" | "days" | "months" | "years" | "immediately"
    base: n.Expr
    span: n.Span = n.span_field()


@attrs.frozen
class Duty:
    """``duty CODE ["label"] [by ACTOR] [when X] [due …] [done on DATE] [met when X] [breached when X]``:
    what the supervisor (or, ``by department``, the department) owes. The label names the duty in the
    Chinese text output (``Policy.text_labels``), as an enum value's label names the value."""

    code: str
    label: str | None = None
    when: n.Expr | None = None
    due: Due | None = None
    done_on: n.Path | None = None
    met: n.Expr | None = None
    breached: n.Expr | None = None
    bearer: str = "supervisor"  # "supervisor" | "department": who owes it
    span: n.Span = n.span_field()


def build_duty(b, c):
    clauses = {}
    label = None
    for clause in c[2:]:
        if not isinstance(clause, tuple):  # the label: the grammar's `text`, right after the code
            label = clause.value
            continue
        key, value, span = clause
        if key in clauses:
            b.error(span, f"duty `{c[1]}` gives its `{key}` clause twice")
        clauses[key] = value
    return Duty(b.name(c[1]), label, span=b.span(c), **clauses)


def build_due(b, c):
    if b.is_token(c[1], "IMMEDIATELY"):  # due immediately after X
        return ("due", Due(0, "immediately", c[3], span=b.span(c)), b.span(c))
    if b.is_token(c[-1], "IMMEDIATELY"):  # 期限 X 后 立即
        return ("due", Due(0, "immediately", c[1], span=b.span(c)), b.span(c))
    if b.is_token(c[1], "INT"):
        amount, unit, base = c[1], c[2], c[4]
    else:
        base, amount, unit = c[1], c[3], c[4]
    return ("due", Due(b.int(amount), b.value(unit), base, span=b.span(c)), b.span(c))


def build_bearer(b, c):
    return ("bearer", b.value(c[1]), b.span(c))


def _clause(key: str):
    """A builder for a clause that gives one value: (its key, the value, its span)."""
    return lambda b, c: (key, c[1], b.span(c))


SYNTAX = {"duty": build_duty, "duty_bearer": build_bearer, "duty_when": _clause("when"), "duty_due": build_due, "duty_done": _clause("done_on"),
          "duty_met": _clause("met"), "duty_breached": _clause("breached")}


# ------------------------------------------------------------------ checks
def check(chk, rule, provision, state) -> None:
    if rule.code in state:  # state: each duty code → (the provision that declares it first, that duty)
        first, duty = state[rule.code]
        labels = (f" with the label “{duty.label}”, here “{rule.label}”" if duty.label != rule.label
                  and duty.label is not None and rule.label is not None else "")
        chk.report(rule.span, f"duty `{rule.code}` is already declared at {first.ref}{labels}")
    state.setdefault(rule.code, (provision, rule))
    if rule.label is not None and not rule.label.strip():
        chk.report(rule.span, "a duty's label is empty: write the duty's name in the regulation's words "
                              "(`duty CODE \"label\"` / `义务 CODE \"标签\"`), or leave the label out")
    for expr in (rule.when, rule.met, rule.breached):
        if expr is not None:
            chk.condition(expr)
    if rule.when is not None:
        chk.reachable(rule.when, rule)
    if rule.due is not None:
        if isinstance(rule.due.base, n.Path):
            chk.expect_path(rule.due.base, chk.DATE, "a due date's base")
        else:  # a derived date or an expression: read under what a duty may read
            base = chk.typed(rule.due.base)
            if base is not None and base != chk.DATE:
                chk.report(rule.due.base.span, f"a deadline counts from a date, not {base}")
        if rule.due.unit == "immediately":
            pass
        elif rule.due.amount <= 0:
            chk.report(rule.due.span, "a deadline must be at least one day")
        elif rule.due.amount > 1000:
            chk.report(rule.due.span, "a deadline of more than 1,000 units is surely a mistake")
    if rule.done_on is not None:
        chk.expect_path(rule.done_on, chk.DATE, "the day a duty was done")
    if rule.due is not None and rule.done_on is None:
        chk.report(rule.span, "this duty has a deadline (`due …`) but not the day it was done: "
                              "add `done on <date fact>` (`完成日期 …`)")
    elif rule.due is None and rule.done_on is not None:
        chk.report(rule.span, "`done on …` is the day a deadline duty was done, but this duty has no "
                              "deadline: add `due N working days after <date fact>` (`期限 <date fact> 后 N 个工作日`)")
    if rule.due is not None and (rule.met is not None or rule.breached is not None):
        chk.report(rule.span, "a deadline duty is met by its `done on` date; drop `met when`/`breached when`")


def decision_values(chk, rules):
    """The values a decision's obligations (owed, met …) list: the policy's duty codes."""
    return chk.EnumT("duty", tuple(dict.fromkeys(r.code for r in rules)))


def describe_duty(rule, words) -> str:
    out = f"duty {rule.code}" + (f" “{rule.label}”" if rule.label else "")
    out += f" by {rule.bearer}" if rule.bearer != "supervisor" else ""
    if rule.when is not None:
        out += f" when {words.expr(rule.when)}"
    if rule.due is not None:
        base = words.expr(rule.due.base)
        if isinstance(rule.due.base, (n.DateAfter, n.DateBefore, n.Arith)):
            base = f"({base})"  # `due 5 working days after (x after 3 months)`
        if rule.due.unit == "immediately":
            out += f", due immediately after {base}"
        else:
            out += f", due {words.amount(rule.due.amount, rule.due.unit)} after {base}"
    if rule.done_on is not None:
        out += f", done on {rule.done_on.dotted}"
    if rule.met is not None:
        out += f", met when {words.expr(rule.met)}"
    if rule.breached is not None:
        out += f", breached when {words.expr(rule.breached)}"
    return out


def compile_duty(c, kind, rule, citation, order):
    # (amount, unit, the base's fact or None for a derived date); the base's value is `due_base(env)`.
    due = None
    if rule.due is not None:
        base = rule.due.base
        due = (rule.due.amount, rule.due.unit, base.dotted if isinstance(base, n.Path) else None)
    reads = c.reads(rule.when, rule.met, rule.breached, rule.due.base if rule.due else None, rule.done_on)
    # A duty's section is that of when it arises.
    return c.rule(kind, citation, order, rule.when, reads=reads, sections=c.sections(rule.when), code=rule.code,
                  met=c.expr(rule.met) if rule.met is not None else None,
                  breached=c.expr(rule.breached) if rule.breached is not None else None,
                  met_expr=rule.met, breached_expr=rule.breached,
                  due=due, due_base=c.expr(rule.due.base) if rule.due else None,
                  due_base_expr=rule.due.base if rule.due else None,
                  done_key=rule.done_on.dotted if rule.done_on else None, bearer=rule.bearer)


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
            due, state = deadline(rule, rule.due_base(env), env.facts.get(rule.done_key), env.as_of, notices,
                                  calendar_source)
        else:
            due = None
            met = rule.met(env) if rule.met is not None else None
            breached = rule.breached(env) if rule.breached is not None else None
            state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
        out.append(Obligation(rule.code, rule.citation, due, state, rule.bearer))
        note(rule, str(state))
    return out


def due_date(unit: str, amount: int, base: dt.date, calendar_source) -> dt.date:
    """The due date of a deadline: the N-th working day after ``base``, or the last day of a period of N
    calendar days, months or years moved to the next working day (art. 203), or ``base`` itself for
    ``immediately``. Raises ``MissingCalendarYear`` (and ``PeriodOutOfRange``) as ``dates`` does."""
    if unit == "immediately":
        return deadlines.immediately(base)
    return deadlines.deadline(base, amount, unit, calendar_source())


def earliest_due(unit: str, amount: int, base: dt.date) -> dt.date | None:
    """The earliest the due date can be without the calendar: N working days are at least N calendar
    days, and art. 203 only ever moves a last day later. None past the range of dates."""
    try:
        if unit in ("working_days", "days"):
            return base + dt.timedelta(days=amount)
        return periods.add_months(base, amount * (12 if unit == "years" else 1))
    except (periods.PeriodOutOfRange, OverflowError):
        return None


def deadline(rule, base: dt.date | None, done: dt.date | None, as_of: dt.date, notices: list, calendar_source):
    """(due date or None, state) of a duty with a deadline counted from ``base`` and done on ``done``; a
    missing calendar year adds a notice."""
    amount, unit, _ = rule.due
    if base is None:
        return None, DutyState.UNKNOWN
    try:
        due = due_date(unit, amount, base, calendar_source)
    except MissingCalendarYear as exc:
        notices.append(Notice(rule.citation, exc.notice))
        # Before the earliest possible due date the duty is surely not late yet.
        earliest = earliest_due(unit, amount, base)
        if done is None and earliest is not None and as_of <= earliest:
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
        site = gen.trace.site(rule)
        gen.emit(f"if d{i} is None:")
        gen.depth += 1
        gen.missing(rule, "pass")
        gen.trace.step(site, "None")
        gen.depth -= 1
        gen.emit(f"elif d{i} is not False:")
        gen.depth += 1
        if rule.due is not None:
            done = f"get({gen.text(rule.done_key)})" if rule.done_key else "None"
            gen.emit(f"due, state = deadline({gen.const(rule)}, {gen.expr(rule.due_base_expr)}, {done}, as_of, "
                     "notices, calendar_source)")
            gen.emit(f"obligations.append(Obligation({gen.const(rule.code)}, {gen.const(rule.citation)}, "
                     f"due, state, {gen.const(rule.bearer)}))")
            gen.trace.step(site, f"{gen.const({s: str(s) for s in DutyState})}[state]")
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
        gen.trace.otherwise(site, "False")
        if rule.sections:
            gen.depth -= 1
    gen.emit("obligations = tuple(obligations)")


def obligation(gen, rule, state: DutyState, site) -> None:
    gen.emit(f"obligations.append({gen.const(Obligation(rule.code, rule.citation, None, state, rule.bearer))})")
    gen.trace.step(site, gen.const(str(state)))


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads(policy, rule) -> None:
    duty = rule.node
    rule.reads = policy.reads(duty.when, duty.met, duty.breached, duty.due.base if duty.due else None, duty.done_on)
    # A duty arises for a case that has a section its condition reads (or always, reading none).
    rule.sections = policy.sections_of(policy.reads(duty.when))


def reference(run) -> None:
    run.decided["obligations"] = tuple(_ref_obligations(run))


def _ref_obligations(run) -> list[Obligation]:
    out = []
    for rule in run.policy.of(Duty):
        duty: Duty = rule.node
        if not run.asks(rule.sections):
            continue
        arises = run.value(duty.when) if duty.when is not None else True
        if arises is not True:
            if arises is None:  # whether the duty arises is open: its facts are missing
                run.unknown(rule)
            run.step(rule, "duty", arises)
            continue
        if duty.due is not None:
            due, state = _ref_deadline(run, rule)
        else:
            due = None
            met = run.value(duty.met) if duty.met is not None else None
            breached = run.value(duty.breached) if duty.breached is not None else None
            state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
        out.append(Obligation(duty.code, rule.citation, due, state, duty.bearer))
        run.step(rule, "duty", str(state))
    return out


def _ref_deadline(run, rule) -> tuple[dt.date | None, DutyState]:
    """A deadline duty: its due date (None where it cannot be computed) and state."""
    duty: Duty = rule.node
    assert duty.due is not None and duty.done_on is not None
    amount, unit = duty.due.amount, duty.due.unit
    base = run.value(duty.due.base)  # a date fact, or `last day` / `dismissal day` as decided so far
    done = run.facts.get(duty.done_on.dotted)
    if base is None:
        return None, DutyState.UNKNOWN
    if unit == "immediately":  # not a period: due the day of the base itself, no art. 201 nor 203
        due = deadlines.immediately(base)
    else:
        try:
            calendar = run.calendar_source()
            if unit == "working_days":  # the N-th working day after the base (the base not counted)
                due = calendar.add_working_days(base, amount)
            elif unit == "days":  # arts. 201 and 203: base + N days, moved off a day off
                due = deadlines.deadline_calendar_days(base, amount, calendar)
            elif unit == "months":
                due = deadlines.deadline_months(base, amount, calendar)
            else:  # years
                due = deadlines.deadline_years(base, amount, calendar)
        except MissingCalendarYear as exc:
            # Never guessed: no due date, and a notice names the missing year.
            run.notices.append(Notice(rule.citation, exc.notice))
            # The earliest the due date can be: N working days are at least N calendar days, and a
            # period's last day only ever moves later. Until then the duty cannot be late.
            try:
                if unit in ("working_days", "days"):
                    earliest = base + dt.timedelta(days=amount)
                else:
                    earliest = periods.add_months(base, amount * 12 if unit == "years" else amount)
            except (periods.PeriodOutOfRange, OverflowError):
                return None, DutyState.UNKNOWN
            if done is None and run.as_of <= earliest:
                return None, DutyState.OWED
            return None, DutyState.UNKNOWN
        except (periods.PeriodOutOfRange, OverflowError):
            return None, DutyState.UNKNOWN
    if done is not None:
        return due, DutyState.MET if done <= due else DutyState.OVERDUE
    return due, DutyState.OVERDUE if run.as_of > due else DutyState.OWED


QUESTION = Question(
    "obligations", ("obligations",),
    (RuleKind(Duty, "duty", "duties", compile_duty, sides=("arising", "not arising"),
              conditions=lambda r: (r.when,) if r.when is not None else (), describe=describe_duty,
              roles=lambda r, w: [("duties", (r.code,), w.rule(r))], two_sided=lambda r: r.when is not None,
              labels=lambda r: ((r.code, r.label),) if r.label else (),
              statement="duty", syntax=SYNTAX, check=check,
              may_read=frozenset({"satisfies", "violates", "expired", "dismissed", "as_of", "last_day",
                                  "dismissal_day", "term_number"}), words="a duty",
              word="duty", decision_values=decision_values, ref_reads=ref_reads),),
    interpret, generate, reference=reference, order=60, namespace={"Obligation": Obligation, "deadline": deadline})
