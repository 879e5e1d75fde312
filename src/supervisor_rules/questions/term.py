"""Term: how long an appointment runs (``term``), and its renewals (``renewal``).

Decides ``term`` and the ``expired`` that later questions read. The term arithmetic
(Civil Code 201-202) is here too: the generated code calls ``end_of``, ``advance`` and
``reasons``.
"""

from __future__ import annotations

import datetime as dt

from supervisor_rules.dates import periods
from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Citation, InvalidRenewal, Term, UndeterminedRenewal, make_term
from supervisor_rules.questions.base import Question, RuleKind, condition_only


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


def reasons(pairs, wanted, fallback: tuple) -> tuple:
    """The citations among ``(value, citation)`` pairs whose value is ``wanted``; ``fallback`` if none."""
    found = tuple(citation for value, citation in pairs if value is wanted)
    return found or fallback


def expired_after(decision) -> bool | None:
    """``expired`` as a decision shows it, for expressions read after the decision (invariants,
    coverage): not while nobody is appointed or before the start, unknown while the renewal chain is."""
    term = decision.term
    if term is None or decision.as_of < term.start:
        return False
    if term.last_day is not None:
        return decision.as_of > term.last_day
    return None


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    ev.decided["term"] = _term(policy, ev)


def _term(policy, ev) -> Term | None:
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
             sites and sites["renewal"],
             sites and (on, *[env.facts.get(k) for k in sites["renewal"].keys[1:]]))
    env.var = {}
    low, high = min(states), max(states)
    last_low, last_high = term_end(start, amount, unit, low), term_end(start, amount, unit, high)
    env.expired = True if env.as_of > last_high else False if env.as_of <= last_low else None
    known = low == high
    years = amount if unit == "years" else amount / 12
    note(rule, last_high.isoformat() if known else None, sites and sites["term"], (start,))
    return Term(years, start, last_low if known else None, low + 1 if known else None, tuple(valid),
                tuple(invalid), tuple(undetermined))


def _renewal_reasons(renewal, env, wanted) -> tuple[Citation, ...]:
    """The requirements behind a renewal's condition that are ``wanted`` (False: unmet; None: unknown)."""
    return reasons(((r.fn(env), r.citation) for r in renewal.requirements), wanted, (renewal.citation,))


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
    return out


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    rule = policy.term
    gen.emit("expired = None")
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
    if gen.traced:
        gen.depth += 1
        gen.step(gen.sites.named["term_open"], "None")
        gen.depth -= 1
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
        gen.renewal_var = renewal.var
        gen.emit(f"condition = {gen.expr(renewal.expr)}")
        gen.renewal_var = None
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
        own = gen.const((renewal.citation,))
        if renewal.requirements:
            pairs = "(" + "".join(f"({gen.requirement_value[r.order]}, {gen.const(r.citation)}), "
                                  for r in renewal.requirements) + ")"
            unmet, undetermined = f"reasons({pairs}, False, {own})", f"reasons({pairs}, None, {own})"
        else:
            unmet = undetermined = own
        gen.emit("if outcome is True:")
        gen.emit("    valid.append(on)")
        gen.emit("elif outcome is False:")
        gen.emit(f"    invalid.append(InvalidRenewal(on, {unmet} "
                  f"if timely and condition is False else {gen.const((rule.citation,))}))")
        gen.emit("else:")
        gen.depth += 1
        gen.emit(f"undetermined_renewals.append(UndeterminedRenewal(on, {undetermined}))")
        gen.missing(renewal)
        gen.depth -= 1
        site = gen.sites.named["renewal"] if gen.traced else None
        gen.step(site, f"({gen.const('valid')} if outcome is True else {gen.const('invalid')} "
                        "if outcome is False else None)",
                  ["on", *(gen.fact_names.get(k) or f"get({gen.text(k)})" for k in site.keys[1:])]
                  if site else None)
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
    gen.emit("if low == high:")
    gen.emit(f"    term = Term({gen.const(years)}, start, last_low, low + 1, valid, invalid, "
              "undetermined_renewals)")
    gen.emit("else:")
    gen.depth += 1
    gen.emit(f"term = Term({gen.const(years)}, start, None, None, valid, invalid, undetermined_renewals)")
    gen.missing(rule)
    gen.depth -= 1
    if gen.traced:
        gen.step(gen.sites.named["term"], "ISO(last_high) if low == high else None", ["start"])
    gen.depth -= 1


QUESTION = Question(
    "term", ("term",),
    (RuleKind(n.Term, "term", "term", compile_term, single=True, own_site=False, sides=("running", "ended"),
              conditions=lambda r: (), describe=lambda r, w: f"term {r.amount} {r.unit} from {r.start.dotted}",
              roles=lambda r, w: [("term", ("term",), w.rule(r))]),
     RuleKind(n.Renewal, "renewal", "renewal", compile_renewal, single=True, own_site=False,
              sides=("valid", "invalid"), conditions=condition_only,
              describe=lambda r, w: f"renewal {r.var} of {r.source.dotted} dated {r.dated.dotted} "
                                    f"requires {w.expr(r.condition)}",
              roles=lambda r, w: [("term", ("renewal",), f"renewal requires {w.expr(r.condition)}")])),
    interpret, generate, sites,
    namespace={"Term": make_term, "InvalidRenewal": InvalidRenewal, "UndeterminedRenewal": UndeterminedRenewal,
               "end_of": end_of, "advance": advance, "reasons": reasons, "ISO": dt.date.isoformat})
