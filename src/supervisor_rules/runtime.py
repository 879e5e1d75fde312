"""Evaluation of a compiled policy for one validated case.

The order is fixed, and the checker guarantees each rule reads only what is
decided before it: eligibility → term (renewals) → grounds → status → recusal,
violations, obligations, report, notices. Three-valued throughout: ``None``
is unknown. A pure function of (policy, facts, as_of, calendar).
"""

from __future__ import annotations

import datetime as dt

from . import periods
from .compiler import CompiledPolicy, CRule
from .decision import (Citation, Decision, DutyState, Effect, Eligibility, EligibilityResult, Ground,
                       InvalidRenewal, Notice, Obligation, Recusal, RecusalResult, Report, ReportResult, Status,
                       Step, Term, UndeterminedRenewal, Violation)
from .workdays import MissingCalendarYear


class Env:
    """What closures read: the facts, the present sections, and derived values."""

    __slots__ = ("facts", "sections", "as_of", "var", "expired", "dismissed", "cache")

    def __init__(self, facts: dict, sections: frozenset, as_of: dt.date):
        self.facts = facts
        self.sections = sections
        self.as_of = as_of
        self.var: dict = {}
        self.expired = None
        self.dismissed = None
        self.cache: dict = {}


_RANK = {"required": 2, "request": 1}


def evaluate(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date, calendar_source,
             trace: list | None = None) -> Decision:
    env = Env(facts, sections, as_of)
    missing: set[str] = set()
    open_facts = policy.open_facts

    def note(rule: CRule, outcome, read_facts=None, advisory=False):
        if outcome is None and not advisory:
            missing.update(k for k in rule.reads if k not in facts and k in open_facts)
        if trace is not None:
            trace.append(Step(rule.citation, rule.kind, outcome,
                              read_facts if read_facts is not None else {k: facts.get(k) for k in rule.reads}))
        return outcome

    eligibility = _eligibility(policy, env, sections, note)
    term = _term(policy, env, note)
    grounds, status = _status(policy, env, term, note)
    env.dismissed = True if status == Status.DISMISSED else None if status == Status.UNKNOWN else False
    if trace is not None:
        trace.append(Step(None, "status", str(status), {}))

    violations = []
    for rule in policy.prohibitions:
        recorded = facts.get(rule.key) or ()
        for code in recorded:
            if code in rule.codes:
                violations.append(Violation(code, rule.citation))
        if trace is not None:
            note(rule, [c for c in recorded if c in rule.codes])

    recusal = _recusal(policy, env, sections, note)
    notices: list[Notice] = []
    obligations = _obligations(policy, env, note, notices, calendar_source)
    report = _report(policy, env, sections, note)
    for rule in policy.notices:
        if _inapplicable(rule, sections):
            continue
        # Notices are advisory: an unknown one leaves nothing undecided.
        if note(rule, rule.fn(env), advisory=True) is True:
            notices.append(Notice(rule.citation, rule.text))
    notices.sort(key=lambda x: _position(policy, x.citation))
    return Decision(policy=policy.id, as_of=as_of, eligibility=eligibility, term=term, status=status,
                    grounds=tuple(grounds), recusal=recusal, obligations=tuple(obligations),
                    violations=tuple(violations), report=report, notices=tuple(notices),
                    missing_facts=tuple(sorted(missing)))


def _inapplicable(rule: CRule, sections: frozenset) -> bool:
    """A rule whose condition reads only sections the case does not have asks nothing of it."""
    return bool(rule.sections) and not (rule.sections & sections)


def _position(policy: CompiledPolicy, citation: Citation | None) -> int:
    return policy.citations.index(citation) if citation in policy.citations else len(policy.citations)


# ------------------------------------------------------------------ eligibility
def _eligibility(policy, env, sections, note) -> Eligibility:
    if not policy.requirements or not (policy.sections_read(policy.requirements) & sections):
        return Eligibility(EligibilityResult.NOT_APPLICABLE)
    unmet, undetermined = [], []
    for rule in policy.requirements:
        value = note(rule, rule.fn(env))
        if value is False:
            unmet.append(rule.citation)
        elif value is None:
            undetermined.append(rule.citation)
    result = (EligibilityResult.INELIGIBLE if unmet else
              EligibilityResult.UNKNOWN if undetermined else EligibilityResult.ELIGIBLE)
    preferred, preferences = None, []
    if policy.preferences:
        values = [note(rule, rule.fn(env)) for rule in policy.preferences]
        preferences = [rule.citation for rule, v in zip(policy.preferences, values) if v is True]
        preferred = True if preferences else (None if None in values else False)
    return Eligibility(result, tuple(unmet), tuple(undetermined), preferred, tuple(preferences))


# ------------------------------------------------------------------ term
def _term_end(start: dt.date, amount: int, unit: str, k: int) -> dt.date:
    """Last day of term k (0 = the first) counted from the original start (Civil Code 201-202)."""
    months = amount * (k + 1) * (12 if unit == "years" else 1)
    return periods.add_months(start, months)


def _term(policy: CompiledPolicy, env: Env, note) -> Term | None:
    rule = policy.term
    if rule is None:
        return None
    amount, unit, start_key = rule.due
    start = env.facts.get(start_key)
    if start is None:
        note(rule, None, advisory=True)  # no appointment: not an unknown, a different question
        env.expired = False  # nobody appointed: nothing can expire
        return None
    renewal = policy.renewal
    records = env.facts.get(renewal.key) or () if renewal else ()
    states = {0}  # how many valid renewals the chain may have reached so far
    valid, invalid, undetermined = [], [], []
    for record in records:
        on = record[renewal.field]
        env.var = record
        condition = renewal.fn(env)
        index = _term_index(start, amount, unit, on) if on >= start else None
        outcomes, next_states = set(), set()
        for state in states:
            if index == state and condition is True:
                outcomes.add("valid")
                next_states.add(state + 1)
            elif index == state and condition is None:
                outcomes.add("unknown")
                next_states.update((state, state + 1))
            else:
                outcomes.add("invalid")
                next_states.add(state)
        timely = index is not None and index in states
        states = next_states
        if outcomes == {"valid"}:
            valid.append(on)
        elif outcomes == {"invalid"}:
            # A renewal on time whose conditions fail cites them; one too late, a
            # second in the same term or one before the start cites the term.
            reasons = _renewal_reasons(renewal, env, False) if timely and condition is False else (rule.citation,)
            invalid.append(InvalidRenewal(on, reasons))
        else:
            undetermined.append(UndeterminedRenewal(on, _renewal_reasons(renewal, env, None)))
        note(renewal, "valid" if outcomes == {"valid"} else "invalid" if outcomes == {"invalid"} else None,
             {f"{renewal.key}[].{renewal.field}": on, **{k: env.facts.get(k) for k in renewal.reads}})
    env.var = {}
    low, high = min(states), max(states)
    last_low, last_high = _term_end(start, amount, unit, low), _term_end(start, amount, unit, high)
    env.expired = True if env.as_of > last_high else False if env.as_of <= last_low else None
    known = low == high
    years = amount if unit == "years" else amount / 12
    note(rule, last_high.isoformat() if known else None, {start_key: start})
    return Term(years, start, last_low if known else None, low + 1 if known else None, tuple(valid),
                tuple(invalid), tuple(undetermined))


def _term_index(start: dt.date, amount: int, unit: str, on: dt.date) -> int:
    """Which term (0-based) a date falls in: the first whose last day is on or after it."""
    step_months = amount * (12 if unit == "years" else 1)
    months = (on.year - start.year) * 12 + (on.month - start.month)
    k = max(months // step_months - 1, 0)
    while _term_end(start, amount, unit, k) < on:
        k += 1
    return k


def _renewal_reasons(renewal: CRule, env: Env, wanted) -> tuple[Citation, ...]:
    """The requirements behind a renewal's condition that are ``wanted`` (False: unmet; None: unknown)."""
    if renewal.requirements:
        found = tuple(r.citation for r in renewal.requirements if r.fn(env) is wanted)
        if found:
            return found
    return (renewal.citation,)


# ------------------------------------------------------------------ status
def _status(policy, env, term, note) -> tuple[list[Ground], Status]:
    start = term.start if term is not None else None
    if start is None or env.as_of < start:
        return [], Status.NOT_APPOINTED
    grounds, ending_unknown, ended = [], False, False
    for rule in policy.grounds:
        value = note(rule, rule.fn(env))
        if value is True:
            grounds.append(Ground(rule.citation, Effect(rule.effect)))
            ended = ended or rule.effect != "discretionary"
        elif value is None and rule.effect != "discretionary":
            ending_unknown = True
    record = policy.dismissal_record
    if record is not None:
        on = env.facts.get(record.key)
        recorded = on is not None and on <= env.as_of
        note(record, recorded)
        ended = ended or recorded
    if ended:
        return grounds, Status.DISMISSED
    return grounds, Status.UNKNOWN if ending_unknown else Status.ACTIVE


# ------------------------------------------------------------------ recusal
def _recusal(policy, env, sections, note) -> Recusal:
    if not policy.recusals or not (policy.sections_read(policy.recusals) & sections):
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
    strongest = max(_RANK[r.recusal] for r in holding)
    chosen = [r for r in holding if _RANK[r.recusal] == strongest]
    return Recusal(RecusalResult(chosen[0].recusal), chosen[0].decided_by, tuple(r.citation for r in chosen))


# ------------------------------------------------------------------ obligations
def _obligations(policy, env, note, notices, calendar_source) -> list[Obligation]:
    out = []
    for rule in policy.duties:
        if _inapplicable(rule, env.sections):
            continue
        applies = rule.fn(env) if rule.fn is not None else True
        if applies is False:
            note(rule, False)
            continue
        if applies is None:
            note(rule, None)  # whether the duty arises is open: its facts are missing
            continue
        if rule.due is not None:
            due, state = _deadline(rule, env, notices, calendar_source)
        else:
            due = None
            met = rule.met(env) if rule.met is not None else None
            breached = rule.breached(env) if rule.breached is not None else None
            state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
        out.append(Obligation(rule.code, rule.citation, due, state))
        note(rule, str(state))
    return out


def _deadline(rule: CRule, env: Env, notices: list, calendar_source):
    amount, unit, base_key = rule.due
    base = env.facts.get(base_key)
    done = env.facts.get(rule.done_key)
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
        if done is None and env.as_of <= base + dt.timedelta(days=amount):
            return None, DutyState.OWED
        return None, DutyState.UNKNOWN
    except (periods.PeriodOutOfRange, OverflowError):
        return None, DutyState.UNKNOWN
    if done is not None:
        return due, DutyState.MET if done <= due else DutyState.OVERDUE
    return due, DutyState.OVERDUE if env.as_of > due else DutyState.OWED


# ------------------------------------------------------------------ report
def _report(policy, env, sections, note) -> Report:
    rules = (*policy.scopes, *policy.categories)
    if not rules or not (policy.sections_read(rules) & sections):
        return Report(ReportResult.NOT_APPLICABLE)
    scope = True
    for rule in policy.scopes:
        value = note(rule, rule.fn(env))
        if value is False:
            scope = False
        elif value is None and scope is True:
            scope = None
    category, category_value = None, False if policy.categories else True
    for rule in policy.categories:
        value = note(rule, rule.fn(env))
        if value is True:
            category, category_value = rule.citation, True
            break
        if value is None:
            category_value = None
    in_scope = False if (scope is False or category_value is False) else \
        None if (scope is None or category_value is None) else True
    if in_scope is None:
        return Report(ReportResult.UNKNOWN, category)
    if not in_scope:
        return Report(ReportResult.OUT_OF_SCOPE, None)
    for rule in policy.rewards:
        if note(rule, rule.fn(env)) is True:
            return Report(ReportResult.IN_SCOPE, category, True, rule.text)
    return Report(ReportResult.IN_SCOPE, category, False, None)
