"""Notices: advisory messages (``notice``), in the order of the provisions they cite.

Earlier questions may have added notices already (a duty whose deadline needs a calendar year
that is missing): ``evaluation.notices``, the generated code's ``notices``. So does every ``due(…)``
expression whose deadline needs a year the calendar lacks: the expression is then unknown, and this
question adds one notice per such deadline of the case (once each), citing the rule's provision. It
looks at every ``due(…)`` of the policy whose base is known (for each record its base reads by
name), whether or not the rule's other conditions hold: so every backend adds the same notices,
whatever order it evaluates conditions in.

The header's dates add a notice of their own, first in the list and citing no provision: a case whose
``as_of`` falls before the policy takes effect (``effective`` / ``施行``), on or after its repeal
(``repealed`` / ``废止``) or after its period of validity (``valid until`` / ``有效期至``) is still
decided by the rules, and told that they were not in force on that day.
"""

from __future__ import annotations

import datetime as dt

import attrs

from supervisor_rules.dates import deadlines
from supervisor_rules.dates.workdays import MissingCalendarYear
from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Notice as DecisionNotice
from supervisor_rules.questions.base import (Question, RuleKind, condition_only, inapplicable, reads_key,
                                             ref_reads_condition)


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Notice:
    """``notice "message" when X``: advice shown when ``X`` holds; it decides nothing."""

    message: str
    condition: n.Expr
    span: n.Span = n.span_field()


def build_notice(b, c):
    return Notice(c[1].value, c[3], span=b.span(c))


def check(chk, rule, provision, state) -> None:
    chk.condition(rule.condition)
    chk.reachable(rule.condition, rule)
    if not rule.message.strip():
        chk.report(rule.span, "a notice needs a message")


def compile_notice(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, text=rule.message)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    env, notices = ev.env, ev.notices
    deadline_notices(policy.deadlines, env, notices, ev.calendar_source)
    for rule in policy.notices:
        if inapplicable(rule, ev.sections):
            continue
        # Notices are advisory: an unknown one leaves nothing undecided.
        if ev.note(rule, rule.fn(env), advisory=True) is True:
            notices.append(DecisionNotice(rule.citation, rule.text))
    sort_notices(policy, notices)
    ev.decided["notices"] = (*in_force_notices(policy.checked.header, ev.as_of), *notices)


def deadline_notice(notices: list, citation, base, amount: int, unit: str, calendar_source) -> None:
    """The notice that the deadline ``amount`` ``unit`` after ``base`` needs a year the calendar lacks, added
    once; nothing where ``base`` is unknown or the deadline can be counted."""
    if base is None:
        return
    try:
        deadlines.deadline(base, amount, unit, calendar_source())
    except MissingCalendarYear as exc:
        notice = DecisionNotice(citation, exc.notice)
        if notice not in notices:
            notices.append(notice)
    except (ValueError, OverflowError):  # past the dates a date can hold: unknown, nothing to add
        return


def deadline_notices(sites, env, notices: list, calendar_source) -> None:
    """``deadline_notice`` for each ``due(…)`` of the policy (``compiler.DeadlineSite``), for each record
    its base reads by name."""
    for site in sites:
        for _ in _bound(site.binders, env):
            deadline_notice(notices, site.citation, site.base(env), site.node.amount, site.node.unit,
                            calendar_source)


def _bound(binders, env):
    """Each combination of the records ``binders`` name, set in ``env`` in turn."""
    if not binders:
        yield None
        return
    (var, key, how), rest = binders[0], binders[1:]
    for record in env.facts.get(key) or ():
        if how == "var":
            env.var = record
        else:
            env.bound[var] = record
        yield from _bound(rest, env)
    if how == "var":
        env.var = {}
    else:
        env.bound.pop(var, None)


def in_force_notices(header: n.Header | None, as_of: dt.date) -> tuple[DecisionNotice, ...]:
    """The notice, if any, that the policy was not in force on ``as_of`` (from its header's dates)."""
    if header is None:
        return ()
    effective = header.effective
    if isinstance(effective, dt.date) and as_of < effective:
        return (DecisionNotice(None, f"基准日 {as_of.isoformat()} 早于本办法施行日期 {effective.isoformat()}"),)
    if header.repealed is not None and as_of >= header.repealed:
        return (DecisionNotice(None, f"基准日 {as_of.isoformat()} 本办法已废止（自 {header.repealed.isoformat()} "
                                     "起废止）"),)
    if header.valid_until is not None and as_of > header.valid_until:
        return (DecisionNotice(None, f"基准日 {as_of.isoformat()} 晚于本办法有效期（至 "
                                     f"{header.valid_until.isoformat()}）"),)
    return ()


def dated(header: n.Header | None) -> bool:
    """Whether the header gives a date that can put a case outside the policy's time in force."""
    return header is not None and (isinstance(header.effective, dt.date) or header.repealed is not None
                                   or header.valid_until is not None)


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
    _generate_deadline_notices(gen)
    for rule in gen.policy.notices:
        if rule.sections:
            gen.emit(f"if not sections.isdisjoint({gen.const(rule.sections)}):")
            gen.depth += 1
        value = gen.expr(rule.expr) if rule.expr is not None else "True"
        value = gen.trace.held(gen.trace.site(rule), value, "notice")
        gen.emit(f"if {value} is True:")
        gen.emit(f"    notices.append({gen.const(DecisionNotice(rule.citation, rule.text))})")
        if rule.sections:
            gen.depth -= 1
    gen.emit("if len(notices) > 1:")
    gen.emit("    sort_notices(POLICY, notices)")
    header = gen.policy.checked.header
    if dated(header):
        gen.emit(f"notices = (*in_force_notices({gen.const(header)}, as_of), *notices)")
    else:
        gen.emit("notices = tuple(notices)")


def _generate_deadline_notices(gen) -> None:
    """``deadline_notices``, inline: a loop over the records of each binder, then ``deadline_notice``."""
    for site in gen.policy.deadlines:
        depth = gen.depth
        for var, key, how in site.binders:
            if how == "var":
                gen.emit(f"for record in (get({gen.text(key)}) or ()):")
                gen.renewal_var = var
            else:
                local = gen.temp()
                gen.emit(f"for {local} in (get({gen.text(key)}) or ()):")
                gen.bound[var] = (local, gen.record_of(key, var))
            gen.depth += 1
        try:
            node = site.node
            gen.emit(f"deadline_notice(notices, {gen.const(site.citation)}, {gen.expr(node.base)}, "
                     f"{gen.const(node.amount)}, {gen.text(node.unit)}, calendar_source)")
        finally:
            gen.depth = depth
            gen.renewal_var = None
            gen.bound.clear()


# ------------------------------------------------------------------ reference (shares nothing above)
def reference(run) -> None:
    _ref_deadline_notices(run)
    for rule in run.policy.of(Notice):
        if not run.asks(rule.sections):
            continue
        holds = run.value(rule.node.condition)
        run.step(rule, "notice", holds)  # advisory: an unknown notice leaves nothing open
        if holds is True:
            run.notices.append(DecisionNotice(rule.citation, rule.node.message))
    # In the order of the provisions they cite (stable; a notice citing none last).
    position = run.policy.position
    last = len(position)
    cited = sorted(run.notices, key=lambda notice: position.get(notice.citation, last)
                   if notice.citation is not None else last)
    run.decided["notices"] = (*header_notice(run.policy.header, run.as_of), *cited)


def _ref_deadline_notices(run) -> None:
    """For each `due(…)` of the policy, in provision order (within a rule, depth first, an outer one before
    those in its base), and for each record its base names: a base that is known but whose deadline
    needs a year the calendar lacks adds the notice naming that year, once."""
    for rule in run.policy.rules:
        scope = rule.scope  # the record the rule itself reads by name: (name, list fact) or None
        own = ((scope[0], scope[1].dotted, True),) if scope is not None else ()
        for binders, node in _ref_deadlines(rule.node, own):
            for record, var in _ref_records(run, binders):
                base = run.value(node.base, record, var)
                if base is None:
                    continue
                _, missing = run.deadline_of(base, node.amount, node.unit)
                if missing is not None:
                    notice = DecisionNotice(rule.citation, missing.notice)
                    if notice not in run.notices:
                        run.notices.append(notice)


def _ref_deadlines(node, binders) -> list:
    """(the records in scope, the node) of each `due(…)` under ``node``, outer ones first."""
    found: list = []
    if isinstance(node, (tuple, list)):
        for item in node:
            found += _ref_deadlines(item, binders)
        return found
    if not attrs.has(type(node)):
        return found
    if isinstance(node, n.Deadline):
        found.append((binders, node))
    for field in attrs.fields(type(node)):
        if field.name != "span":
            inner = binders
            if isinstance(node, n.Quantifier) and field.name == "condition":
                inner = (*binders, (node.var, node.source.dotted, False))
            found += _ref_deadlines(getattr(node, field.name), inner)
    return found


def _ref_records(run, binders, record=None, var=None):
    """Each combination of records the binders name: (the rule's own record and its name, or None), with
    the quantifiers' records set in ``run.bound``."""
    if not binders:
        yield record, var
        return
    (name, key, own), rest = binders[0], binders[1:]
    for item in run.facts.get(key) or ():
        if own:
            yield from _ref_records(run, rest, item, name)
        else:
            run.bound[name] = item
            yield from _ref_records(run, rest, record, var)
    if not own:
        run.bound.pop(name, None)


def header_notice(header, day) -> list:
    """The header's dates against the day of the case: before 施行, from 废止, after 有效期至."""
    out = []
    if header is not None:
        start = header.effective if isinstance(header.effective, dt.date) else None
        if start is not None and day < start:
            out.append(f"基准日 {day.isoformat()} 早于本办法施行日期 {start.isoformat()}")
        elif header.repealed is not None and day >= header.repealed:
            out.append(f"基准日 {day.isoformat()} 本办法已废止（自 {header.repealed.isoformat()} 起废止）")
        elif header.valid_until is not None and day > header.valid_until:
            out.append(f"基准日 {day.isoformat()} 晚于本办法有效期（至 {header.valid_until.isoformat()}）")
    return [DecisionNotice(None, message) for message in out]


QUESTION = Question(
    "notices", ("notices",),
    (RuleKind(Notice, "notice", "notices", compile_notice, sides=("shown", "not shown"),
              conditions=condition_only,
              describe=lambda r, w: f"notice “{r.message}” when {w.expr(r.condition)}",
              roles=lambda r, w: [("notices", ("notice", *reads_key(r, w)), w.rule(r))],
              statement="notice", syntax={"notice": build_notice}, check=check,
              may_read=frozenset({"satisfies", "violates", "expired", "dismissed", "as_of", "last_day",
                                  "dismissal_day", "term_number"}), words="a notice",
              word="notice", ref_reads=ref_reads_condition),),
    interpret, generate, reference=reference, order=80, uses=("obligations",),
    namespace={"sort_notices": sort_notices, "in_force_notices": in_force_notices, "deadline_notice": deadline_notice})
