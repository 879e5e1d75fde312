"""Evaluation of a compiled policy for one validated case.

The order is fixed, and the checker guarantees each rule reads only what is
decided before it: eligibility → term (renewals) → grounds → status → recusal,
violations, obligations, report, notices. Three-valued throughout: ``None``
is unknown. A pure function of (policy, facts, as_of, calendar).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from supervisor_rules.dates import periods
from supervisor_rules.lang.checker import BOOL, DATE, TEXT, EnumT, ListT
from supervisor_rules.engine.compiler import CompiledPolicy, CRule
from supervisor_rules.contracts.decision import (Citation, Decision, DutyState, Effect, Eligibility, EligibilityResult, Ground, InvalidRenewal, Notice, Obligation, Recusal, RecusalResult, Report, ReportResult, Status, Term, TraceSite, UndeterminedRenewal, Violation, steps_of)
from supervisor_rules.dates.workdays import MissingCalendarYear


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
    """Decide one validated case: the policy's generated code (codegen.py), or for a policy the generator
    declines, the interpreter below. Both give the same decision. Given a ``trace`` list, the steps of
    the explanation (``Step`` objects) are appended to it."""
    if trace is None:
        fast = policy.derived.get("fast", _UNBUILT)
        if fast is _UNBUILT:
            fast = fast_path(policy)
        if fast is not None:
            return fast(facts, sections, as_of, calendar_source)
        return interpret(policy, facts, sections, as_of, calendar_source)
    decision, records = evaluate_traced(policy, facts, sections, as_of, calendar_source)
    trace.extend(steps_of(records))
    return decision


def evaluate_traced(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date,
                    calendar_source) -> tuple[Decision, list]:
    """The decision and its trace, as records ``(site, outcome, *values)`` (``decision.TraceSite``):
    from the generated traced code where there is one, else from the interpreter. The same either way."""
    traced = policy.derived.get("traced", _UNBUILT)
    if traced is _UNBUILT:
        traced = traced_path(policy)
    records: list = []
    if traced is not None:
        return traced(facts, sections, as_of, calendar_source, records), records
    return interpret(policy, facts, sections, as_of, calendar_source, records), records


_UNBUILT = object()
_generate: Callable[..., Callable | None] | None = None


def use_generator(generate: Callable[..., Callable | None]) -> None:
    """Install ``generate(policy, traced=False)`` → the policy's generated evaluator, or None where the
    interpreter must do (``codegen.generate``, which imports this module: so the policy layer installs
    it); until then every policy is interpreted."""
    global _generate
    _generate = generate


def fast_path(policy: CompiledPolicy):
    """The policy's generated evaluator, built on first use; None where the interpreter must do."""
    derived = policy.derived
    try:
        return derived["fast"]
    except KeyError:
        fast = derived["fast"] = _generate(policy) if _generate is not None else None
        return fast


def traced_path(policy: CompiledPolicy):
    """The generated evaluator that also records the trace (built on first use, apart from the plain
    one: evaluation without a trace pays nothing for it); None where the interpreter must do."""
    derived = policy.derived
    try:
        return derived["traced"]
    except KeyError:
        traced = derived["traced"] = _generate(policy, traced=True) if _generate is not None else None
        return traced


class Sites:
    """The trace sites of a policy (``decision.TraceSite``): one per rule, showing the facts it reads;
    the term's two (its start unknown: the facts it reads; else its start), the renewal's (each
    record's date, then the facts its condition reads) and the status's."""

    def __init__(self, policy: CompiledPolicy):
        types = {f"{name}.{field}": info.type for name, section in policy.checked.sections.items()
                 for field, info in section.fields.items()}

        def site(rule: CRule, keys: tuple[str, ...], dated: str | None = None) -> TraceSite:
            """``dated``: a key no fact declares, that holds dates (a renewal record's own date)."""
            keys = tuple(dict.fromkeys(keys))  # as the step's dict would have them: each once
            kinds = [DATE if k == dated else types.get(k) for k in keys]
            memo = all(_plain(kind) for kind in kinds)
            lead = next((i for i, kind in enumerate(kinds) if kind != DATE), len(kinds))
            return TraceSite(rule.citation, rule.kind, keys, listed=rule.kind == "prohibit", memo=memo,
                             lead=lead)

        self.by_rule: dict[int, TraceSite] = {}
        for rules in (policy.requirements, policy.preferences, policy.grounds, policy.recusals,
                      policy.prohibitions, policy.duties, policy.scopes, policy.categories, policy.rewards,
                      policy.notices, (policy.dismissal_record,) if policy.dismissal_record else ()):
            for rule in rules:
                self.by_rule[id(rule)] = site(rule, rule.reads)
        term, renewal = policy.term, policy.renewal
        self.term_open = site(term, term.reads) if term is not None else None
        self.term = site(term, (term.due[2],)) if term is not None else None
        on = f"{renewal.key}[].{renewal.field}" if renewal is not None else None
        self.renewal = site(renewal, (on, *renewal.reads), dated=on) if renewal is not None else None
        self.status = TraceSite(None, "status", (), memo=True)

    def __getitem__(self, rule: CRule) -> TraceSite:
        return self.by_rule[id(rule)]

    def all(self) -> list[TraceSite]:
        """Every site."""
        return [site for site in (*self.by_rule.values(), self.term_open, self.term, self.renewal, self.status)
                if site is not None]


def _plain(ftype) -> bool:
    """Whether equal values of a fact of this type always have equal JSON (and hash): booleans, dates,
    texts, enum values and lists of these; so the JSON writer may remember steps showing them."""
    if ftype in (BOOL, DATE, TEXT) or isinstance(ftype, EnumT):
        return True
    return isinstance(ftype, ListT) and _plain(ftype.element)


def trace_sites(policy: CompiledPolicy) -> Sites:
    """The policy's trace sites, made once (the generated code and the interpreter record the same)."""
    derived = policy.derived
    try:
        return derived["sites"]
    except KeyError:
        sites = derived["sites"] = Sites(policy)
        return sites


def interpret(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date, calendar_source,
              trace: list | None = None) -> Decision:
    """The reference evaluation, rule by rule over the compiled closures. Given a ``trace`` list, it
    appends a record ``(site, outcome, *values)`` per step (``decision.steps_of`` makes the Steps)."""
    env = Env(facts, sections, as_of)
    missing: set[str] = set()
    open_facts = policy.open_facts
    sites = trace_sites(policy) if trace is not None else None

    def note(rule: CRule, outcome, site: TraceSite | None = None, values: tuple | None = None, advisory=False):
        if outcome is None and not advisory:
            missing.update(k for k in rule.reads if k not in facts and k in open_facts)
        if trace is not None:
            site = site or sites[rule]
            if values is None:
                values = tuple([facts.get(k) for k in site.keys])
            trace.append((site, tuple(outcome) if site.listed else outcome, *values))
        return outcome

    eligibility = _eligibility(policy, env, sections, note)
    term = _term(policy, env, note, sites)
    grounds, status = _status(policy, env, term, note)
    env.dismissed = True if status == Status.DISMISSED else None if status == Status.UNKNOWN else False
    if trace is not None:
        trace.append((sites.status, str(status)))

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
    sort_notices(policy, notices)
    return Decision(policy=policy.id, as_of=as_of, eligibility=eligibility, term=term, status=status,
                    grounds=tuple(grounds), recusal=recusal, obligations=tuple(obligations),
                    violations=tuple(violations), report=report, notices=tuple(notices),
                    missing_facts=tuple(sorted(missing)))


def _inapplicable(rule: CRule, sections: frozenset) -> bool:
    """A rule whose condition reads only sections the case does not have asks nothing of it."""
    return bool(rule.sections) and not (rule.sections & sections)


def positions(policy: CompiledPolicy) -> dict:
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


def sort_notices(policy: CompiledPolicy, notices: list) -> None:
    """Notices in the order of the provisions they cite (stable; uncited ones last)."""
    if len(notices) > 1:
        where, last = positions(policy), len(policy.citations)
        notices.sort(key=lambda x: where.get(x.citation, last))


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
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(start: dt.date, months: int) -> dt.date:
    """``periods.add_months`` without its argument checks (the callers pass a date and an int)."""
    index = start.year * 12 + start.month - 1 + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        return periods.add_months(start, months)  # raises PeriodOutOfRange
    day = start.day
    if day > 28:
        last = 29 if month0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else _DAYS[month0]
        day = min(day, last)
    return dt.date(year, month0 + 1, day)


def term_end(start: dt.date, amount: int, unit: str, k: int) -> dt.date:
    """Last day of term k (0 = the first) counted from the original start (Civil Code 201-202)."""
    return end_of(start, amount * (12 if unit == "years" else 1), k)


def end_of(start: dt.date, step: int, k: int) -> dt.date:
    """Last day of term k of ``step`` months each: ``add_months(start, step * (k + 1))``."""
    return add_months(start, step * (k + 1))


def term_index(start: dt.date, amount: int, unit: str, on: dt.date) -> int:
    """Which term (0-based) a date on or after the start falls in: the first whose last day is on or after it."""
    return index_of(start, amount * (12 if unit == "years" else 1), on)


def index_of(start: dt.date, step: int, on: dt.date) -> int:
    """``term_index`` for terms of ``step`` months, by month arithmetic alone.

    Term k ends in month ``start + step * (k + 1)`` on the start's day of the
    month, or that month's last day. It ends before ``on`` exactly when it ends
    in an earlier month, or in the same month while the start's day is before
    ``on``'s day (``on``'s day never exceeds its month). So the first term not
    ending before ``on`` is the first k with ``step * (k + 1) >= c``, where c is
    the months from the start's month to ``on``'s, plus one if the start's day
    is before ``on``'s day."""
    c = (on.year - start.year) * 12 + on.month - start.month + (start.day < on.day)
    return max(-(-c // step) - 1, 0)




def advance(states: set, index: int | None, condition) -> tuple[set, object, bool]:
    """One renewal record through the chain of possible renewal counts.

    ``states`` holds how many valid renewals the chain may have reached so far;
    the record applies to term ``index`` (None: dated before the start) and its
    condition is ``condition``. Returns the next states (a new set, or
    ``states`` itself when unchanged), the record's outcome (True valid, False
    invalid, None either) and whether it came on time for some state."""
    if len(states) == 1:  # the usual case: the count so far is certain
        for state in states:
            if index == state:
                if condition is True:
                    return {state + 1}, True, True
                if condition is None:
                    return {state, state + 1}, None, True
                return states, False, True
            return states, False, False
    outcomes, following = set(), set()
    for state in states:
        if index == state and condition is True:
            outcomes.add("valid")
            following.add(state + 1)
        elif index == state and condition is None:
            outcomes.add("unknown")
            following.update((state, state + 1))
        else:
            outcomes.add("invalid")
            following.add(state)
    timely = index is not None and index in states
    outcome = True if outcomes == {"valid"} else False if outcomes == {"invalid"} else None
    return following, outcome, timely


def reasons(pairs, wanted, fallback: tuple) -> tuple:
    """The citations among ``(value, citation)`` pairs whose value is ``wanted``; ``fallback`` if none."""
    found = tuple(citation for value, citation in pairs if value is wanted)
    return found or fallback


def _term(policy: CompiledPolicy, env: Env, note, sites: Sites | None) -> Term | None:
    rule = policy.term
    if rule is None:
        return None
    amount, unit, start_key = rule.due
    start = env.facts.get(start_key)
    if start is None:
        # No appointment: not an unknown, a different question.
        note(rule, None, sites and sites.term_open, advisory=True)
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
        index = term_index(start, amount, unit, on) if on >= start else None
        states, outcome, timely = advance(states, index, condition)
        if outcome is True:
            valid.append(on)
        elif outcome is False:
            # A renewal on time whose conditions fail cites them; one too late, a
            # second in the same term or one before the start cites the term.
            why = _renewal_reasons(renewal, env, False) if timely and condition is False else (rule.citation,)
            invalid.append(InvalidRenewal(on, why))
        else:
            undetermined.append(UndeterminedRenewal(on, _renewal_reasons(renewal, env, None)))
        note(renewal, "valid" if outcome is True else "invalid" if outcome is False else None,
             sites and sites.renewal,
             sites and (on, *[env.facts.get(k) for k in sites.renewal.keys[1:]]))
    env.var = {}
    low, high = min(states), max(states)
    last_low, last_high = term_end(start, amount, unit, low), term_end(start, amount, unit, high)
    env.expired = True if env.as_of > last_high else False if env.as_of <= last_low else None
    known = low == high
    years = amount if unit == "years" else amount / 12
    note(rule, last_high.isoformat() if known else None, sites and sites.term, (start,))
    return Term(years, start, last_low if known else None, low + 1 if known else None, tuple(valid),
                tuple(invalid), tuple(undetermined))


def _renewal_reasons(renewal: CRule, env: Env, wanted) -> tuple[Citation, ...]:
    """The requirements behind a renewal's condition that are ``wanted`` (False: unmet; None: unknown)."""
    return reasons(((r.fn(env), r.citation) for r in renewal.requirements), wanted, (renewal.citation,))


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
            due, state = deadline(rule, env.facts, env.as_of, notices, calendar_source)
        else:
            due = None
            met = rule.met(env) if rule.met is not None else None
            breached = rule.breached(env) if rule.breached is not None else None
            state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
        out.append(Obligation(rule.code, rule.citation, due, state))
        note(rule, str(state))
    return out


def deadline(rule: CRule, facts: dict, as_of: dt.date, notices: list, calendar_source):
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
