"""The conclusions a decision draws, each with its reason tree (``Reason``), and each one's value in a
decision (``value_in``), by which ``changes`` tells whether another decision concludes otherwise.

The conclusions are DECISION.md's: eligibility (and the preference), the term's last day, each
invalid renewal, the status, each ground, each violation, the recusal, each obligation, the report and
each policy-defined conclusion. The rules behind each are found by the kind the compiler gave them
(``CRule.kind``) and by citation; their parts are explained by ``reasons.Explainer``.
"""

from __future__ import annotations

from typing import Any, Callable

from supervisor_rules.dates import periods
from supervisor_rules.contracts.decision import Decision, EligibilityResult, RecusalResult, ReportResult, Status
from supervisor_rules.contracts.reasons import Reason
from supervisor_rules.explain.reasons import Explainer, plain

#: Conclusion name → ``(decision, key) -> value``: the value that conclusion has in a decision (a ground,
#: violation or obligation that is not there has the value it has when it does not arise).
VALUE_IN: dict[str, Callable[[Decision, Any], Any]] = {
    "eligibility": lambda d, key: str(d.eligibility.result),
    "preferred": lambda d, key: d.eligibility.preferred,
    "term": lambda d, key: plain(d.term.last_day) if d.term is not None else None,
    "renewal": lambda d, key: _renewal_value(d, key),
    "status": lambda d, key: str(d.status),
    "ground": lambda d, key: next((str(g.effect) for g in d.grounds if g.citation.ref == key), "none"),
    "violation": lambda d, key: next((v.code for v in d.violations if f"{v.code}@{v.citation.ref}" == key), "none"),
    "recusal": lambda d, key: str(d.recusal.result),
    "obligation": lambda d, key: next((str(o.state) for o in d.obligations if o.duty == key), "none"),
    "report": lambda d, key: str(d.report.result),
    "finding": lambda d, key: _finding_value(d, key),
}

#: Conclusion name → the Decision field that shows it (``Policy.evaluate(case, only=…)`` keeps the
#: trees of the fields asked for).
FIELD_OF = {"eligibility": "eligibility", "preferred": "eligibility", "term": "term", "renewal": "term",
            "status": "status", "ground": "grounds", "violation": "violations", "recusal": "recusal",
            "obligation": "obligations", "report": "report", "finding": "findings"}
if set(FIELD_OF) != set(VALUE_IN):
    raise AssertionError("every conclusion is shown by one Decision field")

#: The value each conclusion has while it is open.
UNKNOWN = {"eligibility": "unknown", "preferred": None, "term": None, "renewal": "undetermined",
           "status": "unknown", "recusal": "unknown", "obligation": "unknown", "report": "unknown",
           "finding": None}


def value_in(decision: Decision, conclusion: str, key) -> Any:
    return VALUE_IN[conclusion](decision, key)


def is_open(reason: Reason) -> bool:
    return reason.conclusion in UNKNOWN and reason.value == UNKNOWN[reason.conclusion] and (
        reason.conclusion != "term" or reason.key is not None)


def _renewal_value(d: Decision, key) -> str:
    if d.term is None:
        return "none"
    for r in d.term.invalid_renewals:
        if r.on.isoformat() == key:
            return r.reason
    if any(u.on.isoformat() == key for u in d.term.undetermined_renewals):
        return "undetermined"
    return "valid" if any(v.isoformat() == key for v in d.term.valid_renewals) else "none"


def _finding_value(d: Decision, key) -> Any:
    code, item = key
    for f in d.findings:
        if f.code == code and f.item == item:
            return plain(f.value)
    return False


def conclusions(x: Explainer, open_only: bool = False) -> list[Reason]:
    """The reason tree of each conclusion ``x.decision`` draws, in the decision's order; with
    ``open_only``, of the conclusions that may be open (``is_open``) only: a ground or a violation never
    is, and a question whose value is decided in the decision gives none."""
    out: list[Reason] = []
    for build in (_open_builders(x.decision) if open_only else _BUILDERS):
        for r in build(x):
            because = r.because
            if len(because) > 1 or type(because) is not tuple:
                because = _unique(because)
                if len(because) != len(r.because) or type(r.because) is not tuple:
                    r = Reason(r.conclusion, r.value, r.ref, because, r.would_change_if, r.key, r.not_fired)
            out.append(r)
    return out


def _open_builders(d: Decision) -> list:
    """The builders of the conclusions of ``d`` that may be open: those whose value in ``d`` is unknown."""
    out = []
    e = d.eligibility
    if e.result == EligibilityResult.UNKNOWN or e.preferred is None:
        out.append(_eligibility)
    if d.term is not None and d.term.undetermined_renewals:
        out.append(_term)
    if d.status == Status.UNKNOWN:
        out.append(_status)
    if d.recusal.result == RecusalResult.UNKNOWN:
        out.append(_recusal)
    if any(str(o.state) == UNKNOWN["obligation"] for o in d.obligations):
        out.append(_obligations)
    if d.report.result == ReportResult.UNKNOWN:
        out.append(_report)
    if any(f.value is None for f in d.findings):
        out.append(_findings)
    return out


def _unique(leaves) -> tuple:
    """The leaves, each once (a fact read by a rule's condition and by its deadline is one reason)."""
    # Equal leaves have the same first key and value (the fact's, the rule's, a comparison's left side):
    # where no two share them, there is nothing to remove, and no leaf (a rule's, with its whole tree)
    # need be written out to be compared.
    firsts: set = set()
    for leaf in leaves:
        for key, value in leaf.items():
            if type(value) is list and value:
                value = value[0]
            first = (key, value if type(value) is str else None)
            break
        else:
            first = None
        if first in firsts:
            break
        firsts.add(first)
    else:
        return tuple(leaves)
    seen: set = set()
    out: list = []
    for leaf in leaves:
        key = repr(leaf)
        if key not in seen:
            seen.add(key)
            out.append(leaf)
    return tuple(out)


# ------------------------------------------------------------------ each conclusion
def _eligibility(x: Explainer) -> list[Reason]:
    e, compiled = x.decision.eligibility, x.compiled
    if e.result == EligibilityResult.NOT_APPLICABLE:
        return []
    rules = compiled.requirements
    values = [x.rule_value(r) for r in rules]
    if e.result == EligibilityResult.INELIGIBLE:
        chosen = [i for i, v in enumerate(values) if v is False]
    elif e.result == EligibilityResult.UNKNOWN:
        chosen = [i for i, v in enumerate(values) if v is None]
    else:
        chosen = list(range(len(rules)))
    because = tuple(x.rule_leaf(rules[i], values[i]) for i in chosen)
    if e.result == EligibilityResult.UNKNOWN and True in values:  # what would turn it, were one of these false
        because += (x.leaf({"hold": [r.citation.ref for r, v in zip(rules, values) if v is True], "kind": "require"}),)
    ref = because[0]["rule"] if because and e.result != EligibilityResult.ELIGIBLE else None
    out = [Reason("eligibility", str(e.result), ref, because)]
    if e.preferred is not None or compiled.preferences:
        prefs = compiled.preferences
        pvalues = [x.rule_value(r) for r in prefs]
        if e.preferred is True:
            chosen = [pvalues.index(True)]
        elif e.preferred is None:
            chosen = [i for i, v in enumerate(pvalues) if v is None]
        else:
            chosen = list(range(len(prefs)))
        if prefs:
            pb = tuple(x.rule_leaf(prefs[i], pvalues[i]) for i in chosen)
            out.append(Reason("preferred", e.preferred, pb[0]["rule"] if pb and e.preferred else None, pb))
    return out


def _term(x: Explainer) -> list[Reason]:
    term, rule = x.decision.term, x.compiled.term
    if term is None or rule is None:
        return []
    out = [Reason("term", plain(term.last_day), rule.citation.ref, tuple(x.term_leaves()))]
    x.term_told = True
    renewal = x.compiled.renewal
    last_of = _last_days(x)
    for r in term.invalid_renewals:
        because: list = [x.leaf({"renewal": r.on.isoformat(), "reason": r.reason})]
        if r.reason == "late":
            k = _term_of(last_of, r.on)
            because.append(x.leaf({"compare": ["renewal.on", r.on.isoformat(), ">", "term.last_day",
                                               plain(last_of(k - 1)) if k else None]}))
        elif r.reason == "before_start":
            because.append(x.leaf({"compare": ["renewal.on", r.on.isoformat(), "<", "term.start",
                                               term.start.isoformat()]}))
        elif r.reason == "second_in_term":
            earlier = [v for v in term.valid_renewals if v <= r.on]
            if earlier:
                because.append(x.leaf({"renewed_by": earlier[-1].isoformat()}))
        if r.reason == "conditions":
            because += _conditions(x, renewal, r.on, r.unmet)
            if not any("rule" in leaf and leaf.get("because") for leaf in because):
                because += [x.leaf({"fact": key, "value": plain(_renewal_fact(x, renewal, r.on, key))})
                            for key in r.facts]
            because += _holding(x, renewal)
        out.append(Reason("renewal", r.reason, r.unmet[0].ref if r.unmet else rule.citation.ref, tuple(because),
                          key=r.on.isoformat()))
    for u in term.undetermined_renewals:
        because = [x.leaf({"renewal": u.on.isoformat(), "reason": "undetermined"})]
        because += _conditions(x, renewal, u.on, u.undetermined)
        because += _holding(x, renewal)
        out.append(Reason("renewal", "undetermined", u.undetermined[0].ref if u.undetermined else None,
                          tuple(because), key=u.on.isoformat()))
    return out


def _conditions(x: Explainer, renewal, on, cited) -> list:
    """The renewal's conditions under the ``cited`` provisions, each with why it fails or is unknown,
    read against the renewal dated ``on``: the requirements a ``satisfies`` refers to, the further
    conditions (``renewal requires``) and the renewal's own condition."""
    if renewal is None:
        return []
    records = x.facts.get(renewal.key) or ()
    index = next((i for i, rec in enumerate(records) if rec.get(renewal.field) == on), None)
    record = records[index] if index is not None else {}
    rules = [*renewal.requirements, *x.compiled.rules_of("renewal_conditions"), renewal]
    out: list = []
    env = x.env
    env.var, x.renewal_var = record, renewal.var
    if index is not None:  # the record's fields by their place in the case: appointment.renewals[0].consent
        x.record_path[renewal.var] = f"{renewal.key}[{index}]"
    try:
        for c in cited:
            for rule in rules:
                if rule.citation == c and rule.expr is not None:
                    value = rule.fn(env) if rule.fn is not None else None
                    if value is not True:
                        leaf = x.rule_leaf(rule, value)
                        if rule.kind != "require":
                            leaf["kind"] = "renewal_condition"
                        out.append(leaf)
    finally:
        env.var, x.renewal_var = {}, None
        x.record_path.pop(renewal.var, None)
    if not out:
        out = [x.leaf({"rule": c.ref, "kind": "renewal_condition", "value": None, "because": []}) for c in cited]
    return out


def _holding(x: Explainer, renewal) -> list:
    """The requirements a renewal's conditions refer to (``satisfies``) that hold: one turning false would
    make the renewal invalid."""
    if renewal is None or not renewal.requirements:
        return []
    held = [r.citation.ref for r in renewal.requirements if x.rule_value(r) is True]
    return [x.leaf({"hold": held, "kind": "require"})] if held else []


def _last_days(x: Explainer):
    """Term k's last day (k = 0 the first term), by the rule that decided the term."""
    term, rule = x.decision.term, x.compiled.term
    assert term is not None  # only asked where the decision has a term
    start = term.start
    amount, unit = rule.due[0], rule.due[1]
    months = int(amount * (12 if unit == "years" else 1))

    def last_of(k: int):
        try:
            return periods.add_months(start, months * (k + 1))
        except (periods.PeriodOutOfRange, OverflowError):
            return None
    return last_of


def _term_of(last_of, day) -> int:
    k = 0
    while k < 1000:
        last = last_of(k)
        if last is None or day <= last:
            return k
        k += 1
    return k


def _renewal_fact(x: Explainer, renewal, on, key: str):
    """The value of ``key`` (``r.consent`` or a fact) for the renewal dated ``on``."""
    head, _, field = key.partition(".")
    if renewal is not None and key.startswith(renewal.key + "[]."):
        head, field = renewal.var, key[len(renewal.key) + 3:]
    if renewal is not None and head == renewal.var:
        for record in x.facts.get(renewal.key) or ():
            if record.get(renewal.field) == on:
                return record.get(field)
        return None
    return x.facts.get(key)


def _status(x: Explainer) -> list[Reason]:
    d, compiled = x.decision, x.compiled
    status, term = d.status, d.term
    start_key = compiled.term.due[2] if compiled.term is not None and compiled.term.due else None
    grounds = compiled.grounds
    ending = [r for r in grounds if r.effect != "discretionary"]
    if status == Status.NOT_APPOINTED:
        if term is None:
            because: tuple = ({"fact": start_key, "value": None},) if start_key else ()
        else:
            because = ({"compare": ["as_of", d.as_of.isoformat(), "<", start_key or "term.start",
                                    term.start.isoformat()]},)
        x.leaves += len(because)
        return [Reason("status", str(status), compiled.term.citation.ref if compiled.term else None, because,
                       not_fired=len(grounds))]
    record = compiled.dismissal_record
    if status == Status.DISMISSED:
        holding = [g for g in d.grounds if str(g.effect) != "discretionary"]
        if holding:
            first = next(r for r in ending if r.citation == holding[0].citation)
            because = tuple(x.why(first.expr)) if first.expr is not None else ()
            return [Reason("status", str(status), first.citation.ref, because,
                           not_fired=len(grounds) - len(d.grounds))]
        on = d.as_of if record is None else x.facts.get(record.key)
        because = (x.leaf({"fact": record.key, "value": plain(on)}),
                   x.leaf({"compare": [record.key, plain(on), "<=", "as_of", d.as_of.isoformat()]})) \
            if record is not None else ()
        return [Reason("status", str(status), record.citation.ref if record else None, because,
                       not_fired=len(grounds) - len(d.grounds))]
    values = [x.rule_value(r) for r in ending]
    if status == Status.UNKNOWN:
        because = tuple(x.rule_leaf(r, v) for r, v in zip(ending, values) if v is None)
        if False in values:
            because += (x.leaf({"none_hold": [r.citation.ref for r, v in zip(ending, values) if v is False],
                                "kind": "ground"}),)
        return [Reason("status", str(status), because[0]["rule"] if because else None, because,
                       not_fired=len(grounds) - len(because))]
    # active: appointed, and no ground that ends the appointment holds
    because_list: list = [x.leaf({"compare": [start_key or "term.start", plain(term.start) if term else None, "<=",
                                              "as_of", d.as_of.isoformat()]})]
    if term is not None and term.last_day is not None:
        because_list.append(x.leaf({"compare": ["as_of", d.as_of.isoformat(), "<=", "term.last_day",
                                                term.last_day.isoformat()]}))
        because_list.extend(x.term_leaves())
    if ending:
        because_list.append(x.leaf({"none_hold": [r.citation.ref for r in ending], "kind": "ground"}))
    if record is not None:
        because_list.append(x.leaf({"fact": record.key, "value": plain(x.facts.get(record.key))}))
    return [Reason("status", str(status), None, tuple(because_list), not_fired=len(grounds) - len(d.grounds))]


def _grounds(x: Explainer) -> list[Reason]:
    out = []
    for g in x.decision.grounds:
        rule = next((r for r in x.compiled.grounds if r.citation == g.citation), None)
        because = tuple(x.why(rule.expr)) if rule is not None and rule.expr is not None else ()
        out.append(Reason("ground", str(g.effect), g.citation.ref, because, key=g.citation.ref))
    return out


def _violations(x: Explainer) -> list[Reason]:
    out = []
    for v in x.decision.violations:
        rule = next((r for r in x.compiled.prohibitions if r.citation == v.citation and v.code in r.codes), None)
        because: tuple = ()
        if rule is not None:
            because = (x.leaf({"fact": rule.key, "has": v.code, **({"field": rule.field} if rule.field else {})}),)
        out.append(Reason("violation", v.code, v.citation.ref, because, key=f"{v.code}@{v.citation.ref}"))
    return out


def _recusal(x: Explainer) -> list[Reason]:
    r, rules = x.decision.recusal, x.compiled.recusals
    if r.result == RecusalResult.NOT_APPLICABLE:
        return []
    values = [x.rule_value(rule) for rule in rules]
    if r.result == RecusalResult.NOT_REQUIRED:
        because: tuple = (x.leaf({"none_hold": [rule.citation.ref for rule in rules], "kind": "recusal"}),
                          *[leaf for rule in rules for leaf in x.why(rule.expr)])
        return [Reason("recusal", str(r.result), None, because, not_fired=len(rules))]
    wanted = None if r.result == RecusalResult.UNKNOWN else True
    chosen = [(rule, v) for rule, v in zip(rules, values) if v is wanted]
    if wanted is True:
        chosen = [(rule, v) for rule, v in chosen if rule.citation in r.grounds][:1] or chosen[:1]
    because = tuple(x.rule_leaf(rule, v) for rule, v in chosen)
    if wanted is None and False in values:
        because += (x.leaf({"none_hold": [rule.citation.ref for rule, v in zip(rules, values) if v is False],
                            "kind": "recusal"}),)
    return [Reason("recusal", str(r.result), because[0]["rule"] if because else None, because,
                   not_fired=len(rules) - len(chosen))]


def _obligations(x: Explainer) -> list[Reason]:
    out = []
    env = x.env
    for o in x.decision.obligations:
        rule = next((r for r in x.compiled.duties if r.code == o.duty and r.citation == o.citation), None)
        because: list = []
        if rule is not None:
            if rule.expr is not None:
                because.extend(x.why(rule.expr))
            if rule.due is not None:
                amount, unit, _ = rule.due
                base = rule.due_base(env) if rule.due_base is not None else None
                if rule.due_base_expr is not None:
                    because.extend(x.side(rule.due_base_expr) if not hasattr(rule.due_base_expr, "dotted")
                                   else x.why(rule.due_base_expr))
                because.append(x.leaf(x.deadline_item(o.due, base, amount, unit)))
                done = x.facts.get(rule.done_key) if rule.done_key else None
                if rule.done_key:
                    because.append(x.leaf({"fact": rule.done_key, "value": plain(done)}))
                if o.due is not None:
                    if done is not None:
                        because.append(x.leaf({"compare": [rule.done_key, plain(done), "<=" if str(o.state) == "met"
                                                           else ">", "due", o.due.isoformat()]}))
                    else:
                        because.append(x.leaf({"compare": ["as_of", x.decision.as_of.isoformat(),
                                                           ">" if str(o.state) == "overdue" else "<=", "due",
                                                           o.due.isoformat()]}))
            else:
                for expr in (rule.met_expr, rule.breached_expr):
                    if expr is not None:
                        because.extend(x.why(expr))
        out.append(Reason("obligation", str(o.state), o.citation.ref, tuple(because), key=o.duty))
    return out


def _report(x: Explainer) -> list[Reason]:
    r, compiled = x.decision.report, x.compiled
    if r.result == ReportResult.NOT_APPLICABLE:
        return []
    scopes, categories = compiled.scopes, compiled.categories
    because: list = []
    if scopes:
        because.extend(x.rules_junction(scopes, "scope", decisive=False))
    if r.category is not None:
        rule = next((c for c in categories if c.citation == r.category), None)
        if rule is not None:
            because.append(x.rule_leaf(rule, True))
    elif r.result != ReportResult.OUT_OF_SCOPE and categories:
        values = [x.rule_value(c) for c in categories]
        because.extend(x.rule_leaf(c, v) for c, v in zip(categories, values) if v is None)
    if r.reward_referral:
        rule = next((w for w in compiled.rewards if w.text == r.reward_rules and x.rule_value(w) is True), None)
        if rule is not None:
            because.append(x.rule_leaf(rule, True))
    ref = r.category.ref if r.category is not None else (because[0]["rule"] if because else None)
    return [Reason("report", str(r.result), ref, tuple(because))]


def _findings(x: Explainer) -> list[Reason]:
    out = []
    env = x.env
    for f in x.decision.findings:
        rule = next((r for r in x.compiled.conclusions if r.code == f.code and r.citation == f.citation), None)
        because: list = []
        if rule is not None:
            if rule.var is not None and f.item is not None and rule.key is not None:
                records = x.facts.get(rule.key) or ()
                env.var = records[f.item] if f.item < len(records) else {}
                x.renewal_var = rule.var
            try:
                if rule.expr is not None:
                    because.extend(x.why(rule.expr))
                if rule.value_expr is not None:
                    because.extend(x.side(rule.value_expr) if not hasattr(rule.value_expr, "dotted")
                                   else x.why(rule.value_expr))
            finally:
                env.var, x.renewal_var = {}, None
        out.append(Reason("finding", plain(f.value), f.citation.ref, tuple(because), key=[f.code, f.item]))
    return out


_BUILDERS = (_eligibility, _term, _status, _grounds, _violations, _recusal, _obligations, _report, _findings)
