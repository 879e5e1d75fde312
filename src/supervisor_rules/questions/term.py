"""Term: how long an appointment runs (``term``), its renewals (``renewal``) and the further
conditions of a renewal written under other provisions (``renewal requires``).

Decides ``term``, and the ``expired``, ``last day`` and ``term number(…)`` that later questions read.
The term arithmetic (Civil Code 201-202) is here too: the generated code calls ``end_of``,
``advance``, ``cited`` and ``term_number_of``.
"""

from __future__ import annotations

import datetime as dt
import functools

import attrs

from supervisor_rules.dates import periods
from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Citation, InvalidRenewal, UndeterminedRenewal, make_term
from supervisor_rules.contracts.decision import Term as DecisionTerm
from supervisor_rules.questions.base import Question, RuleKind, condition_only, kleene_and, reads_key


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Term:
    """``term N years|months from DATE``: how long an appointment runs, from the original start."""

    amount: int
    unit: str  # "years" | "months" (the checker rejects others)
    start: n.Path
    span: n.Span = n.span_field()


@attrs.frozen
class Renewal:
    """``renewal VAR of RECORDS dated VAR.FIELD require X``: the renewals the case records."""

    var: str
    source: n.Path
    dated: n.Path
    condition: n.Expr
    span: n.Span = n.span_field()


@attrs.frozen
class RenewalCondition:
    """``renewal requires X`` / ``续聘须 X``: a further condition of the policy's renewal, written under
    the provision that states it (an invalid renewal cites that provision). ``X`` reads the renewal's
    record by the name the renewal gives it."""

    condition: n.Expr
    span: n.Span = n.span_field()


def build_term(b, c):
    return Term(b.int(c[1]), b.value(c[2]), c[4], span=b.span(c))


def build_renewal(b, c):
    return Renewal(b.name(c[1]), c[3], c[5], c[7], span=b.span(c))


def build_renewal_condition(b, c):
    return RenewalCondition(c[-1], span=b.span(c))


def renewal_of(provisions) -> Renewal | None:
    """The policy's renewal rule (the first, should a policy give two), from its provisions."""
    return next((rule for p in provisions for rule in p.rules if isinstance(rule, Renewal)), None)


def renewal_scope(rule, provisions) -> tuple[str, n.Path] | None:
    """``RuleKind.scope`` of a further renewal condition: the renewal's record name and its list."""
    renewal = renewal_of(provisions)
    return (renewal.var, renewal.source) if renewal is not None else None


# ------------------------------------------------------------------ checks
def check_term(chk, rule, provision, state) -> None:
    chk.expect_path(rule.start, chk.DATE, "the term's start")
    if rule.unit not in ("years", "months"):
        chk.report(rule.span, "a term is counted in years or months")
    if rule.amount <= 0:
        chk.report(rule.span, "a term must last at least one year or month")
    elif rule.amount > (100 if rule.unit == "years" else 1200):
        chk.report(rule.span, "a term longer than 100 years is surely a mistake")


def check_renewal(chk, rule, provision, state) -> None:
    source = chk.expect_path(rule.source, None, "the renewal records")
    record = source.element if isinstance(source, chk.ListT) and isinstance(source.element, chk.RecordT) else None
    if source is not None and record is None:
        chk.report(rule.source.span, f"renewal records must be a `list of` a record type, not {source}")
    if record is not None:
        scope = {rule.var: record}
        if rule.var in chk.sections:
            chk.report(rule.span, f"`{rule.var}` names a section of facts; choose another name")
        dated = chk.typed(rule.dated, scope)
        if dated is not None and dated != chk.DATE:
            chk.report(rule.dated.span, f"a renewal is dated by a date field, not {dated}")
        if rule.dated.parts[0] != rule.var:
            chk.report(rule.dated.span, f"the renewal date is a field of `{rule.var}`")
        chk.condition(rule.condition, scope)


def check_renewal_condition(chk, rule, provision, state) -> None:
    renewal = renewal_of(chk.provisions)
    if renewal is None:
        chk.report(rule.span, "`renewal requires …` / `续聘须 …` adds a condition to the policy's renewal, but "
                              "the policy has no `renewal` / `续聘` rule")
        chk.condition(rule.condition)
        return
    # The record type of the renewal's list, read quietly: the renewal's own check reports a bad list.
    head, *rest = renewal.source.parts
    section = chk.sections.get(head)
    info = section.fields.get(rest[0]) if section is not None and len(rest) == 1 else None
    listed = info.type if info is not None else None
    record = listed.element if isinstance(listed, chk.ListT) and isinstance(listed.element, chk.RecordT) else None
    if record is None:
        return
    scope = {renewal.var: record}
    bound = {node.var for node in n.walk(rule.condition) if isinstance(node, n.Quantifier)}
    for node in n.walk(rule.condition):
        if (isinstance(node, n.Path) and len(node.parts) == 2 and node.parts[0] not in chk.sections
                and node.parts[0] not in scope and node.parts[0] not in bound and node.parts[1] in record.fields):
            # A field of the renewal's record under another name: say whose name it is, once.
            chk.report(node.span, f"`{node.parts[0]}` is not the renewal's record: the renewal at "
                                  f"{renewal.span!r} names it `{renewal.var}` (`{renewal.var}.{node.parts[1]}`)")
            scope[node.parts[0]] = record
    chk.condition(rule.condition, scope)
    chk.reachable(rule.condition, rule)


# ------------------------------------------------------------------ compilation
def compile_term(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, reads=(rule.start.dotted,), due=(rule.amount, rule.unit, rule.start.dotted))


def compile_renewal(c, kind, rule, citation, order):
    # The condition's paths that start with the record's name read the record (`env.var`).
    c.renewal_var = rule.var
    try:
        requirements = ()
        if isinstance(rule.condition, n.Satisfies):
            requirements = tuple(c.requirements_under(rule.condition.ref))
        return c.rule(kind, citation, order, rule.condition, key=rule.source.dotted, field=rule.dated.parts[1],
                      requirements=requirements, var=rule.var)
    finally:
        c.renewal_var = None


def compile_renewal_condition(c, kind, rule, citation, order):
    renewal = renewal_of(c.checked.provisions)
    c.renewal_var = renewal.var  # the checker refuses the statement in a policy without a renewal
    try:
        return c.rule(kind, citation, order, rule.condition, var=renewal.var)
    finally:
        c.renewal_var = None


# ------------------------------------------------------------------ term arithmetic
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


def term_number_of(chain, on) -> int | None:
    """``term number(on)``: 1 for a day of the first term (from the start, the start day included, to its
    last day), 2 for one of the first renewed term …, 0 for a day in no term (before the start, or after
    the last term the valid renewals reach); unknown where ``on`` is, where the appointment is (no
    ``chain``), or where the day falls in a term that only a renewal of unknown validity would reach.
    ``chain`` is (the original start, months per term, the fewest and the most valid renewals the
    chain may have reached)."""
    if chain is None or on is None:
        return None
    start, step, low, high = chain
    if on < start:
        return 0
    k = index_of(start, step, on)
    return k + 1 if k <= low else 0 if k > high else None


def expired_after(policy, decision, facts) -> bool | None:
    """``expired`` as a decision shows it, for expressions read after the decision (invariants,
    coverage): not while nobody is appointed or before the start, unknown while the renewal chain is."""
    term = decision.term
    if term is None or decision.as_of < term.start:
        return False
    if term.last_day is not None:
        return decision.as_of > term.last_day
    return None


def last_day_after(policy, decision, facts) -> dt.date | None:
    """``last day`` as a decision shows it: its term's last day (unknown while the renewal chain is)."""
    return decision.term.last_day if decision.term is not None else None


def term_number_after(policy, decision, facts):
    """``term number(…)`` as a decision shows it: exact where the renewal chain is known; else as far as
    its lists tell (every valid renewal is reached, no more than the valid and undetermined ones)."""
    term, rule = decision.term, policy.term
    if term is None or rule is None:
        return None
    amount, unit, _ = rule.due
    if term.terms is not None:
        low = high = term.terms - 1
    else:
        low = len(term.valid_renewals)
        high = low + len(term.undetermined_renewals)
    return functools.partial(term_number_of, (term.start, amount * (12 if unit == "years" else 1), low, high))


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    term = ev.decided["term"] = _term(policy, ev)
    ev.env.last_day = term.last_day if term is not None else None


def _term(policy, ev) -> DecisionTerm | None:
    env, note = ev.env, ev.note
    sites = ev.sites.named if ev.sites is not None else None
    rule = policy.term
    if rule is None:
        return None
    amount, unit, start_key = rule.due
    start = env.facts.get(start_key)
    if start is None:
        # No appointment: not an unknown, a different question.
        note(rule, None, sites and sites["term_open"], advisory=True)
        env.expired = False  # nobody appointed: nothing can expire
        return None
    renewal, added = policy.renewal, policy.renewal_conditions
    records = env.facts.get(renewal.key) or () if renewal else ()
    states = {0}  # how many valid renewals the chain may have reached so far
    valid, invalid, undetermined = [], [], []
    for record in records:
        on = record[renewal.field]
        env.var = record
        own = renewal.fn(env)
        values = [a.fn(env) for a in added]
        condition = kleene_and((own, *values)) if added else own
        index = term_index(start, amount, unit, on) if on >= start else None
        states, outcome, timely = advance(states, index, condition)
        if outcome is True:
            valid.append(on)
        elif outcome is False:
            # A renewal on time whose conditions fail cites them and the facts they read; one too
            # late, a second in the same term or one before the start cites the term.
            if timely and condition is False:
                invalid.append(conditions_failed(on, _renewal_parts(renewal, own, added, values, env),
                                                 _own_part(renewal)))
            else:  # an invalid outcome leaves the possible counts as they were
                invalid.append(InvalidRenewal(on, untimely(index, max(states)), (rule.citation,)))
        else:
            undetermined.append(UndeterminedRenewal(
                on, unmet_of(_renewal_parts(renewal, own, added, values, env), None, _own_part(renewal))[0]))
        note(renewal, "valid" if outcome is True else "invalid" if outcome is False else None,
             sites and sites["renewal"],
             sites and (on, *[env.facts.get(k) for k in sites["renewal"].keys[1:]]), advisory=True)
        if outcome is None:
            # Open: the facts of its own condition are missing where that is unknown — of a `satisfies`
            # condition, those of the requirements that are (one that holds changes nothing).
            if renewal.requirements:
                for requirement in renewal.requirements:
                    if requirement.fn(env) is None:
                        ev.unknown(requirement)
            elif own is None:
                ev.unknown(renewal)
        for a, value in zip(added, values):
            # A further condition's unknown facts are missing only while the renewal's validity is open.
            site = sites and sites[f"renewal_condition{a.order}"]
            note(a, value, site, site and (on, *[env.facts.get(k) for k in site.keys[1:]]),
                 advisory=outcome is not None)
    env.var = {}
    low, high = min(states), max(states)
    step = amount * (12 if unit == "years" else 1)
    env.term_number = functools.partial(term_number_of, (start, step, low, high))
    last_low, last_high = term_end(start, amount, unit, low), term_end(start, amount, unit, high)
    env.expired = True if env.as_of > last_high else False if env.as_of <= last_low else None
    known = low == high
    years = amount if unit == "years" else amount / 12
    note(rule, last_high.isoformat() if known else None, sites and sites["term"], (start,))
    return DecisionTerm(years, start, last_low if known else None, low + 1 if known else None, tuple(valid),
                tuple(invalid), tuple(undetermined))


def _renewal_parts(renewal, own, added, values, env) -> list[tuple]:
    """A renewal's conditions as ``(order, value, citation, facts)``: the requirements its own
    `satisfies` condition stands for (else its own condition), and its further conditions."""
    var, key = renewal.var, renewal.key
    parts = ([(r.order, r.fn(env), r.citation, r.reads) for r in renewal.requirements] if renewal.requirements
             else [(renewal.order, own, renewal.citation, condition_facts(renewal, var, key))])
    parts += [(a.order, value, a.citation, condition_facts(a, var, key)) for a, value in zip(added, values)]
    return parts


def _own_part(renewal) -> tuple:
    return (renewal.order, None, renewal.citation, condition_facts(renewal, renewal.var, renewal.key))


def condition_facts(rule, var: str, key: str) -> tuple[str, ...]:
    """The facts a renewal condition reads: its facts, and the fields of the renewal's record
    (``var``, an entry of the list ``key``) as ``key[].field``."""
    fields = [f"{key}[].{node.parts[1]}" for node in n.walk(rule.expr)
              if isinstance(node, n.Path) and len(node.parts) == 2 and node.parts[0] == var]
    return (*rule.reads, *fields)


def unmet_of(parts, wanted, fallback: tuple) -> tuple[tuple[Citation, ...], tuple[str, ...]]:
    """The citations, in provision order and each once, of the ``(order, value, citation, facts)``
    parts whose value is ``wanted``, and the facts those read (sorted, each once); ``fallback``'s
    (the renewal's own part) if none is."""
    found = sorted((p for p in parts if p[1] is wanted), key=lambda p: p[0]) or [fallback]
    return (tuple(dict.fromkeys(p[2] for p in found)),
            tuple(sorted({fact for p in found for fact in p[3]})))


def conditions_failed(on: dt.date, parts, fallback: tuple) -> InvalidRenewal:
    """A renewal on time whose conditions fail: ``unmet_of`` the parts that are false."""
    unmet, facts = unmet_of(parts, False, fallback)
    return InvalidRenewal(on, "conditions", unmet, facts)


def untimely(index: int | None, reached: int) -> str:
    """Why a renewal that is not on time for the term the chain has ``reached`` (0-based) is invalid:
    dated before the start (``index`` None), after that term's last day, or in a term renewed already."""
    return "before_start" if index is None else "late" if index > reached else "second_in_term"


# ------------------------------------------------------------------ trace sites
def sites(policy, site) -> dict:
    """The term's two sites (its start unknown: the facts it reads; else its start) and the renewal's
    (each record's date, then the facts its condition reads)."""
    out = {}
    term, renewal = policy.term, policy.renewal
    if term is not None:
        out["term_open"] = site(term, term.reads)
        out["term"] = site(term, (term.due[2],))
    if renewal is not None:
        on = f"{renewal.key}[].{renewal.field}"
        out["renewal"] = site(renewal, (on, *renewal.reads), dated=on)
        for rule in policy.renewal_conditions:
            out[f"renewal_condition{rule.order}"] = site(rule, (on, *rule.reads), dated=on)
    return out


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    rule = policy.term
    gen.emit("expired = None")
    gen.emit("derived_last_day = None")
    gen.emit("term_chain = None")  # what `term number(…)` reads: (start, months per term, low, high)
    if rule is None:
        gen.emit("term = None")
        return
    amount, unit, start_key = rule.due
    years = amount if unit == "years" else amount / 12
    step = gen.const(amount * (12 if unit == "years" else 1))
    gen.emit(f"start = get({gen.text(start_key)})")
    gen.emit("if start is None:")
    gen.emit("    term = None")
    gen.emit("    expired = False")
    gen.trace.step(gen.trace.named("term_open"), "None", indent=1)
    gen.emit("else:")
    gen.depth += 1
    renewal = policy.renewal
    if renewal is None:
        gen.emit("low = high = 0")
        gen.emit("valid = invalid = undetermined_renewals = ()")
    else:
        gen.emit(f"records = get({gen.text(renewal.key)})")
        gen.emit("if not records:")
        gen.emit("    low = high = 0")
        gen.emit("    valid = invalid = undetermined_renewals = ()")
        gen.emit("else:")
        gen.depth += 1
        gen.emit("valid = []")
        gen.emit("invalid = []")
        gen.emit("undetermined_renewals = []")
        # How many valid renewals the chain has reached: `count`, while that is certain (`states` is
        # None); once a renewal's validity is unknown, the set of possible counts (runtime.advance).
        gen.emit("count = 0")
        gen.emit("states = None")
        gen.emit("for record in records:")
        gen.depth += 1
        gen.emit(f"on = record[{gen.text(renewal.field)}]")
        added = policy.renewal_conditions
        gen.renewal_var = renewal.var
        gen.emit(f"{'own' if added else 'condition'} = {gen.expr(renewal.expr)}")
        for i, a in enumerate(added):
            gen.emit(f"rc{i} = {gen.expr(a.expr)}")
        gen.renewal_var = None
        if added:
            gen.emit(f"condition = {gen.kleene(False, ['own', *(f'rc{i}' for i in range(len(added)))])}")
        # runtime.index_of, inline: the term (0-based) the record renews.
        gen.emit(f"index = max(-(-((on.year - start.year) * 12 + on.month - start.month + (start.day < on.day))"
                  f" // {step}) - 1, 0) if on >= start else None")
        gen.emit("if states is not None:")
        gen.emit("    states, outcome, timely = advance(states, index, condition)")
        gen.emit("elif index == count:")
        gen.emit("    timely = True")
        gen.emit("    if condition is True:")
        gen.emit("        outcome = True")
        gen.emit("        count += 1")
        gen.emit("    elif condition is None:")
        gen.emit("        outcome = None")
        gen.emit("        states = {count, count + 1}")
        gen.emit("    else:")
        gen.emit("        outcome = False")
        gen.emit("else:")
        gen.emit("    timely = outcome = False")
        # _renewal_parts: (order, value, citation, facts) of each condition, cited in provision order.
        parts = ([(r.order, gen.requirement_value[r.order], r.citation, r.reads) for r in renewal.requirements]
                 if renewal.requirements
                 else [(renewal.order, "own" if added else "condition", renewal.citation,
                        condition_facts(renewal, renewal.var, renewal.key))])
        parts += [(a.order, f"rc{i}", a.citation, condition_facts(a, renewal.var, renewal.key))
                  for i, a in enumerate(added)]
        pairs = "(" + "".join(f"({order}, {value}, {gen.const(citation)}, {gen.const(read)}), "
                              for order, value, citation, read in parts) + ")"
        own = gen.const(_own_part(renewal))
        gen.emit("if outcome is True:")
        gen.emit("    valid.append(on)")
        gen.emit("elif outcome is False:")
        gen.emit("    if timely and condition is False:")
        gen.emit(f"        invalid.append(conditions_failed(on, {pairs}, {own}))")
        gen.emit("    else:  # an invalid outcome leaves the possible counts as they were")
        gen.emit("        invalid.append(InvalidRenewal(on, untimely(index, count if states is None else max(states)), "
                 f"{gen.const((rule.citation,))}))")
        gen.emit("else:")
        gen.depth += 1
        gen.emit(f"undetermined_renewals.append(UndeterminedRenewal(on, unmet_of({pairs}, None, {own})[0]))")
        # The facts of its own condition where that is unknown (of a `satisfies`, each unknown requirement's).
        for part, value in ([(r, gen.requirement_value[r.order]) for r in renewal.requirements]
                            if renewal.requirements else [(renewal, "own" if added else "condition")]):
            if gen.misses(part):
                gen.emit(f"if {value} is None:")
                gen.depth += 1
                gen.missing(part)
                gen.depth -= 1
        for i, a in enumerate(added):
            if any(k in policy.open_facts for k in a.reads):
                gen.emit(f"if rc{i} is None:")
                gen.depth += 1
                gen.missing(a)
                gen.depth -= 1
        gen.depth -= 1

        def shown(site):  # a renewal's steps show its date, then the facts they read
            return ["on", *(gen.fact_names.get(k) or f"get({gen.text(k)})" for k in site.keys[1:])]
        gen.trace.step(gen.trace.named("renewal"), f"({gen.const('valid')} if outcome is True else "
                       f"{gen.const('invalid')} if outcome is False else None)", shown)
        for i, a in enumerate(added):
            gen.trace.step(gen.trace.named(f"renewal_condition{a.order}"), f"rc{i}", shown)
        gen.depth -= 1
        gen.emit("if states is None:")
        gen.emit("    low = high = count")
        gen.emit("else:")
        gen.emit("    low = min(states)")
        gen.emit("    high = max(states)")
        gen.emit("valid = tuple(valid)")
        gen.emit("invalid = tuple(invalid)")
        gen.emit("undetermined_renewals = tuple(undetermined_renewals)")
        gen.depth -= 1
    gen.emit(f"last_low = end_of(start, {step}, low)")
    gen.emit(f"last_high = last_low if high == low else end_of(start, {step}, high)")
    gen.emit("expired = True if as_of > last_high else False if as_of <= last_low else None")
    gen.emit(f"term_chain = (start, {step}, low, high)")
    gen.emit("if low == high:")
    gen.emit("    derived_last_day = last_low")
    gen.emit(f"    term = Term({gen.const(years)}, start, last_low, low + 1, valid, invalid, "
              "undetermined_renewals)")
    gen.emit("else:")
    gen.depth += 1
    gen.emit(f"term = Term({gen.const(years)}, start, None, None, valid, invalid, undetermined_renewals)")
    gen.missing(rule)
    gen.depth -= 1
    gen.trace.step(gen.trace.named("term"), "ISO(last_high) if low == high else None", ["start"])
    gen.depth -= 1


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads_term(policy, rule) -> None:
    rule.reads = (rule.node.start.dotted,)


def ref_reads_renewal(policy, rule) -> None:
    rule.reads = policy.reads(rule.node.condition, var=rule.node.var)


def ref_reads_renewal_condition(policy, rule) -> None:
    renewal = policy.first(Renewal)
    rule.reads = policy.reads(rule.node.condition, var=renewal.node.var if renewal is not None else None)


def reference(run) -> None:
    term = run.decided["term"] = _ref_term(run)
    # `last day`: the last day of the term the case is in, as the decision shows it.
    run.last_day = term.last_day if term is not None else None


def _ref_term(run) -> DecisionTerm | None:
    rule = run.policy.first(Term)
    if rule is None:
        return None
    node: Term = rule.node
    start = run.facts.get(node.start.dotted)
    if start is None:
        # Nobody appointed: no term, and nothing that can expire. Not an unknown: another question.
        run.step(rule, "term", None)
        run.expired = False
        return None
    months = node.amount * 12 if node.unit == "years" else node.amount

    def last_day(k: int) -> dt.date:
        """Term k (0: the first) ends (k + 1) terms after the original start (Civil Code 201-202)."""
        return periods.add_months(start, months * (k + 1))

    def term_of(day: dt.date) -> int:
        """The term a day on or after the start falls in: the first that has not ended before it."""
        # A first guess that is surely not past the answer: terms ending in an earlier month than
        # the day's have ended before it.
        elapsed = (day.year - start.year) * 12 + (day.month - start.month)
        k = max(elapsed // months - 1, 0)
        while last_day(k) < day:
            k += 1
        return k

    valid: list[dt.date] = []
    invalid: list[InvalidRenewal] = []
    undetermined: list[UndeterminedRenewal] = []
    possible = {0}  # how many valid renewals the chain may have reached so far
    renewal = run.policy.first(Renewal)
    further = run.policy.of(RenewalCondition)
    if renewal is not None:
        source: Renewal = renewal.node
        field = source.dated.parts[1]
        shown_key = f"{source.source.dotted}[].{field}"
        for record in run.facts.get(source.source.dotted) or ():
            on = record[field]
            own = run.value(source.condition, record, source.var)
            # Valid only if its own condition and every further one hold (Kleene's and).
            values = [run.value(rule.node.condition, record, source.var) for rule in further]
            condition = run.all_of([own, *values])
            # A renewal applies to the term in which it is dated; one before the start, to none.
            dated_in = term_of(on) if on >= start else None
            outcomes, following = set(), set()
            for count in possible:
                if dated_in == count and condition is True:
                    outcomes.add("valid")
                    following.add(count + 1)
                elif dated_in == count and condition is None:
                    outcomes.add("unknown")
                    following.update((count, count + 1))
                else:  # too late, too early, a second one in the term, or its conditions fail
                    outcomes.add("invalid")
                    following.add(count)
            on_time = dated_in is not None and dated_in in possible
            possible = following
            if outcomes == {"valid"}:
                valid.append(on)
                outcome = "valid"
            elif outcomes == {"invalid"}:
                if on_time and condition is False:
                    why, failed = _ref_renewal_reasons(run, renewal, own, further, values, False)
                    invalid.append(InvalidRenewal(on, "conditions", why, failed))
                else:  # late, before the start or a second in the term: the term's article
                    if dated_in is None:
                        reason = "before_start"
                    elif all(dated_in > count for count in possible):
                        reason = "late"  # after the last day of every term the chain may have reached
                    else:
                        reason = "second_in_term"
                    invalid.append(InvalidRenewal(on, reason, (rule.citation,)))
                outcome = "invalid"
            else:
                undetermined.append(UndeterminedRenewal(
                    on, _ref_renewal_reasons(run, renewal, own, further, values, None)[0]))
                if own is None:  # open through its own condition: what is missing there
                    if isinstance(source.condition, n.Satisfies):  # the requirements that are unknown
                        for requirement in run.policy.referenced("satisfies", source.condition.ref):
                            if run.holds(requirement) is None:
                                run.unknown(requirement)
                    else:
                        run.unknown(renewal)
                outcome = None
            shown = {shown_key: on, **{key: run.facts.get(key) for key in renewal.reads}}
            run.step(renewal, "renewal", outcome, shown)
            for added, value in zip(further, values):
                if outcome is None and value is None:  # what is missing, while the renewal is open
                    run.unknown(added)
                run.step(added, "renewal_condition", value,
                         {shown_key: on, **{key: run.facts.get(key) for key in added.reads}})
    run.term_number = _ref_term_number(start, months, possible, last_day)
    earliest, latest = last_day(min(possible)), last_day(max(possible))
    if run.as_of > latest:
        run.expired = True
    elif run.as_of <= earliest:
        run.expired = False
    else:
        run.expired = None
    known = len(possible) == 1
    if not known:
        run.unknown(rule)
    run.step(rule, "term", latest.isoformat() if known else None, {node.start.dotted: start})
    years = node.amount if node.unit == "years" else node.amount / 12
    return DecisionTerm(years, start, earliest if known else None,  # type: ignore[arg-type]
                min(possible) + 1 if known else None, tuple(valid), tuple(invalid), tuple(undetermined))


def _ref_renewal_reasons(run, renewal, own, further, values, wanted) -> tuple[tuple[Citation, ...], tuple[str, ...]]:
    """Why a renewal's conditions fail (``wanted`` False) or are open (None): where its own condition
    has that value, the requirements a `satisfies` condition stands for that have it (else the
    renewal's own provision); and each further condition (``renewal requires``) that has it. In the
    order of the provisions, each once; the renewal's own provision if none. With them, the facts
    those conditions read (a field of the renewal's record as ``LIST[].FIELD``), sorted."""
    found: list = []
    if own is wanted:
        condition = renewal.node.condition
        if isinstance(condition, n.Satisfies):
            found += [rule for rule in run.policy.referenced("satisfies", condition.ref)
                      if run.holds(rule) is wanted]
        if not found:
            found.append(renewal)
    found += [rule for rule, value in zip(further, values) if value is wanted]
    if not found:
        found.append(renewal)
    position = run.policy.position
    ordered = sorted(dict.fromkeys(rule.citation for rule in found), key=lambda citation: position[citation])
    source = renewal.node
    facts: set[str] = set()
    for rule in found:
        facts.update(rule.reads)
        if rule is renewal or isinstance(rule.node, RenewalCondition):
            facts.update(f"{source.source.dotted}[].{node.parts[1]}" for node in n.walk(rule.node.condition)
                         if isinstance(node, n.Path) and len(node.parts) == 2 and node.parts[0] == source.var)
    return tuple(ordered), tuple(sorted(facts))


def _ref_term_number(start: dt.date, months: int, possible: set, last_day):
    """``term number(day)`` in the reference: the term the day falls in, counted from 1, if the renewal
    chain surely reaches it; 0 where it surely does not (a day before the start too); else unknown."""
    def term_number(day):
        if day is None:
            return None
        if day < start:
            return 0
        # The first term whose last day is not before the day; those ending in an earlier month than
        # the day's surely are, so start after them.
        k = max(((day.year - start.year) * 12 + day.month - start.month) // months - 1, 0)
        while True:
            try:
                if last_day(k) >= day:
                    break
            except periods.PeriodOutOfRange:
                break  # a term ending after the last date there is holds every day before it
            k += 1
        reached = {k <= count for count in possible}  # term k is reached after k valid renewals
        return k + 1 if reached == {True} else 0 if reached == {False} else None
    return term_number


QUESTION = Question(
    "term", ("term",),
    (RuleKind(Term, "term", "term", compile_term, single=True, own_site=False, sides=("running", "ended"),
              conditions=lambda r: (), describe=lambda r, w: f"term {w.amount(r.amount, r.unit)} from {r.start.dotted}",
              roles=lambda r, w: [("term", ("term",), w.rule(r))],
              statement="term", syntax={"term": build_term}, check=check_term, may_read=frozenset({"as_of"}),
              words="a term", word="term", provides=frozenset({"expired", "last_day", "dismissal_day", "term_number"}),
              ref_reads=ref_reads_term),
     RuleKind(Renewal, "renewal", "renewal", compile_renewal, single=True, own_site=False,
              sides=("valid", "invalid"), conditions=condition_only,
              describe=lambda r, w: f"renewal {r.var} of {r.source.dotted} dated {r.dated.dotted} "
                                    f"requires {w.expr(r.condition)}",
              roles=lambda r, w: [("term", ("renewal",), f"renewal requires {w.expr(r.condition)}")],
              statement="renewal", syntax={"renewal": build_renewal}, check=check_renewal,
              may_read=frozenset({"satisfies", "violates", "as_of"}), words="a renewal condition", word="renewal",
              needs=Term, ref_reads=ref_reads_renewal),
     RuleKind(RenewalCondition, "renewal_condition", "renewal_conditions", compile_renewal_condition,
              own_site=False, sides=("met", "unmet"), conditions=condition_only,
              describe=lambda r, w: f"renewal requires {w.expr(r.condition)}",
              roles=lambda r, w: [("term", ("renewal requires", *reads_key(r, w)), w.rule(r))],
              statement="renewal_condition", syntax={"renewal_condition": build_renewal_condition},
              check=check_renewal_condition, may_read=frozenset({"satisfies", "violates", "as_of"}),
              words="a further renewal condition", word="renewal requires", scope=renewal_scope,
              ref_reads=ref_reads_renewal_condition)),
    interpret, generate, sites, reference=reference, order=20,
    after={"expired": expired_after, "last_day": last_day_after, "term_number": term_number_after},
    namespace={"Term": make_term, "InvalidRenewal": InvalidRenewal, "UndeterminedRenewal": UndeterminedRenewal,
               "end_of": end_of, "advance": advance, "unmet_of": unmet_of, "conditions_failed": conditions_failed, "untimely": untimely, "term_number_of": term_number_of,
               "ISO": dt.date.isoformat})
